//! The writer thread: it runs each decision over a view of the log and its read models, and
//! writes the entries and every projection in one sled transaction.

use super::*;

pub(super) struct Writer {
    pub(super) db: sled::Db,
    pub(super) trees: Trees,
    /// The trees the append transaction writes: `events`, then every projection's.
    pub(super) layout: TreeLayout,
    pub(super) next_seq: u64,
    pub(super) prev: [u8; 32],
    pub(super) head_tx: watch::Sender<ChainHead>,
    pub(super) failure_tx: watch::Sender<Option<String>>,
    pub(super) poisoned: bool,
    pub(super) blobs: BlobStore,
}

/// The trees of one append transaction: `events` first, then each tree a projection names, once;
/// and, per projection, where its trees are in that list.
pub(super) struct TreeLayout {
    trees: Vec<sled::Tree>,
    slots: Vec<Vec<usize>>,
}

impl TreeLayout {
    /// Opens `events` and every tree of [`PROJECTIONS`].
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
        let trees = names
            .iter()
            .map(|n| db.open_tree(n))
            .collect::<sled::Result<_>>()?;
        Ok(TreeLayout { trees, slots })
    }

    fn handles(&self) -> Vec<&sled::Tree> {
        self.trees.iter().collect()
    }

    /// Each projection's trees, in the order it names them, out of the transaction's `views`.
    fn views<'v>(&self, views: &'v [TransactionalTree]) -> Vec<Vec<&'v TransactionalTree>> {
        self.slots
            .iter()
            .map(|slot| slot.iter().map(|&i| &views[i]).collect())
            .collect()
    }
}

pub(super) struct WriterView<'a> {
    pub(super) trees: &'a Trees,
    pub(super) next_seq: u64,
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

    fn filing(&self, filing_id: &str) -> Result<Option<Filing>, StoreError> {
        self.trees
            .filings
            .get(filing_id)?
            .map(|v| decode_filing(&v))
            .transpose()
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
            let mut outcomes = Vec::with_capacity(batch.len());
            let mut wrote = false;
            for (decide, reply) in batch {
                let result = if self.poisoned {
                    Err(StoreError::Poisoned)
                } else {
                    self.process(decide)
                };
                wrote |= matches!(&result, Ok(a) if !a.is_empty());
                outcomes.push((reply, result));
            }
            if wrote {
                if let Err(e) = self
                    .blobs
                    .sync()
                    .and_then(|()| self.db.flush().map_err(StoreError::from))
                {
                    tracing::error!(error = %e, "flush of the event log failed; refusing further writes");
                    self.poisoned = true;
                    let reason = flush_reason(&e);
                    self.failure_tx.send_replace(Some(reason.clone()));
                    for (_, result) in &mut outcomes {
                        if result.is_ok() {
                            *result = Err(StoreError::FlushFailed(reason.clone()));
                        }
                    }
                } else {
                    let at = outcomes.iter().rev().find_map(|(_, r)| {
                        r.as_ref()
                            .ok()
                            .and_then(|a| a.last())
                            .map(|a| a.recorded_at)
                    });
                    self.head_tx.send_replace(ChainHead {
                        seq: self.next_seq - 1,
                        hash: self.prev,
                        recorded_at: at,
                    });
                }
            }
            for (reply, result) in outcomes {
                let _ = reply.send(result);
            }
        }
        if let Err(e) = self.db.flush() {
            tracing::error!(error = %e, "final flush of the event log failed");
            self.failure_tx.send_replace(Some(flush_reason(&e.into())));
        }
    }

    pub(super) fn process(&mut self, decide: ErasedDecide) -> Result<Vec<Appended>, StoreError> {
        let events = decide(&WriterView {
            trees: &self.trees,
            next_seq: self.next_seq,
        })?;
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let now = Utc::now();
        let start = first_number(&events, self.next_seq)?;
        let mut prev = self.prev;
        let mut prepared = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let seq = start + i as u64;
            let (hash, value) = encode_entry(seq, &prev, now, event);
            prepared.push((seq, hash, value, event));
            prev = hash;
        }
        let layout = &self.layout;
        let result = layout.handles().as_slice().transaction(|views| {
            let by_projection = layout.views(views);
            for (seq, hash, value, event) in &prepared {
                views[0].insert(&entry_key(*seq), value.as_slice())?;
                let pos = LogPosition {
                    seq: *seq,
                    hash: hex::encode(hash),
                    recorded_at: now,
                };
                for (projection, trees) in PROJECTIONS.iter().zip(&by_projection) {
                    projection.apply(event, &pos, trees)?;
                }
            }
            Ok(())
        });
        match result {
            Ok(()) => {}
            Err(TransactionError::Abort(e)) => return Err(e),
            Err(TransactionError::Storage(e)) => return Err(e.into()),
        }
        self.next_seq = start + prepared.len() as u64;
        self.prev = prev;
        Ok(prepared
            .into_iter()
            .map(|(seq, hash, _, _)| Appended {
                seq,
                hash,
                recorded_at: now,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_tree_is_in_the_transaction_once_and_shared_trees_are_the_same_slot() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let layout = TreeLayout::open(&db).unwrap();
        let names: Vec<_> = layout.trees.iter().map(sled::Tree::name).collect();
        assert_eq!(&*names[0], b"events");
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
