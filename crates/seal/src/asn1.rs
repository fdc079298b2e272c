//! The ASN.1 structures of GB/T 38540-2020 (《信息安全技术 安全电子签章密码技术规范》), version 4,
//! DER-encoded with the `der` crate. Field names follow the standard. The hub writes these; the
//! GM/T 0031-2014 layout (version 1) other systems still write is read by [`crate::asn1_2014`].

use der::asn1::{BitString, GeneralizedTime, Ia5String, ObjectIdentifier, OctetString};
use der::{DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag, Writer};
use std::time::{Duration, SystemTime};

/// A GeneralizedTime read with an optional fraction of a second (X.690 §11.7 allows one in DER,
/// without trailing zeros; other writers use it) and written in whole seconds. Signatures are
/// checked over the bytes as received, never over a re-encoding.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Time(pub SystemTime);

impl FixedTag for Time {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for Time {
    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let bytes = reader.read_vec(header.length)?;
        crate::tst::generalized_time(&bytes)
            .map(Time)
            .map_err(|_| Tag::GeneralizedTime.value_error())
    }
}

impl EncodeValue for Time {
    fn value_len(&self) -> der::Result<Length> {
        self.whole()?.value_len()
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.whole()?.encode_value(writer)
    }
}

impl Time {
    fn whole(&self) -> der::Result<GeneralizedTime> {
        let secs = self
            .0
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_err(|_| Tag::GeneralizedTime.value_error())?
            .as_secs();
        GeneralizedTime::from_unix_duration(Duration::from_secs(secs))
    }
}

/// `SES_Header`: format id `"ES"`, version 4, vendor id.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesHeader {
    /// Always `ES`.
    pub id: Ia5String,
    /// 4 for GB/T 38540-2020.
    pub version: u32,
    /// Who made the software that made the seal.
    pub vid: Ia5String,
}

/// `SES_ESPropertyInfo`: what the seal is and who may sign with it.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesPropertyInfo {
    /// 1 单位印章 (an organisation's seal), 2 个人印章.
    pub seal_type: u32,
    /// The seal's name, e.g. 襄阳市中级人民法院诉讼服务专用章.
    pub name: String,
    /// 1: `cert_list` holds whole certificates; 2: their digests (`CertDigestList`).
    pub cert_list_type: u32,
    /// `SES_CertList`: SEQUENCE OF OCTET STRING (DER certificates) for type 1, SEQUENCE OF
    /// [`CertDigestObj`] for type 2; see [`crate::layout`].
    pub cert_list: der::Any,
    /// When the seal was made.
    pub create_date: Time,
    /// Start of the seal's validity.
    pub valid_start: Time,
    /// End of the seal's validity.
    pub valid_end: Time,
}

/// `SES_ESPictrueInfo` (sic, as in the standard): the seal's picture.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesPictureInfo {
    /// `PNG`, `JPG`, `SVG`, ...
    pub picture_type: Ia5String,
    /// The picture.
    pub data: OctetString,
    /// Display width in millimetres.
    pub width: u32,
    /// Display height in millimetres.
    pub height: u32,
}

/// `SES_SealInfo`: everything the seal maker signs.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSealInfo {
    /// Header.
    pub header: SesHeader,
    /// Seal id (印章编码).
    pub es_id: Ia5String,
    /// Properties.
    pub property: SesPropertyInfo,
    /// Picture.
    pub picture: SesPictureInfo,
    /// `ExtensionDatas` (SEQUENCE OF ExtData), kept as read: it is signed with the rest.
    pub ext_datas: Option<Vec<der::Any>>,
}

/// `SESeal` (GB/T 38540-2020 §7.1): the seal information, the maker's certificate, the algorithm,
/// and the maker's signature over the DER of `SES_SealInfo`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SeSeal {
    /// What is sealed.
    pub eseal_info: SesSealInfo,
    /// The maker's certificate (DER).
    pub cert: OctetString,
    /// Signature algorithm.
    pub sign_alg_id: ObjectIdentifier,
    /// The maker's signature (DER ECDSA for P-256).
    pub signed_value: BitString,
}

/// `TBS_Sign`: what a seal signature signs.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TbsSign {
    /// 4.
    pub version: u32,
    /// The whole seal.
    pub eseal: SeSeal,
    /// The signer's claimed signing time (trusted only with a timestamp).
    pub time_info: Time,
    /// Hash of the sealed document (SHA-256 for P-256).
    pub data_hash: BitString,
    /// What was sealed, e.g. the document's name and id.
    pub property_info: Ia5String,
    /// `[0] ExtensionDatas`, kept as read.
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub ext_datas: Option<Vec<der::Any>>,
}

/// `SES_Signature`: a detached seal signature over a document.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSignature {
    /// The signed data.
    pub to_sign: TbsSign,
    /// The signer's certificate (DER).
    pub cert: OctetString,
    /// Signature algorithm.
    pub signature_alg_id: ObjectIdentifier,
    /// The signature over the DER of `to_sign`.
    pub signature: BitString,
    /// RFC 3161 timestamp token over `signature`, when one was obtained.
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub time_stamp: Option<BitString>,
}

/// `CertDigestObj` (GB/T 38540-2020): a signer certificate named by a digest — `type` names the
/// algorithm (e.g. `SHA256`, `SM3`), `value` is the digest of the DER certificate.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct CertDigestObj {
    /// The digest algorithm's name.
    pub digest_type: der::asn1::PrintableString,
    /// The digest.
    pub value: OctetString,
}
