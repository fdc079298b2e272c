//! The query side of the case index: a judgment's text analysed into weighted terms, BM25 over
//! both analyses with the index's own statistics, filters, candidates pooled and scored, and the
//! search that fuses them with the legal structure.

use super::*;

/// Words worth matching: at least one letter, digit or CJK character, and not a lone function character.
pub(super) fn keep(token: &str) -> bool {
    token.chars().count() > 1 && token.chars().any(char::is_alphanumeric)
}

/// A term of an analysed query.
pub(super) struct QueryTerm {
    pub(super) text: String,
    pub(super) term: Term,
    /// Query-side weight: field weight × (1 + ln qtf).
    pub(super) boost: f32,
    /// (1 + ln qtf) · idf: how informative the term is, to pick candidates with.
    pub(super) informativeness: f32,
    /// Words (true) or bigrams.
    pub(super) is_word: bool,
    /// Documents holding it.
    pub(super) doc_freq: u64,
}

/// BM25 statistics for one query, read once: tantivy would otherwise look each term up again
/// for every scorer it builds.
pub(super) struct QueryStatistics {
    pub(super) docs: u64,
    pub(super) tokens: HashMap<Field, u64>,
    pub(super) doc_freq: HashMap<Term, u64>,
}

impl QueryStatistics {
    pub(super) fn new(
        searcher: &Searcher,
        fields: &[Field],
        terms: &[QueryTerm],
    ) -> tantivy::Result<Self> {
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
pub(super) struct SegmentLabels {
    pub(super) charges: Option<StrColumn>,
    pub(super) statutes: Option<StrColumn>,
    /// Ordinals of the query's charges and statutes in this segment's dictionaries.
    pub(super) query_charges: HashMap<u64, String>,
    pub(super) query_statutes: HashMap<u64, String>,
    /// Each case's packed civil elements (`civil::CivilFacts`); absent in an index written before
    /// they were kept.
    pub(super) civil: Option<tantivy::columnar::Column<u64>>,
}

impl SegmentLabels {
    pub(super) fn new(
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
            civil: reader.fast_fields().u64("civil").ok(),
        })
    }

    /// The labels of `doc` the query shares, and the share of the query's labels it has (see
    /// [`coverage`]), for charges then statutes.
    pub(super) fn compare(
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

    /// The civil elements of `doc`, as indexed.
    pub(super) fn civil(&self, doc: DocId) -> crate::civil::CivilFacts {
        let packed = self.civil.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        crate::civil::CivilFacts::unpack(packed)
    }
}

/// Text scores of candidates, with each word's contribution.
pub(super) struct Scored {
    pub(super) score: f32,
    pub(super) words: Vec<(u32, f32)>,
}

/// A candidate after fusion: its fused score, where it is, its text score with the words that
/// weighed, and the charges and statutes it shares with the query.
/// A candidate in order: fused score, address, text score, shared charges, statutes, elements.
type Ranked = (
    f32,
    DocAddress,
    Scored,
    Vec<String>,
    Vec<String>,
    Vec<String>,
);

impl CaseIndex {
    pub(super) fn analyze(
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

    pub(super) fn check_text(text: &str) -> Result<(), IndexError> {
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
    pub(super) fn query_terms(
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
            for (text, tf) in Self::analyze(analyzer, text, is_word) {
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

    pub(super) fn text_query(terms: &[QueryTerm], per_field: usize) -> BooleanQuery {
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
    pub(super) fn score_docs(
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

    pub(super) fn addresses(
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
            if let Some(id) = Self::fast_strings(searcher, addr, "id")?.into_iter().next() {
                out.push((id, addr));
            }
        }
        Ok(out)
    }

    pub(super) fn fast_strings(
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
                let close = closest_charges(&known, charge);
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

    pub(super) fn filter_clauses(&self, filter: &Filter) -> Vec<(Occur, Box<dyn Query>)> {
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
        let addrs = self.candidates(&searcher, request, &terms)?;
        let scored = self.score_docs(&searcher, &terms, &addrs)?;
        let ranked = Self::fuse_candidates(&searcher, request, addrs, scored, weights)?;
        let mut hits = Vec::with_capacity(ranked.len());
        for r in ranked {
            hits.push(self.hit(&searcher, &terms, r)?);
        }
        Ok(hits)
    }

    /// The first stage of [`CaseIndex::search`]: the candidates the query's most informative terms
    /// find within the filter, less the excluded case.
    fn candidates(
        &self,
        searcher: &Searcher,
        request: &SearchRequest<'_>,
        terms: &[QueryTerm],
    ) -> Result<Vec<DocAddress>, IndexError> {
        let mut clauses = self.filter_clauses(request.filter);
        clauses.push((
            Occur::Should,
            Box::new(Self::text_query(terms, QUERY_TERMS_PER_FIELD)),
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
        Ok(found.iter().map(|(_, a)| *a).collect())
    }

    /// Fuses each candidate's text score with the charges (罪名 / 案由) and statutes it shares with
    /// the query, and keeps the best `k`, best first.
    fn fuse_candidates(
        searcher: &Searcher,
        request: &SearchRequest<'_>,
        addrs: Vec<DocAddress>,
        scored: Vec<Scored>,
        weights: &Weights,
    ) -> Result<Vec<Ranked>, IndexError> {
        let best = scored.iter().map(|s| s.score).fold(0.0f32, f32::max);
        let distinct = |v: &[String]| v.iter().collect::<HashSet<_>>().len();
        let (query_charges, query_statutes) =
            (distinct(request.charges), distinct(request.statutes));
        // A civil query is also compared on its claim's elements (crate::civil).
        let civil = crate::civil::is_civil(request.charges, request.text)
            .then(|| crate::civil::CivilFacts::of(request.text));
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
            // Elements order cases within the query's cause of action, never across causes: a
            // sales dispute with a guarantee is not a guaranteed loan.
            let same_cause = query_charges == 0 || charge_overlap > 0.0;
            let (elements, shared) = match civil.filter(|_| same_cause) {
                Some(q) => {
                    let x = segment.civil(addr.doc_id);
                    let score = crate::civil::element_score(q, x, &weights.elements);
                    let shared = if x.criminal {
                        Vec::new()
                    } else {
                        crate::civil::shared_elements(q, x)
                    };
                    (score, shared)
                }
                None => (0.0, Vec::new()),
            };
            let fused = fuse(s.score, best, charge_overlap, statute_overlap, weights) + elements;
            ranked.push((fused, addr, s, charges, statutes, shared));
        }
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        ranked.truncate(request.k);
        Ok(ranked)
    }

    /// Reads a ranked case's stored fields into a hit, with the words that weighed most.
    fn hit(
        &self,
        searcher: &Searcher,
        terms: &[QueryTerm],
        (fused, addr, s, charges, statutes, elements): Ranked,
    ) -> Result<Hit, IndexError> {
        let d: TantivyDocument = searcher.doc(addr)?;
        let text = |field: Field| {
            d.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let mut words = s.words;
        words.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(Hit {
            id: text(self.fields.id),
            score: fused,
            text_score: s.score,
            shared_charges: charges,
            shared_statutes: statutes,
            shared_elements: elements,
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
            date: text(self.fields.date).parse().ok(),
            procedure: text(self.fields.procedure),
            summary: text(self.fields.facts)
                .chars()
                .take(SUMMARY_CHARS)
                .collect(),
            outcome: serde_json::from_str(&text(self.fields.outcome)).unwrap_or_default(),
            civil_outcome: serde_json::from_str(&text(self.fields.civil_outcome))
                .unwrap_or_default(),
        })
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
}

/// The three known charges closest to a charge the index does not know, closest first: the same
/// charge written with or without 罪 (「盗窃」 for 盗窃罪) before any other, then one holding it or
/// held by it (「诈骗」 in 合同诈骗罪), then by characters shared; ties shortest first. Ordered by
/// closeness, not by the index's order, so the charge meant is never crowded out by charges that
/// merely share a character with it (outside tests, round 21b, 13).
fn closest_charges<'a>(known: &'a BTreeSet<String>, charge: &str) -> Vec<&'a str> {
    let core = charge.trim_end_matches('罪');
    let rank = |k: &str| {
        let k_core = k.trim_end_matches('罪');
        let shared = core.chars().filter(|&c| k_core.contains(c)).count();
        let tier = if k_core == core {
            0
        } else if !core.is_empty() && (k_core.contains(core) || core.contains(k_core)) {
            1
        } else {
            2
        };
        (tier, std::cmp::Reverse(shared), k.chars().count())
    };
    let mut close: Vec<&str> = known
        .iter()
        .map(String::as_str)
        .filter(|k| k.trim_end_matches('罪').chars().any(|c| core.contains(c)))
        .collect();
    close.sort_by_key(|k| rank(k));
    close.truncate(3);
    close
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charge_meant_comes_first_among_those_suggested() {
        let known: BTreeSet<String> = [
            "盗伐林木罪",
            "抢劫罪",
            "盗窃罪",
            "窃取信用卡信息罪",
            "盗掘古文化遗址罪",
            "合同诈骗罪",
            "诈骗罪",
        ]
        .map(String::from)
        .into();
        assert_eq!(closest_charges(&known, "盗窃")[0], "盗窃罪");
        assert_eq!(closest_charges(&known, "诈骗"), ["诈骗罪", "合同诈骗罪"]);
        assert_eq!(closest_charges(&known, "合同诈骗")[0], "合同诈骗罪");
        assert!(closest_charges(&known, "贪污罪").is_empty());
    }
}
