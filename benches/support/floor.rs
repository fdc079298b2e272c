//! The thinnest hubs there can be, for the PostgreSQL benchmark's floor (issue #19): a gRPC
//! server in this process that answers `SubmitFiling` with an empty response after reading the
//! whole request stream — and, optionally, after one durable `INSERT` of the document into
//! PostgreSQL (synchronous commit, one of 32 connections). No decisions, no chain, no blob file,
//! no projections. Loaded by the same 32 clients as the hubs, on the same two cores, they bound
//! what any hub with gRPC in front can reach against `pgbench`'s anchor on this machine.

use ecenter_proto::v1 as pb;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tonic::codegen::{BoxFuture, Context, Poll, Service, http};
use tonic::server::{ClientStreamingService, Grpc, NamedService};
use tonic::{Request, Response, Status, Streaming};

/// Connections a floor with PostgreSQL spreads its inserts over (as many as the loading clients).
const CONNECTIONS: usize = 32;

/// What the floor does with each filing once its stream is read.
#[derive(Clone)]
pub struct Floor {
    db: Option<Arc<Vec<tokio::sync::Mutex<tokio_postgres::Client>>>>,
    next: Arc<AtomicUsize>,
}

impl Floor {
    /// Reads and answers: gRPC alone.
    pub fn grpc_only() -> Floor {
        Floor {
            db: None,
            next: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Reads, inserts the document into `table` of `dbname` (which must exist, with a `data
    /// bytea` column) and answers once PostgreSQL has committed it.
    pub async fn with_insert(port: &str, dbname: &str) -> Floor {
        let mut clients = Vec::new();
        for _ in 0..CONNECTIONS {
            let (client, connection) = tokio_postgres::connect(
                &format!("host=127.0.0.1 port={port} user=postgres dbname={dbname}"),
                tokio_postgres::NoTls,
            )
            .await
            .expect("the tests' PostgreSQL (tests/postgres/start.sh)");
            tokio::spawn(connection);
            clients.push(tokio::sync::Mutex::new(client));
        }
        Floor {
            db: Some(Arc::new(clients)),
            next: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Serves the floor on 127.0.0.1:0 until the runtime ends; its address.
    pub async fn serve(self) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(self)
                .serve_with_incoming(incoming),
        );
        addr
    }

    /// The document's bytes, gathered from the stream's chunks.
    async fn read(mut stream: Streaming<pb::SubmitFilingRequest>) -> Result<Vec<u8>, Status> {
        let mut document = Vec::new();
        while let Some(message) = stream.message().await? {
            if let Some(pb::submit_filing_request::Part::Chunk(c)) = message.part {
                document.extend_from_slice(&c.data);
            }
        }
        Ok(document)
    }
}

impl NamedService for Floor {
    const NAME: &'static str = "ecenter.v1.FilingService";
}

impl ClientStreamingService<pb::SubmitFilingRequest> for Floor {
    type Response = pb::SubmitFilingResponse;
    type Future = BoxFuture<Response<Self::Response>, Status>;

    fn call(&mut self, request: Request<Streaming<pb::SubmitFilingRequest>>) -> Self::Future {
        let floor = self.clone();
        Box::pin(async move {
            let document = Floor::read(request.into_inner()).await?;
            if let Some(db) = &floor.db {
                let n = floor.next.fetch_add(1, Ordering::Relaxed) % db.len();
                let client = db[n].lock().await;
                client
                    .execute("INSERT INTO payload (data) VALUES ($1)", &[&document])
                    .await
                    .map_err(|e| Status::unavailable(e.to_string()))?;
            }
            Ok(Response::new(pb::SubmitFilingResponse::default()))
        })
    }
}

impl Service<http::Request<tonic::body::Body>> for Floor {
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<tonic::body::Body>) -> Self::Future {
        let floor = self.clone();
        Box::pin(async move {
            let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
            Ok(grpc.client_streaming(floor, request).await)
        })
    }
}
