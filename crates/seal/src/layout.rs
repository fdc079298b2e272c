//! One view of a seal and of a seal signature whichever layout wrote them: GB/T 38540-2020
//! (version 4, what the hub writes), GM/T 0031-2014 (version 1), or the layout earlier ecenter
//! versions wrote. Verification reads only these views, so every layout gets the same checks.

use crate::Rejection;
use crate::asn1::{
    CertDigestObj, SeSeal, SesHeader, SesPictureInfo, SesPropertyInfo, SesSignature,
};
use crate::asn1_2014::{LegacySignature, SesSignatureV1, SignInfo};
use der::asn1::{GeneralizedTime, Ia5String, ObjectIdentifier, OctetString, UtcTime};
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
    pub fn lists(&self, cert_der: &[u8]) -> Result<bool, Rejection> {
        match self {
            Signers::Certificates(c) => Ok(c.iter().any(|c| c == cert_der)),
            Signers::Digests(d) => {
                // An entry in an algorithm this build does not know cannot name anyone here; it
                // is skipped, and only a list of nothing but such entries is an error.
                let mut unknown = Vec::new();
                for (alg, value) in d {
                    let name = alg.to_ascii_uppercase().replace('-', "");
                    if name == "SM3" {
                        if crate::sm::sm3_of(&[cert_der]) == *value {
                            return Ok(true);
                        }
                        continue;
                    }
                    let algorithm = match name.as_str() {
                        "SHA256" => &ring::digest::SHA256,
                        "SHA384" => &ring::digest::SHA384,
                        "SHA512" => &ring::digest::SHA512,
                        other => {
                            unknown.push(other.to_string());
                            continue;
                        }
                    };
                    if ring::digest::digest(algorithm, cert_der).as_ref() == value.as_slice() {
                        return Ok(true);
                    }
                }
                if !unknown.is_empty() && unknown.len() == d.len() {
                    return Err(Rejection::Unsupported(format!(
                        "the seal names its signers only by digests in {} (the allow-list is SHA256, SHA384, SHA512, SM3)",
                        unknown.join(", ")
                    )));
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
    /// Extensions marked critical (their OIDs): none is understood, so any fails the seal
    /// (as RFC 5280 §4.2 treats an unrecognised critical extension).
    pub critical_extensions: Vec<String>,
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
    /// Critical extensions of `TBS_Sign` (OIDs), none understood.
    pub critical_extensions: Vec<String>,
}

/// `ExtData` (GB/T 38540-2020, as an X.509 extension): id, criticality, value.
#[derive(der::Sequence)]
struct ExtData {
    extn_id: ObjectIdentifier,
    #[asn1(default = "Default::default")]
    critical: bool,
    extn_value: OctetString,
}

/// The OIDs of the critical extensions in `ext`; an extension that does not decode counts.
fn critical(ext: Option<&Vec<der::Any>>) -> Vec<String> {
    ext.into_iter()
        .flatten()
        .filter_map(|e| match e.decode_as::<ExtData>() {
            Ok(x) if x.critical => Some(x.extn_id.to_string()),
            Ok(_) => None,
            Err(_) => Some("(an extension that does not decode)".to_string()),
        })
        .collect()
}

/// The elements of the DER SEQUENCE `der`, each as its exact bytes (what was signed).
fn raw_fields(der: &[u8]) -> Result<Vec<Vec<u8>>, Rejection> {
    let fields: Vec<der::Any> = der::Any::from_der(der)
        .and_then(|a| a.decode_as())
        .map_err(Rejection::malformed)?;
    fields
        .iter()
        .map(|f| f.to_der().map_err(Rejection::malformed))
        .collect()
}

fn header_ok(h: &crate::asn1::SesHeader, version: Option<u32>) -> Result<(), Rejection> {
    if h.id.as_str() != "ES" {
        return Err(Rejection::Malformed(format!(
            "SES_Header id is {:?}, not \"ES\"",
            h.id.as_str()
        )));
    }
    match version {
        Some(v) if h.version != v => Err(Rejection::Malformed(format!(
            "SES_Header version is {}, not {v} for this layout",
            h.version
        ))),
        _ => Ok(()),
    }
}

fn gtime(t: &crate::asn1::Time) -> SystemTime {
    t.0
}

/// A UTCTime or GeneralizedTime (2014 writers use either).
fn any_time(a: &der::Any) -> Result<SystemTime, Rejection> {
    if let Ok(t) = a.decode_as::<UtcTime>() {
        return Ok(SystemTime::UNIX_EPOCH + t.to_unix_duration());
    }
    a.decode_as::<GeneralizedTime>()
        .map(|t| SystemTime::UNIX_EPOCH + t.to_unix_duration())
        .or_else(|e| {
            a.decode_as::<crate::asn1::Time>()
                .map(|t| t.0)
                .map_err(|_| e)
        })
        .map_err(|e| {
            Rejection::Malformed(format!(
                "a seal date is neither UTCTime nor GeneralizedTime: {e}"
            ))
        })
}

fn signers_v4(p: &SesPropertyInfo) -> Result<Signers, Rejection> {
    match p.cert_list_type {
        1 => p
            .cert_list
            .decode_as::<Vec<OctetString>>()
            .map(|v| Signers::Certificates(v.iter().map(|c| c.as_bytes().to_vec()).collect()))
            .map_err(|e| {
                Rejection::Malformed(format!(
                    "certList (type 1) is not a list of certificates: {e}"
                ))
            }),
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
            .map_err(|e| {
                Rejection::Malformed(format!(
                    "certList (type 2) is not a list of certificate digests: {e}"
                ))
            }),
        other => Err(Rejection::Malformed(format!(
            "certListType {other} is neither 1 nor 2"
        ))),
    }
}

/// What every layout's seal says, gathered: the seal information's parts and the maker's
/// (certificate, algorithm, signature).
struct Parts<'a> {
    layout: Layout,
    es_id: String,
    name: &'a str,
    signers: Signers,
    window: (SystemTime, SystemTime),
    picture: &'a crate::asn1::SesPictureInfo,
    maker: (&'a [u8], ObjectIdentifier, &'a [u8]),
    critical_extensions: Vec<String>,
}

fn view(parts: Parts<'_>, raw: &[u8]) -> Result<SealView, Rejection> {
    Ok(SealView {
        layout: parts.layout,
        es_id: parts.es_id,
        name: parts.name.to_string(),
        signers: parts.signers,
        valid_start: parts.window.0,
        valid_end: parts.window.1,
        picture_type: parts.picture.picture_type.to_string(),
        picture: parts.picture.data.as_bytes().to_vec(),
        // What the maker signed: SES_SealInfo exactly as received.
        signed_info: raw_fields(raw)?
            .into_iter()
            .next()
            .ok_or_else(|| Rejection::Malformed("an empty SESeal".into()))?,
        maker_cert: parts.maker.0.to_vec(),
        maker_alg: parts.maker.1,
        maker_signature: parts.maker.2.to_vec(),
        der: raw.to_vec(),
        critical_extensions: parts.critical_extensions,
    })
}

/// The seal information of the 2020 layout (GB/T 38540-2020, and the legacy layout, which wrote it
/// without extensions): header, seal id, properties, picture.
type Info2020<'a> = (
    &'a SesHeader,
    &'a Ia5String,
    &'a SesPropertyInfo,
    &'a SesPictureInfo,
);

/// The parts of a seal whose information has the 2020 layout (version 4).
fn parts_2020<'a>(
    layout: Layout,
    (header, es_id, p, picture): Info2020<'a>,
    maker: (&'a [u8], ObjectIdentifier, &'a [u8]),
    critical_extensions: Vec<String>,
) -> Result<Parts<'a>, Rejection> {
    header_ok(header, Some(4))?;
    Ok(Parts {
        layout,
        es_id: es_id.to_string(),
        name: &p.name,
        signers: signers_v4(p)?,
        window: (gtime(&p.valid_start), gtime(&p.valid_end)),
        picture,
        maker,
        critical_extensions,
    })
}

/// The maker's (certificate, algorithm, signature) as `SES_SignInfo` gives them (GM/T 0031-2014,
/// and the legacy layout).
fn maker_of(sign: &SignInfo) -> Result<(&[u8], ObjectIdentifier, &[u8]), Rejection> {
    Ok((
        sign.cert.as_bytes(),
        sign.signature_algorithm,
        octets(&sign.sign_data, "SES_SignInfo signData")?,
    ))
}

/// The octets a BIT STRING of the seal formats carries: a signature, a hash, a time or a
/// timestamp token, always whole octets (GB/T 38540-2020 §7, GM/T 0031-2014 §6). One with
/// unused bits is refused rather than read by its bytes: two encodings would then verify as
/// one, and the value checked would not be the value encoded (outside tests, round 21, F4).
fn octets<'a>(bits: &'a der::asn1::BitString, what: &str) -> Result<&'a [u8], Rejection> {
    bits.as_bytes().ok_or_else(|| {
        Rejection::Malformed(format!(
            "{what} is a BIT STRING with {} unused bits; the standard carries whole octets there",
            bits.unused_bits()
        ))
    })
}

fn seal_v4(seal: &SeSeal, raw: &[u8]) -> Result<SealView, Rejection> {
    let info = &seal.eseal_info;
    let maker = (
        seal.cert.as_bytes(),
        seal.sign_alg_id,
        octets(&seal.signed_value, "SES_Seal signedValue")?,
    );
    let parts = parts_2020(
        Layout::V4,
        (&info.header, &info.es_id, &info.property, &info.picture),
        maker,
        critical(info.ext_datas.as_ref()),
    )?;
    view(parts, raw)
}

fn seal_v1(seal: &crate::asn1_2014::SeSealV1, raw: &[u8]) -> Result<SealView, Rejection> {
    let info = &seal.eseal_info;
    header_ok(&info.header, None)?;
    let p = &info.property;
    let parts = Parts {
        layout: Layout::V1,
        es_id: info.es_id.to_string(),
        name: &p.name,
        signers: Signers::Certificates(p.cert_list.iter().map(|c| c.as_bytes().to_vec()).collect()),
        window: (any_time(&p.valid_start)?, any_time(&p.valid_end)?),
        picture: &info.picture,
        maker: maker_of(&seal.sign_info)?,
        critical_extensions: critical(info.ext_datas.as_ref()),
    };
    view(parts, raw)
}

fn seal_legacy(seal: &crate::asn1_2014::LegacySeal, raw: &[u8]) -> Result<SealView, Rejection> {
    let info = &seal.eseal_info;
    let parts = parts_2020(
        Layout::EcenterLegacy,
        (&info.header, &info.es_id, &info.property, &info.picture),
        maker_of(&seal.sign_info)?,
        Vec::new(),
    )?;
    view(parts, raw)
}

/// Which of the two structures a failed parse was about.
#[derive(Debug, Clone, Copy)]
enum Structure {
    /// An electronic seal, `SESeal`.
    Seal,
    /// A signature made with one, `SES_Signature`.
    Signature,
}

/// The version a structure's first element states (`SES_Header.version` of a seal's information,
/// `TBS_Sign.version` of a signature), to choose which layout's error to report.
fn stated_version(der: &[u8], structure: Structure) -> Option<u32> {
    let first = raw_fields(der).ok()?.into_iter().next()?;
    let inner = raw_fields(&first).ok()?.into_iter().next()?;
    let version = match structure {
        Structure::Seal => raw_fields(&inner).ok()?.into_iter().nth(1)?,
        Structure::Signature => inner,
    };
    der::Any::from_der(&version).ok()?.decode_as::<u32>().ok()
}

/// Why `der` is no strict-DER `structure` of any layout: the error of the layout its stated
/// version names (`v1`, else `v4`).
fn no_layout(
    der: &[u8],
    structure: Structure,
    v1: Option<Rejection>,
    v4: Option<Rejection>,
) -> Rejection {
    let (layout, e) = match stated_version(der, structure) {
        Some(1) => ("GM/T 0031-2014", v1),
        _ => ("GB/T 38540-2020", v4),
    };
    let e = e.map(|e| e.to_string()).unwrap_or_default();
    let what = match structure {
        Structure::Seal => "SESeal",
        Structure::Signature => "SES_Signature",
    };
    Rejection::Malformed(format!("not a strict-DER {what} of {layout}: {e}"))
}

/// Reads a `SESeal` in any layout (strict DER).
pub fn parse_seal(der: &[u8]) -> Result<SealView, Rejection> {
    let v4 = SeSeal::from_der(der).map_err(Rejection::malformed);
    if let Ok(s) = &v4 {
        return seal_v4(s, der);
    }
    let v1 = crate::asn1_2014::SeSealV1::from_der(der).map_err(Rejection::malformed);
    if let Ok(s) = &v1 {
        return seal_v1(s, der);
    }
    if let Ok(s) = crate::asn1_2014::LegacySeal::from_der(der) {
        return seal_legacy(&s, der);
    }
    Err(no_layout(der, Structure::Seal, v1.err(), v4.err()))
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

/// The view of a `SES_Signature` whose fields have the 2020 layout (GB/T 38540-2020, and the legacy
/// layout: different types, the same fields): `s` read as `layout`, with its seal's view, its
/// `TBS_Sign` as received and its critical extensions.
macro_rules! view_2020 {
    ($s:expr, $layout:expr, $seal:expr, $tbs:expr, $critical:expr) => {
        SignatureView {
            layout: $layout,
            seal: $seal,
            tbs: $tbs,
            claimed: Some(gtime(&$s.to_sign.time_info)),
            data_hash: octets(&$s.to_sign.data_hash, "TBS_Sign dataHash")?.to_vec(),
            signer_cert: $s.cert.as_bytes().to_vec(),
            alg: $s.signature_alg_id,
            signature: octets(&$s.signature, "SES_Signature signature")?.to_vec(),
            time_stamp: match &$s.time_stamp {
                Some(t) => Some(octets(t, "SES_Signature timeStamp")?.to_vec()),
                None => None,
            },
            critical_extensions: $critical,
        }
    };
}

/// Reads a `SES_Signature` in any layout (strict DER).
pub fn parse_signature(der: &[u8]) -> Result<SignatureView, Rejection> {
    let raw = raw_fields(der).unwrap_or_default();
    let tbs_raw = raw.first().cloned().unwrap_or_default();
    let seal_raw = raw_fields(&tbs_raw)
        .ok()
        .and_then(|f| f.into_iter().nth(1))
        .unwrap_or_default();
    let v4 = SesSignature::from_der(der).map_err(Rejection::malformed);
    if let Ok(s) = &v4 {
        if s.to_sign.version != 4 {
            return Err(Rejection::Malformed(format!(
                "TBS_Sign version is {} in the GB/T 38540-2020 layout, which is version 4",
                s.to_sign.version
            )));
        }
        return Ok(view_2020!(
            s,
            Layout::V4,
            seal_v4(&s.to_sign.eseal, &seal_raw)?,
            tbs_raw,
            critical(s.to_sign.ext_datas.as_ref())
        ));
    }
    let v1 = SesSignatureV1::from_der(der).map_err(Rejection::malformed);
    if let Ok(s) = &v1 {
        let t = &s.to_sign;
        // GM/T 0031-2014: timeInfo is the signing time; bytes that are no time are a format error.
        let claimed =
            time_info_v1(octets(&t.time_info, "TBS_Sign timeInfo")?).ok_or_else(|| {
                Rejection::Malformed(
                    "TBS_Sign timeInfo (GM/T 0031-2014) holds no UTCTime or GeneralizedTime".into(),
                )
            })?;
        return Ok(SignatureView {
            layout: Layout::V1,
            seal: seal_v1(&t.eseal, &seal_raw)?,
            tbs: tbs_raw,
            claimed: Some(claimed),
            data_hash: octets(&t.data_hash, "TBS_Sign dataHash")?.to_vec(),
            signer_cert: t.cert.as_bytes().to_vec(),
            alg: t.signature_algorithm,
            signature: octets(&s.signature, "SES_Signature signature")?.to_vec(),
            time_stamp: None,
            critical_extensions: Vec::new(),
        });
    }
    if let Ok(s) = LegacySignature::from_der(der) {
        return Ok(view_2020!(
            s,
            Layout::EcenterLegacy,
            seal_legacy(&s.to_sign.eseal, &seal_raw)?,
            tbs_raw,
            Vec::new()
        ));
    }
    Err(no_layout(der, Structure::Signature, v1.err(), v4.err()))
}
