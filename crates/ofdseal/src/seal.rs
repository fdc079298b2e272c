//! Sealing an OFD: the files GB/T 33190 §18 adds, the References over the package, and the
//! `SES_Signature` over `Signature.xml` (what ofdrw and the readers following it verify).

use crate::OfdError;
use crate::doc::{entry, pages};
use crate::package::{Limits, Package, dir_of, resolve};
use crate::xml::{all, elements, escape, first};
use base64::Engine;
use ecenter_seal::Sealer;
use ecenter_seal::tsa::TimestampAuthority;
use std::time::SystemTime;

/// Where the stamp goes: a page (1-based; `None` = the last) and the top-left corner of the
/// picture in mm from the page's top-left (`None` = lower right, inside the page).
#[derive(Debug, Clone, Copy, Default)]
pub struct Stamp {
    /// 1-based page number.
    pub page: Option<u32>,
    /// (x, y) in mm.
    pub origin: Option<(f64, f64)>,
    /// Width and height of the picture in mm (`None`: 40 × 40, a court seal's usual size).
    pub size_mm: Option<(f64, f64)>,
}

/// Seals the OFD `ofd` with the registry seal `seal_der` applied by `sealer` at `now`, with a
/// timestamp over the signature value (the SES_Signature's timeStamp) when `tsa` is given;
/// returns the new package. Earlier seals stay valid (see the crate documentation).
pub fn seal_ofd(
    ofd: &[u8],
    seal_der: &[u8],
    sealer: &Sealer<'_>,
    tsa: Option<&TimestampAuthority>,
    stamp: Stamp,
    now: SystemTime,
) -> Result<Vec<u8>, OfdError> {
    let original = Package::read(ofd, Limits::of_budget())?;
    let mut package = original.clone();
    let (page_id, boundary) = place(&package, stamp)?;
    let entry = entry(&package)?;
    let signatures_path = match &entry.signatures {
        Some(p) => p.clone(),
        None => {
            let path = format!(
                "{}/Signs/Signatures.xml",
                dir_of(&entry.doc_root).trim_end_matches('/')
            );
            add_signatures_entry(&mut package, &path)?;
            path
        }
    };
    let (mut listed, max_id) = match package.files.get(&signatures_path) {
        Some(xml) => listed(xml, &signatures_path)?,
        None => (Vec::new(), 0),
    };
    if let Some((_, _, by)) = listed
        .iter()
        .find(|(_, _, by)| crate::verify::protects(&package, by, &signatures_path))
    {
        return Err(OfdError::Structure(format!(
            "the seal {by} protects {signatures_path} itself, which forbids any later seal (GB/T 33190 §18.2: the document was closed to further seals)"
        )));
    }
    let signs = dir_of(&signatures_path).to_string();
    let dir = (0..)
        .map(|k| format!("{signs}/Sign_{k}"))
        .find(|d| {
            !package
                .files
                .keys()
                .any(|f| f.starts_with(&format!("{d}/")))
        })
        .expect("an unused directory");
    let (sign_id, annot_id) = (max_id + 1, max_id + 2);
    listed.push((
        sign_id.to_string(),
        "Seal".into(),
        format!("{dir}/Signature.xml"),
    ));
    package.files.insert(
        signatures_path.clone(),
        signatures_xml(&listed, annot_id).into_bytes(),
    );
    package
        .files
        .insert(format!("{dir}/Seal.esl"), seal_der.to_vec());
    let references = references(&package, &signatures_path);
    let signature_path = format!("{dir}/Signature.xml");
    let xml = signature_xml(SignatureXml {
        method: &sealer.algorithm().oid().to_string(),
        at: now,
        references: &references,
        annot: (annot_id, &page_id, boundary),
        dir: &dir,
    });
    let mut signed_value = sealer.seal(xml.as_bytes(), now, &signature_path)?;
    if let Some(tsa) = tsa {
        signed_value = ecenter_seal::add_timestamp(&signed_value, tsa, now)?;
    }
    package.files.insert(signature_path, xml.into_bytes());
    package
        .files
        .insert(format!("{dir}/SignedValue.dat"), signed_value);
    package.write_over(ofd, &original)
}

/// The page ID and the stamp's Boundary, checked to lie inside the page.
fn place(package: &Package, stamp: Stamp) -> Result<(String, [f64; 4]), OfdError> {
    let pages = pages(package)?;
    let n = stamp.page.map_or(pages.len(), |p| p as usize);
    let page = n.checked_sub(1).and_then(|i| pages.get(i)).ok_or_else(|| {
        OfdError::Structure(format!(
            "page {n}: the document has {} page(s)",
            pages.len()
        ))
    })?;
    let [ax, ay, aw, ah] = page.area;
    let (w, h) = stamp.size_mm.unwrap_or((40.0, 40.0));
    let (x, y) = stamp
        .origin
        .unwrap_or((ax + aw - w - 20.0, ay + ah - h - 25.0));
    let finite = [x, y, w, h].iter().all(|v| v.is_finite());
    if !finite || x < ax || y < ay || x + w > ax + aw || y + h > ay + ah || w <= 0.0 || h <= 0.0 {
        return Err(OfdError::Structure(format!(
            "a {w}×{h} mm stamp at ({x}, {y}) mm does not fit on page {n} ({aw}×{ah} mm)"
        )));
    }
    let least = crate::verify::STAMP_MIN_MM;
    if w < least || h < least {
        return Err(OfdError::Structure(format!(
            "a {w}×{h} mm stamp is too small to be seen: at least {least} mm each way"
        )));
    }
    Ok((page.id.clone(), [x, y, w, h]))
}

/// Puts `<Signatures>path</Signatures>` in the first DocBody of OFD.xml, in its own prefix: in
/// place of an empty Signatures element if there is one, else before the DocBody's end tag —
/// found by the XML reader, so comments and CDATA that look like tags are not mistaken for them.
fn add_signatures_entry(package: &mut Package, path: &str) -> Result<(), OfdError> {
    use quick_xml::events::Event;
    let ofd = package.get("/OFD.xml")?;
    let text =
        std::str::from_utf8(ofd).map_err(|_| OfdError::Structure("OFD.xml is not UTF-8".into()))?;
    let bad = |e: String| OfdError::Xml("/OFD.xml".into(), e);
    let mut reader = quick_xml::Reader::from_str(text);
    let (mut depth, mut in_body, mut prefix) = (0usize, false, String::new());
    let (mut open_at, mut span): (Option<usize>, Option<(usize, usize)>) = (None, None);
    loop {
        let start = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| bad(e.to_string()))?;
        let end = reader.buffer_position() as usize;
        let local = |name: &[u8]| {
            String::from_utf8_lossy(name)
                .rsplit(':')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        match event {
            Event::Start(e) => {
                depth += 1;
                let name = String::from_utf8_lossy(e.name().as_ref()).to_string();
                if depth == 2 && local(e.name().as_ref()) == "DocBody" && span.is_none() {
                    in_body = true;
                    prefix = name
                        .rsplit_once(':')
                        .map_or(String::new(), |(p, _)| format!("{p}:"));
                } else if in_body && depth == 3 && local(e.name().as_ref()) == "Signatures" {
                    open_at = Some(start);
                }
            }
            Event::Empty(e)
                if in_body && depth == 2 && local(e.name().as_ref()) == "Signatures" =>
            {
                span = Some((start, end));
                break;
            }
            Event::End(e) => {
                if in_body && depth == 3 && local(e.name().as_ref()) == "Signatures" {
                    span = open_at.map(|s| (s, end));
                    break;
                }
                if in_body && depth == 2 && local(e.name().as_ref()) == "DocBody" {
                    span = Some((start, start));
                    break;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let (from, to) = span.ok_or_else(|| OfdError::Structure("OFD.xml has no DocBody".into()))?;
    let element = format!("<{prefix}Signatures>{}</{prefix}Signatures>", escape(path));
    let out = format!("{}{element}{}", &text[..from], &text[to..]);
    package.files.insert("/OFD.xml".into(), out.into_bytes());
    Ok(())
}

/// An entry of Signatures.xml: ID, Type, absolute BaseLoc.
pub(crate) type Listed = (String, String, String);

/// The entries of a Signatures.xml and its MaxSignId.
pub(crate) fn listed(xml: &[u8], path: &str) -> Result<(Vec<Listed>, u64), OfdError> {
    let e = elements(xml, path)?;
    let max = first(&e, "Signatures/MaxSignId")
        .and_then(|m| m.text.parse::<u64>().ok())
        .unwrap_or(0);
    let mut out = Vec::new();
    let mut max_seen = max;
    for s in all(&e, "Signatures/Signature") {
        let id = s.attr("ID").unwrap_or_default().to_string();
        max_seen = max_seen.max(id.parse().unwrap_or(0));
        let loc = s
            .attr("BaseLoc")
            .ok_or_else(|| OfdError::Structure(format!("{path}: a Signature without BaseLoc")))?;
        out.push((
            id,
            s.attr("Type").unwrap_or("Seal").to_string(),
            resolve(dir_of(path), loc)?,
        ));
    }
    Ok((out, max_seen))
}

fn signatures_xml(listed: &[Listed], max_id: u64) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signatures xmlns:ofd=\"http://www.ofdspec.org/2016\">\n",
    );
    xml.push_str(&format!("<ofd:MaxSignId>{max_id}</ofd:MaxSignId>\n"));
    for (id, kind, loc) in listed {
        xml.push_str(&format!(
            "<ofd:Signature ID=\"{}\" Type=\"{}\" BaseLoc=\"{}\"/>\n",
            escape(id),
            escape(kind),
            escape(loc)
        ));
    }
    xml.push_str("</ofd:Signatures>\n");
    xml
}

/// SM3 of every file but the (ever-changing) signature list: (path, digest).
fn references(package: &Package, signatures_path: &str) -> Vec<(String, Vec<u8>)> {
    package
        .files
        .iter()
        .filter(|(p, _)| p.as_str() != signatures_path)
        .map(|(p, data)| (p.clone(), ecenter_seal::sm::sm3_of(&[data])))
        .collect()
}

struct SignatureXml<'a> {
    method: &'a str,
    at: SystemTime,
    references: &'a [(String, Vec<u8>)],
    annot: (u64, &'a str, [f64; 4]),
    dir: &'a str,
}

fn signature_xml(s: SignatureXml<'_>) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let secs =
        s.at.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
    let when = utc(secs);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ofd:Signature xmlns:ofd=\"http://www.ofdspec.org/2016\">\n<ofd:SignedInfo>\n",
    );
    xml.push_str(&format!(
        "<ofd:Provider ProviderName=\"ecenter\" Version=\"{}\" Company=\"ecenter\"/>\n",
        env!("CARGO_PKG_VERSION")
    ));
    xml.push_str(&format!(
        "<ofd:SignatureMethod>{}</ofd:SignatureMethod>\n",
        escape(s.method)
    ));
    xml.push_str(&format!(
        "<ofd:SignatureDateTime>{when}</ofd:SignatureDateTime>\n"
    ));
    xml.push_str(&format!(
        "<ofd:References CheckMethod=\"{}\">\n",
        crate::SM3_OID
    ));
    for (path, digest) in s.references {
        xml.push_str(&format!(
            "<ofd:Reference FileRef=\"{}\"><ofd:CheckValue>{}</ofd:CheckValue></ofd:Reference>\n",
            escape(path),
            b64.encode(digest)
        ));
    }
    xml.push_str("</ofd:References>\n");
    let (id, page, [x, y, w, h]) = s.annot;
    xml.push_str(&format!(
        "<ofd:StampAnnot ID=\"{id}\" PageRef=\"{}\" Boundary=\"{x:.2} {y:.2} {w:.2} {h:.2}\"/>\n",
        escape(page)
    ));
    xml.push_str(&format!(
        "<ofd:Seal><ofd:BaseLoc>{}/Seal.esl</ofd:BaseLoc></ofd:Seal>\n",
        s.dir
    ));
    xml.push_str("</ofd:SignedInfo>\n");
    xml.push_str(&format!(
        "<ofd:SignedValue>{}/SignedValue.dat</ofd:SignedValue>\n</ofd:Signature>\n",
        s.dir
    ));
    xml
}

/// `YYYYMMDDhhmmssZ` (UTC) of a Unix time, as GB/T 33190 writes SignatureDateTime.
fn utc(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap_or_default()
        .format("%Y%m%d%H%M%SZ")
        .to_string()
}
