//! lopdf's loader under the ambient [`Budget`](crate::Budget).
//!
//! lopdf reads every indirect object when it loads a file and unpacks object streams (ISO
//! 32000-1 §7.5.7) eagerly; a 3 MB file of 1.2 million tiny objects became more than a gigabyte.
//! Its load filter sees each object before it is kept, and each object stream before it is
//! unpacked: there the objects are counted (an object stream's members from its offset table,
//! inflated within the stream allowance) and, over the limit, dropped, so lopdf never builds
//! them. Every stream lopdf inflates is bounded by the per-stream limit, and the page tree
//! (§7.7.3) is walked once, iteratively, with cycles, depth and page count checked, so code
//! that walks it afterwards (lopdf's `get_pages`) meets a tree.

use crate::{Budget, Exceeded};
use lopdf::{Document, LoadOptions, Object, ObjectId};
use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

/// Why a PDF was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The parse went beyond its budget (or its time, or its caller left).
    #[error(transparent)]
    Budget(#[from] Exceeded),
    /// lopdf could not read the file, or its page tree is not a tree.
    #[error("{0}")]
    Damaged(String),
    /// The file is encrypted: lopdf reads encrypted files without the load filter, so no budget
    /// could bound the parse.
    #[error("the PDF is encrypted: send it without a password")]
    Encrypted,
}

struct Loading {
    budget: Rc<Budget>,
    /// Object numbers in the object stream just counted, which lopdf offers to the filter next.
    members: HashSet<u32>,
    seen: u64,
    stopped: Option<Exceeded>,
}

thread_local! {
    static LOADING: RefCell<Option<Loading>> = const { RefCell::new(None) };
}

/// Loads `pdf` under the ambient budget.
pub fn load(pdf: &[u8]) -> Result<Document, LoadError> {
    let budget = crate::current();
    budget.check()?;
    let outline = crate::scan::outline(pdf);
    if outline.encrypted {
        return Err(LoadError::Encrypted);
    }
    budget.charge_values(outline.values)?;
    let options = LoadOptions {
        filter: Some(filter),
        max_decompressed_size: Some(budget.stream_allowance().0 as usize),
        ..LoadOptions::default()
    };
    LOADING.with(|l| {
        *l.borrow_mut() = Some(Loading {
            budget: budget.clone(),
            members: HashSet::new(),
            seen: 0,
            stopped: None,
        });
    });
    let loaded = Document::load_mem_with_options(pdf, options);
    let stopped = LOADING
        .with(|l| l.borrow_mut().take())
        .and_then(|l| l.stopped);
    if let Some(e) = stopped {
        return Err(e.into());
    }
    let document = loaded.map_err(|e| match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            LoadError::Budget(budget.stream_over())
        }
        other => LoadError::Damaged(crate::excerpt(&other.to_string(), 300)),
    })?;
    budget.check()?;
    pages(&document, &budget)?;
    Ok(document)
}

/// lopdf's load filter: counts, and drops everything once the budget is spent.
///
/// lopdf keeps its own copy of a top-level object and only asks whether to keep it, but takes an
/// object-stream member from what the filter returns: members (small, never streams) are given
/// back as clones, top-level objects as a placeholder lopdf ignores.
fn filter(id: ObjectId, object: &mut Object) -> Option<(ObjectId, Object)> {
    LOADING.with(|l| {
        let mut l = l.borrow_mut();
        let Some(state) = l.as_mut() else {
            return Some((id, object.clone()));
        };
        if state.stopped.is_some() {
            return None;
        }
        let member = state.members.remove(&id.0);
        if !member {
            // A top-level object: the last object stream's members have all been offered.
            state.members.clear();
        }
        match charge(state, object, member) {
            Ok(()) if member => Some((id, object.clone())),
            Ok(()) => Some((id, Object::Null)),
            Err(e) => {
                state.stopped = Some(e);
                None
            }
        }
    })
}

fn charge(state: &mut Loading, object: &Object, member: bool) -> Result<(), Exceeded> {
    state.seen += 1;
    if state.seen.is_multiple_of(1024) {
        state.budget.check()?;
    }
    if member {
        // Charged with their object stream.
        return Ok(());
    }
    let mut count = 1;
    if let Object::Stream(stream) = object
        && stream.dict.has_type(b"ObjStm")
    {
        state.members = object_stream_members(stream, &state.budget)?;
        count += state.members.len() as u64;
    }
    state.budget.charge_objects(count)
}

/// The object numbers an object stream holds, from its offset table (what lopdf unpacks,
/// whatever /N says). Streams that do not inflate are lopdf's to report.
fn object_stream_members(
    stream: &lopdf::Stream,
    budget: &Budget,
) -> Result<HashSet<u32>, Exceeded> {
    let (allowance, _) = budget.stream_allowance();
    let content = match stream.get_plain_content_with_limit(allowance as usize) {
        Ok(c) => c,
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            return Err(budget.stream_over());
        }
        Err(_) => return Ok(HashSet::new()),
    };
    budget.charge_bytes(content.len() as u64)?;
    budget.charge_values(crate::scan::values(&content))?;
    let first = stream
        .dict
        .get(b"First")
        .and_then(Object::as_i64)
        .ok()
        .and_then(|f| usize::try_from(f).ok())
        .unwrap_or(0)
        .min(content.len());
    // Pairs of object number and offset; the numbers are what lopdf will offer.
    Ok(content[..first]
        .split(u8::is_ascii_whitespace)
        .filter(|t| !t.is_empty())
        .step_by(2)
        .filter_map(|t| std::str::from_utf8(t).ok()?.parse().ok())
        .collect())
}

/// The page tree's pages in order, walked without recursion: a node met twice (a /Kids cycle)
/// is damage, too deep or too many pages is over budget.
pub fn pages(document: &Document, budget: &Budget) -> Result<Vec<ObjectId>, LoadError> {
    let root = document
        .catalog()
        .and_then(|c| c.get(b"Pages"))
        .and_then(Object::as_reference)
        .map_err(|e| LoadError::Damaged(format!("the catalog names no page tree: {e}")))?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let mut stack = vec![(root, 1usize)];
    while let Some((id, depth)) = stack.pop() {
        if !seen.insert(id) {
            return Err(LoadError::Damaged(format!(
                "the page tree loops: object {} {} is reached twice through /Kids",
                id.0, id.1
            )));
        }
        budget.depth(depth)?;
        let Ok(node) = document.get_dictionary(id) else {
            continue;
        };
        if node.has_type(b"Page") || node.get(b"Kids").is_err() {
            out.push(id);
            budget.pages(out.len())?;
            continue;
        }
        let kids = node
            .get(b"Kids")
            .and_then(|k| match k {
                Object::Reference(r) => document.get_object(*r).and_then(Object::as_array),
                other => other.as_array(),
            })
            .map_err(|e| LoadError::Damaged(format!("page tree node {} {}: {e}", id.0, id.1)))?;
        budget.charge_objects(0)?;
        // Reversed, so that the first kid is walked first.
        for kid in kids.iter().rev() {
            if let Ok(r) = kid.as_reference() {
                stack.push((r, depth + 1));
            }
        }
    }
    Ok(out)
}

/// The decompressed content of `page` under the budget (its bytes and values charged to the
/// document), after charging what lopdf's text extraction decodes for the page's fonts: each
/// font name's ToUnicode map, once per name that uses it (lopdf decodes it once per name).
pub fn page_content(document: &Document, page: ObjectId) -> Result<Vec<u8>, LoadError> {
    let budget = crate::current();
    budget.check()?;
    let (allowance, _) = budget.stream_allowance();
    let content = document
        .get_page_content_with_limit(page, allowance as usize)
        .map_err(|e| match e {
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
                LoadError::Budget(budget.stream_over())
            }
            other => LoadError::Damaged(crate::excerpt(&other.to_string(), 300)),
        })?;
    budget.charge_bytes(content.len() as u64)?;
    budget.charge_values(crate::scan::values(&content))?;
    Ok(content)
}

/// Inflates a font's ToUnicode map (`stream`) within the stream allowance and charges it: its
/// bytes, its tokens, and the entries its `bfrange`s stand for (what lopdf's reader builds).
/// `Ok(None)` when the stream does not inflate for another reason than the budget (the font is
/// then read without it). Call once per distinct map: a reader caches what it builds.
pub fn charge_to_unicode(stream: &lopdf::Stream) -> Result<Option<Vec<u8>>, LoadError> {
    let budget = crate::current();
    budget.check()?;
    let (allowance, _) = budget.stream_allowance();
    let map = match stream.get_plain_content_with_limit(allowance as usize) {
        Ok(m) => m,
        Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. })) => {
            return Err(budget.stream_over().into());
        }
        Err(_) => return Ok(None),
    };
    budget.charge_bytes(map.len() as u64)?;
    let entries = crate::scan::cmap_range_entries(&map);
    budget.charge_values(crate::scan::values(&map).saturating_add(entries))?;
    Ok(Some(map))
}
