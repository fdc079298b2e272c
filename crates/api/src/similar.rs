//! `SimilarCaseService`: similar-case recommendation (类案推送) over the hub's case index.
//!
//! The index is a projection of the event log: `IndexCase` and `RemoveCase` append `CaseIndexed` /
//! `CaseRemoved` and answer once the index has caught up with their entry. The index records the
//! last log position it applied, so a restarted hub resumes there and a deleted index is rebuilt
//! from the log alone.

use crate::authz::{Operation, authorize};
use crate::error::{ApiError, domain_status, invalid, similar_status, store_status};
use crate::identity::Identity;
use ecenter_domain::similar::{CaseSubmission, FIRST_YEAR, LAST_YEAR, procedure_names};
use ecenter_domain::{Event, IndexedCase, Procedure};
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::similar_case_service_server::SimilarCaseService;
use ecenter_similar::index::{
    CaseDoc, CaseIndex, Filter, MAX_HITS, MAX_QUERY_CHARS, SearchRequest, Weights,
};
use ecenter_store::{EventStore, ReadView};
use std::path::Path;
use std::sync::Arc;
use tonic::{Request, Response, Status};

mod check;
mod push;
mod pushed;
pub use check::SimilarConfig;
pub use push::{CasePusher, PUSHED_HITS, Pushed};

/// Log entries read per step while the index catches up.
const CATCH_UP_PAGE: usize = 1_000;

/// Segments the index may have at start-up before it is merged into one.
pub const MAX_SEGMENTS_AT_START: usize = 8;

/// Hits returned when the caller does not say.
const DEFAULT_HITS: u32 = 10;

/// The hub's case index and where in the log it stands.
pub struct SimilarIndex {
    index: CaseIndex,
    /// Held while the index applies log entries, so they are applied once and in order.
    applying: tokio::sync::Mutex<()>,
}

fn case_doc(c: &IndexedCase) -> CaseDoc {
    CaseDoc {
        id: c.case_id.clone(),
        case_number: c.case_number.clone().unwrap_or_default(),
        court: c.court.clone(),
        year: c.year,
        date: c.judgment_date,
        procedure: c
            .procedure
            .map(|p| p.as_str().to_string())
            .unwrap_or_default(),
        charges: c.charges.clone(),
        statutes: c.statutes.clone(),
        text: if c.facts.trim().is_empty() {
            c.full_text.clone()
        } else {
            c.facts.clone()
        },
        holding: c.holding.clone(),
        full_text: c.full_text.clone(),
    }
}

impl SimilarIndex {
    /// Opens (or creates) the index in `dir`.
    ///
    /// An index another ecenter wrote (another format) is moved aside, not deleted — it may hold
    /// judgments imported outside the log — and the index is rebuilt from the log, which holds
    /// every case indexed through the hub.
    pub fn open(dir: &Path) -> Result<SimilarIndex, ecenter_similar::index::IndexError> {
        let index = match CaseIndex::open(Some(dir), &[]) {
            Err(ecenter_similar::index::IndexError::Outdated { found, .. }) => {
                let aside = dir.with_extension(format!(
                    "format-{}-{}",
                    found.split_whitespace().next().unwrap_or("none"),
                    chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
                ));
                tracing::warn!(
                    dir = %dir.display(),
                    moved_to = %aside.display(),
                    found,
                    "the similar-case index was written in another format; moved aside, rebuilding it from the log"
                );
                std::fs::rename(dir, &aside).map_err(|source| {
                    ecenter_similar::index::IndexError::File {
                        path: dir.to_path_buf(),
                        source,
                    }
                })?;
                CaseIndex::open(Some(dir), &[])?
            }
            other => other?,
        };
        Ok(SimilarIndex {
            index,
            applying: tokio::sync::Mutex::new(()),
        })
    }

    /// Applies every durable log entry after the index's position, up to `until` (or the head).
    pub async fn catch_up<S: EventStore>(
        self: &Arc<Self>,
        store: &Arc<S>,
        until: Option<u64>,
    ) -> Result<(), Status> {
        let _guard = self.applying.lock().await;
        let this = self.clone();
        let store = store.clone();
        tokio::task::spawn_blocking(move || this.apply_entries(&*store, until))
            .await
            .map_err(|_| ApiError::internal("the similar-case index stopped"))?
    }

    fn apply_entries<S: EventStore>(&self, store: &S, until: Option<u64>) -> Result<(), Status> {
        let start = self.index.applied_seq().map_err(similar_status)?;
        let head = until.unwrap_or_else(|| store.head().seq);
        let (mut at, mut committed) = (start, start);
        let mut added: Vec<CaseDoc> = Vec::new();
        let mut removed: Vec<String> = Vec::new();
        while at < head {
            let entries = store
                .entries_after(at, CATCH_UP_PAGE)
                .map_err(store_status)?;
            let Some(last) = entries.last().map(|e| e.seq) else {
                break;
            };
            for e in &entries {
                match &e.event {
                    Event::CaseIndexed(c) => {
                        removed.retain(|id| id != &c.case_id);
                        added.retain(|d| d.id != c.case_id);
                        added.push(case_doc(c));
                    }
                    Event::CaseRemoved { case_id, .. } => {
                        added.retain(|d| &d.id != case_id);
                        removed.push(case_id.clone());
                    }
                    _ => {}
                }
            }
            at = last;
            // Commit in batches, each recording how far the log was applied.
            if added.len() + removed.len() >= CATCH_UP_PAGE {
                self.index
                    .apply(&added, &removed, Some(at))
                    .map_err(similar_status)?;
                (added, removed, committed) = (Vec::new(), Vec::new(), at);
            }
        }
        if at > committed {
            self.index
                .apply(&added, &removed, Some(at))
                .map_err(similar_status)?;
        }
        Ok(())
    }

    /// Merges the index into one segment when indexing case by case has left it in more than
    /// [`MAX_SEGMENTS_AT_START`]: every query term costs a lookup per segment.
    pub async fn compact(self: &Arc<Self>) -> Result<(), Status> {
        if self.index.segments() <= MAX_SEGMENTS_AT_START {
            return Ok(());
        }
        let _guard = self.applying.lock().await;
        let this = self.clone();
        let merged = tokio::task::spawn_blocking(move || this.index.optimize())
            .await
            .map_err(|_| ApiError::internal("the similar-case index stopped"))?
            .map_err(similar_status)?;
        tracing::info!(
            segments = merged,
            "similar-case index merged into one segment"
        );
        Ok(())
    }

    /// The underlying index.
    pub fn index(&self) -> &CaseIndex {
        &self.index
    }
}

/// The service, generic over the storage backend.
pub struct SimilarApi<S> {
    store: Arc<S>,
    index: Arc<SimilarIndex>,
    parsing: Arc<crate::parsing::ParsePool>,
    /// The court's band for CheckOutcome's warning, percentiles low and high.
    band: (u8, u8),
}

impl<S> SimilarApi<S> {
    /// Builds the service over the hub's index.
    pub fn new(
        store: Arc<S>,
        index: Arc<SimilarIndex>,
        parsing: Arc<crate::parsing::ParsePool>,
    ) -> Self {
        SimilarApi {
            store,
            index,
            parsing,
            band: SimilarConfig::default().band(),
        }
    }

    /// With the court's settings (`[similar]`), checked by [`SimilarConfig::check`].
    #[must_use]
    pub fn with_config(mut self, config: &SimilarConfig) -> Self {
        self.band = config.band();
        self
    }
}

fn procedure_from_proto(value: i32, field: &str) -> Result<Option<Procedure>, Status> {
    Ok(match pb::Procedure::try_from(value) {
        Ok(pb::Procedure::Unspecified) => None,
        Ok(pb::Procedure::FirstInstance) => Some(Procedure::FirstInstance),
        Ok(pb::Procedure::SecondInstance) => Some(Procedure::SecondInstance),
        Ok(pb::Procedure::Retrial) => Some(Procedure::Retrial),
        Ok(pb::Procedure::Enforcement) => Some(Procedure::Enforcement),
        Ok(pb::Procedure::Other) => Some(Procedure::Other),
        Err(_) => {
            return Err(invalid(
                field,
                format!(
                    "unknown procedure value {value}; use one of {}",
                    procedure_names()
                ),
            ));
        }
    })
}

fn procedure_to_proto(name: &str) -> pb::Procedure {
    match Procedure::from_name(name) {
        Some(Procedure::FirstInstance) => pb::Procedure::FirstInstance,
        Some(Procedure::SecondInstance) => pb::Procedure::SecondInstance,
        Some(Procedure::Retrial) => pb::Procedure::Retrial,
        Some(Procedure::Enforcement) => pb::Procedure::Enforcement,
        Some(Procedure::Other) => pb::Procedure::Other,
        None => pb::Procedure::Unspecified,
    }
}

fn filter_from_proto(f: Option<pb::SimilarFilter>) -> Result<Filter, Status> {
    let f = f.unwrap_or_default();
    let year = |y: u32, field: &str| match y {
        0 => Ok(None),
        y if (FIRST_YEAR..=LAST_YEAR).contains(&y) => Ok(Some(y)),
        y => Err(invalid(
            field,
            format!("{y} is not a judgment year ({FIRST_YEAR}–{LAST_YEAR}); 0 means no bound"),
        )),
    };
    let mut procedures = Vec::new();
    for (i, p) in f.procedures.iter().enumerate() {
        let field = format!("filter.procedures[{i}]");
        match procedure_from_proto(*p, &field)? {
            Some(p) => procedures.push(p.as_str().to_string()),
            None => {
                return Err(invalid(
                    &field,
                    format!(
                        "PROCEDURE_UNSPECIFIED is not a filter; use one of {}",
                        procedure_names()
                    ),
                ));
            }
        }
    }
    let clean = |values: Vec<String>, field: &str| -> Result<Vec<String>, Status> {
        let values: Vec<String> = values.into_iter().map(|v| v.trim().to_string()).collect();
        if values.iter().any(String::is_empty) {
            return Err(invalid(field, "empty value"));
        }
        if values.len() > 50 {
            return Err(invalid(field, "at most 50 values"));
        }
        Ok(values)
    };
    Ok(Filter {
        courts: clean(f.courts, "filter.courts")?,
        year_from: year(f.year_from, "filter.year_from")?,
        year_to: year(f.year_to, "filter.year_to")?,
        procedures,
        charges: clean(f.charges, "filter.charges")?,
    })
}

/// A filing's text: its documents in order, as far as they carry text, cut to a query's length.
/// Each document is read on the parse pool under its budget, only until the query has its
/// characters: a filing of many large documents reads as far as the first ones need.
async fn filing_text<S: EventStore>(
    store: &S,
    filing: &ecenter_domain::Filing,
    parse: (
        &Arc<crate::parsing::ParsePool>,
        &Identity,
        Option<std::time::Instant>,
    ),
) -> Result<(String, bool), Status> {
    let (pool, caller, deadline) = parse;
    let mut parts = Vec::new();
    let mut chars = 0usize;
    for d in &filing.documents {
        if chars > MAX_QUERY_CHARS {
            break;
        }
        let path = store.blobs().path(&d.received.sha256);
        let media_type = d.received.media_type.clone();
        let want = MAX_QUERY_CHARS + 1 - chars;
        let doc = crate::documents::StoredDocument::new(
            &d.received.sha256,
            format!(
                "filing {} document {}",
                filing.filing_id, d.received.document_id
            ),
        );
        let expected = doc.clone();
        // Read and hashed on the pool, under the caller's memory share: a damaged document is
        // never taken for the filing's text (DATA_LOSS, recorded, as for every other read).
        let read = pool
            .run(
                caller,
                d.received.size as usize,
                deadline,
                "FindSimilar",
                move || {
                    let bytes = ecenter_store::verified::checked(&expected, std::fs::read(&path))?;
                    Ok(ecenter_extract::text_of(&media_type, &bytes, want))
                },
            )
            .await?;
        let text = match read {
            Ok(text) => text,
            Err(found) => {
                return Err(crate::documents::report(store, &doc, found, "FindSimilar").await);
            }
        };
        if let Some(t) = document_text(text, filing, d)? {
            chars += t.chars().count() + 1;
            parts.push(t);
        }
    }
    query_text(filing, parts)
}

/// A filing document's extracted text for the similar-case query: `None` when it has none
/// (blank, or no text layer); its parse budget or an unreadable document refuses the query.
fn document_text(
    text: Result<String, ecenter_extract::ExtractError>,
    filing: &ecenter_domain::Filing,
    d: &ecenter_domain::FilingDocument,
) -> Result<Option<String>, Status> {
    match text {
        Ok(t) if !t.trim().is_empty() => Ok(Some(t)),
        Ok(_) | Err(ecenter_extract::ExtractError::NoText(_)) => Ok(None),
        Err(ecenter_extract::ExtractError::Budget(b)) => {
            let field = format!(
                "filing {} document {}",
                filing.filing_id, d.received.document_id
            );
            Err(crate::parsing::budget_status(&b, &field, true))
        }
        Err(e) => Err(ApiError::failed_precondition(format!(
            "document {} ({}) of filing {}: {e}",
            d.received.document_id, d.received.name, filing.filing_id
        ))
        .into()),
    }
}

/// The filing's documents' texts joined into one similar-case query, cut to the query's length
/// (and saying so); a filing with no text at all is refused.
fn query_text(
    filing: &ecenter_domain::Filing,
    parts: Vec<String>,
) -> Result<(String, bool), Status> {
    if parts.is_empty() {
        return Err(ApiError::failed_precondition(format!(
            "filing {} has no document with text (DOCX, OFD or PDF with text; images are not read): send the facts as text instead",
            filing.filing_id
        )).into());
    }
    let text = parts.join("\n");
    let truncated = text.chars().count() > MAX_QUERY_CHARS;
    Ok(if truncated {
        (text.chars().take(MAX_QUERY_CHARS).collect(), true)
    } else {
        (text, false)
    })
}

/// How many similar cases to return: the default for 0, at most `MAX_HITS`.
fn hits_wanted(top_k: u32) -> Result<usize, Status> {
    Ok(match top_k {
        0 => DEFAULT_HITS,
        k if k as usize <= MAX_HITS => k,
        k => {
            return Err(invalid(
                "top_k",
                format!("{k} hits asked; at most {MAX_HITS}"),
            ));
        }
    } as usize)
}

/// A query's charges (罪名) and statutes (法条), when they are known rather than read from its text.
type LegalFeatures = (Vec<String>, Vec<String>);

/// What a search runs on: the text, its legal features if known, and a case id to leave out.
type QuerySource = (String, Option<LegalFeatures>, Option<String>);

/// An indexed case as the query (类案 of a known case): its text cut to the query's length, its
/// charges and statutes, and its id, which the search leaves out of the hits.
fn case_query(index: &SimilarIndex, case_id: String) -> Result<QuerySource, Status> {
    let case_id = case_id.trim().to_string();
    if case_id.is_empty() {
        return Err(invalid("case_id", "is empty"));
    }
    let (case_id, case) = indexed(index, &case_id)?
        .ok_or_else(|| ApiError::not_found(format!("no indexed case has id 「{case_id}」")))?;
    let text: String = case.text.chars().take(MAX_QUERY_CHARS).collect();
    Ok((text, Some((case.charges, case.statutes)), Some(case_id)))
}

/// The indexed case `typed` names, and its id: the id as typed, or else — for a 案号 spelt another
/// way ((2023) for （2023）, full-width digits) — the normalised number, which is the id IndexCase
/// gives a case indexed by its number. A system can withdraw what it indexed, however it spells it.
fn indexed(
    index: &SimilarIndex,
    typed: &str,
) -> Result<Option<(String, ecenter_similar::index::CaseDoc)>, Status> {
    let mut ids = vec![typed.to_string()];
    if let Some(old) = ecenter_domain::case_number::Before2016::parse(typed) {
        ids.push(old.normalized());
    } else if let Ok(number) = ecenter_domain::CaseNumber::parse(typed) {
        ids.push(number.normalized());
    }
    for id in ids {
        if let Some(case) = index.index().get(&id).map_err(similar_status)? {
            return Ok(Some((id, case)));
        }
    }
    Ok(None)
}

/// Refuses a judgment whose case number is indexed already under another case id: counted
/// twice, it would weigh double in every outcome comparison and be pushed twice (outside tests,
/// round 21b, 1). The caller indexes it under the id it has, which replaces it.
fn refuse_second_id(index: &SimilarIndex, case_id: &str, number: &str) -> Result<(), Status> {
    let ids = index.index().ids_numbered(number).map_err(similar_status)?;
    let Some(other) = ids.iter().find(|id| *id != case_id) else {
        return Ok(());
    };
    Err(ApiError::AlreadyExists(format!(
        "the judgment {number} is indexed already as case 「{other}」: index it under that id to replace it, or remove 「{other}」 first (RemoveCase) — one judgment under two ids would be counted twice / 该案号的裁判文书已以「{other}」收录"
    ))
    .into())
}

fn hit_message(h: ecenter_similar::index::Hit) -> pb::SimilarHit {
    pb::SimilarHit {
        procedure: procedure_to_proto(&h.procedure) as i32,
        case_id: h.id,
        case_number: h.case_number,
        court: h.court,
        year: h.year.unwrap_or(0),
        judgment_date: h
            .date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        score: h.score,
        text_score: h.text_score,
        shared_charges: h.shared_charges,
        shared_statutes: h.shared_statutes,
        shared_elements: h.shared_elements,
        shared_terms: h
            .shared_terms
            .into_iter()
            .map(|t| pb::SharedTerm {
                term: t.term,
                weight: t.weight,
            })
            .collect(),
        summary: h.summary,
        outcome: h.outcome.iter().map(check::sentence_message).collect(),
        civil_outcome: check::civil_message(&h.civil_outcome),
    }
}

#[tonic::async_trait]
impl<S: EventStore> SimilarCaseService for SimilarApi<S> {
    async fn index_case(
        &self,
        request: Request<pb::IndexCaseRequest>,
    ) -> Result<Response<pb::IndexCaseResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::IndexCase, None, None).await?;
        let c = request
            .into_inner()
            .case
            .ok_or_else(|| invalid("case", "is required"))?;
        let submission = CaseSubmission {
            procedure: procedure_from_proto(c.procedure, "case.procedure")?
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            case_id: c.case_id,
            case_number: c.case_number,
            court: c.court,
            year: c.year,
            judgment_date: c.judgment_date,
            charges: c.charges,
            statutes: c.statutes,
            facts: c.facts,
            holding: c.holding,
            full_text: c.full_text,
        };
        let today = (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive();
        let mut case = submission
            .validate(&identity.to_string(), today)
            .map_err(domain_status)?;
        case.statutes = ecenter_similar::statutes::keys_of(&case.statutes).map_err(|odd| {
            invalid(
                "case.statutes",
                format!(
                    "「{}」 names no article: write an article key such as 刑法第264条 (or the citation, 《中华人民共和国刑法》第二百六十四条)",
                    ecenter_domain::text::quoted(&odd, 40)
                ),
            )
        })?;
        // Charges and statutes the caller left out are read from the judgment now, so the log
        // holds what was indexed and a rebuild gives the same index.
        if case.charges.is_empty() || case.statutes.is_empty() {
            let source = if case.full_text.trim().is_empty() {
                format!("{}\n{}", case.facts, case.holding)
            } else {
                case.full_text.clone()
            };
            let (charges, statutes) = self.index.index().judgment_features(&source);
            if case.charges.is_empty() {
                case.charges = charges;
            }
            if case.statutes.is_empty() {
                case.statutes = statutes;
            }
        }
        if let Some(number) = &case.case_number {
            refuse_second_id(&self.index, &case.case_id, number)?;
        }
        let replaced = self
            .index
            .index()
            .get(&case.case_id)
            .map_err(similar_status)?
            .is_some();
        let (charges, statutes, case_id) = (
            case.charges.clone(),
            case.statutes.clone(),
            case.case_id.clone(),
        );
        let (appended, ()) = self
            .store
            .append(Box::new(move |_: &dyn ReadView| {
                Ok((vec![Event::CaseIndexed(case)], ()))
            }))
            .await
            .map_err(store_status)?;
        let seq = appended.last().map_or(0, |a| a.seq);
        self.index.catch_up(&self.store, Some(seq)).await?;
        tracing::info!(%case_id, seq, by = %identity, "case indexed");
        Ok(Response::new(pb::IndexCaseResponse {
            case_id,
            log_seq: seq,
            charges,
            statutes,
            replaced,
        }))
    }

    async fn remove_case(
        &self,
        request: Request<pb::RemoveCaseRequest>,
    ) -> Result<Response<pb::RemoveCaseResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::RemoveCase, None, None).await?;
        let r = request.into_inner();
        let case_id = r.case_id.trim().to_string();
        if case_id.is_empty() {
            return Err(invalid("case_id", "is required"));
        }
        let reason = r.reason.trim().to_string();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(invalid(
                "reason",
                "say why the case is withdrawn (1 to 500 characters): the log keeps it",
            ));
        }
        crate::error::text_field("reason", &reason, 500, "撤下理由")?;
        let Some((case_id, _)) = indexed(&self.index, &case_id)? else {
            return Err(
                ApiError::not_found(format!("no indexed case has id 「{case_id}」")).into(),
            );
        };
        let by = identity.to_string();
        let event = Event::CaseRemoved {
            case_id: case_id.clone(),
            by,
            reason,
        };
        let (appended, ()) = self
            .store
            .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
            .await
            .map_err(store_status)?;
        let seq = appended.last().map_or(0, |a| a.seq);
        self.index.catch_up(&self.store, Some(seq)).await?;
        tracing::info!(%case_id, seq, by = %identity, "case removed from the index");
        Ok(Response::new(pb::RemoveCaseResponse { log_seq: seq }))
    }

    async fn find_similar(
        &self,
        request: Request<pb::FindSimilarRequest>,
    ) -> Result<Response<pb::FindSimilarResponse>, Status> {
        let identity = crate::identity::caller(&request)?;
        authorize(&*self.store, &identity, Operation::FindSimilar, None, None).await?;
        let deadline = crate::parsing::deadline_of(request.metadata());
        let r = request.into_inner();
        let filter = filter_from_proto(r.filter)?;
        let k = hits_wanted(r.top_k)?;
        let query = self.resolve(r.query, &identity, deadline).await?;
        let truncated = query.truncated;
        let (hits, charges, statutes) = self.search(query, filter, k).await?;
        Ok(Response::new(pb::FindSimilarResponse {
            hits: hits.into_iter().map(hit_message).collect(),
            query_charges: charges,
            query_statutes: statutes,
            query_truncated: truncated,
        }))
    }

    async fn check_outcome(
        &self,
        request: Request<pb::CheckOutcomeRequest>,
    ) -> Result<Response<pb::CheckOutcomeResponse>, Status> {
        check::check_outcome(self, request).await
    }

    async fn list_pushed_cases(
        &self,
        request: Request<pb::ListPushedCasesRequest>,
    ) -> Result<Response<pb::ListPushedCasesResponse>, Status> {
        pushed::list(&*self.store, &self.index, request).await
    }

    async fn set_case_push(
        &self,
        request: Request<pb::SetCasePushRequest>,
    ) -> Result<Response<pb::SetCasePushResponse>, Status> {
        pushed::set(&*self.store, request).await
    }
}

/// A query resolved to its text: what a search runs on and what the log records of it.
pub(crate) struct ResolvedQuery {
    text: String,
    given: Option<LegalFeatures>,
    exclude: Option<String>,
    truncated: bool,
    /// `case <id>`, `filing <id>` or `text sha256:<hex>`.
    described: String,
}

impl<S: EventStore> SimilarApi<S> {
    /// The query's text: given, a filing's documents, or an indexed case's facts.
    async fn resolve(
        &self,
        query: Option<pb::find_similar_request::Query>,
        identity: &Identity,
        deadline: Option<std::time::Instant>,
    ) -> Result<ResolvedQuery, Status> {
        use pb::find_similar_request::Query;
        Ok(match query {
            None => {
                return Err(invalid(
                    "query",
                    "give the facts as text, a filing_id or a case_id",
                ));
            }
            Some(Query::Text(text)) => ResolvedQuery {
                described: format!(
                    "text sha256:{}",
                    hex::encode(ring::digest::digest(&ring::digest::SHA256, text.as_bytes()))
                ),
                // Read as an indexed judgment's text is: a zero-width space hides no charge.
                text: ecenter_domain::text::readable(&text),
                given: None,
                exclude: None,
                truncated: false,
            },
            Some(Query::FilingId(filing_id)) => {
                let filing = crate::filing::durable_filing(&*self.store, filing_id.trim()).await?;
                let parse = (&self.parsing, identity, deadline);
                let (text, truncated) = filing_text(&*self.store, &filing, parse).await?;
                ResolvedQuery {
                    described: format!("filing {}", filing.filing_id),
                    text: ecenter_domain::text::readable(&text),
                    given: None,
                    exclude: None,
                    truncated,
                }
            }
            Some(Query::CaseId(case_id)) => {
                let (text, given, exclude) = case_query(&self.index, case_id)?;
                ResolvedQuery {
                    described: format!("case {}", exclude.clone().unwrap_or_default()),
                    text,
                    given,
                    exclude,
                    truncated: false,
                }
            }
        })
    }

    /// The `k` most similar cases, with the charges and statutes the query was taken to name.
    async fn search(
        &self,
        query: ResolvedQuery,
        filter: Filter,
        k: usize,
    ) -> Result<Found, Status> {
        let source = (query.text, query.given, query.exclude);
        search_index(self.index.clone(), source, filter, k).await
    }
}

/// Hits with the charges and statutes the query was taken to name.
pub(crate) type Found = (Vec<ecenter_similar::index::Hit>, Vec<String>, Vec<String>);

/// The `k` cases of `index` most similar to `query`, searched off the async threads.
pub(crate) async fn search_index(
    index: Arc<SimilarIndex>,
    query: QuerySource,
    filter: Filter,
    k: usize,
) -> Result<Found, Status> {
    let (text, given, exclude) = query;
    let (hits, charges, statutes) = tokio::task::spawn_blocking(move || {
        let (charges, statutes) = match given {
            Some(features) => features,
            None => index.index().legal_features(&text),
        };
        let hits = index.index().search(
            &SearchRequest {
                text: &text,
                charges: &charges,
                statutes: &statutes,
                filter: &filter,
                k,
                exclude: exclude.as_deref(),
            },
            &Weights::default(),
        );
        (hits, charges, statutes)
    })
    .await
    .map_err(|_| ApiError::internal("the similar-case search stopped"))?;
    Ok((hits.map_err(similar_status)?, charges, statutes))
}
