//! Advisory file locks.
//!
//! - POSIX record locks (F_SETLK, F_SETLKW, F_GETLK) belong to the fd table that set them,
//!   as Linux's belong to the `files_struct`: threads share them, a forked child does not
//!   inherit them, and they are released when the owner closes *any* descriptor of the
//!   file or the table goes away.
//! - OFD locks (F_OFD_SETLK, ...) live in the same byte-range space but belong to an open
//!   file description and go away with it.
//! - flock(2) locks are whole-file locks of an open file description, in their own space
//!   (they never conflict with record locks, as on Linux).
//!
//! Locks are attached to the inode (or, for files without one such as pipes, to the open
//! file's operations object) that the open file refers to. An entry keeps that object
//! alive while it has locks and is removed when the last lock goes.

use super::{FileOps, InodeRef, OpenFile};
use crate::waiter::WaitQueue;
use husk_abi::Errno;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

/// The largest file offset; a lock ending there extends past the end of the file.
pub const OFFSET_MAX: u64 = i64::MAX as u64;

/// Who owns a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A POSIX record lock: the id of the fd table that set it.
    Table(u64),
    /// An OFD or flock lock: the address of the open file description.
    File(usize),
}

/// One lock: the inclusive byte range `[start, end]` (`end == OFFSET_MAX`: to the end of
/// the file and beyond).
#[derive(Clone, Copy, Debug)]
pub struct Lock {
    pub owner: Owner,
    /// The process that set it (F_GETLK's `l_pid`; -1 for OFD locks).
    pub pid: i32,
    pub start: u64,
    pub end: u64,
    pub write: bool,
}

impl Lock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }
}

/// Which lock space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Space {
    Record,
    Flock,
}

/// What the locks of one object keep alive.
#[allow(dead_code)]
enum Obj {
    Inode(InodeRef),
    Ops(Arc<dyn FileOps>),
}

struct Entry {
    _obj: Obj,
    record: Vec<Lock>,
    flock: Vec<Lock>,
}

impl Entry {
    fn list(&mut self, space: Space) -> &mut Vec<Lock> {
        match space {
            Space::Record => &mut self.record,
            Space::Flock => &mut self.flock,
        }
    }
}

#[derive(Default)]
struct State {
    entries: HashMap<usize, Entry>,
    /// POSIX owners blocked in F_SETLKW and the owner each waits for.
    waiting: HashMap<Owner, Owner>,
}

/// The lock table of the sandbox.
pub struct Locks {
    state: Mutex<State>,
    /// Notified whenever a lock is released or downgraded.
    pub wq: Arc<WaitQueue>,
    /// Number of objects with locks (lets closes skip the table when there are none).
    active: AtomicUsize,
}

/// The one lock table (one sandbox per Sentry process).
pub static LOCKS: LazyLock<Locks> = LazyLock::new(|| Locks {
    state: Mutex::new(State::default()),
    wq: WaitQueue::new(),
    active: AtomicUsize::new(0),
});

/// The key of what `f` refers to, and the object to keep alive.
fn key_of(f: &OpenFile) -> (usize, Obj) {
    match &f.dentry {
        Some(d) => (
            Arc::as_ptr(&d.inode) as *const () as usize,
            Obj::Inode(d.inode.clone()),
        ),
        None => (
            Arc::as_ptr(&f.ops) as *const () as usize,
            Obj::Ops(f.ops.clone()),
        ),
    }
}

/// The owner of OFD and flock locks of `f`.
pub fn file_owner(f: &Arc<OpenFile>) -> Owner {
    Owner::File(Arc::as_ptr(f) as usize)
}

impl Locks {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The first lock of another owner that conflicts with `[start, end]`.
    pub fn test(
        &self,
        f: &OpenFile,
        space: Space,
        owner: Owner,
        start: u64,
        end: u64,
        write: bool,
    ) -> Option<Lock> {
        let (key, _) = key_of(f);
        let mut st = self.lock();
        let e = st.entries.get_mut(&key)?;
        conflict(e.list(space), owner, start, end, write)
    }

    /// Sets (`kind` Some(write)) or removes (None) `owner`'s lock on `[start, end]`, or
    /// returns the lock in the way.
    pub fn try_set(
        &self,
        f: &OpenFile,
        space: Space,
        owner: Owner,
        pid: i32,
        (start, end): (u64, u64),
        kind: Option<bool>,
    ) -> Result<(), Lock> {
        let (key, obj) = key_of(f);
        let mut st = self.lock();
        let Some(write) = kind else {
            let released = match st.entries.get_mut(&key) {
                Some(e) => {
                    let l = e.list(space);
                    let had = l.len();
                    carve(l, owner, start, end);
                    had != 0
                }
                None => false,
            };
            self.cleanup(&mut st, key);
            drop(st);
            if released {
                self.wq.notify_all();
            }
            return Ok(());
        };
        if let Some(c) = st
            .entries
            .get_mut(&key)
            .and_then(|e| conflict(e.list(space), owner, start, end, write))
        {
            return Err(c);
        }
        let e = st.entries.entry(key).or_insert_with(|| {
            self.active.fetch_add(1, Ordering::Relaxed);
            Entry {
                _obj: obj,
                record: Vec::new(),
                flock: Vec::new(),
            }
        });
        let l = e.list(space);
        carve(l, owner, start, end);
        l.push(Lock {
            owner,
            pid,
            start,
            end,
            write,
        });
        merge(l, owner);
        drop(st);
        // A downgrade (write to read) may let readers in.
        self.wq.notify_all();
        Ok(())
    }

    /// Records that POSIX owner `me` is about to wait for `blocker`; EDEADLK if `blocker`
    /// (transitively) waits for `me`.
    pub fn wait_for(&self, me: Owner, blocker: Owner) -> Result<(), Errno> {
        let mut st = self.lock();
        let mut cur = blocker;
        for _ in 0..1024 {
            if cur == me {
                return Err(Errno::EDEADLK);
            }
            match st.waiting.get(&cur) {
                Some(&next) => cur = next,
                None => break,
            }
        }
        st.waiting.insert(me, blocker);
        Ok(())
    }

    /// `me` no longer waits.
    pub fn done_waiting(&self, me: Owner) {
        self.lock().waiting.remove(&me);
    }

    /// Releases every record lock of fd table `table` on what `f` refers to (a close).
    pub fn release_posix(&self, table: u64, f: &OpenFile) {
        if self.active.load(Ordering::Relaxed) == 0 {
            return;
        }
        self.release(f, Owner::Table(table), false);
    }

    /// Releases the OFD and flock locks of open file description `f` (its last close).
    pub fn release_file(&self, f: &OpenFile) {
        if self.active.load(Ordering::Relaxed) == 0 {
            return;
        }
        self.release(f, Owner::File(f as *const OpenFile as usize), true);
    }

    fn release(&self, f: &OpenFile, owner: Owner, flock_too: bool) {
        let (key, obj) = key_of(f);
        let mut st = self.lock();
        let mut released = false;
        if let Some(e) = st.entries.get_mut(&key) {
            let before = e.record.len() + e.flock.len();
            e.record.retain(|l| l.owner != owner);
            if flock_too {
                e.flock.retain(|l| l.owner != owner);
            }
            released = e.record.len() + e.flock.len() != before;
        }
        self.cleanup(&mut st, key);
        drop(st);
        // The object may go away with the last reference here, outside the table lock.
        drop(obj);
        if released {
            self.wq.notify_all();
        }
    }

    fn cleanup(&self, st: &mut State, key: usize) {
        if st
            .entries
            .get(&key)
            .is_some_and(|e| e.record.is_empty() && e.flock.is_empty())
        {
            st.entries.remove(&key);
            self.active.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

fn conflict(list: &[Lock], owner: Owner, start: u64, end: u64, write: bool) -> Option<Lock> {
    list.iter()
        .find(|l| l.owner != owner && l.overlaps(start, end) && (write || l.write))
        .copied()
}

/// Removes `[start, end]` from `owner`'s locks, splitting those that straddle it.
fn carve(list: &mut Vec<Lock>, owner: Owner, start: u64, end: u64) {
    let mut out = Vec::with_capacity(list.len() + 1);
    for l in list.drain(..) {
        if l.owner != owner || !l.overlaps(start, end) {
            out.push(l);
            continue;
        }
        if l.start < start {
            out.push(Lock {
                end: start - 1,
                ..l
            });
        }
        if l.end > end {
            out.push(Lock {
                start: end + 1,
                ..l
            });
        }
    }
    *list = out;
}

/// Coalesces `owner`'s adjacent or overlapping locks of the same type.
fn merge(list: &mut Vec<Lock>, owner: Owner) {
    let (mut mine, others): (Vec<Lock>, Vec<Lock>) = list.drain(..).partition(|l| l.owner == owner);
    mine.sort_by_key(|l| (l.write, l.start));
    let mut merged: Vec<Lock> = Vec::with_capacity(mine.len());
    for l in mine {
        match merged.last_mut() {
            Some(m) if m.write == l.write && l.start <= m.end.saturating_add(1) => {
                m.end = m.end.max(l.end);
            }
            _ => merged.push(l),
        }
    }
    *list = others;
    list.extend(merged);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(owner: u64, start: u64, end: u64, write: bool) -> Lock {
        Lock {
            owner: Owner::Table(owner),
            pid: owner as i32,
            start,
            end,
            write,
        }
    }

    #[test]
    fn carve_splits() {
        let mut v = vec![l(1, 0, 9, true)];
        carve(&mut v, Owner::Table(1), 3, 5);
        v.sort_by_key(|l| l.start);
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].start, v[0].end), (0, 2));
        assert_eq!((v[1].start, v[1].end), (6, 9));
    }

    #[test]
    fn merge_coalesces_same_type() {
        let mut v = vec![l(1, 0, 4, true), l(1, 5, 9, true), l(1, 10, 12, false)];
        merge(&mut v, Owner::Table(1));
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn conflicts() {
        let v = vec![l(1, 0, 4, false)];
        assert!(conflict(&v, Owner::Table(2), 2, 2, false).is_none());
        assert!(conflict(&v, Owner::Table(2), 2, 2, true).is_some());
        assert!(conflict(&v, Owner::Table(1), 2, 2, true).is_none());
        assert!(conflict(&v, Owner::Table(2), 5, 9, true).is_none());
    }
}
