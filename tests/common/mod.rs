//! Shared helpers of the integration tests: a real hub on 127.0.0.1:0 and a real tonic client.
#![allow(dead_code)]

use tonic::codegen::{Body as HttpBody, Bytes, StdError};

pub mod browser;
pub mod court;
pub mod efile;
pub mod instances;
pub mod judgments;
pub mod one_instance;
pub mod openssl_cli;
pub mod pdf;
pub mod portal;
pub mod postgres;
pub mod reports;
pub mod seal_setup;
pub mod service;
pub mod similar;
pub mod smsc;
pub mod smtp;

use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_client::EventLogServiceClient;
use ecenter_proto::v1::filing_service_client::FilingServiceClient;
use ecenter_server::Config;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::metadata::MetadataValue;
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::{Request, Status};

/// A command run to its end that must succeed: the test fails with the command's stderr
/// otherwise, so a failing peer tool (Python, OpenSSL, clerk) says why.
pub trait Succeeds {
    /// Runs the command, waits for it and returns its output after checking its exit status.
    fn succeeds(&mut self) -> std::process::Output;
}

impl Succeeds for std::process::Command {
    fn succeeds(&mut self) -> std::process::Output {
        let out = self
            .output()
            .unwrap_or_else(|e| panic!("{:?} did not run: {e}", self.get_program()));
        assert!(
            out.status.success(),
            "{:?} failed: {}",
            self.get_program(),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

pub const LAWYER_A: &str = "urn:ecenter:lawyer:14201202010000001";
pub const LAWYER_B: &str = "urn:ecenter:lawyer:14201202010000002";
pub const COURT: &str = "urn:ecenter:court:xiangyang-cms";
pub const CLERK: &str = "urn:ecenter:clerk:c0001";
pub const CASE: &str = "（2026）鄂06民初123号";

/// A hub served in this process on 127.0.0.1:0.
pub struct TestHub {
    pub addr: SocketAddr,
    /// The recipients' page, when electronic service is configured.
    pub page_addr: Option<SocketAddr>,
    pub data_dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ecenter_server::ServeError>>>,
}

impl TestHub {
    pub async fn start(data_dir: &Path) -> TestHub {
        Self::start_with(data_dir, |_| {}).await
    }

    pub async fn start_with(data_dir: &Path, adjust: impl FnOnce(&mut Config)) -> TestHub {
        let mut config = Config {
            dev_mode: true,
            data_dir: data_dir.to_path_buf(),
            store: store_under_test(data_dir),
            ..Config::default()
        };
        adjust(&mut config);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hub = ecenter_server::Hub::open(config, addr).expect("hub opens");
        let page_addr = hub.page_addr();
        let (tx, rx) = oneshot::channel();
        let task = tokio::spawn(hub.serve(listener, async {
            let _ = rx.await;
        }));
        TestHub {
            addr,
            page_addr,
            data_dir: data_dir.to_path_buf(),
            stop: Some(tx),
            task: Some(task),
        }
    }

    /// Graceful shutdown; returns once the log is flushed.
    pub async fn stop(self) {
        self.stop_result().await.unwrap();
    }

    /// Graceful shutdown, giving what the hub's serve loop returned.
    pub async fn stop_result(mut self) -> Result<(), ecenter_server::ServeError> {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap()
    }

    pub async fn client(&self, identity: &str) -> Client {
        client(self.addr, identity).await
    }

    pub async fn log_client(
        &self,
        identity: &str,
    ) -> EventLogServiceClient<InterceptedService<Channel, As>> {
        let channel = channel(self.addr).await;
        EventLogServiceClient::with_interceptor(channel, As::new(identity))
    }

    /// The log's head as a clerk reads it (GetChainHead).
    pub async fn chain_head(&self) -> pb::ChainHead {
        self.log_client(CLERK)
            .await
            .get_chain_head(pb::GetChainHeadRequest {})
            .await
            .unwrap()
            .into_inner()
    }
}

/// Adds the caller's identity header, as a development-mode client does.
#[derive(Clone)]
pub struct As(MetadataValue<tonic::metadata::Ascii>);

impl As {
    pub fn new(identity: &str) -> As {
        As(identity.parse().unwrap())
    }
}

impl Interceptor for As {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        request
            .metadata_mut()
            .insert("x-ecenter-identity", self.0.clone());
        Ok(request)
    }
}

pub type Client = FilingServiceClient<InterceptedService<Channel, As>>;

pub async fn channel(addr: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// The court's SealService client over mutual TLS, after it created the registry seal
/// 「4206-SSFW-01」 (襄阳市中级人民法院诉讼服务专用章) that the tests apply.
pub async fn court_with_seal(
    addr: SocketAddr,
    pki: &Path,
) -> ecenter_proto::v1::seal_service_client::SealServiceClient<Channel> {
    court_seal(
        addr,
        pki,
        "4206-SSFW-01",
        "襄阳市中级人民法院诉讼服务专用章",
    )
    .await
}

/// The court system's seal client, once it has created the registry seal `seal_id` named `name`
/// (the tests' red ring picture, valid a year).
pub async fn court_seal(
    addr: SocketAddr,
    pki: &Path,
    seal_id: &str,
    name: &str,
) -> ecenter_proto::v1::seal_service_client::SealServiceClient<Channel> {
    let mut court = ecenter_proto::v1::seal_service_client::SealServiceClient::new(
        channel_as(addr, pki, "court-xiangyang-cms").await,
    );
    court
        .create_seal(pb::CreateSealRequest {
            seal_id: seal_id.into(),
            name: name.into(),
            picture_png: seal_png(),
            valid_days: 365,
            ..Default::default()
        })
        .await
        .unwrap();
    court
}

/// VerifyOfd on `ofd` sent as content, which must PASS: the report.
pub async fn ofd_passes(
    seals: &mut ecenter_proto::v1::seal_service_client::SealServiceClient<Channel>,
    ofd: Vec<u8>,
) -> pb::VerifyOfdResponse {
    let report = seals
        .verify_ofd(pb::VerifyOfdRequest {
            document: Some(pb::verify_ofd_request::Document::Content(ofd)),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        report.indication,
        pb::Indication::Passed as i32,
        "{report:#?}"
    );
    report
}

pub async fn client(addr: SocketAddr, identity: &str) -> Client {
    FilingServiceClient::with_interceptor(channel(addr).await, As::new(identity))
        .max_decoding_message_size(8 * 1024 * 1024)
}

/// A minimal but well-formed one-page PDF whose text carries `marker`.
pub fn pdf(marker: &str) -> Vec<u8> {
    ecenter_pdfseal::sample_pdf_titled(marker, 1, 0)
}

/// A ZIP with the given entries (stored, uncompressed).
pub fn zip_with(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }
    buf.into_inner()
}

pub fn ofd() -> Vec<u8> {
    zip_with(&[
        (
            "OFD.xml",
            br#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#,
        ),
        (
            "Doc_0/Document.xml",
            br#"<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>"#,
        ),
        (
            "Doc_0/Pages/Page_0/Content.xml",
            br#"<ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content/></ofd:Page>"#,
        ),
    ])
}

pub fn docx() -> Vec<u8> {
    docx_of(b"<w:document/>")
}

/// An OPC package whose main part (named by `_rels/.rels`, typed in `[Content_Types].xml`) is
/// the WordprocessingML `document`, as Word writes the three parts.
pub fn docx_of(document: &[u8]) -> Vec<u8> {
    docx_at("word/document.xml", document)
}

/// A DOCX whose main part is `main` (Office 365 writes `word/document2.xml` after some edits).
pub fn docx_at(main: &str, document: &[u8]) -> Vec<u8> {
    let types = format!(
        r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/{main}" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#
    );
    let rels = format!(
        r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{main}"/></Relationships>"#
    );
    zip_with(&[
        ("[Content_Types].xml", types.as_bytes()),
        ("_rels/.rels", rels.as_bytes()),
        (main, document),
    ])
}

pub fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    v.extend_from_slice(&[0; 32]);
    v
}

pub fn jpeg() -> Vec<u8> {
    let mut v = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    v.extend_from_slice(b"JFIF\0");
    v.extend_from_slice(&[0; 32]);
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, data))
}

/// A header for `docs`, each named `name_i.pdf`, announcing size and hash.
pub fn header(
    request_id: &str,
    case_number: &str,
    kind: &str,
    docs: &[(&str, &[u8])],
) -> pb::SubmissionHeader {
    pb::SubmissionHeader {
        request_id: request_id.to_string(),
        case_number: case_number.to_string(),
        filing_kind: kind.to_string(),
        title: format!("{kind}（测试）"),
        documents: docs
            .iter()
            .map(|(name, data)| pb::DocumentHeader {
                name: name.to_string(),
                size: data.len() as u64,
                sha256: sha256_hex(data),
                media_type: String::new(),
            })
            .collect(),
        corrects_filing_id: String::new(),
    }
}

/// The request messages of a submission: the header, then each document in chunks of `chunk` bytes.
pub fn messages(
    header: pb::SubmissionHeader,
    docs: &[&[u8]],
    chunk: usize,
) -> Vec<pb::SubmitFilingRequest> {
    use pb::submit_filing_request::Part;
    let mut out = vec![pb::SubmitFilingRequest {
        part: Some(Part::Header(header)),
    }];
    for (i, doc) in docs.iter().enumerate() {
        for piece in doc.chunks(chunk) {
            out.push(pb::SubmitFilingRequest {
                part: Some(Part::Chunk(pb::DocumentChunk {
                    document_index: i as u32,
                    data: piece.to_vec(),
                })),
            });
        }
    }
    out
}

/// What a generated client can call over: a development channel with its identity interceptor
/// ([`Client`]) or an mTLS channel ([`tls_client`]) — tonic's own bounds on a client's transport.
pub trait Transport:
    tonic::client::GrpcService<tonic::body::Body, Error: Into<StdError>, ResponseBody: Answer>
{
}

impl<T> Transport for T where
    T: tonic::client::GrpcService<tonic::body::Body, Error: Into<StdError>, ResponseBody: Answer>
{
}

/// The body of a transport's answers, as a generated client reads it.
pub trait Answer: HttpBody<Data = Bytes, Error: Into<StdError> + Send> + Send + 'static {}

impl<B> Answer for B where B: HttpBody<Data = Bytes, Error: Into<StdError> + Send> + Send + 'static {}

/// Submits the given messages as one client stream (over a development or an mTLS channel).
pub async fn submit_messages<T: Transport>(
    client: &mut FilingServiceClient<T>,
    msgs: Vec<pb::SubmitFilingRequest>,
) -> Result<pb::SubmitFilingResponse, Status> {
    client
        .submit_filing(tokio_stream::iter(msgs))
        .await
        .map(tonic::Response::into_inner)
}

/// Submits named documents in 256 KiB chunks.
pub async fn submit<T: Transport>(
    client: &mut FilingServiceClient<T>,
    request_id: &str,
    case_number: &str,
    kind: &str,
    docs: &[(&str, &[u8])],
) -> Result<pb::SubmitFilingResponse, Status> {
    let h = header(request_id, case_number, kind, docs);
    let bodies: Vec<&[u8]> = docs.iter().map(|(_, d)| *d).collect();
    submit_messages(client, messages(h, &bodies, 256 * 1024)).await
}

/// Files `doc` as evidence (证据材料, `e.pdf`) in CASE and returns the receipt (the submission
/// must succeed).
pub async fn file_evidence<T: Transport>(
    client: &mut FilingServiceClient<T>,
    request_id: &str,
    doc: &[u8],
) -> pb::Receipt {
    let response = submit(client, request_id, CASE, "证据材料", &[("e.pdf", doc)]).await;
    response.unwrap().receipt.unwrap()
}

/// Files `docs` as one filing of `kind` in CASE and returns its filing id (the submission must succeed).
pub async fn file_documents<T: Transport>(
    client: &mut FilingServiceClient<T>,
    request_id: &str,
    kind: &str,
    docs: &[(&str, &[u8])],
) -> String {
    file_in_case(client, (request_id, CASE, kind), docs).await
}

/// Files `docs` as `kind` in `case` ("" for a new case) and returns the filing id.
pub async fn file_in_case<T: Transport>(
    client: &mut FilingServiceClient<T>,
    (request_id, case, kind): (&str, &str, &str),
    docs: &[(&str, &[u8])],
) -> String {
    let h = header(request_id, case, kind, docs);
    let bodies: Vec<&[u8]> = docs.iter().map(|(_, d)| *d).collect();
    client
        .submit_filing(tokio_stream::iter(messages(h, &bodies, 64 * 1024)))
        .await
        .unwrap()
        .into_inner()
        .receipt
        .unwrap()
        .filing_id
}

/// Follows a department's queue from the start of the log (WatchEvents; the call must succeed).
pub async fn watch_department<T: Transport>(
    client: &mut FilingServiceClient<T>,
    department: &str,
) -> tonic::Streaming<pb::FilingEvent> {
    let scope = pb::watch_events_request::Scope::Department(department.into());
    client
        .watch_events(pb::WatchEventsRequest {
            scope: Some(scope),
            after_seq: 0,
        })
        .await
        .unwrap()
        .into_inner()
}

/// Downloads a document whole.
pub async fn download<T: Transport>(
    client: &mut FilingServiceClient<T>,
    filing_id: &str,
    document_id: &str,
) -> Result<Vec<u8>, Status> {
    let mut stream = client
        .download_document(pb::DownloadDocumentRequest {
            filing_id: filing_id.into(),
            document_id: document_id.into(),
        })
        .await?
        .into_inner();
    let mut out = Vec::new();
    while let Some(chunk) = stream.message().await? {
        out.extend_from_slice(&chunk.data);
    }
    Ok(out)
}

/// Every filing visible through ListFilings with `filter`, following pages.
/// Every entry of the hub's log, page by page, as a clerk sees them.
pub async fn all_entries(log: &mut EventLogServiceClient<Channel>) -> Vec<pb::FilingEvent> {
    let (mut entries, mut after) = (Vec::new(), 0);
    loop {
        let page = log
            .list_entries(pb::ListEntriesRequest {
                after_seq: after,
                page_size: 1000,
            })
            .await
            .unwrap()
            .into_inner();
        entries.extend(page.entries);
        if page.next_after_seq == 0 {
            return entries;
        }
        after = page.next_after_seq;
    }
}

pub async fn list_all(client: &mut Client, mut filter: pb::ListFilingsRequest) -> Vec<pb::Filing> {
    let mut all = Vec::new();
    loop {
        let page = client
            .list_filings(filter.clone())
            .await
            .unwrap()
            .into_inner();
        all.extend(page.filings);
        if page.next_page_token.is_empty() {
            return all;
        }
        filter.page_token = page.next_page_token;
    }
}

/// Files `n` one-document filings as lawyer A, with request ids `{prefix}-0000`, `{prefix}-0001`, …
/// (entries 1 to 2n of a new log: received and routed each), on a development hub over `data`, and
/// stops it gracefully.
pub async fn file_and_stop(data: &Path, prefix: &str, n: usize) {
    file_and_stop_with(data, prefix, n, |_| {}).await;
}

/// `clerk verify-log --json --data-dir DATA EXTRA…`: its exit code, its JSON (stderr as a JSON
/// string when stdout is not JSON, so that an assertion shows why) and its stderr.
pub fn clerk_verify_log(data: &Path, extra: &[&str]) -> (Option<i32>, serde_json::Value, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_clerk"))
        .args(["verify-log", "--json", "--data-dir"])
        .arg(data)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| stderr.clone().into());
    (out.status.code(), json, stderr)
}

/// [`file_and_stop`] on a hub configured by `adjust` (its checkpoints, its witnesses).
pub async fn file_and_stop_with(
    data: &Path,
    prefix: &str,
    n: usize,
    adjust: impl FnOnce(&mut Config),
) {
    let hub = TestHub::start_with(data, adjust).await;
    let mut lawyer = hub.client(LAWYER_A).await;
    for i in 0..n {
        let doc = pdf(&format!("{prefix} {i}"));
        let id = format!("{prefix}-{i:04}");
        submit(&mut lawyer, &id, CASE, "证据材料", &[("e.pdf", &doc)])
            .await
            .unwrap();
    }
    hub.stop().await;
}

/// Whether OpenSSL accepts a checkpoint line's signature with the public key at `key_pem`: Python
/// rebuilds the signed text from the JSON (the format in crates/store/src/checkpoint.rs), OpenSSL
/// checks the ECDSA P-256 signature — no ecenter code involved.
pub fn openssl_verifies_checkpoint(line: &str, key_pem: &Path) -> bool {
    let script = r#"
import base64, json, sys, datetime
cp = json.loads(sys.argv[1])
at = datetime.datetime.fromisoformat(cp["at"].replace("Z", "+00:00"))
stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (at.microsecond // 1000)
text = "ecenter-checkpoint/v1\n%d\n%d\n%s\n%s\n" % (cp["number"], cp["seq"], cp["hash"], stamp)
open(sys.argv[2] + "/signed.txt", "w").write(text)
open(sys.argv[2] + "/sig.der", "wb").write(base64.b64decode(cp["signature"]))
"#;
    let work = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("python3")
        .args(["-c", script, line])
        .arg(work.path())
        .output()
        .unwrap();
    if !out.status.success() {
        return false;
    }
    std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(key_pem)
        .arg("-signature")
        .arg(work.path().join("sig.der"))
        .arg(work.path().join("signed.txt"))
        .output()
        .unwrap()
        .status
        .success()
}

/// Every file under `dir`, recursively, sorted.
/// Checks that no file under `dir` (a hub's data directory: its log, read models and blobs) holds
/// the link token `token`: whoever reads them could act as the link's recipient.
pub fn assert_token_kept_out(dir: &Path, token: &str) {
    assert!(token.len() >= 16, "not a token: {token}");
    for file in files_under(dir) {
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "{} holds the live link token",
            file.display()
        );
    }
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A copy of `from` (a stopped hub's data directory) in a new temporary directory (`cp -a`).
pub fn copy_of(from: &Path) -> tempfile::TempDir {
    let to = tempfile::tempdir().unwrap();
    let ok = std::process::Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", from.display()))
        .arg(to.path())
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -a {}", from.display());
    to
}

/// Asserts a status code and that the message mentions `needle`.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: tonic::Code,
    needle: &str,
) -> Status {
    let status = result.expect_err("call should fail");
    assert_eq!(status.code(), code, "unexpected status: {status:?}");
    assert!(
        status.message().contains(needle),
        "message {:?} should mention {needle:?}",
        status.message()
    );
    status
}

/// A fresh development PKI (`ecenter-pki init`), a data directory, and a hub serving mutual TLS
/// with them: what most tests start from. Keep both directories bound while the hub runs.
pub async fn tls_world() -> (tempfile::TempDir, tempfile::TempDir, TestHub) {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let hub = start_tls(data.path(), pki.path()).await;
    (pki, data, hub)
}

/// A hub serving mutual TLS with the PKI in `pki`.
pub async fn start_tls(data_dir: &Path, pki: &Path) -> TestHub {
    start_tls_with(data_dir, pki, |_| {}).await
}

/// A hub serving mutual TLS with the PKI in `pki` and seals, configured further by `adjust`.
pub async fn start_tls_with(
    data_dir: &Path,
    pki: &Path,
    adjust: impl FnOnce(&mut Config),
) -> TestHub {
    let pki = pki.to_path_buf();
    TestHub::start_with(data_dir, move |c| {
        c.dev_mode = false;
        c.tls = Some(tls_config(&pki));
        c.seals = Some(seal_config(&pki));
        adjust(c);
    })
    .await
}

/// The hub's mutual TLS from a PKI made by `ecenter-pki init`: its server certificate, the
/// client CA and that CA's revocation list.
pub fn tls_config(pki: &Path) -> ecenter_server::tls::TlsConfig {
    ecenter_server::tls::TlsConfig {
        cert: pki.join("server.pem"),
        key: pki.join("server.key"),
        client_ca: pki.join("client-ca.pem"),
        client_crl: Some(pki.join("client-ca.crl.pem")),
    }
}

#[allow(unused_imports)]
pub use openssl_cli::{openssl, openssl_p256_key};
pub use seal_setup::{seal_config, seal_png};

/// Connects over mTLS with the given client certificate chain and key (or none), trusting `pki`'s root.
pub async fn tls_channel(
    addr: SocketAddr,
    pki: &Path,
    client: Option<(&Path, &Path)>,
) -> Result<Channel, tonic::transport::Error> {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let root = std::fs::read(pki.join("root-ca.pem")).unwrap();
    let mut tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(root))
        .domain_name("localhost");
    if let Some((cert, key)) = client {
        tls = tls.identity(Identity::from_pem(
            std::fs::read(cert).unwrap(),
            std::fs::read(key).unwrap(),
        ));
    }
    Channel::from_shared(format!("https://{addr}"))
        .unwrap()
        .tls_config(tls)
        .unwrap()
        .connect()
        .await
}

/// An mTLS channel as the development client `stem` of the PKI in `pki` (e.g. `clerk-c0001`).
pub async fn channel_as(addr: SocketAddr, pki: &Path, stem: &str) -> Channel {
    let layout = ecenter_pki::Layout {
        dir: pki.to_path_buf(),
    };
    tls_channel(
        addr,
        pki,
        Some((&layout.client_cert(stem), &layout.client_key(stem))),
    )
    .await
    .unwrap()
}

/// A FilingService client over mTLS as the development client `stem` (e.g. `lawyer-14201202010000001`).
pub async fn tls_client(addr: SocketAddr, pki: &Path, stem: &str) -> FilingServiceClient<Channel> {
    let channel = channel_as(addr, pki, stem).await;
    FilingServiceClient::new(channel).max_decoding_message_size(8 * 1024 * 1024)
}

/// `ecenterd` started from a configuration file; killed (SIGKILL) when dropped.
pub struct Daemon {
    child: std::process::Child,
    pub addr: std::net::SocketAddr,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_ecenterd(config_file: &Path) -> Daemon {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecenterd"))
        .arg("--config")
        .arg(config_file)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let addr = listening_on(&mut child).parse().unwrap();
    Daemon { child, addr }
}

/// The address a started `ecenterd` (stdout piped) says it listens on, its first line.
pub fn listening_on(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    line.trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("ecenterd did not start: {line:?}"))
        .to_string()
}

impl Daemon {
    /// SIGKILL, and wait until it is gone.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The store a test hub gets: sled, or PostgreSQL under `ECENTER_TEST_STORE=postgres` (the
/// README's test command runs the service suite a second time so), one database per data directory.
pub fn store_under_test(data_dir: &Path) -> ecenter_server::config::StoreConfig {
    match std::env::var("ECENTER_TEST_STORE").as_deref() {
        Ok("postgres") => {
            ecenter_server::config::StoreConfig::Postgres(postgres::database_for(data_dir).1)
        }
        Ok("sled") | Err(_) => ecenter_server::config::StoreConfig::Sled,
        Ok(other) => panic!("ECENTER_TEST_STORE={other}: sled or postgres"),
    }
}
