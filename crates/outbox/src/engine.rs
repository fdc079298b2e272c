//! The outbox engine shared by every channel. Its queue is a projection of the log (`due` work,
//! written in the same transaction as the event that made it due), so a crash loses nothing:
//!
//! 1. a worker leases a due send by appending `notice_sending` (durable before the provider sees
//!    anything: the lease is the event),
//! 2. sends with the notice's idempotency key as Message-ID,
//! 3. records `notice_result`: accepted (then the channel's deadline is due), temporary (due again
//!    after exponential backoff with full jitter) or permanent (dead letter, next channel).
//!
//! An attempt whose result was never recorded (the hub stopped between 2 and 3) is sent again at
//! start-up with the same Message-ID and counted as a resend in doubt: at-least-once, duplicates
//! bounded by one per crash and counted. Per-provider rate limits and a circuit breaker protect the
//! relay; deadlines fall back to the next channel; proofs are issued once service takes effect.

use crate::config::ServiceContext;
use chrono::Utc;
use ecenter_delivery::policy::{Attempt, CircuitBreaker};
use ecenter_domain::effective_service::Channel;
use ecenter_domain::service::{AttemptResult, DueAction, ProofRef, RecipientEvent};
use ecenter_domain::{DeliveryKey, Event, RecipientKey};
use ecenter_store::{DueWork, EventStore, ReadView, StoreError};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use ring::rand::{SecureRandom, SystemRandom};
use std::collections::HashSet;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{Semaphore, watch};
use tokio_util::task::TaskTracker;

mod filing_notices;
mod immediate;
pub use immediate::{Outgoing, SentNow};
mod lease;
mod receipts;
mod takeover;
use lease::{Lease, LeaseBatch, lease_one};

/// Work items looked at per pass.
const PASS: usize = 2048;
/// Longest the engine sleeps without looking at the queue again.
const IDLE: Duration = Duration::from_millis(500);
/// Notices leased by one log append.
const LEASE_BATCH: usize = 256;
/// Shortest time between two looks at the queue.
const MIN_PASS_INTERVAL: Duration = Duration::from_millis(20);

/// What the engine is working on, so one item is never worked on twice at once.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Job {
    Send(DeliveryKey),
    /// A deadline or a receipt timeout.
    Timer(DeliveryKey, DueAction),
    Proof(RecipientKey),
    /// Sending a notice of filing.
    Notice(String),
}

/// Whether a notice is sent because it is due, or again because an earlier start leased it and
/// stopped before its outcome was recorded (it may have gone out: a possible duplicate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sending {
    /// Due now.
    Due,
    /// Leased by an instance that stopped (this hub's earlier run, or another instance) before
    /// its outcome was recorded.
    InDoubt,
}

/// What a provider answered for one attempt: the outcome, its reply (the relay's queue id or the
/// SMSC's message ids) and whether the notice may have gone out although not accepted.
struct Handed {
    outcome: Attempt,
    reply: String,
    maybe_sent: bool,
}

/// Counters for operators and benchmarks.
#[derive(Debug, Default)]
pub struct OutboxStats {
    /// Notices handed to a provider and accepted.
    pub accepted: std::sync::atomic::AtomicU64,
    /// Attempts that failed.
    pub failed: std::sync::atomic::AtomicU64,
    /// Attempts sent again after a crash (possible duplicates).
    pub resent_in_doubt: std::sync::atomic::AtomicU64,
    /// Proofs issued.
    pub proofs: std::sync::atomic::AtomicU64,
    /// SMS delivery receipts recorded.
    pub receipts_recorded: std::sync::atomic::AtomicU64,
    /// SMS delivery receipts for message ids the hub never sent (logged, acknowledged, dropped).
    pub receipts_unmatched: std::sync::atomic::AtomicU64,
}

/// The engine.
pub struct Outbox<S> {
    store: Arc<S>,
    context: Arc<ServiceContext>,
    running: Mutex<HashSet<Job>>,
    permits: Arc<Semaphore>,
    email_limit: DefaultDirectRateLimiter,
    email_breaker: Mutex<CircuitBreaker>,
    sms_limit: DefaultDirectRateLimiter,
    sms_breaker: Mutex<CircuitBreaker>,
    rng: SystemRandom,
    /// Outcomes of finished sends waiting to be recorded together.
    outcomes: Mutex<Vec<Event>>,
    outcomes_ready: tokio::sync::Notify,
    /// Turns true when the engine stops: leased notices not yet handed to a provider are given
    /// back (recorded as not sent) instead of being left in flight.
    stopping: watch::Sender<bool>,
    /// Lease batches and sends not yet finished (each gives its outcome before the log closes).
    /// A task that ends, even by panicking, leaves the tracker.
    sends: TaskTracker,
    /// Set once stopping has waited as long as it will: the recorder writes what it has and ends.
    draining: std::sync::atomic::AtomicBool,
    /// Counters.
    pub stats: OutboxStats,
}

fn random_draw(rng: &SystemRandom) -> f64 {
    let mut b = [0u8; 8];
    rng.fill(&mut b).expect("the system random source works");
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

impl<S: EventStore> Outbox<S> {
    /// An engine over `store`.
    pub fn new(store: Arc<S>, context: Arc<ServiceContext>) -> Arc<Self> {
        let c = &context.config;
        let rate = NonZeroU32::new(c.rate_per_second.max(1)).expect("at least 1");
        let breaker = || {
            Mutex::new(CircuitBreaker::new(
                c.retry.breaker_threshold.max(1),
                Duration::from_secs(c.retry.breaker_cooldown_secs),
            ))
        };
        let sms_rate = c
            .sms
            .as_ref()
            .and_then(|s| s.rate_per_second)
            .and_then(NonZeroU32::new)
            .unwrap_or(rate);
        Arc::new(Outbox {
            permits: Arc::new(Semaphore::new(c.workers.max(1))),
            email_limit: RateLimiter::direct(Quota::per_second(rate)),
            email_breaker: breaker(),
            sms_limit: RateLimiter::direct(Quota::per_second(sms_rate)),
            sms_breaker: breaker(),
            store,
            context,
            running: Mutex::new(HashSet::new()),
            rng: SystemRandom::new(),
            outcomes: Mutex::new(Vec::new()),
            outcomes_ready: tokio::sync::Notify::new(),
            stopping: watch::channel(false).0,
            sends: TaskTracker::new(),
            draining: std::sync::atomic::AtomicBool::new(false),
            stats: OutboxStats::default(),
        })
    }

    /// Runs until `stop` turns true: first re-sends attempts a previous run left in doubt, then
    /// works the queue as it comes due.
    pub async fn run(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let recorder = tokio::spawn(self.clone().record_outcomes(stop.clone()));
        let mut receipts_task = None;
        if let Some(settings) = &self.context.sms_settings
            && self.context.sends_on(Channel::Sms)
        {
            match ecenter_delivery::sms::SmppGateway::start(settings.clone()) {
                Ok((gateway, receipts)) => {
                    if let Some(replies) = gateway.take_replies() {
                        tokio::spawn(crate::replies::record(
                            self.store.clone(),
                            replies,
                            stop.clone(),
                        ));
                    }
                    let _ = self.context.sms.set(gateway);
                    receipts_task = Some(tokio::spawn(
                        self.clone().record_receipts(receipts, stop.clone()),
                    ));
                }
                Err(e) => tracing::error!(error = %e, "the SMS gateway cannot start"),
            }
        }
        let mut takeover = takeover::Takeover::default();
        let mut heads = self.store.subscribe();
        let mut last_pass = Instant::now().checked_sub(MIN_PASS_INTERVAL).unwrap();
        loop {
            if *stop.borrow() {
                break;
            }
            // Under load the log changes at every flush; looking at the queue that often would
            // spend the CPU the sends need.
            let since = last_pass.elapsed();
            if since < MIN_PASS_INTERVAL {
                tokio::time::sleep(MIN_PASS_INTERVAL.checked_sub(since).unwrap()).await;
            }
            last_pass = Instant::now();
            self.take_over(&mut takeover).await;
            if let Err(e) = self.pass(Utc::now()) {
                tracing::error!(error = %e, "outbox pass failed");
            }
            let next = [self.store.next_due(), self.store.next_notice_due()]
                .into_iter()
                .filter_map(|n| n.ok().flatten())
                .min();
            let wait = match next {
                Some(at) => (at - Utc::now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .min(IDLE),
                _ => IDLE,
            };
            heads.borrow_and_update();
            tokio::select! {
                () = tokio::time::sleep(wait.max(Duration::from_millis(5))) => {}
                changed = heads.changed() => if changed.is_err() { break },
                _ = stop.wait_for(|s| *s) => break,
            }
        }
        // Let sends in progress finish, give back what was leased but not sent, and record every
        // outcome before the log closes.
        self.stopping.send_replace(true);
        self.sends.close();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.sends.wait()).await;
        self.draining
            .store(true, std::sync::atomic::Ordering::Release);
        self.outcomes_ready.notify_one();
        let _ = recorder.await;
        if let Some(task) = receipts_task {
            let _ = task.await;
        }
        if let Some(gateway) = self.context.sms.get() {
            gateway.close().await;
        }
    }

    fn breaker(&self, channel: Channel) -> &Mutex<CircuitBreaker> {
        match channel {
            Channel::Email => &self.email_breaker,
            Channel::Sms => &self.sms_breaker,
        }
    }

    fn pass(self: &Arc<Self>, now: chrono::DateTime<Utc>) -> Result<(), StoreError> {
        let now_instant = Instant::now();
        let allowed = |c: Channel| {
            self.breaker(c)
                .lock()
                .expect("breaker lock")
                .allow(now_instant)
        };
        // An instance that cannot confirm its own liveness lock leases nothing: others may be
        // about to take its work over.
        let alive = self.store.instances().alive();
        let open = |c: Channel| alive && self.context.sends_on(c) && allowed(c);
        let (email_open, sms_open) = (open(Channel::Email), open(Channel::Sms));
        let mut sends = Vec::new();
        for DueWork {
            order_id,
            recipient_id,
            due,
        } in self.store.due_work(now, PASS)?
        {
            match due.action {
                DueAction::Send => {
                    let open = match due.channel {
                        Channel::Email => email_open,
                        Channel::Sms => sms_open,
                    };
                    if !open {
                        continue;
                    }
                    sends.push(Job::Send(
                        RecipientKey::new(order_id, recipient_id).on(due.channel),
                    ));
                }
                action @ (DueAction::Deadline | DueAction::ReceiptTimeout) => {
                    self.spawn(Job::Timer(
                        RecipientKey::new(order_id, recipient_id).on(due.channel),
                        action,
                    ));
                }
            }
        }
        sends.extend(self.notices_due(now, email_open, sms_open)?);
        self.lease(sends, Sending::Due, Arc::default());
        for key in self.store.proofs_due(PASS)? {
            self.spawn(Job::Proof(key));
        }
        Ok(())
    }

    /// Claims `jobs` (those not already being worked on) and leases them in batches: one log
    /// append per batch, each leased notice then sent by a worker of its own. In doubt, only
    /// notices still leased by one of the `stopped` holders are leased again.
    fn lease(self: &Arc<Self>, jobs: Vec<Job>, sending: Sending, stopped: Arc<HashSet<String>>) {
        let claimed: Vec<Job> = {
            let mut running = self.running.lock().expect("running lock");
            jobs.into_iter()
                .filter(|j| running.insert(j.clone()))
                .collect()
        };
        for batch in claimed.chunks(LEASE_BATCH) {
            let batch = batch.to_vec();
            let this = self.clone();
            let stopped = stopped.clone();
            self.sends.spawn(async move {
                let leased = this.lease_batch(&batch, sending, stopped).await;
                {
                    let mut running = this.running.lock().expect("running lock");
                    for j in &batch {
                        running.remove(j);
                    }
                }
                match leased {
                    Ok(leases) => {
                        for lease in leases {
                            let worker = this.clone();
                            this.sends.spawn(async move { worker.send(lease).await });
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "leasing notices failed; they stay due");
                    }
                }
            });
        }
    }

    fn spawn(self: &Arc<Self>, job: Job) {
        if !self
            .running
            .lock()
            .expect("running lock")
            .insert(job.clone())
        {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let result = match &job {
                Job::Timer(key, action) => this.timer(key, *action).await,
                Job::Proof(key) => this.proof(key).await,
                Job::Send(..) | Job::Notice(..) => Ok(()),
            };
            if let Err(e) = result {
                tracing::error!(error = %e, ?job, "outbox job failed; it stays due");
                // Do not spin on a failing store.
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            this.running.lock().expect("running lock").remove(&job);
        });
    }

    /// Records `notice_sending` for every job of `batch` that is still due (or, in doubt, still
    /// held by one of the `stopped`), in one append, under this instance's id.
    async fn lease_batch(
        &self,
        batch: &[Job],
        sending: Sending,
        stopped: Arc<HashSet<String>>,
    ) -> Result<Vec<Lease>, StoreError> {
        let ctx = self.context.clone();
        let items: Vec<Job> = batch.to_vec();
        let holder = self.store.instances().id().to_string();
        let (_, leases) = self
            .store
            .append(Box::new(move |view: &dyn ReadView| {
                let mut batch = LeaseBatch::new(holder, stopped);
                for job in items {
                    match job {
                        Job::Send(key) => lease_one(view, &ctx, &mut batch, key, sending)?,
                        Job::Notice(id) => {
                            filing_notices::lease(view, &ctx, &mut batch, &id, sending)?;
                        }
                        Job::Timer(..) | Job::Proof(_) => {}
                    }
                }
                Ok((batch.events, batch.leases))
            }))
            .await?;
        Ok(leases)
    }

    /// Sends one leased notice within the provider's rate and queues its outcome for recording.
    async fn send(&self, lease: Lease) {
        let mut stopping = self.stopping.subscribe();
        let permit = tokio::select! {
            biased;
            p = self.permits.acquire() => p.ok(),
            _ = stopping.wait_for(|s| *s) => None,
        };
        let Some(_permit) = permit else {
            self.give_back_unsent(
                lease,
                "平台停止运行，未发出（the hub stopped before sending）",
            );
            return;
        };
        if !self.store.instances().alive() {
            let why =
                "本实例与数据库失联，未发出（this instance could not confirm its liveness lock）";
            self.give_back_unsent(lease, why);
            return;
        }
        if lease.in_doubt {
            self.stats
                .resent_in_doubt
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let handed = self.hand_to_provider(&lease).await;
        let ok = !matches!(handed.outcome, Attempt::Temporary(_));
        self.breaker(lease.channel)
            .lock()
            .expect("breaker lock")
            .record(ok, Instant::now());
        let result = self.attempt_result(lease.channel, lease.attempt, handed);
        self.push_outcome(lease.outcome(result));
    }

    /// Records a leased notice that never reached the SMTP relay or SMSC (the hub stopped first)
    /// as a plain temporary failure, not sent, so the next start does not count it in doubt.
    fn give_back_unsent(&self, lease: Lease, why: &str) {
        // Never handed to a provider: say so, so the next start sends it as a plain retry
        // rather than as a possible duplicate.
        self.push_outcome(lease.outcome(AttemptResult::Temporary {
            detail: why.into(),
            retry_at: Utc::now(),
            maybe_sent: false,
        }));
    }

    /// Hands the notice to its channel's provider (SMTP relay or SMPP gateway) within the
    /// channel's rate limit; returns the provider's answer and whether it may have gone out.
    async fn hand_to_provider(&self, lease: &Lease) -> Handed {
        self.hand_over(&Outgoing {
            channel: lease.channel,
            address: &lease.address,
            subject: &lease.subject,
            body: &lease.body,
            message_id: &lease.message_id,
        })
        .await
    }

    async fn hand_over(&self, m: &Outgoing<'_>) -> Handed {
        let mut maybe_sent = false;
        let (outcome, reply) = match m.channel {
            Channel::Email => {
                self.email_limit.until_ready().await;
                match &self.context.mailer {
                    Some(mailer) => {
                        let sent = mailer
                            .send_notice(m.address, m.subject, m.body, m.message_id)
                            .await;
                        maybe_sent = sent.maybe_sent;
                        (sent.attempt, sent.reply)
                    }
                    None => (
                        Attempt::Permanent("the e-mail channel is no longer configured".into()),
                        String::new(),
                    ),
                }
            }
            Channel::Sms => {
                self.sms_limit.until_ready().await;
                match self.context.sms.get() {
                    Some(gateway) => {
                        let sent = gateway.send(m.address, m.body).await;
                        maybe_sent = sent.maybe_sent;
                        (sent.attempt, sent.part_ids.join(" "))
                    }
                    None => (
                        Attempt::Temporary("the SMS gateway has not started".into()),
                        String::new(),
                    ),
                }
            }
        };
        Handed {
            outcome,
            reply,
            maybe_sent,
        }
    }

    /// The `notice_result` of an attempt: accepted (with the SMPP receipt deadline), retried after
    /// backoff with full jitter, or permanent once the attempts run out or the address is bad.
    fn attempt_result(&self, channel: Channel, attempt: u32, handed: Handed) -> AttemptResult {
        let Handed {
            outcome,
            reply,
            maybe_sent,
        } = handed;
        let receipt_by = match (&self.context.config.sms, channel) {
            (Some(sms), Channel::Sms) => Some(
                Utc::now()
                    + chrono::Duration::seconds(
                        i64::try_from(sms.receipt_timeout_secs).unwrap_or(i64::MAX / 1000),
                    ),
            ),
            _ => None,
        };
        let backoff = self.context.config.retry.backoff();
        let counter = if outcome == Attempt::Accepted {
            &self.stats.accepted
        } else {
            &self.stats.failed
        };
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        match outcome {
            Attempt::Accepted => AttemptResult::Accepted {
                receipt_ids: self.receipt_ids(channel, &reply),
                gateway_id: reply,
                receipt_by,
            },
            Attempt::Temporary(detail) if attempt >= backoff.max_attempts => {
                AttemptResult::Permanent {
                    detail: format!("{attempt} 次尝试均失败，最后一次：{detail}"),
                    suppress: false,
                }
            }
            Attempt::Temporary(detail) => {
                let delay = backoff.delay(attempt - 1, random_draw(&self.rng));
                AttemptResult::Temporary {
                    detail,
                    retry_at: Utc::now()
                        + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::zero()),
                    maybe_sent,
                }
            }
            Attempt::Permanent(detail) => AttemptResult::Permanent {
                suppress: ecenter_delivery::dsn::says_bad_recipient_address(&detail),
                detail,
            },
        }
    }

    fn push_outcome(&self, event: Event) {
        self.outcomes.lock().expect("outcomes lock").push(event);
        self.outcomes_ready.notify_one();
    }

    /// Appends the outcomes of finished sends, all that have gathered in one append, until `stop`
    /// turns true and nothing is left.
    async fn record_outcomes(self: Arc<Self>, stop: watch::Receiver<bool>) {
        loop {
            self.outcomes_ready.notified().await;
            loop {
                let events = std::mem::take(&mut *self.outcomes.lock().expect("outcomes lock"));
                if events.is_empty() {
                    break;
                }
                let kept = events.clone();
                let own = self.own_sms_source();
                if let Err(e) = self
                    .store
                    .append(Box::new(move |view: &dyn ReadView| {
                        Ok((receipts::with_awaited_receipts(view, events, &own), ()))
                    }))
                    .await
                {
                    if !self.keep_for_retry(&e, kept) {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            let idle = self.sends.is_empty();
            if *stop.borrow()
                && *self.stopping.borrow()
                && (idle || self.draining.load(std::sync::atomic::Ordering::Acquire))
            {
                return;
            }
        }
    }

    /// Puts outcomes whose append failed back at the head of the queue, unless the log will
    /// take nothing more (a failed disk, shutting down) or the engine is draining: then they are
    /// lost, their attempts stay in flight under this instance's id, and the next start (or
    /// another instance, once this one has stopped) sends them again, in doubt. Returns whether
    /// to retry.
    fn keep_for_retry(&self, e: &StoreError, kept: Vec<Event>) -> bool {
        let hopeless = matches!(
            e,
            StoreError::Poisoned(_) | StoreError::ShuttingDown | StoreError::WriterLost
        ) || self.draining.load(std::sync::atomic::Ordering::Acquire);
        if hopeless {
            tracing::error!(error = %e, lost = kept.len(), "recording send outcomes failed");
            return false;
        }
        tracing::warn!(error = %e, waiting = kept.len(), "recording send outcomes failed; retrying in a second");
        let mut queued = self.outcomes.lock().expect("outcomes lock");
        queued.splice(0..0, kept);
        true
    }

    /// The hub's own SMS sender (`[service.sms] source_addr`): no evidence of a handset when a
    /// receipt names it.
    fn own_sms_source(&self) -> String {
        let sms = self.context.config.sms.as_ref();
        sms.map(|s| s.source_addr.clone()).unwrap_or_default()
    }

    /// How the SMSC's receipts name messages (`[service.sms] receipt_id_form`).
    fn receipt_id_form(&self) -> ecenter_delivery::sms_id::ReceiptIdForm {
        self.context
            .config
            .sms
            .as_ref()
            .map(|s| s.receipt_id_form)
            .unwrap_or_default()
    }

    /// The ids the SMSC's receipts will name for the parts it accepted as `gateway_id`, when its
    /// form is not the specification's (empty otherwise: the parts are the ids as given).
    fn receipt_ids(&self, channel: Channel, gateway_id: &str) -> Vec<String> {
        let form = self.receipt_id_form();
        if channel != Channel::Sms || form == ecenter_delivery::sms_id::ReceiptIdForm::AsSubmitted {
            return Vec::new();
        }
        gateway_id
            .split_whitespace()
            .map(|id| form.expected(id).unwrap_or_else(|| id.to_string()))
            .collect()
    }

    /// A deadline or receipt timeout that came due: recorded unless something made it moot.
    async fn timer(&self, key: &DeliveryKey, action: DueAction) -> Result<(), OutboxError> {
        let channel = key.channel;
        let RecipientKey {
            order_id: o,
            recipient_id: r,
        } = key.recipient.clone();
        self.store
            .append(Box::new(move |view: &dyn ReadView| {
                let Some(service) = view.recipient_service(&o, &r)? else {
                    return Ok((Vec::new(), ()));
                };
                let now = Utc::now();
                let due = service
                    .dues
                    .iter()
                    .any(|d| d.channel == channel && d.action == action && d.at <= now);
                if !due {
                    return Ok((Vec::new(), ()));
                }
                let event = match action {
                    DueAction::ReceiptTimeout => RecipientEvent::ReceiptMissing { channel },
                    _ => RecipientEvent::DeadlinePassed { channel },
                };
                Ok((
                    vec![Event::Service {
                        order_id: o,
                        recipient_id: r,
                        event,
                    }],
                    (),
                ))
            }))
            .await?;
        Ok(())
    }

    async fn proof(&self, key: &RecipientKey) -> Result<(), OutboxError> {
        let (order_id, recipient_id) = (key.order_id.as_str(), key.recipient_id.as_str());
        let Some(service) = self.store.recipient_service(order_id, recipient_id)? else {
            return Ok(());
        };
        let Some(order) = self.store.service_order(order_id)? else {
            return Ok(());
        };
        if !service.proof_due() {
            return Ok(());
        }
        let effective = service.effective;
        let version = service.proofs.len() as u32 + 1;
        let now = SystemTime::now();
        let issued_at = chrono::DateTime::<Utc>::from(now);
        let Some(document) = crate::proof::document(
            &self.context.config.court,
            &order,
            &service,
            version,
            issued_at,
            self.store.latest_checkpoint().as_ref(),
        ) else {
            return Ok(());
        };
        let signer = self.context.proof_signer.clone();
        let signed = document.clone();
        let signature = tokio::task::spawn_blocking(move || signer.sign_detached(&signed, now))
            .await
            .map_err(|_| OutboxError::Stopped("signing a proof"))??;
        let document_blob = write_blob(self.store.blobs(), document).await?;
        let signature_blob = write_blob(self.store.blobs(), signature).await?;
        let proof = ProofRef {
            version,
            document_sha256: document_blob.sha256,
            signature_sha256: signature_blob.sha256,
            effective,
            issued_at,
            reviews: Some(service.reviews()),
            replies: Some(service.replies_shown()),
        };
        let (o, r) = (order_id.to_string(), recipient_id.to_string());
        let seq_seen = service.last_event_seq;
        self.store
            .append(Box::new(move |view: &dyn ReadView| {
                // Issue only if nothing changed the service since the proof was drawn up; otherwise
                // the next pass draws it up again.
                let current = view.recipient_service(&o, &r)?;
                if current.is_none_or(|c| c.last_event_seq != seq_seen || !c.proof_due()) {
                    return Ok((Vec::new(), ()));
                }
                Ok((
                    vec![Event::Service {
                        order_id: o,
                        recipient_id: r,
                        event: RecipientEvent::ProofIssued(proof),
                    }],
                    (),
                ))
            }))
            .await?;
        self.stats
            .proofs
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    }
}

/// Why a timer or a proof job of the outbox failed (it stays due and is tried on a later pass).
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The proof could not be signed (seal key or timestamp authority).
    #[error(transparent)]
    Signing(#[from] crate::SignError),
    /// A blocking task was cancelled, as when the runtime shuts down.
    #[error("{0} stopped before it finished")]
    Stopped(&'static str),
}

pub(crate) async fn write_blob(
    blobs: &ecenter_store::BlobStore,
    data: Vec<u8>,
) -> Result<ecenter_store::BlobInfo, StoreError> {
    let mut w = blobs.writer()?;
    w.write(data).await?;
    w.commit().await
}
