//! The ecenter hub: gRPC services over the event store, and the loop that serves them.
//!
//! Invariant: only this crate knows tonic; library errors become `tonic::Status` in [`error`] only.
#![warn(missing_docs)]

pub mod config;
pub mod convert;
pub mod error;
pub mod filing;
pub mod identity;
pub mod intake;
pub mod log;

pub use config::Config;

use ecenter_proto::v1::event_log_service_server::EventLogServiceServer;
use ecenter_proto::v1::filing_service_server::FilingServiceServer;
use ecenter_store::{EventStore, SledStore, StoreError};
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
    /// The configuration is unsafe or inconsistent.
    #[error("configuration refused: {0}")]
    Config(String),
    /// The gRPC transport failed.
    #[error("gRPC transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Reflection could not load the descriptor set.
    #[error("reflection setup failed: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
}

/// A hub whose configuration was accepted and whose event log verified; ready to serve.
pub struct Hub {
    config: Config,
    store: Arc<SledStore>,
}

impl Hub {
    /// Checks the configuration for `listen_on` and opens the data directory, verifying the whole
    /// event log; a log that does not verify is refused, naming its first bad entry.
    pub fn open(config: Config, listen_on: std::net::SocketAddr) -> Result<Hub, ServeError> {
        if !config.dev_mode {
            return Err(ServeError::Config(
                "TLS is not configured; start with dev_mode (flag --dev) for a local development hub on loopback".into(),
            ));
        }
        if !listen_on.ip().is_loopback() {
            return Err(ServeError::Config(format!(
                "development mode serves only on loopback, not on {listen_on}"
            )));
        }
        let store = Arc::new(SledStore::open(&config.data_dir)?);
        Ok(Hub { config, store })
    }

    /// Serves on `listener` until `shutdown` completes, then finishes in-flight requests, ends watch
    /// streams and flushes the log.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), ServeError> {
        let result = serve_store(listener, self.store.clone(), self.config, shutdown).await;
        self.store.close().await?;
        tracing::info!("event log flushed; hub stopped");
        result
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

async fn serve_store<S: EventStore>(
    listener: TcpListener,
    store: Arc<S>,
    config: Config,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let filing = filing::FilingApi::new(
        store.clone(),
        config.limits.to_limits(),
        config.routing.clone(),
        stop_rx,
    );
    let log = log::EventLogApi::new(store.clone());
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<FilingServiceServer<filing::FilingApi<S>>>()
        .await;
    health
        .set_serving::<EventLogServiceServer<log::EventLogApi<S>>>()
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(ecenter_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let shutdown = async move {
        shutdown.await;
        tracing::info!("shutting down: finishing in-flight requests");
        let _ = stop_tx.send(true);
    };
    tracing::info!(addr = %listener.local_addr().map_err(StoreError::Io)?, "serving gRPC (development mode, no TLS)");
    tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection)
        .add_service(tonic::service::interceptor::InterceptedService::new(
            FilingServiceServer::new(filing),
            identity::dev_identity,
        ))
        .add_service(tonic::service::interceptor::InterceptedService::new(
            EventLogServiceServer::new(log),
            identity::dev_identity,
        ))
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown,
        )
        .await?;
    Ok(())
}
