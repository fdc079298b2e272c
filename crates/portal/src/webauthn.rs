//! The relying party's checks of the two WebAuthn ceremonies (W3C Web Authentication Level 2):
//! registering a credential (§7.1) and verifying an assertion (§7.2).
//!
//! CBOR and COSE_Key come from `coset` (and its `ciborium`); signatures are verified with `ring`,
//! the hub's crypto provider (the WebAuthn crates for Rust verify with OpenSSL or RustCrypto,
//! which the hub does not carry). What the browser sends is untrusted: every length is checked
//! before it is read, and a mistake is an [`Invalid`] that names what was wrong.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use coset::cbor::Value;
use coset::iana::{self, EnumI64};
use coset::{AsCborValue, CoseKey, KeyType, Label};
use ecenter_domain::passkey::{EDDSA, ES256, RS256};
use ring::digest::{SHA256, digest};
use ring::signature;

/// The portal as a WebAuthn relying party.
#[derive(Debug, Clone)]
pub(crate) struct RelyingParty {
    /// The RP ID: the public URL's host (§5.1.2; a registrable domain or `localhost`).
    pub(crate) id: String,
    /// The only origin ceremonies are accepted from (`https://host[:port]`).
    pub(crate) origin: String,
}

/// Authenticator data flags (§6.1).
const USER_PRESENT: u8 = 0x01;
const USER_VERIFIED: u8 = 0x04;
const BACKED_UP: u8 = 0x10;
const ATTESTED: u8 = 0x40;

/// Why a ceremony's response was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// Not base64url, not JSON, not CBOR, or too short for its own lengths: the detail.
    Malformed(&'static str),
    /// `clientDataJSON.type` is not the ceremony's.
    WrongType,
    /// Made for another site (origin, cross-origin frame, or RP ID hash).
    WrongSite,
    /// The user was not present (flag UP clear).
    NoUserPresence,
    /// The authenticator did not verify the user (flag UV clear): the portal asks for it, as a
    /// passkey stands in for a code sent to the lawyer's own phone or mailbox.
    NotVerified,
    /// A key type or algorithm the portal does not take.
    UnsupportedKey,
    /// The signature does not verify with the registered key.
    BadSignature,
}

impl Invalid {
    /// What the lawyer reads.
    pub(crate) fn words(&self) -> &'static str {
        match self {
            Invalid::Malformed(_) | Invalid::WrongType => {
                "浏览器提交的通行密钥信息不完整或格式不正确，请刷新页面后重试。"
            }
            Invalid::WrongSite => {
                "此通行密钥信息不是为本院诉讼服务平台生成的，请确认您打开的是本院诉讼服务平台的网址。"
            }
            Invalid::NoUserPresence => "未确认本人操作，请按提示完成验证后重试。",
            Invalid::NotVerified => {
                "设备未验证您的身份（指纹、面容或锁屏密码），请在设备上设置锁屏后重试，或使用验证码登录。"
            }
            Invalid::UnsupportedKey => {
                "您的设备使用的密钥算法本平台暂不支持，请换用其他设备或使用验证码登录。"
            }
            Invalid::BadSignature => "通行密钥验证失败，请重试或使用验证码登录。",
        }
    }

    /// What the log records.
    pub(crate) fn detail(&self) -> String {
        match self {
            Invalid::Malformed(what) => format!("malformed {what}"),
            other => format!("{other:?}"),
        }
    }
}

/// A credential the authenticator made, as the portal records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NewCredential {
    pub(crate) credential_id: Vec<u8>,
    /// The COSE_Key bytes exactly as the authenticator encoded them.
    pub(crate) public_key: Vec<u8>,
    pub(crate) algorithm: i64,
    pub(crate) sign_count: u32,
    pub(crate) backed_up: bool,
    pub(crate) attestation: String,
}

/// A verified assertion: the challenge it answers and the authenticator's counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Asserted {
    pub(crate) challenge: String,
    pub(crate) sign_count: u32,
    pub(crate) user_verified: bool,
}

/// Decodes base64url as browsers encode it (padding tolerated).
pub(crate) fn b64(text: &str, what: &'static str) -> Result<Vec<u8>, Invalid> {
    URL_SAFE_NO_PAD
        .decode(text.trim().trim_end_matches('='))
        .map_err(|_| Invalid::Malformed(what))
}

impl RelyingParty {
    /// §7.1 steps 5–12 and 13–16: `clientDataJSON` and `attestationObject` of a `create()`;
    /// the challenge it answers and the credential. The attestation statement is not checked:
    /// the portal asks for none and restricts no authenticator.
    pub(crate) fn registration(
        &self,
        client_data_json: &[u8],
        attestation_object: &[u8],
    ) -> Result<(String, NewCredential), Invalid> {
        let challenge = self.client_data(client_data_json, "webauthn.create")?;
        let (attestation, auth_data) = attestation_parts(attestation_object)?;
        let data = AuthData::parse(&auth_data)?;
        self.check_flags(&data)?;
        let (credential_id, key_bytes) = data
            .attested
            .ok_or(Invalid::Malformed("attested credential data"))?;
        let algorithm = PublicKey::from_cose(key_bytes)?.algorithm();
        let credential = NewCredential {
            credential_id: credential_id.to_vec(),
            public_key: key_bytes.to_vec(),
            algorithm,
            sign_count: data.sign_count,
            backed_up: data.flags & BACKED_UP != 0,
            attestation,
        };
        Ok((challenge, credential))
    }

    /// §7.2 steps 10–21: an assertion of `get()` checked against the COSE_Key `public_key`.
    pub(crate) fn assertion(
        &self,
        client_data_json: &[u8],
        authenticator_data: &[u8],
        sig: &[u8],
        public_key: &[u8],
    ) -> Result<Asserted, Invalid> {
        let challenge = self.client_data(client_data_json, "webauthn.get")?;
        let data = AuthData::parse(authenticator_data)?;
        self.check_flags(&data)?;
        let mut signed = authenticator_data.to_vec();
        signed.extend_from_slice(digest(&SHA256, client_data_json).as_ref());
        PublicKey::from_cose(public_key)?.verify(&signed, sig)?;
        Ok(Asserted {
            challenge,
            sign_count: data.sign_count,
            user_verified: true,
        })
    }

    /// `clientDataJSON`'s type, origin and cross-origin checked; its challenge.
    fn client_data(&self, json: &[u8], ceremony: &str) -> Result<String, Invalid> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct ClientData {
            #[serde(rename = "type")]
            kind: String,
            challenge: String,
            origin: String,
            #[serde(default)]
            cross_origin: bool,
        }
        let c: ClientData =
            serde_json::from_slice(json).map_err(|_| Invalid::Malformed("clientDataJSON"))?;
        if c.kind != ceremony {
            return Err(Invalid::WrongType);
        }
        if c.origin != self.origin || c.cross_origin {
            return Err(Invalid::WrongSite);
        }
        Ok(c.challenge)
    }

    fn check_flags(&self, data: &AuthData<'_>) -> Result<(), Invalid> {
        if data.rp_id_hash != digest(&SHA256, self.id.as_bytes()).as_ref() {
            return Err(Invalid::WrongSite);
        }
        if data.flags & USER_PRESENT == 0 {
            return Err(Invalid::NoUserPresence);
        }
        if data.flags & USER_VERIFIED == 0 {
            return Err(Invalid::NotVerified);
        }
        Ok(())
    }
}

/// `fmt` and `authData` of an attestation object (§6.5: a CBOR map).
fn attestation_parts(object: &[u8]) -> Result<(String, Vec<u8>), Invalid> {
    let malformed = Invalid::Malformed("attestationObject");
    let value: Value = coset::cbor::de::from_reader(object).map_err(|_| malformed.clone())?;
    let map = value.into_map().map_err(|_| malformed.clone())?;
    let (mut fmt, mut auth_data) = (None, None);
    for (k, v) in map {
        match k.as_text() {
            Some("fmt") => fmt = v.into_text().ok(),
            Some("authData") => auth_data = v.into_bytes().ok(),
            _ => {}
        }
    }
    match (fmt, auth_data) {
        (Some(f), Some(a)) => Ok((f, a)),
        _ => Err(malformed),
    }
}

/// Authenticator data (§6.1): the RP ID hash, flags, counter and, at registration, the
/// attested credential data (§6.5.1).
struct AuthData<'a> {
    rp_id_hash: &'a [u8],
    flags: u8,
    sign_count: u32,
    /// Credential id and its COSE_Key bytes.
    attested: Option<(&'a [u8], &'a [u8])>,
}

impl<'a> AuthData<'a> {
    fn parse(bytes: &'a [u8]) -> Result<Self, Invalid> {
        let short = Invalid::Malformed("authenticatorData");
        if bytes.len() < 37 {
            return Err(short);
        }
        let flags = bytes[32];
        let sign_count = u32::from_be_bytes(bytes[33..37].try_into().expect("4 bytes"));
        let mut attested = None;
        if flags & ATTESTED != 0 {
            // AAGUID (16), credential id length (2), credential id, COSE_Key.
            let rest = bytes.get(37 + 16..).ok_or(short.clone())?;
            let len = usize::from(u16::from_be_bytes(
                rest.get(..2)
                    .ok_or(short.clone())?
                    .try_into()
                    .expect("2 bytes"),
            ));
            let id = rest.get(2..2 + len).ok_or(short.clone())?;
            let key_and_more = &rest[2 + len..];
            let key_len = cbor_item_len(key_and_more).ok_or(short)?;
            attested = Some((id, &key_and_more[..key_len]));
        }
        Ok(AuthData {
            rp_id_hash: &bytes[..32],
            flags,
            sign_count,
            attested,
        })
    }
}

/// The length of the one CBOR item at the start of `bytes` (extensions may follow it).
fn cbor_item_len(bytes: &[u8]) -> Option<usize> {
    let mut rest = bytes;
    let _: Value = coset::cbor::de::from_reader(&mut rest).ok()?;
    Some(bytes.len() - rest.len())
}

/// A credential public key the portal can verify with.
enum PublicKey {
    /// ES256: the SEC1 uncompressed point.
    P256(Vec<u8>),
    /// EdDSA over Ed25519: the 32-byte key.
    Ed25519(Vec<u8>),
    /// RS256: modulus and exponent.
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

impl PublicKey {
    /// From COSE_Key bytes (RFC 9053 §7, RFC 8230 §4).
    fn from_cose(bytes: &[u8]) -> Result<Self, Invalid> {
        let value: Value = coset::cbor::de::from_reader(bytes)
            .map_err(|_| Invalid::Malformed("credential public key"))?;
        let key = CoseKey::from_cbor_value(value).map_err(|_| Invalid::Malformed("COSE_Key"))?;
        let alg = match &key.alg {
            Some(coset::Algorithm::Assigned(a)) => a.to_i64(),
            _ => return Err(Invalid::UnsupportedKey),
        };
        let param = |label: i64| -> Option<&Value> {
            key.params
                .iter()
                .find(|(l, _)| *l == Label::Int(label))
                .map(|(_, v)| v)
        };
        let bytes_of = |label: i64| param(label).and_then(Value::as_bytes).cloned();
        let crv = param(-1).and_then(Value::as_integer).map(i128::from);
        match (&key.kty, alg) {
            (KeyType::Assigned(iana::KeyType::EC2), ES256)
                if crv == Some(iana::EllipticCurve::P_256.to_i64().into()) =>
            {
                let point = key
                    .to_sec1_octet_string()
                    .map_err(|_| Invalid::Malformed("EC2 key"))?;
                Ok(PublicKey::P256(point))
            }
            (KeyType::Assigned(iana::KeyType::OKP), EDDSA)
                if crv == Some(iana::EllipticCurve::Ed25519.to_i64().into()) =>
            {
                let x = bytes_of(-2).ok_or(Invalid::Malformed("OKP key"))?;
                Ok(PublicKey::Ed25519(x))
            }
            (KeyType::Assigned(iana::KeyType::RSA), RS256) => {
                let n = bytes_of(-1).ok_or(Invalid::Malformed("RSA key"))?;
                let e = bytes_of(-2).ok_or(Invalid::Malformed("RSA key"))?;
                Ok(PublicKey::Rsa { n, e })
            }
            _ => Err(Invalid::UnsupportedKey),
        }
    }

    fn algorithm(&self) -> i64 {
        match self {
            PublicKey::P256(_) => ES256,
            PublicKey::Ed25519(_) => EDDSA,
            PublicKey::Rsa { .. } => RS256,
        }
    }

    /// §6.5.6: ES256 signatures are ASN.1 DER; RS256 keys of 2048 bits or more.
    fn verify(&self, message: &[u8], sig: &[u8]) -> Result<(), Invalid> {
        let verified = match self {
            PublicKey::P256(point) => {
                signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
                    .verify(message, sig)
            }
            PublicKey::Ed25519(x) => {
                signature::UnparsedPublicKey::new(&signature::ED25519, x).verify(message, sig)
            }
            PublicKey::Rsa { n, e } => signature::RsaPublicKeyComponents { n, e }.verify(
                &signature::RSA_PKCS1_2048_8192_SHA256,
                message,
                sig,
            ),
        };
        verified.map_err(|_| Invalid::BadSignature)
    }
}

#[cfg(test)]
#[path = "webauthn_tests.rs"]
mod tests;
