//! Where the hub parses documents it did not write: a bounded pool with a share per caller and a
//! cap on the memory all parses may hold, each parse under an [`ecenter_budget::Budget`].
//!
//! A request waits for one of `[parse_pool] workers` threads, never more than its deadline. Before
//! that it must fit: a caller with `per_caller` parses running, or a hub already holding
//! `memory_bytes` for parses (each reserves its input plus `[parsing] document_bytes`, what its
//! budget lets it inflate), is refused at once with RESOURCE_EXHAUSTED and a retry hint — a
//! burst of hostile documents is turned away, not queued. A caller that goes away raises the
//! budget's cancel flag, and the parse stops at its next check.

use crate::error::ApiError;
use crate::identity::Identity;
use ecenter_budget::{Budget, Exceeded, Limits};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tonic::Status;

/// `[parse_pool]`: how many parses at once, per caller, and in how much memory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolConfig {
    /// Parsing threads (0: one per CPU).
    pub workers: usize,
    /// Parses one caller may have running or waiting at once.
    pub per_caller: usize,
    /// Bytes all parses together may reserve.
    pub memory_bytes: u64,
    /// Return freed memory to the system after a large parse (`malloc_trim` on glibc).
    pub give_back_memory: bool,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            workers: 0,
            per_caller: 2,
            memory_bytes: 1024 * 1024 * 1024,
            give_back_memory: true,
        }
    }
}

/// The pool; one per hub, shared by the services that parse.
pub struct ParsePool {
    limits: Limits,
    workers: Arc<Semaphore>,
    per_caller: usize,
    /// Reservations, in KiB.
    memory: Arc<Semaphore>,
    memory_kib: u32,
    give_back: bool,
    callers: Mutex<HashMap<String, usize>>,
    running: AtomicUsize,
}

const KIB: u64 = 1024;

impl ParsePool {
    /// A pool of `config`, whose parses run under `limits`.
    pub fn new(config: &PoolConfig, limits: Limits) -> ParsePool {
        let workers = match config.workers {
            0 => std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            n => n,
        };
        let memory_kib = u32::try_from(config.memory_bytes / KIB)
            .unwrap_or(u32::MAX)
            .clamp(1, Semaphore::MAX_PERMITS as u32);
        ParsePool {
            limits,
            workers: Arc::new(Semaphore::new(workers)),
            per_caller: config.per_caller.max(1),
            memory: Arc::new(Semaphore::new(memory_kib as usize)),
            memory_kib,
            give_back: config.give_back_memory,
            callers: Mutex::new(HashMap::new()),
            running: AtomicUsize::new(0),
        }
    }

    /// Parses running now (what a stop that cannot wait gives up).
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Runs `parse` for `caller` on `input_len` bytes under a fresh budget due by `deadline`.
    /// `what` names the work in log lines ("VerifyPdf").
    pub async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        caller: &Identity,
        input_len: usize,
        deadline: Option<Instant>,
        what: &'static str,
        parse: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Status> {
        let key = caller.to_string();
        // Held by the parse itself: a caller who hangs up does not get its share back before the
        // work it started has stopped.
        let share = self.share(&key)?;
        let kib = ((input_len as u64 + self.limits.document_bytes).div_ceil(KIB))
            .min(u64::from(self.memory_kib)) as u32;
        let reserved = self.memory.clone().try_acquire_many_owned(kib).map_err(|_| {
            exhausted(
                format!(
                    "the hub is parsing as many documents as its memory for parsing allows ([parse_pool] memory_bytes = {}); retry in a few seconds",
                    u64::from(self.memory_kib) * KIB
                ),
                Duration::from_secs(5),
            )
        })?;
        let wait = deadline.map_or(Duration::from_secs(self.limits.seconds), |d| {
            d.saturating_duration_since(Instant::now())
        });
        let worker = tokio::time::timeout(wait, self.workers.clone().acquire_owned())
            .await
            .map_err(|_| {
                ApiError::deadline_exceeded("no parsing thread became free before the deadline")
            })?
            .map_err(|_| ApiError::unavailable("the hub is stopping"))?;
        let budget = Budget::new(self.limits.clone()).due_by(deadline);
        let cancel = CancelOnDrop(budget.canceller());
        let pool = self.clone();
        let done = tokio::task::spawn_blocking(move || {
            let _running = Running::start(&pool.running);
            let budget = Rc::new(budget);
            let out = ecenter_budget::scope(budget.clone(), parse);
            let noise = budget.noise();
            if noise.count > 0 {
                tracing::warn!(
                    work = what,
                    reports = noise.count,
                    first = noise.first.as_deref().unwrap_or(""),
                    "the document parser reported problems with a document (summarised)"
                );
            }
            if pool.give_back
                && (budget.inflated() >= GIVE_BACK_AFTER_BYTES
                    || budget.values() >= GIVE_BACK_AFTER_VALUES)
            {
                give_back_memory();
            }
            drop((worker, reserved, share));
            out
        })
        .await
        .map_err(|_| ApiError::internal(format!("{what}: parsing the document stopped")).into());
        drop(cancel);
        done
    }

    fn share(self: &Arc<Self>, key: &str) -> Result<Share, Status> {
        let mut callers = self
            .callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = callers.entry(key.to_string()).or_default();
        if *count >= self.per_caller {
            return Err(exhausted(
                format!(
                    "you have {} documents being parsed already ([parse_pool] per_caller = {}); retry when one has answered",
                    *count, self.per_caller
                ),
                Duration::from_secs(1),
            ));
        }
        *count += 1;
        Ok(Share {
            pool: self.clone(),
            key: key.to_string(),
        })
    }
}

/// A parse that inflated this many bytes, or parsed this many values, leaves freed memory worth
/// returning to the system.
const GIVE_BACK_AFTER_BYTES: u64 = 8 * 1024 * 1024;
const GIVE_BACK_AFTER_VALUES: u64 = 100_000;

/// Returns the memory a large parse freed to the system. glibc's allocator keeps freed memory in
/// its arenas (one per thread that allocated, so one per parsing thread): after a burst of large
/// documents the hub stayed at 297 MiB against 76 MiB before it (docs/PERFORMANCE.md).
/// `malloc_trim(0)` releases the free pages of every arena, at a cost of milliseconds.
#[allow(unsafe_code)]
fn give_back_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of glibc's own arenas to the kernel; it takes
    // the arena locks itself and touches no memory the program holds.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// One of a caller's running parses; given back when dropped.
struct Share {
    pool: Arc<ParsePool>,
    key: String,
}

impl Drop for Share {
    fn drop(&mut self) {
        let mut callers = self
            .pool
            .callers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = callers.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                callers.remove(&self.key);
            }
        }
    }
}

/// A parse in progress, counted until it ends (or panics).
struct Running<'a>(&'a AtomicUsize);

impl<'a> Running<'a> {
    fn start(count: &'a AtomicUsize) -> Running<'a> {
        count.fetch_add(1, Ordering::Relaxed);
        Running(count)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Raises the cancel flag if the request is dropped (its caller went away) before the answer.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

fn exhausted(message: String, retry: Duration) -> Status {
    ApiError::Exhausted { message, retry }.into()
}

/// The caller's deadline, from its `grpc-timeout` header (gRPC over HTTP/2: an integer of at
/// most eight digits and a unit, H M S m u n).
pub fn deadline_of(metadata: &tonic::metadata::MetadataMap) -> Option<Instant> {
    let value = metadata.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    let timeout = match unit {
        "H" => Duration::from_secs(n.saturating_mul(3600)),
        "M" => Duration::from_secs(n.saturating_mul(60)),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    };
    Instant::now().checked_add(timeout)
}

/// The status for a parse that stopped on its budget (see [`ApiError::Budget`]).
pub fn budget_status(e: &Exceeded, field: &str, stored: bool) -> Status {
    ApiError::Budget {
        exceeded: e.clone(),
        field: field.to_string(),
        stored,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::Role;
    use std::sync::mpsc;
    use tonic::Code;
    use tonic_types::StatusExt;

    fn lawyer(id: &str) -> Identity {
        Identity {
            role: Role::Lawyer,
            id: id.into(),
        }
    }

    fn pool(per_caller: usize, memory_bytes: u64) -> Arc<ParsePool> {
        let limits = Limits {
            document_bytes: 1024 * 1024,
            ..Limits::default()
        };
        let config = PoolConfig {
            workers: 4,
            per_caller,
            memory_bytes,
            give_back_memory: true,
        };
        Arc::new(ParsePool::new(&config, limits))
    }

    /// Starts a parse for `who` that holds its place until `release` is told.
    fn held(
        pool: &Arc<ParsePool>,
        who: &str,
    ) -> (
        mpsc::Sender<()>,
        tokio::task::JoinHandle<Result<(), Status>>,
    ) {
        let (release, wait) = mpsc::channel::<()>();
        let (started_tx, started) = mpsc::channel::<()>();
        let pool = pool.clone();
        let caller = lawyer(who);
        let task = tokio::spawn(async move {
            pool.run(&caller, 10, None, "test", move || {
                started_tx.send(()).unwrap();
                let _ = wait.recv();
            })
            .await
        });
        started.recv().unwrap();
        (release, task)
    }

    fn retry_hint(status: &Status) -> Option<Duration> {
        status.get_details_retry_info()?.retry_delay
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_over_its_share_is_refused_with_a_retry_hint_others_are_not() {
        let pool = pool(1, 1 << 30);
        let (release, first) = held(&pool, "A1");
        let refused = pool
            .run(&lawyer("A1"), 10, None, "test", || ())
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted);
        assert!(
            refused.message().contains("[parse_pool] per_caller = 1"),
            "{refused:?}"
        );
        assert!(retry_hint(&refused).is_some());
        assert!(
            pool.run(&lawyer("B2"), 10, None, "test", || ())
                .await
                .is_ok()
        );
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        assert!(
            pool.run(&lawyer("A1"), 10, None, "test", || ())
                .await
                .is_ok()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_caller_who_hangs_up_keeps_its_share_until_the_work_has_stopped() {
        let pool = pool(1, 1 << 30);
        let (release, first) = held(&pool, "A1");
        first.abort();
        let _ = first.await;
        let refused = pool
            .run(&lawyer("A1"), 10, None, "test", || ())
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
        release.send(()).unwrap();
        // Once the work ended, the share is back.
        let mut again = pool.run(&lawyer("A1"), 10, None, "test", || ()).await;
        for _ in 0..100 {
            if again.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
            again = pool.run(&lawyer("A1"), 10, None, "test", || ()).await;
        }
        assert!(again.is_ok(), "{again:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn parses_past_the_memory_cap_are_refused_not_queued() {
        // Room for one parse's reservation (input + 1 MiB of inflation), not two.
        let pool = pool(4, 1536 * 1024);
        let (release, first) = held(&pool, "A1");
        let refused = pool
            .run(&lawyer("B2"), 10, None, "test", || ())
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::ResourceExhausted);
        assert!(
            refused.message().contains("[parse_pool] memory_bytes"),
            "{refused:?}"
        );
        assert_eq!(retry_hint(&refused), Some(Duration::from_secs(5)));
        release.send(()).unwrap();
        first.await.unwrap().unwrap();
        assert!(
            pool.run(&lawyer("B2"), 10, None, "test", || ())
                .await
                .is_ok()
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_parse_whose_caller_went_away_stops_at_its_next_check() {
        let pool = pool(2, 1 << 30);
        let (stopped_tx, stopped) = mpsc::channel();
        let (started_tx, started) = mpsc::channel::<()>();
        let in_task = pool.clone();
        let run = tokio::spawn(async move {
            in_task
                .run(&lawyer("A1"), 10, None, "test", move || {
                    started_tx.send(()).unwrap();
                    let budget = ecenter_budget::current();
                    let why = loop {
                        if let Err(e) = budget.check() {
                            break e;
                        }
                        std::thread::sleep(Duration::from_millis(5));
                    };
                    stopped_tx.send(why).unwrap();
                })
                .await
        });
        tokio::task::spawn_blocking(move || started.recv().unwrap())
            .await
            .unwrap();
        run.abort();
        let why = tokio::task::spawn_blocking(move || stopped.recv().unwrap())
            .await
            .unwrap();
        assert_eq!(why, Exceeded::Cancelled);
        // The caller's share came back with the cancelled request.
        let (release, other) = held(&pool, "A1");
        release.send(()).unwrap();
        other.await.unwrap().unwrap();
    }

    #[test]
    fn grpc_timeouts_become_deadlines() {
        let mut m = tonic::metadata::MetadataMap::new();
        assert!(deadline_of(&m).is_none());
        m.insert("grpc-timeout", "5S".parse().unwrap());
        let d = deadline_of(&m).unwrap();
        let left = d - Instant::now();
        assert!(left > Duration::from_secs(4) && left <= Duration::from_secs(5));
        m.insert("grpc-timeout", "5x".parse().unwrap());
        assert!(deadline_of(&m).is_none());
    }
}
