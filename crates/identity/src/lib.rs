//! Who calls the hub. An identity is a URN `urn:ecenter:<role>:<id>`, carried by a client
//! certificate as its one `urn:ecenter:` SAN URI (RFC 5280 §4.2.1.6) beside extendedKeyUsage
//! clientAuth. The hub reads it to authorise every call; the command-line clients read it to say
//! who they file as. In development mode the caller states it in a metadata header instead (the
//! server's business, not this crate's).

#![forbid(unsafe_code)]
use std::fmt;

/// Why an identity or a certificate's identity was refused; the text says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The URN is not `urn:ecenter:<court|clerk|lawyer>:<id>`.
    #[error("{0}")]
    Urn(String),
    /// The certificate does not parse, is not for TLS clients, or carries no single identity.
    #[error("{0}")]
    Certificate(String),
}

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

/// At most 80 characters of what a caller sent, with … when cut: a refusal quotes an excerpt,
/// never a whole header (an 8,000-character one came back whole before).
fn cut(s: &str) -> String {
    let mut out: String = s.chars().take(80).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

impl Identity {
    /// Parses `urn:ecenter:<role>:<id>`.
    pub fn parse(urn: &str) -> Result<Identity, IdentityError> {
        let rest = urn.strip_prefix("urn:ecenter:").ok_or_else(|| {
            IdentityError::Urn(format!("「{}」 does not start with urn:ecenter:", cut(urn)))
        })?;
        let (role, id) = rest.split_once(':').ok_or_else(|| {
            IdentityError::Urn(format!("「{}」 has no id after the role", cut(urn)))
        })?;
        let role = Role::parse(role).ok_or_else(|| {
            IdentityError::Urn(format!(
                "unknown role 「{}」: use court, clerk or lawyer",
                cut(role)
            ))
        })?;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
        {
            return Err(IdentityError::Urn(format!(
                "id 「{}」 must be 1 to 64 characters of A-Z a-z 0-9 - . _",
                cut(id)
            )));
        }
        Ok(Identity {
            role,
            id: id.to_string(),
        })
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "urn:ecenter:{}:{}", self.role.as_str(), self.id)
    }
}

/// Reads `urn:ecenter:<role>:<id>` from the certificate's SAN URIs (exactly one must be there).
pub fn from_certificate(der: &[u8]) -> Result<Identity, IdentityError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| {
        IdentityError::Certificate(format!("the client certificate does not parse: {e}"))
    })?;
    // RFC 5280 §4.2.1.12 lets a certificate without extendedKeyUsage serve any purpose; the court's
    // client CA issues clientAuth explicitly, so a certificate without it was not made for this.
    let client_auth = cert
        .extended_key_usage()
        .ok()
        .flatten()
        .is_some_and(|e| e.value.client_auth);
    if !client_auth {
        return Err(IdentityError::Certificate(
            "the client certificate does not carry extendedKeyUsage clientAuth (1.3.6.1.5.5.7.3.2): the hub accepts only certificates the court issued for TLS clients".into(),
        ));
    }
    let san = cert
        .subject_alternative_name()
        .map_err(|e| {
            IdentityError::Certificate(format!(
                "the client certificate's subjectAltName is malformed: {e}"
            ))
        })?
        .ok_or_else(|| {
            IdentityError::Certificate(
                "the client certificate has no subjectAltName with an urn:ecenter identity".into(),
            )
        })?;
    let urns: Vec<&str> = san
        .value
        .general_names
        .iter()
        .filter_map(|n| match n {
            x509_parser::extensions::GeneralName::URI(u) if u.starts_with("urn:ecenter:") => {
                Some(*u)
            }
            _ => None,
        })
        .collect();
    match urns.as_slice() {
        [one] => Identity::parse(one),
        [] => Err(IdentityError::Certificate(
            "the client certificate carries no urn:ecenter:<role>:<id> URI".into(),
        )),
        _ => Err(IdentityError::Certificate(
            "the client certificate carries more than one urn:ecenter identity".into(),
        )),
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
                .to_string()
                .contains("urn:ecenter:")
        );
        assert!(
            Identity::parse("urn:ecenter:judge:1")
                .unwrap_err()
                .to_string()
                .contains("unknown role")
        );
        assert!(
            Identity::parse("urn:ecenter:lawyer:")
                .unwrap_err()
                .to_string()
                .contains("must be")
        );
    }

    #[test]
    fn a_refusal_quotes_an_excerpt_of_a_long_identity() {
        let long = format!("urn:ecenter:lawyer:{}", "x".repeat(8000));
        let why = Identity::parse(&long).unwrap_err().to_string();
        assert!(why.len() < 400, "{} bytes", why.len());
        assert!(why.contains('…'), "{why}");
        let role = Identity::parse(&format!("urn:ecenter:{}:1", "r".repeat(8000)))
            .unwrap_err()
            .to_string();
        assert!(role.len() < 400, "{} bytes", role.len());
    }
}
