//! The writer thread: it runs each decision over a view of the log and its read models, and
//! writes the entries and every projection in one sled transaction.

use super::*;
use ecenter_domain::passkey::Passkey;
use ecenter_domain::similar::push::CasePushes;

pub(super) struct Writer {
    pub(super) db: sled::Db,
    pub(super) trees: Trees,
    /// The trees the append transaction writes: `events`, then every projection's.
    pub(super) layout: TreeLayout,
    pub(super) next_seq: u64,
    pub(super) prev: [u8; 32],
    pub(super) head_tx: watch::Sender<ChainHead>,
    pub(super) failure_tx: Arc<watch::Sender<Option<String>>>,
    pub(super) poisoned: Option<String>,
    /// Writes stopped on a refusal of the log (one that does not verify, changed around the
    /// hubs), with nothing in flight — not on a failed flush: closing then says so.
    pub(super) refused: Arc<std::sync::atomic::AtomicBool>,
    pub(super) blobs: BlobStore,
    /// The recording time of the last entry (the head's).
    pub(super) last_at: Option<DateTime<Utc>>,
    /// PostgreSQL, when it is the log of record and this log is its replica.
    pub(super) upstream: Option<super::replica::Upstreamed>,
}

/// Where a request's answer goes.
type Reply = oneshot::Sender<Result<Vec<Appended>, StoreError>>;

/// One entry ready to write: its place, its stored value and the event the projections read.
pub(super) struct Prepared {
    pub(super) seq: u64,
    pub(super) hash: [u8; 32],
    pub(super) value: Vec<u8>,
    pub(super) event: Event,
    pub(super) at: DateTime<Utc>,
}

/// The trees of one append transaction: `events` first, then each tree a projection names, once,
/// then `read_models` (what the read models have applied, `super::rebuild`); and, per projection,
/// where its trees are in that list. sled commits a transaction's trees in this order, one after
/// another, so the record of what was applied is written last: a commit cut short never leaves it
/// claiming an entry some read model lacks.
pub(super) struct TreeLayout {
    trees: Vec<sled::Tree>,
    slots: Vec<Vec<usize>>,
}

impl TreeLayout {
    /// Opens `events`, every tree of [`PROJECTIONS`] and `read_models`.
    pub(super) fn open(db: &sled::Db) -> sled::Result<TreeLayout> {
        let mut names = vec!["events"];
        let mut slots = Vec::with_capacity(PROJECTIONS.len());
        for projection in PROJECTIONS {
            let mut slot = Vec::new();
            for name in projection.trees() {
                let at = names.iter().position(|n| n == name).unwrap_or_else(|| {
                    names.push(name);
                    names.len() - 1
                });
                slot.push(at);
            }
            slots.push(slot);
        }
        names.push(super::rebuild::META);
        let trees = names
            .iter()
            .map(|n| db.open_tree(n))
            .collect::<sled::Result<_>>()?;
        Ok(TreeLayout { trees, slots })
    }

    /// The read models' trees: every tree a projection names.
    pub(super) fn read_model_trees(&self) -> &[sled::Tree] {
        &self.trees[1..self.trees.len() - 1]
    }

    /// Runs `body` in one sled transaction over every tree; `body` gets `events` and the
    /// projections' trees.
    pub(super) fn transaction(
        &self,
        body: impl Fn(&TransactionalTree, &Projected<'_>) -> TxResult,
    ) -> Result<(), StoreError> {
        let handles: Vec<&sled::Tree> = self.trees.iter().collect();
        let result = handles.as_slice().transaction(|views| {
            let by_projection: Vec<Vec<&TransactionalTree>> = self
                .slots
                .iter()
                .map(|slot| slot.iter().map(|&i| &views[i]).collect())
                .collect();
            body(
                &views[0],
                &Projected {
                    applied: &views[views.len() - 1],
                    by_projection,
                },
            )
        });
        match result {
            Ok(()) => Ok(()),
            Err(TransactionError::Abort(e)) => Err(e),
            // sled commits the trees one after another and rolls nothing back in memory: any
            // storage error (a page that fails its checksum as it is read back in, a bug sled
            // reports) may leave part of the transaction applied, so it is the disk's failure
            // (`Writer::storage_failed` poisons on it), never a refusal like a decision's abort.
            Err(TransactionError::Storage(sled::Error::Io(io))) => Err(StoreError::Io(io)),
            Err(TransactionError::Storage(e)) => Err(StoreError::Io(std::io::Error::other(
                format!("sled could not write the log: {e}"),
            ))),
        }
    }
}

/// Each projection's trees inside one transaction, and the record of what they have applied.
pub(super) struct Projected<'v> {
    applied: &'v TransactionalTree,
    by_projection: Vec<Vec<&'v TransactionalTree>>,
}

impl Projected<'_> {
    /// Applies every projection to `event`, recorded as entry `pos`.
    pub(super) fn apply(&self, event: &Event, pos: &LogPosition) -> TxResult {
        for (projection, trees) in PROJECTIONS.iter().zip(&self.by_projection) {
            projection.apply(event, pos, trees)?;
        }
        // The first entry that says where the seals begin (several instances starting at once
        // may each write one), remembered beside the read models: `seals_began`.
        if let Event::LogSealsBegan { from, .. } = event
            && self.applied.get(super::rebuild::SEALS_BEGAN)?.is_none()
        {
            let mut value = pos.seq.to_be_bytes().to_vec();
            value.extend_from_slice(&from.to_be_bytes());
            self.applied.insert(super::rebuild::SEALS_BEGAN, value)?;
        }
        Ok(())
    }

    /// Records that the read models have applied every entry up to `seq`.
    pub(super) fn applied_through(&self, seq: u64) -> TxResult {
        self.applied
            .insert(super::rebuild::APPLIED_THROUGH, &seq.to_be_bytes())?;
        Ok(())
    }
}

pub(super) struct WriterView<'a> {
    pub(super) trees: &'a Trees,
    pub(super) next_seq: u64,
}

impl WriterView<'_> {
    /// The first filing, in id order, that `index` lists under `prefix` and `keep` accepts.
    fn first_indexed(
        &self,
        index: &sled::Tree,
        prefix: &str,
        keep: &dyn Fn(&Filing) -> bool,
    ) -> Result<Option<Filing>, StoreError> {
        let start = key2(prefix, "");
        let mut end = prefix.as_bytes().to_vec();
        end.push(1);
        for item in index.range(start..end) {
            let (k, _) = item?;
            let id = std::str::from_utf8(&k[prefix.len() + 1..])
                .map_err(|e| StoreError::Database(format!("filing index key: {e}")))?;
            if let Some(f) = self.filing(id)?
                && keep(&f)
            {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }
}

impl ReadView for WriterView<'_> {
    fn filing_notice(
        &self,
        notice_id: &str,
    ) -> Result<Option<ecenter_domain::filing_notice::FilingNotice>, StoreError> {
        super::notices::notice(&self.trees.notices, notice_id)
    }

    fn notice_addresses(
        &self,
        identity: &str,
    ) -> Result<Vec<ecenter_domain::filing_notice::NoticeAddress>, StoreError> {
        super::notices::addresses(&self.trees.notices, identity)
    }

    fn co_counsel(&self, case_number: &str, by: &str) -> Result<Vec<String>, StoreError> {
        super::notices::co_counsel(&self.trees.notices, case_number, by)
    }

    fn lawyer(&self, identity: &str) -> Result<Option<ecenter_domain::lawyer::Lawyer>, StoreError> {
        Ok(super::lawyers::lawyer(&self.trees.lawyers, identity)?.map(|l| l.lawyer))
    }

    fn lawyer_by_licence(&self, licence: &str) -> Result<Option<String>, StoreError> {
        super::lawyers::by_licence(&self.trees.lawyers, licence)
    }

    fn sign_in_attempt(
        &self,
        id: &str,
    ) -> Result<Option<ecenter_domain::portal::Attempt>, StoreError> {
        super::portal::attempt(&self.trees.sign_in, id)
    }

    fn sign_in_history(
        &self,
        identity: &str,
    ) -> Result<ecenter_domain::portal::History, StoreError> {
        super::portal::history(&self.trees.sign_in, identity)
    }

    fn lawyer_listed_at(&self, identity: &str) -> Result<Option<u64>, StoreError> {
        Ok(super::lawyers::lawyer(&self.trees.lawyers, identity)?.map(|l| l.seq))
    }

    fn passkey(&self, credential_id: &str) -> Result<Option<Passkey>, StoreError> {
        super::passkeys::passkey(&self.trees.passkeys, credential_id)
    }

    fn passkeys_of(&self, identity: &str) -> Result<Vec<Passkey>, StoreError> {
        super::passkeys::of(&self.trees.passkeys, identity)
    }

    fn challenge_used(&self, challenge: &str) -> Result<bool, StoreError> {
        super::passkeys::used(&self.trees.passkeys, challenge)
    }

    fn case_pushes(&self, case_number: &str) -> Result<Option<CasePushes>, StoreError> {
        super::pushes::of_case(&self.trees.pushes, case_number)
    }

    fn portal_session(
        &self,
        hash: &str,
    ) -> Result<Option<ecenter_domain::portal::Session>, StoreError> {
        super::portal::session(&self.trees.sign_in, hash)
    }

    fn filing(&self, filing_id: &str) -> Result<Option<Filing>, StoreError> {
        self.trees
            .filings
            .get(filing_id)?
            .map(|v| decode_filing(&v))
            .transpose()
    }

    fn case_filing(
        &self,
        case_number: &str,
        keep: &dyn Fn(&Filing) -> bool,
    ) -> Result<Option<Filing>, StoreError> {
        self.first_indexed(&self.trees.by_case, case_number, keep)
    }

    fn submitter_filing(
        &self,
        submitter: &str,
        keep: &dyn Fn(&Filing) -> bool,
    ) -> Result<Option<Filing>, StoreError> {
        self.first_indexed(&self.trees.by_submitter, submitter, keep)
    }

    fn filing_for_request(
        &self,
        submitter: &str,
        request_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .trees
            .requests
            .get(key2(submitter, request_id))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn next_seq(&self) -> u64 {
        self.next_seq
    }

    fn seal(&self, seal_id: &str) -> Result<Option<SealRecord>, StoreError> {
        self.trees
            .seals
            .get(seal_id)?
            .map(|v| decode_seal(&v))
            .transpose()
    }

    fn service_order(&self, order_id: &str) -> Result<Option<OrderSummary>, StoreError> {
        self.trees
            .orders
            .get(order_id)?
            .map(|v| decode(&v, "order"))
            .transpose()
    }

    fn order_for_request(
        &self,
        ordered_by: &str,
        request_id: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .trees
            .requests
            .get(order_request_key(ordered_by, request_id))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn recipient_service(
        &self,
        order_id: &str,
        recipient_id: &str,
    ) -> Result<Option<RecipientService>, StoreError> {
        read_recipient(&self.trees.service, order_id, recipient_id)
    }

    fn suppressed(&self, address: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .trees
            .suppressed
            .get(address.to_lowercase())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn service_by_gateway_id(
        &self,
        channel: Channel,
        gateway_id: &str,
    ) -> Result<Option<RecipientKey>, StoreError> {
        let Some(v) = self
            .trees
            .service_queues
            .get(gateway_key(channel, gateway_id))?
        else {
            return Ok(None);
        };
        let mut parts = v.split(|b| *b == 0);
        match (parts.next(), parts.next()) {
            (Some(o), Some(r)) => Ok(Some(RecipientKey::new(
                String::from_utf8_lossy(o),
                String::from_utf8_lossy(r),
            ))),
            _ => Err(StoreError::Database("malformed gateway id entry".into())),
        }
    }

    fn unmatched_reply(&self, seq: u64) -> Result<Option<crate::UnmatchedReplyEntry>, StoreError> {
        let key = super::projection::unmatched_reply_key(seq);
        let Some(v) = self.trees.service_queues.get(key)? else {
            return Ok(None);
        };
        let mut entry: crate::UnmatchedReplyEntry = decode(&v, "unmatched reply")?;
        entry.seq = seq;
        Ok(Some(entry))
    }

    fn awaited_receipt(
        &self,
        part: &str,
    ) -> Result<Option<crate::AwaitedReceiptEntry>, StoreError> {
        let key = super::keys::awaited_receipt_key(part);
        self.trees
            .service_queues
            .get(key)?
            .map(|v| decode(&v, "awaited receipt"))
            .transpose()
    }
}

pub(super) type TxResult = Result<(), ConflictableTransactionError<StoreError>>;

impl Writer {
    pub(super) fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        while let Some(first) = rx.blocking_recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            // A read that found the disk failed stopped the log too (`SledStore::read_failed`).
            if self.poisoned.is_none() {
                self.poisoned = self.failure_tx.borrow().clone();
            }
            let began = self.begin_batch();
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut wrote = false;
            for (decide, reply) in batch {
                let result = if let Some(why) = &self.poisoned {
                    Err(StoreError::Poisoned(why.clone()))
                } else if let Err(why) = &began {
                    Err(StoreError::Postgres(why.clone()))
                } else {
                    self.process(decide)
                };
                wrote |= matches!(&result, Ok(a) if !a.is_empty());
                outcomes.push((reply, result));
            }
            if began.is_ok() {
                self.finish_batch(wrote, &mut outcomes);
            }
            for (reply, result) in outcomes {
                let _ = reply.send(result);
            }
        }
        if self.upstream.is_none()
            && let Err(e) = self.db.flush()
        {
            tracing::error!(error = %e, "final flush of the event log failed");
            self.failure_tx.send_replace(Some(flush_reason(&e.into())));
        }
    }

    /// Makes the batch's writes durable (a sled flush, or the PostgreSQL commit) and publishes the
    /// head; when that fails, every write of the batch is answered with the failure and the log
    /// refuses writes from then on.
    fn finish_batch(
        &mut self,
        wrote: bool,
        outcomes: &mut [(Reply, Result<Vec<Appended>, StoreError>)],
    ) {
        // The batch's documents were synced before its entries were written (`begin_batch`).
        let durable = if self.upstream.is_some() {
            self.commit_upstream(wrote)
        } else if wrote {
            self.db.flush().map(|_| ()).map_err(StoreError::from)
        } else {
            return;
        };
        if let Err(e) = durable {
            tracing::error!(error = %e, "the event log could not be made durable; refusing further writes");
            let reason = match self.upstream {
                Some(_) => format!("{}{}", super::replica::REPLICA_AHEAD, flush_reason(&e)),
                None => flush_reason(&e),
            };
            self.poisoned = Some(reason.clone());
            self.failure_tx.send_replace(Some(reason.clone()));
            for (_, result) in outcomes {
                if result.is_ok() {
                    // A row written around the hubs failed the append: nothing was recorded.
                    *result = Err(match &e {
                        StoreError::Altered(why) => StoreError::Altered(why.clone()),
                        _ => StoreError::FlushFailed(reason.clone()),
                    });
                }
            }
        } else {
            self.publish_head();
        }
    }

    /// A write into sled that failed on the disk (sled writes its log buffers as they fill, so a
    /// full disk can surface here as well as at the flush) is the flush's failure: the log refuses
    /// writes from then on and says why. Any other error (a decision refused, a record that does
    /// not decode) is only this request's.
    pub(super) fn storage_failed(&mut self, e: StoreError) -> StoreError {
        let StoreError::Io(io) = e else {
            return e;
        };
        let reason = flush_reason(&StoreError::Io(io));
        tracing::error!(%reason, "the event log could not be written; refusing further writes");
        // A replica written only in part is rebuilt from PostgreSQL at the next start.
        let reason = match self.upstream {
            Some(_) => format!("{}{reason}", super::replica::REPLICA_AHEAD),
            None => reason,
        };
        self.poisoned = Some(reason.clone());
        self.failure_tx.send_replace(Some(reason.clone()));
        StoreError::FlushFailed(reason)
    }

    /// Tells the watchers where the durable log ends, when that moved.
    pub(super) fn publish_head(&self) {
        let head = ChainHead {
            seq: self.next_seq - 1,
            hash: self.prev,
            recorded_at: self.last_at,
        };
        self.head_tx.send_if_modified(|h| {
            let moved = h.seq != head.seq || h.hash != head.hash;
            *h = head;
            moved
        });
    }

    pub(super) fn process(&mut self, decide: ErasedDecide) -> Result<Vec<Appended>, StoreError> {
        let decided = decide(&WriterView {
            trees: &self.trees,
            next_seq: self.next_seq,
        });
        // sled reports a failed background write of its buffers (a full disk) on the next
        // operation, a read here included: that is the log's failure, not this request's.
        let events = match decided {
            Ok(events) => events,
            Err(e) => return Err(self.storage_failed(e)),
        };
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let start = first_number(&events, self.next_seq)?;
        let mut prev = self.prev;
        let mut prepared = Vec::with_capacity(events.len());
        for (i, event) in events.into_iter().enumerate() {
            let seq = start + i as u64;
            let (hash, value) = encode_entry(seq, &prev, now, &event);
            prepared.push(Prepared {
                seq,
                hash,
                value,
                event,
                at: now,
            });
            prev = hash;
        }
        if let Err(e) = self.write_local(&prepared) {
            return Err(self.storage_failed(e));
        }
        let appended = prepared
            .iter()
            .map(|p| Appended {
                seq: p.seq,
                hash: p.hash,
                recorded_at: now,
            })
            .collect();
        if let Some(up) = &mut self.upstream {
            up.pending.extend(prepared);
        }
        Ok(appended)
    }

    /// Writes `prepared` (which follow the log's end) and every projection of them in one sled
    /// transaction, and moves the log's end past them.
    pub(super) fn write_local(&mut self, prepared: &[Prepared]) -> Result<(), StoreError> {
        let Some(last) = prepared.last() else {
            return Ok(());
        };
        self.layout.transaction(|events, projected| {
            for p in prepared {
                events.insert(&entry_key(p.seq), p.value.as_slice())?;
                let pos = LogPosition {
                    seq: p.seq,
                    hash: hex::encode(p.hash),
                    recorded_at: p.at,
                };
                projected.apply(&p.event, &pos)?;
            }
            projected.applied_through(last.seq)
        })?;
        self.next_seq = last.seq + 1;
        self.prev = last.hash;
        self.last_at = Some(last.at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_writer_that_stops_mid_batch_says_the_change_may_have_been_recorded() {
        use crate::EventLog;
        let dir = tempfile::tempdir().unwrap();
        let store = crate::SledStore::open(dir.path()).unwrap();
        let panics: crate::Decide<()> = Box::new(|_| panic!("a decision that panics"));
        let err = store.append(panics).await.unwrap_err();
        assert!(matches!(err, StoreError::WriterLost), "{err}");
        assert!(err.may_be_recorded(), "its documents must stay");
    }

    #[test]
    fn each_tree_is_in_the_transaction_once_and_shared_trees_are_the_same_slot() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let layout = TreeLayout::open(&db).unwrap();
        let names: Vec<_> = layout.trees.iter().map(sled::Tree::name).collect();
        assert_eq!(&*names[0], b"events");
        assert_eq!(
            &**names.last().unwrap(),
            b"read_models",
            "applied-through is written last"
        );
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "a tree opened twice: {names:?}");
        // Every projection's slot names the tree it asked for.
        for (projection, slot) in PROJECTIONS.iter().zip(&layout.slots) {
            for (name, &i) in projection.trees().iter().zip(slot) {
                assert_eq!(&*names[i], name.as_bytes());
            }
        }
        // `requests` is written by filings and by serve orders: one tree, one slot.
        let requests: Vec<usize> = PROJECTIONS
            .iter()
            .zip(&layout.slots)
            .flat_map(|(p, slot)| {
                p.trees()
                    .iter()
                    .zip(slot)
                    .filter(|(n, _)| **n == "requests")
            })
            .map(|(_, &i)| i)
            .collect();
        assert_eq!(requests.len(), 2);
        assert_eq!(requests[0], requests[1]);
    }
}
