//! Small-filing intake of 1, 2 and 3 hubs sharing one PostgreSQL log (issue #19), the sled hub, and
//! the machine's own anchor — `pgbench`, 32 clients each inserting the same 4 KiB payload durably
//! into the same PostgreSQL — all in one run, as ratios to the anchor.
//!
//! Needs the tests' PostgreSQL (`tests/postgres/start.sh`: 127.0.0.1:55432, synchronous commit).
//! Run: `cargo bench --bench postgres` (`ECENTER_BENCH_SMALL` sets filings per configuration).
//! Also prints how long each batch held the chain's head row, and the ceiling that implies; and
//! two floors under the same load (benches/support/floor.rs): a gRPC server that only reads and
//! answers, and one that also makes each filing one durable INSERT — what any hub with gRPC in
//! front could reach here.

#[path = "support/floor.rs"]
mod floor;
mod support;

use std::process::Command;
use support::{BenchHub, env_count, load, load_on};

#[path = "../tests/common/postgres.rs"]
mod pg;
use pg::psql;

/// A new, empty database named `name`.
fn fresh_database(name: &str) -> ecenter_store::PostgresConfig {
    psql("postgres", &format!("DROP DATABASE IF EXISTS {name}"));
    psql("postgres", &format!("CREATE DATABASE {name}"));
    ecenter_store::PostgresConfig::at(format!(
        "host=127.0.0.1 port={} user=postgres dbname={name} sslmode=disable",
        pg::port()
    ))
}

/// pgbench: 32 clients inserting one 4 KiB bytea each per transaction for `seconds`; returns
/// transactions per second and the average latency in ms.
fn anchor(dir: &std::path::Path, seconds: u32) -> (f64, f64) {
    fresh_database("ecenter_bench_anchor");
    psql(
        "ecenter_bench_anchor",
        "CREATE TABLE payload (id bigserial PRIMARY KEY, data bytea NOT NULL)",
    );
    let script = dir.join("insert.sql");
    let payload = hex::encode(support::document(4096, 7));
    std::fs::write(
        &script,
        format!("INSERT INTO payload (data) VALUES (decode('{payload}', 'hex'));\n"),
    )
    .unwrap();
    let out = Command::new("pgbench")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &pg::port(),
            "-U",
            "postgres",
            "-n",
            "-c",
            "32",
            "-j",
            "2",
        ])
        .args(["-T", &seconds.to_string(), "-f"])
        .arg(&script)
        .arg("ecenter_bench_anchor")
        .output()
        .expect("pgbench (Debian's postgresql-contrib)");
    let text = String::from_utf8_lossy(&out.stdout);
    let number = |prefix: &str| -> f64 {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("pgbench said no {prefix:?}: {text}"))
    };
    (number("tps = "), number("latency average = "))
}

/// The floors (benches/support/floor.rs) under the same 32 clients: gRPC alone, and gRPC with
/// one durable insert a filing into a fresh table like the anchor's.
async fn floors(total: usize) -> Vec<Row> {
    fresh_database("ecenter_bench_floor");
    psql(
        "ecenter_bench_floor",
        "CREATE TABLE payload (id bigserial PRIMARY KEY, data bytea NOT NULL)",
    );
    let mut rows = Vec::new();
    for (what, floor) in [
        ("floor: gRPC alone", floor::Floor::grpc_only()),
        (
            "floor: gRPC + one durable INSERT",
            floor::Floor::with_insert(&pg::port(), "ecenter_bench_floor").await,
        ),
    ] {
        let running = floor.serve().await;
        load(running.addr, 32, 300, 4096, "warm-floor").await;
        let (elapsed, hist) = load(running.addr, 32, total, 4096, "floor").await;
        running.stop().await;
        rows.push(Row {
            what: what.into(),
            rate: total as f64 / elapsed.as_secs_f64(),
            p50: hist.value_at_quantile(0.5) as f64 / 1000.0,
            p99: hist.value_at_quantile(0.99) as f64 / 1000.0,
            lock: None,
        });
    }
    rows
}

struct Row {
    what: String,
    rate: f64,
    p50: f64,
    p99: f64,
    lock: Option<ecenter_store::HeadLockStats>,
}

/// `hubs` hubs on one new database, `total` small filings spread over them by 32 clients.
async fn hubs_on_postgres(dir: &std::path::Path, hubs: usize, total: usize) -> Row {
    let config = fresh_database(&format!("ecenter_bench_{hubs}"));
    let mut started = Vec::new();
    for i in 0..hubs {
        let store = ecenter_server::config::StoreConfig::Postgres(config.clone());
        let data = dir.join(format!("pg{hubs}-{i}"));
        started.push(BenchHub::start(&data, move |c| c.store = store).await);
    }
    let addrs: Vec<_> = started.iter().map(|h| h.addr).collect();
    load_on(&addrs, 32, 300, 4096, &format!("warm{hubs}")).await;
    let before = ecenter_store::head_lock_stats();
    let (elapsed, hist) = load_on(&addrs, 32, total, 4096, &format!("pg{hubs}")).await;
    let after = ecenter_store::head_lock_stats();
    for hub in started {
        hub.stop().await;
    }
    Row {
        what: format!(
            "{hubs} hub{} on PostgreSQL",
            if hubs == 1 { "" } else { "s" }
        ),
        rate: total as f64 / elapsed.as_secs_f64(),
        p50: hist.value_at_quantile(0.5) as f64 / 1000.0,
        p99: hist.value_at_quantile(0.99) as f64 / 1000.0,
        lock: Some(since(&before, &after)),
    }
}

/// What the store counted between `before` and `after`.
fn since(
    before: &ecenter_store::HeadLockStats,
    after: &ecenter_store::HeadLockStats,
) -> ecenter_store::HeadLockStats {
    ecenter_store::HeadLockStats {
        batches: after.batches - before.batches,
        entries: after.entries - before.entries,
        held_us: after.held_us - before.held_us,
        waiting_us: after.waiting_us - before.waiting_us,
        catch_up_us: after.catch_up_us - before.catch_up_us,
        documents_us: after.documents_us - before.documents_us,
        statements_us: after.statements_us - before.statements_us,
        commit_us: after.commit_us - before.commit_us,
        syncing_us: after.syncing_us - before.syncing_us,
        following_us: after.following_us - before.following_us,
        ahead_us: after.ahead_us - before.ahead_us,
    }
}

fn main() {
    let full = match support::mode() {
        support::Mode::List => return,
        mode => mode == support::Mode::Full,
    };
    let total = env_count("ECENTER_BENCH_SMALL", if full { 6_000 } else { 200 });
    let (dir, rt) = support::scratch_and_runtime();
    let (anchor_tps, anchor_ms) = anchor(dir.path(), if full { 10 } else { 2 });
    let rows = rt.block_on(async {
        let mut rows = floors(total).await;
        for hubs in 1..=3 {
            rows.push(hubs_on_postgres(dir.path(), hubs, total).await);
        }
        let sled = BenchHub::start(&dir.path().join("sled"), |_| {}).await;
        load(sled.addr, 32, 300, 4096, "warm-sled").await;
        let (elapsed, hist) = load(sled.addr, 32, total, 4096, "sled").await;
        sled.stop().await;
        rows.push(Row {
            what: "1 hub on sled".into(),
            rate: total as f64 / elapsed.as_secs_f64(),
            p50: hist.value_at_quantile(0.5) as f64 / 1000.0,
            p99: hist.value_at_quantile(0.99) as f64 / 1000.0,
            lock: None,
        });
        rows
    });
    print_rows(total, anchor_tps, anchor_ms, &rows);
    print_phases(&rows);
}

/// Where each batch's time at the head goes, in ms per batch.
fn print_phases(rows: &[Row]) {
    println!("\n## Where a batch's time at the head goes (ms per batch)\n");
    println!(
        "| hubs | asking for the row (BEGIN, FOR UPDATE; waiting) | catch-up under the lock | decisions and sled replica writes | documents | INSERT, UPDATE, NOTIFY | COMMIT | total | before the head: blob syncfs | before: head read, unlocked catch-up | before: documents sent ahead |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let Some(l) = r.lock else { continue };
        let ms = |us: u64| us as f64 / 1000.0 / l.batches.max(1) as f64;
        println!(
            "| {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.what,
            ms(l.waiting_us),
            ms(l.catch_up_us),
            ms(l.deciding_us()),
            ms(l.documents_us),
            ms(l.statements_us),
            ms(l.commit_us),
            ms(l.held_us),
            ms(l.syncing_us),
            ms(l.following_us),
            ms(l.ahead_us)
        );
    }
}

fn print_rows(total: usize, anchor_tps: f64, anchor_ms: f64, rows: &[Row]) {
    println!("## Small filings ({total} each, one 4 KiB document, 32 clients) against pgbench\n");
    println!(
        "Anchor: pgbench, 32 clients, one durable 4 KiB insert per transaction: {anchor_tps:.0}/s, {anchor_ms:.2} ms average.\n"
    );
    println!(
        "| hubs | filings/s | ratio to anchor (target ≥ 0.4) | p50 ms | p99 ms | batches | entries/batch | head time ms/batch | ceiling entries/s |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let lock = r.lock.map_or("| – | – | – | –".to_string(), |l| {
            let batches = l.batches.max(1) as f64;
            let per_batch = l.entries as f64 / batches;
            let held_ms = l.held_us as f64 / 1000.0 / batches;
            format!(
                "| {} | {per_batch:.1} | {held_ms:.2} | {:.0}",
                l.batches,
                // Held, not waited for: what the one chain could append if the lock were all.
                l.entries as f64 / (l.held_us.saturating_sub(l.waiting_us).max(1) as f64 / 1e6)
            )
        });
        println!(
            "| {} | {:.0} | {:.2} | {:.1} | {:.1} {lock} |",
            r.what,
            r.rate,
            r.rate / anchor_tps,
            r.p50,
            r.p99
        );
    }
}
