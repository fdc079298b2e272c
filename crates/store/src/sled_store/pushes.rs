//! The similar-case pushes read model (`pushes` tree), kept in the same transaction as the log:
//! normalised case number → [`CasePushes`] (JSON): the case's latest push, how many were recorded,
//! and its opt-out.

use super::*;
use ecenter_domain::similar::push::{CasePushes, PushEvent};

/// Each case's pushes.
pub(super) struct PushModel;

impl Projection for PushModel {
    fn trees(&self) -> &'static [&'static str] {
        &["pushes"]
    }

    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult {
        let Some((case_number, push)) = PushEvent::of(event) else {
            return Ok(());
        };
        let tree = trees[0];
        let before = match tree.get(case_number.as_bytes())? {
            Some(v) => decode(&v, "case pushes").map_err(ConflictableTransactionError::Abort)?,
            None => CasePushes::empty(&case_number),
        };
        let after = before.apply(&push, pos);
        let json = serde_json::to_vec(&after).expect("case pushes serialise");
        tree.insert(case_number.as_bytes(), json)?;
        Ok(())
    }

    /// 2: cases keyed by the one spelling of their number (`CaseNumber::normalized`), however an
    /// earlier build recorded its parts (民初第, 執).
    fn version(&self) -> u32 {
        2
    }
}

pub(super) fn of_case(
    tree: &sled::Tree,
    case_number: &str,
) -> Result<Option<CasePushes>, StoreError> {
    tree.get(case_number.as_bytes())?
        .map(|v| decode(&v, "case pushes"))
        .transpose()
}

impl crate::PushReads for SledStore {
    fn case_pushes(&self, case_number: &str) -> Result<Option<CasePushes>, StoreError> {
        of_case(&self.inner.trees.pushes, case_number)
    }

    fn list_case_pushes(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<CasePushes>, StoreError> {
        let start = after.map_or_else(Vec::new, |a| {
            let mut k = a.as_bytes().to_vec();
            k.push(0);
            k
        });
        let mut found = Vec::new();
        for entry in self.inner.trees.pushes.range(start..).take(limit) {
            let (_, v) = entry?;
            found.push(decode(&v, "case pushes")?);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::append;
    use crate::{PushReads, SledStore};
    use ecenter_domain::similar::push::{CasePushSet, SimilarCasesPushed};
    use ecenter_domain::{CaseNumber, Event};

    fn pushed(case: &str, seq: u64) -> Event {
        Event::SimilarCasesPushed(SimilarCasesPushed {
            case_number: CaseNumber::parse(case).unwrap(),
            filing_id: "F1".into(),
            department: "立案庭".into(),
            docketed_seq: seq,
            docketed_at: chrono::Utc::now(),
            filings: vec!["F1".into()],
            query_sha256: String::new(),
            query_charges: Vec::new(),
            query_statutes: Vec::new(),
            index_seq: 0,
            hits: Vec::new(),
        })
    }

    #[tokio::test]
    async fn each_case_keeps_its_latest_push_and_opt_out_listed_by_case_number() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        // Two spellings of one case are one case.
        append(&store, pushed("(2026)鄂06刑初2号", 1)).await;
        append(&store, pushed("（2026）鄂06刑初2号", 3)).await;
        append(&store, pushed("（2026）鄂06刑初1号", 4)).await;
        let off = CasePushSet {
            case_number: CaseNumber::parse("（2026）鄂06刑初1号").unwrap(),
            by: "urn:ecenter:court:cms".into(),
            enabled: false,
            reason: "不需要".into(),
        };
        append(&store, Event::CasePushSet(off)).await;

        let two = store.case_pushes("（2026）鄂06刑初2号").unwrap().unwrap();
        assert_eq!(two.pushes, 2);
        assert_eq!(two.latest.unwrap().push.docketed_seq, 3);
        let one = store.case_pushes("（2026）鄂06刑初1号").unwrap().unwrap();
        assert!(one.opted_out.is_some());
        assert!(store.case_pushes("（2026）鄂06刑初3号").unwrap().is_none());

        let all = store.list_case_pushes(None, 10).unwrap();
        let numbers: Vec<&str> = all.iter().map(|c| c.case_number.as_str()).collect();
        assert_eq!(numbers, ["（2026）鄂06刑初1号", "（2026）鄂06刑初2号"]);
        let rest = store.list_case_pushes(Some(numbers[0]), 10).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].case_number, numbers[1]);
    }
}
