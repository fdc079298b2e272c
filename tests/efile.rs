//! `efile` as a process against a real hub over mutual TLS: log in, who am I, file documents with a
//! receipt saved, list / status / receipt, the same command again files nothing new, unusable files
//! and bad case numbers refused before anything is sent, and an upload interrupted by killing the
//! hub, finished by the same command once the hub is back — exactly one filing.

mod common;

use common::efile::{Lawyer, text, write};
use common::smtp::free_port;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Checks running `args` again files nothing new, and list, status and receipt show the one filing.
fn refiling_files_nothing_new(lawyer: &Lawyer, args: &[&str], filing_id: &str) {
    // The same command again: the same filing, said so.
    let out = lawyer.run(args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("already filed") && text(&out).contains(filing_id));
    let out = lawyer.run(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let out = lawyer.run(&["list"]);
    assert!(text(&out).contains(filing_id) && text(&out).contains("received"));
    let out = lawyer.run(&["status", filing_id, "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(status["documents"].as_array().unwrap().len(), 2);
    // For scripts: stable codes beside the labels, times with their +08:00 offset.
    assert_eq!(status["state"], "RECEIVED", "{status}");
    assert_eq!(status["state_label"], "received 已收到", "{status}");
    assert_eq!(status["documents"][0]["status"], "PENDING", "{status}");
    for at in [&status["received_at"], &status["updated_at"]] {
        let at = at.as_str().unwrap();
        assert!(at.ends_with("+08:00"), "{status}");
        chrono::DateTime::parse_from_rfc3339(at).unwrap();
    }
    let out = lawyer.run(&["status", filing_id]);
    assert!(text(&out).contains("pending 待审查"), "{}", text(&out));
    let out = lawyer.run(&["receipt", filing_id]);
    assert!(text(&out).contains(filing_id), "{}", text(&out));
}

/// Checks unusable files and a bad case number are refused before anything is sent, and an unknown filing exits 1.
fn unusable_files_and_bad_cases_are_refused(lawyer: &Lawyer, files: &Path, complaint: &Path) {
    // Refused before anything is sent: a text file, an empty file, a bad case number.
    let notes = write(files, "notes.txt", b"just text");
    let empty = write(files, "empty.pdf", b"");
    let out = lawyer.run(&[
        "submit",
        "--case",
        "（2026）鄂06民初123号",
        "--kind",
        "证据材料",
        notes.to_str().unwrap(),
        empty.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out);
    assert!(
        said.contains("notes.txt")
            && said.contains("empty.pdf")
            && said.contains("nothing was sent"),
        "{said}"
    );
    let out = lawyer.run(&[
        "submit",
        "--case",
        "鄂06民初",
        "--kind",
        "证据材料",
        complaint.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "the command line is wrong");
    assert!(text(&out).contains("--case 「鄂06民初」 is not a case number"));
    let out = lawyer.run(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    // Another lawyer's filing, or none: the hub's refusal is passed on, exit 1.
    // Shown in the hub's Chinese words first (its zh-CN LocalizedMessage), then its English.
    let out = lawyer.run(&["status", "F999999999999"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("没有收件号为「F999999999999」的材料") && said.contains("no filing with id"),
        "{said}"
    );
    // A script that asked for JSON reads the refusal as JSON, with the same exit code.
    let out = lawyer.run(&["status", "F999999999999", "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(out.stdout.is_empty(), "{}", text(&out));
    let failure: serde_json::Value =
        serde_json::from_slice(&out.stderr).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    assert_eq!(failure["exit_code"], 1, "{failure}");
    assert_eq!(failure["tool"], "efile", "{failure}");
    let error = failure["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("没有收件号为「F999999999999」的材料"),
        "{failure}"
    );
}

/// Checks a case number whose court code the table lacks is filed, with a warning to the lawyer,
/// and that `status` shows the flag the reviewing court sees.
fn an_unknown_court_code_is_filed_with_a_warning(lawyer: &Lawyer, complaint: &Path) {
    let args = [
        "submit",
        "--case",
        "（2026）鄂99民初5号",
        "--kind",
        "起诉状",
    ];
    let out = lawyer.run(&[&args[..], &[complaint.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", text(&out));
    let warned = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        warned.contains("warning") && warned.contains("「鄂99」"),
        "{warned}"
    );
    let filing_id = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .find(|w| w.starts_with('F') && w.len() > 8)
        .unwrap()
        .to_string();
    let out = lawyer.run(&["status", &filing_id, "--json"]);
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        status["review_flags"][0].as_str().unwrap().contains("鄂99"),
        "{status}"
    );
    let out = lawyer.run(&["status", &filing_id]);
    assert!(text(&out).contains("待核对"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_logs_in_files_checks_and_refiling_the_same_files_files_nothing_new() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();

    // Without a login, every command says what to do.
    let out = lawyer.run(&["list"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("efile login"), "{}", text(&out));

    let out = lawyer.login(hub.addr, pki.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("urn:ecenter:lawyer:14201202010000001"));
    let out = lawyer.run(&["whoami", "--json"]);
    let who: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(who["identity"], "urn:ecenter:lawyer:14201202010000001");

    let files = tempfile::tempdir().unwrap();
    let complaint = write(files.path(), "起诉状.pdf", &pdf("complaint"));
    let evidence = write(files.path(), "证据目录.docx", &docx());
    let args = [
        "submit",
        "--case",
        "(2026)鄂06民初123号",
        "--kind",
        "起诉状",
        complaint.to_str().unwrap(),
        evidence.to_str().unwrap(),
    ];
    let out = lawyer.run(&args);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("签收单") && printed.contains("（2026）鄂06民初123号"),
        "{printed}"
    );
    assert!(
        printed.contains(&sha256_hex(&pdf("complaint"))),
        "{printed}"
    );
    let filing_id = printed
        .split_whitespace()
        .find(|w| w.starts_with('F') && w.len() > 8)
        .unwrap()
        .to_string();
    // Kept per hub: filing ids are each hub's own (outside tests, round 11, F7).
    let hub_dir = hub.addr.to_string().replace(':', "_");
    let saved = lawyer
        .home
        .path()
        .join(format!("data/ecenter/receipts/{hub_dir}/{filing_id}.json"));
    let receipt: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&saved).unwrap()).unwrap();
    assert_eq!(receipt["documents"][1]["name"], "证据目录.docx");

    assert!(!printed.contains("warning"), "{printed}");
    refiling_files_nothing_new(&lawyer, &args, &filing_id);
    unusable_files_and_bad_cases_are_refused(&lawyer, files.path(), &complaint);
    an_unknown_court_code_is_filed_with_a_warning(&lawyer, &complaint);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_cut_by_killing_the_hub_is_finished_by_the_same_command_as_one_filing() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let p = pki.path();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let config = ecenter_server::Config {
        listen: addr,
        data_dir: data.path().to_path_buf(),
        tls: Some(tls_config(p)),
        ..Default::default()
    };
    let config_file = data.path().join("ecenterd.toml");
    std::fs::write(&config_file, toml::to_string(&config).unwrap()).unwrap();
    let hub = start_ecenterd(&config_file);
    let lawyer = Lawyer::new();
    let out = lawyer.login(addr, p);
    assert!(out.status.success(), "{}", text(&out));

    // 90 MiB: long enough to be cut.
    let files = tempfile::tempdir().unwrap();
    let mut big = pdf("large evidence");
    big.resize(90 * 1024 * 1024, b'%');
    let file = write(files.path(), "证据.pdf", &big);
    let upload = lawyer
        .command(&[
            "submit",
            "--case",
            "（2026）鄂06民初123号",
            "--kind",
            "证据材料",
            "--retries",
            "6",
            file.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The hub dies as soon as the document has started to arrive.
    let tmp = data.path().join("blobs/tmp");
    let started = Instant::now();
    while std::fs::read_dir(&tmp).map_or(true, |mut d| d.next().is_none()) {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the upload never began"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    hub.kill();
    // efile retries with the same request id; the hub comes back on the same address.
    std::thread::sleep(Duration::from_millis(1500));
    let hub = start_ecenterd(&config_file);
    let out = upload.wait_with_output().unwrap();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("retrying"),
        "the upload was not interrupted: {said}"
    );

    let out = lawyer.run(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "exactly one filing: {list}"
    );
    assert_eq!(list[0]["documents"][0]["sha256"], sha256_hex(&big));
    hub.kill();
}

/// What a tmux pane running `command` shows once it has printed `until` (at most 60 s). Each call
/// has a tmux server of its own (`-L`): a session started just as the previous one's server exits
/// would otherwise meet "server exited unexpectedly".
fn tmux_screen(session: &str, command: &str, until: &str) -> String {
    tmux_screen_of(160, session, command, until)
}

/// [`tmux_screen`] in a pane `width` columns wide.
fn tmux_screen_of(width: u16, session: &str, command: &str, until: &str) -> String {
    let socket = format!("ecenter-test-{session}-{}", std::process::id());
    let status = Command::new("tmux")
        .args([
            "-L",
            &socket,
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            &width.to_string(),
            "-y",
            "50",
            command,
        ])
        .status()
        .expect("tmux is installed");
    assert!(status.success());
    let started = Instant::now();
    let screen = loop {
        let out = Command::new("tmux")
            .args(["-L", &socket, "capture-pane", "-p", "-t", session])
            .output()
            .unwrap();
        let screen = String::from_utf8_lossy(&out.stdout).into_owned();
        if screen.contains(until) || started.elapsed() > Duration::from_secs(60) {
            break screen;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let _ = Command::new("tmux")
        .args(["-L", &socket, "kill-server"])
        .status();
    screen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_real_terminal_the_progress_bars_and_the_tables_render() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let mut big = pdf("evidence for the terminal");
    big.resize(20 * 1024 * 1024, b'%');
    let file = write(files.path(), "证据材料.pdf", &big);
    let home = lawyer.home.path();
    let env = format!(
        "HOME={h} XDG_CONFIG_HOME={h}/config XDG_DATA_HOME={h}/data",
        h = home.display()
    );
    let efile = env!("CARGO_BIN_EXE_efile");
    let session = format!("efile-{}", std::process::id());
    let screen = tmux_screen(
        &session,
        &format!(
            "env {env} {efile} submit --case '（2026）鄂06民初123号' --kind 证据材料 '{}'; echo DONE; sleep 30",
            file.display()
        ),
        "DONE",
    );
    // The bars, finished, above the receipt: the file's and the total, full, with sizes.
    assert!(screen.contains("total 合计"), "{screen}");
    assert!(screen.contains("证据材料.pdf"), "{screen}");
    assert!(full_bar(&screen, "total 合计"), "{screen}");
    assert!(screen.contains("20.00 MiB/20.00 MiB"), "{screen}");
    assert!(screen.contains("签收单 receipt"), "{screen}");
    // A narrow terminal: each bar on one row of it, as wide as it leaves room for (round 20, m2);
    // with --json, no bars at all, though standard error is the terminal (m1).
    let submit = |flags: &str| {
        format!(
            "env {env} {efile} submit --case '（2026）鄂06民初123号' --kind 证据材料 --title 窄屏{flags} '{}'; echo DONE; sleep 30",
            file.display()
        )
    };
    let narrow = tmux_screen_of(60, &format!("{session}-narrow"), &submit(""), "DONE");
    assert!(full_bar(&narrow, "total 合计"), "{narrow}");
    assert!(
        narrow
            .lines()
            .any(|l| l.starts_with("total 合计") && l.contains("20.00 MiB/20.00 MiB")),
        "{narrow}"
    );
    let json = tmux_screen(&format!("{session}-json"), &submit(" --json"), "DONE");
    assert!(json.contains("\"filing_id\""), "{json}");
    assert!(!json.contains("合计") && !json.contains("MiB"), "{json}");
    let screen = tmux_screen(
        &format!("{session}-list"),
        &format!("env {env} {efile} list; echo DONE; sleep 30"),
        "DONE",
    );
    assert!(
        screen.contains("FILING") && screen.contains("（2026）鄂06民初123号"),
        "{screen}"
    );
    assert!(screen.contains("received 已收到"), "{screen}");
    hub.stop().await;
}

/// Whether the screen's row starting `label` holds a finished bar: `[`, at least five `=`, `]`.
fn full_bar(screen: &str, label: &str) -> bool {
    screen.lines().filter(|l| l.starts_with(label)).any(|l| {
        let inside = l.split_once('[').and_then(|(_, rest)| rest.split_once(']'));
        inside.is_some_and(|(bar, _)| bar.len() >= 5 && bar.chars().all(|c| c == '='))
    })
}

/// Checks `efile fetch` saves the served PDF with its digest and seal checked.
fn fetch_checks_digest_and_seal(lawyer: &Lawyer, pki: &Path, order_id: &str) {
    let saved = tempfile::tempdir().unwrap();
    let out = lawyer.run(&[
        "fetch",
        order_id,
        "--out",
        saved.path().to_str().unwrap(),
        "--intermediate",
        pki.join("seal-ca.pem").to_str().unwrap(),
        "--intermediate",
        pki.join("tsa-ca.pem").to_str().unwrap(),
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let fetched: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fetched["documents"][0]["sha256_ok"], true, "{fetched}");
    assert_eq!(fetched["documents"][0]["seal"], "PASSED", "{fetched}");
    let path = fetched["documents"][0]["path"].as_str().unwrap();
    assert!(std::fs::read(path).unwrap().starts_with(b"%PDF-"));
    // Checked against an anchor that is not the court's: FAILED, saying which check failed
    // (round 20, m16).
    let out = lawyer.run(&[
        "fetch",
        order_id,
        "--out",
        saved.path().join("again").to_str().unwrap(),
        "--trust",
        pki.join("client-ca.pem").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let fetched: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let why = fetched["documents"][0]["seal_failure"]
        .as_str()
        .unwrap_or_default();
    assert!(!why.is_empty() && why.contains(':'), "{fetched}");
}

/// Checks the recipient's trace records the download over gRPC by the lawyer.
async fn the_download_is_in_the_trace(
    court: &mut ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient<
        tonic::transport::Channel,
    >,
    order_id: &str,
) {
    // The download is in the recipient's trace.
    let mut events = court
        .watch_service(ecenter_proto::v1::WatchServiceRequest {
            order_id: order_id.to_string(),
            recipient_id: "R1".into(),
            after_seq: 0,
        })
        .await
        .unwrap()
        .into_inner();
    loop {
        let e = tokio::time::timeout(Duration::from_secs(10), events.message())
            .await
            .expect("the download event")
            .unwrap()
            .unwrap();
        if e.kind == "recipient_acted" && e.detail_json.contains("downloaded") {
            assert!(
                e.detail_json
                    .contains("gRPC urn:ecenter:lawyer:14201202010000001")
            );
            break;
        }
    }
}

/// Checks a clerk may fetch the served document and a court system or another lawyer may not.
async fn fetch_cells_are_enforced(w: &common::service::World, order_id: &str) {
    let pki = w.pki.path();
    // The cells of FetchServedDocument: the recipient (above), a clerk yes, a court system no,
    // another lawyer no — each refusal before anything is read.
    let fetch_as = |stem: &'static str| {
        let order_id = order_id.to_string();
        let addr = w.hub.addr;
        let pki = pki.to_path_buf();
        async move {
            let channel = channel_as(addr, &pki, stem).await;
            ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient::new(channel)
                .fetch_served_document(ecenter_proto::v1::FetchServedDocumentRequest {
                    order_id,
                    recipient_id: "R1".into(),
                    index: 1,
                })
                .await
                .map(drop)
        }
    };
    assert!(fetch_as("clerk-c0001").await.is_ok());
    for stem in ["court-xiangyang-cms", "lawyer-14201202010000002"] {
        let refused = fetch_as(stem).await.unwrap_err();
        assert_eq!(
            refused.code(),
            tonic::Code::PermissionDenied,
            "{stem}: {refused:?}"
        );
    }
}

/// Checks another lawyer's inbox is empty and fetching the order exits 1.
fn another_lawyer_sees_nothing(addr: std::net::SocketAddr, pki: &Path, order_id: &str) {
    // Another lawyer sees nothing and may not fetch it.
    let other = Lawyer::new();
    assert!(
        other
            .login_as(addr, pki, "lawyer-14201202010000002")
            .status
            .success()
    );
    let out = other.run(&["inbox", "--json"]);
    let inbox: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inbox.as_array().unwrap().len(), 0, "{inbox}");
    let out = other.run(&["fetch", order_id]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_served_by_the_court_finds_it_in_the_inbox_and_fetches_with_digests_and_seals_checked()
 {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("mail");
    let smtp = common::smtp::start_aiosmtpd(&maildir);
    let w = common::service::world(smtp.addr.port(), 10).await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let mut served = common::service::recipient(
        "王律师",
        "lawyer@example.cn",
        ecenter_proto::v1::AddressBasis::Confirmed,
    );
    served.identity = "urn:ecenter:lawyer:14201202010000001".into();
    let order = court
        .serve_order(common::service::order("inbox-1", &document, vec![served]))
        .await
        .unwrap()
        .into_inner();
    let pki = w.pki.path();

    let lawyer = Lawyer::new();
    assert!(
        lawyer
            .login_as(w.hub.addr, pki, "lawyer-14201202010000001")
            .status
            .success()
    );
    let out = lawyer.run(&["inbox", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let inbox: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(inbox[0]["order_id"], order.order_id.as_str(), "{inbox}");
    assert_eq!(inbox[0]["case_number"], CASE);
    let ordered = inbox[0]["ordered_at"].as_str().unwrap_or_default();
    assert!(ordered.ends_with("+08:00"), "{inbox}");
    chrono::DateTime::parse_from_rfc3339(ordered).unwrap();

    fetch_checks_digest_and_seal(&lawyer, pki, &order.order_id);
    the_download_is_in_the_trace(&mut court, &order.order_id).await;
    fetch_cells_are_enforced(&w, &order.order_id).await;
    another_lawyer_sees_nothing(w.hub.addr, pki, &order.order_id);
    drop(smtp);
    w.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receipt_that_cannot_be_saved_is_still_shown_with_its_filing_id() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    assert!(lawyer.login(hub.addr, pki.path()).status.success());
    let files = tempfile::tempdir().unwrap();
    let complaint = write(files.path(), "起诉状.pdf", &pdf("complaint"));
    // A file where a directory should be: the receipt's directory cannot be made.
    let blocker = write(files.path(), "not-a-directory", b"x");
    let target = blocker.join("receipt.json");
    let out = lawyer.run(&[
        "submit",
        "--case",
        "（2026）鄂06民初124号",
        "--kind",
        "起诉状",
        "--save-receipt",
        target.to_str().unwrap(),
        complaint.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let list = lawyer.run(&["list", "--json"]);
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    let filing_id = list[0]["filing_id"].as_str().unwrap().to_string();
    let said = text(&out);
    assert!(
        said.contains("签收单")
            && said.contains(&sha256_hex(&pdf("complaint")))
            && said.contains(&format!("filed as {filing_id}"))
            && said.contains("not-a-directory")
            && !said.contains("receipt saved"),
        "{said}"
    );
    hub.stop().await;
    // The hub is down: a file that is not there is still the lawyer's to fix (exit 1, naming
    // it), not "cannot reach the hub" (exit 3) (outside tests, round 17b).
    let missing = files.path().join("没有这个文件.pdf");
    let out = lawyer.run(&[
        "submit",
        "--new-case",
        "--kind",
        "起诉状",
        missing.to_str().unwrap(),
    ]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("没有这个文件.pdf") && said.contains("nothing was sent"),
        "{said}"
    );
}

/// A hub that refuses a revoked certificate closes the connection after the handshake, while
/// efile is already writing: efile must explain (exit 3, the hub's words), never die silently by
/// SIGPIPE in that socket write — which it did about one run in four while it restored SIGPIPE's
/// default disposition for its own output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_the_hub_cuts_for_a_revoked_certificate_is_reported_not_a_silent_death() {
    use std::os::unix::process::ExitStatusExt;
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    let stem = "lawyer-14201202010000002";
    assert!(lawyer.login_as(hub.addr, pki.path(), stem).status.success());
    std::thread::sleep(Duration::from_millis(20)); // a distinct modification time for the CRL
    let cert = pki.path().join(format!("clients/{stem}.pem"));
    ecenter_pki::revoke(pki.path(), &cert).unwrap();
    for _ in 0..12 {
        let out = lawyer.run(&["list"]);
        assert_eq!(out.status.signal(), None, "killed by a signal: {out:?}");
        // A certificate problem, named, with its own exit code: not "the hub is down".
        assert_eq!(out.status.code(), Some(4), "{}", text(&out));
        assert!(
            text(&out).contains("revoked your certificate"),
            "{}",
            text(&out)
        );
    }
    hub.stop().await;
}

/// A CA file that is not the hub's, or a server name the hub's certificate does not carry, is a
/// setting to fix (exit 2, naming --ca and --server-name), not a hub that is down (exit 3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_hub_certificate_names_the_ca_and_the_server_name() {
    let (pki, _data, hub) = tls_world().await;
    let lawyer = Lawyer::new();
    let stem = "lawyer-14201202010000001";
    let addr = hub.addr.to_string();
    let login_at = |at: &str, ca: &str, server_name: &str| {
        lawyer.run(&[
            "login",
            "--hub",
            at,
            "--ca",
            pki.path().join(ca).to_str().unwrap(),
            "--cert",
            pki.path()
                .join(format!("clients/{stem}.pem"))
                .to_str()
                .unwrap(),
            "--key",
            pki.path()
                .join(format!("clients/{stem}.key"))
                .to_str()
                .unwrap(),
            "--server-name",
            server_name,
        ])
    };
    let login = |ca: &str, server_name: &str| login_at(&addr, ca, server_name);
    // A hub named without its port is a setting to fix, not a hub that cannot be reached.
    let out = login_at("localhost", "root-ca.pem", "localhost");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no port"), "{}", text(&out));
    let out = login("seal-ca.pem", "localhost");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("not issued by the CA given") && text(&out).contains("seal-ca.pem"),
        "{}",
        text(&out)
    );
    let out = login("root-ca.pem", "ecenter.elsewhere.example");
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(
        text(&out).contains("issued for another name")
            && text(&out).contains("ecenter.elsewhere.example"),
        "{}",
        text(&out)
    );
    assert!(login("root-ca.pem", "localhost").status.success());
    // A clerk's certificate is not a lawyer's: refused at login, nothing saved.
    let other = Lawyer::new();
    let out = other.login_as(hub.addr, pki.path(), "clerk-c0001");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("not a lawyer's"), "{}", text(&out));
    assert_eq!(other.run(&["list"]).status.code(), Some(2));
    hub.stop().await;
}

/// A key that is not the certificate's — the likeliest mix-up with two files — is named with both
/// files before any connection (exit 2, nothing saved), not "the hub's address or TLS settings:
/// transport error" (round 20, M2).
#[test]
fn a_key_not_of_the_certificate_is_named_at_login() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let lawyer = Lawyer::new();
    let file = |f: &str| pki.path().join(f).to_str().unwrap().to_string();
    let (cert, key) = (
        file("clients/lawyer-14201202010000001.pem"),
        file("clients/clerk-c0001.key"),
    );
    let out = lawyer.run(&[
        "login",
        "--hub",
        "127.0.0.1:9",
        "--ca",
        &file("root-ca.pem"),
        "--cert",
        &cert,
        "--key",
        &key,
    ]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("is not the private key of the certificate")
            && said.contains(&key)
            && said.contains(&cert),
        "{said}"
    );
    assert!(
        !lawyer
            .home
            .path()
            .join("config/ecenter/efile.toml")
            .exists()
    );
}

/// Logging in the wrong way for the hub — certificates to a hub in development mode, a
/// development login to a hub serving TLS — is a setting to change (exit 2) that says which, not
/// "received corrupt message" (exit 3, retry) or "h2 protocol error" (round 20, m3).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_of_the_wrong_kind_for_the_hub_says_which_to_use() {
    let (pki, _data, tls_hub) = tls_world().await;
    let dev_data = tempfile::tempdir().unwrap();
    let dev_hub = TestHub::start(dev_data.path()).await;
    let lawyer = Lawyer::new();
    let out = lawyer.login(dev_hub.addr, pki.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("development mode"), "{}", text(&out));
    let out = lawyer.run(&[
        "login",
        "--hub",
        &tls_hub.addr.to_string(),
        "--dev",
        "--as",
        "urn:ecenter:lawyer:14201202010000001",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("serves TLS"), "{}", text(&out));
    dev_hub.stop().await;
    tls_hub.stop().await;
}
