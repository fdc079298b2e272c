//! What the read models' unit tests share: appending one event as a decision of its own, and a
//! passkey's registration to append.

use crate::{EventLog, ReadView, SledStore};
use ecenter_domain::Event;

/// Appends `event` through the writer, as a decision that reads nothing.
pub(super) async fn append(store: &SledStore, event: Event) {
    store
        .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
        .await
        .unwrap();
}

/// Lawyer 1 registered passkey `credential_id` with `challenge`.
pub(super) fn passkey_registered(credential_id: &str, challenge: &str) -> Event {
    Event::PasskeyRegistered(ecenter_domain::passkey::PasskeyRegistered {
        identity: "urn:ecenter:lawyer:1".into(),
        credential_id: credential_id.into(),
        public_key: "pQECAyYgASFYIA".into(),
        algorithm: ecenter_domain::passkey::ES256,
        sign_count: 1,
        name: "办公室电脑".into(),
        attestation: "none".into(),
        backed_up: false,
        challenge: challenge.into(),
        session: "s1".into(),
        client: String::new(),
    })
}
