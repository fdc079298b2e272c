//! The replica held against the log of record, entry by entry, at every start and once a day
//! (`[store] recheck_every_secs`).
//!
//! An instance verified every entry of its replica (the chain, the seals) when it copied it, so
//! an entry of PostgreSQL's log that later differs from the replica's copy — its bytes, its hash
//! column, a row gone or one added among them — was changed around the hubs. Catching up reads
//! only what comes after the replica's head, so without this an entry altered below it stayed in
//! the log of record while every instance, restarted or not, reported SERVING (outside tests,
//! round 7, F2). A thread on a connection of its own walks PostgreSQL's log from its first entry
//! to the replica's committed head, [`PAGE`] entries a query; the first difference stops this
//! instance's writes ([`StoreError::Altered`], health NOT_SERVING) naming the entry. The
//! replica's copy is left as it is: it is the evidence of what the entry said. The walk ends
//! with the row `ecenter_seals_from` held against the `log_seals_began` entry the replica met,
//! as a restarted instance holds it (round 8, G5).
//!
//! Cost: one read of the whole log (about 0.5 KB an entry) per instance per walk, off the
//! writer's path; nothing is held locked.

use crate::StoreError;
use crate::chain::{ChainHead, entry_key};
use crate::postgres::{PostgresConfig, Row, tail::Wake};
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// What a head row behind the replica means, and what to do.
pub(in crate::sled_store) const HEAD_BEHIND: &str = "its head row was moved back around the hubs (PostgreSQL may still hold the entries after \
     it), or the database was restored or is another one. Restart the instance: with the entries \
     still there it names the UPDATE that sets the row back; with them gone it sets its replica \
     aside (evidence) and rebuilds it";

/// Entries compared per query.
const PAGE: usize = 1000;

/// What a walk found, until the writer takes it (`begin_batch`) and stops on it.
pub(in crate::sled_store) type Finding = Arc<Mutex<Option<String>>>;

/// Starts the thread; it ends when the store closes or once it has found a difference.
pub(in crate::sled_store) fn spawn(
    config: PostgresConfig,
    (events, meta): (sled::Tree, sled::Tree),
    head: watch::Receiver<ChainHead>,
    found: Finding,
    wake: Wake,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ecenter-log-recheck".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                tracing::error!("the log recheck could not start a runtime");
                return;
            };
            let mut head = head;
            while head.has_changed().is_ok() {
                let through = head.borrow().seq;
                match walk(&rt, &config, (&events, &meta), &head, through) {
                    Ok(None) => {
                        tracing::info!(through, "the replica agrees with PostgreSQL's log");
                    }
                    Ok(Some(why)) => {
                        tracing::error!(reason = %why, "PostgreSQL's log differs from this instance's replica");
                        *found.lock().expect("recheck finding") = Some(why);
                        let _ = wake();
                        return;
                    }
                    // The store closed during the walk (a start that opens it twice, a stop).
                    Err(StoreError::ShuttingDown) => return,
                    Err(e) => tracing::warn!(error = %e, "the log recheck could not finish; it runs again later"),
                }
                // Until the next walk (`[store] recheck_every_secs`), or until the store closes
                // (the writer drops the head's sender): the thread holds the replica's tree, which
                // must not outlive it.
                let closed = async { while head.changed().await.is_ok() {} };
                match config.recheck_every() {
                    Some(every) => {
                        let _ = rt.block_on(async { tokio::time::timeout(every, closed).await });
                    }
                    None => return,
                }
            }
        })
        .map(|_| ())
}

/// Compares PostgreSQL's log with the replica's `events` through entry `through`, then the row
/// `ecenter_seals_from` with the `log_seals_began` entry the replica's `meta` remembers: why
/// they differ, if they do. Ends early once the store closes (`head`'s sender gone).
fn walk(
    rt: &tokio::runtime::Runtime,
    config: &PostgresConfig,
    (events, meta): (&sled::Tree, &sled::Tree),
    head: &watch::Receiver<ChainHead>,
    through: u64,
) -> Result<Option<String>, StoreError> {
    let client = crate::postgres::connect(rt, config)?;
    // A head row behind what this instance committed was moved back (round 10).
    let row = rt
        .block_on(client.query_opt("SELECT seq FROM ecenter_head", &[]))
        .map_err(crate::postgres::pg("reading the chain's head"))?;
    if let Some(seq) = row.map(|r| r.get::<_, i64>(0))
        && u64::try_from(seq).unwrap_or(0) < through
    {
        return Ok(Some(format!(
            "ecenter_head says the log ends at entry {seq}, behind this instance's replica at \
             {through}: {HEAD_BEHIND}"
        )));
    }
    if let Some(why) = entries_differ(rt, &client, events, head, through)? {
        return Ok(Some(why));
    }
    // A running instance read the row once, at its start; moved or deleted since, the clerk and
    // every restarted instance refuse the log while it went on (outside tests, round 8, G5).
    let row = match rt.block_on(crate::postgres::seals::sealed_from(&client)) {
        Err(StoreError::Altered(why)) => return Ok(Some(why)),
        other => other?,
    };
    match (row, super::super::rebuild::seals_began(meta)?) {
        (Some(from), Some(recorded)) => {
            match crate::postgres::seals_began::held_against(from, recorded) {
                Err(StoreError::Altered(why)) => Ok(Some(why)),
                other => other.map(|()| None),
            }
        }
        _ => Ok(None),
    }
}

/// The first entry through `through` where PostgreSQL's log and the replica's `events` differ.
fn entries_differ(
    rt: &tokio::runtime::Runtime,
    client: &tokio_postgres::Client,
    events: &sled::Tree,
    head: &watch::Receiver<ChainHead>,
    through: u64,
) -> Result<Option<String>, StoreError> {
    let mut after = 0;
    while after < through {
        if head.has_changed().is_err() {
            return Err(StoreError::ShuttingDown);
        }
        let mut rows = rt.block_on(crate::postgres::rows_after(client, after, PAGE))?;
        // A page that ends early ends the walk at `through`: the replica's entries past
        // PostgreSQL's last row are then compared with nothing, and named missing.
        let end = match rows.last() {
            Some(last) if rows.len() == PAGE => last.seq.min(through),
            _ => through,
        };
        rows.retain(|r| r.seq <= end);
        let local = events
            .range(entry_key(after + 1)..=entry_key(end))
            .map(|kv| {
                let (key, value) = kv?;
                let seq = u64::from_be_bytes(key.as_ref().try_into().unwrap_or_default());
                Ok((seq, value.to_vec()))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        if let Some(why) = first_difference(&local, &rows) {
            return Ok(Some(why));
        }
        after = end;
    }
    Ok(None)
}

/// The first place where the replica's entries `local` ((seq, stored value), in order) and
/// PostgreSQL's `rows` of the same range differ, said for an operator.
fn first_difference(local: &[(u64, Vec<u8>)], rows: &[Row]) -> Option<String> {
    let kept = "this instance's replica keeps the entry as it verified it; `clerk verify-log \
                --postgres` names every break; restore the log from a backup";
    let mut rows = rows.iter().peekable();
    for (seq, value) in local {
        let row = rows.next_if(|r| r.seq <= *seq);
        let what = match row {
            None => "is missing from PostgreSQL's log".to_string(),
            Some(r) if r.seq < *seq => return Some(added(r.seq, kept)),
            Some(r) if r.value != *value => {
                "differs in PostgreSQL's log from the copy this instance verified when it took it"
                    .to_string()
            }
            Some(r) if r.hash[..] != value[..32.min(value.len())] => {
                "has another hash column in PostgreSQL's log than the copy this instance verified"
                    .to_string()
            }
            Some(_) => continue,
        };
        return Some(format!("entry {seq} {what} ({kept})"));
    }
    rows.next().map(|r| added(r.seq, kept))
}

fn added(seq: u64, kept: &str) -> String {
    format!(
        "entry {seq} is in PostgreSQL's log but was not when this instance copied the entries \
         around it ({kept})"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, text: &str) -> (u64, Vec<u8>) {
        let body = format!("{{\"seq\":{seq},\"text\":\"{text}\"}}");
        let mut value = crate::chain::sha256(body.as_bytes()).to_vec();
        value.extend_from_slice(body.as_bytes());
        (seq, value)
    }

    fn row((seq, value): &(u64, Vec<u8>)) -> Row {
        Row {
            seq: *seq,
            hash: value[..32].try_into().unwrap(),
            value: value.clone(),
        }
    }

    fn log() -> Vec<(u64, Vec<u8>)> {
        // A gap where a loss was accepted (entries 3 and 4) is the same on both sides.
        [1, 2, 5, 6].map(|s| entry(s, "原告 张三")).to_vec()
    }

    #[test]
    fn the_same_entries_with_the_same_gaps_agree() {
        let local = log();
        let rows: Vec<Row> = local.iter().map(row).collect();
        assert_eq!(first_difference(&local, &rows), None);
    }

    #[test]
    fn an_entry_altered_in_postgresql_is_named() {
        let local = log();
        let mut rows: Vec<Row> = local.iter().map(row).collect();
        rows[2].value = entry(5, "原告 李四").1;
        let why = first_difference(&local, &rows).unwrap();
        assert!(why.starts_with("entry 5 differs"), "{why}");
    }

    #[test]
    fn a_hash_column_altered_alone_is_named() {
        let local = log();
        let mut rows: Vec<Row> = local.iter().map(row).collect();
        rows[1].hash = [7; 32];
        let why = first_difference(&local, &rows).unwrap();
        assert!(why.starts_with("entry 2 has another hash column"), "{why}");
    }

    #[test]
    fn a_row_deleted_or_added_is_named() {
        let local = log();
        let mut rows: Vec<Row> = local.iter().map(row).collect();
        rows.remove(1);
        let why = first_difference(&local, &rows).unwrap();
        assert!(why.starts_with("entry 2 is missing"), "{why}");
        let mut rows: Vec<Row> = local.iter().map(row).collect();
        rows.insert(2, row(&entry(3, "插入")));
        let why = first_difference(&local, &rows).unwrap();
        assert!(
            why.starts_with("entry 3 is in PostgreSQL's log but was not"),
            "{why}"
        );
        let mut rows: Vec<Row> = local.iter().map(row).collect();
        rows.push(row(&entry(7, "插入")));
        let why = first_difference(&local, &rows).unwrap();
        assert!(why.starts_with("entry 7 is in"), "{why}");
    }
}
