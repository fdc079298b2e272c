//! PostgreSQL as the log of record, for several hubs sharing one chain.
//!
//! Shape: the log (every entry exactly as sled keeps it, `SHA-256(body) || body`) and its head live in
//! PostgreSQL; each hub keeps its read models in a local sled replica of that log. An append locks the
//! head row (`SELECT … FOR UPDATE`), brings the replica up to the head, runs the decisions against it,
//! inserts the new entries, moves the head and commits with `synchronous_commit = on` — one transaction
//! per batch of requests (group commit per instance). The row lock makes every instance's appends one
//! linear chain and every decision's reads consistent with the events it records; nothing is
//! acknowledged before COMMIT returns. Other instances learn of a new head through `LISTEN/NOTIFY`
//! ([`tail`]) and read the entries by range.
//!
//! Errors are [`StoreError::Postgres`], naming what the hub was doing.

use crate::StoreError;
use crate::chain::ChainHead;
use rustls_pki_types::pem::PemObject;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};

mod ahead;
mod append;
mod blobs;
pub(crate) mod liveness;
mod offline;
mod published;
mod restore;
mod scrub;
pub(crate) mod seals;
pub(crate) mod seals_began;
pub(crate) mod signing;
pub(crate) mod tail;

pub(crate) use ahead::Ahead;
pub use offline::{
    BeyondHead, Migrated, PostgresWalk, TIME_BACK_LIMIT, TimeBack, migrate_sled_to_postgres,
    verify_postgres_log,
};
pub use published::PublishedCheck;
pub use restore::{DocumentsRestored, restore_postgres_documents};
pub use scrub::{DamagedDocument, DocumentsScrubbed, StrayChunks, scrub_postgres_documents};

/// `[store]` settings of a hub whose log of record is PostgreSQL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresConfig {
    /// A libpq connection string or URL; several hosts with `target_session_attrs=read-write` reach
    /// whichever is the primary (`postgresql://hub@db1,db2/ecenter?target_session_attrs=read-write`).
    /// Never logged: it may hold a password.
    pub url: String,
    /// PEM file of the CA that signed the database's certificate (`sslmode=require` or stricter);
    /// without it, the Web PKI roots.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Seconds an instance must have been seen stopped (its liveness lock free) before another
    /// takes over the notices it was sending; covers the seconds every instance needs to take its
    /// lock again on a promoted standby. Default 20; at least 6 for an instance that lost its own
    /// lock to stop handing over work (after 3 s) before others take it over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub takeover_after_secs: Option<u64>,
    /// PEM public keys of every instance's checkpoint key (this one's too), held apart from the
    /// database: when given, an entry is copied from PostgreSQL only under a seal by one of them,
    /// so a forger who can also add keys to the database is refused (postgres/seals.rs). Empty:
    /// the keys the database publishes.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "some_keys"
    )]
    pub instance_keys: Vec<PathBuf>,
    /// Seconds between walks of PostgreSQL's log against this instance's replica, after the walk
    /// at its start (`sled_store/replica/recheck.rs`); default 86 400 (once a day). Each walk
    /// reads the whole log once on a connection of its own; 0 walks only at the start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recheck_every_secs: Option<u64>,
}

impl PostgresConfig {
    /// `url` with the default settings.
    pub fn at(url: impl Into<String>) -> PostgresConfig {
        PostgresConfig {
            url: url.into(),
            ca_file: None,
            takeover_after_secs: None,
            instance_keys: Vec::new(),
            recheck_every_secs: None,
        }
    }

    /// How long a running instance waits between walks of the log against its replica; `None`:
    /// only the walk at its start.
    pub fn recheck_every(&self) -> Option<std::time::Duration> {
        match self.recheck_every_secs.unwrap_or(24 * 60 * 60) {
            0 => None,
            secs => Some(std::time::Duration::from_secs(secs)),
        }
    }

    /// How long an instance must have been seen stopped before its leases are taken over.
    pub fn takeover_after(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.takeover_after_secs.unwrap_or(20))
    }
}

/// `instance_keys`, refused when written as an empty list: that pins nothing, and an operator
/// who cleared the list would believe the keys pinned (outside tests, round 8, G7).
fn some_keys<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<PathBuf>, D::Error> {
    let keys = Vec::<PathBuf>::deserialize(d)?;
    if keys.is_empty() {
        return Err(serde::de::Error::custom(
            "instance_keys = [] pins no key: list every instance's public key, or leave the \
             setting out to take the keys PostgreSQL publishes",
        ));
    }
    Ok(keys)
}

/// Versioned schema changes, applied in order at start-up; the number of a change is its index + 1.
/// Never edit a released one: add another.
const MIGRATIONS: &[&str] = &[
    // 1: the log of record and its head (one row, locked by every append).
    "CREATE TABLE ecenter_log (
         seq bigint PRIMARY KEY CHECK (seq > 0),
         hash bytea NOT NULL CHECK (length(hash) = 32),
         entry bytea NOT NULL
     );
     CREATE TABLE ecenter_head (
         only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
         seq bigint NOT NULL,
         hash bytea NOT NULL CHECK (length(hash) = 32)
     );
     INSERT INTO ecenter_head (seq, hash) VALUES (0, decode(repeat('00', 32), 'hex'));",
    // 2: documents, content-addressed, in chunks (written before any entry naming them commits:
    // ahead of its batch, or in its transaction).
    "CREATE TABLE ecenter_blobs (
         sha256 text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
         size bigint NOT NULL CHECK (size >= 0),
         chunks integer NOT NULL CHECK (chunks >= 0)
     );
     CREATE TABLE ecenter_blob_chunks (
         sha256 text NOT NULL REFERENCES ecenter_blobs,
         n integer NOT NULL CHECK (n >= 0),
         data bytea NOT NULL,
         PRIMARY KEY (sha256, n)
     );",
    // 3: the chain's checkpoints, as the instance holding the signing lease signed them, and the
    // public keys that check them (postgres/signing.rs; checked by `clerk verify-log --postgres`).
    "CREATE TABLE ecenter_checkpoint_keys (
         key_id text PRIMARY KEY,
         public_key text NOT NULL
     );
     CREATE TABLE ecenter_checkpoints (
         id bigserial PRIMARY KEY,
         instance text NOT NULL,
         key_id text NOT NULL REFERENCES ecenter_checkpoint_keys,
         number bigint NOT NULL CHECK (number > 0),
         seq bigint NOT NULL CHECK (seq >= 0),
         line text NOT NULL,
         published_at timestamptz NOT NULL DEFAULT now(),
         UNIQUE (instance, key_id, number)
     );
     CREATE INDEX ecenter_checkpoints_seq ON ecenter_checkpoints (seq);",
    // 4: documents sent ahead of the batch that will name them, until an entry names them
    // (postgres/ahead.rs: what stays unnamed is deleted after a day).
    "CREATE TABLE ecenter_blobs_ahead (
         sha256 text PRIMARY KEY REFERENCES ecenter_blobs ON DELETE CASCADE,
         sent_at timestamptz NOT NULL DEFAULT now()
     );
     CREATE INDEX ecenter_blobs_ahead_sent_at ON ecenter_blobs_ahead (sent_at);",
    // 5: which instance wrote each batch (postgres/seals.rs).
    seals::MIGRATION,
];

/// How long this process's hubs held PostgreSQL's head row, over how many batches and entries
/// (read by the benchmark: the head lock bounds the appends per second of the whole design).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeadLockStats {
    /// Batches that locked the head (including catch-ups that wrote nothing).
    pub batches: u64,
    /// Entries those batches committed.
    pub entries: u64,
    /// Total time from asking for the row (BEGIN) to the end of COMMIT or ROLLBACK, in µs.
    pub held_us: u64,
    /// Of that, BEGIN and `SELECT … FOR UPDATE`: waiting for other instances' batches, in µs.
    pub waiting_us: u64,
    /// Copying, once the row is locked, what other instances committed since the unlocked
    /// catch-up, in µs.
    pub catch_up_us: u64,
    /// Storing in PostgreSQL the documents the batch's entries name, in µs.
    pub documents_us: u64,
    /// The batch's INSERT, the head's UPDATE and the NOTIFY, in µs.
    pub statements_us: u64,
    /// COMMIT (its WAL flush and, with a synchronous standby, the standby's), in µs.
    pub commit_us: u64,
    /// Before the head is asked for, so not part of `held_us` (the replica writer's work between
    /// batches, which with one instance bounds its batches per second): making the documents
    /// placed since the last batch durable on this hub's disk (`syncfs`), in µs.
    pub syncing_us: u64,
    /// Before the head: reading the committed head and copying what other instances committed,
    /// in µs.
    pub following_us: u64,
    /// Before the head: waiting for the documents placed before the batch to reach PostgreSQL
    /// (sent by a thread of their own while the writer works on the batch before), in µs.
    pub ahead_us: u64,
}

impl HeadLockStats {
    /// What the phases leave of `held_us`: the batch's decisions and their writes to the sled
    /// replica, in µs.
    pub fn deciding_us(&self) -> u64 {
        self.held_us.saturating_sub(
            self.waiting_us
                + self.catch_up_us
                + self.documents_us
                + self.statements_us
                + self.commit_us,
        )
    }
}

static LOCK_BATCHES: AtomicU64 = AtomicU64::new(0);
static LOCK_ENTRIES: AtomicU64 = AtomicU64::new(0);
static LOCK_HELD_US: AtomicU64 = AtomicU64::new(0);

/// A measured part of a batch's time at the head ([`HeadLockStats`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Phase {
    Waiting,
    CatchUp,
    Documents,
    Statements,
    Commit,
    /// Before the head is asked for, like the two that follow: not part of the time it is held.
    Syncing,
    Following,
    Ahead,
}

static PHASE_US: [AtomicU64; 8] = [const { AtomicU64::new(0) }; 8];

/// Adds the time since `since` to `phase`.
pub(crate) fn count(phase: Phase, since: Instant) {
    let us = u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX);
    PHASE_US[phase as usize].fetch_add(us, Ordering::Relaxed);
}

/// The head lock's use so far in this process.
pub fn head_lock_stats() -> HeadLockStats {
    let phase = |p: Phase| PHASE_US[p as usize].load(Ordering::Relaxed);
    HeadLockStats {
        batches: LOCK_BATCHES.load(Ordering::Relaxed),
        entries: LOCK_ENTRIES.load(Ordering::Relaxed),
        held_us: LOCK_HELD_US.load(Ordering::Relaxed),
        waiting_us: phase(Phase::Waiting),
        catch_up_us: phase(Phase::CatchUp),
        documents_us: phase(Phase::Documents),
        statements_us: phase(Phase::Statements),
        commit_us: phase(Phase::Commit),
        syncing_us: phase(Phase::Syncing),
        following_us: phase(Phase::Following),
        ahead_us: phase(Phase::Ahead),
    }
}

/// The channel a committed append is announced on; the payload is the new head's `seq`.
pub(crate) const HEAD_CHANNEL: &str = "ecenter_head";

pub(crate) fn pg(doing: &str) -> impl Fn(tokio_postgres::Error) -> StoreError + '_ {
    move |e| StoreError::Postgres(format!("{doing}: {}", explain(&e)))
}

/// A connection that failed: [`StoreError::Unreachable`] when no server answered (reaching it
/// failed on the network), else what the server or the TLS handshake said, as
/// [`StoreError::Postgres`].
fn connect_error(e: tokio_postgres::Error) -> StoreError {
    let said = format!("connecting to PostgreSQL: {}", explain(&e));
    if e.as_db_error().is_none() && failed_on_the_network(&e) {
        StoreError::Unreachable(said)
    } else {
        StoreError::Postgres(said)
    }
}

/// Whether `e` comes from an I/O failure reaching the server (refused, reset, timed out, a name
/// not found), not from bytes it sent that were refused (a TLS certificate: `InvalidData`).
fn failed_on_the_network(e: &tokio_postgres::Error) -> bool {
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return io.kind() != std::io::ErrorKind::InvalidData;
        }
        cause = c.source();
    }
    false
}

/// The server's own message where there is one (it names the table, role or setting); else the
/// client's, with its causes ("invalid configuration: password missing", "error performing TLS
/// handshake: invalid peer certificate: …"), which say what to fix.
fn explain(e: &tokio_postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut said = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let text = c.to_string();
        if !said.contains(&text) {
            said = format!("{said}: {text}");
        }
        cause = c.source();
    }
    said
}

/// Connects on `rt` (TLS through rustls on ring unless the URL says `sslmode=disable`) and runs
/// the connection on that runtime.
pub(crate) fn connect(
    rt: &tokio::runtime::Runtime,
    config: &PostgresConfig,
) -> Result<Client, StoreError> {
    open_connection(rt, config, None)
}

/// [`connect`], also handing every notice and notification the server sends to the receiver.
pub(crate) fn connect_with_messages(
    rt: &tokio::runtime::Runtime,
    config: &PostgresConfig,
) -> Result<(Client, mpsc::UnboundedReceiver<AsyncMessage>), StoreError> {
    let (tx, rx) = mpsc::unbounded_channel();
    Ok((open_connection(rt, config, Some(tx))?, rx))
}

fn open_connection(
    rt: &tokio::runtime::Runtime,
    config: &PostgresConfig,
    messages: Option<mpsc::UnboundedSender<AsyncMessage>>,
) -> Result<Client, StoreError> {
    let mut parsed: tokio_postgres::Config = config.url.parse().map_err(|e| {
        StoreError::Postgres(format!(
            "the PostgreSQL URL ([store] url, or --postgres) is not one: {e} (key=value pairs \
                 such as host=… port=… user=… dbname=…; sslmode takes disable, prefer or require)"
        ))
    })?;
    // A server that vanished without closing the socket (power lost) is noticed in seconds, not
    // after TCP's quarter of an hour of retransmissions; the URL may say otherwise.
    if parsed.get_connect_timeout().is_none() {
        parsed.connect_timeout(std::time::Duration::from_secs(10));
    }
    parsed.keepalives_idle(std::time::Duration::from_secs(15));
    parsed.tcp_user_timeout(std::time::Duration::from_secs(30));
    // libpq's convention: a URL without a password takes PGPASSWORD's, so that `clerk` and
    // `ecenter-admin` need no password on their command line (where `ps` shows it).
    if parsed.get_password().is_none()
        && let Some(password) = std::env::var_os("PGPASSWORD")
    {
        parsed.password(password.as_encoded_bytes());
    }
    // `connect_timeout` covers reaching each address only: a proxy in front of a failing primary
    // may accept and then say nothing, and nothing else would end the TLS or start-up exchange.
    // The limit leaves every host of the URL its connect timeout (twice: a name may have two
    // addresses) before the start-up's own.
    let per_host = parsed.get_connect_timeout().copied().unwrap_or_default();
    let hosts = u32::try_from(parsed.get_hosts().len().max(1)).unwrap_or(u32::MAX);
    let limit = STARTUP_LIMIT + per_host * 2 * hosts;
    let silent = || {
        StoreError::Unreachable(format!(
            "connecting to PostgreSQL: no server answered the start-up within {} s",
            limit.as_secs()
        ))
    };
    if parsed.get_ssl_mode() == tokio_postgres::config::SslMode::Disable {
        let (client, connection) = rt
            .block_on(async { tokio::time::timeout(limit, parsed.connect(NoTls)).await })
            .map_err(|_| silent())?
            .map_err(connect_error)?;
        rt.spawn(drive(connection, messages));
        Ok(client)
    } else {
        let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config(config)?);
        let (client, connection) = rt
            .block_on(async { tokio::time::timeout(limit, parsed.connect(tls)).await })
            .map_err(|_| silent())?
            .map_err(connect_error)?;
        rt.spawn(drive(connection, messages));
        Ok(client)
    }
}

/// How long a connection's TLS and start-up exchange may take once a server is reached.
const STARTUP_LIMIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Runs a connection until it ends, handing what the server sends unasked to `messages`.
async fn drive<S, T>(
    mut connection: tokio_postgres::Connection<S, T>,
    messages: Option<mpsc::UnboundedSender<AsyncMessage>>,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
            Some(Ok(message)) => {
                if let Some(tx) = &messages {
                    let _ = tx.send(message);
                }
            }
            Some(Err(e)) => {
                tracing::warn!(error = %explain(&e), "connection to PostgreSQL ended");
                return;
            }
            None => return,
        }
    }
}

/// rustls on ring, trusting `ca_file` or else the Web PKI roots.
fn tls_config(config: &PostgresConfig) -> Result<rustls::ClientConfig, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match &config.ca_file {
        Some(path) => {
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
                .and_then(Iterator::collect::<Result<Vec<_>, _>>)
                .map_err(|e| {
                    StoreError::Postgres(format!("[store] ca_file {}: {e}", path.display()))
                })?;
            for cert in certs {
                roots.add(cert).map_err(|e| {
                    StoreError::Postgres(format!("[store] ca_file {}: {e}", path.display()))
                })?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Postgres(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Brings the schema to [`MIGRATIONS`]' version, serialised with other starting hubs by an
/// advisory lock. A database newer than this hub is refused rather than written.
pub(crate) async fn migrate(client: &mut Client) -> Result<usize, StoreError> {
    let tx = client
        .transaction()
        .await
        .map_err(pg("starting the schema check"))?;
    tx.batch_execute(
        "SELECT pg_advisory_xact_lock(7065716);
         CREATE TABLE IF NOT EXISTS ecenter_schema (
             version integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         );",
    )
    .await
    .map_err(pg("creating ecenter_schema"))?;
    let row = tx
        .query_one("SELECT coalesce(max(version), 0) FROM ecenter_schema", &[])
        .await
        .map_err(pg("reading the schema version"))?;
    let current = usize::try_from(row.get::<_, i32>(0)).unwrap_or(0);
    if current > MIGRATIONS.len() {
        return Err(StoreError::Postgres(format!(
            "the database's schema is version {current}, newer than this hub's {}: upgrade the hub",
            MIGRATIONS.len()
        )));
    }
    if (1..MIGRATIONS.len()).contains(&current) {
        // Hubs already append: a change commits between two batches, never under one (each batch
        // reads the version once it holds the head, `lock_head`).
        tx.batch_execute("SELECT 1 FROM ecenter_head FOR UPDATE")
            .await
            .map_err(pg("waiting for the chain's head to change the schema"))?;
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = i32::try_from(i + 1).expect("few migrations");
        tx.batch_execute(sql)
            .await
            .map_err(pg("applying a schema change"))?;
        tx.execute(
            "INSERT INTO ecenter_schema (version) VALUES ($1)",
            &[&version],
        )
        .await
        .map_err(pg("recording the schema version"))?;
        tracing::info!(version, "PostgreSQL schema change applied");
    }
    tx.commit().await.map_err(pg("committing the schema"))?;
    Ok(MIGRATIONS.len())
}

/// The writer's side of PostgreSQL: one connection on its own runtime, driven from the writer
/// thread (which is not inside any other runtime).
pub(crate) struct Upstream {
    rt: tokio::runtime::Runtime,
    /// `None` after a failed transaction was cut off: dropping the session is what releases its
    /// locks when even ROLLBACK fails. The next batch connects again.
    client: Option<Client>,
    config: PostgresConfig,
    /// When this batch locked the head.
    locked_at: Option<Instant>,
    /// Seals every batch committed (a hub's instance); `None` copies a sled log (migration).
    sealer: Option<seals::Sealer>,
}

/// One entry as PostgreSQL keeps it.
pub(crate) struct Row {
    pub(crate) seq: u64,
    pub(crate) hash: [u8; 32],
    pub(crate) value: Vec<u8>,
}

impl Upstream {
    /// Connects, applies the schema and sets the durability this design relies on.
    pub(crate) fn open(config: &PostgresConfig) -> Result<Upstream, StoreError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let mut client = connect(&rt, config)?;
        rt.block_on(migrate(&mut client))?;
        let mut up = Upstream {
            rt,
            client: Some(client),
            config: config.clone(),
            locked_at: None,
            sealer: None,
        };
        up.session_settings()?;
        Ok(up)
    }

    /// Connects without touching the schema: for checks, which never write.
    pub(crate) fn connect_only(config: &PostgresConfig) -> Result<Upstream, StoreError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = connect(&rt, config)?;
        Ok(Upstream {
            rt,
            client: Some(client),
            config: config.clone(),
            locked_at: None,
            sealer: None,
        })
    }

    /// The session's connection.
    pub(crate) fn client(&self) -> Result<&Client, StoreError> {
        self.client
            .as_ref()
            .ok_or_else(|| StoreError::Postgres("not connected".into()))
    }

    /// Durable commits, and limits so that a stuck peer cannot stall every hub: a lock waited for
    /// too long fails the batch (retried by the caller), and a transaction left idle by a hub that
    /// hangs is ended by the server, releasing the head.
    fn session_settings(&mut self) -> Result<(), StoreError> {
        let settings = "SET synchronous_commit = on;
             SET lock_timeout = '30s';
             SET statement_timeout = '120s';
             SET idle_in_transaction_session_timeout = '60s'";
        self.rt
            .block_on(self.client()?.batch_execute(settings))
            .map_err(pg("setting the session's durability and timeouts"))
    }

    /// A new connection when the last one was lost or cut off (a restarted or promoted server);
    /// with several hosts in the URL it reaches whichever now accepts writes.
    pub(crate) fn reconnect_if_lost(&mut self) -> Result<(), StoreError> {
        if self.client.as_ref().is_some_and(|c| !c.is_closed()) {
            return Ok(());
        }
        tracing::warn!("reconnecting to PostgreSQL");
        self.client = Some(connect(&self.rt, &self.config)?);
        self.session_settings()
    }

    /// Ends a batch whose transaction failed part-way: ROLLBACK, or, when even that fails, the
    /// session is dropped, which ends the transaction and releases the head on the server.
    pub(crate) fn abandon(&mut self) {
        let rolled_back = self
            .client
            .as_ref()
            .is_some_and(|c| self.rt.block_on(c.batch_execute("ROLLBACK")).is_ok());
        if !rolled_back {
            self.client = None;
        }
        self.unlocked();
    }

    /// Starts a batch: begins a transaction and locks the head; returns it.
    pub(crate) fn lock_head(&mut self) -> Result<ChainHead, StoreError> {
        self.reconnect_if_lost()?;
        let asked = Instant::now();
        self.locked_at = Some(asked);
        // One round trip (the simple-query protocol, values as text): every one the head waits
        // for is time every instance waits for. The schema's version comes with it, read once the
        // head is held (a schema change takes the head too): an instance started before another
        // upgraded the database must not write to a schema it does not know (a newer one may rely
        // on every append doing something this one does not).
        let head = self.rt.block_on(async {
            let messages = self
                .client()?
                .simple_query(
                    "BEGIN; SELECT seq, encode(hash, 'hex') FROM ecenter_head FOR UPDATE;
                     SELECT max(version) FROM ecenter_schema",
                )
                .await
                .map_err(pg("locking the chain's head"))?;
            head_from_text(&messages)
        });
        count(Phase::Waiting, asked);
        if head.is_err() {
            // BEGIN may have succeeded: a transaction left open would fail every later batch.
            self.abandon();
        }
        head
    }

    /// The head as committed, without locking it. The first read of a batch: a connection lost
    /// since the last one (a restarted or promoted server) is made again here.
    pub(crate) fn head(&mut self) -> Result<ChainHead, StoreError> {
        self.reconnect_if_lost()?;
        self.rt.block_on(async {
            let row = self
                .client()?
                .query_opt("SELECT seq, hash FROM ecenter_head", &[])
                .await
                .map_err(pg("reading the chain's head"))?;
            let row = row.ok_or_else(|| {
                StoreError::Altered(
                    "the table ecenter_head has no row: the chain's head was deleted; run clerk \
                     verify-log --postgres and restore the database"
                        .into(),
                )
            })?;
            head_of(row.get(0), row.get(1))
        })
    }

    /// The stored hash of entry `seq`, if PostgreSQL has it.
    pub(crate) fn hash_at(&mut self, seq: u64) -> Result<Option<[u8; 32]>, StoreError> {
        let seq = to_i64(seq)?;
        self.rt.block_on(async {
            let row = self
                .client()?
                .query_opt("SELECT hash FROM ecenter_log WHERE seq = $1", &[&seq])
                .await
                .map_err(pg("reading an entry's hash"))?;
            row.map(|r| hash32(r.get(0))).transpose()
        })
    }

    /// A transaction of its own that takes a transaction id (so its COMMIT writes a commit
    /// record) without touching any row: its COMMIT returns only once everything committed before
    /// it is durable as the server's settings require, on a synchronous standby too.
    pub(crate) fn confirm_durable(&mut self) -> Result<(), StoreError> {
        let result = self.rt.block_on(async {
            let client = self.client()?;
            client
                .batch_execute("BEGIN; SELECT txid_current()")
                .await
                .map_err(pg("confirming an earlier commit is durable"))?;
            commit_waiting_for_standby(client).await
        });
        if result.is_err() {
            self.abandon();
        }
        result
    }

    /// Inserts `rows`, moves the head to the last one, announces it and commits. Returns once the
    /// commit is durable (synchronous commit).
    pub(crate) fn commit(&mut self, rows: &[Row]) -> Result<(), StoreError> {
        let seal = match self.sealer.as_mut() {
            Some(sealer) if !rows.is_empty() => sealer.seal(rows).map(Some),
            _ => Ok(None),
        };
        let result = self.rt.block_on(async {
            let started = Instant::now();
            let client = self.client()?;
            // One statement for the whole batch: a round trip per entry would be most of the time
            // the head is held.
            if let Some(last) = rows.last() {
                append::append_rows(client, rows, last, seal?.as_ref()).await?;
            }
            count(Phase::Statements, started);
            let committing = Instant::now();
            let committed = commit_waiting_for_standby(client).await;
            count(Phase::Commit, committing);
            committed
        });
        if result.is_ok() {
            LOCK_ENTRIES.fetch_add(rows.len() as u64, Ordering::Relaxed);
        }
        self.unlocked();
        result
    }

    /// Counts the time the head was held by the batch that just ended.
    fn unlocked(&mut self) {
        if let Some(at) = self.locked_at.take() {
            LOCK_BATCHES.fetch_add(1, Ordering::Relaxed);
            let us = u64::try_from(at.elapsed().as_micros()).unwrap_or(u64::MAX);
            LOCK_HELD_US.fetch_add(us, Ordering::Relaxed);
        }
    }

    /// Ends a batch that wrote nothing, releasing the head.
    pub(crate) fn release(&mut self) -> Result<(), StoreError> {
        let result = self.client().and_then(|c| {
            self.rt
                .block_on(c.batch_execute("ROLLBACK"))
                .map_err(pg("releasing the chain's head"))
        });
        if result.is_err() {
            self.client = None;
        }
        self.unlocked();
        result
    }
}

/// COMMIT without a statement timeout: a COMMIT cancelled while it waits for a synchronous
/// standby has committed on the primary all the same (PostgreSQL only warns), so an answer before
/// the standby has it would break the promise that every acknowledged entry is on two machines. A
/// primary that vanishes is noticed by the connection's keepalive and user timeout instead.
async fn commit_waiting_for_standby(client: &Client) -> Result<(), StoreError> {
    // One round trip: a failed SET skips the COMMIT, and the caller then abandons the
    // transaction.
    client
        .batch_execute("SET LOCAL statement_timeout = 0; COMMIT")
        .await
        .map_err(pg("committing the append"))
}

/// Entries after `after`, at most `limit`, in order.
pub(crate) async fn rows_after(
    client: &Client,
    after: u64,
    limit: usize,
) -> Result<Vec<Row>, StoreError> {
    let after = to_i64(after)?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = client
        .query(
            "SELECT seq, hash, entry FROM ecenter_log WHERE seq > $1 ORDER BY seq LIMIT $2",
            &[&after, &limit],
        )
        .await
        .map_err(pg("reading log entries"))?;
    rows.into_iter()
        .map(|r| {
            Ok(Row {
                seq: u64::try_from(r.get::<_, i64>(0))
                    .map_err(|e| StoreError::Postgres(format!("a negative seq: {e}")))?,
                hash: hash32(r.get(1))?,
                value: r.get(2),
            })
        })
        .collect()
}

/// The head out of the text row `SELECT seq, encode(hash, 'hex')` answered.
fn head_from_text(
    messages: &[tokio_postgres::SimpleQueryMessage],
) -> Result<ChainHead, StoreError> {
    let bad = |what: &str| StoreError::Postgres(format!("locking the chain's head: {what}"));
    let mut rows = messages.iter().filter_map(|m| match m {
        tokio_postgres::SimpleQueryMessage::Row(row) => Some(row),
        _ => None,
    });
    let row = rows.next().ok_or_else(|| bad("the head row is missing"))?;
    let seq = row
        .get(0)
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| bad("its seq is not a number"))?;
    let hash = row
        .get(1)
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| bad("its hash is not hex"))?;
    let schema = rows
        .next()
        .and_then(|v| v.get(0))
        .and_then(|v| v.parse::<usize>().ok())
        .ok_or_else(|| bad("the schema's version is missing"))?;
    if schema > MIGRATIONS.len() {
        return Err(StoreError::SchemaNewer(format!(
            "the database's schema is at version {schema}, newer than this hub's {}: another \
             instance was upgraded; upgrade this one and start it again (nothing was recorded)",
            MIGRATIONS.len()
        )));
    }
    head_of(seq, hash)
}

fn head_of(seq: i64, hash: Vec<u8>) -> Result<ChainHead, StoreError> {
    Ok(ChainHead {
        seq: u64::try_from(seq)
            .map_err(|e| StoreError::Postgres(format!("the head's seq is negative: {e}")))?,
        hash: hash32(hash)?,
        recorded_at: None,
    })
}

fn hash32(bytes: Vec<u8>) -> Result<[u8; 32], StoreError> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| StoreError::Postgres(format!("a stored hash of {} bytes", bytes.len())))
}

fn to_i64(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(|_| StoreError::Postgres(format!("seq {seq} is out of range")))
}
