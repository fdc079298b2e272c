//! A case number an earlier build recorded in the parts it parsed (執字第 for 执, 粵 for 粤) is
//! the one case's number in every read model: held, listed and looked up under the one spelling,
//! both when such an entry is applied and when read models an earlier build wrote are rebuilt.

use super::*;
use crate::{EventLog, FilingFilter, FilingReads, NoticeReads};
use ecenter_domain::CaseNumber;
use ecenter_domain::event::{FilingReceived, ReceivedDocument};

const LAWYER: &str = "urn:ecenter:lawyer:a";
const CO_COUNSEL: &str = "urn:ecenter:lawyer:c";
const FILING: &str = "F000000000301";
/// The number as this build spells it.
const CASE: &str = "（2026）粤06执777号";

/// The parts a build from before 516d75c kept for 「（2026）粵06執字第777號」.
fn recorded_as_typed() -> CaseNumber {
    CaseNumber {
        year: 2026,
        court_code: "粵06".into(),
        case_type: "執字第".into(),
        sequence: 777,
    }
}

fn events() -> Vec<Event> {
    vec![
        Event::CoCounselRegistered {
            case_number: "（2026）粵06執字第777号".into(),
            identity: CO_COUNSEL.into(),
            by: LAWYER.into(),
        },
        Event::FilingReceived(FilingReceived {
            filing_id: FILING.into(),
            request_id: "r1".into(),
            fingerprint: "x".into(),
            submitter: LAWYER.into(),
            case_number: Some(recorded_as_typed()),
            filing_kind: "执行异议申请书".into(),
            title: "执行异议".into(),
            documents: vec![ReceivedDocument {
                document_id: "D1".into(),
                name: "异议.pdf".into(),
                size: 1,
                media_type: "application/pdf".into(),
                sha256: "a".repeat(64),
            }],
            corrects_filing_id: None,
            submitter_listed: None,
        }),
    ]
}

/// What a lawyer and the one-number check see of the case.
async fn assert_one_case(store: &SledStore) {
    let filing = store.filing(FILING).unwrap().unwrap();
    assert_eq!(filing.case_number, Some(CaseNumber::parse(CASE).unwrap()));
    let filter = FilingFilter {
        case_number: Some(CASE.into()),
        ..FilingFilter::default()
    };
    let listed = store.list_filings(&filter, None, 10).unwrap().filings;
    assert_eq!(listed.len(), 1, "listed under {CASE}");
    let (_, found) = store
        .append(Box::new(|view: &dyn crate::ReadView| {
            Ok((Vec::new(), view.case_filing(CASE, &|_| true)?))
        }))
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.filing_id).as_deref(), Some(FILING));
    assert_eq!(store.co_counsel(CASE, LAWYER).unwrap(), [CO_COUNSEL]);
}

/// A store in `dir` holding [`events`].
async fn recorded(dir: &std::path::Path) -> SledStore {
    let store = SledStore::open(dir).unwrap();
    store
        .append(Box::new(|_: &dyn crate::ReadView| Ok((events(), ()))))
        .await
        .unwrap();
    store
}

#[tokio::test]
async fn an_entry_recorded_as_typed_is_read_under_the_one_spelling() {
    let dir = tempfile::tempdir().unwrap();
    assert_one_case(&recorded(dir.path()).await).await;
}

#[tokio::test]
async fn read_models_an_earlier_build_wrote_are_rebuilt_under_the_one_spelling() {
    let dir = tempfile::tempdir().unwrap();
    drop(recorded(dir.path()).await);

    // The read models as the earlier build wrote them: the filing holding the parts as typed,
    // indexed under their spelling, and the projections' earlier versions.
    let old = "（2026）粵06執字第777号";
    {
        let db = open_db(&dir.path().join("log")).unwrap();
        let filings = db.open_tree("filings").unwrap();
        let mut filing: Filing = decode_filing(&filings.get(FILING).unwrap().unwrap()).unwrap();
        filing.case_number = Some(recorded_as_typed());
        filings
            .insert(FILING, serde_json::to_vec(&filing).unwrap())
            .unwrap();
        let by_case = db.open_tree("by_case").unwrap();
        by_case.remove(key2(CASE, FILING)).unwrap();
        by_case.insert(key2(old, FILING), &[]).unwrap();
        for tree in ["filings", "notices", "pushes"] {
            super::pretend_layout(&db, tree, 1).unwrap();
        }
        db.flush().unwrap();
    }

    let store = SledStore::open(dir.path()).unwrap();
    assert_one_case(&store).await;
    let db_by_case = &store.inner.trees.by_case;
    assert!(db_by_case.get(key2(old, FILING)).unwrap().is_none());
}
