//! Rows past PostgreSQL's head row. Written around the hubs, they fail the batch that reaches
//! them and are named, with the DELETE that removes them; the hubs' own entries hidden by a head
//! row moved back over them are named as such, with the UPDATE that sets it back — never the
//! advice to delete them.

mod common;

use common::one_instance::{OneInstance, refused_at_start, refused_filing, until_not_serving};
use common::postgres::psql;
use common::*;

const LAWYER: &str = "lawyer-14201202010000001";

/// A row written past the head, where the next batch's entry goes: the batch's append fails on
/// it. Not a commit in doubt held for a minute and blamed on the disk, but a refusal at once
/// naming the table, with nothing recorded; a restart is refused, naming the row, until it is
/// gone (round 7, F4; round 8, G2). A seal row planted past the head is refused at start alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_planted_past_the_head_is_named_and_loses_nothing() {
    let one = OneInstance::new();
    let (pki, db, config, dir) = (&one.pki, &one.db, &one.config, &one.dir);
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    submit(
        &mut lawyer,
        "planted-0001",
        CASE,
        "证据材料",
        &[("a.pdf", &pdf("一"))],
    )
    .await
    .unwrap();
    let next: u64 = psql(db, "SELECT seq + 1 FROM ecenter_head")
        .parse()
        .unwrap();
    psql(
        db,
        &format!(
            "INSERT INTO ecenter_log SELECT {next}, hash, entry FROM ecenter_log WHERE seq = 1"
        ),
    );
    let said = refused_filing(&mut lawyer, "planted-0002").await;
    assert!(
        said.contains(&format!(
            "ecenter_log already holds a row for entries {next}"
        )) && said.contains("Nothing of this batch was recorded")
            && !said.contains("disk"),
        "{said}"
    );
    drop(lawyer);
    let _ = hub.stop_result().await;
    let said = refused_at_start(dir.path(), config);
    assert!(
        said.contains(&format!(
            "ecenter_log holds a row for entry {next}, past the head"
        )),
        "{said}"
    );

    psql(db, &format!("DELETE FROM ecenter_log WHERE seq = {next}"));
    a_seal_planted_past_the_head_refuses_the_start(db, dir.path(), config, next + 4);

    // Gone, the instance starts (its replica, ahead, set aside and rebuilt) and the refused
    // filing, sent again, is recorded once.
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, pki.path(), LAWYER).await;
    let again = submit(
        &mut lawyer,
        "planted-0002",
        CASE,
        "证据材料",
        &[("b.pdf", &pdf("二"))],
    )
    .await
    .unwrap();
    assert!(!again.replayed);
    let _ = hub.stop_result().await;
}

/// A seal row planted for entry `at`, past the head: the instance on `data_dir` refuses to start,
/// naming it; the row is removed again.
fn a_seal_planted_past_the_head_refuses_the_start(
    db: &str,
    data_dir: &std::path::Path,
    config: &ecenter_store::postgres::PostgresConfig,
    at: u64,
) {
    psql(
        db,
        &format!(
            "INSERT INTO ecenter_seals (first_seq, last_seq, key_id, signature) \
             SELECT {at}, {at}, key_id, signature FROM ecenter_seals ORDER BY last_seq LIMIT 1"
        ),
    );
    let said = refused_at_start(data_dir, config);
    assert!(
        said.contains(&format!("ecenter_seals holds a row for entry {at}")),
        "{said}"
    );
    psql(
        db,
        &format!("DELETE FROM ecenter_seals WHERE last_seq = {at}"),
    );
}

/// The head row moved back two entries over genuine, sealed entries (to hide them): the restarted
/// instance called them "written around the hubs" and advised `DELETE` — evidence lost if
/// followed (round 9, F2). It names them as the hubs' own, hidden, with the UPDATE that sets the
/// head back; run as given, the instance starts and the entries are there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_row_moved_back_over_sealed_entries_is_named_with_the_update_that_sets_it_back() {
    let one = OneInstance::new();
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, one.pki.path(), LAWYER).await;
    for id in ["hidden-0001", "hidden-0002"] {
        submit(&mut lawyer, id, CASE, "证据材料", &[("a.pdf", &pdf(id))])
            .await
            .unwrap();
    }
    drop(lawyer);
    hub.stop().await;
    let head = psql(&one.db, "SELECT seq FROM ecenter_head");
    // A row planted after the hidden entries too (round 10): they are still named as the hubs'
    // own, and only the planted row is then given the DELETE.
    psql(
        &one.db,
        &format!(
            "UPDATE ecenter_head SET (seq, hash) = (SELECT seq, hash FROM ecenter_log \
             WHERE seq = {head} - 2); INSERT INTO ecenter_log SELECT {head} + 1, hash, entry \
             FROM ecenter_log WHERE seq = 1"
        ),
    );
    let said = refused_at_start(one.dir.path(), &one.config);
    assert!(
        said.contains("the head row was moved back") && !said.contains("DELETE"),
        "{said}"
    );
    let update = said
        .split('`')
        .find(|part| part.starts_with("UPDATE ecenter_head"))
        .unwrap_or_else(|| panic!("no UPDATE in: {said}"));
    assert!(update.contains(&format!("seq = {head}")), "{update}");
    psql(&one.db, update);
    let said = refused_at_start(one.dir.path(), &one.config);
    let delete = format!("DELETE FROM ecenter_log WHERE seq > {head}");
    assert!(said.contains(&delete), "{said}");
    psql(&one.db, &delete);
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, one.pki.path(), LAWYER).await;
    let receipt = submit(
        &mut lawyer,
        "hidden-0003",
        CASE,
        "证据材料",
        &[("c.pdf", &pdf("三"))],
    )
    .await
    .unwrap()
    .receipt
    .unwrap();
    let head: u64 = head.parse().unwrap();
    assert_eq!(
        receipt.log_seq,
        head + 1,
        "the log goes on after the entries set back"
    );
    drop(lawyer);
    hub.stop().await;
}

/// The head row moved back under a running instance: it went on SERVING and, at the next
/// filing, called a sound entry broken and advised setting its replica aside (round 10). Its
/// next recheck names the row behind its replica, and what a restart will do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_row_moved_back_under_a_running_instance_stops_it_at_its_next_recheck() {
    let mut one = OneInstance::new();
    one.config.recheck_every_secs = Some(1);
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, one.pki.path(), LAWYER).await;
    submit(
        &mut lawyer,
        "behind-0001",
        CASE,
        "证据材料",
        &[("a.pdf", &pdf("一"))],
    )
    .await
    .unwrap();
    psql(
        &one.db,
        "UPDATE ecenter_head SET (seq, hash) = (SELECT seq, hash FROM ecenter_log \
         WHERE seq = (SELECT seq - 2 FROM ecenter_head))",
    );
    until_not_serving(&hub, one.pki.path()).await;
    let said = refused_filing(&mut lawyer, "behind-0002").await;
    assert!(
        said.contains("behind this instance's replica") && said.contains("names the UPDATE"),
        "{said}"
    );
    drop(lawyer);
    let _ = hub.stop_result().await;
}

/// The log's tail cut in PostgreSQL below a checkpoint its instances published, head row and
/// seals with it: a new instance (an empty data directory, no checkpoint of its own) started on
/// it and issued the acknowledged filing ids again (round 20, F3). It refuses, naming the
/// published checkpoint and the entries lost, and writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_instance_refuses_a_log_cut_below_a_published_checkpoint() {
    let one = OneInstance::new();
    let hub = one.start().await;
    let mut lawyer = tls_client(hub.addr, one.pki.path(), LAWYER).await;
    for id in ["cut-0001", "cut-0002", "cut-0003"] {
        submit(&mut lawyer, id, CASE, "证据材料", &[("a.pdf", &pdf(id))])
            .await
            .unwrap();
    }
    // Published once the instance holds the signing lease (a tick away).
    let published = || {
        psql(
            &one.db,
            "SELECT coalesce(max(seq), 0) FROM ecenter_checkpoints",
        )
    };
    for _ in 0..300 {
        if published().parse::<u64>().unwrap() > 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    drop(lawyer);
    hub.stop().await;
    let published: u64 = published().parse().unwrap();
    let keep: u64 = psql(
        &one.db,
        &format!("SELECT max(last_seq) FROM ecenter_seals WHERE last_seq < {published} - 1"),
    )
    .parse()
    .unwrap();
    psql(
        &one.db,
        &format!(
            "DELETE FROM ecenter_seals WHERE last_seq > {keep}; \
             DELETE FROM ecenter_log WHERE seq > {keep}; \
             UPDATE ecenter_head SET (seq, hash) = (SELECT seq, hash FROM ecenter_log WHERE seq = {keep})"
        ),
    );
    let fresh = tempfile::tempdir().unwrap();
    let said = refused_at_start(fresh.path(), &one.config);
    assert!(
        said.contains(&format!("entries {}–{published} were lost", keep + 1))
            && said.contains("ecenter_checkpoints"),
        "{said}"
    );
    let head = psql(&one.db, "SELECT seq FROM ecenter_head");
    assert_eq!(head, keep.to_string(), "nothing was written");
}
