//! Similar-case clients and requests shared by the similar-case tests.

use super::*;
use ecenter_proto::v1::find_similar_request::Query;
use ecenter_proto::v1::similar_case_service_client::SimilarCaseServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// A FindSimilar request for the facts `text`, ten hits, under `filter`.
pub fn by_text(text: &str, filter: Option<pb::SimilarFilter>) -> pb::FindSimilarRequest {
    pb::FindSimilarRequest {
        query: Some(Query::Text(text.to_string())),
        filter,
        top_k: 10,
    }
}

/// A similar-case client of a development hub, acting as the court's system.
pub type DevClient = SimilarCaseServiceClient<InterceptedService<Channel, As>>;

pub async fn dev_client(hub: &TestHub) -> DevClient {
    SimilarCaseServiceClient::with_interceptor(channel(hub.addr).await, As::new(COURT))
}

/// The real judgments beside the project: (id, facts, full text).
pub fn judgments() -> Vec<(String, String, String)> {
    let (_, rows) = super::judgments::lecard_judgments();
    rows.into_iter()
        .map(|v| {
            (
                format!("J{}", v["id"]),
                v["fact"].as_str().unwrap().to_string(),
                v["query"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Judgment `i` as a court system sends it: courts, years and procedures vary with `i`.
pub fn judgment(i: usize, (id, facts, full): &(String, String, String)) -> pb::IndexCaseRequest {
    pb::IndexCaseRequest {
        case: Some(pb::IndexedCase {
            case_id: id.clone(),
            court: ["浙07", "鄂06", "京01"][i % 3].into(),
            year: 2019 + (i % 4) as u32,
            procedure: if i.is_multiple_of(5) {
                pb::Procedure::SecondInstance
            } else {
                pb::Procedure::FirstInstance
            } as i32,
            facts: facts.clone(),
            full_text: full.clone(),
            ..Default::default()
        }),
    }
}
