//! Detached CAdES signatures (CMS SignedData without content) as PAdES baseline signatures embed
//! them: content-type, message-digest and signing-certificate-v2 signed attributes, no signing-time
//! (PAdES takes the claimed time from the PDF's /M), the certificate chain, and optionally a
//! signature timestamp from the hub's TSA (PAdES-B-T).

use crate::tsa::{
    CONTENT_TYPE, EssCertIdV2, MESSAGE_DIGEST, SHA256, SIGNED_DATA, SIGNING_CERTIFICATE_V2,
    SigningCertificateV2, TimestampAuthority, alg, attribute, sha256, signer_info,
};
use crate::{KeyHolder, SealError};
use cms::cert::x509::attr::Attribute;
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData, SignerInfos};
use der::asn1::{ObjectIdentifier, OctetString, SetOfVec};
use der::{Any, Decode, Encode};
use std::time::SystemTime;
use x509_cert::Certificate;

/// id-data: the (absent) content is plain data.
const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// id-aa-signatureTimeStampToken.
pub const SIGNATURE_TIMESTAMP: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");

/// Signs `digest` (SHA-256 of the signed bytes) as a detached CMS SignedData (DER ContentInfo),
/// carrying the signer's certificate and `chain`; with a TSA, the signature value is timestamped.
pub fn sign_detached(
    signer: &KeyHolder,
    chain: &[Vec<u8>],
    digest: &[u8; 32],
    tsa: Option<&TimestampAuthority>,
    now: SystemTime,
) -> Result<Vec<u8>, SealError> {
    let cert = Certificate::from_der(signer.cert())?;
    let signing_cert = SigningCertificateV2 {
        certs: vec![EssCertIdV2 {
            cert_hash: OctetString::new(sha256(signer.cert()))?,
        }],
    };
    let signed_attrs: SetOfVec<Attribute> = SetOfVec::try_from(vec![
        attribute(CONTENT_TYPE, Any::encode_from(&DATA)?)?,
        attribute(
            MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest.to_vec())?)?,
        )?,
        attribute(SIGNING_CERTIFICATE_V2, Any::encode_from(&signing_cert)?)?,
    ])?;
    let signature = signer.sign(&signed_attrs.to_der()?)?;
    let unsigned_attrs = match tsa {
        Some(tsa) => {
            let token = tsa.timestamp(&signature, now)?;
            Some(SetOfVec::try_from(vec![attribute(
                SIGNATURE_TIMESTAMP,
                Any::from_der(&token)?,
            )?])?)
        }
        None => None,
    };
    let mut certificates = vec![cms::cert::CertificateChoices::Certificate(cert.clone())];
    for c in chain {
        certificates.push(cms::cert::CertificateChoices::Certificate(
            Certificate::from_der(c)?,
        ));
    }
    let signer_info = signer_info(&cert, signed_attrs, signature, unsigned_attrs)?;
    let signed_data = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg(SHA256)])?,
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certificates)?)),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
    };
    Ok(ContentInfo {
        content_type: SIGNED_DATA,
        content: Any::encode_from(&signed_data)?,
    }
    .to_der()?)
}
