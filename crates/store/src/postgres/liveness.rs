//! Which hub instances are running, as PostgreSQL sees it: each instance holds a session-level
//! advisory lock `pg_advisory_lock(LIVE_CLASS, key)` on a connection of its own for as long as it
//! runs; its key, chosen at random at each start, is in the id it writes into the leases it takes
//! (`hub-` and eight hex digits). The server releases the lock when the session ends — the process
//! killed, its machine gone, the network cut for longer than TCP's keepalive — so a lease whose
//! holder's lock nobody holds was left by an instance that stopped, and another may take it over.
//!
//! The session is pinged every second (3 s at most for the answer) and asks the server to probe
//! it by TCP keepalive every 5 s (`tcp_keepalives_*`, `tcp_user_timeout` 15 s), so that a dead
//! machine's lock is freed in seconds rather than after the system's two hours. A lock is not
//! replicated: after a failover every instance takes its lock again on the new primary as soon as
//! its ping fails and it reconnects; the outbox waits `[store] takeover_after_secs` before it
//! believes a holder stopped, which covers that gap, and an instance that has not confirmed its
//! own lock within half that wait leases and hands over nothing ([`Liveness::confirmed_within`]).

use super::signing::SigningState;
use super::{PostgresConfig, connect, explain};
use crate::StoreError;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio_postgres::Client;

/// The first key of every instance's advisory lock ("ecli"), apart from the schema's and others'.
const LIVE_CLASS: i32 = 0x6563_6c69;
/// How often the keeper pings its connection, and waits before reconnecting.
const TICK: Duration = Duration::from_secs(1);
/// The shortest time an instance counts as alive after its lock was last confirmed: three pings.
pub(crate) const MIN_WINDOW: Duration = Duration::from_secs(3);
/// The longest wait for a ping's answer before the connection counts as lost.
const PING_TIMEOUT: Duration = Duration::from_secs(3);
/// The longest the signing work may take after a ping (the lease, publishing, reading).
const SIGNING_WORK: Duration = Duration::from_secs(2);
/// The server's own probes of this session (it is idle between pings only for a second, but a
/// machine that vanished answers nothing).
const SERVER_KEEPALIVES: &str = "SET tcp_keepalives_idle = 5; SET tcp_keepalives_interval = 5;
     SET tcp_keepalives_count = 3; SET tcp_user_timeout = 15000";

/// This process's hold on its instance id.
pub(crate) struct Liveness {
    key: u32,
    /// The connection holding the lock, `None` while it is being re-established.
    client: watch::Receiver<Option<Arc<Client>>>,
    /// When the lock was last known held (taken, or its session answered a ping).
    confirmed: Arc<Mutex<Instant>>,
    /// The signing lease, held on the same session, and the checkpoints it publishes.
    signing: Arc<SigningState>,
}

/// The instance id written into leases for `key`.
pub(crate) fn instance_id(key: u32) -> String {
    format!("hub-{key:08x}")
}

/// The key in an instance id, if it is one.
fn key_of(holder: &str) -> Option<u32> {
    let hex = holder.strip_prefix("hub-")?;
    (hex.len() == 8)
        .then(|| u32::from_str_radix(hex, 16).ok())
        .flatten()
}

impl Liveness {
    /// Connects, takes a fresh instance key's lock and keeps it (reconnecting and taking it again
    /// after a lost connection) on a thread of its own until this value is dropped.
    pub(crate) fn start(config: &PostgresConfig) -> Result<Liveness, StoreError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (client, key) = loop {
            let key = random_key()?;
            let client = connect(&rt, config)?;
            if rt.block_on(take(&client, key))? {
                break (client, key);
            }
        };
        let (tx, rx) = watch::channel(Some(Arc::new(client)));
        let confirmed = Arc::new(Mutex::new(Instant::now()));
        let signing = Arc::new(SigningState::default());
        let keeper = Keeper {
            config: config.clone(),
            key,
            tx,
            confirmed: confirmed.clone(),
            signing: signing.clone(),
        };
        std::thread::Builder::new()
            .name("ecenter-liveness".into())
            .spawn(move || keeper.keep(&rt))?;
        tracing::info!(instance = %instance_id(key), "this hub instance holds its liveness lock");
        Ok(Liveness {
            key,
            client: rx,
            confirmed,
            signing,
        })
    }

    /// What this instance knows and does about signing checkpoints.
    pub(crate) fn signing(&self) -> &SigningState {
        &self.signing
    }

    /// Whether the lock was known held within `within` (its session answered).
    pub(crate) fn confirmed_within(&self, within: Duration) -> bool {
        self.confirmed.lock().expect("confirmed lock").elapsed() <= within
    }

    /// This instance's id.
    pub(crate) fn id(&self) -> String {
        instance_id(self.key)
    }

    /// Of `holders`, those whose instance holds no liveness lock: it has stopped. An id that is
    /// not an instance's (a lease written before leases named their holder) counts as stopped.
    pub(crate) async fn stopped(&self, holders: &[String]) -> Result<Vec<String>, StoreError> {
        let Some(client) = self.client.borrow().clone() else {
            return Err(StoreError::Postgres(
                "not connected: cannot tell which instances are running".into(),
            ));
        };
        let rows = client
            .query(
                &format!(
                    "SELECT objid::bigint FROM pg_locks WHERE locktype = 'advisory' AND granted \
                     AND classid = {LIVE_CLASS}::bigint::oid AND objsubid = 2 \
                     AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                ),
                &[],
            )
            .await
            .map_err(|e| {
                StoreError::Postgres(format!("reading the running instances: {}", explain(&e)))
            })?;
        let running: HashSet<u32> = rows
            .iter()
            .filter_map(|r| u32::try_from(r.get::<_, i64>(0)).ok())
            .collect();
        Ok(holders
            .iter()
            .filter(|h| key_of(h).is_none_or(|k| !running.contains(&k)))
            .cloned()
            .collect())
    }
}

/// A random key with its top bit clear (the lock's second key is a signed 32-bit integer).
pub(crate) fn random_key() -> Result<u32, StoreError> {
    let mut b = [0u8; 4];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b)
        .map_err(|_| StoreError::Database("the system random source failed".into()))?;
    Ok(u32::from_le_bytes(b) & 0x7fff_ffff)
}

/// Asks the server to probe the session, then takes the lock of `key`; `false` when another
/// session holds it (a key drawn twice).
async fn take(client: &Client, key: u32) -> Result<bool, StoreError> {
    client.batch_execute(SERVER_KEEPALIVES).await.map_err(|e| {
        StoreError::Postgres(format!(
            "setting the liveness session's keepalives: {}",
            explain(&e)
        ))
    })?;
    let key = i32::try_from(key).expect("top bit clear");
    let row = client
        .query_one("SELECT pg_try_advisory_lock($1, $2)", &[&LIVE_CLASS, &key])
        .await
        .map_err(|e| StoreError::Postgres(format!("taking the liveness lock: {}", explain(&e))))?;
    Ok(row.get(0))
}

/// The thread that keeps the lock.
struct Keeper {
    config: PostgresConfig,
    key: u32,
    tx: watch::Sender<Option<Arc<Client>>>,
    confirmed: Arc<Mutex<Instant>>,
    signing: Arc<SigningState>,
}

impl Keeper {
    /// Pings the connection every second, then does the signing work on it; when it is lost,
    /// connects again and takes the same key's lock (the signing lease went with the old
    /// session). Ends, closing the connection and so releasing both locks, once the store has
    /// dropped its [`Liveness`].
    fn keep(&self, rt: &tokio::runtime::Runtime) {
        loop {
            // The connection's task runs only while the runtime is driven.
            rt.block_on(async {
                tokio::select! {
                    () = tokio::time::sleep(TICK) => {}
                    () = self.signing.wake.notified() => {}
                }
            });
            let current = self.tx.borrow().clone();
            if self.tx.is_closed() {
                // The store has closed: publish what its last checkpoints left waiting.
                if let Some(client) = current {
                    let _ = rt.block_on(async {
                        tokio::time::timeout(SIGNING_WORK, self.signing.flush(&client)).await
                    });
                }
                return;
            }
            if let Some(client) = current
                && rt.block_on(ping(&client))
            {
                *self.confirmed.lock().expect("confirmed lock") = Instant::now();
                // Bounded, so that the next ping is never far off; every answer confirms the
                // session too.
                let signed = rt.block_on(async {
                    tokio::time::timeout(SIGNING_WORK, self.signing.tick(&client)).await
                });
                if matches!(signed, Ok(true)) {
                    *self.confirmed.lock().expect("confirmed lock") = Instant::now();
                }
                continue;
            }
            self.signing.lost();
            self.tx.send_replace(None);
            match self.take_again(rt) {
                Ok(client) => {
                    *self.confirmed.lock().expect("confirmed lock") = Instant::now();
                    tracing::warn!(instance = %instance_id(self.key), "liveness lock taken again after a lost connection");
                    self.tx.send_replace(Some(Arc::new(client)));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot take the liveness lock again; retrying");
                }
            }
        }
    }

    fn take_again(&self, rt: &tokio::runtime::Runtime) -> Result<Client, StoreError> {
        let client = connect(rt, &self.config)?;
        if rt.block_on(take(&client, self.key))? {
            Ok(client)
        } else {
            Err(StoreError::Postgres(
                "another session holds this instance's key".into(),
            ))
        }
    }
}

/// Whether the session answers within [`PING_TIMEOUT`].
async fn ping(client: &Client) -> bool {
    matches!(
        tokio::time::timeout(PING_TIMEOUT, client.simple_query("SELECT 1")).await,
        Ok(Ok(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_ids_round_trip_and_foreign_ids_are_no_instance() {
        assert_eq!(key_of(&instance_id(0x1234_abcd)), Some(0x1234_abcd));
        assert_eq!(key_of(""), None);
        assert_eq!(key_of("hub-12"), None);
        assert_eq!(key_of("hub-zzzzzzzz"), None);
    }
}
