//! Reading a TSTInfo (RFC 3161 §2.4.2) the way the RFC writes it. `x509-tsp`'s `TstInfo` holds
//! genTime as DER's GeneralizedTime, which admits no fraction of a second; RFC 3161 allows one
//! ("YYYYMMDDhhmmss[.s...]Z", no trailing zeros), and TSAs that keep sub-second accuracy send it.
//! A token from such a TSA must not fail to decode, so the fields verification needs — the message
//! imprint and genTime — are read here with the fraction.

use crate::Rejection;
use der::asn1::{AnyRef, Int, ObjectIdentifier};
use der::{Decode, Header, Reader, SliceReader, Tag, Tagged};
use std::time::{Duration, SystemTime};
use x509_tsp::MessageImprint;

/// What verification needs from a TSTInfo.
#[derive(Debug, Clone)]
pub(crate) struct TstCore {
    /// The hash of what was time-stamped.
    pub(crate) message_imprint: MessageImprint,
    /// genTime, with its fraction of a second.
    pub(crate) gen_time: SystemTime,
}

/// Decodes the leading fields of a TSTInfo (version, policy, messageImprint, serialNumber,
/// genTime) and steps over the optional rest (accuracy, ordering, nonce, tsa, extensions).
pub(crate) fn decode(tst_der: &[u8]) -> Result<TstCore, Rejection> {
    let bad = |e: der::Error| Rejection::Malformed(format!("TSTInfo does not decode: {e}"));
    let mut reader = SliceReader::new(tst_der).map_err(bad)?;
    let header = Header::decode(&mut reader).map_err(bad)?;
    if header.tag != Tag::Sequence {
        return Err(Rejection::Malformed("TSTInfo is not a SEQUENCE".into()));
    }
    let core = reader
        .read_nested(header.length, |r| {
            let version = Int::decode(r)?;
            if version.as_bytes() != [1] {
                return Err(der::Tag::Integer.value_error());
            }
            let _policy = ObjectIdentifier::decode(r)?;
            let message_imprint = MessageImprint::decode(r)?;
            let _serial = Int::decode(r)?;
            let gen_time = AnyRef::decode(r)?;
            if gen_time.tag() != Tag::GeneralizedTime {
                return Err(Tag::GeneralizedTime.value_error());
            }
            while !r.is_finished() {
                AnyRef::decode(r)?;
            }
            Ok((message_imprint, gen_time.value().to_vec()))
        })
        .map_err(bad)?;
    reader.finish(()).map_err(bad)?;
    let gen_time = generalized_time(&core.1)?;
    Ok(TstCore {
        message_imprint: core.0,
        gen_time,
    })
}

/// `YYYYMMDDhhmmss[.f…]Z` as a time (RFC 3161 §2.4.2: UTC, fraction without trailing zeros).
pub(crate) fn generalized_time(text: &[u8]) -> Result<SystemTime, Rejection> {
    let text = std::str::from_utf8(text)
        .map_err(|_| Rejection::Malformed("genTime is not text".into()))?;
    let bad = || {
        Rejection::Malformed(format!(
            "genTime 「{text}」 is not YYYYMMDDhhmmss[.fraction]Z"
        ))
    };
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (whole, fraction) = match body.split_once('.') {
        Some((w, f)) if !f.is_empty() && f.len() <= 9 && !f.ends_with('0') => (w, f),
        Some(_) => return Err(bad()),
        None => (body, ""),
    };
    if whole.len() != 14
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    let at = chrono::NaiveDateTime::parse_from_str(whole, "%Y%m%d%H%M%S").map_err(|_| bad())?;
    let secs = u64::try_from(at.and_utc().timestamp()).map_err(|_| bad())?;
    let nanos: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<9}").parse().map_err(|_| bad())?
    };
    Ok(SystemTime::UNIX_EPOCH + Duration::new(secs, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gen_time_with_and_without_fractions() {
        let whole = generalized_time(b"20261130065653Z").unwrap();
        let at = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(at(whole).as_secs(), 1_796_021_813);
        let frac = generalized_time(b"20261130065653.25Z").unwrap();
        assert_eq!(at(frac).subsec_millis(), 250);
        let fine = generalized_time(b"20261130065653.123456789Z").unwrap();
        assert_eq!(at(fine).subsec_nanos(), 123_456_789);
        for bad in [
            &b"20261130065653.250Z"[..], // trailing zero: not DER
            b"20261130065653.Z",
            b"20261130065653",
            b"2026113006565Z",
            b"20261130065653+0800",
            b"20261332065653Z",
        ] {
            assert!(
                generalized_time(bad).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }
}
