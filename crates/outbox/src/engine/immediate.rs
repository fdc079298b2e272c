//! Messages sent at once, outside the queue: for what is worth nothing later, such as the portal's
//! sign-in codes. The caller records the lease before and the outcome after; nothing is retried.

use super::Outbox;
use ecenter_delivery::policy::Attempt;
use ecenter_domain::effective_service::Channel;
use ecenter_store::EventStore;
use std::time::Instant;

/// A message handed to a provider at once ([`Outbox::send_now`]).
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// E-mail or SMS.
    pub channel: Channel,
    /// The e-mail address or mobile number.
    pub address: &'a str,
    /// E-mail subject (unused for SMS).
    pub subject: &'a str,
    /// The text.
    pub body: &'a str,
    /// Message-ID for e-mail.
    pub message_id: &'a str,
}

/// What became of a message sent at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentNow {
    /// The provider's reply (queue id, message ids) when it accepted, else why not (for the log).
    pub result: Result<String, String>,
    /// Whether it may have gone out although not accepted (the connection broke mid-hand-over).
    pub maybe_sent: bool,
}

impl<S: EventStore> Outbox<S> {
    /// Sends `m` now, outside the queue, through the same providers, rate limits, circuit breaker
    /// and bounce suppression as notices: for messages worth nothing later, such as the portal's
    /// sign-in codes (the caller records the lease and the outcome). Not retried: the person
    /// waiting asks again.
    /// words for the log.
    pub async fn send_now(&self, m: Outgoing<'_>) -> SentNow {
        let refused = |why: String| SentNow {
            result: Err(why),
            maybe_sent: false,
        };
        if !self.context.has_channel(m.channel) || !self.context.sends_on(m.channel) {
            return refused("the channel is not configured on this instance".into());
        }
        match self.store.suppressed(m.address) {
            Ok(Some(why)) => return refused(format!("the address bounced before: {why}")),
            Ok(None) => {}
            Err(e) => return refused(e.to_string()),
        }
        let open = self
            .breaker(m.channel)
            .lock()
            .expect("breaker lock")
            .allow(Instant::now());
        if !open {
            return refused("the channel's circuit breaker is open".into());
        }
        let handed = self.hand_over(&m).await;
        let ok = !matches!(handed.outcome, Attempt::Temporary(_));
        self.breaker(m.channel)
            .lock()
            .expect("breaker lock")
            .record(ok, Instant::now());
        let result = match handed.outcome {
            Attempt::Accepted => Ok(handed.reply),
            Attempt::Temporary(d) => Err(format!("temporary: {d}")),
            Attempt::Permanent(d) => Err(format!("permanent: {d}")),
        };
        SentNow {
            result,
            maybe_sent: handed.maybe_sent,
        }
    }
}
