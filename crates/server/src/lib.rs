//! The ecenter hub: opens what the configuration names (TLS, seal keys, electronic service, the
//! data directory, whose whole log is verified against its signed checkpoints), then serves the
//! gRPC services of `ecenter-api`, the outbox and recipients' page of `ecenter-outbox`, and the
//! background work (checkpoints, scrub, archival renewal) until told to stop; then it flushes the log.
//!
//! Start reading at [`Hub::open`] and [`Hub::serve`]: start-up in order, in one sitting.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod checkpoint_mail;
pub mod checkpoint_policy;
pub mod checkpoints;
pub mod config;
pub mod loss;
mod receipts;
pub mod tls;

pub use config::Config;
pub use ecenter_outbox::engine as outbox;
pub use ecenter_outbox::{config_error, dsn_inbox, maildir, page, proof, replies};

use ecenter_api::{archive, filing, grpc, lawyers, log, parsing, scrub, seal, service, similar};
use ecenter_store::{EventLog, EventStore, SledStore, StoreError};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// Why the store did not open, naming where to look: the data directory, or — when PostgreSQL
/// refused the connection itself — `[store] url` (round 20, F5: a wrong password or a missing
/// database was said to be the data directory's fault).
fn opening_refused(e: &StoreError) -> String {
    let connecting = match e {
        StoreError::Unreachable(_) => true,
        StoreError::Postgres(why) => {
            // Invalid authorization (class 28), a missing database (3D000), a URL the client
            // could not read.
            why.contains("(28") || why.contains("(3D000)") || why.contains("invalid configuration")
        }
        _ => false,
    };
    if connecting {
        format!(
            "cannot open the log of record in PostgreSQL: {e} — check [store] url (host, port, \
             user, dbname; the password in PGPASSWORD or ~/.pgpass) and that the database exists"
        )
    } else {
        format!("cannot open the data directory: {e}")
    }
}

/// Why the hub could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Opening or verifying the store failed (a broken chain names its first bad entry).
    #[error("{}", opening_refused(.0))]
    Store(#[from] StoreError),
    /// The log could not be flushed when the hub stopped (or a flush failed while it served).
    #[error("the hub stopped without its event log fully on disk: {0}")]
    Stopped(StoreError),
    /// The hub had refused changes since its log was refused (an entry that does not verify, a
    /// table changed around the hubs): nothing was in flight; the reason says what to do.
    #[error("{0}")]
    Refused(StoreError),
    /// The configuration is unsafe or inconsistent.
    #[error("configuration refused: {0}")]
    Config(String),
    /// The data directory cannot be created or written (not a directory, no permission, a
    /// read-only file system): said once, with its path.
    #[error(
        "the data directory {} cannot be used ({source}): give --data-dir (or ECENTER_DATA_DIR, or data_dir in the configuration) a directory this user can write / 数据目录不可用",
        path.display()
    )]
    DataDir {
        /// The directory.
        path: std::path::PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The gRPC port failed.
    #[error(transparent)]
    Grpc(#[from] grpc::GrpcError),
    /// The seal keys or trust stores could not be loaded.
    #[error("seal configuration refused: {0}")]
    Seals(ecenter_outbox::ConfigError),
    /// The similar-case index could not be opened or brought up to date with the log.
    #[error("similar-case index: {0}")]
    Similar(String),
    /// The TLS material could not be loaded.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The checkpoint key (`[checkpoints] key_file`, or the one in the data directory) is not an
    /// ECDSA P-256 private key in PKCS#8 PEM, or cannot be read.
    #[error(
        "the checkpoint key cannot be used ([checkpoints] key_file; an ECDSA P-256 private key in \
         PKCS#8 PEM, as `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` makes): {0}"
    )]
    CheckpointKey(ecenter_store::checkpoint::CheckpointError),
    /// The log disagrees with its signed checkpoints, or they cannot be checked.
    #[error("the event log is refused: {0}")]
    Evidence(#[from] checkpoints::EvidenceRefused),
    /// The log was flushed and the hub stopped, but the checkpoint of its final head could not be
    /// written to every checkpoint file (a witness's disk full or gone). Nothing is lost: the
    /// next start compares the log with the checkpoints there are and signs the head.
    #[error(
        "the event log was flushed, but its final checkpoint could not be written: {0}; the next start signs the head"
    )]
    FinalCheckpoint(ecenter_store::checkpoint::CheckpointError),
    /// Electronic service cannot start (its page cannot listen, or its certificates are unusable).
    #[error("electronic service refused: {0}")]
    Service(String),
    /// A setting of electronic service is wrong: section, field and why.
    #[error("electronic service configuration refused: {0}")]
    ServiceSetting(#[from] config_error::ConfigError),
    /// With PostgreSQL as the log of record, this instance's replica may hold entries the log does
    /// not (a batch whose commit could not be settled, or that another instance overtook): the
    /// instance stopped serving so that, started again, it sets the replica aside and rebuilds it.
    /// `ecenterd` exits with [`ServeError::RESTART_ME`] for this, which a supervisor restarts.
    #[error(
        "stopped to rebuild this instance's replica of the PostgreSQL log: {0}; start it again (a supervisor does so on exit status 75)"
    )]
    ReplicaAhead(String),
}

impl ServeError {
    /// Exit status for [`ServeError::ReplicaAhead`]: 75, EX_TEMPFAIL of sysexits.h, "try again".
    pub const RESTART_ME: i32 = 75;
}

/// A hub whose configuration was accepted and whose event log verified; ready to serve.
pub struct Hub {
    config: Config,
    store: Arc<SledStore>,
    acceptor: Option<ecenter_api::peer::ClientTls>,
    seals: Option<Arc<seal::SealContext>>,
    similar: Arc<similar::SimilarIndex>,
    service: Option<ServiceRuntime>,
    checkpointer: checkpoints::Checkpointer,
    pending_loss: Option<loss::PendingLoss>,
    receipt_pdf: Option<ecenter_api::receipt_pdf::ReceiptPdf>,
}

/// Electronic service ready to serve: its context, and the recipients' page's socket.
struct ServiceRuntime {
    context: Arc<service::ServiceContext>,
    page: std::net::TcpListener,
    page_acceptor: Option<tokio_rustls::TlsAcceptor>,
}

/// The channels notices of filing go by: those of the outbox (`[service]`), none without one.
fn notice_channels(config: &Config) -> ecenter_api::notices::NoticeChannels {
    let service = config.service.as_ref();
    let smtp = service.and_then(|s| s.smtp.as_ref());
    ecenter_api::notices::NoticeChannels {
        email: smtp.is_some(),
        sms: service.is_some_and(|s| s.sms.is_some()),
        smtputf8: smtp.is_some_and(|s| s.smtputf8),
    }
}

/// Creates the data directory if needed and checks a file can be made in it, so a directory
/// that cannot be used is named once, before the log, the checkpoints and the documents each
/// fail on it in their own words.
fn writable(dir: &std::path::Path) -> Result<(), ServeError> {
    let fail = |source| ServeError::DataDir {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    // Per process: two hubs starting on one directory must meet at its lock, not at the probe.
    let probe = dir.join(format!(".ecenter-write-probe-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)
}

impl Hub {
    /// Checks the configuration for `listen_on` and opens the data directory, verifying the whole
    /// event log; a log that does not verify is refused, naming its first bad entry.
    pub fn open(config: Config, listen_on: std::net::SocketAddr) -> Result<Hub, ServeError> {
        // A policy naming no kind, a fee or a routing rule for an unknown kind: refused before
        // anything opens.
        let policy = config
            .court_policy()
            .map_err(|e| ServeError::Config(e.to_string()))?;
        config.routing_table(&policy).map_err(ServeError::Config)?;
        let acceptor = client_acceptor(&config, listen_on)?;
        let seals = match &config.seals {
            Some(s) => Some(Arc::new(s.load().map_err(ServeError::Seals)?)),
            None => None,
        };
        let service = open_service(&config, seals.as_ref())?;
        let receipt_pdf = receipts::load(&config, seals.as_ref())?;
        if config.checkpoints.archive_email.is_some()
            && config
                .service
                .as_ref()
                .and_then(|s| s.smtp.as_ref())
                .is_none()
        {
            return Err(ServeError::Config(
                "[checkpoints] archive_email: checkpoints are mailed through the court's relay; configure [service.smtp] too".into(),
            ));
        }
        writable(&config.data_dir)?;
        let vouching = match &config.store {
            config::StoreConfig::Postgres(_) if !config.data_dir.join("log").is_dir() => {
                checkpoints::Vouching::ANewReplica
            }
            _ => checkpoints::Vouching::TheLog,
        };
        if let config::StoreConfig::Postgres(pg) = &config.store
            && vouching == checkpoints::Vouching::TheLog
        {
            // The checkpoints below are judged against this hub's replica: bring it up to
            // PostgreSQL's head first. A new instance (no replica yet) is judged as a new data
            // directory: it makes its checkpoint key and builds its replica when the store opens.
            let key_file = config.checkpoints.key_file.as_deref();
            let replica = SledStore::open_replicated_sealing(&config.data_dir, pg, key_file)?;
            replica.close_blocking()?;
        }
        let pending = checkpoint_policy::precheck(
            &config.data_dir,
            &config.checkpoints,
            config.accept_loss.as_ref(),
            matches!(config.store, config::StoreConfig::Sled),
        )?;
        let store = Arc::new(match &config.store {
            config::StoreConfig::Sled => SledStore::open(&config.data_dir)?,
            config::StoreConfig::Postgres(pg) => SledStore::open_replicated_sealing(
                &config.data_dir,
                pg,
                config.checkpoints.key_file.as_deref(),
            )?,
        });
        let checkpointer = checkpoints::open(
            &store,
            &config.data_dir,
            &config.checkpoints,
            seals.clone(),
            pending.as_ref(),
            vouching,
        )?;
        // Documents no entry names are kept aside, never deleted: after a loss they are what is
        // left of the lost entries; otherwise a refused upload's, or a restore's whose documents
        // are newer than its log (evidence of what the log lacks).
        let orphans_to = loss::set_aside_dir(
            &config.data_dir,
            match pending {
                Some(_) => "documents-of-lost-entries",
                None => "documents-no-entry-names",
            },
        );
        store.remove_orphan_blobs(Some(&orphans_to))?;
        let similar = similar::SimilarIndex::open(&config.data_dir.join("similar"))
            .map_err(|e| ServeError::Similar(e.to_string()))?;
        Ok(Hub {
            config,
            store,
            acceptor,
            seals,
            similar: Arc::new(similar),
            service,
            checkpointer,
            pending_loss: pending,
            receipt_pdf,
        })
    }

    /// Where the recipients' page listens, when electronic service is configured.
    pub fn page_addr(&self) -> Option<std::net::SocketAddr> {
        self.service.as_ref().and_then(|s| s.page.local_addr().ok())
    }

    /// Serves on `listener` until `shutdown` completes, then finishes in-flight requests, ends watch
    /// streams and flushes the log.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServeError> {
        // The index is a projection of the log: apply what it missed (all of it, if it was deleted).
        self.similar
            .catch_up(&self.store, None)
            .await
            .map_err(|e| ServeError::Similar(e.message().to_string()))?;
        self.similar
            .compact()
            .await
            .map_err(|e| ServeError::Similar(e.message().to_string()))?;
        if let Some(loss) = &self.pending_loss {
            let event = loss.event();
            self.store
                .append(Box::new(move |_: &dyn ecenter_store::ReadView| {
                    Ok((vec![event], ()))
                }))
                .await?;
            tracing::warn!(first = loss.accepted.first, last = loss.accepted.last, by = %loss.accepted.by, "the loss of log entries is on the record");
        }
        record_read_model_repair(&self.store).await?;
        let (checkpoints_stop, stop_rx) = watch::channel(false);
        let checkpointing = tokio::spawn(self.checkpointer.run(self.store.clone(), stop_rx));
        let shutdown = stop_when_replica_is_ahead(self.store.write_failure(), shutdown);
        let result = serve_store(
            listener,
            self.store.clone(),
            self.config,
            self.acceptor,
            Services {
                seals: self.seals,
                similar: self.similar,
                service: self.service,
                receipt_pdf: self.receipt_pdf,
            },
            shutdown,
        )
        .await;
        let failed = self.store.write_failure().borrow().clone();
        if let Some(why) = failed.filter(|why| why.starts_with(ecenter_store::REPLICA_AHEAD)) {
            return Err(ServeError::ReplicaAhead(why));
        }
        self.store.close().await.map_err(|e| match e {
            e @ StoreError::Poisoned(_) => ServeError::Refused(e),
            e => ServeError::Stopped(e),
        })?;
        let _ = checkpoints_stop.send(true);
        if let Ok(mut checkpointer) = checkpointing.await {
            checkpointer
                .finish(&self.store.head())
                .map_err(ServeError::FinalCheckpoint)?;
        }
        tracing::info!("event log flushed; hub stopped");
        result
    }
}

/// Puts on the record a repair of the read models the store made as it opened (they differed from
/// the log's projection), then forgets it.
async fn record_read_model_repair(store: &SledStore) -> Result<(), ServeError> {
    let Some(drift) = store.read_models_repaired()? else {
        return Ok(());
    };
    let event = ecenter_domain::Event::ReadModelsRepaired {
        trees: drift.trees.clone(),
        through: drift.through,
        found: drift.found,
        projected: drift.projected,
    };
    store
        .append(Box::new(move |_: &dyn ecenter_store::ReadView| {
            Ok((vec![event], ()))
        }))
        .await?;
    store.repair_recorded()?;
    tracing::warn!(trees = ?drift.trees, "the repair of the read models is on the record");
    Ok(())
}

/// `shutdown`, or, with PostgreSQL as the log of record, a write failure that left the replica
/// holding entries the log may not ([`ecenter_store::REPLICA_AHEAD`]): a restart rebuilds it,
/// which serving on would only put off. Other failures (a log that does not verify) leave the
/// hub serving reads, NOT_SERVING for writes, until an operator acts.
async fn stop_when_replica_is_ahead(
    mut failure: watch::Receiver<Option<String>>,
    shutdown: impl Future<Output = ()> + Send,
) {
    let ahead = async move {
        let ahead = |why: &Option<String>| {
            why.as_ref()
                .is_some_and(|why| why.starts_with(ecenter_store::REPLICA_AHEAD))
        };
        if failure.wait_for(ahead).await.is_err() {
            // The writer is gone (it panicked): no write can succeed; stop, and the close names it.
            tracing::error!("the log writer stopped");
        }
    };
    tokio::select! {
        () = shutdown => {}
        () = ahead => {
            tracing::error!("stopping: the replica of the PostgreSQL log may hold entries the log does not (a restart rebuilds it), or the log writer stopped");
        }
    }
}

/// The gRPC port's TLS with client certificates; without `[tls]`, only development mode on
/// loopback is served (plain), anything else is refused.
fn client_acceptor(
    config: &Config,
    listen_on: std::net::SocketAddr,
) -> Result<Option<ecenter_api::peer::ClientTls>, ServeError> {
    Ok(match &config.tls {
        Some(tls_config) => Some(tls::acceptor(tls_config)?),
        None if !config.dev_mode => {
            return Err(ServeError::Config(
                "TLS is not configured: set [tls] in the configuration, or start with dev_mode (flag --dev) for a local development hub on loopback".into(),
            ));
        }
        None if !listen_on.ip().is_loopback() => {
            return Err(ServeError::Config(format!(
                "development mode serves only on loopback, not on {listen_on}"
            )));
        }
        None => None,
    })
}

/// Electronic service, when configured: binds the recipients' page (HTTPS unless development
/// mode on loopback), prepares the DSN maildir and loads the service context sealing proofs.
fn open_service(
    config: &Config,
    seals: Option<&Arc<seal::SealContext>>,
) -> Result<Option<ServiceRuntime>, ServeError> {
    Ok(match &config.service {
        Some(s) => {
            let page = std::net::TcpListener::bind(s.page_listen).map_err(|e| {
                ServeError::Service(format!("recipients' page on {}: {e}", s.page_listen))
            })?;
            page.set_nonblocking(true).map_err(StoreError::Io)?;
            let page_addr = page.local_addr().map_err(StoreError::Io)?;
            let page_acceptor = match &s.page_tls {
                Some(t) => Some(tls::page_acceptor(&t.cert, &t.key)?),
                None => None,
            };
            if let Some(smtp) = &s.smtp {
                prepare_dsn_maildir(smtp)?;
            }
            let context = s
                .load(
                    seals
                        .cloned()
                        .map(|s| s as Arc<dyn ecenter_outbox::ProofSigner>),
                    page_addr,
                    config.dev_mode && config.tls.is_none(),
                )
                .map_err(ServeError::ServiceSetting)?;
            Some(ServiceRuntime {
                context: Arc::new(context),
                page,
                page_acceptor,
            })
        }
        None => None,
    })
}

/// Checks (and, when told whom for, creates) the maildir delivery reports arrive in.
fn prepare_dsn_maildir(smtp: &service::SmtpSettings) -> Result<(), ServeError> {
    let Some(dir) = &smtp.dsn_maildir else {
        return Ok(());
    };
    match maildir::prepare(dir, smtp.dsn_maildir_owner) {
        Ok(maildir::MaildirState::Ready) => Ok(()),
        Ok(maildir::MaildirState::AwaitingMta { missing }) => {
            tracing::warn!(
                missing = %missing.display(),
                "the DSN maildir does not exist yet: the hub waits for the MTA to create it at its \
                 first delivery (or set [service.smtp] dsn_maildir_owner to have the hub create it)"
            );
            Ok(())
        }
        Err(problem) => Err(ServeError::Service(problem.to_string())),
    }
}

/// Opens and serves in one step (see [`Hub::open`] and [`Hub::serve`]).
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let local = listener.local_addr().map_err(StoreError::Io)?;
    Hub::open(config, local)?.serve(listener, shutdown).await
}

/// What the optional services run on.
struct Services {
    seals: Option<Arc<seal::SealContext>>,
    similar: Arc<similar::SimilarIndex>,
    service: Option<ServiceRuntime>,
    receipt_pdf: Option<ecenter_api::receipt_pdf::ReceiptPdf>,
}

async fn serve_store<S: EventStore>(
    listener: TcpListener,
    store: Arc<S>,
    config: Config,
    acceptor: Option<ecenter_api::peer::ClientTls>,
    services: Services,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    if let Some(ctx) = &services.seals {
        tokio::spawn(archive::run_background(
            store.clone(),
            ctx.clone(),
            stop_rx.clone(),
        ));
    }
    tokio::spawn(scrub::run_background(
        store.clone(),
        config.scrub.clone(),
        stop_rx.clone(),
    ));
    let parsing = Arc::new(parsing::ParsePool::new(
        &config.parse_pool,
        config.parsing.clone(),
    ));
    let policy = config
        .court_policy()
        .map_err(|e| ServeError::Config(e.to_string()))?;
    let routing = config.routing_table(&policy).map_err(ServeError::Config)?;
    config.similar.check().map_err(ServeError::Config)?;
    let filing = filing::FilingApi::new(store.clone(), policy, routing, stop_rx.clone())
        .with_parsing_limits(config.parsing.clone())
        .with_receipt_pdf(services.receipt_pdf)
        .with_notices(notice_channels(&config));
    let apis = grpc::Services {
        filing: filing.clone(),
        log: log::EventLogApi::new(store.clone()),
        seal: seal::SealApi::new(store.clone(), services.seals.clone(), parsing.clone()),
        similar: similar::SimilarApi::new(store.clone(), services.similar.clone(), parsing.clone())
            .with_config(&config.similar),
        service: service::ServiceApi::new(
            store.clone(),
            services.service.as_ref().map(|s| s.context.clone()),
            services.seals.clone(),
            stop_rx.clone(),
        ),
        lawyers: lawyers::LawyerApi::new(store.clone()).with_channels(notice_channels(&config)),
    };
    let mut background = match services.service {
        Some(runtime) => start_service(&store, &config, runtime, filing, &stop_rx)?,
        None => Vec::new(),
    };
    // 类案推送: similar cases pushed to a case's judge as its filings are docketed.
    let pusher = similar::CasePusher::new(
        store.clone(),
        services.similar,
        parsing.clone(),
        config.data_dir.join("similar-push.seq"),
    );
    background.push(tokio::spawn(pusher.run(stop_rx.clone())));
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    };
    let port = grpc::Port {
        listener,
        tls: acceptor,
        limits: config.request_limits.clone(),
        grace_secs: config.stop_grace_secs,
    };
    grpc::serve(port, apis, store, parsing, shutdown, stop_rx).await?;
    // The outbox records the outcome of sends in progress before the log closes.
    for task in background {
        let _ = task.await;
    }
    Ok(())
}

/// Starts electronic service: the outbox, the DSN inbox, the recipients' page and the mailing of
/// checkpoints; returns the tasks to wait for once the gRPC port has stopped.
fn start_service<S: EventStore>(
    store: &Arc<S>,
    config: &Config,
    runtime: ServiceRuntime,
    filing: filing::FilingApi<S>,
    stop: &watch::Receiver<bool>,
) -> Result<Vec<tokio::task::JoinHandle<()>>, ServeError> {
    let mut background = Vec::new();
    if let Some(to) = &config.checkpoints.archive_email {
        let witness = checkpoint_mail::MailWitness {
            to: to.clone(),
            every: std::time::Duration::from_secs(config.checkpoints.email_interval_secs.max(1)),
            dir: ecenter_store::checkpoint::local_dir(&config.data_dir),
        };
        tokio::spawn(checkpoint_mail::run(
            store.clone(),
            runtime.context.clone(),
            witness,
            stop.clone(),
        ));
    }
    let outbox = outbox::Outbox::new(store.clone(), runtime.context.clone());
    background.push(tokio::spawn(outbox.clone().run(stop.clone())));
    if let Some(smtp) = runtime.context.config.smtp.as_ref()
        && let Some(maildir) = smtp.dsn_maildir.clone()
    {
        background.push(tokio::spawn(dsn_inbox::run(
            store.clone(),
            (maildir, smtp.report_relays.clone()),
            stop.clone(),
        )));
    }
    let page = page::Page::new(store.clone(), runtime.context.clone());
    let mut router = page.router();
    if runtime.context.config.portal.enabled {
        let context = runtime.context.clone();
        let portal =
            ecenter_portal::Portal::new(store.clone(), outbox, context, filing, stop.clone());
        router = router.merge(portal.router());
    }
    let listener = TcpListener::from_std(runtime.page).map_err(StoreError::Io)?;
    tracing::info!(addr = ?listener.local_addr().ok(), tls = runtime.page_acceptor.is_some(), "serving the recipients' page");
    background.push(tokio::spawn(page::serve(
        listener,
        runtime.page_acceptor,
        router,
        stop.clone(),
    )));
    Ok(background)
}
