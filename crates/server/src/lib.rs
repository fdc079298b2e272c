//! The ecenter hub: gRPC services over the event store, and the loop that serves them.
//!
//! Invariant: only this crate knows tonic; library errors become `tonic::Status` in [`error`] only.
#![warn(missing_docs)]

pub mod archive;
pub mod authz;
pub mod checkpoint_mail;
pub mod checkpoint_policy;
pub mod checkpoints;
pub mod config;
pub mod convert;
pub mod documents;
pub mod error;
pub mod filing;
pub mod guard;
pub mod identity;
pub mod intake;
pub mod log;
pub mod log_tail;
pub mod loss;
pub mod parsing;
pub mod review;
pub mod revocation;
pub mod scrub;
pub mod seal;
mod seal_config;
mod seal_pdf;
pub mod service;
pub mod similar;
pub mod tls;

pub use config::Config;
pub use ecenter_outbox::engine as outbox;
pub use ecenter_outbox::{config_error, dsn_inbox, maildir, page, proof, replies};

use ecenter_proto::v1::event_log_service_server::EventLogServiceServer;
use ecenter_proto::v1::filing_service_server::FilingServiceServer;
use ecenter_proto::v1::seal_service_server::SealServiceServer;
use ecenter_proto::v1::service_of_process_server::ServiceOfProcessServer;
use ecenter_proto::v1::similar_case_service_server::SimilarCaseServiceServer;
use ecenter_store::{EventLog, EventStore, SledStore, StoreError};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::transport::server::TcpIncoming;

/// Why the hub could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Opening or verifying the store failed (a broken chain names its first bad entry).
    #[error("cannot open the data directory: {0}")]
    Store(#[from] StoreError),
    /// The log could not be flushed when the hub stopped (or a flush failed while it served).
    #[error("the hub stopped without its event log fully on disk: {0}")]
    Stopped(StoreError),
    /// The configuration is unsafe or inconsistent.
    #[error("configuration refused: {0}")]
    Config(String),
    /// The gRPC transport failed.
    #[error("gRPC transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Reflection could not load the descriptor set.
    #[error("reflection setup failed: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The seal keys or trust stores could not be loaded.
    #[error("seal configuration refused: {0}")]
    Seals(String),
    /// The similar-case index could not be opened or brought up to date with the log.
    #[error("similar-case index: {0}")]
    Similar(String),
    /// The TLS material could not be loaded.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The log disagrees with its signed checkpoints, or they cannot be checked.
    #[error("the event log is refused: {0}")]
    Evidence(#[from] checkpoints::EvidenceRefused),
    /// Electronic service cannot start (its page cannot listen, or its certificates are unusable).
    #[error("electronic service refused: {0}")]
    Service(String),
    /// A setting of electronic service is wrong: section, field and why.
    #[error("electronic service configuration refused: {0}")]
    ServiceSetting(#[from] config_error::ConfigError),
}

/// A hub whose configuration was accepted and whose event log verified; ready to serve.
pub struct Hub {
    config: Config,
    store: Arc<SledStore>,
    acceptor: Option<tls::ClientTls>,
    seals: Option<Arc<seal::SealContext>>,
    similar: Arc<similar::SimilarIndex>,
    service: Option<ServiceRuntime>,
    checkpointer: checkpoints::Checkpointer,
    pending_loss: Option<loss::PendingLoss>,
}

/// Electronic service ready to serve: its context, and the recipients' page's socket.
struct ServiceRuntime {
    context: Arc<service::ServiceContext>,
    page: std::net::TcpListener,
    page_acceptor: Option<tokio_rustls::TlsAcceptor>,
}

impl Hub {
    /// Checks the configuration for `listen_on` and opens the data directory, verifying the whole
    /// event log; a log that does not verify is refused, naming its first bad entry.
    pub fn open(config: Config, listen_on: std::net::SocketAddr) -> Result<Hub, ServeError> {
        let acceptor = match &config.tls {
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
        };
        let seals = match &config.seals {
            Some(s) => Some(Arc::new(s.load().map_err(ServeError::Seals)?)),
            None => None,
        };
        let service = match &config.service {
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
                            .clone()
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
        };
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
        let pending = checkpoint_policy::precheck(
            &config.data_dir,
            &config.checkpoints,
            config.accept_loss.as_ref(),
        )?;
        let store = Arc::new(SledStore::open(&config.data_dir)?);
        let checkpointer = checkpoints::open(
            &store,
            &config.data_dir,
            &config.checkpoints,
            seals.clone(),
            pending.as_ref(),
        )?;
        // After a loss, documents only lost entries named are what is left of them: kept aside.
        let orphans_to = pending
            .as_ref()
            .map(|_| loss::set_aside_dir(&config.data_dir, "documents-of-lost-entries"));
        store.remove_orphan_blobs(orphans_to.as_deref())?;
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
        let (checkpoints_stop, stop_rx) = watch::channel(false);
        let checkpointing = tokio::spawn(self.checkpointer.run(self.store.clone(), stop_rx));
        let result = serve_store(
            listener,
            self.store.clone(),
            self.config,
            self.acceptor,
            Services {
                seals: self.seals,
                similar: self.similar,
                service: self.service,
            },
            shutdown,
        )
        .await;
        self.store.close().await.map_err(ServeError::Stopped)?;
        let _ = checkpoints_stop.send(true);
        if let Ok(mut checkpointer) = checkpointing.await {
            checkpointer
                .finish(&self.store.head())
                .map_err(|e| ServeError::Evidence(e.into()))?;
        }
        tracing::info!("event log flushed; hub stopped");
        result
    }
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
}

/// Serves until `serving` ends, or until `grace_secs` after the stop began: then the requests
/// still in flight are given up (their callers get no answer; nothing they asked for was
/// acknowledged), the log says how many parses were running, and the hub goes on closing its log.
async fn within_grace<E>(
    serving: impl Future<Output = Result<(), E>>,
    mut stop: watch::Receiver<bool>,
    grace_secs: u64,
    parsing: &parsing::ParsePool,
) -> Result<(), E> {
    let grace = async {
        let _ = stop.wait_for(|s| *s).await;
        tokio::time::sleep(std::time::Duration::from_secs(grace_secs)).await;
    };
    tokio::select! {
        served = serving => served,
        () = grace => {
            tracing::warn!(
                grace_secs,
                parses_running = parsing.running(),
                "requests still in flight when the stop's grace period ended: given up without an answer"
            );
            Ok(())
        }
    }
}

async fn serve_store<S: EventStore>(
    listener: TcpListener,
    store: Arc<S>,
    config: Config,
    acceptor: Option<tls::ClientTls>,
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
    let parse_pool = Arc::new(parsing::ParsePool::new(
        &config.parse_pool,
        config.parsing.clone(),
    ));
    let seal_api = seal::SealApi::new(store.clone(), services.seals.clone(), parse_pool.clone());
    let similar_api = similar::SimilarApi::new(store.clone(), services.similar, parse_pool.clone());
    let filing = filing::FilingApi::new(
        store.clone(),
        config.limits.to_limits(),
        config.routing.clone(),
        stop_rx.clone(),
    )
    .with_max_package_parts(config.parsing.objects);
    let log = log::EventLogApi::new(store.clone());
    let service_api = service::ServiceApi::new(
        store.clone(),
        services.service.as_ref().map(|s| s.context.clone()),
        services.seals.clone(),
        stop_rx.clone(),
    );
    let mut background = Vec::new();
    tokio::spawn(scrub::run_background(
        store.clone(),
        config.scrub.clone(),
        stop_rx.clone(),
    ));
    if let Some(runtime) = services.service {
        if let Some(to) = &config.checkpoints.archive_email {
            let witness = checkpoint_mail::MailWitness {
                to: to.clone(),
                every: std::time::Duration::from_secs(
                    config.checkpoints.email_interval_secs.max(1),
                ),
                dir: ecenter_store::checkpoint::local_dir(&config.data_dir),
            };
            tokio::spawn(checkpoint_mail::run(
                store.clone(),
                runtime.context.clone(),
                witness,
                stop_rx.clone(),
            ));
        }
        let outbox = outbox::Outbox::new(store.clone(), runtime.context.clone());
        background.push(tokio::spawn(outbox.run(stop_rx.clone())));
        if let Some(smtp) = runtime.context.config.smtp.as_ref()
            && let Some(maildir) = smtp.dsn_maildir.clone()
        {
            background.push(tokio::spawn(dsn_inbox::run(
                store.clone(),
                (maildir, smtp.report_relays.clone()),
                stop_rx.clone(),
            )));
        }
        let page = page::Page::new(store.clone(), runtime.context.clone());
        let listener = TcpListener::from_std(runtime.page).map_err(StoreError::Io)?;
        tracing::info!(addr = ?listener.local_addr().ok(), tls = runtime.page_acceptor.is_some(), "serving the recipients' page");
        background.push(tokio::spawn(page::serve(
            listener,
            runtime.page_acceptor,
            page.router(),
            stop_rx.clone(),
        )));
    }
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<FilingServiceServer<filing::FilingApi<S>>>()
        .await;
    health
        .set_serving::<EventLogServiceServer<log::EventLogApi<S>>>()
        .await;
    health
        .set_serving::<SealServiceServer<seal::SealApi<S>>>()
        .await;
    health
        .set_serving::<SimilarCaseServiceServer<similar::SimilarApi<S>>>()
        .await;
    health
        .set_serving::<ServiceOfProcessServer<service::ServiceApi<S>>>()
        .await;
    // A log that refuses writes is reported by health, so load balancers and operators see it.
    let mut failure = store.write_failure();
    let reporter = health.clone();
    let mut stopping = stop_rx.clone();
    tokio::spawn(async move {
        tokio::select! {
            failed = async { failure.wait_for(Option::is_some).await.is_ok() } => if failed {
                tracing::error!("health: NOT_SERVING, the event log refuses writes");
                reporter.set_not_serving::<FilingServiceServer<filing::FilingApi<S>>>().await;
                reporter.set_not_serving::<EventLogServiceServer<log::EventLogApi<S>>>().await;
                reporter.set_not_serving::<SealServiceServer<seal::SealApi<S>>>().await;
                reporter.set_not_serving::<SimilarCaseServiceServer<similar::SimilarApi<S>>>().await;
                reporter.set_not_serving::<ServiceOfProcessServer<service::ServiceApi<S>>>().await;
                reporter.set_service_status("", tonic_health::ServingStatus::NotServing).await;
            },
            _ = async { stopping.wait_for(|s| *s).await.is_ok() } => {}
        }
    });
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(ecenter_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    };
    let addr = listener.local_addr().map_err(StoreError::Io)?;
    let authentication = if acceptor.is_some() {
        guard::Authentication::MutualTls
    } else {
        guard::Authentication::DevHeader
    };
    let router = tonic::transport::Server::builder()
        .layer(guard::GuardLayer::new(
            authentication,
            config.request_limits.clone(),
        ))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(FilingServiceServer::new(filing))
        .add_service(EventLogServiceServer::new(log))
        .add_service(SealServiceServer::new(seal_api))
        .add_service(SimilarCaseServiceServer::new(similar_api))
        .add_service(ServiceOfProcessServer::new(service_api));
    match acceptor {
        Some(acceptor) => {
            tracing::info!(%addr, "serving gRPC over mutual TLS");
            let serving =
                router.serve_with_incoming_shutdown(tls::incoming(listener, acceptor), shutdown);
            within_grace(
                serving,
                stop_rx.clone(),
                config.stop_grace_secs,
                &parse_pool,
            )
            .await?;
        }
        None => {
            tracing::warn!(%addr, "serving gRPC in DEVELOPMENT MODE: no TLS, callers name themselves");
            let serving = router.serve_with_incoming_shutdown(
                TcpIncoming::from(listener).with_nodelay(Some(true)),
                shutdown,
            );
            within_grace(
                serving,
                stop_rx.clone(),
                config.stop_grace_secs,
                &parse_pool,
            )
            .await?;
        }
    }
    // The outbox records the outcome of sends in progress before the log closes.
    for task in background {
        let _ = task.await;
    }
    Ok(())
}
