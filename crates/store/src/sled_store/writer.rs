//! The writer thread: it runs each decision over a view of the log and its read models, and
//! writes the entries and every projection in one sled transaction.

use super::*;

pub(super) struct Writer {
    pub(super) db: sled::Db,
    pub(super) trees: Trees,
    pub(super) next_seq: u64,
    pub(super) prev: [u8; 32],
    pub(super) head_tx: watch::Sender<ChainHead>,
    pub(super) failure_tx: watch::Sender<Option<String>>,
    pub(super) poisoned: bool,
    pub(super) blobs: BlobStore,
}

pub(super) struct WriterView<'a> {
    pub(super) trees: &'a Trees,
    pub(super) next_seq: u64,
}

impl ReadView for WriterView<'_> {
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
        let t = &self.trees;
        let result = (
            &t.events,
            &t.filings,
            &t.requests,
            &t.by_case,
            &t.by_submitter,
            &t.queues,
            &t.seals,
            &t.orders,
            &t.service,
            &t.due,
            &t.service_queues,
            &t.suppressed,
        )
            .transaction(
                |(
                    events_t,
                    filings_t,
                    requests_t,
                    case_t,
                    submitter_t,
                    queues_t,
                    seals_t,
                    orders_t,
                    service_t,
                    due_t,
                    service_queues_t,
                    suppressed_t,
                )| {
                    for (seq, hash, value, event) in &prepared {
                        events_t.insert(&entry_key(*seq), value.as_slice())?;
                        let pos = LogPosition {
                            seq: *seq,
                            hash: hex::encode(hash),
                            recorded_at: now,
                        };
                        project_seal(event, &pos, seals_t)?;
                        project_service(
                            event,
                            &pos,
                            &ServiceTrees {
                                requests: requests_t,
                                orders: orders_t,
                                service: service_t,
                                due: due_t,
                                queues: service_queues_t,
                                suppressed: suppressed_t,
                            },
                        )?;
                        let Some(filing_id) = event.filing_id() else {
                            continue;
                        };
                        let before = match filings_t.get(filing_id)? {
                            Some(v) => Some(
                                decode_filing(&v).map_err(ConflictableTransactionError::Abort)?,
                            ),
                            None => None,
                        };
                        let Some(after) = Filing::apply(before.clone(), event, &pos) else {
                            continue;
                        };
                        let json = serde_json::to_vec(&after).expect("filings always serialise");
                        filings_t.insert(after.filing_id.as_bytes(), json)?;
                        project_indexes(
                            before.as_ref(),
                            &after,
                            requests_t,
                            case_t,
                            submitter_t,
                            queues_t,
                        )?;
                    }
                    Ok(())
                },
            );
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
