//! Who is calling, as the server sees it: the identity itself lives in `ecenter_identity`; this
//! module knows how a request carries it (a layer attaches it from the client certificate, or in
//! development mode from the `x-ecenter-identity` metadata header).

use crate::error::ApiError;
pub use ecenter_identity::{Identity, IdentityError, Role};
use tonic::{Request, Status};

/// Metadata header carrying the caller's identity in development mode.
pub const IDENTITY_HEADER: &str = "x-ecenter-identity";

/// Reads the identity a layer attached to the request.
pub fn caller<T>(request: &Request<T>) -> Result<Identity, Status> {
    request
        .extensions()
        .get::<Identity>()
        .cloned()
        .ok_or_else(|| ApiError::unauthenticated("no caller identity").into())
}
