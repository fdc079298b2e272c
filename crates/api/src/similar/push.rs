//! The push of similar cases (类案推送 that pushes): a follower of the log that, after each filing of
//! a case is docketed, reads the documents of the case's docketed filings, finds the most similar
//! indexed judgments and records `similar_cases_pushed` — unless the case opted out, or the push
//! would repeat the case's previous one.
//!
//! Where it stands in the log is kept in a small file beside the index (`similar-push.seq`): a
//! restarted hub resumes there, and a docketing answered twice (a crash between the push and the
//! file) is recorded once, because the append refuses a push older than the case's latest.
//! With PostgreSQL as the log of record every hub follows the log; the same check under the head
//! lock records each push once.

use super::{SimilarIndex, filing_text, search_index};
use crate::identity::Identity;
use ecenter_domain::similar::push::{
    NOTHING_NEW_READ, PushedCase, SimilarCasesPushed, same_filings,
};
use ecenter_domain::{CaseNumber, DocumentStatus, Event, Filing, FilingState};
use ecenter_similar::civil::CivilFacts;
use ecenter_similar::index::{Filter, Hit, MAX_QUERY_CHARS};
use ecenter_store::{EventStore, FilingFilter, ReadView, StoredEntry};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::watch;
use tonic::Status;

/// Log entries read at a time.
const PAGE: usize = 500;

/// Similar cases in a push.
pub const PUSHED_HITS: usize = 10;

/// The follower that pushes similar cases to the judges of cases as they move.
pub struct CasePusher<S> {
    store: Arc<S>,
    index: Arc<SimilarIndex>,
    parsing: Arc<crate::parsing::ParsePool>,
    /// Where the follower's position is kept.
    cursor: PathBuf,
    /// Whose share of the parse pool the case's documents are read under.
    reader: Identity,
}

/// What one docketing led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pushed {
    /// Recorded at this entry.
    Recorded(u64),
    /// Not recorded, and why (for the hub's own log lines).
    Skipped(&'static str),
}

impl<S: EventStore> CasePusher<S> {
    /// A follower keeping its position in `cursor`.
    pub fn new(
        store: Arc<S>,
        index: Arc<SimilarIndex>,
        parsing: Arc<crate::parsing::ParsePool>,
        cursor: PathBuf,
    ) -> Self {
        CasePusher {
            store,
            index,
            parsing,
            cursor,
            reader: Identity::parse("urn:ecenter:court:similar-push")
                .expect("a well-formed identity"),
        }
    }

    /// Where to start: the saved position, or — on a hub's first start with pushes — the head, so
    /// filings docketed before are not pushed all at once.
    fn start(&self) -> u64 {
        match std::fs::read_to_string(&self.cursor) {
            Ok(text) => match text.trim().parse::<u64>() {
                // A position past the head (a log set aside, a restored backup) would skip the
                // entries that take those numbers next.
                Ok(seq) if seq > self.store.head().seq => {
                    tracing::warn!(file = %self.cursor.display(), seq, "the similar-case push position is past the head of the log; starting at the head");
                }
                Ok(seq) => return seq,
                Err(_) => {
                    tracing::warn!(file = %self.cursor.display(), "the similar-case push position is unreadable; starting at the head of the log");
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                tracing::warn!(file = %self.cursor.display(), error = %e, "the similar-case push position cannot be read; starting at the head of the log");
            }
        }
        let head = self.store.head().seq;
        self.save(head);
        head
    }

    /// Keeps the position (written aside and renamed, so a crash leaves the old or the new one).
    fn save(&self, seq: u64) {
        let aside = self.cursor.with_extension("seq.new");
        let written = std::fs::File::create(&aside)
            .and_then(|mut f| {
                std::io::Write::write_all(&mut f, format!("{seq}\n").as_bytes())?;
                f.sync_all()
            })
            .and_then(|()| std::fs::rename(&aside, &self.cursor));
        if let Err(e) = written {
            tracing::warn!(file = %self.cursor.display(), error = %e, "the similar-case push position could not be saved; a restart answers these docketings again (each is recorded once)");
        }
    }

    /// Follows the log until `stop` turns true.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut at = self.start();
        let mut heads = self.store.subscribe();
        loop {
            if *stop.borrow() {
                return;
            }
            let entries = match self.store.entries_after(at, PAGE) {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::error!(error = %e, "the similar-case push cannot read the log; retrying in 10 s");
                    tokio::select! {
                        () = tokio::time::sleep(std::time::Duration::from_secs(10)) => continue,
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
            };
            let Some(last) = entries.last().map(|e| e.seq) else {
                heads.borrow_and_update();
                if self.store.head().seq > at {
                    continue;
                }
                tokio::select! {
                    changed = heads.changed() => if changed.is_err() { return },
                    _ = stop.wait_for(|s| *s) => return,
                }
                continue;
            };
            for entry in &entries {
                if *stop.borrow() {
                    return;
                }
                if self.answer(entry, &mut stop).await {
                    // Saved after each docketing answered: a restart does not answer it again.
                    self.save(entry.seq);
                }
            }
            at = last;
            self.save(at);
        }
    }

    /// Pushes for the case of a docketing entry (true), passing over other entries (false). A
    /// busy hub (parse memory, a deadline, the log refusing writes for a while) is waited out and
    /// tried again, up to [`ATTEMPTS`] times; only then is the docketing given up, and said so.
    async fn answer(&self, entry: &StoredEntry, stop: &mut watch::Receiver<bool>) -> bool {
        let Event::FilingDocketed {
            filing_id,
            case_number,
            ..
        } = &entry.event
        else {
            return false;
        };
        let mut wait = std::time::Duration::from_secs(1);
        for attempt in 1..=ATTEMPTS {
            match self.push(entry, filing_id, case_number).await {
                Ok(Pushed::Recorded(seq)) => {
                    tracing::info!(case = %case_number, filing_id, seq, "similar cases pushed");
                    return true;
                }
                Ok(Pushed::Skipped(why)) => {
                    tracing::debug!(case = %case_number, filing_id, why, "no similar-case push");
                    return true;
                }
                Err(e) if attempt < ATTEMPTS && retryable(&e) => {
                    tracing::info!(case = %case_number, filing_id, error = %e.message(), attempt, "similar cases not pushed yet; trying again");
                    tokio::select! {
                        () = tokio::time::sleep(wait) => wait *= 2,
                        _ = stop.wait_for(|s| *s) => return false,
                    }
                }
                Err(e) => {
                    tracing::warn!(case = %case_number, filing_id, error = %e.message(), "similar cases could not be pushed for this docketing");
                    return true;
                }
            }
        }
        true
    }

    /// Computes and records the push answering the docketing `entry` of `filing_id`.
    pub async fn push(
        &self,
        entry: &StoredEntry,
        filing_id: &str,
        case_number: &CaseNumber,
    ) -> Result<Pushed, Status> {
        let key = case_number.normalized();
        let known = self
            .store
            .case_pushes(&key)
            .map_err(crate::error::store_status)?;
        if let Some(why) = known.as_ref().and_then(|k| stale(k, entry.seq)) {
            return Ok(Pushed::Skipped(why));
        }
        let department = self
            .store
            .filing(filing_id)
            .map_err(crate::error::store_status)?
            .map(|f| f.department)
            .unwrap_or_default();
        let Some((text, filings)) = self.case_text(&key, filing_id).await? else {
            return Ok(Pushed::Skipped("no docketed document of the case has text"));
        };
        let index_seq = self
            .index
            .index()
            .applied_seq()
            .map_err(crate::error::similar_status)?;
        let query_sha256 =
            hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()));
        // Checked again under the writer (`record`); here it spares the search.
        if known
            .as_ref()
            .and_then(|k| k.latest.as_ref())
            .is_some_and(|l| same_filings(&l.push.filings, &filings))
        {
            return Ok(Pushed::Skipped(NOTHING_NEW_READ));
        }
        let amount = u64::from(CivilFacts::of(&text).principal);
        let found = search_index(
            self.index.clone(),
            (text, None, None),
            Filter::default(),
            PUSHED_HITS,
        )
        .await?;
        if found.0.is_empty() {
            return Ok(Pushed::Skipped("no indexed case is similar"));
        }
        let (hits, query_charges, query_statutes) = found;
        let index = self.index.clone();
        let hits = tokio::task::spawn_blocking(move || pushed_cases(&index, hits, amount))
            .await
            .map_err(|_| crate::error::ApiError::internal("the similar-case push stopped"))?;
        let push = SimilarCasesPushed {
            case_number: case_number.clone(),
            filing_id: filing_id.to_string(),
            department,
            docketed_seq: entry.seq,
            docketed_at: entry.recorded_at,
            filings,
            query_sha256,
            query_charges,
            query_statutes,
            index_seq,
            hits,
        };
        self.record(key, push).await
    }

    /// Appends the push unless, under the writer, the case opted out, has a newer push, or the
    /// push adds nothing to its latest (the same text read, or the same cases).
    async fn record(&self, key: String, push: SimilarCasesPushed) -> Result<Pushed, Status> {
        let (appended, skipped) = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                if let Some(known) = view.case_pushes(&key)? {
                    let why = stale(&known, push.docketed_seq).or_else(|| {
                        known
                            .latest
                            .as_ref()
                            .and_then(|l| push.adds_nothing_to(&l.push))
                    });
                    if let Some(why) = why {
                        return Ok((Vec::new(), Some(why)));
                    }
                }
                Ok((vec![Event::SimilarCasesPushed(push)], None))
            }))
            .await
            .map_err(crate::error::store_status)?;
        Ok(match (skipped, appended.last()) {
            (Some(why), _) => Pushed::Skipped(why),
            (None, None) => Pushed::Skipped("nothing appended"),
            (None, Some(a)) => Pushed::Recorded(a.seq),
        })
    }

    /// The text of the case's docketed filings — the one just docketed first, so the material that
    /// moved the case is always read, then the others oldest first — their accepted documents only,
    /// cut to a query's length; `None` when none has text.
    async fn case_text(
        &self,
        key: &str,
        docketed: &str,
    ) -> Result<Option<(String, Vec<String>)>, Status> {
        let mut filings = self.docketed_filings(key)?;
        filings.sort_by_key(|f| (f.filing_id != docketed, f.received.seq));
        let mut parts = Vec::new();
        let mut read = Vec::new();
        let mut chars = 0;
        for mut filing in filings {
            if chars > MAX_QUERY_CHARS {
                break;
            }
            filing
                .documents
                .retain(|d| d.status == DocumentStatus::Accepted);
            let parse = (&self.parsing, &self.reader, None);
            match filing_text(&*self.store, &filing, parse).await {
                Ok((text, _)) => {
                    chars += text.chars().count() + 1;
                    parts.push(text);
                    read.push(filing.filing_id.clone());
                }
                // A filing with no text (scans) adds nothing; a damaged document (DATA_LOSS,
                // recorded by the read) leaves its filing out rather than every later push.
                Err(s) if s.code() == tonic::Code::FailedPrecondition => {}
                Err(s) if s.code() == tonic::Code::DataLoss => {
                    tracing::warn!(filing_id = %filing.filing_id, error = %s.message(), "a document of the case is damaged; its filing is left out of the push");
                }
                Err(s) => return Err(s),
            }
        }
        if parts.is_empty() {
            return Ok(None);
        }
        let text: String = parts.join("\n").chars().take(MAX_QUERY_CHARS).collect();
        Ok(Some((text, read)))
    }

    /// The case's docketed filings in the order they were received.
    fn docketed_filings(&self, key: &str) -> Result<Vec<Filing>, Status> {
        let filter = FilingFilter {
            case_number: Some(key.to_string()),
            state: Some(FilingState::Docketed),
            ..FilingFilter::default()
        };
        let mut filings = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = self
                .store
                .list_filings(&filter, after.as_deref(), 200)
                .map_err(crate::error::store_status)?;
            filings.extend(page.filings);
            match page.next_after {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        Ok(filings)
    }
}

/// Tries of one docketing before it is given up.
const ATTEMPTS: u32 = 6;

/// A refusal that passes: the hub was busy or stopping for a moment.
fn retryable(e: &Status) -> bool {
    matches!(
        e.code(),
        tonic::Code::ResourceExhausted
            | tonic::Code::DeadlineExceeded
            | tonic::Code::Unavailable
            | tonic::Code::Internal
    )
}

/// Why a docketing at `seq` is not pushed for a case already known, if it is not.
fn stale(known: &ecenter_domain::similar::push::CasePushes, seq: u64) -> Option<&'static str> {
    if known.opted_out.is_some() {
        return Some("the case opted out of pushes");
    }
    if seq < known.last_set_seq {
        return Some("docketed before the case's pushes were last stopped or resumed");
    }
    known
        .latest
        .as_ref()
        .is_some_and(|l| l.push.docketed_seq >= seq)
        .then_some("a push answered this docketing or a later one")
}

/// The hits as pushed, each with the reasons a judge reads; `amount` is the case's (0: none
/// named). Reads each judgment's facts for its amount: run off the async threads.
fn pushed_cases(index: &SimilarIndex, hits: Vec<Hit>, amount: u64) -> Vec<PushedCase> {
    hits.into_iter()
        .map(|h| {
            let theirs = match index.index().get(&h.id) {
                Ok(Some(c)) if amount > 0 => u64::from(CivilFacts::of(&c.text).principal),
                _ => 0,
            };
            let near = theirs > 0 && theirs <= amount * 2 && amount <= theirs * 2;
            pushed_case(h, near.then_some((amount, theirs)))
        })
        .collect()
}

/// A hit as pushed, with the reasons a judge reads.
fn pushed_case(h: Hit, amounts_yuan: Option<(u64, u64)>) -> PushedCase {
    let mut case = PushedCase {
        case_id: h.id,
        case_number: h.case_number,
        court: h.court,
        year: h.year,
        judgment_date: h.date,
        score_milli: (f64::from(h.score) * 1000.0).round().max(0.0) as u64,
        shared_charges: h.shared_charges,
        shared_statutes: h.shared_statutes,
        shared_elements: h.shared_elements,
        shared_terms: h.shared_terms.into_iter().map(|t| t.term).collect(),
        amounts_yuan,
        reasons: Vec::new(),
    };
    case.explain();
    case
}
