//! The lawyer directory read model (`lawyers` tree), kept in the same transaction as the log.
//!
//! Keys, by their first byte: `i` identity → the lawyer's entry with the seq that listed it
//! (JSON, [`ListedLawyer`]); `l` practising
//! certificate number → identity, so one number cannot be listed for two lawyers (the API checks
//! it under the writer through [`crate::ReadView::lawyer_by_licence`]).

use super::*;
use crate::ListedLawyer;

const BY_IDENTITY: u8 = b'i';
const BY_LICENCE: u8 = b'l';

fn key(prefix: u8, rest: &str) -> Vec<u8> {
    let mut k = vec![prefix];
    k.extend_from_slice(rest.as_bytes());
    k
}

fn abort(e: StoreError) -> ConflictableTransactionError<StoreError> {
    ConflictableTransactionError::Abort(e)
}

/// The court's directory of lawyers.
pub(super) struct LawyerDirectory;

impl Projection for LawyerDirectory {
    fn trees(&self) -> &'static [&'static str] {
        &["lawyers"]
    }

    fn apply(&self, event: &Event, pos: &LogPosition, trees: &[&TransactionalTree]) -> TxResult {
        let tree = trees[0];
        let identity = match event {
            Event::LawyerRecorded { lawyer, .. } => &lawyer.identity,
            Event::LawyerRemoved { identity, .. } => identity,
            _ => return Ok(()),
        };
        if let Some(v) = tree.get(key(BY_IDENTITY, identity))? {
            let before: ListedLawyer = decode(&v, "lawyer").map_err(abort)?;
            let licence = key(BY_LICENCE, &before.lawyer.licence_number);
            // Only this lawyer's own index entry: the API never lets two share a number, and a
            // log that did anyway must not lose the other's.
            if tree
                .get(&licence)?
                .is_some_and(|v| v == identity.as_bytes())
            {
                tree.remove(licence)?;
            }
            tree.remove(key(BY_IDENTITY, identity))?;
        }
        if let Event::LawyerRecorded { lawyer, .. } = event {
            let listed = ListedLawyer {
                lawyer: lawyer.clone(),
                seq: pos.seq,
            };
            let json = serde_json::to_vec(&listed).expect("a lawyer always serialises");
            tree.insert(key(BY_IDENTITY, identity), json)?;
            tree.insert(key(BY_LICENCE, &lawyer.licence_number), identity.as_bytes())?;
        }
        Ok(())
    }
}

pub(super) fn lawyer(
    tree: &sled::Tree,
    identity: &str,
) -> Result<Option<ListedLawyer>, StoreError> {
    tree.get(key(BY_IDENTITY, identity))?
        .map(|v| decode(&v, "lawyer"))
        .transpose()
}

pub(super) fn by_licence(tree: &sled::Tree, licence: &str) -> Result<Option<String>, StoreError> {
    Ok(tree
        .get(key(BY_LICENCE, licence))?
        .map(|v| String::from_utf8_lossy(&v).into_owned()))
}

impl crate::LawyerReads for SledStore {
    fn lawyer(&self, identity: &str) -> Result<Option<ListedLawyer>, StoreError> {
        lawyer(&self.inner.trees.lawyers, identity)
    }

    fn lawyer_by_licence(&self, licence: &str) -> Result<Option<String>, StoreError> {
        by_licence(&self.inner.trees.lawyers, licence)
    }

    fn lawyers(&self, after: Option<&str>, limit: usize) -> Result<Vec<ListedLawyer>, StoreError> {
        let tree = &self.inner.trees.lawyers;
        let start = match after {
            // The key right after `after`'s own.
            Some(a) => {
                let mut k = key(BY_IDENTITY, a);
                k.push(0);
                k
            }
            None => vec![BY_IDENTITY],
        };
        tree.range(start..vec![BY_IDENTITY + 1])
            .take(limit)
            .map(|item| decode(&item?.1, "lawyer"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::{EventLog, LawyerReads, ReadView, SledStore};
    use ecenter_domain::Event;
    use ecenter_domain::lawyer::Lawyer;

    fn lawyer(id: &str, licence: &str) -> Lawyer {
        Lawyer {
            identity: format!("urn:ecenter:lawyer:{id}"),
            name: "张明".into(),
            licence_number: licence.into(),
            law_firm: "湖北楚天律师事务所".into(),
            phone: "13800138000".into(),
            email: format!("{id}@chutian-law.cn"),
        }
    }

    async fn append(store: &SledStore, events: Vec<Event>) {
        store
            .append(Box::new(move |_: &dyn ReadView| Ok((events, ()))))
            .await
            .unwrap();
    }

    fn recorded(l: Lawyer) -> Event {
        Event::LawyerRecorded {
            lawyer: l,
            by: "urn:ecenter:court:xf".into(),
        }
    }

    #[tokio::test]
    async fn a_changed_licence_frees_the_old_number_and_removal_frees_both() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path()).unwrap();
        let (a, b) = ("14201201010000001", "14201201010000002");
        append(&store, vec![recorded(lawyer("zhang", a))]).await;
        append(&store, vec![recorded(lawyer("li", b))]).await;
        let zhang = "urn:ecenter:lawyer:zhang";
        assert_eq!(store.lawyer_by_licence(a).unwrap().as_deref(), Some(zhang));
        append(&store, vec![recorded(lawyer("zhang", "14201201010000003"))]).await;
        assert_eq!(store.lawyer_by_licence(a).unwrap(), None);
        let now = store.lawyer_by_licence("14201201010000003").unwrap();
        assert_eq!(now.as_deref(), Some(zhang));
        let listed: Vec<_> = store.lawyers(None, 10).unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].lawyer.identity, "urn:ecenter:lawyer:li");
        let after_li = store.lawyers(Some("urn:ecenter:lawyer:li"), 10).unwrap();
        assert_eq!(after_li[0].lawyer, lawyer("zhang", "14201201010000003"));
        assert_eq!(after_li[0].seq, 3, "the entry that listed it");
        assert_eq!(after_li.len(), 1);
        let removed = Event::LawyerRemoved {
            identity: zhang.into(),
            by: "urn:ecenter:court:xf".into(),
            reason: "停止执业".into(),
        };
        append(&store, vec![removed]).await;
        assert_eq!(store.lawyer(zhang).unwrap(), None);
        assert_eq!(store.lawyer_by_licence("14201201010000003").unwrap(), None);
        assert_eq!(store.lawyers(None, 10).unwrap().len(), 1);
    }
}
