//! The case index: tantivy with two analyses of the text — jieba words (with every known charge name
//! added to jieba's dictionary, so 信用卡诈骗罪 stays one token) and character bigrams — scored by
//! BM25, then fused with the legal structure (shared charges and statutes).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use tantivy::collector::TopDocs;
use tantivy::columnar::StrColumn;
use tantivy::query::{
    BooleanQuery, BoostQuery, EnableScoring, Occur, Query, RangeQuery, TermQuery, TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing,
    TextOptions, Value,
};
use tantivy::tokenizer::{NgramTokenizer, TextAnalyzer, TokenStream};
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, Searcher, TantivyDocument, Term, doc,
};

mod query;

/// Why the index failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy reported an error.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// A file beside the index could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The query is unusable; the message says how to fix it.
    #[error("{0}")]
    BadQuery(String),
    /// The index in this directory was written by an ecenter that stored or segmented cases
    /// differently: it must be rebuilt (the hub does so from its log; an imported index is
    /// imported again).
    #[error(
        "{dir}: the similar-case index was built by an older ecenter (format {found:?}, this one \
         writes {FORMAT:?}); rebuild it: remove the directory and import the judgments again"
    )]
    Outdated {
        /// The index directory.
        dir: PathBuf,
        /// The format it records ("" when it records none).
        found: String,
    },
}

/// What the index holds and how its text is analysed; changed whenever either changes, so that an
/// index is never read with a schema or a segmentation it was not written with.
pub const FORMAT: &str = "4 (civil elements, causes of action in the dictionary, outcomes of criminal judgments, \
     claims and awards of civil judgments, dates of judgment)";

/// File beside the index recording its [`FORMAT`].
const FORMAT_FILE: &str = "format.txt";

/// Refuses a directory holding an index of another [`FORMAT`]; records the format otherwise.
fn check_format(dir: &Path) -> Result<(), IndexError> {
    let file = dir.join(FORMAT_FILE);
    let found = match std::fs::read_to_string(&file) {
        Ok(text) => text.trim().to_string(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(IndexError::File { path: file, source }),
    };
    if dir.join("meta.json").exists() && found != FORMAT {
        return Err(IndexError::Outdated {
            dir: dir.to_path_buf(),
            found,
        });
    }
    std::fs::write(&file, FORMAT).map_err(|source| IndexError::File { path: file, source })
}

/// A judgment as indexed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CaseDoc {
    /// Case id (or case number).
    pub id: String,
    /// 案号, if known.
    pub case_number: String,
    /// Court name or code.
    pub court: String,
    /// Year of judgment.
    pub year: Option<u32>,
    /// Date of judgment (裁判日期), if the court system gave it; else read from the text's closing
    /// when indexed ([`crate::dates::judgment_date`]).
    pub date: Option<chrono::NaiveDate>,
    /// Procedure name (first_instance, second_instance, ...), empty if unknown.
    pub procedure: String,
    /// Charges or causes of action (罪名 / 案由).
    pub charges: Vec<String>,
    /// Statutes cited, as article keys (刑法第264条).
    pub statutes: Vec<String>,
    /// The text matched against queries: the facts, or the full text when no facts were given.
    pub text: String,
    /// The holding, kept to show.
    pub holding: String,
    /// The whole judgment, kept so the index can show and rebuild it.
    pub full_text: String,
}

/// Which cases a search may return; empty parts do not restrict.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Any of these courts.
    pub courts: Vec<String>,
    /// Judged in or after this year.
    pub year_from: Option<u32>,
    /// Judged in or before this year.
    pub year_to: Option<u32>,
    /// Any of these procedures.
    pub procedures: Vec<String>,
    /// Any of these charges or causes of action.
    pub charges: Vec<String>,
}

/// A word the hit shares with the query, with its share of the text score (BM25 × query weight).
#[derive(Debug, Clone, PartialEq)]
pub struct SharedTerm {
    /// The word.
    pub term: String,
    /// Its contribution to the text score.
    pub weight: f32,
}

/// One result of a search, with why it was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    /// Case id.
    pub id: String,
    /// Fused score.
    pub score: f32,
    /// BM25 part, before normalisation.
    pub text_score: f32,
    /// Charges the case shares with the query.
    pub shared_charges: Vec<String>,
    /// Statutes the case shares with the query.
    pub shared_statutes: Vec<String>,
    /// The words that contributed most to the text score.
    pub shared_terms: Vec<SharedTerm>,
    /// For a civil query: the elements of the claim it shares with the query (担保, 现金交付, …).
    pub shared_elements: Vec<String>,
    /// 案号, if known.
    pub case_number: String,
    /// Court.
    pub court: String,
    /// Year of judgment.
    pub year: Option<u32>,
    /// Date of judgment, given or read from the judgment's closing.
    pub date: Option<chrono::NaiveDate>,
    /// Procedure name.
    pub procedure: String,
    /// The beginning of the facts, to show.
    pub summary: String,
    /// What the case decided: each defendant's sentence per charge and the sentence to be served,
    /// with the words of the judgment that say so ([`crate::outcome::outcome`]); empty for a civil
    /// case or a text that states no decision.
    pub outcome: Vec<crate::outcome::Sentence>,
    /// What a civil case claimed and was awarded ([`crate::outcome::civil::civil_outcome`]); empty
    /// for a criminal case or a text that states neither.
    pub civil_outcome: crate::outcome::civil::CivilOutcome,
}

/// A search over the whole index.
#[derive(Debug, Clone, Copy)]
pub struct SearchRequest<'a> {
    /// Text of the query (facts of the new case).
    pub text: &'a str,
    /// Charges of the query case.
    pub charges: &'a [String],
    /// Statute keys of the query case.
    pub statutes: &'a [String],
    /// Restrictions.
    pub filter: &'a Filter,
    /// How many hits.
    pub k: usize,
    /// A case never to return (the case a query was taken from).
    pub exclude: Option<&'a str>,
}

/// Weights of the fusion, chosen by cross-validation on the development splits only
/// (`ecenter-similar eval --folds 10`, docs/SIMILAR.md): 10-fold CV on LeCaRD picks bigrams off
/// and a charge weight of 2 in most folds; the element weights are learned on CAIL2019-SCM.
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    /// Weight of the character-bigram BM25 relative to the word BM25.
    pub bigrams: f32,
    /// Weight of the coverage of the query's charges, against text scores normalised to [0, 1].
    pub charges: f32,
    /// Weight of the coverage of the query's cited statutes.
    pub statutes: f32,
    /// Weights of a civil query's element agreements (`civil::pair_features`), learned on
    /// CAIL2019-SCM's development split; zero turns them off.
    pub elements: [f32; crate::civil::FEATURES],
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            bigrams: 0.0,
            charges: 2.0,
            statutes: 0.5,
            elements: crate::civil::WEIGHTS,
        }
    }
}

/// Terms kept per field of a query to find candidates: the most informative by (1 + ln qtf) · idf.
/// Long queries (a whole facts section) otherwise expand into hundreds of frequent terms.
pub const QUERY_TERMS_PER_FIELD: usize = 40;

/// Candidates the first stage finds for the whole query to score (at least; 10 per hit asked).
pub const CANDIDATES: usize = 100;

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 20_000;

/// Most hits one search returns.
pub const MAX_HITS: usize = 100;

/// Shared terms shown per hit.
pub const SHARED_TERMS_SHOWN: usize = 5;

/// Characters of the facts shown as a hit's summary.
const SUMMARY_CHARS: usize = 120;

/// File beside the index listing the charge names it has learned, one per line: they are recognised
/// in queries and accepted as filters.
const CHARGES_FILE: &str = "charges.txt";

/// Legal terms always in jieba's dictionary (see the file's header).
const LEGAL_TERMS: &str = include_str!("legal_terms.txt");

/// File beside the index listing the words added to jieba's dictionary. It only grows when the
/// index is opened with new names, never while cases are indexed, so that every case and query is
/// segmented alike and a rebuild gives the same index.
const DICTIONARY_FILE: &str = "dictionary.txt";

fn read_lines(path: &Path) -> Result<Vec<String>, IndexError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(source) => Err(IndexError::File {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write_lines(path: &Path, lines: &BTreeSet<String>) -> Result<(), IndexError> {
    let tmp = path.with_extension("tmp");
    let text = lines.iter().cloned().collect::<Vec<_>>().join("\n");
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|source| IndexError::File {
            path: path.to_path_buf(),
            source,
        })
}

/// The fields of the schema.
#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    case_number: Field,
    court: Field,
    year: Field,
    /// The date of judgment as YYYY-MM-DD.
    date: Field,
    procedure: Field,
    charges: Field,
    statutes: Field,
    civil: Field,
    words: Field,
    bigrams: Field,
    facts: Field,
    holding: Field,
    full_text: Field,
    /// The case's outcome, JSON of `Vec<outcome::Sentence>`, read once when it is indexed.
    outcome: Field,
    /// JSON of `outcome::civil::CivilOutcome`, for a civil case that states a claim or an award.
    civil_outcome: Field,
}

fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let indexed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED | FAST),
        case_number: b.add_text_field("case_number", STRING | STORED),
        court: b.add_text_field("court", STRING | STORED),
        year: b.add_u64_field("year", INDEXED | STORED | FAST),
        date: b.add_text_field("date", STORED),
        procedure: b.add_text_field("procedure", STRING | STORED),
        charges: b.add_text_field("charges", STRING | STORED | FAST),
        statutes: b.add_text_field("statutes", STRING | STORED | FAST),
        civil: b.add_u64_field("civil", FAST),
        words: b.add_text_field("words", indexed("legal_jieba")),
        bigrams: b.add_text_field("bigrams", indexed("char_bigrams")),
        facts: b.add_text_field("facts", STORED),
        holding: b.add_text_field("holding", STORED),
        full_text: b.add_text_field("full_text", STORED),
        outcome: b.add_text_field("outcome", STORED),
        civil_outcome: b.add_text_field("civil_outcome", STORED),
    };
    (b.build(), fields)
}

/// The outcome of an indexed case, read from its whole text (else its holding and facts); a case
/// with causes of action (a civil one) has none of the criminal kind.
fn outcome_of(d: &CaseDoc) -> Vec<crate::outcome::Sentence> {
    if !d.charges.is_empty() && !d.charges.iter().any(|c| c.ends_with('罪')) {
        return Vec::new();
    }
    if d.full_text.is_empty() {
        crate::outcome::outcome(&format!("{}。{}", d.text, d.holding))
    } else {
        crate::outcome::outcome(&d.full_text)
    }
}

/// The claim and award of an indexed civil case, read from its whole text (else its facts and
/// holding); a case with charges (…罪) has none.
fn civil_outcome_of(d: &CaseDoc) -> crate::outcome::civil::CivilOutcome {
    if d.charges.iter().any(|c| c.ends_with('罪')) {
        return crate::outcome::civil::CivilOutcome::default();
    }
    if d.full_text.is_empty() {
        crate::outcome::civil::civil_outcome(&format!("{}。{}", d.text, d.holding))
    } else {
        crate::outcome::civil::civil_outcome(&d.full_text)
    }
}

/// The index with its fields and analyzers.
pub struct CaseIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    words_analyzer: Mutex<TextAnalyzer>,
    bigram_analyzer: Mutex<TextAnalyzer>,
    dir: Option<PathBuf>,
    known_charges: RwLock<BTreeSet<String>>,
}

impl CaseIndex {
    /// Opens the index in `dir` (creating it), or in memory without a directory. `charges` and the
    /// names given at earlier opens (`dictionary.txt`) are added to jieba's dictionary so that each
    /// charge name is one token; names learned from indexed cases (`charges.txt`) are recognised
    /// in queries and filters but do not change how text is segmented.
    pub fn open(dir: Option<&Path>, charges: &[String]) -> Result<CaseIndex, IndexError> {
        let mut dictionary: BTreeSet<String> = charges.iter().cloned().collect();
        let mut known = dictionary.clone();
        let (schema, fields) = schema();
        let index = match dir {
            Some(d) => {
                std::fs::create_dir_all(d).map_err(|source| IndexError::File {
                    path: d.to_path_buf(),
                    source,
                })?;
                check_format(d)?;
                dictionary.extend(read_lines(&d.join(DICTIONARY_FILE))?);
                // Names learned before only charges and causes were learned are dropped.
                known.extend(
                    read_lines(&d.join(CHARGES_FILE))?
                        .into_iter()
                        .filter(|c| crate::charges::learnable(c)),
                );
                known.extend(dictionary.iter().cloned());
                write_lines(&d.join(DICTIONARY_FILE), &dictionary)?;
                let mmap = tantivy::directory::MmapDirectory::open(d)
                    .map_err(|e| IndexError::BadQuery(format!("{}: {e}", d.display())))?;
                Index::open_or_create(mmap, schema)?
            }
            None => Index::create_in_ram(schema),
        };
        let mut jieba = jieba_rs::Jieba::new();
        let built_in = LEGAL_TERMS
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        for term in built_in {
            jieba.add_word(term, Some(100_000), Some("nz"));
            if let Some(short) = term.strip_suffix('罪') {
                jieba.add_word(short, Some(100_000), Some("nz"));
            }
            // Sentencing and procedure terms (自首, 有期徒刑) stay whole words but are no charges.
            if crate::charges::learnable(term) {
                known.insert(term.to_string());
            }
        }
        // Causes of action stay one token and are recognised in queries, as charges are.
        for cause in crate::civil::causes_of_action() {
            jieba.add_word(cause, Some(100_000), Some("nz"));
            known.insert(cause.to_string());
        }
        for c in &dictionary {
            jieba.add_word(c, Some(100_000), Some("nz"));
            if let Some(short) = c.strip_suffix('罪') {
                jieba.add_word(short, Some(100_000), Some("nz"));
            }
        }
        let words = TextAnalyzer::from(tantivy_jieba::JiebaTokenizer::with_jieba(jieba));
        let bigram =
            TextAnalyzer::from(NgramTokenizer::new(2, 2, false).map_err(IndexError::Tantivy)?);
        index.tokenizers().register("legal_jieba", words.clone());
        index.tokenizers().register("char_bigrams", bigram.clone());
        let writer = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
        let reader = index.reader()?;
        let this = CaseIndex {
            fields,
            writer: Mutex::new(writer),
            reader,
            index,
            words_analyzer: Mutex::new(words),
            bigram_analyzer: Mutex::new(bigram),
            dir: dir.map(Path::to_path_buf),
            known_charges: RwLock::new(known),
        };
        this.save_charges()?;
        Ok(this)
    }

    fn save_charges(&self) -> Result<(), IndexError> {
        match &self.dir {
            Some(dir) => write_lines(
                &dir.join(CHARGES_FILE),
                &self.known_charges.read().expect("charges lock"),
            ),
            None => Ok(()),
        }
    }

    fn document(&self, d: &CaseDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut document = doc!(
            f.id => d.id.clone(),
            f.words => d.text.clone(),
            f.bigrams => d.text.clone(),
            f.facts => d.text.clone(),
        );
        for (field, value) in [
            (f.case_number, &d.case_number),
            (f.court, &d.court),
            (f.procedure, &d.procedure),
            (f.holding, &d.holding),
            (f.full_text, &d.full_text),
        ] {
            if !value.is_empty() {
                document.add_text(field, value);
            }
        }
        if let Some(y) = d.year {
            document.add_u64(f.year, u64::from(y));
        }
        let civil = crate::civil::CivilFacts {
            criminal: d.charges.iter().any(|c| c.ends_with('罪')),
            ..crate::civil::CivilFacts::of(&d.text)
        };
        document.add_u64(f.civil, civil.pack());
        for c in &d.charges {
            document.add_text(f.charges, c);
        }
        for s in &d.statutes {
            document.add_text(f.statutes, s);
        }
        let outcome = outcome_of(d);
        if !outcome.is_empty() {
            document.add_text(
                f.outcome,
                serde_json::to_string(&outcome).expect("sentences serialise"),
            );
        }
        let date = d.date.or_else(|| {
            crate::dates::judgment_date(if d.full_text.is_empty() {
                &d.holding
            } else {
                &d.full_text
            })
        });
        if let Some(date) = date {
            document.add_text(f.date, date.format("%Y-%m-%d").to_string());
        }
        let civil_outcome = civil_outcome_of(d);
        if !civil_outcome.is_empty() {
            document.add_text(
                f.civil_outcome,
                serde_json::to_string(&civil_outcome).expect("amounts serialise"),
            );
        }
        document
    }

    /// Applies added (or replaced) and removed cases in one commit that records `applied_seq`, the
    /// position in the event log they come from, so a restarted hub knows where to resume.
    pub fn apply(
        &self,
        added: &[CaseDoc],
        removed: &[String],
        applied_seq: Option<u64>,
    ) -> Result<(), IndexError> {
        let mut learned = false;
        {
            let mut known = self.known_charges.write().expect("charges lock");
            for c in added.iter().flat_map(|d| &d.charges) {
                learned |= crate::charges::learnable(c) && known.insert(c.clone());
            }
        }
        let mut w = self.writer.lock().expect("writer lock");
        for id in removed {
            w.delete_term(Term::from_field_text(self.fields.id, id));
        }
        for d in added {
            w.delete_term(Term::from_field_text(self.fields.id, &d.id));
            w.add_document(self.document(d))?;
        }
        let mut commit = w.prepare_commit()?;
        if let Some(seq) = applied_seq {
            commit.set_payload(&seq.to_string());
        }
        commit.commit()?;
        drop(w);
        self.reader.reload()?;
        if learned {
            self.save_charges()?;
        }
        Ok(())
    }

    /// Adds (or replaces) cases and makes them searchable.
    pub fn add(&self, docs: &[CaseDoc]) -> Result<(), IndexError> {
        self.apply(docs, &[], None)
    }

    /// Removes a case.
    pub fn remove(&self, id: &str) -> Result<(), IndexError> {
        self.apply(&[], &[id.to_string()], None)
    }

    /// Removes every case (before a rebuild).
    pub fn clear(&self) -> Result<(), IndexError> {
        let mut w = self.writer.lock().expect("writer lock");
        w.delete_all_documents()?;
        let mut commit = w.prepare_commit()?;
        commit.set_payload("0");
        commit.commit()?;
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    /// Merges every segment into one, dropping deleted cases for good: after a bulk import, every
    /// query then looks each term up once instead of once per segment. Returns the segment count
    /// before the merge.
    pub fn optimize(&self) -> Result<usize, IndexError> {
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            let mut w = self.writer.lock().expect("writer lock");
            w.merge(&ids).wait()?;
            drop(w);
            self.reader.reload()?;
        }
        Ok(ids.len())
    }

    /// Number of segments searched (each costs a lookup per query term).
    pub fn segments(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// The event-log position the last commit recorded (0 when none did).
    pub fn applied_seq(&self) -> Result<u64, IndexError> {
        Ok(self
            .index
            .load_metas()?
            .payload
            .and_then(|p| p.parse().ok())
            .unwrap_or(0))
    }

    /// The charge names the index knows, as they are now, in the collection the caller wants.
    fn known_charge_names<C: FromIterator<String>>(&self) -> C {
        self.known_charges
            .read()
            .expect("charges lock")
            .iter()
            .cloned()
            .collect()
    }

    /// The charges a judgment convicts of (after 犯) or, for a judgment that convicts no 被告人, the
    /// cause of action it states (…纠纷一案), and the statutes it cites: what a case is
    /// indexed with when its court system gave none.
    pub fn judgment_features(&self, text: &str) -> (Vec<String>, Vec<String>) {
        let known: HashSet<String> = self.known_charge_names();
        let statutes = statute_keys(text);
        let mut labels = crate::charges::of_judgment(text, &known);
        // A criminal judgment (one convicting a 被告人) recounts civil suits; it is not one.
        if labels.is_empty() || !text.contains("被告人") {
            labels.extend(crate::civil::causes_in(text));
        }
        (labels, statutes)
    }

    /// The charges and statutes a query names (charges as far as the index knows their names, also
    /// outside a conviction: 涉嫌盗窃罪, 构成盗窃罪): the legal structure a query is fused with.
    pub fn legal_features(&self, text: &str) -> (Vec<String>, Vec<String>) {
        use crate::charges::Mention;
        let known: HashSet<String> = self.known_charge_names();
        let live = Self::query_charges(text, &known, Mention::Live);
        // Facts copied from an indictment name the case's charge only as accused.
        let charges = if live.is_empty() {
            Self::query_charges(text, &known, Mention::Accused)
        } else {
            live
        };
        (charges, statute_keys(text))
    }

    /// The charges `text` names in mentions of the kind `wanted`: after 犯, and any known name
    /// written out in full (涉嫌盗窃罪, 构成盗窃罪), longest first.
    fn query_charges(
        text: &str,
        known: &HashSet<String>,
        wanted: crate::charges::Mention,
    ) -> Vec<String> {
        let mut charges = crate::charges::extract_where(text, known, |m| m == wanted);
        // A query (the facts of a new case) names its charge as 涉嫌盗窃罪 or 构成盗窃罪, not only
        // after 犯: any known name written out in full counts, longest first.
        // Only mentions of the kind wanted: 不构成抢劫罪 or a defendant's record (曾因犯抢劫罪被判处…)
        // names no charge of this case.
        let chars: Vec<char> = text.chars().collect();
        let mut named: Vec<&String> = known
            .iter()
            .filter(|k| {
                text.match_indices(String::as_str(k)).any(|(at, _)| {
                    crate::charges::mention(&chars, text[..at].chars().count()) == wanted
                })
            })
            .collect();
        // Longest first, then by name: the same text names its charges in the same order every time.
        named.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
        for k in named {
            if !charges.iter().any(|c| c.contains(String::as_str(k))) {
                charges.push(k.clone());
            }
        }
        charges
    }

    /// The charge names the index knows (learned from indexed cases and given at open).
    pub fn known_charges(&self) -> Vec<String> {
        self.known_charge_names()
    }

    /// The ids of the cases indexed under the case number `number` (the hub's spelling), at
    /// most ten: one judgment indexed under two ids would be counted twice.
    pub fn ids_numbered(&self, number: &str) -> Result<Vec<String>, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.case_number, number),
            IndexRecordOption::Basic,
        );
        let hits = searcher.search(&q, &TopDocs::with_limit(10).order_by_score())?;
        let mut ids = Vec::with_capacity(hits.len());
        for (_, addr) in hits {
            let d: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = d.get_first(self.fields.id).and_then(|v| v.as_str()) {
                ids.push(id.to_string());
            }
        }
        Ok(ids)
    }

    /// A stored case, whole.
    pub fn get(&self, id: &str) -> Result<Option<CaseDoc>, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(
            Term::from_field_text(self.fields.id, id),
            IndexRecordOption::Basic,
        );
        let hits = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, addr)) = hits.first() else {
            return Ok(None);
        };
        let d: TantivyDocument = searcher.doc(*addr)?;
        let f = &self.fields;
        let text = |field: Field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let all = |field: Field| {
            d.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        };
        Ok(Some(CaseDoc {
            id: text(f.id),
            case_number: text(f.case_number),
            court: text(f.court),
            year: d
                .get_first(f.year)
                .and_then(|v| v.as_u64())
                .map(|y| y as u32),
            procedure: text(f.procedure),
            charges: all(f.charges),
            statutes: all(f.statutes),
            text: text(f.facts),
            holding: text(f.holding),
            full_text: text(f.full_text),
            date: text(f.date).parse().ok(),
        }))
    }

    /// The charges stored for a case.
    pub fn charges_of(&self, id: &str) -> Result<Vec<String>, IndexError> {
        Ok(self.get(id)?.map(|d| d.charges).unwrap_or_default())
    }

    /// Number of cases searchable.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The underlying tantivy index (for benchmarks that compare with bare queries).
    pub fn tantivy(&self) -> &Index {
        &self.index
    }
}

/// The statutes `text` cites, as article keys, a repeat in a row kept once.
fn statute_keys(text: &str) -> Vec<String> {
    let mut statutes: Vec<String> = crate::statutes::extract(text)
        .iter()
        .map(super::statutes::Statute::article_key)
        .collect();
    statutes.dedup();
    statutes
}

/// The share of the query's labels (charges, statute keys) that a case has: 1.0 when the case has
/// every charge of the new case. A case's further charges do not count against it — a judgment on
/// several charges is as useful for each of them — which ranks better on LeCaRD's development
/// split than Jaccard's overlap did (docs/SIMILAR.md).
pub fn coverage(query: &[String], case: &[String]) -> f32 {
    let query: HashSet<&String> = query.iter().collect();
    if query.is_empty() {
        return 0.0;
    }
    let case: HashSet<&String> = case.iter().collect();
    query.intersection(&case).count() as f32 / query.len() as f32
}

/// Fuses text scores (normalised by the pool's best) with shared charges and statutes.
pub fn fuse(
    text: f32,
    best_text: f32,
    charge_overlap: f32,
    statute_overlap: f32,
    w: &Weights,
) -> f32 {
    let t = if best_text > 0.0 {
        text / best_text
    } else {
        0.0
    };
    t + w.charges * charge_overlap + w.statutes * statute_overlap
}
