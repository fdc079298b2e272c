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
    /// 案号, if known.
    pub case_number: String,
    /// Court.
    pub court: String,
    /// Year of judgment.
    pub year: Option<u32>,
    /// Procedure name.
    pub procedure: String,
    /// The beginning of the facts, to show.
    pub summary: String,
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

/// Weights of the fusion, tuned on the development split only (see docs/SIMILAR.md).
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    /// Weight of the character-bigram BM25 relative to the word BM25.
    pub bigrams: f32,
    /// Weight of the coverage of the query's charges, against text scores normalised to [0, 1].
    pub charges: f32,
    /// Weight of the coverage of the query's cited statutes.
    pub statutes: f32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            bigrams: 0.5,
            charges: 2.0,
            statutes: 0.5,
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
        .and_then(|_| std::fs::rename(&tmp, path))
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
    procedure: Field,
    charges: Field,
    statutes: Field,
    words: Field,
    bigrams: Field,
    facts: Field,
    holding: Field,
    full_text: Field,
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
        procedure: b.add_text_field("procedure", STRING | STORED),
        charges: b.add_text_field("charges", STRING | STORED | FAST),
        statutes: b.add_text_field("statutes", STRING | STORED | FAST),
        words: b.add_text_field("words", indexed("legal_jieba")),
        bigrams: b.add_text_field("bigrams", indexed("char_bigrams")),
        facts: b.add_text_field("facts", STORED),
        holding: b.add_text_field("holding", STORED),
        full_text: b.add_text_field("full_text", STORED),
    };
    (b.build(), fields)
}

/// Words worth matching: at least one letter, digit or CJK character, and not a lone function character.
fn keep(token: &str) -> bool {
    token.chars().count() > 1 && token.chars().any(|c| c.is_alphanumeric())
}

/// A term of an analysed query.
struct QueryTerm {
    text: String,
    term: Term,
    /// Query-side weight: field weight × (1 + ln qtf).
    boost: f32,
    /// (1 + ln qtf) · idf: how informative the term is, to pick candidates with.
    informativeness: f32,
    /// Words (true) or bigrams.
    is_word: bool,
    /// Documents holding it.
    doc_freq: u64,
}

/// BM25 statistics for one query, read once: tantivy would otherwise look each term up again
/// for every scorer it builds.
struct QueryStatistics {
    docs: u64,
    tokens: HashMap<Field, u64>,
    doc_freq: HashMap<Term, u64>,
}

impl QueryStatistics {
    fn new(searcher: &Searcher, fields: &[Field], terms: &[QueryTerm]) -> tantivy::Result<Self> {
        use tantivy::query::Bm25StatisticsProvider;
        let mut tokens = HashMap::new();
        for f in fields {
            tokens.insert(*f, searcher.total_num_tokens(*f)?);
        }
        Ok(QueryStatistics {
            docs: searcher.total_num_docs()?,
            tokens,
            doc_freq: terms.iter().map(|t| (t.term.clone(), t.doc_freq)).collect(),
        })
    }
}

impl tantivy::query::Bm25StatisticsProvider for QueryStatistics {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        Ok(self.tokens.get(&field).copied().unwrap_or(0))
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        Ok(self.doc_freq.get(term).copied().unwrap_or(0))
    }
}

/// The legal structure of candidates in one segment, compared by term ordinal: strings are only
/// read for the hits returned.
struct SegmentLabels {
    charges: Option<StrColumn>,
    statutes: Option<StrColumn>,
    /// Ordinals of the query's charges and statutes in this segment's dictionaries.
    query_charges: HashMap<u64, String>,
    query_statutes: HashMap<u64, String>,
}

impl SegmentLabels {
    fn new(
        reader: &tantivy::SegmentReader,
        charges: &[String],
        statutes: &[String],
    ) -> Result<Self, IndexError> {
        let column = |name: &str, values: &[String]| -> Result<_, IndexError> {
            let col: Option<StrColumn> = reader.fast_fields().str(name)?;
            let mut ords = HashMap::new();
            if let Some(c) = &col {
                for v in values {
                    if let Some(ord) = c
                        .dictionary()
                        .term_ord(v.as_bytes())
                        .map_err(|e| IndexError::Tantivy(e.into()))?
                    {
                        ords.insert(ord, v.clone());
                    }
                }
            }
            Ok((col, ords))
        };
        let (charges_col, query_charges) = column("charges", charges)?;
        let (statutes_col, query_statutes) = column("statutes", statutes)?;
        Ok(SegmentLabels {
            charges: charges_col,
            statutes: statutes_col,
            query_charges,
            query_statutes,
        })
    }

    /// The labels of `doc` the query shares, and the share of the query's labels it has (see
    /// [`coverage`]), for charges then statutes.
    fn compare(
        &self,
        doc: DocId,
        query_charges: usize,
        query_statutes: usize,
    ) -> [(Vec<String>, f32); 2] {
        let one = |col: &Option<StrColumn>, query: &HashMap<u64, String>, query_len: usize| {
            let mut shared: Vec<String> = Vec::new();
            if let Some(c) = col {
                for ord in c.term_ords(doc) {
                    if let Some(v) = query.get(&ord)
                        && !shared.contains(v)
                    {
                        shared.push(v.clone());
                    }
                }
            }
            let overlap = if query_len == 0 {
                0.0
            } else {
                shared.len() as f32 / query_len as f32
            };
            (shared, overlap)
        };
        [
            one(&self.charges, &self.query_charges, query_charges),
            one(&self.statutes, &self.query_statutes, query_statutes),
        ]
    }
}

/// Text scores of candidates, with each word's contribution.
struct Scored {
    score: f32,
    words: Vec<(u32, f32)>,
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
                dictionary.extend(read_lines(&d.join(DICTIONARY_FILE))?);
                known.extend(read_lines(&d.join(CHARGES_FILE))?);
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
            known.insert(term.to_string());
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
        for c in &d.charges {
            document.add_text(f.charges, c);
        }
        for s in &d.statutes {
            document.add_text(f.statutes, s);
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
                learned |= known.insert(c.clone());
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

    /// The charges a judgment convicts of (after 犯) and the statutes it cites: what a case is
    /// indexed with when its court system gave none.
    pub fn judgment_features(&self, text: &str) -> (Vec<String>, Vec<String>) {
        let known: HashSet<String> = self
            .known_charges
            .read()
            .expect("charges lock")
            .iter()
            .cloned()
            .collect();
        let mut statutes: Vec<String> = crate::statutes::extract(text)
            .iter()
            .map(|s| s.article_key())
            .collect();
        statutes.dedup();
        (crate::charges::extract(text, &known), statutes)
    }

    /// The charges and statutes a query names (charges as far as the index knows their names, also
    /// outside a conviction: 涉嫌盗窃罪, 构成盗窃罪): the legal structure a query is fused with.
    pub fn legal_features(&self, text: &str) -> (Vec<String>, Vec<String>) {
        let known: HashSet<String> = self
            .known_charges
            .read()
            .expect("charges lock")
            .iter()
            .cloned()
            .collect();
        let mut charges = crate::charges::extract(text, &known);
        // A query (the facts of a new case) names its charge as 涉嫌盗窃罪 or 构成盗窃罪, not only
        // after 犯: any known name written out in full counts, longest first.
        let mut named: Vec<&String> = known
            .iter()
            .filter(|k| text.contains(String::as_str(k)))
            .collect();
        named.sort_by_key(|k| std::cmp::Reverse(k.chars().count()));
        for k in named {
            if !charges.iter().any(|c| c.contains(String::as_str(k))) {
                charges.push(k.clone());
            }
        }
        let mut statutes: Vec<String> = crate::statutes::extract(text)
            .iter()
            .map(|s| s.article_key())
            .collect();
        statutes.dedup();
        (charges, statutes)
    }

    /// The charge names the index knows (learned from indexed cases and given at open).
    pub fn known_charges(&self) -> Vec<String> {
        self.known_charges
            .read()
            .expect("charges lock")
            .iter()
            .cloned()
            .collect()
    }

    fn analyze(
        &self,
        analyzer: &Mutex<TextAnalyzer>,
        text: &str,
        filter: bool,
    ) -> Vec<(String, u32)> {
        let mut a = analyzer.lock().expect("analyzer lock");
        let mut stream = a.token_stream(text);
        let mut counts: HashMap<String, u32> = HashMap::new();
        while let Some(t) = stream.next() {
            if !filter || keep(&t.text) {
                *counts.entry(t.text.clone()).or_insert(0) += 1;
            }
        }
        let mut out: Vec<(String, u32)> = counts.into_iter().collect();
        out.sort();
        out
    }

    fn check_text(text: &str) -> Result<(), IndexError> {
        if text.trim().is_empty() {
            return Err(IndexError::BadQuery(
                "the query text is empty: send the facts of the case".into(),
            ));
        }
        let n = text.chars().count();
        if n > MAX_QUERY_CHARS {
            return Err(IndexError::BadQuery(format!(
                "the query text has {n} characters; at most {MAX_QUERY_CHARS} are accepted: send the facts section"
            )));
        }
        Ok(())
    }

    /// The query's terms that occur in the index, each field's most informative first.
    fn query_terms(
        &self,
        searcher: &Searcher,
        text: &str,
        weights: &Weights,
    ) -> Result<Vec<QueryTerm>, IndexError> {
        Self::check_text(text)?;
        let docs = searcher.num_docs().max(1) as f32;
        let mut out = Vec::new();
        for (field, analyzer, weight, is_word) in [
            (self.fields.words, &self.words_analyzer, 1.0, true),
            (
                self.fields.bigrams,
                &self.bigram_analyzer,
                weights.bigrams,
                false,
            ),
        ] {
            if weight <= 0.0 {
                continue;
            }
            let mut terms = Vec::new();
            for (text, tf) in self.analyze(analyzer, text, is_word) {
                let term = Term::from_field_text(field, &text);
                let df = searcher.doc_freq(&term)? as f32;
                if df == 0.0 {
                    continue; // matches nothing
                }
                // Query term frequency counts, dampened like BM25's k3 saturation.
                let boost = weight * (1.0 + (tf as f32).ln());
                let idf = (1.0 + (docs - df + 0.5) / (df + 0.5)).ln();
                terms.push(QueryTerm {
                    text,
                    term,
                    boost,
                    informativeness: boost * idf,
                    is_word,
                    doc_freq: df as u64,
                });
            }
            terms.sort_by(|a, b| {
                b.informativeness
                    .total_cmp(&a.informativeness)
                    .then_with(|| a.text.cmp(&b.text))
            });
            out.extend(terms);
        }
        Ok(out)
    }

    fn text_query(terms: &[QueryTerm], per_field: usize) -> BooleanQuery {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for is_word in [true, false] {
            for t in terms
                .iter()
                .filter(|t| t.is_word == is_word)
                .take(per_field)
            {
                let q = TermQuery::new(t.term.clone(), IndexRecordOption::WithFreqs);
                clauses.push((
                    Occur::Should,
                    Box::new(BoostQuery::new(Box::new(q), t.boost)),
                ));
            }
        }
        BooleanQuery::new(clauses)
    }

    /// BM25 of every query term for each of `docs`, through tantivy's own term scorers: the whole
    /// query scores only these documents, and each word's share is kept for the explanation.
    fn score_docs(
        &self,
        searcher: &Searcher,
        terms: &[QueryTerm],
        docs: &[DocAddress],
    ) -> Result<Vec<Scored>, IndexError> {
        let mut out: Vec<Scored> = docs
            .iter()
            .map(|_| Scored {
                score: 0.0,
                words: Vec::new(),
            })
            .collect();
        // Per segment, the candidates in doc order (term scorers only move forward).
        let mut by_segment: HashMap<u32, Vec<(DocId, usize)>> = HashMap::new();
        for (i, d) in docs.iter().enumerate() {
            by_segment
                .entry(d.segment_ord)
                .or_default()
                .push((d.doc_id, i));
        }
        for list in by_segment.values_mut() {
            list.sort_unstable();
        }
        let statistics =
            QueryStatistics::new(searcher, &[self.fields.words, self.fields.bigrams], terms)?;
        let scoring = EnableScoring::enabled_from_statistics_provider(&statistics, searcher);
        for (ti, t) in terms.iter().enumerate() {
            let weight =
                TermQuery::new(t.term.clone(), IndexRecordOption::WithFreqs).weight(scoring)?;
            for (segment, list) in &by_segment {
                let reader = searcher.segment_reader(*segment);
                let mut scorer = weight.scorer(reader, t.boost)?;
                for &(doc, i) in list {
                    if scorer.doc() > doc {
                        continue;
                    }
                    if scorer.seek(doc) == doc {
                        let s = scorer.score();
                        out[i].score += s;
                        if t.is_word {
                            out[i].words.push((ti as u32, s));
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    fn addresses(
        &self,
        searcher: &Searcher,
        ids: &[String],
    ) -> Result<Vec<(String, DocAddress)>, IndexError> {
        let query = TermSetQuery::new(
            ids.iter()
                .map(|id| Term::from_field_text(self.fields.id, id)),
        );
        let found = searcher.search(
            &query,
            &TopDocs::with_limit(ids.len().max(1)).order_by_score(),
        )?;
        let mut out = Vec::with_capacity(found.len());
        for (_, addr) in found {
            if let Some(id) = self.fast_strings(searcher, addr, "id")?.into_iter().next() {
                out.push((id, addr));
            }
        }
        Ok(out)
    }

    fn fast_strings(
        &self,
        searcher: &Searcher,
        addr: DocAddress,
        field: &str,
    ) -> Result<Vec<String>, IndexError> {
        let reader = searcher.segment_reader(addr.segment_ord);
        let Some(column): Option<StrColumn> = reader.fast_fields().str(field)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for ord in column.term_ords(addr.doc_id) {
            let mut s = String::new();
            column
                .ord_to_str(ord, &mut s)
                .map_err(|e| IndexError::Tantivy(e.into()))?;
            out.push(s);
        }
        Ok(out)
    }

    /// BM25 scores of `text` against the cases `pool` (all of them get a score; non-matching get 0).
    pub fn pool_scores(
        &self,
        text: &str,
        pool: &[String],
        weights: &Weights,
    ) -> Result<HashMap<String, f32>, IndexError> {
        let searcher = self.reader.searcher();
        let terms = self.query_terms(&searcher, text, weights)?;
        let found = self.addresses(&searcher, pool)?;
        let addrs: Vec<DocAddress> = found.iter().map(|(_, a)| *a).collect();
        let scored = self.score_docs(&searcher, &terms, &addrs)?;
        let mut out: HashMap<String, f32> = pool.iter().map(|id| (id.clone(), 0.0)).collect();
        for ((id, _), s) in found.into_iter().zip(scored) {
            out.insert(id, s.score);
        }
        Ok(out)
    }

    /// Checks a filter against what the index holds, so that a misspelt court or charge is an
    /// error and not an empty answer.
    pub fn check_filter(&self, filter: &Filter) -> Result<(), IndexError> {
        if let (Some(from), Some(to)) = (filter.year_from, filter.year_to)
            && from > to
        {
            return Err(IndexError::BadQuery(format!(
                "the year range {from}–{to} is empty: year_from must not be after year_to"
            )));
        }
        let searcher = self.reader.searcher();
        for court in &filter.courts {
            if searcher.doc_freq(&Term::from_field_text(self.fields.court, court))? == 0 {
                return Err(IndexError::BadQuery(format!(
                    "unknown court 「{court}」: no indexed case is from it"
                )));
            }
        }
        let known = self.known_charges.read().expect("charges lock");
        for charge in &filter.charges {
            if !known.contains(charge) {
                let close: Vec<&str> = known
                    .iter()
                    .filter(|k| k.chars().any(|c| charge.contains(c) && c != '罪'))
                    .take(3)
                    .map(String::as_str)
                    .collect();
                return Err(IndexError::BadQuery(if close.is_empty() {
                    format!(
                        "unknown charge 「{charge}」: the index knows {} charges",
                        known.len()
                    )
                } else {
                    format!(
                        "unknown charge 「{charge}」: did you mean {}?",
                        close.join("、")
                    )
                }));
            }
        }
        Ok(())
    }

    fn filter_clauses(&self, filter: &Filter) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, values) in [
            (f.court, &filter.courts),
            (f.procedure, &filter.procedures),
            (f.charges, &filter.charges),
        ] {
            if !values.is_empty() {
                let set = TermSetQuery::new(values.iter().map(|v| Term::from_field_text(field, v)));
                out.push((Occur::Must, Box::new(set)));
            }
        }
        if filter.year_from.is_some() || filter.year_to.is_some() {
            let bound = |y: Option<u32>| match y {
                Some(y) => Bound::Included(Term::from_field_u64(f.year, u64::from(y))),
                None => Bound::Unbounded,
            };
            out.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    bound(filter.year_from),
                    bound(filter.year_to),
                )),
            ));
        }
        out
    }

    /// The best `k` cases for a query over the whole index, in two stages: the query's most
    /// informative terms find candidates fast (within the filter), then the whole query scores those
    /// candidates (as the evaluation does) and the fusion with shared charges and statutes orders
    /// them. Each hit says why: shared charges, statutes and the words that weighed most.
    pub fn search(
        &self,
        request: &SearchRequest<'_>,
        weights: &Weights,
    ) -> Result<Vec<Hit>, IndexError> {
        if request.k == 0 || request.k > MAX_HITS {
            return Err(IndexError::BadQuery(format!(
                "ask for 1 to {MAX_HITS} hits, not {}",
                request.k
            )));
        }
        self.check_filter(request.filter)?;
        let searcher = self.reader.searcher();
        let terms = self.query_terms(&searcher, request.text, weights)?;
        let mut clauses = self.filter_clauses(request.filter);
        clauses.push((
            Occur::Should,
            Box::new(Self::text_query(&terms, QUERY_TERMS_PER_FIELD)),
        ));
        if let Some(id) = request.exclude {
            clauses.push((
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(self.fields.id, id),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let found = searcher.search(
            &query,
            &TopDocs::with_limit((request.k * 10).max(CANDIDATES)).order_by_score(),
        )?;
        let addrs: Vec<DocAddress> = found.iter().map(|(_, a)| *a).collect();
        let scored = self.score_docs(&searcher, &terms, &addrs)?;
        let best = scored.iter().map(|s| s.score).fold(0.0f32, f32::max);
        let distinct = |v: &[String]| v.iter().collect::<HashSet<_>>().len();
        let (query_charges, query_statutes) =
            (distinct(request.charges), distinct(request.statutes));
        let mut labels: HashMap<u32, SegmentLabels> = HashMap::new();
        let mut ranked = Vec::with_capacity(addrs.len());
        for (addr, s) in addrs.into_iter().zip(scored) {
            let segment = match labels.entry(addr.segment_ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(SegmentLabels::new(
                    searcher.segment_reader(addr.segment_ord),
                    request.charges,
                    request.statutes,
                )?),
            };
            let [(charges, charge_overlap), (statutes, statute_overlap)] =
                segment.compare(addr.doc_id, query_charges, query_statutes);
            let fused = fuse(s.score, best, charge_overlap, statute_overlap, weights);
            ranked.push((fused, addr, s, charges, statutes));
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        ranked.truncate(request.k);
        let mut hits = Vec::with_capacity(ranked.len());
        for (fused, addr, s, charges, statutes) in ranked {
            let d: TantivyDocument = searcher.doc(addr)?;
            let text = |field: Field| {
                d.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let mut words = s.words;
            words.sort_by(|a, b| b.1.total_cmp(&a.1));
            hits.push(Hit {
                id: text(self.fields.id),
                score: fused,
                text_score: s.score,
                shared_charges: charges,
                shared_statutes: statutes,
                shared_terms: words
                    .iter()
                    .take(SHARED_TERMS_SHOWN)
                    .map(|&(ti, weight)| SharedTerm {
                        term: terms[ti as usize].text.clone(),
                        weight,
                    })
                    .collect(),
                case_number: text(self.fields.case_number),
                court: text(self.fields.court),
                year: d
                    .get_first(self.fields.year)
                    .and_then(|v| v.as_u64())
                    .map(|y| y as u32),
                procedure: text(self.fields.procedure),
                summary: text(self.fields.facts)
                    .chars()
                    .take(SUMMARY_CHARS)
                    .collect(),
            });
        }
        Ok(hits)
    }

    /// A bare tantivy BM25 query with the query text (all its terms, or the `terms_per_field` most
    /// informative per field), top `k`, no fusion and no stored fields read: the baselines
    /// benchmarks compare [`CaseIndex::search`] with.
    pub fn bare_search(
        &self,
        text: &str,
        k: usize,
        weights: &Weights,
        terms_per_field: Option<usize>,
    ) -> Result<usize, IndexError> {
        let searcher = self.reader.searcher();
        let terms = self.query_terms(&searcher, text, weights)?;
        let query = Self::text_query(&terms, terms_per_field.unwrap_or(usize::MAX));
        Ok(searcher
            .search(&query, &TopDocs::with_limit(k).order_by_score())?
            .len())
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
