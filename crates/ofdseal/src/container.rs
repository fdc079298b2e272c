//! One ZIP container and nothing else (GB/T 33190 §7.4; PKWARE APPNOTE 6.3.10 §4.3): a sealed
//! OFD's bytes must read the same in every reader, so every byte of the file has to belong to
//! exactly one structure of one archive.
//!
//! Readers find an archive differently: Python's `zipfile`, Info-ZIP and Java's `ZipFile` start
//! from the end of central directory record (the last one, or the one a ZIP64 locator names),
//! Java's `ZipInputStream` and other streaming readers walk the local headers from the first
//! byte, and the `zip` crate takes the first end record that parses. A file holding a second
//! archive (appended or prepended), a local entry no directory lists, an end record hidden in
//! the archive comment, or a ZIP64 record that names another directory than the classic one
//! shows one document to the verifier and another to a viewer. [`single_archive`] refuses them
//! all, naming what it found; what it accepts, every reader reads alike.
//!
//! The layout required: local entries (header, name, extra field, data, optional data
//! descriptor) back to back from offset 0; the central directory right after the last; then,
//! for ZIP64, the ZIP64 end record and its locator; then the one end record, whose comment ends
//! the file. One disk only.

const LOCAL: &[u8] = b"PK\x03\x04";
const CENTRAL: &[u8] = b"PK\x01\x02";
const END: &[u8] = b"PK\x05\x06";
const END64: &[u8] = b"PK\x06\x06";
const LOCATOR64: &[u8] = b"PK\x06\x07";
const DESCRIPTOR: &[u8] = b"PK\x07\x08";

/// Little-endian integer of `N` bytes at `at`, if the file is long enough.
fn le<const N: usize>(b: &[u8], at: usize) -> Option<u64> {
    let bytes: [u8; N] = b.get(at..at.checked_add(N)?)?.try_into().ok()?;
    Some(bytes.iter().rev().fold(0, |n, &x| n << 8 | u64::from(x)))
}

fn at_usize(n: u64) -> Result<usize, String> {
    usize::try_from(n).map_err(|_| format!("an offset of {n} bytes is beyond this file"))
}

/// Where the central directory is and how many entries it lists, as the end records say.
#[derive(Debug, PartialEq, Eq)]
struct Directory {
    start: usize,
    end: usize,
    entries: u64,
}

/// One entry as the central directory lists it: where its local header is, its name, its
/// CRC-32 with compressed and uncompressed size (ZIP64 values where the header holds the
/// sentinel), and whether a data descriptor follows its data (flag bit 3, §4.3.9).
struct Listed<'a> {
    offset: usize,
    name: &'a [u8],
    /// CRC-32, compressed size, uncompressed size.
    sums: [u64; 3],
    descriptor: bool,
    /// Compression method (8: deflate).
    method: u64,
}

/// An entry of the one archive, as [`single_archive`] found it: for the caller to check that its
/// ZIP reader reads the same entry there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Where its local header starts.
    pub offset: u64,
    /// Where its data starts.
    pub data: u64,
    /// Its compressed size.
    pub compressed: u64,
    /// Its name, as the central directory writes it.
    pub name: Vec<u8>,
}

/// Checks that `bytes` hold one ZIP archive laid out as the module says, and nothing else;
/// gives the offsets of its local headers in file order, for the caller to check its ZIP reader
/// read this archive. Deflated entries are inflated (and the output dropped) to find where
/// their streams end, at most `inflate_limit` bytes all together (the package's own limit). The
/// error says what else the file holds, for a person (the OFD is refused).
pub fn single_archive(bytes: &[u8], inflate_limit: u64) -> Result<Vec<Entry>, Refused> {
    let directory = end_records(bytes).map_err(Refused::Layout)?;
    let mut listed = central_directory(bytes, &directory).map_err(Refused::Layout)?;
    listed.sort_by_key(|l| l.offset);
    let mut budget = Budget {
        left: inflate_limit,
        limit: inflate_limit,
        exceeded: false,
    };
    let found = local_entries(bytes, &listed, (directory.start, &mut budget));
    match found {
        Err(_) if budget.exceeded => Err(Refused::Inflated(inflate_limit)),
        other => other.map_err(Refused::Layout),
    }
}

/// Why [`single_archive`] refused a file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The file is laid out otherwise than as one archive alone (the message says how).
    #[error("{0}")]
    Layout(String),
    /// Its entries inflate to more than the limit given, in bytes (`[parsing] document_bytes`):
    /// a limit of the hub's, not a fault of the file's.
    #[error("the package is more than {0} bytes once inflated")]
    Inflated(u64),
}

/// The one end of central directory record that ends the file (its comment running exactly to
/// the last byte), checked against the ZIP64 records when a locator precedes it.
fn end_records(b: &[u8]) -> Result<Directory, String> {
    let lowest = b.len().saturating_sub(22 + 0xFFFF);
    let ends: Vec<usize> = (lowest..=b.len().saturating_sub(22))
        .filter(|&p| b[p..].starts_with(END))
        .filter(|&p| le::<2>(b, p + 20).is_some_and(|c| p + 22 + c as usize == b.len()))
        .collect();
    let p = match ends[..] {
        [p] if !comment_holds_records(&b[p + 22..]) => p,
        [_] => {
            return Err(
                "the archive comment holds ZIP end records (another archive): readers that take \
                 the last end record they find read that one"
                    .into(),
            );
        }
        [] => {
            return Err(
                "no end of central directory record ends the file: bytes follow the archive, \
                 or it is no ZIP archive"
                    .into(),
            );
        }
        _ => {
            return Err(format!(
                "{} end of central directory records could each end the file (one hidden in \
                 the archive comment): readers disagree on which archive it is",
                ends.len()
            ));
        }
    };
    let field = |at: usize, n: usize| {
        if n == 2 {
            le::<2>(b, p + at)
        } else {
            le::<4>(b, p + at)
        }
    };
    let disk = (field(4, 2), field(6, 2), field(8, 2), field(10, 2));
    let (Some(0), Some(0), Some(here), Some(total)) = disk else {
        return Err("the archive spans several disks".into());
    };
    let (size, offset) = (field(12, 4).unwrap_or(0), field(16, 4).unwrap_or(0));
    if here != total {
        return Err("the end record counts the entries of this disk and all disks apart".into());
    }
    match p.checked_sub(20).filter(|&l| b[l..].starts_with(LOCATOR64)) {
        Some(locator) => zip64_records(b, locator, (total, size, offset)),
        None => Ok(Directory {
            start: at_usize(offset)?,
            end: at_usize(offset + size)?,
            entries: total,
        })
        .and_then(|d| ends_at(d, p, "the end record")),
    }
}

/// Whether an archive comment holds an end record or ZIP64 record of its own.
fn comment_holds_records(comment: &[u8]) -> bool {
    [END, END64, LOCATOR64]
        .iter()
        .any(|sig| comment.windows(4).any(|w| w == *sig))
}

/// The ZIP64 end record the locator at `locator` names (§4.3.14–15): it must sit right before
/// the locator, and every classic field must be its value or the "see ZIP64" sentinel.
fn zip64_records(b: &[u8], locator: usize, classic: (u64, u64, u64)) -> Result<Directory, String> {
    let at = at_usize(le::<8>(b, locator + 8).unwrap_or(u64::MAX))?;
    if !b.get(at..).is_some_and(|r| r.starts_with(END64)) {
        return Err("the ZIP64 locator names no ZIP64 end record".into());
    }
    let record_end = le::<8>(b, at + 4)
        .and_then(|n| n.checked_add(12))
        .and_then(|n| at_usize(n).ok());
    if record_end.and_then(|n| n.checked_add(at)) != Some(locator) {
        return Err("bytes lie between the ZIP64 end record and its locator".into());
    }
    let (Some(total), Some(size), Some(offset)) = (
        le::<8>(b, at + 32),
        le::<8>(b, at + 40),
        le::<8>(b, at + 48),
    ) else {
        return Err("the ZIP64 end record is cut short".into());
    };
    let agrees = |classic: u64, sentinel: u64, zip64: u64| classic == sentinel || classic == zip64;
    let (c_total, c_size, c_offset) = classic;
    if !(agrees(c_total, 0xFFFF, total)
        && agrees(c_size, 0xFFFF_FFFF, size)
        && agrees(c_offset, 0xFFFF_FFFF, offset))
    {
        return Err(
            "the ZIP64 end record and the classic one name different central directories: \
             readers disagree on which archive it is"
                .into(),
        );
    }
    let directory = Directory {
        start: at_usize(offset)?,
        end: at_usize(offset.saturating_add(size))?,
        entries: total,
    };
    ends_at(directory, at, "the ZIP64 end record")
}

/// The central directory must end where the record after it starts.
fn ends_at(d: Directory, next: usize, what: &str) -> Result<Directory, String> {
    match d.end.cmp(&next) {
        std::cmp::Ordering::Equal => Ok(d),
        std::cmp::Ordering::Less => Err(format!(
            "{} bytes lie between the central directory and {what}, or before the archive (its \
             offsets do not count them): another archive, a stub, or data no reader should see",
            next - d.end
        )),
        std::cmp::Ordering::Greater => Err(format!("{what} names a central directory past it")),
    }
}

/// Walks the central directory: exactly `d.entries` headers filling `d.start..d.end`.
fn central_directory<'a>(b: &'a [u8], d: &Directory) -> Result<Vec<Listed<'a>>, String> {
    let mut listed = Vec::new();
    let mut at = d.start;
    while at < d.end {
        if !b[at..].starts_with(CENTRAL) {
            return Err(format!(
                "the central directory holds something else at byte {at}"
            ));
        }
        let short = || format!("the central directory header at byte {at} is cut short");
        let n = |off: usize| le::<2>(b, at + off).map(|v| v as usize).ok_or_else(short);
        let (name_len, extra_len, comment_len) = (n(28)?, n(30)?, n(32)?);
        let name = b.get(at + 46..at + 46 + name_len).ok_or_else(short)?;
        let extra = b
            .get(at + 46 + name_len..at + 46 + name_len + extra_len)
            .ok_or_else(short)?;
        let sizes = (
            le::<4>(b, at + 20),
            le::<4>(b, at + 24),
            le::<4>(b, at + 42),
        );
        let (Some(compressed), Some(size), Some(offset)) = sizes else {
            return Err(short());
        };
        let crc = le::<4>(b, at + 16).ok_or_else(short)?;
        let [size, compressed, offset] = zip64_values(extra, [size, compressed, offset]);
        plain_name(name, [compressed, size])?;
        listed.push(Listed {
            offset: at_usize(offset)?,
            name,
            sums: [crc, compressed, size],
            descriptor: n(8)? & 0x08 != 0,
            method: n(10)? as u64,
        });
        at += 46 + name_len + extra_len + comment_len;
    }
    if at != d.end || listed.len() as u64 != d.entries {
        return Err(format!(
            "the end record announces {} entries in its central directory, which holds {}",
            d.entries,
            listed.len()
        ));
    }
    Ok(listed)
}

/// `values` (uncompressed size, compressed size, local header offset — in the order the
/// ZIP64 extra field 0x0001 holds them, §4.5.3) with each one the header writes as the sentinel
/// 0xFFFFFFFF taken from that field; the others as written.
fn zip64_values(extra: &[u8], mut values: [u64; 3]) -> [u64; 3] {
    let mut at = 0;
    while let (Some(id), Some(len)) = (le::<2>(extra, at), le::<2>(extra, at + 2)) {
        if id == 1 {
            let mut field = at + 4;
            for v in values.iter_mut().filter(|v| **v == 0xFFFF_FFFF) {
                *v = le::<8>(extra, field).unwrap_or(*v);
                field += 8;
            }
            return values;
        }
        at += 4 + len as usize;
    }
    values
}

/// A name every reader reads alike: no control character (a NUL ends the name for some readers
/// and not for others), and a directory (a name ending in / or \\) holding no data, which
/// readers skip or read as a file.
fn plain_name(name: &[u8], [compressed, size]: [u64; 2]) -> Result<(), String> {
    let shown = String::from_utf8_lossy(name);
    if name.iter().any(|&c| c < 0x20 || c == 0x7F) {
        return Err(format!(
            "the entry name {:?} holds a control character: readers cut it there or keep it",
            shown
        ));
    }
    let directory = name.ends_with(b"/") || name.ends_with(b"\\");
    if directory && (compressed > 0 || size > 0) {
        return Err(format!(
            "the directory entry {shown} holds data: readers skip it or read it as a file"
        ));
    }
    Ok(())
}

/// The local entries, in file order, must follow one another from byte 0 to the directory:
/// each header where the directory says, under the same name, its data and descriptor after.
fn local_entries(
    b: &[u8],
    listed: &[Listed],
    (directory, budget): (usize, &mut Budget),
) -> Result<Vec<Entry>, String> {
    let mut expected = 0;
    let mut entries = Vec::with_capacity(listed.len());
    for entry in listed {
        let shown = String::from_utf8_lossy(entry.name);
        if entry.offset != expected {
            return Err(match entry.offset.cmp(&expected) {
                std::cmp::Ordering::Greater => format!(
                    "{} bytes no directory entry lists lie before the entry {shown} (a hidden \
                     entry, or another archive in front): streaming readers read them",
                    entry.offset - expected
                ),
                _ => format!("the entry {shown} overlaps the one before it"),
            });
        }
        let (found, end) = local_entry(b, entry, budget)?;
        expected = if entry.descriptor {
            descriptor_end(b, (end, entry), listed, directory)?
        } else {
            end
        };
        entries.push(found);
    }
    match expected.cmp(&directory) {
        std::cmp::Ordering::Equal => Ok(entries),
        std::cmp::Ordering::Less => Err(format!(
            "{} bytes no directory entry lists lie before the central directory (a hidden \
             entry): streaming readers read them",
            directory - expected
        )),
        std::cmp::Ordering::Greater => Err("the last entry runs into the central directory".into()),
    }
}

/// The local header of `entry` and its data: the same name, the same CRC and sizes as the
/// directory (ZIP64 values where the header holds the sentinel) unless a data descriptor
/// follows, and a deflate stream that fills the data. Gives the entry and where its data ends.
fn local_entry(b: &[u8], entry: &Listed, budget: &mut Budget) -> Result<(Entry, usize), String> {
    let shown = String::from_utf8_lossy(entry.name);
    let at = entry.offset;
    let header = b.get(at..at + 30).filter(|h| h.starts_with(LOCAL));
    let (Some(name_len), Some(extra_len)) = (le::<2>(b, at + 26), le::<2>(b, at + 28)) else {
        return Err(format!("the local header of {shown} is cut short"));
    };
    let name_at = at + 30;
    let data = name_at + name_len as usize;
    if header.is_none() || b.get(name_at..data) != Some(entry.name) {
        return Err(format!(
            "the local header at byte {at} does not name {shown} as the directory does"
        ));
    }
    let extra = b.get(data..data + extra_len as usize).unwrap_or_default();
    let data = data + extra_len as usize;
    let [crc, compressed, size] = entry.sums;
    let end = at_usize(compressed)?
        .checked_add(data)
        .filter(|&end| end <= b.len())
        .ok_or_else(|| format!("the data of {shown} runs past the file"))?;
    let local = [14, 22, 18].map(|off| le::<4>(b, at + off).unwrap_or(u64::MAX));
    let [local_size, local_compressed, _] = zip64_values(extra, [local[1], local[2], 0]);
    if !entry.descriptor && [local[0], local_compressed, local_size] != [crc, compressed, size] {
        return Err(format!(
            "the local header of {shown} gives other sizes or CRC than the directory: readers \
             that go by the local header find other data"
        ));
    }
    if entry.method == 8 {
        deflate_fills(&b[data..end], budget)
            .map_err(|why| format!("the data of {shown}: {why}"))?;
    }
    let found = Entry {
        offset: at as u64,
        data: data as u64,
        compressed,
        name: entry.name.to_vec(),
    };
    Ok((found, end))
}

/// What the entries may still inflate to, of the package's limit.
struct Budget {
    left: u64,
    limit: u64,
    /// Set when an entry inflated past what was left.
    exceeded: bool,
}

/// Whether a deflate stream (RFC 1951) ends exactly at the end of `data`: a reader that inflates
/// until the stream ends (every streaming reader) must land where the directory says the entry
/// ends, or it would read what lies between as the next entry. Inflates at most `budget`
/// bytes, and takes what it inflated from it.
fn deflate_fills(data: &[u8], budget: &mut Budget) -> Result<(), String> {
    let mut inflate = flate2::Decompress::new(false);
    let mut out = vec![0u8; 64 << 10];
    loop {
        let before = (inflate.total_in(), inflate.total_out());
        let input = &data[inflate.total_in() as usize..];
        let status = inflate
            .decompress(input, &mut out, flate2::FlushDecompress::None)
            .map_err(|e| format!("no deflate stream ({e})"))?;
        let produced = inflate.total_out() - before.1;
        if produced > budget.left {
            budget.exceeded = true;
            let limit = budget.limit;
            return Err(format!(
                "the package is more than {limit} bytes once inflated"
            ));
        }
        budget.left -= produced;
        if status == flate2::Status::StreamEnd {
            let left = data.len() as u64 - inflate.total_in();
            return match left {
                0 => Ok(()),
                n => Err(format!(
                    "its deflate stream ends {n} bytes before the entry does: streaming readers \
                     read those bytes as what follows"
                )),
            };
        }
        if (inflate.total_in(), inflate.total_out()) == before {
            return Err("its deflate stream is cut short".into());
        }
    }
}

/// Where the data descriptor after `entry`'s data (ending at `end`) ends (§4.3.9: CRC and two
/// sizes of 4 or 8 bytes, with or without its signature): whichever reading lands on the next
/// entry's header or on the directory. The descriptor must say what the directory says.
fn descriptor_end(
    b: &[u8],
    (end, entry): (usize, &Listed),
    listed: &[Listed],
    directory: usize,
) -> Result<usize, String> {
    let signed = usize::from(b.get(end..).is_some_and(|d| d.starts_with(DESCRIPTOR))) * 4;
    let next_structure = |p: usize| p == directory || listed.iter().any(|l| l.offset == p);
    let at = end + signed;
    let wide = [12, 20].into_iter().find(|&n| next_structure(at + n));
    let said = match wide {
        Some(12) => [le::<4>(b, at), le::<4>(b, at + 4), le::<4>(b, at + 8)],
        Some(_) => [le::<4>(b, at), le::<8>(b, at + 4), le::<8>(b, at + 12)],
        None => [None; 3],
    };
    if said != entry.sums.map(Some) {
        return Err(format!(
            "the data descriptor of {} gives other sizes or CRC than the directory, or is not \
             where it should be",
            String::from_utf8_lossy(entry.name)
        ));
    }
    Ok(at + wide.unwrap_or(12))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const LIMIT: u64 = 64 << 20;

    fn archive(files: &[(&str, &[u8])], comment: &[u8]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, data) in files {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.set_raw_comment(comment.to_vec().into());
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn one_archive_passes_and_anything_around_it_is_named() {
        let one = archive(
            &[("OFD.xml", b"<a/>"), ("Doc_0/Document.xml", b"<b/>")],
            b"",
        );
        let entries = single_archive(&one, LIMIT).unwrap();
        assert_eq!((entries.len(), entries[0].offset), (2, 0));
        let with_comment = archive(&[("OFD.xml", b"<a/>")], b"made by a court");
        let entries = single_archive(&with_comment, LIMIT).unwrap();
        assert_eq!(entries[0].name, b"OFD.xml");

        // A second archive after the first: its directory does not follow its entries.
        let appended = [&one[..], &archive(&[("OFD.xml", b"<x/>")], b"")].concat();
        let why = single_archive(&appended, LIMIT).unwrap_err().to_string();
        assert!(why.contains("lie between the central directory"), "{why}");
        // Bytes before the archive: its offsets fall short by as many (round 17, F4).
        let prefixed = [&b"0123456789"[..], &one[..]].concat();
        let why = single_archive(&prefixed, LIMIT).unwrap_err().to_string();
        assert!(
            why.starts_with("10 bytes") && why.contains("before the archive"),
            "{why}"
        );
        let trailing = [&one[..], b"trailing"].concat();
        let why = single_archive(&trailing, LIMIT).unwrap_err().to_string();
        assert!(why.contains("bytes follow the archive"), "{why}");

        // An end record hidden in the comment of the real one.
        let mut hidden = one.clone();
        let fake = one[one.len() - 22..].to_vec();
        let n = hidden.len();
        hidden[n - 2..].copy_from_slice(&(fake.len() as u16).to_le_bytes());
        hidden.extend_from_slice(&fake);
        let why = single_archive(&hidden, LIMIT).unwrap_err().to_string();
        assert!(why.contains("could each end the file"), "{why}");
    }

    #[test]
    fn an_entry_must_end_where_streaming_readers_find_its_end() {
        // A local header saying less than the directory: a streaming reader would take what
        // follows within the entry's data for the next entry.
        let stored = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("OFD.xml", stored).unwrap();
        zip.write_all(&[b'x'; 100]).unwrap();
        let mut one = zip.finish().unwrap().into_inner();
        assert!(single_archive(&one, LIMIT).is_ok());
        one[18..22].copy_from_slice(&10u32.to_le_bytes());
        let why = single_archive(&one, LIMIT).unwrap_err().to_string();
        assert!(why.contains("other sizes or CRC"), "{why}");

        // A deflate stream that ends before the entry's data does.
        let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), Default::default());
        deflate.write_all("第1页".as_bytes()).unwrap();
        let stream = deflate.finish().unwrap();
        let budget = |left| Budget {
            left,
            limit: 500,
            exceeded: false,
        };
        assert_eq!(deflate_fills(&stream, &mut budget(LIMIT)), Ok(()));
        let padded = [&stream[..], b"PK\x03\x04"].concat();
        let why = deflate_fills(&padded, &mut budget(LIMIT)).unwrap_err();
        assert!(why.contains("ends 4 bytes before"), "{why}");
        assert!(deflate_fills(&stream[..stream.len() - 1], &mut budget(LIMIT)).is_err());
        // A stream inflating past what is left of the package's limit stops there.
        let why = deflate_fills(&stream, &mut budget(3)).unwrap_err();
        assert!(why.contains("more than 500 bytes"), "{why}");
    }

    #[test]
    fn an_entry_inflating_past_one_buffer_is_read_to_its_end() {
        // A font or a picture: well over the 64 KiB inflated at a time (outside tests, round 17,
        // F2: a stream needing more than one buffer was called no deflate stream at all). Zeros
        // compress a thousandfold; noise (xorshift) not at all.
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for (what, data) in [("zeros", vec![0u8; 1 << 20]), ("noise", noise)] {
            let mut deflate = flate2::write::DeflateEncoder::new(Vec::new(), Default::default());
            deflate.write_all(&data).unwrap();
            let stream = deflate.finish().unwrap();
            let mut budget = Budget {
                left: LIMIT,
                limit: LIMIT,
                exceeded: false,
            };
            assert_eq!(deflate_fills(&stream, &mut budget), Ok(()), "{what}");
            assert_eq!(LIMIT - budget.left, data.len() as u64, "{what}");
            let cut = deflate_fills(
                &stream[..stream.len() / 2],
                &mut Budget {
                    left: LIMIT,
                    limit: LIMIT,
                    exceeded: false,
                },
            );
            assert!(cut.is_err(), "{what}");
        }
    }

    #[test]
    fn names_every_reader_reads_alike() {
        assert_eq!(plain_name(b"Doc_0/Content.xml", [10, 20]), Ok(()));
        assert_eq!(plain_name(b"Doc_0/", [0, 0]), Ok(()));
        for directory in [&b"Doc_0/"[..], b"Doc_0\\"] {
            let why = plain_name(directory, [5, 5]).unwrap_err();
            assert!(why.contains("holds data"), "{why}");
        }
        let why = plain_name(b"Content.xml\0/", [0, 0]).unwrap_err();
        assert!(why.contains("control character"), "{why}");
    }

    /// `one` with a ZIP64 end record and locator (§4.3.14–15) before its end record, naming a
    /// central directory at `directory`.
    fn with_zip64(one: &[u8], directory: u64) -> Vec<u8> {
        let end = one.len() - 22;
        let size = u64::from(u32::from_le_bytes(
            one[end + 12..end + 16].try_into().unwrap(),
        ));
        let entries = u64::from(u16::from_le_bytes([one[end + 10], one[end + 11]]));
        let mut record = END64.to_vec();
        record.extend(44u64.to_le_bytes());
        record.extend([45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for n in [entries, entries, size, directory] {
            record.extend(n.to_le_bytes());
        }
        let mut locator = LOCATOR64.to_vec();
        locator.extend(0u32.to_le_bytes());
        locator.extend((end as u64).to_le_bytes());
        locator.extend(1u32.to_le_bytes());
        [&one[..end], &record, &locator, &one[end..]].concat()
    }

    #[test]
    fn a_zip64_record_must_name_the_directory_the_classic_one_names() {
        let one = archive(
            &[("OFD.xml", b"<a/>"), ("Doc_0/Document.xml", b"<b/>")],
            b"",
        );
        let end = one.len() - 22;
        let directory = u64::from(u32::from_le_bytes(
            one[end + 16..end + 20].try_into().unwrap(),
        ));
        assert_eq!(
            single_archive(&with_zip64(&one, directory), LIMIT).map(|o| o.len()),
            Ok(2)
        );
        let why = single_archive(&with_zip64(&one, directory + 1), LIMIT)
            .unwrap_err()
            .to_string();
        assert!(why.contains("name different central directories"), "{why}");
    }
}
