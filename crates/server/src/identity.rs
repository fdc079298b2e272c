//! Who is calling. An identity is a URN `urn:ecenter:<role>:<id>`: the same scheme the client
//! certificates carry as a SAN URI. In development mode the caller states it in the
//! `x-ecenter-identity` metadata header.

use std::fmt;
use tonic::{Request, Status};

/// Metadata header carrying the caller's identity in development mode.
pub const IDENTITY_HEADER: &str = "x-ecenter-identity";

/// What kind of party calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A court case-management system.
    Court,
    /// A court clerk (audit).
    Clerk,
    /// A lawyer (licence number as id).
    Lawyer,
}

impl Role {
    fn parse(s: &str) -> Option<Role> {
        match s {
            "court" => Some(Role::Court),
            "clerk" => Some(Role::Clerk),
            "lawyer" => Some(Role::Lawyer),
            _ => None,
        }
    }

    /// Name used in the URN.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Court => "court",
            Role::Clerk => "clerk",
            Role::Lawyer => "lawyer",
        }
    }
}

/// A caller: role and id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Identity {
    /// Role.
    pub role: Role,
    /// Id within the role (licence number, system code, staff number).
    pub id: String,
}

impl Identity {
    /// Parses `urn:ecenter:<role>:<id>`.
    pub fn parse(urn: &str) -> Result<Identity, String> {
        let rest = urn
            .strip_prefix("urn:ecenter:")
            .ok_or_else(|| format!("「{urn}」 does not start with urn:ecenter:"))?;
        let (role, id) = rest
            .split_once(':')
            .ok_or_else(|| format!("「{urn}」 has no id after the role"))?;
        let role = Role::parse(role)
            .ok_or_else(|| format!("unknown role 「{role}」: use court, clerk or lawyer"))?;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        {
            return Err(format!(
                "id 「{id}」 must be 1 to 64 characters of A-Z a-z 0-9 - . _"
            ));
        }
        Ok(Identity {
            role,
            id: id.to_string(),
        })
    }

    /// Reads the identity a layer attached to the request.
    pub fn of<T>(request: &Request<T>) -> Result<Identity, Status> {
        request
            .extensions()
            .get::<Identity>()
            .cloned()
            .ok_or_else(|| Status::unauthenticated("no caller identity"))
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "urn:ecenter:{}:{}", self.role.as_str(), self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_round_trip_and_bad_ones_are_explained() {
        let id = Identity::parse("urn:ecenter:lawyer:14201202010123456").unwrap();
        assert_eq!(id.role, Role::Lawyer);
        assert_eq!(id.to_string(), "urn:ecenter:lawyer:14201202010123456");
        assert!(
            Identity::parse("urn:x:lawyer:1")
                .unwrap_err()
                .contains("urn:ecenter:")
        );
        assert!(
            Identity::parse("urn:ecenter:judge:1")
                .unwrap_err()
                .contains("unknown role")
        );
        assert!(
            Identity::parse("urn:ecenter:lawyer:")
                .unwrap_err()
                .contains("must be")
        );
    }
}
