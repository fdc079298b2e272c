//! Electronic service on three `ecenterd` instances sharing one PostgreSQL log (issue #19, work
//! shared across instances): each notice is leased and sent by exactly one instance; an instance
//! started while another is mid-send leaves that one's notices alone; the notices an instance was
//! sending when it was killed are sent again by a running instance once its liveness lock has been
//! free for `takeover_after_secs` (6 s here) — once, with the same Message-ID, counted as resends
//! in doubt. The relay is aiosmtpd (tests/python/smtp_faults.py): `linger…@` addresses are stored
//! at once and answered 20 s later, so a kill in between leaves the notice at the relay and its
//! outcome unrecorded.

mod common;

use common::postgres::database_for;
use common::service::*;
use common::smtp::{received, start_python_smtp};
use common::*;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_client::EventLogServiceClient;
use ecenter_proto::v1::service_of_process_client::ServiceOfProcessClient;
use ecenter_server::config::StoreConfig;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tonic::transport::Channel;

const COURT: &str = "court-xiangyang-cms";
const CLERK: &str = "clerk-c0001";

/// Three instances' configuration files — mutual TLS, seals, e-mail service through the relay on
/// `smtp_port`, one PostgreSQL log, a data directory each — and the log's URL.
fn configs(root: &Path, pki: &Path, smtp_port: u16) -> (Vec<PathBuf>, String) {
    let (_, pg) = database_for(&root.join("log"));
    let keys = root.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let files = (0..3)
        .map(|i| {
            let config = ecenter_server::Config {
                listen: "127.0.0.1:0".parse().unwrap(),
                data_dir: root.join(format!("hub{i}")),
                tls: Some(tls_config(pki)),
                seals: Some(seal_config(pki)),
                service: Some(service_config(&keys, pki, smtp_port, 30)),
                store: StoreConfig::Postgres(pg.clone()),
                ..Default::default()
            };
            let file = root.join(format!("hub{i}.toml"));
            std::fs::write(&file, toml::to_string(&config).unwrap()).unwrap();
            file
        })
        .collect();
    (files, pg.url)
}

async fn court(addr: SocketAddr, pki: &Path) -> ServiceOfProcessClient<Channel> {
    ServiceOfProcessClient::new(channel_as(addr, pki, COURT).await)
}

async fn head(addr: SocketAddr, pki: &Path) -> pb::ChainHead {
    EventLogServiceClient::new(channel_as(addr, pki, CLERK).await)
        .get_chain_head(pb::GetChainHeadRequest {})
        .await
        .unwrap()
        .into_inner()
}

/// Waits until every instance's replica has reached the head `addrs[0]` names.
async fn in_step(addrs: &[SocketAddr], pki: &Path) {
    let seq = head(addrs[0], pki).await.seq;
    for addr in addrs {
        until(30, "the replicas to catch up", || async move {
            (head(*addr, pki).await.seq >= seq).then_some(())
        })
        .await;
    }
}

/// Orders `document` served by e-mail on one recipient per address through the instance at
/// `addr`; returns the order id.
async fn serve(addr: SocketAddr, pki: &Path, request_id: &str, doc: &str, to: &[String]) -> String {
    let recipients = to
        .iter()
        .enumerate()
        .map(|(k, a)| recipient(&format!("当事人{k}"), a, pb::AddressBasis::Confirmed))
        .collect();
    court(addr, pki)
        .await
        .serve_order(order(request_id, doc, recipients))
        .await
        .unwrap()
        .into_inner()
        .order_id
}

/// Waits until every recipient of `order_id` (R1…Rn) has an accepted notice; returns each one's
/// e-mail attempt, by recipient id.
async fn all_sent(
    addr: SocketAddr,
    pki: &Path,
    order_id: &str,
    n: usize,
) -> HashMap<String, pb::Attempt> {
    let court = court(addr, pki).await;
    let mut out = HashMap::new();
    for k in 1..=n {
        let r = format!("R{k}");
        let s = wait_for_recipient(&court, (order_id, &r), "the notice to be accepted", |s| {
            s.attempts.first().is_some_and(|a| a.sent_at.is_some())
        })
        .await;
        out.insert(r, s.attempts[0].clone());
    }
    out
}

/// How many copies of each Message-ID (without its angle brackets) the relay holds.
fn copies(maildir: &Path) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    for m in received(maildir) {
        let id = m["message_id"].as_str().unwrap();
        let id = id.trim().trim_start_matches('<').trim_end_matches('>');
        *out.entry(id.to_string()).or_default() += 1;
    }
    out
}

/// Messages at the relay addressed to one of `to`.
fn at_relay(maildir: &Path, to: &[String]) -> usize {
    received(maildir)
        .iter()
        .filter(|m| {
            to.iter()
                .any(|a| m["to"].as_str().unwrap().contains(a.as_str()))
        })
        .count()
}

/// One `notice_sending` lease as the log holds it.
#[derive(Debug, Clone)]
struct Leased {
    order_id: String,
    recipient_id: String,
    holder: String,
    in_doubt: bool,
}

/// Every lease in the log, in order, read through ListEntries.
async fn leases(addr: SocketAddr, pki: &Path) -> Vec<Leased> {
    let mut log = EventLogServiceClient::new(channel_as(addr, pki, CLERK).await);
    let mut out = Vec::new();
    for e in all_entries(&mut log).await {
        let body: serde_json::Value = serde_json::from_str(&e.detail_json).unwrap();
        find_leases(&body, &mut out);
    }
    out
}

fn find_leases(v: &serde_json::Value, out: &mut Vec<Leased>) {
    if v["type"] == "service" && v["event"]["kind"] == "notice_sending" {
        let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
        out.push(Leased {
            order_id: s("order_id"),
            recipient_id: s("recipient_id"),
            holder: v["event"]["holder"].as_str().unwrap_or_default().into(),
            in_doubt: v["event"]["in_doubt"] == true,
        });
    } else if let Some(o) = v.as_object() {
        o.values().for_each(|x| find_leases(x, out));
    }
}

fn addresses(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|k| format!("{prefix}{k}@example.cn")).collect()
}

/// Three instances, a relay, a sealed document.
struct Scene {
    _root: tempfile::TempDir,
    pki: tempfile::TempDir,
    maildir: PathBuf,
    _smtp: common::smtp::SmtpServer,
    files: Vec<PathBuf>,
    hubs: Vec<Option<Daemon>>,
    url: String,
    document: String,
}

impl Scene {
    async fn start() -> Scene {
        let root = tempfile::tempdir().unwrap();
        let pki = tempfile::tempdir().unwrap();
        ecenter_pki::init(pki.path(), false).unwrap();
        let maildir = root.path().join("mail");
        let smtp = start_python_smtp("smtp_faults.py", &[maildir.to_str().unwrap()]);
        let (files, url) = configs(root.path(), pki.path(), smtp.addr.port());
        let hubs: Vec<Option<Daemon>> = files.iter().map(|f| Some(start_ecenterd(f))).collect();
        let document = sealed_document(hubs[0].as_ref().unwrap().addr, pki.path()).await;
        let scene = Scene {
            _root: root,
            pki,
            maildir,
            _smtp: smtp,
            files,
            hubs,
            url,
            document,
        };
        in_step(&scene.addrs(), scene.pki.path()).await;
        scene
    }

    fn addrs(&self) -> Vec<SocketAddr> {
        self.hubs.iter().flatten().map(|d| d.addr).collect()
    }

    fn addr(&self, i: usize) -> SocketAddr {
        self.hubs[i].as_ref().unwrap().addr
    }

    /// The instance ids, in order.
    async fn ids(&self) -> Vec<String> {
        let mut ids = Vec::new();
        for i in 0..self.hubs.len() {
            ids.push(head(self.addr(i), self.pki.path()).await.instance);
        }
        ids
    }

    /// Serves the document on `to` through instance `i`; returns the order id once every notice
    /// is at the relay.
    async fn serve_at_relay(&self, i: usize, request_id: &str, to: &[String]) -> String {
        let p = self.pki.path();
        let order_id = serve(self.addr(i), p, request_id, &self.document, to).await;
        until(30, "the notices to reach the relay", || async {
            (at_relay(&self.maildir, to) == to.len()).then_some(())
        })
        .await;
        order_id
    }
}

/// Three orders of eight, one through each instance: every instance's outbox sees every notice
/// due, and each goes out exactly once, leased by one of the three.
async fn each_notice_goes_out_once(scene: &Scene) {
    let p = scene.pki.path();
    let mut sent = Vec::new();
    for (i, addr) in scene.addrs().into_iter().enumerate() {
        let to = addresses(&format!("once-{i}-"), 8);
        sent.push(serve(addr, p, &format!("once-{i}"), &scene.document, &to).await);
    }
    for order_id in &sent {
        for (r, attempt) in all_sent(scene.addr(0), p, order_id, 8).await {
            assert_eq!(
                (attempt.attempts, attempt.resends_in_doubt),
                (1, 0),
                "{order_id}/{r}"
            );
            let copies = copies(&scene.maildir);
            assert_eq!(copies.get(&attempt.message_id), Some(&1), "{order_id}/{r}");
        }
    }
    let ids = scene.ids().await;
    let leased = leases(scene.addr(0), p).await;
    assert_eq!(leased.len(), 24);
    assert!(
        leased.iter().all(|l| ids.contains(&l.holder)),
        "{leased:?} {ids:?}"
    );
}

/// An instance that starts while the others are sending leaves their leases alone (it used to take
/// every lease in flight for its own interrupted send).
async fn a_starting_instance_leaves_running_ones_notices_alone(scene: &mut Scene) {
    let p = scene.pki.path().to_path_buf();
    let before = scene.ids().await;
    scene.hubs[2].take().unwrap().kill();
    let to = addresses("linger-a", 4);
    let order_id = scene.serve_at_relay(0, "linger-a", &to).await;
    scene.hubs[2] = Some(start_ecenterd(&scene.files[2]));
    assert_ne!(scene.ids().await[2], before[2], "a new id at every start");
    // Longer than the takeover wait and a look, shorter than the relay's 20 s.
    tokio::time::sleep(Duration::from_secs(8)).await;
    for (r, attempt) in all_sent(scene.addr(0), &p, &order_id, 4).await {
        assert_eq!((attempt.attempts, attempt.resends_in_doubt), (1, 0), "{r}");
        assert_eq!(
            copies(&scene.maildir).get(&attempt.message_id),
            Some(&1),
            "{r}"
        );
    }
}

/// Six notices caught in flight; the instance holding most of them is killed: a running instance
/// sends each of its notices again, once, with the same Message-ID, and counts it.
async fn a_killed_instances_notices_are_sent_again_once(scene: &mut Scene) {
    let p = scene.pki.path().to_path_buf();
    let ids = scene.ids().await;
    let order_id = scene
        .serve_at_relay(1, "linger-b", &addresses("linger-b", 6))
        .await;
    in_step(&scene.addrs(), &p).await;
    let first: HashMap<String, String> = leases(scene.addr(1), &p)
        .await
        .into_iter()
        .filter(|l| l.order_id == order_id)
        .map(|l| (l.recipient_id, l.holder))
        .collect();
    assert_eq!(first.len(), 6);
    let victim = (0..3)
        .max_by_key(|i| first.values().filter(|h| **h == ids[*i]).count())
        .unwrap();
    scene.hubs[victim].take().unwrap().kill();
    let survivor = scene.addrs()[0];
    let outcome = all_sent(survivor, &p, &order_id, 6).await;
    let after = leases(survivor, &p).await;
    let mut taken_over = 0;
    for (r, attempt) in &outcome {
        let copies = copies(&scene.maildir)[&attempt.message_id];
        let again: Vec<&Leased> = after
            .iter()
            .filter(|l| l.order_id == order_id && l.recipient_id == *r && l.in_doubt)
            .collect();
        if first[r] == ids[victim] {
            taken_over += 1;
            assert_eq!((attempt.attempts, attempt.resends_in_doubt), (2, 1), "{r}");
            assert_eq!(copies, 2, "{r}: once by the killed instance, once again");
            assert_eq!(again.len(), 1, "{r}: taken over once");
            assert!(again[0].holder != ids[victim] && ids.contains(&again[0].holder));
        } else {
            assert_eq!((attempt.attempts, attempt.resends_in_doubt), (1, 0), "{r}");
            assert_eq!(copies, 1, "{r}: its running holder finished it");
            assert!(again.is_empty(), "{r}");
        }
    }
    assert!(taken_over >= 2, "the victim held at least two of six");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_notice_goes_out_once_and_a_killed_instances_notices_are_taken_over() {
    let mut scene = Scene::start().await;
    each_notice_goes_out_once(&scene).await;
    a_starting_instance_leaves_running_ones_notices_alone(&mut scene).await;
    a_killed_instances_notices_are_sent_again_once(&mut scene).await;
    common::instances::verified_head(&scene.url);
}

/// Two instances with the same `[service.sms]`, one with `bind = false`: an order with an SMS step
/// placed on the instance that does not bind is accepted, and each notice is leased and sent by
/// the one that binds (the SMSC sees one bind); its receipts reach the service on both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_that_does_not_bind_leaves_sms_notices_to_one_that_does() {
    let smsc = common::smsc::start_smsc();
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let p = pki.path();
    let (shared, keys) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (_, pg) = database_for(shared.path());
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut hubs = Vec::new();
    for (i, dir) in dirs.iter().enumerate() {
        let mut service = service_config(keys.path(), p, 9, 10);
        let mut sms = sms_settings(smsc.port, keys.path());
        sms.bind = i == 1;
        service.sms = Some(sms);
        let store = StoreConfig::Postgres(pg.clone());
        hubs.push(
            start_tls_with(dir.path(), p, move |c| {
                c.service = Some(service);
                c.store = store;
            })
            .await,
        );
    }
    let document = sealed_document(hubs[0].addr, p).await;
    in_step(&[hubs[0].addr, hubs[1].addr], p).await;
    let court = court(hubs[0].addr, p).await;
    let sms = [pb::ServiceChannel::Sms];
    let to = sms_recipients("1350000", 3);
    let order_id = serve_plan(&court, "sms-bind", &document, to, &sms)
        .await
        .order_id;
    for k in 1..=3 {
        let r = format!("R{k}");
        wait_for_recipient(&court, (&order_id, &r), "the SMS and its receipt", |s| {
            s.attempts
                .first()
                .is_some_and(|a| a.sent_at.is_some() && !a.receipts.is_empty())
        })
        .await;
    }
    assert_eq!(smsc.stats()["binds"], 1, "only the instance that binds");
    assert_eq!(smsc.messages().len(), 3);
    let binder = head(hubs[1].addr, p).await.instance;
    let leased = leases(hubs[0].addr, p).await;
    assert_eq!(leased.len(), 3);
    assert!(leased.iter().all(|l| l.holder == binder), "{leased:?}");
}
