//! How much work one request may make the hub do on bytes it did not write.
//!
//! A lawyer's PDF, OFD or DOCX is parsed to seal it, verify it or read its text. Whatever its
//! bytes, that parse must end within a bounded time and memory. A [`Budget`] carries the
//! [`Limits`] from the configuration (`[parsing]`), the moment the answer is due, and a flag the
//! request's side raises when its caller has gone; parsers charge it as they go and stop with
//! [`Exceeded`], which names the setting that was hit, at the first charge over a limit.
//!
//! The budget of the parse in progress is *ambient*: [`scope`] installs it on the parsing thread
//! and [`current`] finds it, so that code several calls deep (a PDF loaded to check a revision)
//! is bounded without threading a parameter through every signature, as a tracing span is found.
//! Outside a scope, [`current`] gives the default limits with no deadline.
//!
//! [`pdf::load`] is lopdf's loader under a budget: objects counted (object-stream members before
//! lopdf unpacks them), streams inflated within the per-stream and per-document byte limits, and
//! the page tree walked once with cycles, depth and page count checked.
#![warn(missing_docs)]
#![forbid(unsafe_code)]

pub mod pdf;
mod read;
pub mod scan;
pub mod zip;

pub use read::BoundedRead;

use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The limits of one parse, from the configuration's `[parsing]` table.
///
/// Defaults are far above what a court's documents need (a 300-page judgment has a few thousand
/// objects and content streams of tens of kilobytes) and far below what hurts the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Bytes one stream or package part may inflate to (PDF stream, OFD or DOCX XML part).
    pub stream_bytes: u64,
    /// Bytes all of a document's streams and parts may inflate to together.
    pub document_bytes: u64,
    /// Indirect objects in one PDF (object-stream members included), or parts in one package.
    pub objects: u64,
    /// Values (numbers, names, strings, brackets) parsed from one PDF: its objects, object
    /// streams, and the page contents and font maps text extraction reads. Each becomes about a
    /// hundred bytes in memory, so this bounds a parse's memory where bytes alone cannot.
    pub values: u64,
    /// Nesting depth: levels of a PDF page tree, elements in an XML part.
    pub depth: u32,
    /// Pages in one document.
    pub pages: u32,
    /// Seconds one parse may take, whatever deadline its caller gave (the earlier one counts).
    pub seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            stream_bytes: 16 * 1024 * 1024,
            document_bytes: 64 * 1024 * 1024,
            objects: 200_000,
            values: 1_000_000,
            depth: 256,
            pages: 5_000,
            seconds: 30,
        }
    }
}

/// Which limit a document went beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budgeted {
    /// [`Limits::stream_bytes`].
    StreamBytes,
    /// [`Limits::document_bytes`].
    DocumentBytes,
    /// [`Limits::objects`].
    Objects,
    /// [`Limits::values`].
    Values,
    /// [`Limits::depth`].
    Depth,
    /// [`Limits::pages`].
    Pages,
}

impl Budgeted {
    /// The setting in the configuration's `[parsing]` table.
    pub fn setting(self) -> &'static str {
        match self {
            Budgeted::StreamBytes => "stream_bytes",
            Budgeted::DocumentBytes => "document_bytes",
            Budgeted::Objects => "objects",
            Budgeted::Values => "values",
            Budgeted::Depth => "depth",
            Budgeted::Pages => "pages",
        }
    }

    fn what(self) -> &'static str {
        match self {
            Budgeted::StreamBytes => "bytes inflated from one stream or part",
            Budgeted::DocumentBytes => "bytes inflated from the whole document",
            Budgeted::Objects => "objects",
            Budgeted::Values => "values (numbers, names, strings)",
            Budgeted::Depth => "levels of nesting",
            Budgeted::Pages => "pages",
        }
    }
}

/// Why a parse stopped before its end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Exceeded {
    /// The document needs more than a limit allows: the caller's to fix (or the operator's, by
    /// raising the setting).
    #[error(
        "the document has more than {limit} {} ([parsing] {} = {limit}): the hub does not parse it; send a simpler document or ask the court to raise the limit",
        .budget.what(), .budget.setting()
    )]
    Limit {
        /// The limit that was hit.
        budget: Budgeted,
        /// Its value.
        limit: u64,
    },
    /// The caller's deadline, or `[parsing] seconds`, passed.
    #[error(
        "parsing the document took longer than allowed ([parsing] seconds = {0}, or the caller's deadline)"
    )]
    DeadlinePassed(u64),
    /// The caller went away; nobody waits for the answer.
    #[error("the caller cancelled the request")]
    Cancelled,
}

/// One parse's allowance, charged as the parser goes. Not shared between threads: the request's
/// side keeps only [`Budget::canceller`].
#[derive(Debug)]
pub struct Budget {
    limits: Limits,
    deadline: Instant,
    cancelled: Arc<AtomicBool>,
    inflated: Cell<u64>,
    objects: Cell<u64>,
    values: Cell<u64>,
    noise: RefCell<Noise>,
}

/// What a library reported while parsing: counted, the first kept as an excerpt.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Noise {
    /// Messages reported.
    pub count: u64,
    /// The first of them, cut to [`EXCERPT_CHARS`].
    pub first: Option<String>,
}

impl Budget {
    /// A budget of `limits`, due `limits.seconds` from now.
    pub fn new(limits: Limits) -> Budget {
        let deadline = Instant::now() + Duration::from_secs(limits.seconds);
        Budget {
            limits,
            deadline,
            cancelled: Arc::new(AtomicBool::new(false)),
            inflated: Cell::new(0),
            objects: Cell::new(0),
            values: Cell::new(0),
            noise: RefCell::default(),
        }
    }

    /// The same budget due at `deadline` if that is earlier (a caller's `grpc-timeout`).
    pub fn due_by(mut self, deadline: Option<Instant>) -> Budget {
        if let Some(d) = deadline {
            self.deadline = self.deadline.min(d);
        }
        self
    }

    /// The flag that stops this parse at its next check: raise it when the caller has gone.
    pub fn canceller(&self) -> Arc<AtomicBool> {
        self.cancelled.clone()
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Fails once the deadline passed or the caller went away.
    pub fn check(&self) -> Result<(), Exceeded> {
        if self.cancelled.load(Ordering::Relaxed) {
            return Err(Exceeded::Cancelled);
        }
        if Instant::now() >= self.deadline {
            return Err(Exceeded::DeadlinePassed(self.limits.seconds));
        }
        Ok(())
    }

    fn over(budget: Budgeted, limit: u64) -> Exceeded {
        Exceeded::Limit { budget, limit }
    }

    /// Charges `n` inflated bytes to the document (one stream's worth, already within
    /// [`Budget::stream_allowance`]).
    pub fn charge_bytes(&self, n: u64) -> Result<(), Exceeded> {
        let total = self.inflated.get().saturating_add(n);
        self.inflated.set(total);
        if total > self.limits.document_bytes {
            return Err(Self::over(
                Budgeted::DocumentBytes,
                self.limits.document_bytes,
            ));
        }
        self.check()
    }

    /// Charges `n` objects (or package parts).
    pub fn charge_objects(&self, n: u64) -> Result<(), Exceeded> {
        let total = self.objects.get().saturating_add(n);
        self.objects.set(total);
        if total > self.limits.objects {
            return Err(Self::over(Budgeted::Objects, self.limits.objects));
        }
        Ok(())
    }

    /// Charges `n` parsed values (see [`Limits::values`]).
    pub fn charge_values(&self, n: u64) -> Result<(), Exceeded> {
        let total = self.values.get().saturating_add(n);
        self.values.set(total);
        if total > self.limits.values {
            return Err(Self::over(Budgeted::Values, self.limits.values));
        }
        self.check()
    }

    /// Fails if `depth` levels of nesting are more than allowed.
    pub fn depth(&self, depth: usize) -> Result<(), Exceeded> {
        if depth as u64 > u64::from(self.limits.depth) {
            return Err(Self::over(Budgeted::Depth, self.limits.depth.into()));
        }
        Ok(())
    }

    /// Fails if a document of `pages` pages is more than allowed.
    pub fn pages(&self, pages: usize) -> Result<(), Exceeded> {
        if pages as u64 > u64::from(self.limits.pages) {
            return Err(Self::over(Budgeted::Pages, self.limits.pages.into()));
        }
        Ok(())
    }

    /// The most one stream may inflate to now: the per-stream limit, or what is left of the
    /// document's, whichever is less; and which limit that is.
    pub fn stream_allowance(&self) -> (u64, Budgeted) {
        let left = self
            .limits
            .document_bytes
            .saturating_sub(self.inflated.get());
        if left < self.limits.stream_bytes {
            (left, Budgeted::DocumentBytes)
        } else {
            (self.limits.stream_bytes, Budgeted::StreamBytes)
        }
    }

    /// The error for a stream that would inflate past [`Budget::stream_allowance`].
    pub fn stream_over(&self) -> Exceeded {
        match self.stream_allowance().1 {
            Budgeted::DocumentBytes => {
                Self::over(Budgeted::DocumentBytes, self.limits.document_bytes)
            }
            _ => Self::over(Budgeted::StreamBytes, self.limits.stream_bytes),
        }
    }

    /// Bytes inflated so far.
    pub fn inflated(&self) -> u64 {
        self.inflated.get()
    }

    /// Values parsed so far.
    pub fn values(&self) -> u64 {
        self.values.get()
    }

    /// Counts one message a parsing library reported (lopdf logs each damaged object).
    pub fn note(&self, message: &str) {
        let mut noise = self.noise.borrow_mut();
        noise.count += 1;
        if noise.first.is_none() {
            noise.first = Some(excerpt(message, EXCERPT_CHARS));
        }
    }

    /// What libraries reported during this parse.
    pub fn noise(&self) -> Noise {
        self.noise.borrow().clone()
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<Budget>>> = const { RefCell::new(None) };
}

/// Runs `f` with `budget` as the ambient budget of this thread, then restores the previous one.
pub fn scope<R>(budget: Rc<Budget>, f: impl FnOnce() -> R) -> R {
    let previous = CURRENT.with(|c| c.replace(Some(budget)));
    struct Restore(Option<Rc<Budget>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = previous);
        }
    }
    let _restore = Restore(previous);
    f()
}

/// The ambient budget, or a fresh default one outside any [`scope`].
pub fn current() -> Rc<Budget> {
    CURRENT
        .with(|c| c.borrow().clone())
        .unwrap_or_else(|| Rc::new(Budget::new(Limits::default())))
}

/// Counts a library's message against the ambient budget; false outside any [`scope`] (the
/// message is then the caller's to log).
pub fn note_library_message(message: &str) -> bool {
    CURRENT.with(|c| match &*c.borrow() {
        Some(b) => {
            b.note(message);
            true
        }
        None => false,
    })
}

/// Whether this thread is parsing under a [`scope`].
pub fn in_scope() -> bool {
    CURRENT.with(|c| c.borrow().is_some())
}

/// The most characters of a document's own text that an error message or log line copies.
pub const EXCERPT_CHARS: usize = 120;

/// `text` cut to about `max` characters, saying how much was left out: what an error message
/// may quote of its input (a 100,000-character element name must not become the message).
pub fn excerpt(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_string();
    }
    let head: String = text.chars().take(max).collect();
    format!("{head}… ({} more characters)", count - max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_charged_and_named_by_their_setting() {
        let b = Budget::new(Limits {
            document_bytes: 100,
            objects: 3,
            ..Limits::default()
        });
        assert!(b.charge_bytes(60).is_ok());
        assert_eq!(b.stream_allowance(), (40, Budgeted::DocumentBytes));
        let e = b.charge_bytes(41).unwrap_err();
        assert!(
            e.to_string().contains("[parsing] document_bytes = 100"),
            "{e}"
        );
        assert!(b.charge_objects(3).is_ok());
        assert!(matches!(
            b.charge_objects(1),
            Err(Exceeded::Limit {
                budget: Budgeted::Objects,
                limit: 3
            })
        ));
    }

    #[test]
    fn a_cancelled_or_late_parse_stops_at_its_next_check() {
        let b = Budget::new(Limits::default());
        assert!(b.check().is_ok());
        b.canceller().store(true, Ordering::Relaxed);
        assert_eq!(b.check(), Err(Exceeded::Cancelled));
        let late = Budget::new(Limits::default()).due_by(Some(Instant::now()));
        assert!(matches!(late.check(), Err(Exceeded::DeadlinePassed(30))));
    }

    #[test]
    fn the_ambient_budget_is_the_innermost_scope_and_library_noise_is_counted_there() {
        assert!(!note_library_message("outside"));
        let outer = Rc::new(Budget::new(Limits::default()));
        scope(outer.clone(), || {
            assert!(note_library_message("Object load error at offset 9"));
            let inner = Rc::new(Budget::new(Limits::default()));
            scope(inner.clone(), || assert!(note_library_message("inner")));
            assert_eq!(inner.noise().count, 1);
            assert!(Rc::ptr_eq(&current(), &outer));
        });
        assert_eq!(outer.noise().count, 1);
        assert!(!in_scope());
    }

    #[test]
    fn excerpts_keep_the_start_and_say_how_much_is_left_out() {
        assert_eq!(excerpt("短", 5), "短");
        let long = "判".repeat(100_000);
        let e = excerpt(&long, 10);
        assert_eq!(e, format!("{}… (99990 more characters)", "判".repeat(10)));
    }
}
