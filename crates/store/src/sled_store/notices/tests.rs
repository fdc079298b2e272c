//! The notices model against a real sled store: who is told of which filing (co-counsel hear of
//! the lawyer who registered them, never of the other side), and a notice's end.

use super::*;
use crate::{EventLog, NoticeReads};
use ecenter_domain::event::{FilingReceived, ReceivedDocument};

const A: &str = "urn:ecenter:lawyer:a";
const B: &str = "urn:ecenter:lawyer:b";
const C: &str = "urn:ecenter:lawyer:c";
const CASE: &str = "（2026）鄂06民初777号";

async fn append(store: &SledStore, events: Vec<Event>) -> u64 {
    let (appended, ()) = store
        .append(Box::new(move |_: &dyn crate::ReadView| Ok((events, ()))))
        .await
        .unwrap();
    appended.last().unwrap().seq
}

fn email(address: &str) -> Vec<NoticeAddress> {
    vec![NoticeAddress {
        channel: Channel::Email,
        address: address.into(),
    }]
}

fn filed(id: &str, by: &str) -> Event {
    Event::FilingReceived(FilingReceived {
        filing_id: id.into(),
        request_id: id.into(),
        fingerprint: "x".into(),
        submitter: by.into(),
        case_number: Some(ecenter_domain::CaseNumber::parse(CASE).unwrap()),
        filing_kind: "答辩状".into(),
        title: "答辩".into(),
        documents: vec![ReceivedDocument {
            document_id: "D1".into(),
            name: "答辩状.pdf".into(),
            size: 1,
            media_type: "application/pdf".into(),
            sha256: "a".repeat(64),
        }],
        corrects_filing_id: None,
        submitter_listed: None,
    })
}

fn told(store: &SledStore, filing: &str) -> Vec<String> {
    let mut who: Vec<String> = store
        .notices_of_filing(filing)
        .unwrap()
        .into_iter()
        .map(|n| n.identity)
        .collect();
    who.sort();
    who
}

fn co_counsel(by: &str, identity: &str, removed: bool) -> Event {
    let (case_number, identity, by) = (CASE.to_string(), identity.to_string(), by.to_string());
    if removed {
        Event::CoCounselRemoved {
            case_number,
            identity,
            by,
        }
    } else {
        Event::CoCounselRegistered {
            case_number,
            identity,
            by,
        }
    }
}

#[tokio::test]
async fn co_counsel_hear_of_the_registering_lawyers_filings_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let mut opt_in = Vec::new();
    for (who, at) in [(A, "a@x.cn"), (B, "b@x.cn"), (C, "c@x.cn")] {
        opt_in.push(Event::NoticeAddressesSet {
            identity: who.into(),
            addresses: email(at),
        });
    }
    append(&store, opt_in).await;
    append(&store, vec![co_counsel(A, C, false)]).await;
    assert_eq!(store.co_counsel(CASE, A).unwrap(), [C]);
    assert!(store.co_counsel(CASE, B).unwrap().is_empty());

    // B is on the other side of the case: C, A's co-counsel, hears nothing of B's filing.
    append(&store, vec![filed("F000000000101", B)]).await;
    assert_eq!(told(&store, "F000000000101"), [B]);
    append(&store, vec![filed("F000000000102", A)]).await;
    assert_eq!(told(&store, "F000000000102"), [A, C]);
    append(&store, vec![co_counsel(A, C, true)]).await;
    append(&store, vec![filed("F000000000103", A)]).await;
    assert_eq!(told(&store, "F000000000103"), [A]);
    assert_eq!(store.notices_due(Utc::now(), 100).unwrap().len(), 4);
}

#[tokio::test]
async fn a_final_result_takes_a_notice_off_the_queue_and_a_hard_bounce_suppresses() {
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path()).unwrap();
    let opt_in = Event::NoticeAddressesSet {
        identity: A.into(),
        addresses: email("Zhang@x.cn"),
    };
    append(&store, vec![opt_in]).await;
    let seq = append(&store, vec![filed("F000000000201", A)]).await;
    let id = format!("N{seq}-1");
    assert_eq!(store.notices_due(Utc::now(), 10).unwrap(), vec![id.clone()]);
    let result = |suppress| Event::FilingNotice {
        notice_id: id.clone(),
        event: FilingNoticeEvent::Result {
            attempt: 1,
            result: AttemptResult::Permanent {
                detail: "550 5.1.1 no such user".into(),
                suppress,
            },
        },
    };
    append(&store, vec![result(true)]).await;
    assert!(store.notices_due(Utc::now(), 10).unwrap().is_empty());
    assert!(store.next_notice_due().unwrap().is_none());
    assert!(store.notices_in_flight().unwrap().is_empty());
    use crate::ServiceReads;
    assert_eq!(
        store.suppressed("zhang@x.cn").unwrap().as_deref(),
        Some("550 5.1.1 no such user")
    );
}
