//! The thinnest hubs there can be, for the PostgreSQL benchmark's floor (issue #19): a gRPC
//! server in this process that answers `SubmitFiling` with an empty response after reading the
//! whole request stream — and, optionally, after one durable `INSERT` of the document into
//! PostgreSQL (synchronous commit, on whichever of 32 connections is free). No decisions, no chain, no blob file,
//! no projections. Loaded by the same 32 clients as the hubs, on the same two cores, they bound
//! what any hub with gRPC in front can reach against `pgbench`'s anchor on this machine.

use ecenter_proto::v1 as pb;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tonic::codegen::{BoxFuture, Context, Poll, Service, http};
use tonic::server::{ClientStreamingService, Grpc, NamedService};
use tonic::{Request, Response, Status, Streaming};

/// Connections a floor with PostgreSQL spreads its inserts over (as many as the loading clients).
const CONNECTIONS: usize = 32;

/// The INSERT every filing makes, prepared once per connection (pgbench's `-n` script sends it as
/// a simple query; preparing it per call would cost the floor a round trip pgbench does not pay).
const INSERT: &str = "INSERT INTO payload (data) VALUES ($1)";

/// An idle connection and its prepared INSERT.
type Connection = (tokio_postgres::Client, tokio_postgres::Statement);

/// Connections free to take, and a permit for each: a filing waits only while all are busy.
struct Pool {
    idle: std::sync::Mutex<Vec<Connection>>,
    free: tokio::sync::Semaphore,
}

/// What the floor does with each filing once its stream is read.
#[derive(Clone)]
pub struct Floor {
    db: Option<Arc<Pool>>,
}

/// A running floor: where to load it, and how to stop it (which closes its connections).
pub struct Running {
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<Result<(), tonic::transport::Error>>,
}

impl Running {
    pub async fn stop(self) {
        let _ = self.stop.send(());
        self.server
            .await
            .unwrap()
            .expect("the floor served until stopped");
    }
}

impl Floor {
    /// Reads and answers: gRPC alone.
    pub fn grpc_only() -> Floor {
        Floor { db: None }
    }

    /// Reads, inserts the document into `payload` of `dbname` (which must exist, with a `data
    /// bytea` column) and answers once PostgreSQL has committed it.
    pub async fn with_insert(port: &str, dbname: &str) -> Floor {
        let mut idle = Vec::new();
        for _ in 0..CONNECTIONS {
            let (client, connection) = tokio_postgres::connect(
                &format!("host=127.0.0.1 port={port} user=postgres dbname={dbname}"),
                tokio_postgres::NoTls,
            )
            .await
            .expect("the tests' PostgreSQL (tests/postgres/start.sh)");
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    eprintln!("floor: a PostgreSQL connection failed: {e}");
                }
            });
            let insert = client.prepare(INSERT).await.expect("the payload table");
            idle.push((client, insert));
        }
        let pool = Pool {
            idle: std::sync::Mutex::new(idle),
            free: tokio::sync::Semaphore::new(CONNECTIONS),
        };
        Floor {
            db: Some(Arc::new(pool)),
        }
    }

    /// Serves the floor on 127.0.0.1:0 until stopped.
    pub async fn serve(self) -> Running {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(self)
                .serve_with_incoming_shutdown(incoming, async {
                    let _ = stopped.await;
                }),
        );
        Running { addr, stop, server }
    }

    /// One durable INSERT of `document` on a free connection.
    async fn insert(pool: &Pool, document: &[u8]) -> Result<(), Status> {
        let _permit = pool.free.acquire().await.expect("never closed");
        let (client, insert) = pool
            .idle
            .lock()
            .unwrap()
            .pop()
            .expect("a permit, a connection");
        let result = client.execute(&insert, &[&document]).await;
        pool.idle.lock().unwrap().push((client, insert));
        result
            .map(|_| ())
            .map_err(|e| Status::unavailable(e.to_string()))
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
            if let Some(pool) = &floor.db {
                Floor::insert(pool, &document).await?;
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
        if request.uri().path() != "/ecenter.v1.FilingService/SubmitFiling" {
            let answer = Status::unimplemented("the floor answers SubmitFiling only").into_http();
            return Box::pin(async move { Ok(answer) });
        }
        let floor = self.clone();
        Box::pin(async move {
            let mut grpc = Grpc::new(tonic_prost::ProstCodec::default());
            Ok(grpc.client_streaming(floor, request).await)
        })
    }
}
