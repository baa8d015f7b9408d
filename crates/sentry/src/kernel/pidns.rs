//! PID namespaces.
//!
//! Every task has one sandbox-wide ID (the *global* ID, the ID in the sandbox's root
//! PID namespace), which the kernel uses internally everywhere. A task in a nested
//! namespace also has an ID in its own namespace and in each namespace between it and
//! the root; system calls translate IDs between the caller's namespace and global IDs
//! at the boundary (`PidNs::local`, `PidNs::global`). The root namespace translates by
//! identity without taking a lock.
//!
//! Linux's rules that follow from namespaces live with the callers: the first process
//! of a namespace is its init (local ID 1; orphans are reparented to it; when it exits
//! every other process of the namespace is killed and no new process can enter), init
//! ignores signals from inside its namespace that it has no handler for, and a process
//! sees only the processes of its own namespace and those below it.

use super::userns::UserNs;
use super::Tid;
use husk_abi::Errno;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// Linux's MAX_PID_NS_LEVEL: the deepest nesting allowed.
const MAX_LEVEL: u32 = 32;

/// A PID namespace.
pub struct PidNs {
    /// The namespace's inode number (/proc/PID/ns/pid).
    pub id: u64,
    /// 0 for the sandbox's root namespace.
    pub level: u32,
    pub parent: Option<Arc<PidNs>>,
    /// The user namespace that owns it.
    pub owner: Arc<UserNs>,
    ids: Mutex<Ids>,
}

/// The ID maps of a nested namespace (unused in the root namespace).
#[derive(Default)]
struct Ids {
    to_local: HashMap<Tid, Tid>,
    to_global: HashMap<Tid, Tid>,
    /// The next local ID to try.
    next: Tid,
    /// Global ID of the namespace's init, once it exists.
    init: Option<Tid>,
    /// Init has exited: no process may enter any more (fork gives ENOMEM).
    dead: bool,
}

impl std::fmt::Debug for PidNs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PidNs({}, level {})", self.id, self.level)
    }
}

impl PidNs {
    /// The sandbox's root namespace: local IDs are global IDs.
    pub fn root(owner: Arc<UserNs>) -> Arc<PidNs> {
        Arc::new(PidNs {
            id: super::next_ns_id(),
            level: 0,
            parent: None,
            owner,
            ids: Mutex::new(Ids::default()),
        })
    }

    /// A new namespace below `parent`, owned by `owner`.
    pub fn new_child(parent: &Arc<PidNs>, owner: Arc<UserNs>) -> Result<Arc<PidNs>, Errno> {
        if parent.level + 1 > MAX_LEVEL {
            return Err(Errno::ENOSPC);
        }
        Ok(Arc::new(PidNs {
            id: super::next_ns_id(),
            level: parent.level + 1,
            parent: Some(parent.clone()),
            owner,
            ids: Mutex::new(Ids {
                next: 1,
                ..Ids::default()
            }),
        }))
    }

    fn ids(&self) -> MutexGuard<'_, Ids> {
        self.ids.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn is_root(&self) -> bool {
        self.level == 0
    }

    /// The ID of global ID `global` in this namespace, 0 if the task is not visible
    /// from here (Linux reports 0 for such tasks, e.g. the parent of a namespace's init).
    pub fn local(&self, global: Tid) -> Tid {
        if self.is_root() || global <= 0 {
            return global;
        }
        self.ids().to_local.get(&global).copied().unwrap_or(0)
    }

    /// The global ID of local ID `local`, if a task of this namespace (or below) has it.
    pub fn global(&self, local: Tid) -> Option<Tid> {
        if self.is_root() {
            return Some(local);
        }
        self.ids().to_global.get(&local).copied()
    }

    /// Whether a task with global ID `global` is visible from this namespace.
    pub fn sees(&self, global: Tid) -> bool {
        self.is_root() || self.ids().to_local.contains_key(&global)
    }

    /// Whether `self` is `other` or one of its ancestors.
    pub fn is_ancestor_of(&self, other: &PidNs) -> bool {
        let mut ns = Some(other);
        while let Some(n) = ns {
            if std::ptr::eq(n, self) {
                return true;
            }
            ns = n.parent.as_deref();
        }
        false
    }

    /// Global ID of the namespace's init (1 for the root namespace), if it has one.
    pub fn init(&self) -> Option<Tid> {
        if self.is_root() {
            Some(1)
        } else {
            self.ids().init
        }
    }

    /// Gives global ID `global` an ID in this namespace and every one above it up to
    /// the root. The first process of a namespace becomes its init. ENOMEM once the
    /// namespace's init has exited.
    pub fn assign(&self, global: Tid) -> Result<(), Errno> {
        let mut chain = Vec::new();
        let mut ns = Some(self);
        while let Some(n) = ns.filter(|n| !n.is_root()) {
            chain.push(n);
            ns = n.parent.as_deref();
        }
        if chain.iter().any(|n| n.ids().dead) {
            return Err(Errno::ENOMEM);
        }
        for n in chain {
            let mut ids = n.ids();
            let mut local = ids.next.max(1);
            while ids.to_global.contains_key(&local) {
                local = if local >= super::PID_MAX - 1 {
                    // Wrapping skips 1: only init may have it.
                    2
                } else {
                    local + 1
                };
            }
            ids.next = if local >= super::PID_MAX - 1 {
                2
            } else {
                local + 1
            };
            if local == 1 {
                ids.init = Some(global);
            }
            // A stale entry (the ID lingered as a group ID) is replaced.
            if let Some(old) = ids.to_local.remove(&global) {
                ids.to_global.remove(&old);
            }
            ids.to_local.insert(global, local);
            ids.to_global.insert(local, global);
        }
        Ok(())
    }

    /// Frees the IDs global ID `global` had in this namespace and those above it.
    pub fn release(&self, global: Tid) {
        let mut ns = Some(self);
        while let Some(n) = ns.filter(|n| !n.is_root()) {
            let mut ids = n.ids();
            if let Some(local) = ids.to_local.remove(&global) {
                ids.to_global.remove(&local);
            }
            drop(ids);
            ns = n.parent.as_deref();
        }
    }

    /// Marks the namespace dead (its init exited): no process may enter it any more.
    pub fn set_dead(&self) {
        if !self.is_root() {
            self.ids().dead = true;
        }
    }
}
