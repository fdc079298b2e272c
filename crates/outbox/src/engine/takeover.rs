//! Taking over what a stopped instance was sending. A lease (`notice_sending`) names the instance
//! that took it; while that instance runs, nobody else touches the notice, whatever its age. Once
//! the store says the holder has stopped — for one hub alone, any earlier run; for several hubs on
//! PostgreSQL, an instance whose liveness lock has been free for `[store] takeover_after_secs` —
//! the notice is leased again under a live instance's lock, marked in doubt (it may have reached
//! the provider before the holder stopped), and sent with the same Message-ID and text.

use super::{Job, Outbox, Sending};
use ecenter_store::{EventStore, StoreError};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often leases held by other instances are looked at.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// What the outbox has seen of other instances' leases between looks.
#[derive(Default)]
pub(super) struct Takeover {
    last_look: Option<Instant>,
    /// Holders seen stopped, since when (continuously).
    stopped_since: HashMap<String, Instant>,
}

impl<S: EventStore> Outbox<S> {
    /// Looks (at most once a second) for leases whose holder has stopped long enough, and leases
    /// them again, in doubt.
    pub(super) async fn take_over(self: &Arc<Self>, takeover: &mut Takeover) {
        let now = Instant::now();
        if takeover
            .last_look
            .is_some_and(|at| now.duration_since(at) < LOOK_EVERY)
            || !self.store.instances().alive()
        {
            return;
        }
        takeover.last_look = Some(now);
        let found = match self.held_elsewhere() {
            Ok(found) => found,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the leases in flight");
                return;
            }
        };
        let holders: Vec<String> = found
            .iter()
            .map(|(_, h)| h.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let stopped = if holders.is_empty() {
            Vec::new()
        } else {
            match self.store.instances().stopped(&holders).await {
                Ok(stopped) => stopped,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot tell whether other instances still run; their leases wait");
                    return;
                }
            }
        };
        let ripe = takeover.ripe(stopped, now, self.store.instances().takeover_after());
        let jobs: Vec<Job> = found
            .into_iter()
            .filter(|(_, holder)| ripe.contains(holder))
            .map(|(job, holder)| {
                tracing::warn!(?job, %holder, "the instance that leased this notice stopped before recording its outcome: sending it again (possible duplicate)");
                job
            })
            .collect();
        if !jobs.is_empty() {
            self.lease(jobs, Sending::InDoubt, Arc::new(ripe));
        }
    }

    /// Notices in flight under another holder than this instance, on channels it sends on, with
    /// their holder.
    fn held_elsewhere(&self) -> Result<Vec<(Job, String)>, StoreError> {
        let me = self.store.instances().id();
        let mut found = Vec::new();
        for key in self.store.in_flight()? {
            let r = &key.recipient;
            let Some(service) = self.store.recipient_service(&r.order_id, &r.recipient_id)? else {
                continue;
            };
            if let Some(t) = service.trace(key.channel)
                && t.in_flight
                && t.holder != me
                && self.context.sends_on(key.channel)
            {
                let holder = t.holder.clone();
                found.push((Job::Send(key), holder));
            }
        }
        for id in self.store.notices_in_flight()? {
            if let Some(n) = self.store.filing_notice(&id)?
                && n.in_flight
                && n.holder != me
                && self.context.sends_on(n.channel)
            {
                found.push((Job::Notice(id), n.holder));
            }
        }
        Ok(found)
    }
}

impl Takeover {
    /// Records that `stopped` were seen stopped at `now` (forgetting holders no longer seen so)
    /// and returns those seen stopped for at least `after`.
    fn ripe(&mut self, stopped: Vec<String>, now: Instant, after: Duration) -> HashSet<String> {
        let stopped: HashSet<String> = stopped.into_iter().collect();
        self.stopped_since.retain(|h, _| stopped.contains(h));
        for holder in stopped {
            self.stopped_since.entry(holder).or_insert(now);
        }
        self.stopped_since
            .iter()
            .filter(|(_, since)| now.duration_since(**since) >= after)
            .map(|(h, _)| h.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_holder_is_ripe_only_after_being_seen_stopped_for_the_whole_wait() {
        let mut t = Takeover::default();
        let start = Instant::now();
        let after = Duration::from_secs(20);
        let a = || vec!["hub-0000000a".to_string()];
        assert!(t.ripe(a(), start, after).is_empty());
        assert!(
            t.ripe(a(), start + Duration::from_secs(19), after)
                .is_empty()
        );
        // Seen running again (its lock taken again after a failover): the wait starts over.
        assert!(
            t.ripe(Vec::new(), start + Duration::from_secs(19), after)
                .is_empty()
        );
        assert!(
            t.ripe(a(), start + Duration::from_secs(25), after)
                .is_empty()
        );
        let ripe = t.ripe(a(), start + Duration::from_secs(45), after);
        assert!(ripe.contains("hub-0000000a"));
        // One hub alone: an earlier run is ripe at once.
        assert!(
            Takeover::default()
                .ripe(a(), start, Duration::ZERO)
                .contains("hub-0000000a")
        );
    }
}
