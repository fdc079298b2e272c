//! The six services on one port: health (NOT_SERVING once the log refuses writes), reflection,
//! the request guard, and a stop that lets requests in flight finish within a grace period.
//!
//! The server crate builds the services and hands them here with the listening socket; this is
//! the one place a tonic transport is started.

use crate::filing::FilingApi;
use crate::guard::{Authentication, GuardLayer, RequestLimits};
use crate::lawyers::LawyerApi;
use crate::log::EventLogApi;
use crate::parsing::ParsePool;
use crate::peer::ClientTls;
use crate::seal::SealApi;
use crate::service::ServiceApi;
use crate::similar::SimilarApi;
use ecenter_proto::v1::event_log_service_server::EventLogServiceServer;
use ecenter_proto::v1::filing_service_server::FilingServiceServer;
use ecenter_proto::v1::lawyer_directory_server::LawyerDirectoryServer;
use ecenter_proto::v1::seal_service_server::SealServiceServer;
use ecenter_proto::v1::service_of_process_server::ServiceOfProcessServer;
use ecenter_proto::v1::similar_case_service_server::SimilarCaseServiceServer;
use ecenter_store::EventStore;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tonic::server::NamedService;
use tonic::transport::server::TcpIncoming;
use tonic_health::ServingStatus;
use tonic_health::server::HealthReporter;

/// Why the gRPC port stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum GrpcError {
    /// The transport failed.
    #[error("gRPC transport error: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// Reflection could not load the descriptor set.
    #[error("reflection setup failed: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The listening socket has no address.
    #[error("the gRPC socket: {0}")]
    Io(#[from] std::io::Error),
}

/// The services, each over the same store.
pub struct Services<S> {
    /// FilingService.
    pub filing: FilingApi<S>,
    /// EventLogService.
    pub log: EventLogApi<S>,
    /// SealService.
    pub seal: SealApi<S>,
    /// SimilarCaseService.
    pub similar: SimilarApi<S>,
    /// ServiceOfProcess.
    pub service: ServiceApi<S>,
    /// LawyerDirectory.
    pub lawyers: LawyerApi<S>,
}

/// Where and how the services are served.
pub struct Port {
    /// The bound socket.
    pub listener: TcpListener,
    /// Mutual TLS; `None` is development mode (callers name themselves in a header).
    pub tls: Option<ClientTls>,
    /// Per-caller request limits (the guard).
    pub limits: RequestLimits,
    /// Seconds requests in flight may still run once the stop began.
    pub grace_secs: u64,
}

/// Serves `services` on `port` until `shutdown` completes (which must set `stop`), then lets
/// requests in flight finish for at most the grace period.
pub async fn serve<S: EventStore>(
    port: Port,
    services: Services<S>,
    store: Arc<S>,
    parsing: Arc<ParsePool>,
    shutdown: impl Future<Output = ()> + Send,
    stop: watch::Receiver<bool>,
) -> Result<(), GrpcError> {
    let (health, health_service) = tonic_health::server::health_reporter();
    report_health::<S>(&health, ServingStatus::Serving).await;
    tokio::spawn(not_serving_on_write_failure(
        store.clone(),
        health,
        stop.clone(),
    ));
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(ecenter_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let addr = port.listener.local_addr()?;
    let authentication = if port.tls.is_some() {
        Authentication::MutualTls
    } else {
        Authentication::DevHeader
    };
    let router = tonic::transport::Server::builder()
        .layer(GuardLayer::new(authentication, port.limits))
        .add_service(health_service)
        .add_service(reflection)
        .add_service(FilingServiceServer::new(services.filing))
        .add_service(EventLogServiceServer::new(services.log))
        .add_service(SealServiceServer::new(services.seal))
        .add_service(SimilarCaseServiceServer::new(services.similar))
        .add_service(ServiceOfProcessServer::new(services.service))
        .add_service(LawyerDirectoryServer::new(services.lawyers));
    match port.tls {
        Some(tls) => {
            tracing::info!(%addr, "serving gRPC over mutual TLS");
            let serving = router
                .serve_with_incoming_shutdown(crate::peer::incoming(port.listener, tls), shutdown);
            within_grace(serving, stop, port.grace_secs, &parsing).await?;
        }
        None => {
            tracing::warn!(%addr, "serving gRPC in DEVELOPMENT MODE: no TLS, callers name themselves");
            let incoming = TcpIncoming::from(port.listener).with_nodelay(Some(true));
            let serving = router.serve_with_incoming_shutdown(incoming, shutdown);
            within_grace(serving, stop, port.grace_secs, &parsing).await?;
        }
    }
    Ok(())
}

/// Sets the overall status ("") and every service's to `status`.
async fn report_health<S: EventStore>(health: &HealthReporter, status: ServingStatus) {
    let services = [
        "",
        <FilingServiceServer<FilingApi<S>> as NamedService>::NAME,
        <EventLogServiceServer<EventLogApi<S>> as NamedService>::NAME,
        <SealServiceServer<SealApi<S>> as NamedService>::NAME,
        <SimilarCaseServiceServer<SimilarApi<S>> as NamedService>::NAME,
        <ServiceOfProcessServer<ServiceApi<S>> as NamedService>::NAME,
        <LawyerDirectoryServer<LawyerApi<S>> as NamedService>::NAME,
    ];
    for name in services {
        health.set_service_status(name, status).await;
    }
}

/// A log that refuses writes is reported by health, so load balancers and operators see it.
async fn not_serving_on_write_failure<S: EventStore>(
    store: Arc<S>,
    health: HealthReporter,
    mut stop: watch::Receiver<bool>,
) {
    let mut failure = store.write_failure();
    tokio::select! {
        failed = async { failure.wait_for(Option::is_some).await.is_ok() } => if failed {
            tracing::error!("health: NOT_SERVING, the event log refuses writes");
            report_health::<S>(&health, ServingStatus::NotServing).await;
        },
        _ = async { stop.wait_for(|s| *s).await.is_ok() } => {}
    }
}

/// Serves until `serving` ends, or until `grace_secs` after the stop began: then the requests
/// still in flight are given up (their callers get no answer; nothing they asked for was
/// acknowledged), the log says how many parses were running, and the hub goes on closing its log.
async fn within_grace<E>(
    serving: impl Future<Output = Result<(), E>>,
    mut stop: watch::Receiver<bool>,
    grace_secs: u64,
    parsing: &ParsePool,
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
