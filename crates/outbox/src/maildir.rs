//! The DSN maildir belongs to the MTA: it delivers into `tmp/` and renames into `new/` as its own
//! delivery user (Postfix `virtual`: `virtual_uid_maps`), the hub reads `new/` and moves what it
//! recorded to `cur/`. A maildir the hub created as root would be one the MTA cannot write into,
//! and the reports would wait in the MTA's queue until it gives up on them (Postfix: `dsn=4.2.0,
//! status=deferred … perhaps you need to create the maildirs in advance`).
//!
//! So the hub never creates the maildir on its own. With `[service.smtp] dsn_maildir_owner` it
//! creates what is missing at start-up, owned by that user with that mode, and checks that what
//! exists is writable by that user; without it, it waits for the MTA's first delivery to create
//! the directories. Start-up reports, with the path, the owners and what to do, a maildir the hub
//! cannot read and one the configured MTA user cannot write.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The sub-directories of a maildir (the `maildir(5)` layout).
pub const SUBDIRS: [&str; 3] = ["tmp", "new", "cur"];

/// The user the MTA delivers as (`[service.smtp] dsn_maildir_owner`): the hub creates the maildir
/// with this owner and mode when it is missing, and checks that an existing one is writable by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MaildirOwner {
    /// Numeric user id (Postfix virtual: `virtual_uid_maps`).
    pub uid: u32,
    /// Numeric group id (Postfix virtual: `virtual_gid_maps`).
    pub gid: u32,
    /// Permission bits of created directories, e.g. `0o700` (the default).
    #[serde(default = "default_mode")]
    pub mode: u32,
}

fn default_mode() -> u32 {
    0o700
}

/// Where a maildir stands at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MaildirState {
    /// Every sub-directory exists and both sides can use it.
    Ready,
    /// Something is missing and nobody told the hub whom to create it for: the MTA creates it on
    /// its first delivery; until then the hub waits.
    AwaitingMta {
        /// The first missing directory.
        missing: PathBuf,
    },
}

/// A maildir that cannot work as configured: the sentence names the path, the owners and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[service.smtp] dsn_maildir: {0}")]
pub struct MaildirProblem(pub String);

/// Who owns a directory and how it may be used, as `ls -ln` would show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Access {
    uid: u32,
    gid: u32,
    mode: u32,
}

impl Access {
    fn of(path: &Path) -> std::io::Result<Access> {
        let m = std::fs::metadata(path)?;
        Ok(Access {
            uid: m.uid(),
            gid: m.gid(),
            mode: m.mode() & 0o7777,
        })
    }

    /// Whether `uid`/`gid` may create and rename entries in the directory (write + search bits
    /// of the class that applies to it; root may always).
    fn writable_by(self, uid: u32, gid: u32) -> bool {
        let bits = if uid == 0 {
            return true;
        } else if uid == self.uid {
            self.mode >> 6
        } else if gid == self.gid {
            self.mode >> 3
        } else {
            self.mode
        };
        bits & 0o3 == 0o3
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "owned by {}:{} with mode {:04o}",
            self.uid, self.gid, self.mode
        )
    }
}

/// Checks `maildir` at start-up and, when `owner` is given, creates what is missing with that
/// owner and mode. Never creates anything without `owner`.
///
/// Errors: the hub cannot list or write the maildir, or the configured MTA user cannot write one of
/// its directories, or creating it failed; each names the path, the owners and what to do.
pub fn prepare(
    maildir: &Path,
    owner: Option<MaildirOwner>,
) -> Result<MaildirState, MaildirProblem> {
    let dirs =
        std::iter::once(maildir.to_path_buf()).chain(SUBDIRS.iter().map(|s| maildir.join(s)));
    for dir in dirs {
        match Access::of(&dir) {
            Ok(access) => check_existing(&dir, access, owner)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match owner {
                Some(owner) => create(&dir, owner)?,
                None => return Ok(MaildirState::AwaitingMta { missing: dir }),
            },
            Err(e) => {
                return Err(MaildirProblem(format!(
                    "{} cannot be examined ({e}): give the hub's user access to it",
                    dir.display()
                )));
            }
        }
    }
    hub_can_read(maildir)?;
    Ok(MaildirState::Ready)
}

/// Whether the hub can work on `maildir` now (its `new/` and `cur/` exist): the loop that reads
/// reports asks this while it waits for the MTA.
pub fn is_ready(maildir: &Path) -> bool {
    SUBDIRS.iter().all(|s| maildir.join(s).is_dir())
}

fn check_existing(
    dir: &Path,
    access: Access,
    owner: Option<MaildirOwner>,
) -> Result<(), MaildirProblem> {
    let Some(owner) = owner else {
        if access.uid == 0 && rustix::process::geteuid().is_root() && !access.writable_by(1, 1) {
            tracing::warn!(
                dir = %dir.display(),
                access = %access,
                "the DSN maildir belongs to root: an MTA delivering as another user (Postfix \
                 virtual: virtual_uid_maps) cannot write there; chown it to that user or set \
                 [service.smtp] dsn_maildir_owner"
            );
        }
        return Ok(());
    };
    if access.writable_by(owner.uid, owner.gid) {
        return Ok(());
    }
    Err(MaildirProblem(format!(
        "{} is {access}, but the MTA delivers as {}:{} (dsn_maildir_owner) and cannot write there: \
         run `chown -R {}:{} {}` or correct dsn_maildir_owner to the MTA's delivery user",
        dir.display(),
        owner.uid,
        owner.gid,
        owner.uid,
        owner.gid,
        dir.display()
    )))
}

fn create(dir: &Path, owner: MaildirOwner) -> Result<(), MaildirProblem> {
    let made = std::fs::create_dir(dir)
        .and_then(|()| std::os::unix::fs::chown(dir, Some(owner.uid), Some(owner.gid)))
        .and_then(|()| std::fs::set_permissions(dir, std::fs::Permissions::from_mode(owner.mode)));
    match made {
        Ok(()) => {
            tracing::info!(
                dir = %dir.display(),
                owner = %format!("{}:{}", owner.uid, owner.gid),
                mode = %format!("{:04o}", owner.mode),
                "created the DSN maildir for the MTA (dsn_maildir_owner)"
            );
            Ok(())
        }
        Err(e) => Err(MaildirProblem(format!(
            "cannot create {} owned by {}:{} with mode {:04o} ({e}): create it yourself with that \
             owner, or run the hub as a user allowed to change owners",
            dir.display(),
            owner.uid,
            owner.gid,
            owner.mode
        ))),
    }
}

/// The hub lists `new/` and renames into `cur/`: try the first, and look at the bits for the second.
fn hub_can_read(maildir: &Path) -> Result<(), MaildirProblem> {
    let new = maildir.join("new");
    if let Err(e) = std::fs::read_dir(&new) {
        let access = Access::of(&new).map(|a| a.to_string()).unwrap_or_default();
        return Err(MaildirProblem(format!(
            "the hub cannot read {} ({e}; {access}): add the hub's user to the directory's group \
             with mode 0770, or run the hub as that user",
            new.display()
        )));
    }
    let (uid, gid) = (rustix::process::geteuid(), rustix::process::getegid());
    for sub in ["new", "cur"] {
        let dir = maildir.join(sub);
        let Ok(access) = Access::of(&dir) else {
            continue;
        };
        if !access.writable_by(uid.as_raw(), gid.as_raw()) {
            return Err(MaildirProblem(format!(
                "{} is {access}; the hub runs as {}:{} and cannot move recorded reports out of new/ \
                 into cur/: give the hub's group write access (mode 0770)",
                dir.display(),
                uid.as_raw(),
                gid.as_raw()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running_as_root() -> bool {
        rustix::process::geteuid().is_root()
    }

    #[test]
    fn without_an_owner_a_missing_maildir_is_awaited_and_never_created() {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("hub");
        let state = prepare(&maildir, None).unwrap();
        assert_eq!(
            state,
            MaildirState::AwaitingMta {
                missing: maildir.clone()
            }
        );
        assert!(
            !maildir.exists(),
            "the hub created a maildir it was not told to"
        );
        assert!(!is_ready(&maildir));
        // Half made by the MTA (maildir and tmp/ only): still waiting, still nothing created.
        std::fs::create_dir_all(maildir.join("tmp")).unwrap();
        let state = prepare(&maildir, None).unwrap();
        assert_eq!(
            state,
            MaildirState::AwaitingMta {
                missing: maildir.join("new")
            }
        );
        assert!(!maildir.join("new").exists() && !maildir.join("cur").exists());
        for sub in SUBDIRS {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        assert_eq!(prepare(&maildir, None).unwrap(), MaildirState::Ready);
        assert!(is_ready(&maildir));
    }

    #[test]
    fn with_an_owner_what_is_missing_is_created_with_that_owner_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("hub");
        // As root the hub can give the directories away (the real case); otherwise to itself.
        let (uid, gid) = if running_as_root() {
            (5000, 5000)
        } else {
            (
                rustix::process::geteuid().as_raw(),
                rustix::process::getegid().as_raw(),
            )
        };
        let owner = MaildirOwner {
            uid,
            gid,
            mode: 0o750,
        };
        assert_eq!(prepare(&maildir, Some(owner)).unwrap(), MaildirState::Ready);
        for d in [
            maildir.clone(),
            maildir.join("tmp"),
            maildir.join("new"),
            maildir.join("cur"),
        ] {
            let a = Access::of(&d).unwrap();
            assert_eq!((a.uid, a.gid, a.mode), (uid, gid, 0o750), "{}", d.display());
        }
    }

    #[test]
    fn a_maildir_the_mta_user_cannot_write_is_refused_naming_path_owners_and_fix() {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("hub");
        for sub in SUBDIRS {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        // Everything open to the MTA but tmp/, where it writes first.
        for d in [maildir.clone(), maildir.join("new"), maildir.join("cur")] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o777)).unwrap();
        }
        std::fs::set_permissions(maildir.join("tmp"), std::fs::Permissions::from_mode(0o755))
            .unwrap();
        let me = Access::of(&maildir.join("tmp")).unwrap();
        // Another user, in another group: 0755 lets it read but not write.
        let owner = MaildirOwner {
            uid: me.uid + 4242,
            gid: me.gid + 4242,
            mode: 0o700,
        };
        let problem = prepare(&maildir, Some(owner)).unwrap_err().to_string();
        let tmp = maildir.join("tmp").display().to_string();
        assert!(problem.contains(&tmp), "{problem}");
        assert!(
            problem.contains(&format!("owned by {}:{} with mode 0755", me.uid, me.gid)),
            "{problem}"
        );
        assert!(
            problem.contains(&format!("{}:{}", owner.uid, owner.gid)),
            "{problem}"
        );
        assert!(problem.contains("chown -R"), "{problem}");
        // Group-writable for the MTA's group is enough.
        std::fs::set_permissions(maildir.join("tmp"), std::fs::Permissions::from_mode(0o770))
            .unwrap();
        let group_mate = MaildirOwner {
            uid: me.uid + 4242,
            gid: me.gid,
            mode: 0o700,
        };
        std::fs::set_permissions(&maildir, std::fs::Permissions::from_mode(0o770)).unwrap();
        for sub in ["new", "cur"] {
            std::fs::set_permissions(maildir.join(sub), std::fs::Permissions::from_mode(0o770))
                .unwrap();
        }
        assert_eq!(
            prepare(&maildir, Some(group_mate)).unwrap(),
            MaildirState::Ready
        );
    }

    #[test]
    fn write_bits_are_read_for_the_class_that_applies() {
        let a = Access {
            uid: 5000,
            gid: 5000,
            mode: 0o700,
        };
        assert!(a.writable_by(5000, 1));
        assert!(!a.writable_by(1, 5000));
        assert!(!a.writable_by(1, 1));
        assert!(a.writable_by(0, 0));
        let a = Access {
            uid: 0,
            gid: 0,
            mode: 0o755,
        };
        assert!(
            !a.writable_by(5000, 5000),
            "root's 0755 directory is closed to the MTA"
        );
        let a = Access {
            uid: 0,
            gid: 0,
            mode: 0o1777,
        };
        assert!(a.writable_by(5000, 5000));
    }
}
