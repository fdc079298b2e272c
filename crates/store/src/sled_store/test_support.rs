//! What the read models' unit tests share: appending one event as a decision of its own.

use crate::{EventLog, ReadView, SledStore};
use ecenter_domain::Event;

/// Appends `event` through the writer, as a decision that reads nothing.
pub(super) async fn append(store: &SledStore, event: Event) {
    store
        .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
        .await
        .unwrap();
}
