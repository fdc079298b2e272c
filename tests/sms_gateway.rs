//! The SMPP gateway against the SMSC simulator of tests/smsc (the npm `smpp` package's server):
//! Chinese text in one and in three parts arrives intact, receipts come back, throttling slows the
//! sender down without failing messages, and a dropped connection is bound again.

mod common;

use common::smsc::{PASSWORD, SYSTEM_ID, Smsc, start_smsc, start_smsc_tls};
use ecenter_delivery::policy::Attempt;
use ecenter_delivery::sms::{ReceiptStatus, SmppGateway, SmppSecurity, SmppSettings};
use std::time::Duration;

fn settings(smsc: &Smsc) -> SmppSettings {
    let mut s = SmppSettings::new("127.0.0.1", smsc.port, SYSTEM_ID, PASSWORD);
    s.security = SmppSecurity::PlainLoopback;
    s.response_timeout = Duration::from_secs(5);
    s.reconnect_max = Duration::from_millis(500);
    s
}

const ONE_PART: &str = "【襄阳中院】张三：（2026）鄂06民初123号的文书已送达，请查看。";

/// Waits (up to a minute) until `gateway` has failed to bind at least once, so that what it says
/// next names why rather than that it is still connecting.
async fn failed_to_bind(gateway: &SmppGateway) {
    let failures = &gateway.stats().connect_failures;
    common::service::until(60, "a failed bind", || async {
        (failures.load(std::sync::atomic::Ordering::Relaxed) > 0).then_some(())
    })
    .await;
}

fn three_parts() -> String {
    let text = "【湖北省襄阳市中级人民法院】张三您好：本院就（2026）鄂06民初123号民事一审案件向您电子送达起诉状副本、应诉通知书、举证通知书及传票，请于三日内点击链接 https://songda.example/s/AbC123 查看并确认阅读；链接七日内有效。如有疑问请致电12368。𠀋";
    let units = text.encode_utf16().count();
    assert!(units > 2 * 67 && units <= 3 * 67, "{units} UTF-16 units");
    text.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chinese_sms_of_one_and_three_parts_arrive_intact_with_receipts() {
    let smsc = start_smsc();
    let (gateway, mut receipts) = SmppGateway::start(settings(&smsc)).unwrap();
    let one = gateway.send("13800138000", ONE_PART).await;
    assert_eq!(one.attempt, Attempt::Accepted, "{one:?}");
    assert_eq!(one.part_ids.len(), 1);
    let long = three_parts();
    let three = gateway.send("+8613900139000", &long).await;
    assert_eq!(three.attempt, Attempt::Accepted, "{three:?}");
    assert_eq!(three.part_ids.len(), 3);

    let (smsc, messages) = tokio::task::spawn_blocking(move || {
        let m = smsc.wait_messages(2, 20);
        (smsc, m)
    })
    .await
    .unwrap();
    let first = &messages[0];
    assert_eq!(first["text"], ONE_PART);
    assert_eq!(first["parts"], 1);
    assert_eq!(first["data_coding"], 8, "UCS-2");
    assert_eq!(first["dest"], "13800138000");
    assert_eq!(first["source"], "12368");
    let second = &messages[1];
    assert_eq!(second["text"], long.as_str(), "reassembled from its UDH");
    assert_eq!(second["parts"], 3);
    assert_eq!(second["dest"], "8613900139000");
    let ids: Vec<String> = second["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, three.part_ids);

    // One receipt per part: four, each DELIVRD, each for an id the SMSC gave.
    let mut got = Vec::new();
    while got.len() < 4 {
        let r = tokio::time::timeout(Duration::from_secs(20), receipts.recv())
            .await
            .unwrap_or_else(|_| panic!("receipts arrive: {}", smsc.stats()))
            .unwrap();
        assert_eq!(r.receipt.status, ReceiptStatus::Delivered);
        got.push(r.receipt.smsc_id.clone());
        r.ack().await;
    }
    let mut expected: Vec<String> = one
        .part_ids
        .iter()
        .chain(&three.part_ids)
        .cloned()
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
    gateway.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_number_fails_for_good_and_a_wrong_password_never_binds() {
    let smsc = start_smsc();
    let (gateway, _receipts) = SmppGateway::start(settings(&smsc)).unwrap();
    let sent = gateway.send("138-0013", ONE_PART).await;
    assert!(
        matches!(&sent.attempt, Attempt::Permanent(why) if why.contains("138-0013")),
        "{sent:?}"
    );
    assert!(!sent.maybe_sent);

    let mut wrong = settings(&smsc);
    wrong.password = "nope".into();
    wrong.response_timeout = Duration::from_secs(1);
    let (refused, _r) = SmppGateway::start(wrong).unwrap();
    failed_to_bind(&refused).await;
    let sent = refused.send("13800138000", ONE_PART).await;
    assert!(
        matches!(&sent.attempt, Attempt::Temporary(why) if why.contains("refused the bind")),
        "{sent:?}"
    );
    assert!(!sent.maybe_sent, "nothing reached the SMSC");
    let stats = tokio::task::spawn_blocking(move || smsc.stats())
        .await
        .unwrap();
    assert!(stats["bind_failures"].as_u64().unwrap() >= 1);
    assert_eq!(stats["submits"], 0, "the bad number never left the hub");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_slows_the_sender_down_and_fails_nothing() {
    let smsc = start_smsc();
    smsc.configure(serde_json::json!({"throttle_next": 6}));
    let (gateway, _receipts) = SmppGateway::start(settings(&smsc)).unwrap();
    let sends = (0..12).map(|i| {
        let g = gateway.clone();
        async move {
            g.send(
                &format!("1380013{i:04}"),
                &format!("第{i}条：请查收法律文书。"),
            )
            .await
        }
    });
    let results = futures_join_all(sends).await;
    for r in &results {
        assert_eq!(r.attempt, Attempt::Accepted, "{r:?}");
    }
    assert!(
        gateway
            .stats()
            .throttled
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 6
    );
    let (stats, messages) = tokio::task::spawn_blocking(move || (smsc.stats(), smsc.messages()))
        .await
        .unwrap();
    assert_eq!(stats["throttled"], 6);
    assert_eq!(messages.len(), 12, "each exactly once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_bound_again() {
    let smsc = start_smsc();
    let (gateway, _receipts) = SmppGateway::start(settings(&smsc)).unwrap();
    assert_eq!(
        gateway.send("13800138000", ONE_PART).await.attempt,
        Attempt::Accepted
    );
    let smsc = tokio::task::spawn_blocking(move || {
        smsc.drop_connections();
        smsc
    })
    .await
    .unwrap();
    // The next send waits for the session to be bound again.
    let mut sent = gateway.send("13800138001", ONE_PART).await;
    for _ in 0..20 {
        if sent.attempt == Attempt::Accepted {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        sent = gateway.send("13800138001", ONE_PART).await;
    }
    assert_eq!(sent.attempt, Attempt::Accepted, "{sent:?}");
    assert!(
        gateway
            .stats()
            .binds
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2
    );
    let stats = tokio::task::spawn_blocking(move || smsc.stats())
        .await
        .unwrap();
    assert!(stats["binds"].as_u64().unwrap() >= 2, "{stats}");
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_tls_the_smsc_is_trusted_only_through_the_configured_ca() {
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let smsc = start_smsc_tls(
        &pki.path().join("server.pem"),
        &pki.path().join("server.key"),
    );
    let mut s = SmppSettings::new("localhost", smsc.port, SYSTEM_ID, PASSWORD);
    s.response_timeout = Duration::from_secs(2);
    s.security = SmppSecurity::Tls {
        ca_pem: Some(std::fs::read(pki.path().join("root-ca.pem")).unwrap()),
    };
    let (gateway, _r) = SmppGateway::start(s.clone()).unwrap();
    assert!(
        gateway.wait_bound(Duration::from_secs(30)).await,
        "bound over TLS"
    );
    let sent = gateway.send("13800138000", ONE_PART).await;
    assert_eq!(sent.attempt, Attempt::Accepted, "{sent:?}");
    gateway.close().await;

    // Another CA (the public roots, say) does not vouch for it: nothing is sent.
    let other = tempfile::tempdir().unwrap();
    ecenter_pki::init(other.path(), false).unwrap();
    s.security = SmppSecurity::Tls {
        ca_pem: Some(std::fs::read(other.path().join("root-ca.pem")).unwrap()),
    };
    let (untrusted, _r) = SmppGateway::start(s).unwrap();
    failed_to_bind(&untrusted).await;
    let sent = untrusted.send("13800138000", ONE_PART).await;
    assert!(
        matches!(&sent.attempt, Attempt::Temporary(why) if why.contains("TLS")),
        "{sent:?}"
    );
    let messages = tokio::task::spawn_blocking(move || smsc.messages())
        .await
        .unwrap();
    assert_eq!(messages.len(), 1, "only the trusted session sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_is_kept_alive_with_enquire_link() {
    let smsc = start_smsc();
    let mut s = settings(&smsc);
    s.enquire_link = Duration::from_secs(1);
    let (gateway, _r) = SmppGateway::start(s).unwrap();
    assert!(gateway.wait_bound(Duration::from_secs(10)).await);
    let smsc = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        while smsc.stats()["enquire_links"].as_u64().unwrap() < 2 {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no enquire_link"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        smsc
    })
    .await
    .unwrap();
    assert!(gateway.is_bound());
    assert_eq!(smsc.stats()["binds"], 1, "one session, kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_submits_are_outstanding_than_the_window() {
    let smsc = start_smsc();
    smsc.configure(serde_json::json!({"submit_delay_ms": 50}));
    let mut s = settings(&smsc);
    s.window = 4;
    let (gateway, _receipts) = SmppGateway::start(s).unwrap();
    let sends = (0..16).map(|i| {
        let g = gateway.clone();
        async move { g.send(&format!("1380014{i:04}"), "请查收法律文书。").await }
    });
    for r in futures_join_all(sends).await {
        assert_eq!(r.attempt, Attempt::Accepted, "{r:?}");
    }
    let stats = tokio::task::spawn_blocking(move || smsc.stats())
        .await
        .unwrap();
    let most = stats["max_outstanding"].as_u64().unwrap();
    assert!(
        (2..=4).contains(&most),
        "{most} outstanding at once: {stats}"
    );
}
