//! The GM/T 0031-2014 layout (version 1) of seals and seal signatures, as other systems still write
//! them, and the layout earlier ecenter versions wrote (a 2020 `SES_Signature` around a 2014-style
//! `SESeal`). Read only: the hub writes [`crate::asn1`].

use crate::asn1::{SesHeader, SesPictureInfo, SesPropertyInfo};
use der::Sequence;
use der::asn1::{BitString, Ia5String, ObjectIdentifier, OctetString};

/// `SES_ESPropertyInfo` of 2014: no certificate-list type, times as UTCTime (some writers use
/// GeneralizedTime, read as `Any`).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PropertyInfoV1 {
    /// 1 单位印章, 2 个人印章.
    pub seal_type: u32,
    /// The seal's name.
    pub name: String,
    /// DER certificates of the signers.
    pub cert_list: Vec<OctetString>,
    /// Made at.
    pub create_date: der::Any,
    /// Valid from.
    pub valid_start: der::Any,
    /// Valid until.
    pub valid_end: der::Any,
}

/// `SES_SealInfo` of 2014.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SealInfoV1 {
    /// Header (version 1).
    pub header: SesHeader,
    /// Seal id.
    pub es_id: Ia5String,
    /// Properties.
    pub property: PropertyInfoV1,
    /// Picture.
    pub picture: SesPictureInfo,
    /// Extension data, kept as read.
    pub ext_datas: Option<Vec<der::Any>>,
}

/// `SES_SignInfo`: the maker's certificate, algorithm and signature (2014).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SignInfo {
    /// The maker's certificate (DER).
    pub cert: OctetString,
    /// Signature algorithm.
    pub signature_algorithm: ObjectIdentifier,
    /// The signature.
    pub sign_data: BitString,
}

/// `SESeal` of 2014.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SeSealV1 {
    /// What is sealed.
    pub eseal_info: SealInfoV1,
    /// The maker's signature.
    pub sign_info: SignInfo,
}

/// `TBS_Sign` of 2014: the signer's certificate and algorithm are signed too; the time is a BIT
/// STRING holding a UTCTime (as DER or as its text).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TbsSignV1 {
    /// 1.
    pub version: u32,
    /// The seal.
    pub eseal: SeSealV1,
    /// The claimed time.
    pub time_info: BitString,
    /// The document's hash.
    pub data_hash: BitString,
    /// What was sealed.
    pub property_info: Ia5String,
    /// The signer's certificate (DER).
    pub cert: OctetString,
    /// Signature algorithm.
    pub signature_algorithm: ObjectIdentifier,
}

/// `SES_Signature` of 2014.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SesSignatureV1 {
    /// What is signed.
    pub to_sign: TbsSignV1,
    /// The signature.
    pub signature: BitString,
}

/// The `SESeal` earlier ecenter versions wrote: 2020 seal information under a 2014 `SES_SignInfo`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct LegacySeal {
    /// What is sealed (2020 layout, no extensions).
    pub eseal_info: LegacySealInfo,
    /// The maker's signature.
    pub sign_info: SignInfo,
}

/// The seal information earlier ecenter versions wrote (the 2020 fields, no extensions).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct LegacySealInfo {
    /// Header.
    pub header: SesHeader,
    /// Seal id.
    pub es_id: Ia5String,
    /// Properties.
    pub property: SesPropertyInfo,
    /// Picture.
    pub picture: SesPictureInfo,
}

/// The `TBS_Sign` earlier ecenter versions wrote.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct LegacyTbsSign {
    /// 4.
    pub version: u32,
    /// The seal.
    pub eseal: LegacySeal,
    /// The claimed time.
    pub time_info: crate::asn1::Time,
    /// The document's hash.
    pub data_hash: BitString,
    /// What was sealed.
    pub property_info: Ia5String,
}

/// The `SES_Signature` earlier ecenter versions wrote.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct LegacySignature {
    /// What is signed.
    pub to_sign: LegacyTbsSign,
    /// The signer's certificate.
    pub cert: OctetString,
    /// Signature algorithm.
    pub signature_alg_id: ObjectIdentifier,
    /// The signature.
    pub signature: BitString,
    /// Timestamp over the signature.
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub time_stamp: Option<BitString>,
}
