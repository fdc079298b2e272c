//! The portal's sign-in read model (`sign_in` tree), kept in the same transaction as the log.
//!
//! Keys, by their first byte: `a` attempt id → the attempt ([`Attempt`], JSON); `c` identity →
//! the lawyer's recent codes sent and wrong codes typed ([`History`], JSON, for the limits);
//! `s` hex SHA-256 of a session cookie → the session ([`Session`], JSON).

use super::*;
use ecenter_domain::portal::{Attempt, History, Session};

const ATTEMPT: u8 = b'a';
const CODES: u8 = b'c';
const SESSION: u8 = b's';

fn key(prefix: u8, rest: &str) -> Vec<u8> {
    let mut k = vec![prefix];
    k.extend_from_slice(rest.as_bytes());
    k
}

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

fn put<T: serde::Serialize>(tree: &TransactionalTree, k: Vec<u8>, v: &T) -> TxResult {
    tree.insert(k, serde_json::to_vec(v).expect("sign-in state serialises"))?;
    Ok(())
}

fn get<T: serde::de::DeserializeOwned>(
    tree: &TransactionalTree,
    k: Vec<u8>,
    what: &str,
) -> Result<Option<T>, ConflictableTransactionError<StoreError>> {
    tree.get(k)?
        .map(|v| decode(&v, what).map_err(abort))
        .transpose()
}

/// Sign-in attempts, the codes sent per lawyer and the sessions.
pub(super) struct SignInModel;

impl Projection for SignInModel {
    fn trees(&self) -> &'static [&'static str] {
        &["sign_in"]
    }

    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult {
        let tree = trees[0];
        match event {
            Event::SignInCodeSent(sent) => {
                update_history(tree, &sent.identity, pos, |h| {
                    h.codes_sent.push(pos.recorded_at);
                })?;
                let attempt = Attempt {
                    sent: sent.clone(),
                    accepted: None,
                    wrong: 0,
                    ended: false,
                    sent_at: Some(pos.recorded_at),
                };
                put(tree, key(ATTEMPT, &sent.attempt), &attempt)
            }
            Event::SignInCodeResult(r) => {
                let Some(a) = get::<Attempt>(tree, key(ATTEMPT, &r.attempt), "sign-in attempt")?
                else {
                    return Ok(());
                };
                if !r.accepted && !r.maybe_sent {
                    // Nobody received it: it does not count against the lawyer's limits.
                    update_history(tree, &a.sent.identity, pos, |h| {
                        h.codes_sent.retain(|t| Some(*t) != a.sent_at);
                    })?;
                }
                update_attempt(tree, &r.attempt, |a| a.accepted = Some(r.accepted))
            }
            Event::SignInRefused(r) if !r.attempt.is_empty() => {
                if r.wrong_code {
                    update_history(tree, &r.identity, pos, |h| {
                        h.wrong_codes.push(pos.recorded_at);
                    })?;
                }
                update_attempt(tree, &r.attempt, |a| {
                    a.wrong += u32::from(r.wrong_code);
                    a.ended |= r.ended_attempt;
                })
            }
            Event::SignedIn(s) => {
                update_attempt(tree, &s.attempt, |a| a.ended = true)?;
                let session = Session {
                    identity: s.identity.clone(),
                    signed_in_at: pos.recorded_at,
                    expires_at: s.expires_at,
                    ended: false,
                    seq: pos.seq,
                };
                put(tree, key(SESSION, &s.session), &session)
            }
            // The court lifted the stop (LiftSignInStop), or recorded the lawyer's entry anew:
            // the lawyer's limits start afresh — a stop someone else's wrong codes put on a
            // lawyer (a stranger needs only the 执业证号 for that) ends.
            Event::SignInStopLifted { identity, .. }
            | Event::LawyerRecorded {
                lawyer: ecenter_domain::lawyer::Lawyer { identity, .. },
                ..
            } => {
                tree.remove(key(CODES, identity))?;
                Ok(())
            }
            Event::SignedOut(s) => {
                let k = key(SESSION, &s.session);
                if let Some(mut session) = get::<Session>(tree, k.clone(), "session")? {
                    session.ended = true;
                    put(tree, k, &session)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

fn update_history(
    tree: &TransactionalTree,
    identity: &str,
    pos: &LogPosition,
    change: impl FnOnce(&mut History),
) -> TxResult {
    let k = key(CODES, identity);
    let mut history: History = get(tree, k.clone(), "sign-in history")?.unwrap_or_default();
    history.prune(pos.recorded_at);
    change(&mut history);
    put(tree, k, &history)
}

fn update_attempt(
    tree: &TransactionalTree,
    id: &str,
    change: impl FnOnce(&mut Attempt),
) -> TxResult {
    let k = key(ATTEMPT, id);
    if let Some(mut attempt) = get::<Attempt>(tree, k.clone(), "sign-in attempt")? {
        change(&mut attempt);
        put(tree, k, &attempt)?;
    }
    Ok(())
}

pub(super) fn attempt(tree: &sled::Tree, id: &str) -> Result<Option<Attempt>, StoreError> {
    tree.get(key(ATTEMPT, id))?
        .map(|v| decode(&v, "sign-in attempt"))
        .transpose()
}

pub(super) fn history(tree: &sled::Tree, identity: &str) -> Result<History, StoreError> {
    Ok(tree
        .get(key(CODES, identity))?
        .map(|v| decode(&v, "sign-in history"))
        .transpose()?
        .unwrap_or_default())
}

pub(super) fn session(tree: &sled::Tree, hash: &str) -> Result<Option<Session>, StoreError> {
    tree.get(key(SESSION, hash))?
        .map(|v| decode(&v, "session"))
        .transpose()
}

impl crate::PortalReads for SledStore {
    fn sign_in_attempt(&self, id: &str) -> Result<Option<Attempt>, StoreError> {
        attempt(&self.inner.trees.sign_in, id)
    }

    fn portal_session(&self, hash: &str) -> Result<Option<Session>, StoreError> {
        session(&self.inner.trees.sign_in, hash)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::append;
    use crate::{EventLog, PortalReads, ReadView, SledStore};
    use ecenter_domain::Event;
    use ecenter_domain::effective_service::Channel;
    use ecenter_domain::portal::{CodeResult, CodeSent, SignInRefused};

    fn sent(attempt: &str) -> Event {
        Event::SignInCodeSent(CodeSent {
            attempt: attempt.into(),
            identity: "urn:ecenter:lawyer:1".into(),
            channel: Channel::Email,
            address: "zhang@chutian-law.cn".into(),
            message_id: format!("{attempt}.sign-in@hub"),
            expires_at: chrono::Utc::now() + chrono::TimeDelta::minutes(10),
            client: String::new(),
        })
    }

    /// The history as the writer reads it (an append of nothing).
    async fn history(store: &SledStore) -> ecenter_domain::portal::History {
        let read = |v: &dyn ReadView| Ok((Vec::new(), v.sign_in_history("urn:ecenter:lawyer:1")?));
        store.append(Box::new(read)).await.unwrap().1
    }

    /// A wrong code typed in attempt `attempt` of the lawyer `urn:ecenter:lawyer:1`.
    fn wrong_code(attempt: &str) -> Event {
        Event::SignInRefused(SignInRefused {
            attempt: attempt.into(),
            identity: "urn:ecenter:lawyer:1".into(),
            asked_as: String::new(),
            reason: "验证码不正确".into(),
            wrong_code: true,
            ended_attempt: false,
            client: String::new(),
            passkey: String::new(),
        })
    }

    #[tokio::test]
    async fn a_refused_send_does_not_count_and_wrong_codes_are_kept_for_the_day_or_a_new_listing() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        append(&store, sent("a1")).await;
        assert_eq!(history(&store).await.codes_sent.len(), 1);
        let refused = CodeResult {
            attempt: "a1".into(),
            accepted: false,
            detail: "permanent: 550".into(),
            maybe_sent: false,
        };
        append(&store, Event::SignInCodeResult(refused)).await;
        assert_eq!(history(&store).await.codes_sent.len(), 0, "nobody got it");
        assert_eq!(
            store.sign_in_attempt("a1").unwrap().unwrap().accepted,
            Some(false)
        );

        append(&store, sent("a2")).await;
        append(&store, wrong_code("a2")).await;
        let h = history(&store).await;
        assert_eq!((h.codes_sent.len(), h.wrong_codes.len()), (1, 1));
        assert_eq!(store.sign_in_attempt("a2").unwrap().unwrap().wrong, 1);
        // The court lists the lawyer again: the limits start afresh.
        let listed = Event::LawyerRecorded {
            lawyer: ecenter_domain::lawyer::Lawyer {
                identity: "urn:ecenter:lawyer:1".into(),
                name: "张明".into(),
                licence_number: "14201202010000001".into(),
                law_firm: "湖北楚天律师事务所".into(),
                phone: String::new(),
                email: "zhang@example.cn".into(),
            },
            by: "urn:ecenter:court:xiangyang-cms".into(),
        };
        append(&store, listed).await;
        let h = history(&store).await;
        assert_eq!((h.codes_sent.len(), h.wrong_codes.len()), (0, 0));
        // A wrong code again, then the court lifts the stop: afresh again.
        append(&store, wrong_code("a2")).await;
        assert_eq!(history(&store).await.wrong_codes.len(), 1);
        let lifted = Event::SignInStopLifted {
            identity: "urn:ecenter:lawyer:1".into(),
            by: "urn:ecenter:clerk:wang".into(),
            reason: "律师来电核实身份".into(),
        };
        append(&store, lifted).await;
        assert_eq!(
            history(&store).await,
            ecenter_domain::portal::History::default()
        );
    }
}
