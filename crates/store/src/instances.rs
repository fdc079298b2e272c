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
use crate::checkpoint::Checkpoint;
use crate::postgres::PostgresConfig;
use crate::postgres::liveness::{Liveness, instance_id};
use crate::postgres::signing::Published;
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

    /// Whether this instance signs the chain's checkpoints: always for one hub alone; for
    /// several, only while it holds the signing lease ([`crate::postgres::signing`]) and is
    /// [`Instances::alive`].
    pub fn signs(&self) -> bool {
        match &self.shared {
            None => true,
            Some((liveness, _)) => {
                liveness
                    .signing()
                    .holds
                    .load(std::sync::atomic::Ordering::Acquire)
                    && self.alive()
            }
        }
    }

    /// Whether this instance's checkpointer runs: only then may it take the signing lease (for
    /// several instances; one hub alone always signs).
    pub fn want_to_sign(&self, wanted: bool) {
        if let Some((liveness, _)) = &self.shared {
            liveness.signing().want(wanted);
        }
    }

    /// A stopping instance's last word on signing, after its last checkpoint: it stops wanting
    /// the lease, and waits (3 s at most) until what it signed is published and the lease is
    /// free for a running instance. Blocks the calling thread; nothing to do for one hub alone.
    pub fn finish_signing(&self) {
        if let Some((liveness, _)) = &self.shared {
            liveness.signing().finish(std::time::Duration::from_secs(3));
        }
    }

    /// Publishes a checkpoint this instance signed (`public_key_pem` checks it) for every
    /// instance to name, and keeps it with the log; nothing to do for one hub alone, whose
    /// checkpoint files are the only copy.
    pub fn publish(&self, checkpoint: &Checkpoint, public_key_pem: &str) {
        if let Some((liveness, _)) = &self.shared {
            liveness.signing().publish(Published {
                checkpoint: checkpoint.clone(),
                public_key_pem: public_key_pem.to_string(),
                instance: self.id.clone(),
            });
        }
    }

    /// The newest checkpoint any instance published, as last read (once a second); `None` for
    /// one hub alone.
    pub fn published(&self) -> Option<Checkpoint> {
        self.shared
            .as_ref()
            .and_then(|(liveness, _)| liveness.signing().newest())
    }

    /// The checkpoint receipts and the chain head name: this instance's own newest (`own`) while
    /// it signs — always, for one hub alone; otherwise the newest any instance published (read
    /// once a second), once the replica's entry it names (`hash_at`, up to `head`) has its hash.
    pub fn to_name(
        &self,
        own: Option<Checkpoint>,
        head: u64,
        hash_at: impl Fn(u64) -> Option<[u8; 32]>,
    ) -> Option<Checkpoint> {
        let Some((liveness, _)) = &self.shared else {
            return own;
        };
        if self.signs() {
            return own;
        }
        liveness
            .signing()
            .newest()
            .filter(|cp| {
                cp.seq <= head && hash_at(cp.seq).map(hex::encode) == Some(cp.hash.clone())
            })
            .or(own)
    }

    /// How long a holder must have been seen stopped before its work is taken over: none for one
    /// hub alone (an earlier run cannot come back), `[store] takeover_after_secs` for several.
    pub fn takeover_after(&self) -> Duration {
        self.shared
            .as_ref()
            .map_or(Duration::ZERO, |(_, after)| *after)
    }
}
