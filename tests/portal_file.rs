//! 网上提交材料 in the lawyers' portal, as the portal's script speaks to it, through curl over the
//! hub's HTTPS listener: files announced, sent in pieces, cut mid-piece and resumed from what the
//! hub says it holds, filed with the form's request id (resent: the same filing), and the receipt
//! page with the court's sealed receipt, which pyHanko judges. The filing is read back over gRPC
//! with the lawyer's own certificate (the same identity) and compared with `sha256sum`'s digests.

mod common;

use common::pdf::pyhanko;
use common::portal::*;
use common::service::*;
use common::smtp::start_aiosmtpd;
use common::*;
use ecenter_proto::v1 as pb;
use std::path::Path;

pub const ZHANG: (&str, &str, &str) = (
    "urn:ecenter:lawyer:14201202010000001",
    "14201202010000001",
    "zhang@chutian-law.cn",
);
const FONT: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
const SEAL: &str = "4206-LAT-02";

/// The portal's script, played by curl: one signed-in browser, its form's CSRF token, a scratch
/// directory for request bodies.
struct Script<'a> {
    browser: &'a Curl<'a>,
    csrf: String,
    request_id: String,
    dir: tempfile::TempDir,
}

impl<'a> Script<'a> {
    /// Opens the form, as the script finds it.
    fn open(browser: &'a Curl<'a>) -> Script<'a> {
        let (status, page) = browser.get("/portal/file");
        assert_eq!(status, 200, "{page}");
        assert!(
            page.contains("网上提交材料") && page.contains("起诉状"),
            "{page}"
        );
        Script {
            browser,
            csrf: attribute(&page, "data-csrf"),
            request_id: attribute(&page, "value"),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn token(&self) -> Vec<String> {
        vec![format!("X-CSRF-Token: {}", self.csrf)]
    }

    fn body(&self, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn json(&self, method: &str, path: &str, value: serde_json::Value) -> (u16, String) {
        let body = self.body("request.json", value.to_string().as_bytes());
        let mut headers = self.token();
        headers.push("Content-Type: application/json".into());
        self.browser.script(method, path, &headers, Some(&body))
    }

    /// Announces `bytes` as `name` (with its SHA-256, as the script computes it).
    fn announce(&self, name: &str, bytes: &[u8]) -> (u16, String) {
        let a =
            serde_json::json!({ "name": name, "size": bytes.len(), "sha256": sha256_hex(bytes) });
        self.json("POST", "/portal/uploads", a)
    }

    /// Announces and returns the upload's id.
    fn upload(&self, name: &str, bytes: &[u8]) -> String {
        let (status, made) = self.announce(name, bytes);
        assert_eq!(status, 201, "{made}");
        json_body(&made)["id"].as_str().unwrap().to_string()
    }

    /// PATCHes `piece` at `offset` into upload `id`, with `token` as the CSRF token.
    fn append_as(&self, token: &str, id: &str, offset: usize, piece: &[u8]) -> (u16, String) {
        let body = self.body("piece.bin", piece);
        let headers = [
            format!("X-CSRF-Token: {token}"),
            format!("Upload-Offset: {offset}"),
        ];
        self.browser.script(
            "PATCH",
            &format!("/portal/uploads/{id}"),
            &headers,
            Some(&body),
        )
    }

    fn append(&self, id: &str, offset: usize, piece: &[u8]) -> (u16, String) {
        self.append_as(&self.csrf, id, offset, piece)
    }

    /// What the hub says it holds of upload `id`.
    fn status(&self, id: &str) -> (u16, String) {
        self.browser
            .script("GET", &format!("/portal/uploads/{id}"), &self.token(), None)
    }

    fn submit(&self, fields: serde_json::Value) -> (u16, String) {
        self.json("POST", "/portal/file", fields)
    }
}

fn error_of(response: &str) -> String {
    json_body(response)["error"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// `sha256sum`'s digest of `bytes`: the judge is not the hub's hashing.
fn sha256sum(dir: &Path, bytes: &[u8]) -> String {
    let path = dir.join("judge.bin");
    std::fs::write(&path, bytes).unwrap();
    let out = std::process::Command::new("sha256sum")
        .arg(&path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Sends `bytes` into upload `id`: a first piece whole, the next cut off mid-body (the
/// connection drops), a resend from the start refused with where to resume, then the rest.
async fn send_with_a_cut(s: &Script<'_>, id: &str, bytes: &[u8]) {
    let half = bytes.len() / 2;
    let (status, r) = s.append(id, 0, &bytes[..1_000_000]);
    assert_eq!(
        (status, json_body(&r)["offset"].as_u64()),
        (200, Some(1_000_000)),
        "{r}"
    );
    let cut = s.body("cut.bin", &bytes[1_000_000..half]);
    let mut headers = s.token();
    headers.push("Upload-Offset: 1000000".into());
    headers.push(format!("Content-Length: {}", bytes.len() - 1_000_000));
    headers.push("Expect:".into());
    let path = format!("/portal/uploads/{id}");
    let args = ["--max-time".to_string(), "3".to_string()];
    let _ = s
        .browser
        .script_with("PATCH", &path, &headers, Some(&cut), &args);
    let held = until(10, "the cut piece's bytes to be written", || async {
        let (status, r) = s.status(id);
        let held = json_body(&r)["offset"].as_u64().unwrap();
        (status == 200 && held == half as u64).then_some(r)
    })
    .await;
    let offset_header = format!("upload-offset: {half}");
    assert!(held.to_ascii_lowercase().contains(&offset_header), "{held}");
    let (status, r) = s.append(id, 0, bytes);
    assert_eq!(
        (status, json_body(&r)["offset"].as_u64()),
        (409, Some(half as u64)),
        "{r}"
    );
    let (status, r) = s.append(id, half, &bytes[half..]);
    assert_eq!(status, 200, "{r}");
}

/// The receipt page names the filing, the lawyer, and what arrived; its PDF is sealed as pyHanko
/// judges.
fn assert_receipt(w: &World, s: &Script<'_>, receipt: &str, filing_id: &str, evidence: &[u8]) {
    let (status, page) = s.browser.get(receipt);
    assert_eq!(status, 200, "{page}");
    for expected in [
        filing_id,
        "法院已收到",
        "民事起诉状.pdf",
        &sha256_hex(evidence),
        "（北京时间）",
        // The lawyer as the directory listed them (common::portal::list), and the title.
        "<th>提交人</th><td>张明（湖北楚天律师事务所，执业证号",
        "<th>标题</th><td>张三诉李四买卖合同纠纷</td>",
    ] {
        assert!(page.contains(expected), "{expected} in {page}");
    }
    let saved = s.dir.path().join("签收单.pdf");
    let (status, _) = s
        .browser
        .get_with(&format!("{receipt}.pdf"), &["-o", saved.to_str().unwrap()]);
    assert_eq!(status, 200);
    let (ok, report) = pyhanko(w.pki.path(), &saved);
    assert!(
        ok && report.contains("The signature is judged VALID."),
        "{report}"
    );
}

async fn receipts_world(smtp_port: u16) -> World {
    let w = world_configured(smtp_port, 10, |c| {
        c.receipts.seal_id = Some(SEAL.into());
        c.receipts.font = Some(FONT.into());
        c.receipts.court = Some("湖北省襄阳市中级人民法院".into());
    })
    .await;
    court_seal(
        w.hub.addr,
        w.pki.path(),
        SEAL,
        "襄阳市中级人民法院立案专用章",
    )
    .await;
    w
}

async fn lawyer_filings(w: &World) -> Vec<pb::Filing> {
    let mut grpc = tls_client(w.hub.addr, w.pki.path(), "lawyer-14201202010000001").await;
    let list = grpc
        .list_filings(pb::ListFilingsRequest::default())
        .await
        .unwrap();
    list.into_inner().filings
}

fn fields_of(s: &Script<'_>, uploads: [&str; 2]) -> serde_json::Value {
    serde_json::json!({
        "request_id": s.request_id, "filing_kind": "COMPLAINT", "case_number": "",
        "title": "张三诉李四买卖合同纠纷", "corrects_filing_id": "", "uploads": uploads,
    })
}

/// The same form sent again (its answer lost on the way): with the spent upload ids, the filing
/// its request id made answers (as the log has it); with the same files uploaded again, the hub's
/// own idempotency does. Both say `replayed`.
fn resent(s: &Script<'_>, fields: serde_json::Value, filing_id: &str, complaint: &[u8]) {
    let (status, r) = s.submit(fields.clone());
    let answer = json_body(&r);
    assert_eq!(
        (status, answer["filing_id"].as_str()),
        (200, Some(filing_id)),
        "{r}"
    );
    assert_eq!(answer["replayed"], true, "{r}");
    let evidence = pdf("证据目录");
    let again = [
        s.upload("民事起诉状.pdf", complaint),
        s.upload("证据目录.pdf", &evidence),
    ];
    assert_eq!(s.append(&again[0], 0, complaint).0, 200);
    assert_eq!(s.append(&again[1], 0, &evidence).0, 200);
    let mut fields = fields;
    fields["uploads"] = serde_json::json!(again);
    let (status, r) = s.submit(fields);
    let answer = json_body(&r);
    assert_eq!(
        (status, answer["filing_id"].as_str()),
        (200, Some(filing_id)),
        "{r}"
    );
    assert_eq!(answer["replayed"], true, "the hub's idempotency: {r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_files_with_resumed_uploads_and_gets_the_sealed_receipt() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = receipts_world(smtp.addr.port()).await;
    let jars = tempfile::tempdir().unwrap();
    let browser = signed_in(&w, jars.path(), maildir.path(), ZHANG, 0).await;
    let s = Script::open(&browser);
    let mut complaint = pdf("民事起诉状 via the portal");
    complaint.extend(std::iter::repeat_n(b'%', 3 * 1024 * 1024));
    let evidence = pdf("证据目录");
    let first = s.upload("民事起诉状.pdf", &complaint);
    let second = s.upload("证据目录.pdf", &evidence);
    send_with_a_cut(&s, &first, &complaint).await;
    let (status, r) = s.append(&second, 0, &evidence);
    assert_eq!(status, 200, "{r}");

    let fields = fields_of(&s, [&first, &second]);
    let (status, r) = s.submit(fields.clone());
    assert_eq!(status, 200, "{r}");
    let answer = json_body(&r);
    let filing_id = answer["filing_id"].as_str().unwrap().to_string();
    assert_eq!(answer["replayed"], false, "{r}");

    resent(&s, fields, &filing_id, &complaint);
    let filings = lawyer_filings(&w).await;
    assert_eq!(filings.len(), 1, "filed once: {filings:?}");
    assert_eq!(filings[0].filing_id, filing_id);
    let digests: Vec<&str> = filings[0]
        .documents
        .iter()
        .map(|d| d.sha256.as_str())
        .collect();
    let judged = [
        sha256sum(s.dir.path(), &complaint),
        sha256sum(s.dir.path(), &evidence),
    ];
    assert_eq!(digests, judged);
    assert_receipt(
        &w,
        &s,
        answer["receipt"].as_str().unwrap(),
        &filing_id,
        &evidence,
    );
    w.hub.stop().await;
}

/// Too big, too long, or no accepted type: refused with the reason, and the upload gone.
fn bytes_refused(s: &Script<'_>) {
    let huge = serde_json::json!({ "name": "全部证据.pdf", "size": 200u64 << 20 });
    let (status, r) = s.json("POST", "/portal/uploads", huge);
    assert_eq!(status, 413, "{r}");
    assert!(error_of(&r).contains("超过本院单个文件上限"), "{r}");

    let text = "这不是PDF，是一份纯文本。".repeat(40).into_bytes();
    let id = s.upload("起诉状.pdf", &text);
    let (status, r) = s.append(&id, 0, &text);
    assert_eq!(status, 415, "{r}");
    assert!(error_of(&r).contains("不是本院接受的文件类型"), "{r}");
    assert!(error_of(&r).contains("PDF、OFD、PNG、JPEG 或 DOCX"), "{r}");
    assert_eq!(s.status(&id).0, 404, "a refused upload stays");

    // A name that is only a path is refused when announced, before any byte goes up.
    for name in ["..", ".", "证据/", "  "] {
        let (status, r) = s.announce(name, &text);
        assert_eq!(status, 400, "{name:?}: {r}");
        assert!(error_of(&r).contains("文件名为空"), "{r}");
    }
    // A name the filing would record otherwise — a direction mark, an invisible filler, a
    // leading dot — is refused naming the character, not changed without a word (round 22, F4).
    for (name, says) in [
        ("a\u{202E}gnp.pdf", "U+202E"),
        ("\u{3164}.pdf", "U+3164"),
        ("证据\u{200B}.pdf", "U+200B"),
        (" .pdf", "以点开头（本院将记为「pdf」）"),
        ("证据:附件.pdf", "不能使用的字符"),
    ] {
        let (status, r) = s.announce(name, &text);
        assert_eq!(status, 400, "{name:?}: {r}");
        assert!(error_of(&r).contains(says), "{name:?}: {r}");
        assert!(error_of(&r).contains("请改名后重新选择"), "{r}");
    }
    // A name longer than the filing records (255 bytes) is refused, not cut without a word.
    let long = format!("{}.pdf", "证".repeat(84));
    let (status, r) = s.announce(&long, &text);
    assert_eq!(status, 400, "{r}");
    assert!(error_of(&r).contains("过长（256 字节"), "{r}");

    let doc = pdf("证据");
    let id = s.upload("证据.pdf", &doc[..doc.len() - 10]);
    let (status, r) = s.append(&id, 0, &doc);
    assert_eq!(status, 413, "{r}");
    assert_eq!(s.status(&id).0, 404, "an overlong upload stays");
}

/// Whether `text` holds an English word (three lowercase Latin letters in a row): what a refusal
/// shown to a lawyer must not.
fn has_english_word(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_lowercase())
        .any(|run| run.len() >= 3)
}

/// An announcement sent again under the page's key (its answer was lost) gets the first upload,
/// however often, and holds no second place; the key is the session's own, and a bad one or one
/// reused for another file is refused.
fn announced_again(zhang: &Script<'_>, li: &Script<'_>) {
    let doc = pdf("答辩状");
    let a = |key: &str, size: usize| serde_json::json!({ "name": "答辩状.pdf", "size": size, "key": key });
    let key = "4f9a7c1e-0b2d-4e8f-9a61-3c5d7e9f1a2b";
    let (status, r) = zhang.json("POST", "/portal/uploads", a(key, doc.len()));
    assert_eq!(status, 201, "{r}");
    let id = json_body(&r)["id"].as_str().unwrap().to_string();
    assert_eq!(zhang.append(&id, 0, &doc[..100]).0, 200);
    // More times than the court's 50 documents: none takes a place of its own.
    for _ in 0..55 {
        let (status, r) = zhang.json("POST", "/portal/uploads", a(key, doc.len()));
        assert_eq!(status, 200, "{r}");
        assert_eq!(json_body(&r)["id"], id.as_str(), "{r}");
        assert_eq!(
            json_body(&r)["offset"],
            100,
            "what the first one holds: {r}"
        );
    }
    let (status, r) = zhang.json("POST", "/portal/uploads", a(key, doc.len() + 1));
    assert_eq!(status, 409, "{r}");
    assert!(error_of(&r).contains("两次登记内容不一致"), "{r}");
    let (status, r) = li.json("POST", "/portal/uploads", a(key, doc.len()));
    assert_eq!(status, 201, "another lawyer's key is theirs: {r}");
    let other = json_body(&r)["id"].as_str().unwrap().to_string();
    assert_ne!(other, id);
    for bad in ["含有中文的标识", &"k".repeat(65), "a b"] {
        let (status, r) = zhang.json("POST", "/portal/uploads", a(bad, doc.len()));
        assert_eq!(status, 400, "{bad}: {r}");
        assert!(error_of(&r).contains("上传请求的标识无效"), "{r}");
    }
    for (s, id) in [(zhang, &id), (li, &other)] {
        let upload = format!("/portal/uploads/{id}");
        assert_eq!(s.browser.script("DELETE", &upload, &s.token(), None).0, 204);
    }
}

/// Another lawyer's upload is nobody's to them; a forged or missing token and another site
/// are refused.
fn people_refused(zhang: &Script<'_>, li: &Script<'_>, id: &str, doc: &[u8]) {
    assert_eq!(li.status(id).0, 404, "another lawyer sees the upload");
    assert_eq!(
        li.append(id, 0, doc).0,
        404,
        "another lawyer writes into it"
    );
    assert_eq!(
        zhang.append_as(&li.csrf, id, 0, doc).0,
        403,
        "a forged token"
    );
    let upload = format!("/portal/uploads/{id}");
    assert_eq!(
        zhang.browser.script("GET", &upload, &[], None).0,
        403,
        "no token"
    );
    let evil = [
        zhang.token()[0].clone(),
        "Origin: https://evil.example".into(),
    ];
    assert_eq!(
        zhang.browser.script("GET", &upload, &evil, None).0,
        403,
        "another site"
    );
    let (status, r) = li.submit(serde_json::json!({
        "request_id": li.request_id, "filing_kind": "EVIDENCE",
        "case_number": "（2026）鄂06民初123号", "title": "证据", "uploads": [id],
    }));
    assert_eq!(status, 409, "another lawyer files the upload: {r}");
    assert_eq!(
        li.browser.script("DELETE", &upload, &li.token(), None).0,
        404
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_wrong_typed_foreign_and_forged_uploads_are_refused_and_nothing_is_filed() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let jars = tempfile::tempdir().unwrap();
    let zhang = signed_in(&w, jars.path(), maildir.path(), ZHANG, 0).await;
    let li_who = (
        "urn:ecenter:lawyer:14201202010000002",
        "14201202010000002",
        "li@chutian-law.cn",
    );
    let li = signed_in(&w, jars.path(), maildir.path(), li_who, 0).await;
    let (zhang, li) = (Script::open(&zhang), Script::open(&li));
    bytes_refused(&zhang);
    announced_again(&zhang, &li);
    let doc = pdf("证据");
    let id = zhang.upload("证据.pdf", &doc);
    people_refused(&zhang, &li, &id, &doc);

    // Filing before the upload is complete, or with a malformed case number: refused, the
    // upload kept for the corrected form.
    let fields = |case: &str| {
        serde_json::json!({
            "request_id": zhang.request_id, "filing_kind": "EVIDENCE", "case_number": case,
            "title": "证据材料", "uploads": [id],
        })
    };
    let (status, r) = zhang.submit(fields("（2026）鄂06民初123号"));
    assert_eq!(status, 409, "{r}");
    assert!(error_of(&r).contains("尚未上传完毕"), "{r}");
    assert_eq!(zhang.append(&id, 0, &doc).0, 200);
    let (status, r) = zhang.submit(fields("鄂06民初"));
    assert_eq!(status, 400, "{r}");
    assert_eq!(
        error_of(&r),
        "材料未能提交，未保存任何内容：案号「鄂06民初」格式有误，应以括号中的收案年度开头；\
         正确格式如「（2026）鄂06民初123号」。请修改后再次提交，已上传的文件仍然保留。",
        "in the hub's Chinese words, not its English ones"
    );
    // Evidence cannot open a new case: the court's policy, checked before the upload is taken.
    let (status, r) = zhang.submit(fields(""));
    assert_eq!(status, 400, "{r}");
    assert!(
        error_of(&r).contains("证据材料须提交到已立案的案件，请填写案号；网上立案请提交起诉状"),
        "{r}"
    );
    assert!(!has_english_word(&error_of(&r)), "{r}");
    // A correction of a filing never returned for correction: refused as the log stands, before
    // the upload is taken.
    let mut correction = fields("（2026）鄂06民初123号");
    correction["corrects_filing_id"] = serde_json::json!("F000000000999");
    let (status, r) = zhang.submit(correction);
    assert_eq!(status, 400, "{r}");
    assert!(
        error_of(&r).contains("补正的收件号「F000000000999」不是您被退回补正的材料"),
        "{r}"
    );
    let (status, r) = zhang.status(&id);
    let held = json_body(&r)["offset"].as_u64();
    assert_eq!((status, held), (200, Some(doc.len() as u64)), "{r}");

    // Of the bytes sent, only the upload kept for the corrected form is on disk.
    let pending = || {
        std::fs::read_dir(w.data_dir().join("blobs/tmp"))
            .unwrap()
            .count()
    };
    assert_eq!(pending(), 1, "refused uploads left their bytes behind");
    // The page's digest differs from what arrived: refused, and the spent upload's bytes gone.
    let mut damaged = fields("（2026）鄂06民初123号");
    damaged["sha256"] = serde_json::json!(["0".repeat(64)]);
    let (status, r) = zhang.submit(damaged);
    assert_eq!(status, 400, "{r}");
    assert!(
        error_of(&r).contains("第 1 份文件「证据.pdf」在传输中损坏：收到内容的 SHA-256 摘要为")
            && error_of(&r).contains("未保存任何内容"),
        "{r}"
    );
    assert!(!error_of(&r).contains("damaged on the way"), "{r}");
    assert_eq!(pending(), 0, "a refused filing left its bytes behind");
    let filed = lawyer_filings(&w).await;
    assert!(filed.is_empty(), "something was filed: {filed:?}");
    w.hub.stop().await;
}
