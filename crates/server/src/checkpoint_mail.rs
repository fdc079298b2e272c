//! The e-mail witness: checkpoints leave the machine. Every `email_interval_secs` the hub mails
//! the checkpoints signed since the last mail to the court's archive address (`[checkpoints]
//! archive_email`), through the court's relay (`[service.smtp]`, DKIM-signed like notices), with
//! the public key to check them. Someone who later alters both the data directory and its
//! witness directories still cannot reach into the archive's mailbox.
//!
//! Of several instances on PostgreSQL, only the one holding the signing lease mails
//! (`ecenter_store::Instances::signs`), so the archive is not sent every instance's series; after
//! a handover the new signer mails its own file from its start (lines it signed before it held the
//! lease included: checkpoints of the same chain, under the key each names).
//!
//! Each mail the relay accepted is a `checkpoint_mailed` entry (the last checkpoint number, the
//! address, the Message-ID and the relay's reply), so the log says which signed history left the
//! hub and when. A mail the relay refuses for now is tried again at the next tick; a permanent
//! refusal is logged and tried again too (the address may be fixed in the relay).

use ecenter_api::service::ServiceContext;
use ecenter_delivery::policy::Attempt;
use ecenter_domain::Event;
use ecenter_store::checkpoint::{self, Checkpoint};
use ecenter_store::{EventStore, ReadView};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where and how often checkpoints are mailed.
#[derive(Debug, Clone)]
pub struct MailWitness {
    /// The archive's address.
    pub to: String,
    /// Time between mails.
    pub every: Duration,
    /// The data directory's checkpoint directory (the file and `key.pem`).
    pub dir: PathBuf,
}

/// Mails new checkpoints every interval until `stop`.
pub async fn run<S: EventStore>(
    store: Arc<S>,
    context: Arc<ServiceContext>,
    witness: MailWitness,
    mut stop: watch::Receiver<bool>,
) {
    let mut mailed = 0u64;
    loop {
        tokio::select! {
            () = tokio::time::sleep(witness.every) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        // Of several instances, the one signing for the chain mails.
        if !store.instances().signs() {
            continue;
        }
        match mail_new(&*store, &context, &witness, mailed).await {
            Ok(Some(last)) => mailed = last,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(to = %witness.to, error = %e, "checkpoints not mailed; trying again at the next interval");
            }
        }
    }
}

/// Mails the checkpoints after number `after`; returns the last number mailed.
async fn mail_new<S: EventStore>(
    store: &S,
    context: &ServiceContext,
    witness: &MailWitness,
    after: u64,
) -> Result<Option<u64>, Unmailed> {
    let Some(mailer) = &context.mailer else {
        return Err(Unmailed::NoSmtp);
    };
    let file = witness.dir.join(checkpoint::FILE_NAME);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| Unmailed::Read(format!("{}: {e}", file.display())))?;
    let lines: Vec<(Checkpoint, &str)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Checkpoint>(l).ok().map(|c| (c, l)))
        .filter(|(c, _)| c.number > after)
        .collect();
    let Some((last, _)) = lines.last() else {
        return Ok(None);
    };
    let (number, seq) = (last.number, last.seq);
    let key = std::fs::read_to_string(witness.dir.join(checkpoint::KEY_NAME)).unwrap_or_default();
    let body = format!(
        "{court} 收转发E中心 电子签名检查点\n\n\
         以下每行是一个检查点（JSON），由本中心的检查点密钥签名（ECDSA P-256，SHA-256）。\n\
         请原样存档：将来可用 clerk verify-log --expect 第几条:哈希 核对本中心的日志。\n\
         Each line below is a checkpoint of the hub's event log, signed with its checkpoint key.\n\
         Archive as received; `clerk verify-log --expect SEQ:HASH` checks the log against it.\n\n\
         {lines}\n\n{key}",
        court = context.config.court,
        lines = lines.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n"),
    );
    let subject = format!(
        "检查点 {number}（日志第 {seq} 条）— {}",
        context.config.court
    );
    let message_id = format!(
        "checkpoint-{number}-{}@{}",
        last.key_id, context.message_host
    );
    let (attempt, reply) = mailer
        .send_with_reply(&witness.to, &subject, &body, &message_id)
        .await;
    match attempt {
        Attempt::Accepted => {
            let event = Event::CheckpointMailed {
                number,
                seq,
                to: witness.to.clone(),
                message_id,
                relay_reply: reply,
            };
            store
                .append(Box::new(move |_: &dyn ReadView| Ok((vec![event], ()))))
                .await?;
            Ok(Some(number))
        }
        Attempt::Temporary(e) | Attempt::Permanent(e) => Err(Unmailed::Relay(e)),
    }
}

/// Why checkpoints were not mailed this time; tried again at the next interval.
#[derive(Debug, thiserror::Error)]
enum Unmailed {
    /// Mailing needs the relay of electronic service.
    #[error("[checkpoints] archive_email needs [service.smtp]")]
    NoSmtp,
    /// The checkpoint file cannot be read.
    #[error("{0}")]
    Read(String),
    /// The relay refused or could not be reached.
    #[error("the relay did not take the mail: {0}")]
    Relay(String),
    /// The mailing could not be recorded in the log.
    #[error("not recorded: {0}")]
    Log(#[from] ecenter_store::StoreError),
}
