//! Who holds the work this process leases, and which holders have stopped.
//!
//! The outbox writes this process's instance id into every lease it takes (`notice_sending`'s
//! `holder`). A lease still in flight whose holder has stopped may have reached the provider or
//! not: another instance sends it again, counted as a resend in doubt, with the same Message-ID
//! (ARCHITECTURE.md, "Electronic service on several instances").
//!
//! - **One hub on sled** owns its data directory alone (sled's file lock): every holder but this
//!   process is an earlier run of it, stopped.
//! - **Several hubs on PostgreSQL**: an instance runs while it holds its liveness lock
//!   ([`crate::postgres::liveness`]); a holder must have been seen stopped for
//!   `[store] takeover_after_secs` before its work is taken over.

use crate::StoreError;
use crate::postgres::PostgresConfig;
use crate::postgres::liveness::{Liveness, instance_id};
use std::time::Duration;

/// This process's instance and its view of the others.
pub struct Instances {
    id: String,
    shared: Option<(Liveness, Duration)>,
}

impl Instances {
    /// The only instance on its data directory.
    pub(crate) fn alone() -> Result<Instances, StoreError> {
        Ok(Instances {
            id: instance_id(crate::postgres::liveness::random_key()?),
            shared: None,
        })
    }

    /// One of several instances sharing the PostgreSQL log at `config`: takes its liveness lock
    /// before anything can be leased under its id.
    pub(crate) fn shared(config: &PostgresConfig) -> Result<Instances, StoreError> {
        let liveness = Liveness::start(config)?;
        Ok(Instances {
            id: liveness.id(),
            shared: Some((liveness, config.takeover_after())),
        })
    }

    /// The id this process writes into the leases it takes (`hub-` and eight hex digits, new at
    /// every start).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Of `holders` (ids found in leases in flight), those that have stopped. Errors only for
    /// several instances, when PostgreSQL cannot be asked.
    pub async fn stopped(&self, holders: &[String]) -> Result<Vec<String>, StoreError> {
        match &self.shared {
            None => Ok(holders.iter().filter(|h| **h != self.id).cloned().collect()),
            Some((liveness, _)) => {
                let mut stopped = liveness.stopped(holders).await?;
                stopped.retain(|h| *h != self.id);
                Ok(stopped)
            }
        }
    }

    /// Whether this instance may lease and hand over work: always for one hub alone; for several,
    /// only while its liveness lock was confirmed within half the takeover wait, 3 s at least
    /// (beyond that, others may be about to take its work over).
    pub fn alive(&self) -> bool {
        match &self.shared {
            None => true,
            Some((liveness, after)) => {
                liveness.confirmed_within((*after / 2).max(crate::postgres::liveness::MIN_WINDOW))
            }
        }
    }

    /// How long a holder must have been seen stopped before its work is taken over: none for one
    /// hub alone (an earlier run cannot come back), `[store] takeover_after_secs` for several.
    pub fn takeover_after(&self) -> Duration {
        self.shared
            .as_ref()
            .map_or(Duration::ZERO, |(_, after)| *after)
    }
}
