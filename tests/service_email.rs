//! Electronic service by e-mail, end to end against real peers on loopback: a court system orders
//! service over mutual TLS (tonic), the hub's outbox sends the notice to a real SMTP server
//! (aiosmtpd), a real HTTP client (curl) opens the recipient's link over HTTPS and confirms reading,
//! and the sealed proof of service verifies offline with `openssl cms` and our own verifier.

mod common;

use common::service::*;
use common::smtp::{SmtpServer, free_port, received, start_aiosmtpd, start_aiosmtpd_on};
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient;
use std::time::Duration;

/// The service-of-process client of the hub's tests.
type Service = ServiceOfProcessClient<tonic::transport::Channel>;

/// Checks the notice e-mail and the recorded attempt; returns the link and the sent status.
async fn the_notice_arrives_and_is_recorded(
    court: &Service,
    maildir: &std::path::Path,
    order_id: &str,
) -> (String, pb::RecipientStatus) {
    let mail = until(30, "the notice e-mail", || async {
        received(maildir).into_iter().next()
    })
    .await;
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .contains("（2026）鄂06民初123号")
    );
    let body = mail["body"].as_str().unwrap().to_string();
    assert!(
        body.contains("张三") && body.contains("民事判决书"),
        "{body}"
    );
    let message_id = mail["message_id"].as_str().unwrap();
    assert!(
        message_id.starts_with(&format!("<{order_id}.R1.email."))
            && message_id.ends_with("@localhost>"),
        "{message_id}"
    );
    let link = link_in(&body);
    let sent = wait_for(
        court,
        order_id,
        "the attempt to be recorded as accepted",
        |s| s.attempts.first().is_some_and(|a| a.sent_at.is_some()),
    )
    .await;
    assert_eq!(sent.state, pb::RecipientState::Awaiting as i32);
    // The court system is shown the notice with its link named by a hash, never the live token.
    let sent_text = body.replace("\r\n", "\n").trim_end().to_string() + "\n";
    assert_eq!(
        sent.attempts[0].body,
        ecenter_delivery::link::redact_tokens(&sent_text)
    );
    assert!(
        !sent.attempts[0]
            .body
            .contains(link.rsplit('/').next().unwrap())
    );
    (link, sent)
}

/// Checks that opening the page and downloading is not reading; returns page and document SHA-256.
async fn opening_the_page_is_not_reading(
    w: &World,
    court: &mut Service,
    order_id: &str,
    link: &str,
) -> (String, String) {
    let (code, page) = w.curl(&[link]);
    assert_eq!(code, 200, "{page}");
    let summary = court
        .get_order(pb::GetOrderRequest {
            order_id: order_id.to_string(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(page.contains(&summary.documents[0].sha256), "{page}");
    assert!(page.contains("确认已阅读"));
    let s = status(court, order_id, "R1").await;
    // Through the e-mail's link: the fact names the channel whose notice carried it.
    let email = pb::ServiceChannel::Email as i32;
    assert!(
        (s.facts.iter()).any(|f| f.kind == "fetched" && f.channel == email),
        "{:?}",
        s.facts
    );
    assert!(s.effective.is_none(), "a GET alone never counts as read");

    // The document downloads with the bytes the page promised.
    let (code, headers) = w.curl(&["-D", "-", "-o", "/dev/null", &format!("{link}/d/1")]);
    // The ASCII file name keeps the extension (a browser without RFC 5987 still saves a .pdf).
    assert!(headers.contains("filename=\"document-1.pdf\""), "{headers}");
    assert_eq!(code, 200);
    // One path per document (round 22, F5): variants a number parser also reads as 1 are no
    // document (404, answered before anything is recorded).
    for variant in ["01", "+1", "1.0"] {
        let (code, _) = w.curl(&["-o", "/dev/null", &format!("{link}/d/{variant}")]);
        assert_eq!(code, 404, "/d/{variant}");
    }
    (page, summary.documents[0].sha256.clone())
}

/// Checks that confirming reading makes service effective and replayed or forged forms are refused.
async fn confirming_reading_makes_service_effective(
    w: &World,
    court: &mut Service,
    order_id: &str,
    link: &str,
    page: &str,
) {
    let form = form_in(page);
    let confirm = format!("{link}/confirm");
    let (code, answer) = w.curl(&["-d", &format!("form={form}"), &confirm]);
    assert_eq!(code, 200, "{answer}");
    let (code, answer) = w.curl(&["-d", &format!("form={form}"), &confirm]);
    assert_eq!(code, 409, "a replayed confirmation is refused: {answer}");
    let (code, _) = w.curl(&["-d", "form=made-up", &confirm]);
    assert_eq!(code, 409, "a forged form is refused");
    let s = status(court, order_id, "R1").await;
    let effective = s
        .effective
        .clone()
        .expect("effective after the confirmation");
    assert_eq!(effective.rule, "recipient_confirmed_reading");
    assert!(effective.rule_text.contains("第31条"));
    assert_eq!(
        s.facts
            .iter()
            .filter(|f| f.kind == "confirmed_reading")
            .count(),
        1
    );
}

/// Checks that forged, altered, expired and never-sent links get a clear page and record nothing.
async fn bad_links_record_nothing(w: &World, court: &mut Service, order_id: &str, link: &str) {
    let before = status(court, order_id, "R1").await.facts.len();
    let (token_part, _) = link.rsplit_once('/').unwrap();
    let token = link.rsplit('/').next().unwrap();
    let mut altered = token.to_string();
    let flip = if altered.ends_with('A') { "B" } else { "A" };
    altered.replace_range(altered.len() - 1.., flip);
    let (code, page) = w.curl(&[&format!("{token_part}/{altered}")]);
    assert_eq!(code, 403, "{page}");
    assert!(page.contains("链接无效"));
    let signer = ecenter_delivery::link::LinkSigner::new(LINK_KEY).unwrap();
    let expired = signer.issue(order_id, "R1", 1_000_000);
    let (code, page) = w.curl(&[&format!("{token_part}/{expired}")]);
    assert_eq!(code, 410);
    assert!(page.contains("链接已过期"));
    // Signed with the right key but never sent: refused too.
    let never_sent = signer.issue(order_id, "R1", 4_000_000_000);
    let (code, _) = w.curl(&[&format!("{token_part}/{never_sent}")]);
    assert_eq!(code, 403);
    let (code, _) = w.curl(&[&format!("{token_part}/not-a-token")]);
    assert_eq!(code, 400);
    assert_eq!(status(court, order_id, "R1").await.facts.len(), before);
}

/// Checks that the proof says what happened and verifies offline with openssl and our verifier.
async fn the_proof_is_sealed_and_verifies_offline(
    w: &World,
    clerk: &Service,
    order_id: &str,
    document_sha256: &str,
    sent_body: &str,
) {
    let proof = proof_when_issued(clerk, order_id, "R1").await;
    let json: serde_json::Value = serde_json::from_slice(&proof.document).unwrap();
    assert_eq!(json["title"], "电子送达凭证");
    assert_eq!(json["case_number"], CASE);
    assert_eq!(json["recipient"]["name"], "张三");
    assert_eq!(json["documents"][0]["sha256"], document_sha256);
    assert_eq!(json["effective"]["rule"], "recipient_confirmed_reading");
    // The confirmation's source: the link came in the e-mail notice, from curl on loopback.
    assert_eq!(json["effective"]["channel"], "电子邮件");
    assert_eq!(json["confirmations"][0]["link_from"], "电子邮件");
    let client = json["confirmations"][0]["client"].as_str().unwrap();
    assert!(
        client.contains("127.0.0.1") && client.contains("curl"),
        "{client}"
    );
    assert_eq!(json["channels"][0]["text"], sent_body);
    assert!(
        json["effective"]["at"]["beijing"]
            .as_str()
            .unwrap()
            .contains("北京时间")
    );

    assert!(openssl_verifies(
        w.pki.path(),
        &proof.document,
        &proof.signature
    ));
    let mut changed = proof.document.clone();
    let at = changed.len() / 2;
    changed[at] ^= 1;
    assert!(
        !openssl_verifies(w.pki.path(), &changed, &proof.signature),
        "a changed proof must not verify"
    );

    let trust = common::pdf::trust(w.pki.path());
    let checks = ecenter_seal::cades::verify_detached(
        &proof.signature,
        &[&proof.document],
        &trust,
        (std::time::SystemTime::now(), std::time::SystemTime::now()),
    )
    .checks;
    for c in &checks {
        assert!(
            c.status == ecenter_seal::CheckStatus::Passed,
            "{} {:?} {}",
            c.name,
            c.status,
            c.detail
        );
    }
    assert!(
        checks.iter().any(|c| c.name.contains("timestamp")),
        "{checks:?}"
    );
}

/// Checks that the watcher saw the whole story, in order, up to the proof.
async fn the_watcher_saw_the_whole_story(watch: &mut tonic::Streaming<pb::ServiceEvent>) {
    let mut kinds = Vec::new();
    while !kinds.iter().any(|k| k == "proof_issued") {
        let e = tokio::time::timeout(Duration::from_secs(10), watch.message())
            .await
            .expect("watch events")
            .unwrap()
            .unwrap();
        kinds.push(e.kind);
    }
    assert_eq!(kinds[0], "service_ordered");
    for k in ["notice_sending", "notice_result", "recipient_acted"] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
}

/// Checks that the same order request twice is one order; returns its id.
async fn ordering_twice_is_one_order(court: &Service, document: &str) -> String {
    let serve = || {
        let basis = pb::AddressBasis::Discovered;
        serve_one(
            court,
            "order-1",
            document,
            "张三",
            "zhangsan@example.cn",
            basis,
        )
    };
    let ordered = serve().await;
    assert_eq!(ordered.recipients[0].recipient_id, "R1");
    let order_id = ordered.order_id.clone();
    // The same request again is the same order, not a second service.
    let again = serve().await;
    assert_eq!(again.order_id, order_id);
    order_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_is_sent_opened_confirmed_and_proven_with_a_proof_that_verifies_offline() {
    let maildir_holder = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir_holder.path());
    let w = world(smtp.addr.port(), 10).await;
    let maildir = maildir_holder.path();
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let mut clerk = w.service("clerk-c0001").await;

    // A recipient whose address the court found: only a confirmation completes service.
    let order_id = ordering_twice_is_one_order(&court, &document).await;

    let mut watch = clerk
        .watch_service(pb::WatchServiceRequest {
            order_id: order_id.clone(),
            recipient_id: String::new(),
            after_seq: 0,
        })
        .await
        .unwrap()
        .into_inner();

    // The notice arrives at the real SMTP server, in Chinese, with the link and the outbox's id.
    let (link, sent) = the_notice_arrives_and_is_recorded(&court, maildir, &order_id).await;

    // Opening the page lists the sealed document with its digest, and is not reading.
    let (page, document_sha256) =
        opening_the_page_is_not_reading(&w, &mut court, &order_id, &link).await;

    // Confirming reading makes service effective under art. 31 para. 2; a replayed POST is refused.
    confirming_reading_makes_service_effective(&w, &mut court, &order_id, &link, &page).await;

    // Forged, altered and expired links get a clear page and record nothing.
    bad_links_record_nothing(&w, &mut court, &order_id, &link).await;

    // The proof of service: sealed, timestamped, and verifiable offline.
    the_proof_is_sealed_and_verifies_offline(
        &w,
        &clerk,
        &order_id,
        &document_sha256,
        &sent.attempts[0].body,
    )
    .await;

    // The watcher saw the whole story in order.
    the_watcher_saw_the_whole_story(&mut watch).await;
    drop(smtp);
    w.hub.stop().await;
}

fn accepted(s: &pb::RecipientStatus) -> bool {
    s.attempts.first().is_some_and(|a| a.sent_at.is_some())
}

/// How many messages the relay stored for addresses containing `local`.
fn stored_for(maildir: &std::path::Path, local: &str) -> usize {
    received(maildir)
        .iter()
        .filter(|m| m["to"].as_str().unwrap_or("").contains(local))
        .count()
}

/// Checks that a 451 is retried and accepted, and that a per-recipient watch shows both attempts.
async fn a_4xx_is_retried_and_watched(court: &Service, clerk: &mut Service, document: &str) {
    let flaky = serve_one(
        court,
        "flaky",
        document,
        "王五",
        "flaky@example.cn",
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = wait_for(court, &flaky.order_id, "the retry to be accepted", accepted).await;
    assert_eq!(s.attempts[0].attempts, 2, "{s:?}");
    // Watched per recipient: the order, then R1's two attempts and their outcomes, in log order.
    let mut watch = clerk
        .watch_service(pb::WatchServiceRequest {
            order_id: flaky.order_id.clone(),
            recipient_id: "R1".into(),
            after_seq: 0,
        })
        .await
        .unwrap()
        .into_inner();
    let mut seen = Vec::new();
    while seen.len() < 5 {
        let e = tokio::time::timeout(Duration::from_secs(10), watch.message())
            .await
            .expect("watch events")
            .unwrap()
            .unwrap();
        assert!(e.recipient_id.is_empty() || e.recipient_id == "R1", "{e:?}");
        seen.push(e.kind);
    }
    assert_eq!(
        seen,
        [
            "service_ordered",
            "notice_sending",
            "notice_result",
            "notice_sending",
            "notice_result"
        ]
    );
    assert!(s.dead_letters.is_empty());
}

/// Checks that a connection cut at DATA is temporary: sent again and stored once.
async fn a_cut_connection_is_sent_again_and_stored_once(
    court: &Service,
    document: &str,
    maildir: &std::path::Path,
) {
    let dropped = serve_one(
        court,
        "dropped",
        document,
        "钱八",
        "drop-once@example.cn",
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = wait_for(
        court,
        &dropped.order_id,
        "the send after the cut connection",
        accepted,
    )
    .await;
    assert!(s.dead_letters.is_empty());
    assert_eq!(stored_for(maildir, "drop-once@"), 1);
}

/// The action on R1's e-mail dead letter of `order_id`, with the clerk's `note`.
fn email_dead_letter(order_id: &str, note: &str) -> pb::DeadLetterAction {
    pb::DeadLetterAction {
        order_id: order_id.into(),
        recipient_id: "R1".into(),
        channel: pb::ServiceChannel::Email as i32,
        note: note.into(),
    }
}

/// Checks that a 550 5.7.1 makes a listed dead letter that a clerk's retry sends.
async fn a_policy_rejection_waits_for_a_clerks_retry(
    court: &Service,
    clerk: &mut Service,
    document: &str,
) {
    let rejected = serve_one(
        court,
        "reject",
        document,
        "赵六",
        "reject-once@example.cn",
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = wait_for(court, &rejected.order_id, "the dead letter", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    assert_eq!(s.state, pb::RecipientState::Unserved as i32);
    assert!(s.dead_letters[0].reason.contains("5.7.1"), "{s:?}");
    let listed = clerk
        .list_dead_letters(pb::ListDeadLettersRequest { limit: 0 })
        .await
        .unwrap()
        .into_inner();
    assert!(
        listed
            .recipients
            .iter()
            .any(|r| r.order_id == rejected.order_id)
    );
    // A retry's reason goes on the proof: one that hides a character is refused and changes
    // nothing; without a reason the clerk sends it again, and the relay accepts it now.
    assert_status(
        clerk
            .retry_dead_letter(email_dead_letter(&rejected.order_id, "邮箱\u{200B}已恢复"))
            .await,
        tonic::Code::InvalidArgument,
        "U+200B",
    );
    let still = wait_for(court, &rejected.order_id, "the dead letter", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    assert!(still.clerk_actions.is_empty(), "{:?}", still.clerk_actions);
    clerk
        .retry_dead_letter(email_dead_letter(&rejected.order_id, ""))
        .await
        .unwrap();
    let s = wait_for(
        court,
        &rejected.order_id,
        "the clerk's retry to be accepted",
        |s| s.attempts[0].attempts == 2 && s.attempts[0].sent_at.is_some(),
    )
    .await;
    assert_eq!(s.state, pb::RecipientState::Awaiting as i32);
    assert!(s.dead_letters.is_empty());
    // Retried already: a second retry finds no letter, which is the state's fault, not the request's.
    assert_status(
        clerk
            .retry_dead_letter(email_dead_letter(&rejected.order_id, ""))
            .await,
        tonic::Code::FailedPrecondition,
        "no dead letter",
    );
    let s = wait_for(court, &rejected.order_id, "the status", |_| true).await;
    let [act] = &s.clerk_actions[..] else {
        panic!("one clerk action: {:?}", s.clerk_actions);
    };
    assert!(!act.resolved && act.note.is_empty(), "{act:?}");
}

/// Checks that a 550 5.1.1 dead letter cannot be retried and is resolved by hand only with a note.
async fn a_bad_address_is_resolved_by_hand(court: &Service, clerk: &mut Service, document: &str) {
    let bad = serve_one(
        court,
        "bad-address",
        document,
        "孙七",
        "perm-fail@example.cn",
        pb::AddressBasis::Confirmed,
    )
    .await;
    wait_for(court, &bad.order_id, "the hard bounce", |s| {
        !s.dead_letters.is_empty()
    })
    .await;
    assert_status(
        clerk
            .retry_dead_letter(email_dead_letter(&bad.order_id, ""))
            .await,
        tonic::Code::InvalidArgument,
        "bounced for good",
    );
    // The clerk resolves it by hand, saying what was done.
    assert_status(
        clerk
            .resolve_dead_letter(email_dead_letter(&bad.order_id, ""))
            .await,
        tonic::Code::InvalidArgument,
        "note",
    );
    assert_status(
        clerk
            .resolve_dead_letter(email_dead_letter(&bad.order_id, "已改为\u{202E}邮寄送达"))
            .await,
        tonic::Code::InvalidArgument,
        "U+202E",
    );
    let resolved = clerk
        .resolve_dead_letter(email_dead_letter(&bad.order_id, "已改为邮寄送达"))
        .await
        .unwrap()
        .into_inner();
    assert!(resolved.dead_letters.is_empty());
    assert_eq!(resolved.resolution, "已改为邮寄送达");
    let [act] = &resolved.clerk_actions[..] else {
        panic!("one clerk action: {:?}", resolved.clerk_actions);
    };
    assert!(act.resolved, "{act:?}");
    assert_eq!(act.note, "已改为邮寄送达");
    assert_eq!(act.channel, pb::ServiceChannel::Email as i32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_or_a_cut_connection_is_retried_and_a_5xx_goes_to_the_dead_letters_until_a_clerk_acts()
 {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let w = world(smtp.addr.port(), 10).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let mut clerk = w.service("clerk-c0001").await;

    // 451 the first time, accepted the second.
    a_4xx_is_retried_and_watched(&court, &mut clerk, &document).await;

    // The connection cut at DATA: temporary, sent again, stored once.
    a_cut_connection_is_sent_again_and_stored_once(&court, &document, maildir.path()).await;

    // 550 5.7.1 (policy): final on this channel → dead letter, the recipient unserved.
    a_policy_rejection_waits_for_a_clerks_retry(&court, &mut clerk, &document).await;

    // 550 5.1.1: the address is bad; dead letter, suppressed, and a retry is refused with why.
    a_bad_address_is_resolved_by_hand(&court, &mut clerk, &document).await;
    // Only three messages reached the relay: the flaky one, the dropped one and the clerk's retry.
    assert_eq!(received(maildir.path()).len(), 3);
    assert_eq!(stored_for(maildir.path(), "flaky@"), 1);
    drop(smtp);
    w.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_that_is_down_is_retried_until_it_is_back_and_a_slow_one_hits_the_timeout() {
    let port = free_port();
    // A whole-send timeout of 10 s: a busy machine's normal send fits, the slow relay's 30 s do not.
    let w = world(port, 10).await;
    let document = w.sealed_document().await;
    let court = w.service("court-xiangyang-cms").await;
    let down = serve_one(
        &court,
        "down",
        &document,
        "周八",
        "zhouba@example.cn",
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = wait_for(&court, &down.order_id, "two failed attempts", |s| {
        s.attempts.first().is_some_and(|a| a.attempts >= 2)
    })
    .await;
    assert!(!s.attempts[0].last_error.is_empty());
    assert!(
        s.dead_letters.is_empty(),
        "a relay that is down is temporary"
    );
    // The relay comes back where the hub expects it.
    let maildir = tempfile::tempdir().unwrap();
    let _smtp: SmtpServer = start_aiosmtpd_on(maildir.path(), port);
    wait_for(
        &court,
        &down.order_id,
        "the send once the relay is back",
        accepted,
    )
    .await;
    assert_eq!(received(maildir.path()).len(), 1);

    // A relay slower than the whole-send timeout (10 s) is a temporary failure with that reason.
    let slow = serve_one(
        &court,
        "slow",
        &document,
        "吴九",
        "slow@example.cn",
        pb::AddressBasis::Confirmed,
    )
    .await;
    let s = wait_for(&court, &slow.order_id, "the timeout", |s| {
        s.attempts
            .first()
            .is_some_and(|a| a.last_error.contains("did not finish"))
    })
    .await;
    assert!(s.dead_letters.is_empty());
    w.hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hub_killed_between_send_and_record_sends_again_at_start_and_counts_the_duplicate() {
    let maildir = tempfile::tempdir().unwrap();
    let smtp = start_aiosmtpd(maildir.path());
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let data = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let p = pki.path();
    let config = ecenter_server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().to_path_buf(),
        tls: Some(tls_config(p)),
        seals: Some(seal_config(p)),
        service: Some(service_config(keys.path(), p, smtp.addr.port(), 30)),
        ..Default::default()
    };
    let config_file = keys.path().join("ecenterd.toml");
    std::fs::write(&config_file, toml::to_string(&config).unwrap()).unwrap();

    let hub = start_ecenterd(&config_file);
    let document = sealed_document(hub.addr, p).await;
    let mut court =
        ServiceOfProcessClient::new(channel_as(hub.addr, p, "court-xiangyang-cms").await);
    // The relay stores this message, then takes 20 s to say so: the hub dies in between.
    let ordered = serve_one(
        &court,
        "crash",
        &document,
        "郑十",
        "hang@example.cn",
        pb::AddressBasis::Confirmed,
    )
    .await;
    until(30, "the message to reach the relay", || async {
        (!received(maildir.path()).is_empty()).then_some(())
    })
    .await;
    let s = status(&mut court, &ordered.order_id, "R1").await;
    assert!(
        s.attempts[0].sent_at.is_none(),
        "the outcome is not recorded yet"
    );
    drop(court);
    drop(hub); // SIGKILL: no chance to record the outcome

    // Restarted, the hub sends the attempt in doubt again with the same Message-ID, and says so.
    let hub = start_ecenterd(&config_file);
    let court = ServiceOfProcessClient::new(channel_as(hub.addr, p, "court-xiangyang-cms").await);
    let s = wait_for(
        &court,
        &ordered.order_id,
        "the resend to be recorded",
        |s| s.attempts[0].sent_at.is_some(),
    )
    .await;
    assert_eq!(s.attempts[0].resends_in_doubt, 1);
    assert_eq!(s.attempts[0].attempts, 2);
    let mails = received(maildir.path());
    assert_eq!(mails.len(), 2, "no send lost, one duplicate");
    assert_eq!(mails[0]["message_id"], mails[1]["message_id"]);
    assert!(s.dead_letters.is_empty());
    drop(court);
    drop(hub);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_repeated_temporary_failures_the_circuit_breaker_holds_notices_back() {
    // A relay that is down; the breaker opens after 2 failures and stays open for an hour.
    let port = free_port();
    let w = world_with(port, 2, |c, _| {
        c.retry.breaker_threshold = 2;
        c.retry.breaker_cooldown_secs = 3600;
        c.retry.base_ms = 10;
    })
    .await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let held = serve_one(
        &court,
        "breaker",
        &document,
        "冯一",
        "feng@example.cn",
        pb::AddressBasis::Confirmed,
    )
    .await;
    wait_for(&court, &held.order_id, "two failed attempts", |s| {
        s.attempts
            .first()
            .is_some_and(|a| a.attempts == 2 && !a.last_error.is_empty())
    })
    .await;
    // The relay comes back, but the open breaker sends nothing more (with a 10 ms backoff, a
    // closed breaker would have retried many times within this second).
    let maildir = tempfile::tempdir().unwrap();
    let _smtp = start_aiosmtpd_on(maildir.path(), port);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let s = status(&mut court, &held.order_id, "R1").await;
    assert_eq!(s.attempts[0].attempts, 2, "{s:?}");
    assert_eq!(s.state, pb::RecipientState::Sending as i32);
    assert!(received(maildir.path()).is_empty());
    w.hub.stop().await;
}
