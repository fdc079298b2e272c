//! The DSN maildir belongs to the MTA (issue: the README's test command failed on a new machine
//! because the hub made the maildir as root and Postfix could not deliver into it). The hub waits
//! for a maildir nobody prepared, and Postfix — the real one, on loopback, from
//! tests/postfix/setup.sh — makes it and delivers the report the hub then reads; a maildir the
//! configured MTA user cannot write stops the hub at start with the path, the owners and the fix.

mod common;

use common::service::*;
use ecenter_proto::v1 as pb;
use ecenter_server::maildir::MaildirOwner;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// Postfix's virtual delivery user in tests/postfix/setup.sh.
const POSTFIX_VIRTUAL_UID: u32 = 5000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dsn_maildir_nobody_made_is_awaited_made_by_postfix_and_then_read() {
    postfix_is_up();
    // The maildir of dsn-awaited@hub.test: Postfix makes it at its first delivery.
    let maildir = Path::new("/var/spool/ecenter-mail/awaited");
    let _ = std::fs::remove_dir_all(maildir);
    let w = world_with(25, 20, |c, _| {
        let smtp = c.smtp.as_mut().unwrap();
        smtp.from = format!("{COURT_NAME} <songda@hub.test>");
        smtp.envelope_from = Some("dsn-awaited@hub.test".into());
        smtp.dsn_maildir = Some(maildir.to_path_buf());
        // Postfix's own reports are evidence (its myhostname, tests/postfix/setup.sh).
        smtp.report_relays = vec!["mta.hub.test".into()];
    })
    .await;
    // Give the reader a few polls: it must not make the directory the MTA owns.
    tokio::time::sleep(std::time::Duration::from_millis(700)).await;
    assert!(!maildir.exists(), "the hub created the MTA's maildir");

    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let tag = unique_tag();
    let address = format!("awaited{tag}@parties.test");
    let ordered = serve_one(
        &court,
        &format!("awaited-{tag}"),
        &document,
        "张三",
        &address,
        pb::AddressBasis::Confirmed,
    )
    .await;
    let order_id = ordered.order_id.clone();
    let r1 = wait_for(&court, &order_id, "the delivered DSN to be recorded", |s| {
        s.effective.is_some()
    })
    .await;
    assert_eq!(r1.effective.unwrap().rule, "reached_confirmed_address");
    for sub in ["", "tmp", "new", "cur"] {
        let owner = std::fs::metadata(maildir.join(sub)).unwrap().uid();
        assert_eq!(
            owner,
            POSTFIX_VIRTUAL_UID,
            "{}/{sub} was not made by Postfix",
            maildir.display()
        );
    }
    let _ = status(&mut court, &order_id, "R1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dsn_maildir_the_mta_user_cannot_write_stops_the_hub_naming_path_owners_and_fix() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    // What the hub of the failed run left: a maildir made by the hub's own user, mode 0755.
    let spool = tempfile::tempdir().unwrap();
    let maildir = spool.path().join("hub");
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for dir in [
        maildir.clone(),
        maildir.join("tmp"),
        maildir.join("new"),
        maildir.join("cur"),
    ] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mine = std::fs::metadata(&maildir).unwrap();
    let (uid, gid) = (mine.uid() + 5000, mine.gid() + 5000);
    let mut service = service_config(keys.path(), pki.path(), 25, 20);
    let smtp = service.smtp.as_mut().unwrap();
    smtp.dsn_maildir = Some(maildir.clone());
    // Postfix's own reports are evidence (its myhostname, tests/postfix/setup.sh).
    smtp.report_relays = vec!["mta.hub.test".into()];
    smtp.dsn_maildir_owner = Some(MaildirOwner {
        uid,
        gid,
        mode: 0o700,
    });
    let config = ecenter_server::Config {
        dev_mode: true,
        data_dir: data.path().to_path_buf(),
        seals: Some(common::seal_config(pki.path())),
        service: Some(service),
        ..ecenter_server::Config::default()
    };
    let refused = match ecenter_server::Hub::open(config, "127.0.0.1:0".parse().unwrap()) {
        Ok(_) => panic!("a hub started on a maildir its MTA cannot write"),
        Err(e) => e.to_string(),
    };
    let path = maildir.display().to_string();
    assert!(refused.contains(&path), "{refused}");
    assert!(refused.contains("dsn_maildir"), "{refused}");
    assert!(
        refused.contains(&format!(
            "owned by {}:{} with mode 0755",
            mine.uid(),
            mine.gid()
        )),
        "{refused}"
    );
    assert!(
        refused.contains(&format!("delivers as {uid}:{gid}")),
        "{refused}"
    );
    assert!(
        refused.contains(&format!("chown -R {uid}:{gid} {path}")),
        "{refused}"
    );
}
