//! Verifying every signature of a PDF as a careful validator does: each signature's byte range
//! and CMS (or, for a document timestamp, its RFC 3161 token), and what changed after it
//! (see [`crate::revisions`]), judged against what that signature allows.

use crate::revisions::{self, Change};
use crate::{PdfSealError, resolve};
use ecenter_seal::cades::{Profile, verify_detached_as};
use ecenter_seal::{
    Check, CheckStatus, Indication, Rejection, SubIndication, TrustStores, ValidationReport,
};
use lopdf::Object;
use std::collections::HashMap;
use std::time::SystemTime;

/// One signature of a PDF and what its verification found.
#[derive(Debug, Clone)]
pub struct PdfSignatureReport {
    /// The signature field's name (T), when a field points at it.
    pub field: String,
    /// The signed byte range as written.
    pub byte_range: Vec<i64>,
    /// The checks on the PDF structure and on the CMS signature, with the overall indication.
    pub report: ValidationReport,
}

/// Every signature of a PDF, in the order they cover the file.
#[derive(Debug, Clone)]
pub struct PdfReport {
    /// One per signature dictionary found.
    pub signatures: Vec<PdfSignatureReport>,
    /// The overall indication: PASSED only if there is a signature and every one passed.
    pub indication: Indication,
}

/// A structure check the signature passed.
fn passed(name: &'static str, detail: String) -> Check {
    Check {
        name,
        status: CheckStatus::Passed,
        detail,
    }
}

/// A structure check the signature failed: a FORMAT_FAILURE (ETSI EN 319 102-1 §5.1.3).
fn format_failure(name: &'static str, detail: String) -> Check {
    Check {
        name,
        status: CheckStatus::Failed(SubIndication::FormatFailure),
        detail,
    }
}

/// The indication of a whole PDF: PASSED only when there is a signature and all passed; FAILED
/// when one failed; INDETERMINATE otherwise.
pub fn overall(signatures: &[PdfSignatureReport]) -> Indication {
    ecenter_seal::report::overall(signatures.iter().map(|s| s.report.indication))
}

/// The signed range's two parts, and the hole between them, when the range is well formed: starts
/// at 0, leaves exactly the /Contents hex string out, stays inside the file.
fn check_range(pdf: &[u8], range: &[i64]) -> Result<(usize, usize, usize), Rejection> {
    let [start, first_len, second_start, second_len] = range else {
        return Err(Rejection::Malformed(format!(
            "the byte range has {} numbers, not 4",
            range.len()
        )));
    };
    if range.iter().any(|n| *n < 0) {
        return Err(Rejection::Malformed(
            "the byte range has a negative number".into(),
        ));
    }
    let (first_len, second_start, second_len) = (
        *first_len as usize,
        *second_start as usize,
        *second_len as usize,
    );
    if *start != 0 {
        return Err(Rejection::Malformed(
            "the byte range does not start at the beginning of the file".into(),
        ));
    }
    if second_start < first_len {
        return Err(Rejection::Malformed(
            "the byte range's two parts overlap".into(),
        ));
    }
    let end = second_start
        .checked_add(second_len)
        .filter(|e| *e <= pdf.len())
        .ok_or_else(|| {
            Rejection::Malformed("the byte range reaches past the end of the file".into())
        })?;
    let hole = &pdf[first_len..second_start];
    let is_hex_string = hole.len() >= 2
        && hole[0] == b'<'
        && hole[hole.len() - 1] == b'>'
        && hole[1..hole.len() - 1].iter().all(u8::is_ascii_hexdigit);
    if !is_hex_string {
        return Err(Rejection::Malformed(
            "the bytes left out of the signed range are not exactly the signature's /Contents"
                .into(),
        ));
    }
    Ok((first_len, second_start, end))
}

fn unhex(hex: &[u8]) -> Vec<u8> {
    let value = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
    hex.chunks(2)
        .map(|p| value(p[0]) << 4 | p.get(1).map_or(0, |c| value(*c)))
        .collect()
}

/// Verifies every signature of `pdf`: its byte range (starts at 0, leaves out exactly its own
/// /Contents, no overlap), the CMS signature against `trust` (see
/// [`ecenter_seal::cades::verify_detached`]), and that nothing was appended after the last
/// signature (an incremental update that changes what is shown after sealing).
pub fn verify_pdf(
    pdf: &[u8],
    trust: &TrustStores,
    now: SystemTime,
) -> Result<PdfReport, PdfSealError> {
    let doc = crate::load(pdf)?;
    let SignatureFields {
        names,
        found,
        unusable,
    } = signature_fields(&doc);
    // From the last signature back: a valid document timestamp proves that everything it covers
    // existed at its genTime, so earlier timestamps' TSA chains are judged then, not now
    // (ETSI EN 319 102-1 §5.6.2.4, validation from a chain of archive timestamps).
    let mut signatures = Vec::new();
    let mut poe = now;
    for (id, range) in found.into_iter().rev() {
        let report = match check_range(pdf, &range) {
            Err(e) => ValidationReport::from_checks(
                vec![format_failure("byte_range", e.to_string())],
                None,
                None,
            ),
            Ok(parts) => verify_one(pdf, &doc, id, parts, trust, (now, poe)),
        };
        let stamp = report
            .check("timestamp")
            .is_some_and(|c| c.detail.contains("document timestamp"));
        if stamp
            && report.indication == Indication::Passed
            && let Some(t) = report.signing_time
        {
            poe = t;
        }
        signatures.push(PdfSignatureReport {
            field: names.get(&id).cloned().unwrap_or_default(),
            byte_range: range,
            report,
        });
    }
    signatures.reverse();
    report_validation_data(&doc, &mut signatures);
    signatures.extend(unusable.into_iter().map(|(field, why)| PdfSignatureReport {
        report: ValidationReport::from_checks(
            vec![format_failure(
                "signature_dictionary",
                format!("the signature field {field:?} holds a value, but {why}"),
            )],
            None,
            None,
        ),
        field,
        byte_range: Vec::new(),
    }));
    let indication = overall(&signatures);
    Ok(PdfReport {
        signatures,
        indication,
    })
}

/// Each signature field's name, by its signature dictionary.
type FieldNames = HashMap<lopdf::ObjectId, String>;

/// Each signature dictionary with its /ByteRange, in the order they cover the file.
type ByteRanges = Vec<(lopdf::ObjectId, Vec<i64>)>;

/// The signatures of a document: the values of its signature fields (ISO 32000-1 §12.7.4.5).
struct SignatureFields {
    /// Each field's fully qualified name, by its signature dictionary.
    names: FieldNames,
    /// The signature dictionaries with their byte ranges, in the order they cover the file.
    found: ByteRanges,
    /// Fields that hold a value which is no signature that can be verified: the field's name and
    /// why. Each fails the document — a field of type Sig with a value claims to be signed, and
    /// a validator that passed over it would let it paint over what the signatures cover.
    unusable: Vec<(String, String)>,
}

/// The signatures of the document. A dictionary with a /ByteRange that no field names is not a
/// signature of this document (what it changes is judged as any change); a signature field whose
/// type is inherited from its parent is one (§12.7.3.1).
fn signature_fields(doc: &lopdf::Document) -> SignatureFields {
    let mut fields = SignatureFields {
        names: HashMap::new(),
        found: Vec::new(),
        unusable: Vec::new(),
    };
    for object in doc.objects.values() {
        let Ok(field) = object.as_dict() else {
            continue;
        };
        let value = match field.get(b"V") {
            Err(_) | Ok(Object::Null) => continue,
            Ok(v) => v,
        };
        if !crate::fields::is_signature_field(field, doc) {
            continue;
        }
        let name = crate::fields::field_name(field, doc);
        match crate::fields::signature_value(value, doc) {
            Ok((v, _)) if fields.names.contains_key(&v) => {
                let why = format!(
                    "its signature dictionary (object {} {}) is already the value of the field {:?}: a signature is one field's value (ISO 32000-1 §12.7.4.5), and a second field showing it signs nothing",
                    v.0, v.1, fields.names[&v]
                );
                fields.unusable.push((name, why));
            }
            Ok((v, range)) => {
                fields.names.insert(v, name);
                fields.found.push((v, range));
            }
            Err(why) => fields.unusable.push((name, why)),
        }
    }
    let covered =
        |r: &[i64]| (r.get(2).copied().unwrap_or(0)).saturating_add(r.get(3).copied().unwrap_or(0));
    fields.found.sort_by_key(|(_, r)| covered(r));
    fields.unusable.sort();
    fields
}

/// Reports the validation material embedded for later (the DSS of PAdES-B-LT) on the last
/// signature: how many certificates and CRLs it holds, or that there is none.
fn report_validation_data(doc: &lopdf::Document, signatures: &mut [PdfSignatureReport]) {
    // Validation material embedded for later (PAdES-B-LT), reported on the last signature.
    let dss = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"DSS").ok())
        .and_then(|d| resolve(doc, d).ok())
        .and_then(|d| d.as_dict().ok());
    if let Some(last) = signatures.last_mut() {
        let count = |key: &[u8]| {
            dss.and_then(|d| d.get(key).ok())
                .and_then(|a| resolve(doc, a).ok())
                .and_then(|a| a.as_array().ok())
                .map_or(0, Vec::len)
        };
        last.report.checks.push(match dss {
            Some(_) => Check {
                name: "long_term_validation_data",
                status: CheckStatus::Passed,
                detail: format!(
                    "the document security store holds {} certificate(s) and {} CRL(s)",
                    count(b"Certs"),
                    count(b"CRLs")
                ),
            },
            None => Check {
                name: "long_term_validation_data",
                status: CheckStatus::NotApplicable,
                detail: "no document security store (PAdES-B-B or B-T)".into(),
            },
        });
    }
}

/// The checks of one signature whose byte range is well formed: its /Contents is exactly the
/// range's gap, its CMS (or timestamp token), and what changed after it.
fn verify_one(
    pdf: &[u8],
    doc: &lopdf::Document,
    id: lopdf::ObjectId,
    (first_len, second_start, end): (usize, usize, usize),
    trust: &TrustStores,
    (now, poe): (SystemTime, SystemTime),
) -> ValidationReport {
    let mut checks = vec![passed(
        "byte_range",
        "starts at 0 and leaves out exactly the signature's /Contents".into(),
    )];
    // The signature dictionary is judged as the revision it signs has it: it must be in that
    // revision and unchanged since (a copy or an override in a later update proves nothing).
    // A signature over the whole file signs the document as already parsed.
    let parsed = if end == pdf.len() {
        Ok(std::borrow::Cow::Borrowed(doc))
    } else {
        crate::load(&pdf[..end]).map(std::borrow::Cow::Owned)
    };
    let revision = match parsed {
        Ok(r) => r,
        Err(e) => {
            checks.push(format_failure(
                "revision",
                format!("the revision this signature covers cannot be read on its own ({e})"),
            ));
            return ValidationReport::from_checks(checks, None, None);
        }
    };
    let dict = match signed_dictionary(&revision, doc, id) {
        Ok(d) => d,
        Err(why) => {
            checks.push(format_failure("revision", why.into()));
            return ValidationReport::from_checks(checks, None, None);
        }
    };
    let contents = match signed_contents(pdf, dict, first_len, second_start) {
        Ok(c) => c,
        Err(why) => {
            checks.push(format_failure("contents", why.into()));
            return ValidationReport::from_checks(checks, None, None);
        }
    };
    let signed: [&[u8]; 2] = [&pdf[..first_len], &pdf[second_start..end]];
    if revisions::is_doc_timestamp(dict) {
        let (check, tsa) = document_timestamp(&contents, &signed, trust, poe);
        checks.push(check);
        checks.push(modifications(pdf, doc, &revision, dict, end));
        let gen_time = tsa.as_ref().map(|t| t.gen_time);
        return ValidationReport {
            signing_time: gen_time,
            ..ValidationReport::from_checks(checks, None, tsa.map(|t| t.tsa))
        };
    }
    // ISO 32000-1 §12.8.3.3's PKCS #7 asks less of the signed attributes than PAdES's CAdES.
    let profile = match dict.get(b"SubFilter").and_then(Object::as_name) {
        Ok(b"adbe.pkcs7.detached") => Profile::Pkcs7,
        _ => Profile::Cades,
    };
    let cms = verify_detached_as(&contents, &signed, trust, (now, poe), profile);
    checks.extend(cms.checks);
    checks.push(modifications(pdf, doc, &revision, dict, end));
    // A seal's PDF signature names its GB/T 38540 seal: the report carries its id and the trusted
    // time, so the hub can ask its registry whether the seal was revoked by then.
    ValidationReport {
        seal_id: cms.seal_id,
        signing_time: cms.signing_time,
        ..ValidationReport::from_checks(checks, cms.seal_name, cms.signer)
    }
}

/// The signature dictionary `id` as the revision its byte range signs has it, which must be the
/// one the whole document has (a copy or an override in a later update proves nothing); the
/// failure says why not.
fn signed_dictionary<'a>(
    revision: &'a lopdf::Document,
    doc: &lopdf::Document,
    id: lopdf::ObjectId,
) -> Result<&'a lopdf::Dictionary, &'static str> {
    match (revision.objects.get(&id), doc.objects.get(&id)) {
        (Some(signed), Some(now_is)) if signed == now_is => match signed.as_dict() {
            Ok(d) => Ok(d),
            Err(_) => Err("the signature value is not a dictionary"),
        },
        (None, _) => {
            Err("the signature dictionary is not part of the revision its byte range signs")
        }
        _ => Err("the signature dictionary was changed after it was signed"),
    }
}

/// The signature's own /Contents (ISO 32000-1 §12.8.1), which must be exactly the hex string the
/// byte range leaves out between `first_len` and `second_start`; the failure says why not.
fn signed_contents(
    pdf: &[u8],
    dict: &lopdf::Dictionary,
    first_len: usize,
    second_start: usize,
) -> Result<Vec<u8>, &'static str> {
    let gap = unhex(&pdf[first_len + 1..second_start - 1]);
    // ISO 32000-1 §12.8.1: the signature is the field's own /Contents, which must be the gap.
    let contents = match dict.get(b"Contents") {
        Ok(Object::String(bytes, _)) => bytes.clone(),
        _ => return Err("the signature dictionary has no /Contents string"),
    };
    if contents != gap {
        return Err(
            "the signature dictionary's /Contents is not the bytes the byte range leaves out",
        );
    }
    Ok(contents)
}

/// A document timestamp (SubFilter ETSI.RFC3161, PAdES B-LTA): its /Contents is an RFC 3161
/// token over the byte range.
fn document_timestamp(
    token: &[u8],
    signed: &[&[u8]],
    trust: &TrustStores,
    poe: SystemTime,
) -> (Check, Option<ecenter_seal::tsa::VerifiedTimestamp>) {
    // The hex string is padded with zeros after the DER.
    let len = der_length(token).unwrap_or(token.len()).min(token.len());
    let verified = ecenter_seal::tsa::verify_timestamp_of_parts(
        &token[..len],
        signed,
        (&trust.tsas, &trust.intermediates),
        Some(poe),
    );
    match verified {
        Ok(ts) => (
            Check {
                name: "timestamp",
                status: CheckStatus::Passed,
                detail: format!("a valid RFC 3161 document timestamp by {}", ts.tsa),
            },
            Some(ts),
        ),
        Err(e) => (
            Check {
                name: "timestamp",
                status: CheckStatus::Failed(SubIndication::NoPoe),
                detail: e.to_string(),
            },
            None,
        ),
    }
}

/// The length of the DER value at the start of `bytes` (tag, length, contents).
fn der_length(bytes: &[u8]) -> Option<usize> {
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let n = usize::from(first & 0x7f);
    let len = bytes
        .get(2..2 + n)?
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some(2 + n + len)
}

/// What changed after the revision a signature covers, judged by what the signature allows.
fn modifications(
    pdf: &[u8],
    doc: &lopdf::Document,
    revision: &lopdf::Document,
    dict: &lopdf::Dictionary,
    end: usize,
) -> Check {
    if end == pdf.len() {
        return Check {
            name: "modifications",
            status: CheckStatus::Passed,
            detail: "the signature covers the whole file".into(),
        };
    }
    let changes = revisions::changes_since(revision, doc);
    // Bytes after the signed revision that no revision accounts for: nothing to judge them by.
    let tail: Vec<u8> = pdf[end..]
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if changes.is_empty() && !tail.is_empty() && tail != b"%%EOF" {
        return Check {
            name: "modifications",
            status: CheckStatus::Failed(SubIndication::SigConstraintsFailure),
            detail: format!(
                "{} bytes follow the signed revision without forming a revision of their own: the file was changed after this signature",
                pdf.len() - end
            ),
        };
    }
    // What the signer allowed, as the signed revision says it (a later update cannot relax it).
    let permission = revisions::docmdp_permission(dict, revision);
    let lock = revisions::fieldmdp_lock(dict, revision);
    let (ok, bad): (Vec<&Change>, Vec<&Change>) = changes.iter().partition(|c| {
        let locked = matches!((c, &lock), (Change::FormFilling(f), Some(l)) if l.locks(f));
        revisions::allowed(c, permission) && !locked
    });
    let list = |cs: &[&Change]| {
        cs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    let allows = match permission {
        None => "a seal allows",
        Some(1) => "a certification with DocMDP P=1 allows",
        Some(_) => "a certification allows",
    };
    if bad.is_empty() {
        Check {
            name: "modifications",
            status: CheckStatus::Passed,
            detail: if ok.is_empty() {
                "later revisions changed nothing in the document".into()
            } else {
                format!("changed after it, as {allows}: {}", list(&ok))
            },
        }
    } else {
        Check {
            name: "modifications",
            status: CheckStatus::Failed(SubIndication::SigConstraintsFailure),
            detail: format!(
                "the document was changed after this signature beyond what {allows}: {}",
                list(&bad)
            ),
        }
    }
}

/// The strictest DocMDP permission of any certification in `pdf`, each read from the revision its
/// signature signs (an update that rewrites /Perms or /P afterwards changes nothing).
/// A revision over the parse budget stops the search with the budget's error: a certification
/// that was not read is not taken as absent.
pub fn strictest_certification(
    pdf: &[u8],
    doc: &lopdf::Document,
) -> Result<Option<i64>, PdfSealError> {
    let mut strictest: Option<i64> = None;
    for object in doc.objects.values() {
        let Ok(field) = object.as_dict() else {
            continue;
        };
        let Ok(Object::Reference(v)) = field.get(b"V") else {
            continue;
        };
        if !crate::fields::is_signature_field(field, doc) {
            continue;
        }
        let Ok(range) = doc
            .get_dictionary(*v)
            .and_then(|d| d.get(b"ByteRange"))
            .and_then(Object::as_array)
        else {
            continue;
        };
        let numbers: Vec<i64> = range.iter().map(|n| n.as_i64().unwrap_or(-1)).collect();
        let Ok((_, _, end)) = check_range(pdf, &numbers) else {
            continue;
        };
        let revision = match crate::load(&pdf[..end]) {
            Ok(r) => r,
            Err(e @ PdfSealError::Budget(_)) => return Err(e),
            Err(_) => continue,
        };
        let Ok(signed) = revision.get_dictionary(*v) else {
            continue;
        };
        if let Some(p) = revisions::docmdp_permission(signed, &revision) {
            strictest = Some(strictest.map_or(p, |s| s.min(p)));
        }
    }
    Ok(strictest)
}
