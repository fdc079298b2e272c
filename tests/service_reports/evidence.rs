//! The evidence behind a proof of service: every version of the proof, and the copy the hub keeps
//! of each delivery report (round 15, F5–F7).

use super::*;

/// Every version of the proof stays fetchable by its number, the first names Postfix's report
/// behind the reach, and `clerk proof --version` and `clerk export` write the earlier versions and
/// the copy of every report kept (round 15, F5–F7).
pub(super) async fn every_version_and_every_report_is_kept_and_exported(
    w: &World,
    court: &Service,
    order_id: &str,
    v1: &pb::ProofOfService,
) {
    let mut c = court.clone();
    let ask = |version| pb::ProofRequest {
        order_id: order_id.to_string(),
        recipient_id: "R1".into(),
        version,
    };
    let newest = c.get_proof(ask(0)).await.unwrap().into_inner();
    assert!(
        newest.version >= 3 && newest.versions == newest.version,
        "{newest:?}"
    );
    let first = c.get_proof(ask(1)).await.unwrap().into_inner();
    assert_eq!((first.version, first.versions), (1, newest.version));
    assert_eq!(
        first.document, v1.document,
        "version 1 is not the proof first issued"
    );
    let beyond = c.get_proof(ask(newest.version + 1)).await.unwrap_err();
    assert_eq!(beyond.code(), tonic::Code::NotFound, "{beyond:?}");
    let versions = format!("versions 1 to {}", newest.version);
    assert!(beyond.message().contains(&versions), "{}", beyond.message());
    let counted = the_reach_names_its_report(&first);

    let status = status(&mut c, order_id, "R1").await;
    // Postfix's report, and the two forged bounces (one accepted, one rejected).
    let counts: Vec<bool> = status.reports.iter().map(|r| r.counted).collect();
    assert_eq!(
        counts.iter().filter(|c| **c).count(),
        2,
        "{:?}",
        status.reports
    );
    assert_eq!(counts.len(), 3, "{:?}", status.reports);
    assert!(
        status
            .reports
            .iter()
            .any(|r| r.kept_sha256 == counted["kept_sha256"])
    );
    the_clerk_saves_and_exports_every_version_and_report(w, order_id, (&newest, v1), &status);
}

/// The reach of `proof` names the report it rests on (Postfix's, with the time it stated and
/// its copy kept); returns that report as the proof lists it.
fn the_reach_names_its_report(proof: &pb::ProofOfService) -> serde_json::Value {
    let doc: serde_json::Value = serde_json::from_slice(&proof.document).unwrap();
    let events = doc["events"].as_array().unwrap();
    let reach = events
        .iter()
        .find(|e| e["event"] == "到达受送达人系统")
        .unwrap();
    assert_eq!(reach["report"]["relay"], "mta.hub.test", "{reach}");
    let basis = reach["report"]["time_basis"].as_str();
    assert!(basis.is_some_and(|b| !b.is_empty()), "{reach}");
    let counted = doc["delivery_reports"][0].clone();
    assert_eq!(counted["report_id"], reach["report"]["report_id"], "{doc}");
    assert!(counted["stated_at"]["utc"].is_string(), "{counted}");
    counted
}

/// `clerk proof --version 1` saves the first version beside the newest (0, the newest), and
/// `clerk export` writes every version — OpenSSL verifies each earlier one — and the copy of
/// every report, which Python's e-mail package reads.
fn the_clerk_saves_and_exports_every_version_and_report(
    w: &World,
    order_id: &str,
    (newest, v1): (&pb::ProofOfService, &pb::ProofOfService),
    status: &pb::RecipientStatus,
) {
    let export = tempfile::tempdir().unwrap();
    let saved = export.path().join("saved");
    let saved_arg = saved.to_str().unwrap();
    let out = run_clerk(
        &[
            "proof",
            order_id,
            "R1",
            "--version",
            "1",
            "--out",
            saved_arg,
        ],
        Some(w),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v1_file = saved.join(format!("{order_id}-R1.v1.json"));
    assert_eq!(std::fs::read(&v1_file).unwrap(), v1.document);
    // 0, as over gRPC, or no --version: the newest, which withdraws the service and says so.
    let out = run_clerk(
        &[
            "proof",
            order_id,
            "R1",
            "--version",
            "0",
            "--out",
            saved_arg,
        ],
        Some(w),
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{shown}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let newest_file = saved.join(format!("{order_id}-R1.json"));
    assert_eq!(std::fs::read(&newest_file).unwrap(), newest.document);
    assert!(shown.contains("送达未生效：本版撤回第 1、"), "{shown}");

    let dir = export.path().join("case");
    let out = run_clerk(
        &[
            "export",
            "--case",
            common::CASE,
            "--out",
            dir.to_str().unwrap(),
        ],
        Some(w),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let stem = format!("proofs/{order_id}-R1");
    assert_eq!(read(&format!("{stem}.json")), newest.document);
    for v in 1..newest.version {
        let document = read(&format!("{stem}.v{v}.json"));
        let signature = read(&format!("{stem}.v{v}.p7s"));
        assert!(
            openssl_verifies(w.pki.path(), &document, &signature),
            "version {v}"
        );
    }
    for r in &status.reports {
        let name = format!("reports/{order_id}-R1/{}.eml", r.kept_sha256);
        assert_eq!(common::sha256_hex(&read(&name)), r.kept_sha256, "{name}");
        let parts = python_mime_parts(&dir.join(&name));
        // Postfix's own report is RFC 3464's multipart/report, its status part included.
        if r.relay == "mta.hub.test" && r.counted {
            assert!(parts.contains("message/delivery-status"), "{name}: {parts}");
        }
    }
    a_re_signed_export_hiding_the_newest_version_is_refused(w, &dir, order_id);
    the_export_verifies_offline_and_any_change_to_it_is_named(w, &dir, order_id, status);
}

/// A clerk who drops the newest proof version, puts the one before in its place and re-signs the
/// manifest with their own key (OpenSSL) gets an export whose signature and files pass, but
/// `verify-export` still refuses it: the log entries name the version hidden.
fn a_re_signed_export_hiding_the_newest_version_is_refused(w: &World, dir: &Path, order_id: &str) {
    let copy = dir.with_file_name("re-signed");
    std::process::Command::new("cp")
        .args(["-a"])
        .arg(dir)
        .arg(&copy)
        .succeeds();
    let stem = copy.join(format!("proofs/{order_id}-R1"));
    let newest = (1..)
        .take_while(|v| stem.with_extension(format!("v{v}.json")).exists())
        .last()
        .unwrap()
        + 1;
    for ext in ["json", "p7s"] {
        let earlier = stem.with_extension(format!("v{}.{ext}", newest - 1));
        std::fs::rename(earlier, stem.with_extension(ext)).unwrap();
    }
    re_sign_as_the_clerk(w, &copy);
    let out = run_clerk_trusting(
        &["verify-export", copy.to_str().unwrap(), "--json"],
        w.pki.path(),
        None,
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    let status = |name: &str| {
        let check = report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap();
        (
            check["status"].as_str().unwrap().to_string(),
            check["detail"].as_str().unwrap().to_string(),
        )
    };
    assert_eq!(status("manifest_signature").0, "PASSED", "{report}");
    assert_eq!(status("files").0, "PASSED", "{report}");
    let (bound, why) = status("bound_to_log");
    assert!(bound.starts_with("FAILED"), "{report}");
    let moved = format!(
        "proof version {} of {order_id}-R1, named in the log, is missing",
        newest - 1
    );
    let replaced = format!("not proof version {newest} of {order_id}-R1 as the log names it");
    assert!(why.contains(&moved) && why.contains(&replaced), "{why}");
}

/// Lists what `dir` holds in its manifest and signs it with the clerk's login key, as a clerk
/// could by hand (OpenSSL, CAdES).
fn re_sign_as_the_clerk(w: &World, dir: &Path) {
    let manifest_path = dir.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(d).unwrap() {
            let path = entry.unwrap().path();
            let name = path
                .strip_prefix(dir)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            if path.is_dir() {
                pending.push(path);
            } else if !name.starts_with("manifest.") {
                let data = std::fs::read(&path).unwrap();
                files.push(serde_json::json!({"path": name, "size": data.len(), "sha256": common::sha256_hex(&data)}));
            }
        }
    }
    manifest["files"] = files.into();
    std::fs::write(
        &manifest_path,
        serde_json::to_vec_pretty(&manifest).unwrap(),
    )
    .unwrap();
    let clients = w.pki.path().join("clients");
    std::process::Command::new("openssl")
        .args([
            "cms", "-sign", "-binary", "-cades", "-md", "sha256", "-outform", "DER",
        ])
        .arg("-in")
        .arg(&manifest_path)
        .arg("-signer")
        .arg(clients.join("clerk-c0001.pem"))
        .arg("-inkey")
        .arg(clients.join("clerk-c0001.key"))
        .arg("-certfile")
        .arg(w.pki.path().join("client-ca.pem"))
        .arg("-out")
        .arg(dir.join("manifest.p7s"))
        .succeeds();
}

/// `clerk verify-export` passes the export as written, and fails it — naming the file — once a
/// report copy is changed, a file is slipped in or a log entry is altered.
fn the_export_verifies_offline_and_any_change_to_it_is_named(
    w: &World,
    dir: &Path,
    order_id: &str,
    status: &pb::RecipientStatus,
) {
    let verify = |json: bool| {
        let mut args = vec!["verify-export", dir.to_str().unwrap()];
        args.extend(json.then_some("--json"));
        run_clerk_trusting(&args, w.pki.path(), None)
    };
    let out = verify(true);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert_eq!(report["indication"], "PASSED", "{report}");
    let names: Vec<&str> = (report["checks"].as_array().unwrap().iter())
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in [
        "manifest_signature",
        "files",
        "log_entries",
        "proof",
        "report",
    ] {
        assert!(names.contains(&name), "{report}");
    }
    assert!(
        report["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("clerk"),
        "{report}"
    );

    // A byte of a report copy changed, a file slipped in, a log entry altered: each named.
    let copy = format!(
        "reports/{order_id}-R1/{}.eml",
        status.reports[0].kept_sha256
    );
    let mut bytes = std::fs::read(dir.join(&copy)).unwrap();
    bytes[0] ^= 1;
    std::fs::write(dir.join(&copy), bytes).unwrap();
    std::fs::write(dir.join("proofs/extra.json"), b"{}").unwrap();
    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let mut lines: Vec<String> = events.lines().map(String::from).collect();
    let mut first: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    first["body"] = first["body"]
        .as_str()
        .unwrap()
        .replacen("2026", "2025", 1)
        .into();
    lines[0] = first.to_string();
    std::fs::write(dir.join("events.jsonl"), lines.join("\n") + "\n").unwrap();
    let out = verify(false);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("FAILED"), "{said}");
    // When it was exported, in Beijing time as every clerk table shows times (round 20, m7).
    assert!(
        said.contains(" · exported 20") && said.contains("(Beijing time)"),
        "{said}"
    );
    for named in [
        copy.as_str(),
        "proofs/extra.json: in the directory but not in the signed manifest",
        "does not hash to",
    ] {
        assert!(said.contains(named), "{named} is not named in\n{said}");
    }
    // The manifest itself changed: its signature no longer holds.
    let manifest = std::fs::read_to_string(dir.join("manifest.json")).unwrap();
    let changed = manifest.replacen("\"deliveries\": ", "\"deliveries\": 1", 1);
    assert_ne!(manifest, changed);
    std::fs::write(dir.join("manifest.json"), changed).unwrap();
    let report: serde_json::Value = serde_json::from_slice(&verify(true).stdout).unwrap();
    let signature = &report["checks"][0];
    assert_eq!(signature["name"], "manifest_signature", "{report}");
    assert!(
        signature["status"].as_str().unwrap().starts_with("FAILED"),
        "{report}"
    );
    a_manifest_that_is_no_json_fails_the_export(w, dir, manifest);
}

/// The manifest changed into something that is not JSON: an export that does not verify (exit
/// 1, the manifest named), not a usage error (round 20, m4).
fn a_manifest_that_is_no_json_fails_the_export(w: &World, dir: &Path, manifest: String) {
    std::fs::write(dir.join("manifest.json"), manifest + "\n}").unwrap();
    let args = ["verify-export", dir.to_str().unwrap(), "--json"];
    let out = run_clerk_trusting(&args, w.pki.path(), None);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1), "{report}");
    let checks = report["checks"].to_string();
    assert!(checks.contains("manifest.json is not JSON"), "{report}");
}

/// The MIME types of the parts of the message in `file`, as Python's e-mail package reads them.
fn python_mime_parts(file: &Path) -> String {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import email,sys; m=email.message_from_bytes(open(sys.argv[1],'rb').read()); print(' '.join(p.get_content_type() for p in m.walk()))",
        ])
        .arg(file)
        .succeeds();
    String::from_utf8(out.stdout).unwrap()
}

/// A recipient link's form: its token is a credential, kept out of everything clerks read.
pub(super) const LIVE_LINK: &str =
    "https://songda.hub.test/s/O000000000001.R1.1796601600.k3JfY9xQ2mZpA7bC4dE5";

/// The hub keeps one copy of the bounce (`quoting`, delivered twice), listed on the recipient's
/// status and returned by `GetDeliveryReport`: the bounce's words as they came, the live link in
/// the quoted notice replaced by its mark, and the digest of the bounce as it arrived beside it.
/// The notice's text with its live link as a relay copies a notice raw: base64 lines of 76.
pub(super) fn notice_in_base64() -> String {
    use base64::Engine;
    let text = format!("湖北省襄阳市中级人民法院向您送达文书，请点击链接查看：{LIVE_LINK}\r\n");
    let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    (encoded.as_bytes().chunks(76))
        .map(|c| format!("{}\r\n", std::str::from_utf8(c).unwrap()))
        .collect()
}

pub(super) async fn the_copy_kept_holds_the_bounces_words_without_the_live_link(
    court: &Service,
    s: &pb::RecipientStatus,
    quoting: &str,
) {
    let token = LIVE_LINK.rsplit('/').next().unwrap();
    assert_eq!(s.reports.len(), 1, "{:?}", s.reports);
    let listed = &s.reports[0];
    assert!(!listed.counted && listed.relay.is_empty(), "{listed:?}");
    assert_eq!(
        listed.received_sha256,
        common::sha256_hex(quoting.as_bytes())
    );
    assert!(
        !s.unverified[0].detail.contains(token),
        "{:?}",
        s.unverified[0]
    );
    let copy = court
        .clone()
        .get_delivery_report(pb::DeliveryReportRequest {
            order_id: s.order_id.clone(),
            recipient_id: "R1".into(),
            kept_sha256: listed.kept_sha256.clone(),
        })
        .await
        .unwrap()
        .into_inner()
        .message;
    assert_eq!(common::sha256_hex(&copy), listed.kept_sha256);
    let text = String::from_utf8(copy).unwrap();
    assert!(!text.contains(token), "{text}");
    // The notice copied raw in base64 is cut, in the copy and in what the clerks read.
    let first_line = notice_in_base64().lines().next().unwrap().to_string();
    assert!(
        !text.contains(&first_line) && text.contains(ecenter_delivery::link::BASE64_CUT),
        "{text}"
    );
    assert!(
        !s.unverified[0].detail.contains(&first_line[..40]),
        "{:?}",
        s.unverified[0]
    );
    assert!(
        text.contains("Sorry, no mailbox here by that name."),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "请点击链接查看：https://songda.hub.test/s/{}",
            ecenter_delivery::link::REDACTED
        )),
        "{text}"
    );
    // A digest the recipient's status does not list is no report of it.
    let unknown = court
        .clone()
        .get_delivery_report(pb::DeliveryReportRequest {
            order_id: s.order_id.clone(),
            recipient_id: "R1".into(),
            kept_sha256: listed.received_sha256.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound, "{unknown:?}");
    assert!(
        unknown.message().contains("reports[].kept_sha256"),
        "{}",
        unknown.message()
    );
}
