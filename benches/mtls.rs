//! The cost of security: a new connection (handshake + one unary call) and calls per second on a kept
//! connection, without TLS (development mode) and with mutual TLS, in the same run.
//!
//! Run: `cargo bench --bench mtls`. Prints Markdown for docs/PERFORMANCE.md.

use ecenter_api::guard::RequestLimits;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::event_log_service_client::EventLogServiceClient;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Identity};

const CLERK: &str = "clerk-c0001";

async fn start(data: &Path, tls: Option<&Path>) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let mut config = ecenter_server::Config {
        dev_mode: tls.is_none(),
        data_dir: data.to_path_buf(),
        request_limits: RequestLimits {
            requests_per_second: 0,
            burst: 0,
            max_concurrent: 10_000,
        },
        ..Default::default()
    };
    if let Some(pki) = tls {
        config.tls = Some(ecenter_server::tls::TlsConfig {
            cert: pki.join("server.pem"),
            key: pki.join("server.key"),
            client_ca: pki.join("client-ca.pem"),
            client_crl: Some(pki.join("client-ca.crl.pem")),
        });
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hub = ecenter_server::Hub::open(config, addr).unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(hub.serve(listener, async {
        let _ = rx.await;
    }));
    (addr, tx)
}

async fn connect(addr: SocketAddr, tls: Option<&Path>) -> Channel {
    match tls {
        None => Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap(),
        Some(pki) => {
            let cfg = ClientTlsConfig::new()
                .ca_certificate(Certificate::from_pem(
                    std::fs::read(pki.join("root-ca.pem")).unwrap(),
                ))
                .identity(Identity::from_pem(
                    std::fs::read(pki.join(format!("clients/{CLERK}.pem"))).unwrap(),
                    std::fs::read(pki.join(format!("clients/{CLERK}.key"))).unwrap(),
                ))
                .domain_name("localhost");
            Channel::from_shared(format!("https://{addr}"))
                .unwrap()
                .tls_config(cfg)
                .unwrap()
                .connect()
                .await
                .unwrap()
        }
    }
}

async fn call(channel: Channel, dev: bool) {
    let mut request = tonic::Request::new(pb::GetChainHeadRequest {});
    if dev {
        request.metadata_mut().insert(
            "x-ecenter-identity",
            "urn:ecenter:clerk:c0001".parse().unwrap(),
        );
    }
    EventLogServiceClient::new(channel)
        .get_chain_head(request)
        .await
        .unwrap();
}

/// Mean time of a fresh connection plus one call, in ms.
async fn per_connection(addr: SocketAddr, tls: Option<&Path>, n: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..n {
        let channel = connect(addr, tls).await;
        call(channel, tls.is_none()).await;
    }
    t.elapsed().as_secs_f64() * 1000.0 / n as f64
}

/// Calls per second on kept connections (`clients` of them, each sequential) for `secs`.
async fn kept(addr: SocketAddr, tls: Option<&Path>, clients: usize, secs: f64) -> f64 {
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let channel = connect(addr, tls).await;
        let dev = tls.is_none();
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < deadline {
                call(channel.clone(), dev).await;
                n += 1;
            }
            n
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    total as f64 / secs
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--list") {
        return;
    }
    let full = args.iter().any(|a| a == "--bench");
    let (conns, secs) = if full { (300, 3.0) } else { (5, 0.2) };
    let pki = tempfile::tempdir().unwrap();
    ecenter_pki::init(pki.path(), false).unwrap();
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (plain, _stop_plain) = start(d1.path(), None).await;
        let (tls, _stop_tls) = start(d2.path(), Some(pki.path())).await;
        per_connection(plain, None, 10).await;
        per_connection(tls, Some(pki.path()), 10).await;
        let c_plain = per_connection(plain, None, conns).await;
        let c_tls = per_connection(tls, Some(pki.path()), conns).await;
        let k1_plain = kept(plain, None, 1, secs).await;
        let k1_tls = kept(tls, Some(pki.path()), 1, secs).await;
        let k8_plain = kept(plain, None, 8, secs).await;
        let k8_tls = kept(tls, Some(pki.path()), 8, secs).await;
        println!("## The cost of mutual TLS (GetChainHead as a clerk)\n");
        println!("| measure | no TLS (dev mode) | mutual TLS | ratio mTLS / plain |");
        println!("|---|---|---|---|");
        println!(
            "| new connection + handshake + one call, ms | {c_plain:.2} | {c_tls:.2} | {:.2} |",
            c_tls / c_plain
        );
        println!(
            "| kept connection, 1 client, calls/s | {k1_plain:.0} | {k1_tls:.0} | {:.2} |",
            k1_tls / k1_plain
        );
        println!(
            "| kept connections, 8 clients, calls/s | {k8_plain:.0} | {k8_tls:.0} | {:.2} |",
            k8_tls / k8_plain
        );
    });
}
