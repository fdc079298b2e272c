//! The tower layer in front of every service: it authenticates the caller (certificate identity
//! under mTLS, the development header otherwise), attaches the [`Identity`] to the request, and
//! enforces per-identity rate and concurrency limits with RESOURCE_EXHAUSTED and a retry hint.

use crate::error::ApiError;
use crate::identity::{IDENTITY_HEADER, Identity};
use crate::peer::PeerInfo;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::Semaphore;

use tonic::body::Body;

/// Per-identity request limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RequestLimits {
    /// Sustained requests per second for one identity.
    pub requests_per_second: u32,
    /// Requests one identity may send at once above the sustained rate.
    pub burst: u32,
    /// Requests of one identity in progress at the same time (an upload counts until its receipt).
    pub max_concurrent: usize,
}

impl Default for RequestLimits {
    /// Generous for a lawyer's client, a court system's queries and a clerk's audits alike.
    fn default() -> Self {
        RequestLimits {
            requests_per_second: 200,
            burst: 400,
            max_concurrent: 64,
        }
    }
}

/// How callers are authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Authentication {
    /// The identity in the client certificate, checked at the TLS handshake.
    MutualTls,
    /// Development only: the caller states its identity in [`IDENTITY_HEADER`].
    DevHeader,
}

/// Paths that need no identity: health checks and reflection.
fn is_public(path: &str) -> bool {
    path.starts_with("/grpc.health.v1.Health/") || path.starts_with("/grpc.reflection.")
}

struct Shared {
    authentication: Authentication,
    limits: RequestLimits,
    rate: Option<DefaultKeyedRateLimiter<String>>,
    in_flight: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// The layer; cheap to clone.
#[derive(Clone)]
pub struct GuardLayer {
    shared: Arc<Shared>,
}

impl GuardLayer {
    /// Builds the layer; a rate of 0 disables rate limiting.
    pub fn new(authentication: Authentication, limits: RequestLimits) -> GuardLayer {
        let rate = NonZeroU32::new(limits.requests_per_second).map(|rps| {
            let burst =
                NonZeroU32::new(limits.burst.max(limits.requests_per_second)).unwrap_or(rps);
            DefaultKeyedRateLimiter::keyed(Quota::per_second(rps).allow_burst(burst))
        });
        GuardLayer {
            shared: Arc::new(Shared {
                authentication,
                limits,
                rate,
                in_flight: Mutex::new(HashMap::new()),
            }),
        }
    }
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service the layer wraps around the router.
#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    shared: Arc<Shared>,
}

fn refuse(error: ApiError) -> http::Response<Body> {
    tonic::Status::from(error).into_http()
}

impl Shared {
    fn identify<B>(&self, request: &http::Request<B>) -> Result<Identity, ApiError> {
        match self.authentication {
            Authentication::MutualTls => match request.extensions().get::<PeerInfo>() {
                Some(info) => info
                    .current_identity()
                    .map_err(|e| ApiError::unauthenticated(e.to_string())),
                None => Err(ApiError::unauthenticated("no client certificate")),
            },
            Authentication::DevHeader => {
                // Two would leave who is calling to the order of headers.
                if request.headers().get_all(IDENTITY_HEADER).iter().count() > 1 {
                    return Err(ApiError::unauthenticated(format!(
                        "{IDENTITY_HEADER} is sent more than once: send one identity"
                    )));
                }
                let value = request.headers().get(IDENTITY_HEADER).ok_or_else(|| {
                    ApiError::unauthenticated(format!(
                        "no caller identity: in development mode send the metadata header {IDENTITY_HEADER}: urn:ecenter:<court|clerk|lawyer>:<id>"
                    ))
                })?;
                let text = value.to_str().map_err(|_| {
                    ApiError::unauthenticated(format!("{IDENTITY_HEADER} is not ASCII"))
                })?;
                Identity::parse(text)
                    .map_err(|e| ApiError::unauthenticated(format!("{IDENTITY_HEADER}: {e}")))
            }
        }
    }

    fn check_rate(&self, key: &String) -> Result<(), ApiError> {
        let Some(limiter) = &self.rate else {
            return Ok(());
        };
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until
                .wait_time_from(limiter.clock().now())
                .max(Duration::from_millis(1));
            ApiError::Exhausted {
                message: format!(
                    "{key} sent more than {} requests per second; retry in {} ms",
                    self.limits.requests_per_second,
                    wait.as_millis().max(1)
                ),
                retry: wait,
            }
        })
    }

    fn acquire(&self, key: &str) -> Result<tokio::sync::OwnedSemaphorePermit, ApiError> {
        let semaphore = {
            let mut map = self.in_flight.lock().expect("in-flight lock");
            map.entry(key.to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.limits.max_concurrent)))
                .clone()
        };
        semaphore.try_acquire_owned().map_err(|_| {
            ApiError::Exhausted {
                message: format!(
                    "{key} already has {} requests in progress; retry when one of them has finished",
                    self.limits.max_concurrent
                ),
                retry: Duration::from_millis(100),
            }
        })
    }
}

impl<S, B> tower::Service<http::Request<B>> for Guard<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = http::Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        // The clone that was polled ready serves this call (tower's usual swap).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if is_public(request.uri().path()) {
            return Box::pin(inner.call(request));
        }
        let identity = match self.shared.identify(&request) {
            Ok(i) => i,
            Err(status) => return Box::pin(async move { Ok(refuse(status)) }),
        };
        let key = identity.to_string();
        if let Err(status) = self.shared.check_rate(&key) {
            tracing::warn!(identity = %key, "rate limit exceeded");
            return Box::pin(async move { Ok(refuse(status)) });
        }
        let permit = match self.shared.acquire(&key) {
            Ok(p) => p,
            Err(status) => {
                tracing::warn!(identity = %key, "concurrency limit exceeded");
                return Box::pin(async move { Ok(refuse(status)) });
            }
        };
        request.extensions_mut().insert(identity);
        // The method's name (the path's last segment), for refusals logged under what was called.
        let method = request
            .uri()
            .path()
            .rsplit('/')
            .next()
            .unwrap_or("")
            .to_string();
        Box::pin(crate::authz::RPC.scope(method, async move {
            let response = inner.call(request).await;
            drop(permit);
            response.map(|r| written_out(sized_for_people(undecodable_is_the_callers(r))))
        }))
    }
}

/// The last guard on what a refusal quotes: a status message holding a character a reader cannot
/// see (a bidi override from a filing id, a bell from a department's name) has each written out
/// as `[U+202E]` ([`ecenter_domain::text::written_out`]), whichever handler quoted it raw, so no
/// refusal reorders or hides what the clerk or the log reads. The details are left as they are.
fn written_out(mut response: http::Response<Body>) -> http::Response<Body> {
    let Some(status) = tonic::Status::from_header_map(response.headers()) else {
        return response;
    };
    // Line breaks stay: some refusals list their points one a line.
    let lines: Vec<&str> = status.message().split('\n').collect();
    if !lines.iter().any(|l| ecenter_domain::text::has_hidden(l)) {
        return response;
    }
    let message = lines
        .iter()
        .map(|l| ecenter_domain::text::written_out(l))
        .collect::<Vec<_>>()
        .join("\n");
    let headers = response.headers_mut();
    headers.remove("grpc-message");
    let _ = tonic::Status::new(status.code(), message).add_header(headers);
    response
}

/// Longest status message or details header the hub sends, in bytes (grpc clients refuse
/// metadata over 8 KiB and would report RESOURCE_EXHAUSTED instead of the real status).
const MAX_STATUS_HEADER: usize = 4096;

/// A last guard on what an error may quote: a status whose message or details grew past
/// [`MAX_STATUS_HEADER`] (a message that copied a document's own text) keeps its code and an
/// excerpt of its message; the details, which would repeat it, are dropped. Statuses are cut at
/// their source ([`ecenter_budget::excerpt`]); this catches any that were not.
fn sized_for_people(mut response: http::Response<Body>) -> http::Response<Body> {
    let long = |name: &str| {
        response
            .headers()
            .get(name)
            .is_some_and(|v| v.len() > MAX_STATUS_HEADER)
    };
    if !long("grpc-message") && !long("grpc-status-details-bin") {
        return response;
    }
    if let Some(status) = tonic::Status::from_header_map(response.headers()) {
        let message = ecenter_budget::excerpt(status.message(), 500);
        let headers = response.headers_mut();
        headers.remove("grpc-status-details-bin");
        headers.remove("grpc-message");
        let _ = tonic::Status::new(status.code(), message).add_header(headers);
    }
    response
}

/// tonic's own answers to a request body it could not read, in the codes the gRPC status guide
/// gives them: a body that is no protobuf message of the method (not UTF-8 where a string is due,
/// cut short, not protobuf at all) is the caller's fault — INVALID_ARGUMENT, not the INTERNAL that
/// tells monitoring the hub broke — and a message over the size limit is RESOURCE_EXHAUSTED (not
/// OUT_OF_RANGE), saying what to do.
fn undecodable_is_the_callers(mut response: http::Response<Body>) -> http::Response<Body> {
    let Some(status) = tonic::Status::from_header_map(response.headers()) else {
        return response;
    };
    let said = status.message();
    let (code, message) = match status.code() {
        tonic::Code::Internal if said.starts_with("failed to decode Protobuf message") => (
            tonic::Code::InvalidArgument,
            format!(
                "the request is not a protobuf message of this method ({}): check the client's \
                 generated code against proto/ecenter/v1",
                ecenter_budget::excerpt(said, 300)
            ),
        ),
        tonic::Code::OutOfRange if said.contains("message length too large") => (
            tonic::Code::ResourceExhausted,
            format!(
                "{said}: one request message holds at most that many bytes — send a document \
                 in chunks (SubmitFiling) or name a stored one instead of its bytes, and send \
                 no text longer than the limit (a judgment's text to index, a note)"
            ),
        ),
        _ => return response,
    };
    let headers = response.headers_mut();
    headers.remove("grpc-status-details-bin");
    headers.remove("grpc-message");
    let _ = tonic::Status::new(code, message).add_header(headers);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::Code;
    use tonic_types::{ErrorDetails, StatusExt};

    #[test]
    fn a_status_that_copied_a_document_is_cut_to_an_excerpt_keeping_its_code() {
        let quoted = format!("tag <{}> is not closed", "x".repeat(100_000));
        let status = tonic::Status::with_error_details(
            Code::FailedPrecondition,
            quoted.clone(),
            ErrorDetails::with_precondition_failure_violation("XML", "tag", quoted),
        );
        let cut = sized_for_people(status.into_http());
        let headers = cut.headers();
        assert!(headers.get("grpc-message").unwrap().len() <= MAX_STATUS_HEADER);
        assert!(headers.get("grpc-status-details-bin").is_none());
        let status = tonic::Status::from_header_map(headers).unwrap();
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert!(
            status.message().starts_with("tag <xxx"),
            "{}",
            status.message()
        );
        assert!(status.message().contains("more characters)"));
        // A short status passes untouched, details and all.
        let short = tonic::Status::with_error_details(
            Code::InvalidArgument,
            "page: 0",
            ErrorDetails::with_retry_info(None),
        );
        let kept = sized_for_people(short.into_http());
        assert!(kept.headers().get("grpc-status-details-bin").is_some());
    }

    #[test]
    fn a_body_tonic_cannot_decode_is_the_callers_fault_and_too_large_is_exhausted() {
        let code = |status: tonic::Status| {
            let r = undecodable_is_the_callers(status.into_http());
            tonic::Status::from_header_map(r.headers()).unwrap()
        };
        let bad = code(tonic::Status::internal(
            "failed to decode Protobuf message: GetFilingRequest.filing_id: invalid string value",
        ));
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert!(bad.message().contains("filing_id"), "{}", bad.message());
        let big = code(tonic::Status::out_of_range(
            "Error, decoded message length too large: found 5242894 bytes, the limit is: 4194304 bytes",
        ));
        assert_eq!(big.code(), Code::ResourceExhausted);
        assert!(big.message().contains("4194304"), "{}", big.message());
        // The hub's own INTERNAL (a store failure) stays what it is.
        assert_eq!(
            code(tonic::Status::internal("the event log refused the write")).code(),
            Code::Internal
        );
    }
}
