//! One view of a seal and of a seal signature whichever layout wrote them: GB/T 38540-2020
//! (version 4, what the hub writes), GM/T 0031-2014 (version 1), or the layout earlier ecenter
//! versions wrote. Verification reads only these views, so every layout gets the same checks.

use crate::asn1::{CertDigestObj, SeSeal, SesPropertyInfo, SesSignature};
use crate::asn1_2014::{LegacySignature, SesSignatureV1};
use der::asn1::{GeneralizedTime, OctetString, UtcTime};
use der::{Decode, Encode};
use std::time::SystemTime;

/// Which standard's layout a structure was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// GB/T 38540-2020, version 4.
    V4,
    /// GM/T 0031-2014, version 1.
    V1,
    /// What ecenter wrote before it followed the 2020 layout exactly.
    EcenterLegacy,
}

impl Layout {
    /// How reports name it.
    pub fn describe(self) -> &'static str {
        match self {
            Layout::V4 => "GB/T 38540-2020 (version 4)",
            Layout::V1 => "GM/T 0031-2014 (version 1)",
            Layout::EcenterLegacy => "the layout of earlier ecenter versions",
        }
    }
}

/// Who may sign with a seal: whole certificates, or their digests.
#[derive(Debug, Clone)]
pub enum Signers {
    /// DER certificates.
    Certificates(Vec<Vec<u8>>),
    /// (algorithm name, digest) pairs.
    Digests(Vec<(String, Vec<u8>)>),
}

impl Signers {
    /// Whether `cert_der` is one of them.
    pub fn lists(&self, cert_der: &[u8]) -> Result<bool, String> {
        match self {
            Signers::Certificates(c) => Ok(c.iter().any(|c| c == cert_der)),
            Signers::Digests(d) => {
                for (alg, value) in d {
                    let algorithm = match alg.to_ascii_uppercase().replace('-', "").as_str() {
                        "SHA256" => &ring::digest::SHA256,
                        "SHA384" => &ring::digest::SHA384,
                        "SHA512" => &ring::digest::SHA512,
                        other => {
                            return Err(format!(
                                "certificate digest type {other} is not on the allow-list (SHA256, SHA384, SHA512)"
                            ));
                        }
                    };
                    if ring::digest::digest(algorithm, cert_der).as_ref() == value.as_slice() {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
}

/// A seal (`SESeal`) as verification needs it.
#[derive(Debug, Clone)]
pub struct SealView {
    /// The layout it was read in.
    pub layout: Layout,
    /// 印章编码.
    pub es_id: String,
    /// 印章名称.
    pub name: String,
    /// Who may sign with it.
    pub signers: Signers,
    /// Validity window.
    pub valid_start: SystemTime,
    /// Validity window.
    pub valid_end: SystemTime,
    /// The picture's type (`PNG`, `JPG`, `SVG`, ...).
    pub picture_type: String,
    /// The picture.
    pub picture: Vec<u8>,
    /// The DER the maker signed (`SES_SealInfo`).
    pub signed_info: Vec<u8>,
    /// The maker's certificate.
    pub maker_cert: Vec<u8>,
    /// The maker's algorithm.
    pub maker_alg: der::asn1::ObjectIdentifier,
    /// The maker's signature.
    pub maker_signature: Vec<u8>,
    /// The `SESeal` itself (DER).
    pub der: Vec<u8>,
}

/// A seal signature (`SES_Signature`) as verification needs it.
#[derive(Debug, Clone)]
pub struct SignatureView {
    /// The layout it was read in.
    pub layout: Layout,
    /// The seal it embeds.
    pub seal: SealView,
    /// The DER the signer signed (`TBS_Sign`).
    pub tbs: Vec<u8>,
    /// The signer's claimed time.
    pub claimed: Option<SystemTime>,
    /// The document hash it signs.
    pub data_hash: Vec<u8>,
    /// The signer's certificate.
    pub signer_cert: Vec<u8>,
    /// The signer's algorithm.
    pub alg: der::asn1::ObjectIdentifier,
    /// The signature.
    pub signature: Vec<u8>,
    /// RFC 3161 token over the signature, if any.
    pub time_stamp: Option<Vec<u8>>,
}

fn gtime(t: &GeneralizedTime) -> SystemTime {
    SystemTime::UNIX_EPOCH + t.to_unix_duration()
}

/// A UTCTime or GeneralizedTime (2014 writers use either).
fn any_time(a: &der::Any) -> Result<SystemTime, String> {
    if let Ok(t) = a.decode_as::<UtcTime>() {
        return Ok(SystemTime::UNIX_EPOCH + t.to_unix_duration());
    }
    a.decode_as::<GeneralizedTime>()
        .map(|t| gtime(&t))
        .map_err(|e| format!("a seal date is neither UTCTime nor GeneralizedTime: {e}"))
}

fn signers_v4(p: &SesPropertyInfo) -> Result<Signers, String> {
    match p.cert_list_type {
        1 => p
            .cert_list
            .decode_as::<Vec<OctetString>>()
            .map(|v| Signers::Certificates(v.iter().map(|c| c.as_bytes().to_vec()).collect()))
            .map_err(|e| format!("certList (type 1) is not a list of certificates: {e}")),
        2 => p
            .cert_list
            .decode_as::<Vec<CertDigestObj>>()
            .map(|v| {
                Signers::Digests(
                    v.iter()
                        .map(|d| (d.digest_type.to_string(), d.value.as_bytes().to_vec()))
                        .collect(),
                )
            })
            .map_err(|e| format!("certList (type 2) is not a list of certificate digests: {e}")),
        other => Err(format!("certListType {other} is neither 1 nor 2")),
    }
}

fn seal_v4(seal: &SeSeal) -> Result<SealView, String> {
    let info = &seal.eseal_info;
    Ok(SealView {
        layout: Layout::V4,
        es_id: info.es_id.to_string(),
        name: info.property.name.clone(),
        signers: signers_v4(&info.property)?,
        valid_start: gtime(&info.property.valid_start),
        valid_end: gtime(&info.property.valid_end),
        picture_type: info.picture.picture_type.to_string(),
        picture: info.picture.data.as_bytes().to_vec(),
        signed_info: info.to_der().map_err(|e| e.to_string())?,
        maker_cert: seal.cert.as_bytes().to_vec(),
        maker_alg: seal.sign_alg_id,
        maker_signature: seal.signed_value.raw_bytes().to_vec(),
        der: seal.to_der().map_err(|e| e.to_string())?,
    })
}

fn seal_v1(seal: &crate::asn1_2014::SeSealV1) -> Result<SealView, String> {
    let info = &seal.eseal_info;
    Ok(SealView {
        layout: Layout::V1,
        es_id: info.es_id.to_string(),
        name: info.property.name.clone(),
        signers: Signers::Certificates(
            info.property
                .cert_list
                .iter()
                .map(|c| c.as_bytes().to_vec())
                .collect(),
        ),
        valid_start: any_time(&info.property.valid_start)?,
        valid_end: any_time(&info.property.valid_end)?,
        picture_type: info.picture.picture_type.to_string(),
        picture: info.picture.data.as_bytes().to_vec(),
        signed_info: info.to_der().map_err(|e| e.to_string())?,
        maker_cert: seal.sign_info.cert.as_bytes().to_vec(),
        maker_alg: seal.sign_info.signature_algorithm,
        maker_signature: seal.sign_info.sign_data.raw_bytes().to_vec(),
        der: seal.to_der().map_err(|e| e.to_string())?,
    })
}

fn seal_legacy(seal: &crate::asn1_2014::LegacySeal) -> Result<SealView, String> {
    let info = &seal.eseal_info;
    Ok(SealView {
        layout: Layout::EcenterLegacy,
        es_id: info.es_id.to_string(),
        name: info.property.name.clone(),
        signers: signers_v4(&info.property)?,
        valid_start: gtime(&info.property.valid_start),
        valid_end: gtime(&info.property.valid_end),
        picture_type: info.picture.picture_type.to_string(),
        picture: info.picture.data.as_bytes().to_vec(),
        signed_info: info.to_der().map_err(|e| e.to_string())?,
        maker_cert: seal.sign_info.cert.as_bytes().to_vec(),
        maker_alg: seal.sign_info.signature_algorithm,
        maker_signature: seal.sign_info.sign_data.raw_bytes().to_vec(),
        der: seal.to_der().map_err(|e| e.to_string())?,
    })
}

/// Reads a `SESeal` in any layout (strict DER).
pub fn parse_seal(der: &[u8]) -> Result<SealView, String> {
    if let Ok(s) = SeSeal::from_der(der) {
        return seal_v4(&s);
    }
    if let Ok(s) = crate::asn1_2014::SeSealV1::from_der(der) {
        return seal_v1(&s);
    }
    match crate::asn1_2014::LegacySeal::from_der(der) {
        Ok(s) => seal_legacy(&s),
        Err(e) => Err(format!(
            "not a strict-DER SESeal of GB/T 38540-2020 or GM/T 0031-2014: {e}"
        )),
    }
}

/// The time a 2014 `timeInfo` BIT STRING holds: a DER UTCTime/GeneralizedTime, or its text.
fn time_info_v1(bits: &[u8]) -> Option<SystemTime> {
    if let Ok(a) = der::Any::from_der(bits) {
        return any_time(&a).ok();
    }
    let text = std::str::from_utf8(bits).ok()?;
    let tag = if text.len() == 13 { 0x17 } else { 0x18 };
    let mut der = vec![tag, u8::try_from(text.len()).ok()?];
    der.extend_from_slice(text.as_bytes());
    any_time(&der::Any::from_der(&der).ok()?).ok()
}

/// Reads a `SES_Signature` in any layout (strict DER).
pub fn parse_signature(der: &[u8]) -> Result<SignatureView, String> {
    if let Ok(s) = SesSignature::from_der(der) {
        return Ok(SignatureView {
            layout: Layout::V4,
            seal: seal_v4(&s.to_sign.eseal)?,
            tbs: s.to_sign.to_der().map_err(|e| e.to_string())?,
            claimed: Some(gtime(&s.to_sign.time_info)),
            data_hash: s.to_sign.data_hash.raw_bytes().to_vec(),
            signer_cert: s.cert.as_bytes().to_vec(),
            alg: s.signature_alg_id,
            signature: s.signature.raw_bytes().to_vec(),
            time_stamp: s.time_stamp.map(|t| t.raw_bytes().to_vec()),
        });
    }
    if let Ok(s) = SesSignatureV1::from_der(der) {
        let t = &s.to_sign;
        return Ok(SignatureView {
            layout: Layout::V1,
            seal: seal_v1(&t.eseal)?,
            tbs: t.to_der().map_err(|e| e.to_string())?,
            claimed: time_info_v1(t.time_info.raw_bytes()),
            data_hash: t.data_hash.raw_bytes().to_vec(),
            signer_cert: t.cert.as_bytes().to_vec(),
            alg: t.signature_algorithm,
            signature: s.signature.raw_bytes().to_vec(),
            time_stamp: None,
        });
    }
    match LegacySignature::from_der(der) {
        Ok(s) => Ok(SignatureView {
            layout: Layout::EcenterLegacy,
            seal: seal_legacy(&s.to_sign.eseal)?,
            tbs: s.to_sign.to_der().map_err(|e| e.to_string())?,
            claimed: Some(gtime(&s.to_sign.time_info)),
            data_hash: s.to_sign.data_hash.raw_bytes().to_vec(),
            signer_cert: s.cert.as_bytes().to_vec(),
            alg: s.signature_alg_id,
            signature: s.signature.raw_bytes().to_vec(),
            time_stamp: s.time_stamp.map(|t| t.raw_bytes().to_vec()),
        }),
        Err(e) => Err(format!(
            "not a strict-DER SES_Signature of GB/T 38540-2020 or GM/T 0031-2014: {e}"
        )),
    }
}
