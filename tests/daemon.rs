//! The ecenterd binary: configuration layering, refusal without TLS, graceful shutdown.

mod common;

use common::*;
use ecenter_proto::v1 as pb;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn ecenterd() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ecenterd"))
}

#[test]
fn configuration_layers_defaults_file_environment_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hub.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:7001\"\ndata_dir = \"/from/file\"\n[limits]\nmax_documents = 7\n[routing]\ndefault_department = \"诉讼服务中心\"\n",
    )
    .unwrap();
    let out = ecenterd()
        .args(["--print-config", "--config"])
        .arg(&file)
        .env("ECENTER_DATA_DIR", "/from/env")
        .args(["--listen", "127.0.0.1:7002"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("listen = \"127.0.0.1:7002\""),
        "flag wins over file: {text}"
    );
    assert!(
        text.contains("data_dir = \"/from/env\""),
        "environment wins over file: {text}"
    );
    assert!(
        text.contains("max_documents = 7"),
        "file wins over defaults: {text}"
    );
    assert!(
        text.contains("max_document_bytes = 104857600"),
        "defaults fill the rest: {text}"
    );
    assert!(text.contains("诉讼服务中心"));

    std::fs::write(&file, "data_dir = \"d\"\nlistn = 1\n").unwrap();
    let out = ecenterd().arg("--config").arg(&file).output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    // The file, the key and its line.
    assert!(
        said.contains("unknown field `listn`") && said.contains("hub.toml"),
        "{said}"
    );
    assert!(said.contains("line 2"), "{said}");
}

#[test]
fn a_configuration_file_reads_its_relative_paths_from_its_own_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    let file = dir.path().join("config/hub.toml");
    std::fs::write(
        &file,
        "data_dir = \"../data\"\n[tls]\ncert = \"../certs/server.pem\"\nkey = \"/abs/server.key\"\nclient_ca = \"ca.pem\"\n",
    )
    .unwrap();
    // Started from elsewhere: the paths are the file's, not the working directory's.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = ecenterd()
        .args(["--print-config", "--config"])
        .arg(&file)
        .current_dir(elsewhere.path())
        .succeeds();
    let text = String::from_utf8(out.stdout).unwrap();
    let config = dir.path().join("config");
    for expected in [
        format!("data_dir = \"{}/../data\"", config.display()),
        format!("cert = \"{}/../certs/server.pem\"", config.display()),
        "key = \"/abs/server.key\"".to_string(),
        format!("client_ca = \"{}/ca.pem\"", config.display()),
    ] {
        assert!(text.contains(&expected), "{expected} in {text}");
    }
    // --dev beside [tls] is refused, naming both; ECENTER_DEV takes 1 and yes.
    let out = ecenterd()
        .arg("--config")
        .arg(&file)
        .arg("--dev")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("[tls]") && said.contains("hub.toml"),
        "{said}"
    );
    for yes in ["1", "yes", "true"] {
        let out = ecenterd()
            .arg("--print-config")
            .env("ECENTER_DEV", yes)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "ECENTER_DEV={yes}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("dev_mode = true"),
            "ECENTER_DEV={yes}"
        );
    }
    let out = ecenterd()
        .arg("--print-config")
        .env("ECENTER_DEV", "0")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("dev_mode = false"));
}

#[test]
fn a_data_directory_that_cannot_be_used_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-directory");
    std::fs::write(&file, b"x").unwrap();
    let data = file.join("data");
    let out = ecenterd()
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let named = format!("the data directory {} cannot be used", data.display());
    assert_eq!(stderr.matches(&named).count(), 1, "{stderr}");
    assert!(stderr.contains("Not a directory"), "{stderr}");
    assert!(!stderr.contains("checkpoint key"), "{stderr}");
}

/// A port another program holds: refused, naming it, before the data directory is touched — no
/// checkpoint key made "on the first start" of a hub that never started (round 20, m12).
#[test]
fn a_busy_port_is_refused_before_the_data_directory_is_made() {
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out = ecenterd()
        .args(["--dev", "--listen", &port, "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot listen on {port}")),
        "{stderr}"
    );
    assert!(!data.exists(), "{stderr}");
}

#[test]
fn without_tls_the_hub_starts_only_in_explicit_development_mode_on_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = ecenterd()
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--dev"));
    let out = ecenterd()
        .args(["--dev", "--listen", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only on loopback"));
}

/// Starts ecenterd in development mode on `data` and returns it with the address it listens on.
fn start_dev_daemon(data: &std::path::Path) -> (std::process::Child, std::net::SocketAddr) {
    let mut child = ecenterd()
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let addr = listening_on(&mut child).parse().unwrap();
    (child, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_upload_in_flight_then_flushes_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, addr) = start_dev_daemon(dir.path());

    let doc = {
        let mut d = pdf("in flight");
        d.resize(4 * 1024 * 1024, b'%');
        d
    };
    let msgs = messages(
        header("req-sigterm-01", CASE, "证据材料", &[("a.pdf", &doc)]),
        &[&doc],
        1024 * 1024,
    );
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let mut lawyer = client(addr, LAWYER_A).await;
    let call = tokio::spawn(async move {
        lawyer
            .submit_filing(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    let mut msgs = msgs.into_iter();
    tx.send(msgs.next().unwrap()).await.unwrap();
    tx.send(msgs.next().unwrap()).await.unwrap();
    // The upload has begun once the hub writes a temporary file.
    let tmp = dir.path().join("blobs/tmp");
    while std::fs::read_dir(&tmp).map_or(true, |mut d| d.next().is_none()) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for m in msgs {
        tx.send(m).await.unwrap();
    }
    drop(tx);
    let receipt = call
        .await
        .unwrap()
        .expect("the in-flight upload completes")
        .into_inner()
        .receipt
        .unwrap();
    assert_eq!(receipt.documents[0].sha256, sha256_hex(&doc));
    let exit = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "graceful exit, got {exit:?}");

    // The receipt's entry is in the log that the next start verifies.
    let hub = TestHub::start(dir.path()).await;
    let mut court = hub.client(COURT).await;
    let f = court
        .get_filing(pb::GetFilingRequest {
            filing_id: receipt.filing_id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(f.last_event_seq, receipt.log_seq + 1);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_stop_signal_ends_a_hub_still_waiting_for_an_upload() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ecenterd()
        .args(["--dev", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let addr: std::net::SocketAddr = listening_on(&mut child).parse().unwrap();
    // An upload that stops half-way and stays open: the graceful stop would wait for it.
    let doc = pdf("never finished");
    let mut msgs = messages(
        header("req-second-01", CASE, "证据材料", &[("a.pdf", &doc)]),
        &[&doc],
        64,
    )
    .into_iter();
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let mut lawyer = client(addr, LAWYER_A).await;
    let _call = tokio::spawn(async move {
        lawyer
            .submit_filing(tokio_stream::wrappers::ReceiverStream::new(rx))
            .await
    });
    tx.send(msgs.next().unwrap()).await.unwrap();
    tx.send(msgs.next().unwrap()).await.unwrap();
    let tmp = dir.path().join("blobs/tmp");
    while std::fs::read_dir(&tmp).map_or(true, |mut d| d.next().is_none()) {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let interrupt = |pid: u32| {
        assert!(
            Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status()
                .unwrap()
                .success()
        );
    };
    interrupt(child.id());
    // The second signal once the hub has begun its graceful stop.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("shutting down") {
        let mut l = String::new();
        assert!(
            stderr.read_line(&mut l).unwrap() > 0,
            "the hub ended before stopping: {said}"
        );
        said.push_str(&l);
    }
    interrupt(child.id());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let exit = child.wait().unwrap();
    assert_eq!(exit.code(), Some(130), "{said}{rest}");
    assert!(rest.contains("second stop signal"), "{rest}");
    drop(tx);
}
