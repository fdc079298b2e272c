//! What the outbox does after each attempt, as pure decisions over explicit times and random draws so
//! every rule is testable: which failures are worth retrying, how long to wait (exponential backoff
//! with full jitter), when a message goes to the dead-letter queue, when the plan falls back to the
//! next channel, and when a provider's circuit breaker stops sending to it.

use std::time::{Duration, Instant};

/// How one send attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// The provider accepted the message (SMTP 250, SMPP submit_sm_resp OK). Not yet *reached*.
    Accepted,
    /// Worth retrying: a 4xx reply, a timeout, a refused or dropped connection, a TLS failure.
    Temporary(String),
    /// Final: a 5xx reply (no such mailbox, rejected), or an address the outbox suppresses.
    Permanent(String),
}

/// Classifies an SMTP outcome: `reply` is the server's code when it answered; `None` means the
/// attempt failed below SMTP (connect, TLS, timeout), which is temporary — the server may be back.
pub fn classify_smtp(reply: Option<u16>, detail: &str) -> Attempt {
    match reply {
        Some(200..=299) => Attempt::Accepted,
        Some(400..=499) => Attempt::Temporary(format!("{} {detail}", reply.unwrap_or(0))),
        Some(code @ 500..=599) => Attempt::Permanent(format!("{code} {detail}")),
        Some(code) => Attempt::Temporary(format!("unexpected reply {code} {detail}")),
        None => Attempt::Temporary(detail.to_string()),
    }
}

/// Exponential backoff with full jitter: attempt `n` waits a random time in `[0, min(cap, base·2ⁿ)]`,
/// so retries of many messages do not arrive at a recovering server together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first ceiling.
    pub base: Duration,
    /// The largest ceiling.
    pub cap: Duration,
    /// Attempts before a temporary failure becomes final (dead letter).
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 2 s doubling to 10 min, eight attempts (about half an hour of trying at most).
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(600),
            max_attempts: 8,
        }
    }
}

impl Backoff {
    /// The wait before attempt `attempt + 1` (0-based `attempt` just failed), for a uniform `draw`
    /// in [0, 1) from the caller's random source.
    pub fn delay(&self, attempt: u32, draw: f64) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(2u32.saturating_pow(attempt.min(31)))
            .min(self.cap);
        ceiling.mul_f64(draw.clamp(0.0, 1.0))
    }
}

/// What the outbox does next with one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Wait for the delivery report (or the channel's deadline): accepted is not reached.
    AwaitReport,
    /// Try the same channel again after this long.
    RetryAfter(Duration),
    /// Final failure on this channel: to the dead-letter queue (clerks see it), and the plan moves
    /// on to its next channel.
    DeadLetter(String),
}

/// The decision after attempt number `attempt` (0-based) ended as `outcome`.
pub fn after_attempt(backoff: &Backoff, attempt: u32, outcome: &Attempt, draw: f64) -> Next {
    match outcome {
        Attempt::Accepted => Next::AwaitReport,
        Attempt::Permanent(why) => Next::DeadLetter(format!("refused for good: {why}")),
        Attempt::Temporary(why) if attempt + 1 >= backoff.max_attempts => Next::DeadLetter(
            format!("still failing after {} attempts: {why}", attempt + 1),
        ),
        Attempt::Temporary(_) => Next::RetryAfter(backoff.delay(attempt, draw)),
    }
}

/// Whether the plan falls back to its next channel: on a final failure or when the channel's
/// deadline passed without effective service — never merely because a message was sent.
pub fn falls_back(dead_lettered: bool, deadline_passed: bool, effective: bool) -> bool {
    !effective && (dead_lettered || deadline_passed)
}

/// A provider's circuit breaker: after `threshold` consecutive failures it opens and nothing is sent
/// for `cooldown`; then one probe may go (half-open); its success closes it, its failure reopens it.
#[derive(Debug, Clone)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    failures: u32,
    open_until: Option<Instant>,
    probing: bool,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(threshold: u32, cooldown: Duration) -> CircuitBreaker {
        CircuitBreaker {
            threshold: threshold.max(1),
            cooldown,
            failures: 0,
            open_until: None,
            probing: false,
        }
    }

    /// Whether a send may start at `now` (in the half-open state, only the one probe).
    pub fn allow(&mut self, now: Instant) -> bool {
        match self.open_until {
            None => true,
            Some(until) if now < until => false,
            Some(_) if self.probing => false,
            Some(_) => {
                self.probing = true;
                true
            }
        }
    }

    /// Records how a send ended.
    pub fn record(&mut self, success: bool, now: Instant) {
        if success {
            self.failures = 0;
            self.open_until = None;
            self.probing = false;
            return;
        }
        self.failures += 1;
        if self.probing || self.failures >= self.threshold {
            self.open_until = Some(now + self.cooldown);
            self.probing = false;
        }
    }

    /// Whether it currently refuses sends (open, cooldown not over).
    pub fn is_open(&self, now: Instant) -> bool {
        self.open_until.is_some_and(|until| now < until)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_4xx_and_network_failures_are_temporary_5xx_final() {
        assert_eq!(classify_smtp(Some(250), "ok"), Attempt::Accepted);
        assert!(matches!(
            classify_smtp(Some(451), "try later"),
            Attempt::Temporary(m) if m.starts_with("451")
        ));
        assert!(matches!(
            classify_smtp(Some(550), "no such user"),
            Attempt::Permanent(m) if m.contains("no such user")
        ));
        assert!(matches!(
            classify_smtp(None, "connection refused"),
            Attempt::Temporary(_)
        ));
    }

    #[test]
    fn backoff_doubles_to_its_cap_and_jitter_spreads_below_the_ceiling() {
        let b = Backoff::default();
        assert_eq!(b.delay(0, 1.0), Duration::from_secs(2));
        assert_eq!(b.delay(3, 1.0), Duration::from_secs(16));
        assert_eq!(b.delay(20, 1.0), Duration::from_secs(600));
        assert_eq!(b.delay(40, 1.0), Duration::from_secs(600), "no overflow");
        assert_eq!(b.delay(3, 0.5), Duration::from_secs(8));
        assert_eq!(b.delay(3, 0.0), Duration::ZERO);
    }

    #[test]
    fn retries_end_in_the_dead_letter_queue_and_accepted_waits_for_the_report() {
        let b = Backoff {
            max_attempts: 3,
            ..Backoff::default()
        };
        let temporary = Attempt::Temporary("421 busy".into());
        assert_eq!(
            after_attempt(&b, 0, &temporary, 1.0),
            Next::RetryAfter(Duration::from_secs(2))
        );
        assert!(matches!(
            after_attempt(&b, 2, &temporary, 1.0),
            Next::DeadLetter(m) if m.contains("after 3 attempts")
        ));
        assert!(matches!(
            after_attempt(&b, 0, &Attempt::Permanent("550 no such user".into()), 0.3),
            Next::DeadLetter(m) if m.contains("550")
        ));
        assert_eq!(
            after_attempt(&b, 0, &Attempt::Accepted, 0.3),
            Next::AwaitReport
        );
    }

    #[test]
    fn the_plan_falls_back_on_failure_or_deadline_never_on_sent() {
        assert!(!falls_back(false, false, false), "sent, waiting: stay");
        assert!(falls_back(true, false, false), "final failure");
        assert!(
            falls_back(false, true, false),
            "deadline without effective service"
        );
        assert!(!falls_back(false, true, true), "already effective");
    }

    #[test]
    fn the_breaker_opens_after_failures_probes_once_and_closes_on_success() {
        let t0 = Instant::now();
        let mut cb = CircuitBreaker::new(3, Duration::from_secs(30));
        for _ in 0..2 {
            assert!(cb.allow(t0));
            cb.record(false, t0);
        }
        assert!(!cb.is_open(t0), "two failures: still closed");
        cb.record(false, t0);
        assert!(cb.is_open(t0) && !cb.allow(t0 + Duration::from_secs(10)));
        // Cooldown over: one probe, not two.
        let later = t0 + Duration::from_secs(31);
        assert!(cb.allow(later));
        assert!(!cb.allow(later));
        // The probe fails: open again for a full cooldown.
        cb.record(false, later);
        assert!(cb.is_open(later + Duration::from_secs(29)));
        // Next probe succeeds: closed.
        let much_later = later + Duration::from_secs(31);
        assert!(cb.allow(much_later));
        cb.record(true, much_later);
        assert!(cb.allow(much_later) && cb.allow(much_later));
    }
}
