//! One signer of checkpoints for the whole chain: the instance that holds the signing lease, a
//! session-level advisory lock `pg_advisory_lock(SIGN_CLASS, 0)` taken on its liveness connection
//! ([`super::liveness`]) while its checkpointer runs. Every instance still signs its own replica
//! into its own files (the start-up check judges the replica against them), but only the holder
//! publishes its checkpoints in `ecenter_checkpoints`, with the public key that checks each, so the
//! chain's series is replicated and backed up with the log; every other instance names the newest
//! published checkpoint (read once a second) in receipts and `GetChainHead`, and only the holder
//! mails the e-mail witness (ARCHITECTURE.md, "Signed checkpoints"). When the signer stops, its
//! session ends and the server frees the lease; the next instance to try it (each tries once a
//! second) publishes from then on, beginning with the head as it stands.
//!
//! A checkpoint queued while the instance held the lease is published even if the lease was lost
//! meanwhile (it is still a checkpoint of the chain); readers take the newest by entry, so a late
//! row never makes the named checkpoint go back.
//!
//! Because the lease lives on the liveness session, an instance holds it only while it is alive:
//! once its lock has not been confirmed within the liveness window it stops publishing, and a
//! failed ping drops the lease at once; the server frees it for another once it has given up on the
//! session.

use super::explain;
use crate::checkpoint::Checkpoint;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio_postgres::Client;

/// The first key of the signing lease ("ecsg"), apart from the instances' liveness class.
const SIGN_CLASS: i32 = 0x6563_7367;
/// Publications kept for a retry while PostgreSQL cannot take them; older ones are dropped (each
/// is still in the signer's checkpoint files).
const MOST_PENDING: usize = 1000;
/// The longest wait for any one statement of the signing work (the keeper bounds the whole of
/// it too).
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(2);

/// A checkpoint to publish, with the PEM public key that checks its signature.
#[derive(Clone)]
pub(crate) struct Published {
    pub(crate) checkpoint: Checkpoint,
    pub(crate) public_key_pem: String,
    pub(crate) instance: String,
}

/// What the liveness keeper and the rest of the process share about signing.
#[derive(Default)]
pub(crate) struct SigningState {
    /// Whether this instance's checkpointer runs and so wants the lease (a store opened only to
    /// catch up, or one whose checkpointer has stopped, must not hold it: nobody would sign).
    wanted: AtomicBool,
    /// Whether this instance's liveness session holds the signing lease.
    pub(crate) holds: AtomicBool,
    /// A request for the lease went unanswered: the server may have granted it.
    uncertain: AtomicBool,
    /// Checkpoints this instance signed, waiting for the keeper to publish them.
    outgoing: Mutex<VecDeque<Published>>,
    /// The newest checkpoint published by any instance, as last read.
    newest: Mutex<Option<Checkpoint>>,
    /// Wakes the keeper before its next tick (a stopping instance's last publication).
    pub(crate) wake: tokio::sync::Notify,
}

impl SigningState {
    /// Asks the keeper to take the lease (`true`) or to give it up (`false`) at its next tick.
    pub(crate) fn want(&self, wanted: bool) {
        self.wanted.store(wanted, Ordering::Release);
    }

    /// Queues `published` for the keeper's next tick; beyond [`MOST_PENDING`] the oldest goes.
    pub(crate) fn publish(&self, published: Published) {
        let mut queue = self.outgoing.lock().expect("outgoing lock");
        if queue.len() >= MOST_PENDING {
            queue.pop_front();
        }
        queue.push_back(published);
    }

    /// What a stopping instance does after its last checkpoint: gives up wanting the lease and
    /// waits, at most `within`, until the keeper has published what waits and given the lease up.
    pub(crate) fn finish(&self, within: Duration) {
        self.want(false);
        let until = std::time::Instant::now() + within;
        while !self.settled() && std::time::Instant::now() < until {
            self.wake.notify_one();
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The newest published checkpoint, as last read.
    pub(crate) fn newest(&self) -> Option<Checkpoint> {
        self.newest.lock().expect("newest lock").clone()
    }

    /// The keeper's once-a-second work on a live session: publish what was signed (before the
    /// lease may be given up, so a stopping signer's last checkpoint goes out under it), take or
    /// give up the lease as wanted, read the newest publication. Returns whether every statement
    /// was answered; failures are logged and left to the next tick.
    pub(crate) async fn tick(&self, client: &Client) -> bool {
        let published = self.flush(client).await;
        let lease = self.mind_lease(client).await;
        let read = match timed(newest(client)).await {
            Ok(cp) => {
                let mut newest = self.newest.lock().expect("newest lock");
                *newest = crate::checkpoint::newer(newest.take(), cp);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the newest published checkpoint");
                false
            }
        };
        lease && published && read
    }

    /// Takes the lease when wanted and not held; gives it up when no longer wanted and held, or
    /// perhaps held (a request whose answer was lost).
    async fn mind_lease(&self, client: &Client) -> bool {
        let wanted = self.wanted.load(Ordering::Acquire);
        let holds = self.holds.load(Ordering::Acquire);
        let uncertain = self.uncertain.load(Ordering::Acquire);
        // Nothing to do when holding as wanted — unless the lease is unwanted and perhaps held.
        let release_anyway = uncertain && !wanted;
        if wanted == holds && !release_anyway {
            return true;
        }
        let answer = if wanted {
            timed(try_lease(client)).await
        } else {
            timed(release(client)).await.map(|()| false)
        };
        match answer {
            Ok(now_holds) => {
                if now_holds != holds {
                    tracing::info!(
                        signs = now_holds,
                        "signing lease {}",
                        if now_holds {
                            "taken: this instance publishes checkpoints"
                        } else {
                            "given up"
                        }
                    );
                }
                self.holds.store(now_holds, Ordering::Release);
                self.uncertain.store(false, Ordering::Release);
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot take or give up the signing lease");
                self.uncertain.store(true, Ordering::Release);
                false
            }
        }
    }

    /// Publishes what waits, oldest first; each leaves the queue only once PostgreSQL took it, so
    /// a publication cut short (an error, or the keeper's time running out) loses nothing.
    /// Returns whether the queue is empty.
    pub(crate) async fn flush(&self, client: &Client) -> bool {
        loop {
            let front = self
                .outgoing
                .lock()
                .expect("outgoing lock")
                .front()
                .cloned();
            let Some(p) = front else {
                return true;
            };
            if let Err(e) = timed(insert(client, &p)).await {
                tracing::warn!(error = %e, checkpoint = p.checkpoint.number, "checkpoint not published yet; trying again");
                return false;
            }
            let mut queue = self.outgoing.lock().expect("outgoing lock");
            if queue
                .front()
                .is_some_and(|f| f.checkpoint == p.checkpoint && f.instance == p.instance)
            {
                queue.pop_front();
            }
        }
    }

    /// Whether nothing waits to be published and the lease is not held: what a stopping
    /// instance waits for.
    pub(crate) fn settled(&self) -> bool {
        self.outgoing.lock().expect("outgoing lock").is_empty()
            && !self.holds.load(Ordering::Acquire)
    }

    /// The session that held the lease is gone: so is the lease.
    pub(crate) fn lost(&self) {
        self.uncertain.store(false, Ordering::Release);
        if self.holds.swap(false, Ordering::AcqRel) {
            tracing::warn!("the signing lease went with the lost liveness session");
        }
    }
}

/// `fut`, given up after [`STATEMENT_TIMEOUT`].
async fn timed<T>(fut: impl Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::time::timeout(STATEMENT_TIMEOUT, fut)
        .await
        .map_err(|_| format!("no answer within {} s", STATEMENT_TIMEOUT.as_secs()))?
}

async fn try_lease(client: &Client) -> Result<bool, String> {
    let row = client
        .query_one("SELECT pg_try_advisory_lock($1, 0)", &[&SIGN_CLASS])
        .await
        .map_err(|e| explain(&e))?;
    Ok(row.get(0))
}

/// Gives up every hold of the lease on this session (a grant whose answer timed out stacks).
async fn release(client: &Client) -> Result<(), String> {
    loop {
        let row = client
            .query_one("SELECT pg_advisory_unlock($1, 0)", &[&SIGN_CLASS])
            .await
            .map_err(|e| explain(&e))?;
        if !row.get::<_, bool>(0) {
            return Ok(());
        }
    }
}

async fn insert(client: &Client, p: &Published) -> Result<(), String> {
    let line = serde_json::to_string(&p.checkpoint).map_err(|e| e.to_string())?;
    let number = i64::try_from(p.checkpoint.number).map_err(|e| e.to_string())?;
    let seq = i64::try_from(p.checkpoint.seq).map_err(|e| e.to_string())?;
    client
        .execute(
            "INSERT INTO ecenter_checkpoint_keys (key_id, public_key) VALUES ($1, $2) \
             ON CONFLICT (key_id) DO NOTHING",
            &[&p.checkpoint.key_id, &p.public_key_pem],
        )
        .await
        .map_err(|e| explain(&e))?;
    client
        .execute(
            "INSERT INTO ecenter_checkpoints (instance, key_id, number, seq, line) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (instance, key_id, number) DO NOTHING",
            &[&p.instance, &p.checkpoint.key_id, &number, &seq, &line],
        )
        .await
        .map(|_| ())
        .map_err(|e| explain(&e))
}

async fn newest(client: &Client) -> Result<Option<Checkpoint>, String> {
    let row = client
        .query_opt(
            "SELECT line FROM ecenter_checkpoints ORDER BY seq DESC, id DESC LIMIT 1",
            &[],
        )
        .await
        .map_err(|e| explain(&e))?;
    row.map(|r| serde_json::from_str(r.get(0)).map_err(|e| e.to_string()))
        .transpose()
}
