//! Following the other instances: a thread that `LISTEN`s for new heads and asks the writer to
//! bring the replica up to the committed head. It also reads the head once a second, so a
//! notification lost while the connection was down delays the replica by at most that.

use super::{HEAD_CHANNEL, PostgresConfig, explain};
use crate::chain::ChainHead;
use std::time::Duration;
use tokio::sync::{oneshot, watch};
use tokio_postgres::AsyncMessage;

/// Asks the writer for a catch-up; `None` once the store has closed.
pub(crate) type Wake = Box<dyn Fn() -> Option<oneshot::Receiver<CaughtUp>> + Send>;

/// The writer's answer to a catch-up.
pub(crate) type CaughtUp = Result<Vec<crate::Appended>, crate::StoreError>;

/// How often the head is read even without a notification, and how long to wait before
/// reconnecting after the connection fails.
const TICK: Duration = Duration::from_secs(1);

/// Starts the thread; it ends when `wake` reports the store closed.
pub(crate) fn spawn(
    config: PostgresConfig,
    local: watch::Receiver<ChainHead>,
    wake: Wake,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ecenter-log-tail".into())
        .spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                tracing::error!("the log tail could not start a runtime");
                return;
            };
            while follow(&rt, &config, &local, &wake) {
                if local.has_changed().is_err() {
                    return;
                }
                std::thread::sleep(TICK);
            }
        })
        .map(|_| ())
}

/// Follows until the connection fails (`true`: try again) or the store closes (`false`).
fn follow(
    rt: &tokio::runtime::Runtime,
    config: &PostgresConfig,
    local: &watch::Receiver<ChainHead>,
    wake: &Wake,
) -> bool {
    let (tx, mut notified) = tokio::sync::mpsc::unbounded_channel();
    let client = match listening_client(rt, config, tx) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "the log tail cannot reach PostgreSQL; retrying");
            return true;
        }
    };
    rt.block_on(async {
        loop {
            let announced = tokio::select! {
                n = notified.recv() => match n {
                    Some(seq) => seq,
                    None => return true,
                },
                () = tokio::time::sleep(TICK) => match client.query_one("SELECT seq FROM ecenter_head", &[]).await {
                    Ok(row) => u64::try_from(row.get::<_, i64>(0)).unwrap_or(0),
                    Err(e) => {
                        tracing::warn!(error = %explain(&e), "the log tail lost PostgreSQL; reconnecting");
                        return true;
                    }
                },
            };
            // The writer owns the head's sender: once it has stopped, so does the tail.
            if local.has_changed().is_err() {
                return false;
            }
            if announced <= local.borrow().seq {
                continue;
            }
            let Some(done) = wake() else {
                return false;
            };
            if done.await.is_err() {
                return false;
            }
        }
    })
}

/// A connection that has run `LISTEN` and hands each announced head to `tx`.
fn listening_client(
    rt: &tokio::runtime::Runtime,
    config: &PostgresConfig,
    tx: tokio::sync::mpsc::UnboundedSender<u64>,
) -> Result<tokio_postgres::Client, crate::StoreError> {
    let (client, mut messages) = super::connect_with_messages(rt, config)?;
    rt.spawn(async move {
        while let Some(message) = messages.recv().await {
            if let AsyncMessage::Notification(n) = message
                && n.channel() == HEAD_CHANNEL
                && let Ok(seq) = n.payload().parse()
                && tx.send(seq).is_err()
            {
                return;
            }
        }
    });
    rt.block_on(client.batch_execute(&format!("LISTEN {HEAD_CHANNEL}")))
        .map_err(|e| crate::StoreError::Postgres(format!("LISTEN: {}", explain(&e))))?;
    Ok(client)
}
