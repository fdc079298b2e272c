//! The service read model's and the outbox's reads: serve orders, each recipient's service, the
//! numbers SMS notices went to, and the outbox's queues (due work, in flight, unmatched replies,
//! dead letters, proofs due), from the trees [`super::projection`] writes.

use super::*;

impl ServiceReads for SledStore {
    fn service_order(&self, order_id: &str) -> Result<Option<OrderSummary>, StoreError> {
        self.inner
            .trees
            .orders
            .get(order_id)?
            .map(|v| decode(&v, "order"))
            .transpose()
    }

    fn recipient_service(
        &self,
        order_id: &str,
        recipient_id: &str,
    ) -> Result<Option<RecipientService>, StoreError> {
        read_recipient(&self.inner.trees.service, order_id, recipient_id)
    }

    fn order_recipients(
        &self,
        order_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<RecipientService>, StoreError> {
        let mut start = match after {
            Some(a) => service_key(order_id, a),
            None => key2(order_id, ""),
        };
        if after.is_some() {
            start.push(0);
        }
        let mut end = order_id.as_bytes().to_vec();
        end.push(1);
        self.inner
            .trees
            .service
            .range(start..end)
            .take(limit)
            .map(|item| decode(&item?.1, "recipient service"))
            .collect()
    }

    fn list_orders(&self, limit: usize) -> Result<Vec<OrderSummary>, StoreError> {
        // Order ids are O + twelve digits of the log position: byte order is time order.
        self.inner
            .trees
            .orders
            .iter()
            .rev()
            .take(limit)
            .map(|item| decode(&item?.1, "order"))
            .collect()
    }

    fn sms_sent_to(&self, number: &str) -> Result<Vec<RecipientKey>, StoreError> {
        let prefix = sms_sent_key(number, None);
        let mut found = Vec::new();
        for item in self.inner.trees.service_queues.scan_prefix(&prefix) {
            let (k, _) = item?;
            let mut parts = k[prefix.len()..].split(|b| *b == 0);
            match (parts.next(), parts.next()) {
                (Some(o), Some(r)) => found.push(RecipientKey::new(
                    String::from_utf8_lossy(o),
                    String::from_utf8_lossy(r),
                )),
                _ => return Err(StoreError::Database("malformed SMS number entry".into())),
            }
        }
        Ok(found)
    }

    fn suppressed(&self, address: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .inner
            .trees
            .suppressed
            .get(address.to_lowercase())?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }
}

impl OutboxReads for SledStore {
    fn due_work(&self, until: DateTime<Utc>, limit: usize) -> Result<Vec<DueWork>, StoreError> {
        let end = (until.timestamp_millis().max(0) as u64 + 1).to_be_bytes();
        self.inner
            .trees
            .due
            .range(..end.as_slice())
            .take(limit)
            .map(|item| decode_due_key(&item?.0))
            .collect()
    }

    fn next_due(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        match self.inner.trees.due.first()? {
            Some((k, _)) => Ok(Some(decode_due_key(&k)?.due.at)),
            None => Ok(None),
        }
    }

    fn in_flight(&self) -> Result<Vec<DeliveryKey>, StoreError> {
        let mut out = Vec::new();
        for item in self.inner.trees.service_queues.scan_prefix([IN_FLIGHT]) {
            let (k, _) = item?;
            let parts: Vec<&[u8]> = k[1..].split(|b| *b == 0).collect();
            if let [order, recipient, channel] = parts.as_slice() {
                out.push(
                    RecipientKey::new(
                        String::from_utf8_lossy(order),
                        String::from_utf8_lossy(recipient),
                    )
                    .on(channel_of(channel)?),
                );
            }
        }
        Ok(out)
    }

    fn unmatched_replies(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::UnmatchedReplyEntry>, StoreError> {
        let entries = self.by_position(UNMATCHED_REPLY, limit, "unmatched reply")?;
        Ok(entries
            .into_iter()
            .map(|(seq, entry)| crate::UnmatchedReplyEntry { seq, ..entry })
            .collect())
    }

    fn unmatched_receipts(
        &self,
        limit: usize,
    ) -> Result<Vec<crate::UnmatchedReceiptEntry>, StoreError> {
        let entries = self.by_position(UNMATCHED_RECEIPT, limit, "unmatched receipt")?;
        Ok(entries
            .into_iter()
            .map(|(seq, entry)| crate::UnmatchedReceiptEntry { seq, ..entry })
            .collect())
    }

    fn dead_letters(&self, limit: usize) -> Result<Vec<RecipientService>, StoreError> {
        let mut out: Vec<RecipientService> = Vec::new();
        let queued = [DEAD_LETTER, REVIEW]
            .into_iter()
            .flat_map(|p| self.inner.trees.service_queues.scan_prefix([p]));
        for item in queued {
            let (k, _) = item?;
            let parts: Vec<&[u8]> = k[1..].split(|b| *b == 0).collect();
            let [order, recipient, ..] = parts.as_slice() else {
                continue;
            };
            let (order, recipient) = (
                String::from_utf8_lossy(order),
                String::from_utf8_lossy(recipient),
            );
            if out
                .iter()
                .any(|r| r.order_id == order && r.recipient.recipient_id == recipient)
            {
                continue;
            }
            if out.len() == limit {
                break;
            }
            if let Some(r) = self.recipient_service(&order, &recipient)? {
                out.push(r);
            }
        }
        Ok(out)
    }

    fn proofs_due(&self, limit: usize) -> Result<Vec<RecipientKey>, StoreError> {
        let mut out = Vec::new();
        for item in self
            .inner
            .trees
            .service_queues
            .scan_prefix([PROOF_DUE])
            .take(limit)
        {
            let (k, _) = item?;
            let parts: Vec<&[u8]> = k[1..].split(|b| *b == 0).collect();
            if let [order, recipient] = parts.as_slice() {
                out.push(RecipientKey::new(
                    String::from_utf8_lossy(order),
                    String::from_utf8_lossy(recipient),
                ));
            }
        }
        Ok(out)
    }
}

impl SledStore {
    /// The newest `limit` entries of a queue kept by log position (`prefix`, then the entry's
    /// sequence number big-endian), each with that number; `what` names them in a decoding error.
    fn by_position<T: serde::de::DeserializeOwned>(
        &self,
        prefix: u8,
        limit: usize,
        what: &str,
    ) -> Result<Vec<(u64, T)>, StoreError> {
        let queue = &self.inner.trees.service_queues;
        let mut out = Vec::new();
        for item in queue.scan_prefix([prefix]).rev().take(limit) {
            let (k, v) = item?;
            let seq = (k.get(1..9))
                .and_then(|b| b.try_into().ok())
                .map_or(0, u64::from_be_bytes);
            out.push((seq, decode(&v, what)?));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::append;
    use crate::{ServiceReads, SledStore};
    use chrono::{TimeDelta, Utc};
    use ecenter_domain::Event;
    use ecenter_domain::effective_service::{AddressBasis, Channel};
    use ecenter_domain::serve_order::{PlanStep, RecipientRequest, ServeOrderRequest};
    use ecenter_domain::service::{AttemptResult, RecipientEvent, ServiceOrdered};

    fn ordered(order_id: &str, phone: &str) -> Event {
        let order = ServeOrderRequest {
            case_number: "（2026）鄂06民初123号".into(),
            documents: vec!["F000000000001/S1".into()],
            recipients: vec![RecipientRequest {
                name: "王五".into(),
                role: "被告".into(),
                phone: phone.into(),
                email: String::new(),
                phone_basis: Some(AddressBasis::Discovered),
                email_basis: None,
                consent_basis: "送达地址确认书".into(),
                identity: String::new(),
            }],
            plan: vec![PlanStep {
                channel: Channel::Sms,
                deadline_hours: 24,
            }],
        }
        .validate()
        .unwrap();
        Event::ServiceOrdered(ServiceOrdered {
            order_id: order_id.into(),
            request_id: format!("req-{order_id}"),
            fingerprint: String::new(),
            ordered_by: "court".into(),
            order,
            documents: Vec::new(),
            links_expire_at: Utc::now() + TimeDelta::days(7),
            notice_tag: "t".into(),
        })
    }

    fn on(order_id: &str, event: RecipientEvent) -> Event {
        Event::Service {
            order_id: order_id.into(),
            recipient_id: "R1".into(),
            event,
        }
    }

    fn sending(address: &str, attempt: u32) -> RecipientEvent {
        RecipientEvent::NoticeSending {
            channel: Channel::Sms,
            attempt,
            address: address.into(),
            message_id: format!("m{attempt}"),
            subject: String::new(),
            body: "送达通知".into(),
            link_nonce: "n".into(),
            in_doubt: false,
            holder: String::new(),
        }
    }

    fn accepted(attempt: u32) -> RecipientEvent {
        RecipientEvent::NoticeResult {
            channel: Channel::Sms,
            attempt,
            result: AttemptResult::Accepted {
                gateway_id: format!("g{attempt}"),
                receipt_by: None,
                receipt_ids: Vec::new(),
            },
        }
    }

    fn keys(store: &SledStore, number: &str) -> Vec<String> {
        let found = store.sms_sent_to(number).unwrap();
        found
            .into_iter()
            .map(|k| format!("{}/{}", k.order_id, k.recipient_id))
            .collect()
    }

    #[tokio::test]
    async fn services_are_found_by_the_number_the_smsc_accepted_their_notice_for() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        append(&store, ordered("O000000000001", "13800138201")).await;
        append(&store, ordered("O000000000002", "13800138201")).await;
        append(&store, on("O000000000001", sending("+86 138-0013-8201", 1))).await;
        // Leased, not yet accepted: no notice reached the SMSC, so no reply can answer it.
        assert!(keys(&store, "13800138201").is_empty());
        append(&store, on("O000000000001", accepted(1))).await;
        assert_eq!(keys(&store, "13800138201"), ["O000000000001/R1"]);
        append(&store, on("O000000000002", sending("13800138201", 1))).await;
        append(&store, on("O000000000002", accepted(1))).await;
        assert_eq!(
            keys(&store, "13800138201"),
            ["O000000000001/R1", "O000000000002/R1"]
        );
        // A second attempt to the same number: still one entry each.
        append(&store, on("O000000000002", sending("13800138201", 2))).await;
        append(&store, on("O000000000002", accepted(2))).await;
        assert_eq!(
            keys(&store, "13800138201"),
            ["O000000000001/R1", "O000000000002/R1"]
        );
        assert!(keys(&store, "13900139000").is_empty());
        assert!(
            keys(&store, "1380013820").is_empty(),
            "a prefix of a number"
        );
    }

    /// What the writer's view says of `part`'s awaited receipt.
    async fn awaited(store: &SledStore, part: &'static str) -> Option<crate::AwaitedReceiptEntry> {
        use crate::{EventLog, ReadView};
        let decide = move |view: &dyn ReadView| Ok((Vec::new(), view.awaited_receipt(part)?));
        store.append(Box::new(decide)).await.unwrap().1
    }

    #[tokio::test]
    async fn a_receipt_kept_before_its_sms_was_recorded_is_awaited_until_it_is_reported() {
        use ecenter_domain::service::{AwaitedReceipt, ReceiptState};
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let kept = |part: &str, awaiting: bool| Event::SmsReceiptUnmatched {
            smsc_id: part.to_lowercase(),
            status: "DELIVRD".into(),
            text: format!("id:{part} stat:DELIVRD"),
            awaiting: awaiting.then(|| AwaitedReceipt {
                part: part.into(),
                state: ReceiptState::Delivered,
            }),
            addresses: vec!["13800138201".into(), "12368".into()],
            another_number_than: None,
        };
        append(&store, kept("A1", true)).await;
        append(&store, kept("B1", false)).await;
        let entry = awaited(&store, "A1").await.expect("kept for matching");
        assert_eq!(entry.state, ReceiptState::Delivered);
        assert_eq!(entry.text, "id:A1 stat:DELIVRD");
        assert_eq!(entry.addresses, ["13800138201", "12368"]);
        assert_eq!(
            awaited(&store, "B1").await,
            None,
            "an old entry awaits nothing"
        );
        assert_eq!(
            awaited(&store, "00a1").await.map(|e| e.state),
            Some(ReceiptState::Delivered),
            "the same part, case and leading zeros aside"
        );
        append(&store, ordered("O000000000001", "13800138201")).await;
        let reported = RecipientEvent::ReceiptReported {
            channel: Channel::Sms,
            part: "A1".into(),
            state: ReceiptState::Delivered,
            at: entry.at,
            text: entry.text,
            per_attempt: true,
        };
        append(&store, on("O000000000001", reported)).await;
        assert_eq!(awaited(&store, "A1").await, None, "counted once");
        // Found about another handset once its SMS was recorded: awaits no more.
        append(&store, kept("C1", true)).await;
        let Event::SmsReceiptUnmatched { awaiting, .. } = kept("C1", true) else {
            unreachable!()
        };
        let another = Event::SmsReceiptUnmatched {
            smsc_id: "C1".into(),
            status: "DELIVERED".into(),
            text: String::new(),
            awaiting,
            addresses: vec!["13900139000".into()],
            another_number_than: Some("O000000000001/R1".into()),
        };
        append(&store, another).await;
        assert_eq!(awaited(&store, "C1").await, None, "no longer awaited");
    }

    /// The clerks' list of receipts no SMS claims: (id, awaiting, about another handset's).
    fn unclaimed(store: &SledStore) -> Vec<(String, bool, bool)> {
        use crate::OutboxReads;
        let listed = store.unmatched_receipts(10).unwrap();
        let in_order = listed.windows(2).all(|w| w[0].seq > w[1].seq);
        assert!(in_order, "newest first: {listed:?}");
        listed
            .into_iter()
            .map(|e| (e.smsc_id, e.awaiting, e.another_number_than.is_some()))
            .collect()
    }

    #[tokio::test]
    async fn receipts_no_sms_claims_are_listed_for_the_clerks_until_one_counts() {
        use ecenter_domain::service::{AwaitedReceipt, ReceiptState};
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let kept = |part: &str, awaiting: bool, another: Option<&str>| Event::SmsReceiptUnmatched {
            smsc_id: part.into(),
            status: "DELIVRD".into(),
            text: format!("id:{part} stat:DELIVRD"),
            awaiting: awaiting.then(|| AwaitedReceipt {
                part: part.into(),
                state: ReceiptState::Delivered,
            }),
            addresses: vec!["13800138201".into(), "12368".into()],
            another_number_than: another.map(str::to_string),
        };
        append(&store, kept("0x1A", false, None)).await;
        append(&store, kept("A1", true, None)).await;
        append(&store, kept("C1", true, None)).await;
        let own = |id: &str, awaiting| (id.to_string(), awaiting, false);
        assert_eq!(
            unclaimed(&store),
            [own("C1", true), own("A1", true), own("0x1A", false)]
        );
        // A1's SMS is recorded and the receipt counts: it leaves the list.
        append(&store, ordered("O000000000001", "13800138201")).await;
        let reported = RecipientEvent::ReceiptReported {
            channel: Channel::Sms,
            part: "a1".into(),
            state: ReceiptState::Delivered,
            at: chrono::Utc::now(),
            text: "id:A1 stat:DELIVRD".into(),
            per_attempt: true,
        };
        append(&store, on("O000000000001", reported)).await;
        assert_eq!(unclaimed(&store), [own("C1", true), own("0x1A", false)]);
        // C1 is found about another handset: that entry takes the awaiting one's place.
        append(&store, kept("C1", true, Some("O000000000001/R1"))).await;
        assert_eq!(
            unclaimed(&store),
            [("C1".to_string(), false, true), own("0x1A", false)]
        );
    }
}
