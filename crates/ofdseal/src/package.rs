//! An OFD package (GB/T 33190 §7.4: a ZIP container) as a map from absolute path (`/OFD.xml`,
//! `/Doc_0/Document.xml`) to bytes, read with limits and written back deterministically.

use crate::OfdError;
use crate::container::Refused;
use ecenter_budget::Budgeted;
use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};

/// Limits on what a package may hold, so that a hostile ZIP cannot exhaust memory.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most entries (files and directories).
    pub entries: usize,
    /// Most bytes, all entries inflated.
    pub bytes: u64,
}

impl Default for Limits {
    /// The limits of the default `[parsing]` settings.
    fn default() -> Self {
        Limits::of(&ecenter_budget::Limits::default())
    }
}

impl Limits {
    /// The limits of the ambient parse budget ([`ecenter_budget::current`]): as many entries as
    /// `[parsing] objects` allows parts, as many bytes inflated as `[parsing] document_bytes`.
    /// Filing, sealing and checking read a package under the same configured limits, so an OFD
    /// accepted when filed is not refused later for its size (outside tests, round 21).
    pub fn of_budget() -> Limits {
        Limits::of(ecenter_budget::current().limits())
    }

    /// The package limits of the `[parsing]` settings `limits`.
    pub fn of(limits: &ecenter_budget::Limits) -> Limits {
        Limits {
            entries: usize::try_from(limits.objects).unwrap_or(usize::MAX),
            bytes: limits.document_bytes,
        }
    }

    /// The refusal of a package beyond `what`: a budget error naming the `[parsing]` setting,
    /// as a PDF beyond it gets, so the caller's status and message are the same.
    fn exceeded(&self, what: Budgeted) -> OfdError {
        let limit = match what {
            Budgeted::Objects => self.entries as u64,
            _ => self.bytes,
        };
        OfdError::Budget(ecenter_budget::Exceeded::Limit {
            budget: what,
            limit,
        })
    }
}

/// The files of a package by absolute path, in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Package {
    /// `/path` → contents.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Package {
    /// Reads a ZIP container within `limits`.
    pub fn read(bytes: &[u8], limits: Limits) -> Result<Package, OfdError> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| OfdError::Package(format!("not a ZIP container: {e}")))?;
        // The zip crate keeps one entry per name; the central directory may list more. Two
        // entries of one name are read differently by different readers: refuse them.
        let announced = ecenter_budget::zip::announced_entries(Cursor::new(bytes));
        if announced.is_some_and(|n| n != zip.len() as u64) {
            return Err(OfdError::Package(format!(
                "the ZIP directory lists {} entries but only {} distinct names: entries share a name, and readers disagree on which counts",
                announced.unwrap_or_default(),
                zip.len()
            )));
        }
        if zip.len() > limits.entries {
            return Err(limits.exceeded(Budgeted::Objects));
        }
        let entries =
            crate::container::single_archive(bytes, limits.bytes).map_err(|why| match why {
                Refused::Inflated(_) => limits.exceeded(Budgeted::DocumentBytes),
                Refused::Layout(why) => {
                    OfdError::Package(format!("not one ZIP archive alone: {why}"))
                }
            })?;
        same_entries(&mut zip, &entries)?;
        let mut files = BTreeMap::new();
        let mut left = limits.bytes;
        for i in 0..zip.len() {
            let mut entry = zip
                .by_index(i)
                .map_err(|e| OfdError::Package(format!("entry {i}: {e}")))?;
            if entry.is_dir() {
                continue;
            }
            let name = normalise(entry.name())?;
            let mut data = Vec::new();
            (&mut entry)
                .take(left + 1)
                .read_to_end(&mut data)
                .map_err(|e| OfdError::Package(format!("{name}: {e}")))?;
            left = left
                .checked_sub(data.len() as u64)
                .ok_or_else(|| limits.exceeded(Budgeted::DocumentBytes))?;
            if files.insert(name.clone(), data).is_some() {
                return Err(OfdError::Package(format!("{name} appears twice")));
            }
        }
        Ok(Package { files })
    }

    /// The file at `path` (absolute), or an error naming it.
    pub fn get(&self, path: &str) -> Result<&[u8], OfdError> {
        self.files
            .get(path)
            .map(Vec::as_slice)
            .ok_or_else(|| OfdError::Missing(path.to_string()))
    }

    /// Writes the container: entries in path order, deflated, with a fixed time, so the same
    /// files give the same bytes.
    pub fn write(&self) -> Result<Vec<u8>, OfdError> {
        self.write_over(&[], &Package::default())
    }

    /// Writes the container like [`Package::write`], except that a file whose contents are
    /// those of `original` (read from the container `original_zip`) is copied from there as it
    /// was stored, compressed bytes and CRC unchanged, instead of being deflated again. Sealing
    /// changes a handful of small files; re-deflating every page and picture cost three times
    /// the signature's own work (docs/PERFORMANCE.md). The contents, which the References'
    /// digests cover, are the same either way.
    pub fn write_over(&self, original_zip: &[u8], original: &Package) -> Result<Vec<u8>, OfdError> {
        let err = |e: zip::result::ZipError| OfdError::Package(e.to_string());
        let mut source = if original.files.is_empty() {
            None
        } else {
            Some(zip::ZipArchive::new(Cursor::new(original_zip)).map_err(err)?)
        };
        let index: BTreeMap<String, usize> = source.as_ref().map_or_else(BTreeMap::new, |zip| {
            (0..zip.len())
                .filter_map(|i| Some((normalise(zip.name_for_index(i)?).ok()?, i)))
                .collect()
        });
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        for (path, data) in &self.files {
            let name = path.trim_start_matches('/');
            let unchanged = original.files.get(path) == Some(data);
            if let (true, Some(zip), Some(&i)) = (unchanged, source.as_mut(), index.get(path)) {
                let entry = zip.by_index_raw(i).map_err(err)?;
                out.raw_copy_file_rename(entry, name).map_err(err)?;
                continue;
            }
            out.start_file(name, options).map_err(err)?;
            out.write_all(data)
                .map_err(|e| OfdError::Package(e.to_string()))?;
        }
        let cursor = out.finish().map_err(err)?;
        Ok(cursor.into_inner())
    }
}

/// Whether the zip crate read the entries [`crate::container::single_archive`] found, each where
/// it found it, under the name the directory writes (not one an extra field substitutes: Info-ZIP
/// Unicode Path), with the same compressed size and data: readers that interpret a header
/// differently read another document.
fn same_entries(
    zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
    entries: &[crate::container::Entry],
) -> Result<(), OfdError> {
    let differ = |name: &str| {
        OfdError::Package(format!(
            "not one ZIP archive alone: the ZIP reader reads the entry {name} other than its \
             headers write it (an extra field renames or moves it)"
        ))
    };
    if zip.offset() != 0 || zip.len() != entries.len() {
        return Err(differ("list"));
    }
    for i in 0..zip.len() {
        let raw = zip
            .by_index_raw(i)
            .map_err(|e| OfdError::Package(e.to_string()))?;
        let found = entries.iter().find(|e| e.offset == raw.header_start());
        let same = found.is_some_and(|e| {
            e.name == raw.name_raw()
                && e.compressed == raw.compressed_size()
                && e.data == raw.data_start()
        });
        if !same {
            return Err(differ(raw.name()));
        }
    }
    Ok(())
}

/// An entry name as an absolute path; `..`, empty segments and backslashes are refused.
fn normalise(name: &str) -> Result<String, OfdError> {
    let bad = || {
        OfdError::Package(format!(
            "entry name 「{name}」 is not a plain relative path"
        ))
    };
    if name.contains('\\') {
        return Err(bad());
    }
    let parts: Vec<&str> = name.trim_start_matches('/').split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == ".." || *p == ".")
    {
        return Err(bad());
    }
    Ok(format!("/{}", parts.join("/")))
}

/// Resolves `loc` (an ST_Loc: absolute, or relative to the directory `base_dir`) to an absolute
/// path, refusing any that climb out of the package.
pub fn resolve(base_dir: &str, loc: &str) -> Result<String, OfdError> {
    let joined = if loc.starts_with('/') {
        loc.to_string()
    } else {
        format!("{}/{loc}", base_dir.trim_end_matches('/'))
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in joined.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts
                    .pop()
                    .ok_or_else(|| OfdError::Package(format!("{loc} leaves the package")))?;
            }
            p => parts.push(p),
        }
    }
    Ok(format!("/{}", parts.join("/")))
}

/// The directory of an absolute path (`/Doc_0/Signs/Signatures.xml` → `/Doc_0/Signs`).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/')
        .map_or("/", |(d, _)| if d.is_empty() { "/" } else { d })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_against_their_directory_and_cannot_climb_out() {
        assert_eq!(
            resolve("/Doc_0/Signs", "Sign_0/Signature.xml").unwrap(),
            "/Doc_0/Signs/Sign_0/Signature.xml"
        );
        assert_eq!(
            resolve("/Doc_0/Signs", "/Doc_0/Pages/Page_0/Content.xml").unwrap(),
            "/Doc_0/Pages/Page_0/Content.xml"
        );
        assert_eq!(resolve("/Doc_0", "../OFD.xml").unwrap(), "/OFD.xml");
        assert!(resolve("/", "../../etc/passwd").is_err());
        assert_eq!(dir_of("/Doc_0/Signs/Signatures.xml"), "/Doc_0/Signs");
        assert_eq!(dir_of("/OFD.xml"), "/");
    }

    #[test]
    fn a_written_package_reads_back_the_same() {
        let mut p = Package::default();
        p.files.insert("/OFD.xml".into(), b"<ofd:OFD/>".to_vec());
        p.files.insert("/Doc_0/Document.xml".into(), vec![7; 1000]);
        let bytes = p.write().unwrap();
        assert_eq!(Package::read(&bytes, Limits::default()).unwrap(), p);
        assert_eq!(bytes, p.write().unwrap(), "deterministic");
        let small = Limits {
            entries: 10,
            bytes: 500,
        };
        let refused = Package::read(&bytes, small).unwrap_err().to_string();
        assert!(
            refused.contains("[parsing] document_bytes = 500"),
            "the setting is named: {refused}"
        );
        let one = Limits {
            entries: 1,
            bytes: 1 << 20,
        };
        let refused = Package::read(&bytes, one).unwrap_err().to_string();
        assert!(refused.contains("[parsing] objects = 1"), "{refused}");
    }

    #[test]
    fn unchanged_files_are_copied_as_stored_and_changed_ones_written_afresh() {
        // A foreign container: one page stored uncompressed, one deflated, names without '/'.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in [
            ("OFD.xml", b"<ofd:OFD/>".as_slice()),
            ("Doc_0/P.xml", &[7; 900]),
        ] {
            zip.start_file(name, stored).unwrap();
            zip.write_all(data).unwrap();
        }
        let original_zip = zip.finish().unwrap().into_inner();
        let original = Package::read(&original_zip, Limits::default()).unwrap();
        let mut edited = original.clone();
        edited
            .files
            .insert("/OFD.xml".into(), b"<ofd:OFD>x</ofd:OFD>".to_vec());
        edited.files.insert("/Doc_0/New.xml".into(), vec![1; 900]);
        let bytes = edited.write_over(&original_zip, &original).unwrap();
        assert_eq!(Package::read(&bytes, Limits::default()).unwrap(), edited);
        let mut written = zip::ZipArchive::new(Cursor::new(&bytes)).unwrap();
        let method = |z: &mut zip::ZipArchive<_>, n: &str| z.by_name(n).unwrap().compression();
        use zip::CompressionMethod::{Deflated, Stored};
        assert_eq!(
            method(&mut written, "Doc_0/P.xml"),
            Stored,
            "copied as it was"
        );
        assert_eq!(
            method(&mut written, "OFD.xml"),
            Deflated,
            "changed: written afresh"
        );
        assert_eq!(method(&mut written, "Doc_0/New.xml"), Deflated);
        assert_eq!(bytes, edited.write_over(&original_zip, &original).unwrap());
    }
}
