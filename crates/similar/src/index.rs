//! The case index: tantivy with two analyses of the text — jieba words (with every known charge name
//! added to jieba's dictionary, so 信用卡诈骗罪 stays one token) and character bigrams — scored by
//! BM25, then fused with the legal structure (shared charges and statutes).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery, TermSetQuery};
use tantivy::schema::{
    Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{NgramTokenizer, TextAnalyzer, TokenStream};
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument, Term, doc};

/// Why the index failed.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy reported an error.
    #[error("index error: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// The query is unusable.
    #[error("{0}")]
    BadQuery(String),
}

/// A judgment as indexed.
#[derive(Debug, Clone, Default)]
pub struct CaseDoc {
    /// Case id (or case number).
    pub id: String,
    /// Charges or causes of action (罪名 / 案由).
    pub charges: Vec<String>,
    /// Facts (or full text).
    pub text: String,
    /// Statutes cited, as article keys (刑法第264条).
    pub statutes: Vec<String>,
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
}

/// Weights of the fusion, tuned on the development split only (see docs/SIMILAR.md).
#[derive(Debug, Clone, Copy)]
pub struct Weights {
    /// Weight of the character-bigram BM25 relative to the word BM25.
    pub bigrams: f32,
    /// Weight of the Jaccard overlap of charges, against text scores normalised to [0, 1].
    pub charges: f32,
    /// Weight of the Jaccard overlap of cited statutes.
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

/// Terms kept per field of a query: the most informative by (1 + ln qtf) · idf. Long queries (a whole
/// facts section) otherwise expand into hundreds of frequent terms and cost hundreds of milliseconds.
pub const QUERY_TERMS_PER_FIELD: usize = 40;

/// Longest query text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 20_000;

/// The index with its fields and analyzers.
pub struct CaseIndex {
    index: Index,
    reader: IndexReader,
    writer: std::sync::Mutex<IndexWriter>,
    id: Field,
    words: Field,
    bigrams: Field,
    charges: Field,
    statutes: Field,
    words_analyzer: std::sync::Mutex<TextAnalyzer>,
    bigram_analyzer: std::sync::Mutex<TextAnalyzer>,
}

fn schema() -> Schema {
    let mut b = Schema::builder();
    b.add_text_field("id", STRING | STORED);
    let indexed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqs),
        )
    };
    b.add_text_field("words", indexed("legal_jieba"));
    b.add_text_field("bigrams", indexed("char_bigrams"));
    b.add_text_field("charges", STRING | STORED);
    b.add_text_field("statutes", STRING | STORED);
    b.build()
}

/// Words worth matching: at least one letter, digit or CJK character, and not a lone function character.
fn keep(token: &str) -> bool {
    token.chars().count() > 1 && token.chars().any(|c| c.is_alphanumeric())
}

impl CaseIndex {
    /// Opens the index in `dir` (creating it), or in memory without a directory; `charges` are added to
    /// jieba's dictionary so that each charge name is one token.
    pub fn open(dir: Option<&Path>, charges: &[String]) -> Result<CaseIndex, IndexError> {
        let index = match dir {
            Some(d) => {
                std::fs::create_dir_all(d)
                    .map_err(|e| IndexError::BadQuery(format!("{}: {e}", d.display())))?;
                let mmap = tantivy::directory::MmapDirectory::open(d)
                    .map_err(|e| IndexError::BadQuery(e.to_string()))?;
                Index::open_or_create(mmap, schema())?
            }
            None => Index::create_in_ram(schema()),
        };
        let mut jieba = jieba_rs::Jieba::new();
        for c in charges {
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
        let s = index.schema();
        let field = |name: &str| s.get_field(name).expect("field in schema");
        let writer = index.writer_with_num_threads(1, 64 * 1024 * 1024)?;
        let reader = index.reader()?;
        Ok(CaseIndex {
            id: field("id"),
            words: field("words"),
            bigrams: field("bigrams"),
            charges: field("charges"),
            statutes: field("statutes"),
            writer: std::sync::Mutex::new(writer),
            reader,
            index,
            words_analyzer: std::sync::Mutex::new(words),
            bigram_analyzer: std::sync::Mutex::new(bigram),
        })
    }

    /// Adds (or replaces) cases and makes them searchable.
    pub fn add(&self, docs: &[CaseDoc]) -> Result<(), IndexError> {
        let mut w = self.writer.lock().expect("writer lock");
        for d in docs {
            w.delete_term(Term::from_field_text(self.id, &d.id));
            let mut document = doc!(self.id => d.id.clone(), self.words => d.text.clone(), self.bigrams => d.text.clone());
            for c in &d.charges {
                document.add_text(self.charges, c);
            }
            for s in &d.statutes {
                document.add_text(self.statutes, s);
            }
            w.add_document(document)?;
        }
        w.commit()?;
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    /// Removes a case.
    pub fn remove(&self, id: &str) -> Result<(), IndexError> {
        let mut w = self.writer.lock().expect("writer lock");
        w.delete_term(Term::from_field_text(self.id, id));
        w.commit()?;
        drop(w);
        self.reader.reload()?;
        Ok(())
    }

    fn terms(
        &self,
        analyzer: &std::sync::Mutex<TextAnalyzer>,
        field: Field,
        text: &str,
        filter: bool,
    ) -> HashMap<String, u32> {
        let mut a = analyzer.lock().expect("analyzer lock");
        let mut stream = a.token_stream(text);
        let mut out = HashMap::new();
        while let Some(t) = stream.next() {
            if !filter || keep(&t.text) {
                *out.entry(t.text.clone()).or_insert(0) += 1;
            }
        }
        let _ = field;
        out
    }

    fn text_query(
        &self,
        text: &str,
        weights: &Weights,
        limit: Option<usize>,
    ) -> Result<BooleanQuery, IndexError> {
        if text.trim().is_empty() {
            return Err(IndexError::BadQuery("the query text is empty".into()));
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(IndexError::BadQuery(format!(
                "the query text is longer than {MAX_QUERY_CHARS} characters; send the facts section"
            )));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let searcher = self.reader.searcher();
        let docs = searcher.num_docs().max(1) as f32;
        for (field, analyzer, weight, filter) in [
            (self.words, &self.words_analyzer, 1.0, true),
            (self.bigrams, &self.bigram_analyzer, weights.bigrams, false),
        ] {
            if weight <= 0.0 {
                continue;
            }
            let mut terms: Vec<(f32, Term, f32)> = Vec::new();
            for (text, tf) in self.terms(analyzer, field, text, filter) {
                let term = Term::from_field_text(field, &text);
                let df = searcher.doc_freq(&term).unwrap_or(0) as f32;
                if df == 0.0 {
                    continue; // matches nothing
                }
                // Query term frequency counts, dampened like BM25's k3 saturation.
                let boost = weight * (1.0 + (tf as f32).ln());
                let idf = (1.0 + (docs - df + 0.5) / (df + 0.5)).ln();
                terms.push((boost * idf, term, boost));
            }
            terms.sort_by(|a, b| b.0.total_cmp(&a.0));
            for (_, term, boost) in terms.into_iter().take(limit.unwrap_or(usize::MAX)) {
                let q = TermQuery::new(term, IndexRecordOption::WithFreqs);
                clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost))));
            }
        }
        Ok(BooleanQuery::new(clauses))
    }

    /// BM25 scores of `text` against the cases `pool` (all of them get a score; non-matching get 0).
    pub fn pool_scores(
        &self,
        text: &str,
        pool: &[String],
        weights: &Weights,
    ) -> Result<HashMap<String, f32>, IndexError> {
        let text_query = self.text_query(text, weights, None)?;
        let restrict = TermSetQuery::new(pool.iter().map(|id| Term::from_field_text(self.id, id)));
        let query = BooleanQuery::new(vec![
            (Occur::Must, Box::new(restrict) as Box<dyn Query>),
            (Occur::Should, Box::new(text_query)),
        ]);
        let searcher = self.reader.searcher();
        let hits = searcher.search(
            &query,
            &TopDocs::with_limit(pool.len().max(1)).order_by_score(),
        )?;
        let mut out: HashMap<String, f32> = pool.iter().map(|id| (id.clone(), 0.0)).collect();
        for (score, addr) in hits {
            let d: TantivyDocument = searcher.doc(addr)?;
            if let Some(id) = d.get_first(self.id).and_then(|v| v.as_str()) {
                out.insert(id.to_string(), score);
            }
        }
        Ok(out)
    }

    /// The best `k` cases for a query over the whole index (optionally only those with `charge`), in
    /// two stages: the query's most informative terms find candidates fast, then the whole query
    /// scores those candidates (as the evaluation does) and the fusion with shared charges and
    /// statutes orders them.
    pub fn search(
        &self,
        text: &str,
        query_charges: &[String],
        query_statutes: &[String],
        charge: Option<&str>,
        k: usize,
        weights: &Weights,
    ) -> Result<Vec<Hit>, IndexError> {
        let reduced = self.text_query(text, weights, Some(QUERY_TERMS_PER_FIELD))?;
        let query: Box<dyn Query> = match charge {
            Some(c) => Box::new(BooleanQuery::new(vec![
                (
                    Occur::Must,
                    Box::new(TermQuery::new(
                        Term::from_field_text(self.charges, c),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                ),
                (Occur::Should, Box::new(reduced)),
            ])),
            None => Box::new(reduced),
        };
        let searcher = self.reader.searcher();
        let found = searcher.search(
            &query,
            &TopDocs::with_limit((k * 10).max(100)).order_by_score(),
        )?;
        let mut candidates = Vec::with_capacity(found.len());
        for (_, addr) in found {
            let d: TantivyDocument = searcher.doc(addr)?;
            let all = |f: Field| {
                d.get_all(f)
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
            };
            let id = d
                .get_first(self.id)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            candidates.push((id, all(self.charges), all(self.statutes)));
        }
        let ids: Vec<String> = candidates.iter().map(|c| c.0.clone()).collect();
        let scores = if ids.is_empty() {
            HashMap::new()
        } else {
            self.pool_scores(text, &ids, weights)?
        };
        let best = scores.values().copied().fold(0.0f32, f32::max);
        let shared = |a: &[String], b: &[String]| {
            a.iter()
                .filter(|x| b.contains(x))
                .cloned()
                .collect::<Vec<_>>()
        };
        let mut hits: Vec<Hit> = candidates
            .into_iter()
            .map(|(id, charges, statutes)| {
                let score = scores.get(&id).copied().unwrap_or(0.0);
                Hit {
                    score: fuse(
                        score,
                        best,
                        jaccard(query_charges, &charges),
                        jaccard(query_statutes, &statutes),
                        weights,
                    ),
                    text_score: score,
                    shared_charges: shared(query_charges, &charges),
                    shared_statutes: shared(query_statutes, &statutes),
                    id,
                }
            })
            .collect();
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
        hits.truncate(k);
        Ok(hits)
    }

    /// A bare tantivy BM25 query with the whole query text, top `k`, no fusion and no stored fields
    /// read: the baseline benchmarks compare [`CaseIndex::search`] with.
    pub fn bare_search(
        &self,
        text: &str,
        k: usize,
        weights: &Weights,
    ) -> Result<usize, IndexError> {
        let query = self.text_query(text, weights, None)?;
        Ok(self
            .reader
            .searcher()
            .search(&query, &TopDocs::with_limit(k).order_by_score())?
            .len())
    }

    /// The charges stored for a case.
    pub fn charges_of(&self, id: &str) -> Result<Vec<String>, IndexError> {
        let searcher = self.reader.searcher();
        let q = TermQuery::new(Term::from_field_text(self.id, id), IndexRecordOption::Basic);
        let hits = searcher.search(&q, &TopDocs::with_limit(1).order_by_score())?;
        let Some((_, addr)) = hits.first() else {
            return Ok(Vec::new());
        };
        let d: TantivyDocument = searcher.doc(*addr)?;
        Ok(d.get_all(self.charges)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect())
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

/// Jaccard overlap of two sets of labels (charges, statute keys).
pub fn jaccard(a: &[String], b: &[String]) -> f32 {
    let a: HashSet<&String> = a.iter().collect();
    let b: HashSet<&String> = b.iter().collect();
    let union = a.union(&b).count();
    if union == 0 {
        0.0
    } else {
        a.intersection(&b).count() as f32 / union as f32
    }
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
