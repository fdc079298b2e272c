//! The portal's passkeys read model (`passkeys` tree), kept in the same transaction as the log.
//!
//! Keys, by their first byte: `p` credential id → the passkey ([`Passkey`], JSON, kept after
//! removal so a removed passkey is told apart from an unknown one); `l` identity, NUL, credential
//! id → nothing (a lawyer's current passkeys, by prefix); `u` challenge id → nothing (challenges
//! used up, registration or sign-in, refused or not).

use super::*;
use ecenter_domain::passkey::Passkey;

const PASSKEY: u8 = b'p';
const OF_LAWYER: u8 = b'l';
const USED: u8 = b'u';

fn key(prefix: u8, rest: &str) -> Vec<u8> {
    let mut k = vec![prefix];
    k.extend_from_slice(rest.as_bytes());
    k
}

fn of_lawyer(identity: &str, credential_id: &str) -> Vec<u8> {
    key(OF_LAWYER, &format!("{identity}\0{credential_id}"))
}

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

fn put(tree: &TransactionalTree, credential_id: &str, p: &Passkey) -> TxResult {
    let json = serde_json::to_vec(p).expect("a passkey serialises");
    tree.insert(key(PASSKEY, credential_id), json)?;
    Ok(())
}

fn update(
    tree: &TransactionalTree,
    credential_id: &str,
    change: impl FnOnce(&mut Passkey),
) -> TxResult {
    if let Some(v) = tree.get(key(PASSKEY, credential_id))? {
        let mut p: Passkey = decode(&v, "passkey").map_err(abort)?;
        change(&mut p);
        put(tree, credential_id, &p)?;
    }
    Ok(())
}

/// The lawyers' passkeys and the challenges used up.
pub(super) struct PasskeyModel;

impl Projection for PasskeyModel {
    fn trees(&self) -> &'static [&'static str] {
        &["passkeys"]
    }

    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult {
        let tree = trees[0];
        match event {
            Event::PasskeyRegistered(r) => {
                tree.insert(key(USED, &r.challenge), &[])?;
                tree.insert(of_lawyer(&r.identity, &r.credential_id), &[])?;
                let passkey = Passkey {
                    registered: r.clone(),
                    registered_at: pos.recorded_at,
                    seq: pos.seq,
                    sign_count: r.sign_count,
                    last_used_at: None,
                    removed: false,
                };
                put(tree, &r.credential_id, &passkey)
            }
            Event::PasskeyRemoved(r) => {
                tree.remove(of_lawyer(&r.identity, &r.credential_id))?;
                update(tree, &r.credential_id, |p| p.removed = true)
            }
            Event::SignedIn(s) => {
                let Some(used) = &s.passkey else {
                    return Ok(());
                };
                tree.insert(key(USED, &s.attempt), &[])?;
                update(tree, &used.credential_id, |p| {
                    p.sign_count = p.sign_count.max(used.sign_count);
                    p.last_used_at = Some(pos.recorded_at);
                })
            }
            Event::SignInRefused(r) if !r.passkey.is_empty() && !r.attempt.is_empty() => {
                tree.insert(key(USED, &r.attempt), &[])?;
                Ok(())
            }
            _ => Ok(()),
        }
    }
}

pub(super) fn passkey(
    tree: &sled::Tree,
    credential_id: &str,
) -> Result<Option<Passkey>, StoreError> {
    tree.get(key(PASSKEY, credential_id))?
        .map(|v| decode(&v, "passkey"))
        .transpose()
}

/// `identity`'s passkeys not removed, oldest first.
pub(super) fn of(tree: &sled::Tree, identity: &str) -> Result<Vec<Passkey>, StoreError> {
    let mut found = Vec::new();
    for entry in tree.scan_prefix(key(OF_LAWYER, &format!("{identity}\0"))) {
        let (k, _) = entry?;
        let credential_id = String::from_utf8_lossy(&k[identity.len() + 2..]).into_owned();
        if let Some(p) = passkey(tree, &credential_id)? {
            found.push(p);
        }
    }
    found.sort_by_key(|p| p.seq);
    Ok(found)
}

pub(super) fn used(tree: &sled::Tree, challenge: &str) -> Result<bool, StoreError> {
    Ok(tree.contains_key(key(USED, challenge))?)
}

impl crate::PasskeyReads for SledStore {
    fn passkey(&self, credential_id: &str) -> Result<Option<Passkey>, StoreError> {
        passkey(&self.inner.trees.passkeys, credential_id)
    }

    fn passkeys_of(&self, identity: &str) -> Result<Vec<Passkey>, StoreError> {
        of(&self.inner.trees.passkeys, identity)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{append, passkey_registered as registered};
    use crate::{EventLog, PasskeyReads, ReadView, SledStore};
    use ecenter_domain::Event;
    use ecenter_domain::passkey::{PasskeyRemoved, PasskeyUse};
    use ecenter_domain::portal::SignedIn;

    async fn used(store: &SledStore, challenge: &'static str) -> bool {
        let read = move |v: &dyn ReadView| Ok((Vec::new(), v.challenge_used(challenge)?));
        store.append(Box::new(read)).await.unwrap().1
    }

    #[tokio::test]
    async fn passkeys_are_listed_per_lawyer_counted_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        append(&store, registered("cred-a", "ch-1")).await;
        append(&store, registered("cred-b", "ch-2")).await;
        assert!(used(&store, "ch-1").await && !used(&store, "ch-3").await);
        let mine = store.passkeys_of("urn:ecenter:lawyer:1").unwrap();
        assert_eq!(mine.len(), 2);
        assert!(
            store
                .passkeys_of("urn:ecenter:lawyer:10")
                .unwrap()
                .is_empty()
        );

        let signed_in = SignedIn {
            attempt: "ch-3".into(),
            session: "s2".into(),
            identity: "urn:ecenter:lawyer:1".into(),
            expires_at: chrono::Utc::now(),
            client: String::new(),
            passkey: Some(PasskeyUse {
                credential_id: "cred-a".into(),
                sign_count: 7,
                user_verified: true,
            }),
        };
        append(&store, Event::SignedIn(signed_in)).await;
        let a = store.passkey("cred-a").unwrap().unwrap();
        assert_eq!(a.sign_count, 7);
        assert!(a.last_used_at.is_some() && used(&store, "ch-3").await);

        let removed = PasskeyRemoved {
            identity: "urn:ecenter:lawyer:1".into(),
            credential_id: "cred-a".into(),
            session: "s2".into(),
        };
        append(&store, Event::PasskeyRemoved(removed)).await;
        assert!(store.passkey("cred-a").unwrap().unwrap().removed);
        let mine = store.passkeys_of("urn:ecenter:lawyer:1").unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].registered.credential_id, "cred-b");
    }
}
