//! The one statement that appends a batch to PostgreSQL's log.

use super::seals::Seal;
use super::{HEAD_CHANNEL, Row, Upstream, pg, to_i64};
use crate::StoreError;
use tokio_postgres::Client;

/// Inserts `rows`, moves the head to `last`, strikes the documents they name off the list of
/// those sent ahead and not yet named (`ahead.rs`), and announces the head, in one statement: one
/// round trip for parsing it and one for running it. With `seal`, the batch's seal goes in too,
/// and its key's public half unless PostgreSQL already publishes a key of that id.
pub(super) async fn append_rows(
    client: &Client,
    rows: &[Row],
    last: &Row,
    seal: Option<&Seal>,
) -> Result<(), StoreError> {
    let named = crate::blobs::named_documents(rows.iter().map(|r| &r.value[32..]));
    let seqs = rows
        .iter()
        .map(|r| to_i64(r.seq))
        .collect::<Result<Vec<_>, _>>()?;
    let hashes: Vec<&[u8]> = rows.iter().map(|r| &r.hash[..]).collect();
    let entries: Vec<&[u8]> = rows.iter().map(|r| r.value.as_slice()).collect();
    let seq = to_i64(last.seq)?;
    // Arrays of one seal or none: one statement either way.
    let firsts: Vec<i64> = seal.iter().map(|s| s.first).collect();
    let lasts: Vec<i64> = seal.iter().map(|s| s.last).collect();
    let key_ids: Vec<&str> = seal.iter().map(|s| s.key_id.as_str()).collect();
    let keys: Vec<&str> = seal.iter().map(|s| s.public_key.as_str()).collect();
    let signatures: Vec<&[u8]> = seal.iter().map(|s| s.signature.as_slice()).collect();
    let inserted: i64 = client
        .query_one(
            "WITH appended AS (
                 INSERT INTO ecenter_log (seq, hash, entry)
                 SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[]) RETURNING 1
             ), moved AS (
                 UPDATE ecenter_head SET seq = $4, hash = $5 RETURNING seq
             ), named AS (
                 DELETE FROM ecenter_blobs_ahead WHERE sha256 = ANY($7)
             ), keyed AS (
                 INSERT INTO ecenter_checkpoint_keys (key_id, public_key)
                 SELECT * FROM unnest($10::text[], $11::text[]) ON CONFLICT (key_id) DO NOTHING
             ), sealed AS (
                 INSERT INTO ecenter_seals (first_seq, last_seq, key_id, signature)
                 SELECT * FROM unnest($8::bigint[], $9::bigint[], $10::text[], $12::bytea[])
             )
             SELECT (SELECT count(*) FROM appended), pg_notify($6, moved.seq::text) FROM moved",
            &[
                &seqs,
                &hashes,
                &entries,
                &seq,
                &&last.hash[..],
                &HEAD_CHANNEL,
                &named,
                &firsts,
                &lasts,
                &key_ids,
                &keys,
                &signatures,
            ],
        )
        .await
        .map_err(|e| {
            planted(&e, rows).unwrap_or_else(|| {
                pg("appending the batch's entries and moving the chain's head")(e)
            })
        })?
        .get(0);
    if inserted != rows.len() as i64 {
        return Err(StoreError::Postgres(format!(
            "appending the batch's entries: {inserted} of {} inserted",
            rows.len()
        )));
    }
    Ok(())
}

/// A row already standing where the batch's entries or its seal go — past the head, where no
/// instance writes but in a batch holding the head — was written around the hubs. The statement
/// failed, so nothing of the batch is in PostgreSQL: not a commit in doubt to settle for a
/// minute, but a refusal naming the table (outside tests, round 7, F4; round 8, G2).
fn planted(e: &tokio_postgres::Error, rows: &[Row]) -> Option<StoreError> {
    let db = e.as_db_error()?;
    if db.code() != &tokio_postgres::error::SqlState::UNIQUE_VIOLATION {
        return None;
    }
    let table = match db.constraint()? {
        "ecenter_log_pkey" => "ecenter_log",
        "ecenter_seals_pkey" => "ecenter_seals",
        _ => return None,
    };
    let (first, last) = (rows.first()?.seq, rows.last()?.seq);
    Some(StoreError::Altered(format!(
        "{table} already holds a row for entries {first}–{last}, past the head, where only the \
         instance holding the head writes ({}): it was written around the hubs. Nothing of this \
         batch was recorded; keep the row as evidence, delete it, and start the instances again",
        db.detail().unwrap_or("")
    )))
}

impl Upstream {
    /// Refuses rows past the head row in `ecenter_log` or `ecenter_seals` (read in one snapshot
    /// with the head, so a batch committing meanwhile is never taken for one). Rows that go on
    /// from the head in the chain, each under a seal `trusted` verifies, are the hubs' own
    /// entries with the head row moved back over them (to hide them): the advice is to set the
    /// head row back, never to delete them (outside tests, round 9, F2). Anything else past the
    /// head was written around the hubs.
    pub(crate) fn nothing_past_head(
        &mut self,
        from: u64,
        trusted: &super::seals::Trusted<'_>,
    ) -> Result<(), StoreError> {
        let row = self.rt.block_on(async {
            self.client()?
                .query_one(
                    "SELECT h.seq, h.hash, (SELECT min(seq) FROM ecenter_log WHERE seq > h.seq), \
                     (SELECT min(last_seq) FROM ecenter_seals WHERE last_seq > h.seq) \
                     FROM ecenter_head h",
                    &[],
                )
                .await
                .map_err(pg("reading the rows past the chain's head"))
        })?;
        let head: i64 = row.get(0);
        let past = [
            ("ecenter_log", row.get::<_, Option<i64>>(2)),
            ("ecenter_seals", row.get(3)),
        ];
        let Some((table, seq)) = past.into_iter().find_map(|(t, s)| s.map(|s| (t, s))) else {
            return Ok(());
        };
        let hash: Vec<u8> = row.get(1);
        let head = crate::ChainHead {
            seq: u64::try_from(head).unwrap_or(0),
            hash: hash.try_into().unwrap_or([0; 32]),
            recorded_at: None,
        };
        if let Some(hidden) = self.hidden_past(&head, from, trusted)? {
            return Err(StoreError::Altered(format!(
                "the head row was moved back: ecenter_head says entry {}, but entries {} to {} \
                 go on from it in the chain, each sealed by an instance: they are the hubs' own \
                 entries, hidden. Do not delete them; find who moved the row, set it back \
                 (`UPDATE ecenter_head SET seq = {}, hash = decode('{}', 'hex')`), and start again",
                head.seq,
                head.seq + 1,
                hidden.seq,
                hidden.seq,
                hex::encode(hidden.hash)
            )));
        }
        let column = if table == "ecenter_log" {
            "seq"
        } else {
            "last_seq"
        };
        Err(StoreError::Altered(format!(
            "{table} holds a row for entry {seq}, past the head (entry {}), which no instance \
             wrote: it was written around the hubs and would fail every batch that reaches it; \
             keep it as evidence, delete it (`DELETE FROM {table} WHERE {column} > {}`), and \
             start again",
            head.seq, head.seq
        )))
    }

    /// The last of the rows past `head` that go on from it in the chain under seals `trusted`
    /// verifies (a head row moved back over them), read a page at most.
    fn hidden_past(
        &mut self,
        head: &crate::ChainHead,
        from: u64,
        trusted: &super::seals::Trusted<'_>,
    ) -> Result<Option<crate::ChainHead>, StoreError> {
        const PAGE: usize = 1000;
        let rows = self.rt.block_on(async {
            let client = self.client()?;
            let rows = super::rows_after(client, head.seq, PAGE).await?;
            super::seals::vouched(client, from, trusted, rows).await
        })?;
        // The vouched rows that go on from the head: a row planted after them (round 10) is
        // named, with its DELETE, once the head row is set back over them.
        let mut chain = crate::chain::ChainVerifier::resume(*head);
        let mut hidden = None;
        for row in &rows.rows {
            match chain.push(&crate::chain::entry_key(row.seq), &row.value) {
                Ok(entry) if entry.hash == row.hash => hidden = Some(chain.head()),
                _ => break,
            }
        }
        Ok(hidden)
    }
}
