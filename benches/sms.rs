//! SMS speed against the SMSC simulator of tests/smsc (node, the npm `smpp` package's server), in
//! submit_sm PDUs per second, receipts off so that only submits are measured:
//!
//! 1. the simulator's own maximum: a bare rusmppc client with the same window, nothing else
//!    (measured before and after the others, since the machine is noisy);
//! 2. our gateway (`SmppGateway::send`): the UTF-16 encoding, the window, throttle bookkeeping;
//! 3. the whole hub: one serve order of many recipients by SMS, through the outbox (leases and
//!    outcomes in the event log with group commit, links, the Chinese notice of two or three parts).
//!
//! Each is reported with its ratio to the bare client's maximum; the target is ≥ 1,000/s.
//! Run: `cargo bench --bench sms` (ECENTER_BENCH_SMS changes the count).

#[path = "../tests/common/mod.rs"]
mod common;

use common::service::*;
use common::smsc::{PASSWORD, SYSTEM_ID, Smsc, start_smsc};
use ecenter_api::service::SmsSettings;
use ecenter_delivery::policy::Attempt;
use ecenter_delivery::sms::{SmppGateway, SmppSecurity, SmppSettings};
use ecenter_proto::v1 as pb;
use rusmpp::pdus::{BindTransceiver, SubmitSm};
use rusmpp::types::{COctetString, OctetString};
use rusmpp::values::{DataCoding, InterfaceVersion};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

const WINDOW: usize = 64;

fn count(full: bool) -> usize {
    std::env::var("ECENTER_BENCH_SMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 20_000 } else { 500 })
}

fn submits(smsc: &Smsc) -> u64 {
    smsc.stats()["submits"].as_u64().unwrap()
}

/// The simulator's maximum: a bare client, `n` one-part UCS-2 submits, `WINDOW` outstanding.
async fn bare(smsc: &Smsc, n: usize) -> f64 {
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", smsc.port))
        .await
        .unwrap();
    stream.set_nodelay(true).unwrap();
    let (client, mut events) = rusmppc::ConnectionBuilder::new()
        .disable_interface_version_check()
        .response_timeout(Duration::from_secs(30))
        .connected(stream);
    client
        .bind_transceiver(
            BindTransceiver::builder()
                .system_id(COctetString::from_str(SYSTEM_ID).unwrap())
                .password(COctetString::from_str(PASSWORD).unwrap())
                .interface_version(InterfaceVersion::Smpp3_4)
                .build(),
        )
        .await
        .unwrap();
    let text: Vec<u8> = "【襄阳中院】请查收（2026）鄂06民初123号文书"
        .encode_utf16()
        .flat_map(u16::to_be_bytes)
        .collect();
    let sm = SubmitSm::builder()
        .source_addr(COctetString::from_str("12368").unwrap())
        .destination_addr(COctetString::from_str("13800138000").unwrap())
        .data_coding(DataCoding::Ucs2)
        .short_message(OctetString::from_vec(text).unwrap())
        .build();
    tokio::spawn(async move {
        use tokio_stream::StreamExt;
        while events.next().await.is_some() {}
    });
    let window = Arc::new(tokio::sync::Semaphore::new(WINDOW));
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|_| {
            let (client, sm, window) = (client.clone(), sm.clone(), window.clone());
            tokio::spawn(async move {
                let _permit = window.acquire().await.unwrap();
                client.submit_sm(sm).await.unwrap();
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    let _ = client.unbind().await;
    let _ = client.close().await;
    rate
}

/// Our gateway: `n` one-part notices sent at once, the gateway's window limiting them.
async fn gateway(smsc: &Smsc, n: usize) -> f64 {
    let mut s = SmppSettings::new("127.0.0.1", smsc.port, SYSTEM_ID, PASSWORD);
    s.security = SmppSecurity::PlainLoopback;
    s.window = WINDOW;
    s.response_timeout = Duration::from_secs(30);
    let (gateway, _receipts) = SmppGateway::start(s).unwrap();
    assert!(gateway.wait_bound(Duration::from_secs(10)).await);
    let started = Instant::now();
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let g = gateway.clone();
            tokio::spawn(async move {
                let sent = g
                    .send(
                        &format!("138{i:08}"),
                        "【襄阳中院】请查收（2026）鄂06民初123号文书",
                    )
                    .await;
                assert_eq!(sent.attempt, Attempt::Accepted);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    gateway.close().await;
    rate
}

/// The hub: one order of `n` recipients by SMS; submits per second until the simulator has every part.
async fn hub(smsc: &Smsc, n: usize) -> (f64, u64) {
    let port = smsc.port;
    let w = world_with(9, 30, move |c, keys| {
        c.workers = 128;
        c.sms = Some(SmsSettings {
            window: WINDOW,
            rate_per_second: Some(1_000_000),
            receipt_timeout_secs: 3600,
            enquire_link_secs: 30,
            response_timeout_secs: 30,
            ..sms_settings(port, keys)
        });
    })
    .await;
    let document = w.sealed_document().await;
    let mut court = w.service("court-xiangyang-cms").await;
    let mut request = order("bench-sms", &document, sms_recipients("1390000", n));
    request.plan = plan(&[pb::ServiceChannel::Sms]);
    let before_messages = smsc.messages().len();
    let before = submits(smsc);
    let started = Instant::now();
    court.serve_order(request).await.unwrap();
    while smsc.messages().len() < before_messages + n {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let parts = submits(smsc) - before;
    w.hub.stop().await;
    (parts as f64 / elapsed, parts)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let n = count(args.iter().any(|a| a == "--bench"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let smsc = start_smsc();
    smsc.configure(serde_json::json!({"default_receipt": "NONE"}));
    runtime.block_on(async {
        let bare_before = bare(&smsc, n).await;
        let ours = gateway(&smsc, n).await;
        let recipients = n.min(10_000);
        let (hub_rate, parts) = hub(&smsc, recipients).await;
        let bare_after = bare(&smsc, n).await;
        let max = bare_before.max(bare_after);
        println!(
            "SMSC simulator maximum (bare rusmppc, window {WINDOW}): {bare_before:.0}/s before, {bare_after:.0}/s after"
        );
        println!(
            "gateway: {ours:.0} submits/s, ratio {:.2} to the maximum ({n} one-part notices)",
            ours / max
        );
        println!(
            "hub: {hub_rate:.0} submits/s, ratio {:.2} to the maximum ({recipients} recipients, {parts} parts); target >= 1000/s",
            hub_rate / max
        );
    });
}
