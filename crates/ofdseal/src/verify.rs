//! Verifying the seals of an OFD: per seal, the package checks of GB/T 33190 §18 (references,
//! files added, the stamp) joined to the `SES_Signature`'s own report.

use crate::OfdError;
use crate::doc::{Page, entry, pages};
use crate::package::{Limits, Package, dir_of, resolve};
use crate::seal::listed;
use crate::xml::{all, elements, first};
use base64::Engine;
use ecenter_seal::{Check, CheckStatus, SubIndication, ValidationReport, Verifier};
use std::collections::BTreeSet;
use std::time::SystemTime;

/// One seal of an OFD and its verdict.
#[derive(Debug, Clone)]
pub struct OfdSeal {
    /// `ID` in Signatures.xml.
    pub id: String,
    /// Its Signature.xml.
    pub signature_path: String,
    /// The page its stamp is on (1-based), when it names one of the document's pages.
    pub page: Option<u32>,
    /// The stamp's Boundary (x, y, w, h) in mm.
    pub boundary: Option<[f64; 4]>,
    /// The report: the SES_Signature's checks and the package's.
    pub report: ValidationReport,
}

/// A parsed Signature.xml.
struct Described {
    check_method: String,
    references: Vec<(String, Option<Vec<u8>>)>,
    /// Each StampAnnot's PageRef, Boundary and Clip (if any).
    stamps: Vec<(String, String, Option<String>)>,
    seal_loc: Option<String>,
    signed_value: Option<String>,
}

fn describe(xml: &[u8], path: &str) -> Result<Described, OfdError> {
    let e = elements(xml, path)?;
    let dir = dir_of(path);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut references = Vec::new();
    for r in all(&e, "Signature/SignedInfo/References/Reference") {
        let loc = r.attr("FileRef").unwrap_or_default();
        references.push((resolve(dir, loc)?, None));
    }
    // CheckValues follow their Reference in document order.
    let values: Vec<Option<Vec<u8>>> =
        all(&e, "Signature/SignedInfo/References/Reference/CheckValue")
            // xs:base64Binary allows whitespace (XML Schema Part 2 §3.2.16): writers wrap lines.
            .map(|c| {
                let text: Vec<u8> = c
                    .text
                    .bytes()
                    .filter(|b| !b.is_ascii_whitespace())
                    .collect();
                b64.decode(text).ok()
            })
            .collect();
    if values.len() != references.len() {
        return Err(OfdError::Structure(format!(
            "{path}: {} references but {} check values",
            references.len(),
            values.len()
        )));
    }
    for (r, v) in references.iter_mut().zip(values) {
        r.1 = v;
    }
    Ok(Described {
        check_method: first(&e, "Signature/SignedInfo/References")
            .and_then(|r| r.attr("CheckMethod"))
            .unwrap_or_default()
            .to_string(),
        references,
        stamps: all(&e, "Signature/SignedInfo/StampAnnot")
            .map(|s| {
                (
                    s.attr("PageRef").unwrap_or_default().to_string(),
                    s.attr("Boundary").unwrap_or_default().to_string(),
                    s.attr("Clip").map(str::to_string),
                )
            })
            .collect(),
        seal_loc: first(&e, "Signature/SignedInfo/Seal/BaseLoc")
            .map(|b| resolve(dir, &b.text))
            .transpose()?,
        signed_value: first(&e, "Signature/SignedValue")
            .map(|v| resolve(dir, &v.text))
            .transpose()?,
    })
}

fn failed(name: &'static str, sub: SubIndication, detail: String) -> Check {
    Check {
        name,
        status: CheckStatus::Failed(sub),
        detail,
    }
}

fn passed(name: &'static str, detail: String) -> Check {
    Check {
        name,
        status: CheckStatus::Passed,
        detail,
    }
}

/// Verifies every seal of `ofd` against `verifier`'s trust stores at `now`. An OFD without seals
/// gives an empty list; one that is not an OFD, an error.
pub fn verify_ofd(
    ofd: &[u8],
    verifier: &Verifier,
    now: SystemTime,
) -> Result<Vec<OfdSeal>, OfdError> {
    let package = Package::read(ofd, Limits::of_budget())?;
    let entry = entry(&package)?;
    let Some(list_path) = entry.signatures else {
        return Ok(Vec::new());
    };
    let pages = pages(&package)?;
    let (listed, _) = listed(package.get(&list_path)?, &list_path)?;
    let mut out = Vec::new();
    let (mut seen, mut ids) = (BTreeSet::new(), BTreeSet::new());
    for (i, (id, kind, path)) in listed.iter().enumerate() {
        if !seen.insert(path.as_str()) {
            out.push(unlisted(
                id,
                path,
                format!("{path} is listed twice in {list_path}: one seal cannot count twice"),
            ));
            continue;
        }
        if !id.is_empty() && !ids.insert(id.as_str()) {
            out.push(unlisted(
                id,
                path,
                format!(
                    "{list_path} lists another seal under ID {id}: an ID names one object in a \
                     document (GB/T 33190 ST_ID), so readers show only one of them"
                ),
            ));
            continue;
        }
        // A seal made later protects this one's Signature.xml: its own files came after.
        let later: Vec<String> = listed
            .iter()
            .enumerate()
            .filter(|(j, (_, _, other))| *j != i && protects(&package, other, path))
            .map(|(_, (_, _, other))| dir_of(other).to_string())
            .collect();
        out.push(one(
            &package,
            &pages,
            (id, kind, path),
            (&list_path, &later),
            verifier,
            now,
        ));
    }
    // A seal's files in the package that the list does not name: a seal hidden from readers.
    let signs = format!("{}/", dir_of(&list_path));
    for hidden in package.files.keys().filter(|f| {
        f.starts_with(&signs) && f.ends_with("/Signature.xml") && !seen.contains(f.as_str())
    }) {
        out.push(unlisted("", hidden, format!("{hidden} is a seal in the package that {list_path} does not list: readers do not show it")));
    }
    Ok(out)
}

/// Whether the Signature.xml at `by` lists `path` among its References.
pub(crate) fn protects(package: &Package, by: &str, path: &str) -> bool {
    package
        .files
        .get(by)
        .and_then(|xml| describe(xml, by).ok())
        .is_some_and(|d| d.references.iter().any(|(f, _)| f == path))
}

fn unlisted(id: &str, path: &str, detail: String) -> OfdSeal {
    OfdSeal {
        id: id.to_string(),
        signature_path: path.to_string(),
        page: None,
        boundary: None,
        report: ValidationReport::from_checks(
            vec![failed(
                "ofd_signature",
                SubIndication::FormatFailure,
                detail,
            )],
            None,
            None,
        ),
    }
}

fn one(
    package: &Package,
    pages: &[Page],
    (id, kind, path): (&str, &str, &str),
    (list_path, later_dirs): (&str, &[String]),
    verifier: &Verifier,
    now: SystemTime,
) -> OfdSeal {
    let bare = |check: Check| OfdSeal {
        id: id.to_string(),
        signature_path: path.to_string(),
        page: None,
        boundary: None,
        report: ValidationReport::from_checks(vec![check], None, None),
    };
    let Some(xml) = package.files.get(path) else {
        return bare(failed(
            "ofd_signature",
            SubIndication::FormatFailure,
            format!("{path}, listed in {list_path}, is not in the package"),
        ));
    };
    let described = match describe(xml, path) {
        Ok(d) => d,
        Err(e) => {
            return bare(failed(
                "ofd_signature",
                SubIndication::FormatFailure,
                e.to_string(),
            ));
        }
    };
    let Some(signed_value) = described
        .signed_value
        .as_ref()
        .and_then(|p| package.files.get(p))
    else {
        return bare(failed(
            "ofd_signature",
            SubIndication::FormatFailure,
            format!("{path} names no SignedValue in the package"),
        ));
    };
    let mut report = verifier.verify(signed_value, xml, now);
    report = report.with_check(references(package, &described));
    report = report.with_check(coverage(package, &described, (path, list_path), later_dirs));
    // Every stamp is judged; the first one names the page shown to people.
    let mut judged = described.stamps.iter().map(|s| stamp(pages, Some(s), kind));
    let (page, boundary, mut check) = judged.next().unwrap_or_else(|| stamp(pages, None, kind));
    for (_, _, other) in judged {
        if matches!(other.status, CheckStatus::Failed(_))
            && !matches!(check.status, CheckStatus::Failed(_))
        {
            check = other;
        }
    }
    report = report.with_check(check);
    if let Some(check) = seal_file(package, &described, signed_value) {
        report = report.with_check(check);
    }
    OfdSeal {
        id: id.to_string(),
        signature_path: path.to_string(),
        page,
        boundary,
        report,
    }
}

/// A digest function: the bytes of a file to its digest.
type Digest = fn(&[u8]) -> Vec<u8>;

/// The digest a References CheckMethod names (GB/T 33190 §18.2.2: an algorithm identifier; SM3
/// by default, SHA-256 as writers sealing with ECDSA use), with its name; `None` for any other.
fn check_method(method: &str) -> Option<(&'static str, Digest)> {
    let sm3: Digest = |d| ecenter_seal::sm::sm3_of(&[d]);
    let sha256: Digest = |d| ecenter_seal::SignatureAlgorithm::EcdsaP256Sha256.hash(d);
    match method {
        m if m == crate::SM3_OID || m.eq_ignore_ascii_case("SM3") => Some(("SM3", sm3)),
        "2.16.840.1.101.3.4.2.1" => Some(("SHA-256", sha256)),
        m if m.eq_ignore_ascii_case("SHA256") || m.eq_ignore_ascii_case("SHA-256") => {
            Some(("SHA-256", sha256))
        }
        _ => None,
    }
}

/// A file's name as a report shows it: in 「」, with what cannot be seen escaped by the hub's one
/// rule ([`ecenter_domain::text::hidden`]: controls, format characters such as U+200B or the
/// bidirectional override U+202E, fillers) and any space but the plain one, so that
/// `Content.xml ` (a trailing space) or `evil\u{202E}gnp.exe` is not read as the name it mimics.
fn shown(file: &str) -> String {
    let visible: String = (file.chars())
        .map(|c| {
            if ecenter_domain::text::hidden(c) || c.is_whitespace() && c != ' ' {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect();
    format!("「{visible}」")
}

/// Every referenced file present and unchanged, digests as the CheckMethod names.
fn references(package: &Package, d: &Described) -> Check {
    let method = d.check_method.as_str();
    if method.trim().is_empty() {
        return failed(
            "ofd_references",
            SubIndication::FormatFailure,
            "References names no CheckMethod: a seal must say its digest, SM3 \
             (1.2.156.10197.1.401) or SHA-256 (2.16.840.1.101.3.4.2.1)"
                .into(),
        );
    }
    let Some((name, digest)) = check_method(method) else {
        return failed(
            "ofd_references",
            SubIndication::CryptoConstraintsFailure,
            format!(
                "References CheckMethod 「{method}」 is neither SM3 (1.2.156.10197.1.401) nor \
                 SHA-256 (2.16.840.1.101.3.4.2.1)"
            ),
        );
    };
    let mut problems = Vec::new();
    for (file, expected) in &d.references {
        match (package.files.get(file), expected) {
            (None, _) => problems.push(format!("{} was removed", shown(file))),
            (Some(_), None) => {
                problems.push(format!("the CheckValue of {} is no base64", shown(file)));
            }
            (Some(data), Some(value)) if digest(data) != *value => {
                problems.push(format!("{} was changed", shown(file)));
            }
            (Some(_), Some(_)) => {}
        }
    }
    if problems.is_empty() {
        passed(
            "ofd_references",
            format!(
                "the {} files the seal protects are unchanged ({name})",
                d.references.len()
            ),
        )
    } else {
        failed(
            "ofd_references",
            SubIndication::HashFailure,
            format!("after sealing: {}", problems.join("; ")),
        )
    }
}

/// No file added after the seal that no later seal accounts for.
fn coverage(
    package: &Package,
    d: &Described,
    (path, list_path): (&str, &str),
    later_dirs: &[String],
) -> Check {
    let referenced: BTreeSet<&str> = d.references.iter().map(|(f, _)| f.as_str()).collect();
    let own: BTreeSet<&str> = [Some(path), d.signed_value.as_deref(), Some(list_path)]
        .into_iter()
        .flatten()
        .collect();
    let added: Vec<&str> = package
        .files
        .keys()
        .map(String::as_str)
        .filter(|f| !referenced.contains(f) && !own.contains(f))
        .filter(|f| {
            !later_dirs
                .iter()
                .any(|dir| f.starts_with(&format!("{dir}/")))
        })
        .collect();
    if added.is_empty() {
        passed(
            "ofd_coverage",
            "no file was added after the seal, other than later seals".into(),
        )
    } else {
        failed(
            "ofd_coverage",
            SubIndication::HashFailure,
            format!(
                "protected by no seal (added after sealing, or left out of it): {}",
                added
                    .iter()
                    .map(|f| shown(f))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }
}

/// The stamp names a page and lies inside it.
fn stamp(
    pages: &[Page],
    stamp: Option<&(String, String, Option<String>)>,
    kind: &str,
) -> (Option<u32>, Option<[f64; 4]>, Check) {
    let Some((page_ref, boundary, clip)) = stamp else {
        return if kind.eq_ignore_ascii_case("Sign") {
            (
                None,
                None,
                passed(
                    "ofd_stamp",
                    "a digital signature without a stamp (Type=Sign)".into(),
                ),
            )
        } else {
            (
                None,
                None,
                failed(
                    "ofd_stamp",
                    SubIndication::FormatFailure,
                    "a seal without a StampAnnot: nothing shows it on a page".into(),
                ),
            )
        };
    };
    let Some((n, page)) = pages.iter().enumerate().find(|(_, p)| &p.id == page_ref) else {
        return (
            None,
            None,
            failed(
                "ofd_stamp",
                SubIndication::FormatFailure,
                format!("the stamp's PageRef {page_ref} names no page"),
            ),
        );
    };
    let b: Vec<f64> = boundary
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let Some(b) = <[f64; 4]>::try_from(b)
        .ok()
        .filter(|b| b.iter().all(|v| v.is_finite()) && b[2] > 0.0 && b[3] > 0.0)
    else {
        return (
            Some(n as u32 + 1),
            None,
            failed(
                "ofd_stamp",
                SubIndication::FormatFailure,
                format!(
                    "Boundary 「{boundary}」 is not four finite numbers with a positive width and height"
                ),
            ),
        );
    };
    let [ax, ay, aw, ah] = page.area;
    let page_no = Some(n as u32 + 1);
    if b[0] < ax || b[1] < ay || b[0] + b[2] > ax + aw || b[1] + b[3] > ay + ah {
        return (
            page_no,
            Some(b),
            failed(
                "ofd_stamp",
                SubIndication::FormatFailure,
                format!(
                    "the stamp at {boundary} mm lies outside page {} ({aw}×{ah} mm)",
                    n + 1
                ),
            ),
        );
    }
    if let Err(why) = visible(b, clip.as_deref()) {
        let check = failed("ofd_stamp", SubIndication::FormatFailure, why);
        return (page_no, Some(b), check);
    }
    (
        page_no,
        Some(b),
        passed("ofd_stamp", format!("on page {} at {boundary} mm", n + 1)),
    )
}

/// The least a stamp must show each way, in millimetres: a court's seal is some 40 mm across,
/// and a stamp a reader cannot see shows no seal.
pub(crate) const STAMP_MIN_MM: f64 = 5.0;

/// Whether a stamp at `b` (x, y, width, height in mm), cut to its Clip (a box in the stamp's
/// own space, GB/T 33190 §18, StampAnnot), leaves at least [`STAMP_MIN_MM`] each way to be seen.
fn visible(b: [f64; 4], clip: Option<&str>) -> Result<(), String> {
    let (w, h) = (b[2], b[3]);
    if w < STAMP_MIN_MM || h < STAMP_MIN_MM {
        return Err(format!(
            "the stamp is {w}×{h} mm: too small to be seen (at least {STAMP_MIN_MM} mm each way)"
        ));
    }
    let Some(clip) = clip else { return Ok(()) };
    let c: Vec<f64> = clip
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let shown = <[f64; 4]>::try_from(c)
        .ok()
        .filter(|c| c.iter().all(|v| v.is_finite()));
    let Some([cx, cy, cw, ch]) = shown else {
        return Err(format!(
            "the stamp's Clip 「{clip}」 is not four finite numbers"
        ));
    };
    let across = (cx + cw).min(w) - cx.max(0.0);
    let down = (cy + ch).min(h) - cy.max(0.0);
    if across < STAMP_MIN_MM || down < STAMP_MIN_MM {
        return Err(format!(
            "the stamp's Clip 「{clip}」 leaves less than {STAMP_MIN_MM}×{STAMP_MIN_MM} mm of it \
             to be seen"
        ));
    }
    Ok(())
}

/// Seal.esl, when present, is the seal inside the signature; a signature that does not parse
/// has no seal to compare (its own check says why), so nothing is said here.
fn seal_file(package: &Package, d: &Described, signed_value: &[u8]) -> Option<Check> {
    let loc = d.seal_loc.as_ref()?;
    let inside = ecenter_seal::seal_of_signature(signed_value).ok()?;
    Some(match package.files.get(loc) {
        Some(esl) if inside == *esl => passed(
            "ofd_seal_file",
            format!("{loc} is the seal inside the signature"),
        ),
        Some(_) => failed(
            "ofd_seal_file",
            SubIndication::HashFailure,
            format!("{loc} is not the seal inside the signature"),
        ),
        None => failed(
            "ofd_seal_file",
            SubIndication::FormatFailure,
            format!("{loc} is not in the package"),
        ),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_name_shows_what_cannot_be_seen_as_code_points() {
        assert_eq!(super::shown("/Doc_0/a b.xml "), "「/Doc_0/a b.xml 」");
        for (hidden, code) in [
            ('\u{200B}', "\\u{200b}"),
            ('\u{202E}', "\\u{202e}"),
            ('\u{FEFF}', "\\u{feff}"),
            ('\u{3164}', "\\u{3164}"),
            ('\u{A0}', "\\u{a0}"),
            ('\n', "\\u{a}"),
        ] {
            let shown = super::shown(&format!("/Doc_0/evil{hidden}gnp.exe"));
            assert_eq!(shown, format!("「/Doc_0/evil{code}gnp.exe」"));
        }
    }
}
