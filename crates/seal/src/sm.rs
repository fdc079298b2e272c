//! SM2 with SM3 (国密): signatures after GB/T 32918.2 / GM/T 0003.2, digests after GB/T 32905 /
//! GM/T 0004, through RustCrypto's `sm2` and `sm3`. This is the one deliberate exception to "ring is
//! the only crypto provider": ring has no SM2. Nothing that is not SM2/SM3 goes through here.
//!
//! Shapes: keys are PKCS#8 (`id-ecPublicKey` with the curve `sm2p256v1`, 1.2.156.10197.1.301, as
//! `openssl genpkey -algorithm SM2` writes them); public keys are uncompressed SEC1 points (65
//! bytes); signatures are DER `SEQUENCE { r INTEGER, s INTEGER }` (GB/T 35276 §7.3), 70, 71 or 72
//! bytes, since each integer takes a leading zero when its top bit is set. The user identity `Z`
//! hashes the distinguishing ID [`DEFAULT_DISTID`] (GM/T 0009 §10), as OpenSSL 3 does by default
//! for certificates and as seals and timestamps use.

use crate::Rejection;
use der::asn1::ObjectIdentifier;
use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};
use sm2::dsa::signature::{Signer, Verifier};
use sm2::pkcs8::DecodePrivateKey;
use sm3::Digest;

/// SM2 with SM3 (GM/T 0006 §A, 1.2.156.10197.1.501).
pub const SM2_WITH_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");
/// SM3 (1.2.156.10197.1.401).
pub const SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");
/// The SM2 curve sm2p256v1 (1.2.156.10197.1.301), the named curve of an `id-ecPublicKey`.
pub const SM2_CURVE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
/// The default distinguishing ID of GM/T 0009 §10: the ASCII of `1234567812345678`.
pub const DEFAULT_DISTID: &str = "1234567812345678";

/// The SM3 digest of `parts`, one after the other (32 bytes).
pub fn sm3_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut hasher = sm3::Sm3::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().to_vec()
}

/// An SM2 private key with the distinguishing ID it signs under.
#[derive(Clone)]
pub struct Sm2Key(sm2::dsa::SigningKey);

impl std::fmt::Debug for Sm2Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm2Key(..)") // never the secret
    }
}

impl Sm2Key {
    /// From PKCS#8 DER; `None` when it is not an SM2 key (another curve, another algorithm).
    pub fn from_pkcs8(der: &[u8]) -> Option<Sm2Key> {
        let secret = sm2::SecretKey::from_pkcs8_der(der).ok()?;
        sm2::dsa::SigningKey::new(DEFAULT_DISTID, &secret)
            .ok()
            .map(Sm2Key)
    }

    /// The public key as an uncompressed SEC1 point (65 bytes), as a certificate carries it.
    pub fn public_point(&self) -> Vec<u8> {
        self.0.verifying_key().to_sec1_bytes().to_vec()
    }

    /// Signs `message` (SM3 over `Z || message`, GB/T 32918.2 §6.1); the DER signature. Nonces
    /// are derived from the key and the digest (RFC 6979 style), so no random source can fail.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: sm2::dsa::Signature = self.0.sign(message);
        signature.to_der().to_vec()
    }

    /// The signing key, for builders that take a `signature::Signer` (certificates, CRLs).
    pub fn signing_key(&self) -> &sm2::dsa::SigningKey {
        &self.0
    }
}

/// Verifies a DER SM2 signature `sig` over `message` by the uncompressed point `public_key`, under
/// the distinguishing ID [`DEFAULT_DISTID`]. Non-DER signatures (a raw 64-byte `r || s`, BER
/// lengths) are refused: GB/T 35276 writes DER.
pub fn verify(public_key: &[u8], message: &[u8], sig: &[u8]) -> Result<(), Rejection> {
    let key =
        sm2::dsa::VerifyingKey::from_sec1_bytes(DEFAULT_DISTID, public_key).map_err(|_| {
            Rejection::Malformed("the public key is not a point on the SM2 curve".into())
        })?;
    let sig = sm2::dsa::Signature::from_der(sig).map_err(|_| {
        if der::Decode::from_der(sig).is_ok_and(|_: RawSignature| true) {
            Rejection::Malformed(
                "the SM2 signature's r or s is out of range (each must lie in 1..n−1, GB/T 32918.2 §7.1)"
                    .into(),
            )
        } else {
            Rejection::Malformed("the SM2 signature is not DER SEQUENCE { r, s }".into())
        }
    })?;
    key.verify(message, &sig)
        .map_err(|_| Rejection::Failed("the signature does not verify".into()))
}

/// Any DER `SEQUENCE { r INTEGER, s INTEGER }`, in range or not: to tell a malformed signature
/// from one whose values are impossible.
#[derive(der::Sequence)]
struct RawSignature {
    r: der::asn1::Int,
    s: der::asn1::Int,
}

/// SM2-with-SM3 for webpki, so that certificate paths and CRLs signed in SM2 are checked by the
/// same path builder as ECDSA ones.
#[derive(Debug)]
struct WebpkiSm2 {
    signature_alg_id: &'static [u8],
}

/// AlgorithmIdentifier contents: id-ecPublicKey, namedCurve sm2p256v1.
const SM2_SPKI_ALG: &[u8] = &[
    0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55,
    0x01, 0x82, 0x2d,
];
/// AlgorithmIdentifier contents: SM2-with-SM3, parameters absent (as OpenSSL writes it).
const SM2_SM3_ALG: &[u8] = &[0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75];
/// The same with a NULL parameter, as some CAs write it.
const SM2_SM3_ALG_NULL: &[u8] = &[
    0x06, 0x08, 0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75, 0x05, 0x00,
];

impl SignatureVerificationAlgorithm for WebpkiSm2 {
    fn verify_signature(
        &self,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        verify(public_key, message, signature).map_err(|_| InvalidSignature)
    }

    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(SM2_SPKI_ALG)
    }

    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        AlgorithmIdentifier::from_slice(self.signature_alg_id)
    }
}

static SM2_ABSENT: WebpkiSm2 = WebpkiSm2 {
    signature_alg_id: SM2_SM3_ALG,
};
static SM2_NULL: WebpkiSm2 = WebpkiSm2 {
    signature_alg_id: SM2_SM3_ALG_NULL,
};

/// What certificate paths and CRLs may be signed with: webpki's own list and SM2-with-SM3.
pub(crate) fn chain_algorithms() -> &'static [&'static dyn SignatureVerificationAlgorithm] {
    static ALL: std::sync::OnceLock<Vec<&'static dyn SignatureVerificationAlgorithm>> =
        std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut all = webpki::ALL_VERIFICATION_ALGS.to_vec();
        all.push(&SM2_ABSENT);
        all.push(&SM2_NULL);
        all
    })
}

/// Whether the certificate's key is an SM2 key (`id-ecPublicKey` on sm2p256v1).
pub(crate) fn is_sm2_cert(cert_der: &[u8]) -> bool {
    x509_parser::parse_x509_certificate(cert_der)
        .ok()
        .and_then(|(_, c)| {
            let alg = &c.public_key().algorithm;
            if alg.algorithm.to_id_string() != "1.2.840.10045.2.1" {
                return Some(false); // only id-ecPublicKey on sm2p256v1 (GM/T 0015) is an SM2 key here
            }
            let curve = alg.parameters.as_ref()?.as_oid().ok()?;
            Some(curve.to_id_string() == SM2_CURVE.to_string())
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> Sm2Key {
        // A fixed scalar: the tests need no randomness to be meaningful.
        let scalar = [7u8; 32];
        Sm2Key(sm2::dsa::SigningKey::from_slice(DEFAULT_DISTID, &scalar).unwrap())
    }

    #[test]
    fn sm3_of_abc_is_the_standards_example() {
        // GB/T 32905-2016 Appendix A.1.
        assert_eq!(
            hex::encode(sm3_of(&[b"a", b"bc"])),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
    }

    #[test]
    fn signatures_are_der_of_70_to_72_bytes_and_verify_only_for_their_message() {
        let key = key();
        let mut lengths = std::collections::BTreeSet::new();
        for i in 0..64u32 {
            let message = i.to_be_bytes();
            let sig = key.sign(&message);
            assert_eq!(sig[0], 0x30, "a DER SEQUENCE");
            assert_eq!(sig[1] as usize, sig.len() - 2);
            lengths.insert(sig.len());
            verify(&key.public_point(), &message, &sig).unwrap();
            assert!(verify(&key.public_point(), b"other", &sig).is_err());
        }
        assert!(lengths.iter().all(|l| (70..=72).contains(l)), "{lengths:?}");
        assert!(
            lengths.len() > 1,
            "64 signatures all had one length: {lengths:?}"
        );
    }

    #[test]
    fn a_der_signature_with_r_out_of_range_is_named_so() {
        let key = key();
        // SEQUENCE { INTEGER 0, INTEGER 1 }
        let zero = [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01];
        let refused = verify(&key.public_point(), b"m", &zero).unwrap_err();
        assert!(matches!(refused, Rejection::Malformed(_)), "{refused:?}");
        assert!(refused.reason().contains("out of range"), "{refused}");
    }

    #[test]
    fn a_raw_r_s_signature_is_refused_by_name() {
        let key = key();
        let der = key.sign(b"m");
        let raw = sm2::dsa::Signature::from_der(&der).unwrap().to_bytes();
        let refused = verify(&key.public_point(), b"m", &raw).unwrap_err();
        assert!(refused.reason().contains("DER"), "{refused}");
    }
}
