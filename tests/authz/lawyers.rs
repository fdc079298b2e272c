//! The LawyerDirectory cells of the authorization table: a call let through is answered (or
//! NOT_FOUND, INVALID_ARGUMENT for what it needs), a refused one PERMISSION_DENIED.

use ecenter_api::authz::Operation;
use ecenter_proto::v1 as pb;
use ecenter_proto::v1::lawyer_directory_client::LawyerDirectoryClient;

/// A complete entry for `identity` (the certificate number derived from its digits).
pub fn entry(identity: &str) -> pb::Lawyer {
    let digits: String = identity.chars().filter(char::is_ascii_digit).collect();
    pb::Lawyer {
        identity: identity.into(),
        name: "王律师".into(),
        licence_number: format!("{digits:0>17}"),
        law_firm: "湖北汉江律师事务所".into(),
        phone: "13900139000".into(),
        email: "wang@hanjiang-law.cn".into(),
    }
}

/// Makes `op`'s call as `stem` on `owner`'s entry.
pub async fn call(
    hub: std::net::SocketAddr,
    pki: &std::path::Path,
    stem: &str,
    op: Operation,
    owner: &str,
) -> Result<(), tonic::Status> {
    let mut c = LawyerDirectoryClient::new(crate::common::channel_as(hub, pki, stem).await);
    let outcome = match op {
        Operation::SetLawyer => c
            .set_lawyer(pb::SetLawyerRequest {
                lawyer: Some(entry(owner)),
            })
            .await
            .map(drop),
        Operation::GetLawyer => c
            .get_lawyer(pb::GetLawyerRequest {
                identity: owner.into(),
            })
            .await
            .map(drop),
        Operation::ListLawyers => c
            .list_lawyers(pb::ListLawyersRequest::default())
            .await
            .map(drop),
        Operation::RemoveLawyer => c
            .remove_lawyer(pb::RemoveLawyerRequest {
                identity: owner.into(),
                reason: "注销执业证".into(),
            })
            .await
            .map(drop),
        Operation::GetSignInState => c
            .get_sign_in_state(pb::GetLawyerRequest {
                identity: owner.into(),
            })
            .await
            .map(drop),
        Operation::LiftSignInStop => c
            .lift_sign_in_stop(pb::LiftSignInStopRequest {
                identity: owner.into(),
                reason: "律师来电，已核实身份".into(),
            })
            .await
            .map(drop),
        other => unreachable!("{other:?} is not a LawyerDirectory call"),
    };
    match outcome {
        Err(s) if s.code() == tonic::Code::PermissionDenied => Err(s),
        Err(s) if s.code() == tonic::Code::NotFound => Ok(()),
        other => other,
    }
}
