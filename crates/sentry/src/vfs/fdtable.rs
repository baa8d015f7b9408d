//! File descriptor tables and per-task file-system context (root, cwd, umask).

use super::lock::LOCKS;
use super::{Dentry, OpenFile};
use husk_abi::Errno;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One slot of an fd table.
#[derive(Clone)]
pub struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

static NEXT_TABLE: AtomicU64 = AtomicU64::new(1);

/// A file descriptor table (shared between tasks with CLONE_FILES). It owns the POSIX
/// record locks set through it (as Linux's `files_struct`): closing any descriptor of a
/// file releases them, and so does dropping the table.
pub struct FdTable {
    fds: Mutex<BTreeMap<i32, FdEntry>>,
    /// Lock owner id; 0 once the locks were handed to an exec copy.
    id: AtomicU64,
}

impl Default for FdTable {
    fn default() -> Self {
        FdTable {
            fds: Mutex::new(BTreeMap::new()),
            id: AtomicU64::new(NEXT_TABLE.fetch_add(1, Ordering::Relaxed)),
        }
    }
}

impl Drop for FdTable {
    fn drop(&mut self) {
        let all = std::mem::take(self.fds.get_mut().unwrap_or_else(|p| p.into_inner()));
        self.closed(all.into_values());
    }
}

impl FdTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<i32, FdEntry>> {
        self.fds.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The owner id of the record locks set through this table.
    pub fn lock_owner(&self) -> u64 {
        self.id.load(Ordering::Relaxed)
    }

    /// Releases this table's record locks on the files of closed entries, then drops them.
    fn closed(&self, removed: impl IntoIterator<Item = FdEntry>) {
        let id = self.lock_owner();
        for e in removed {
            if id != 0 {
                LOCKS.release_posix(id, &e.file);
            }
            drop(e);
        }
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.lock()
            .get(&fd)
            .map(|e| e.file.clone())
            .ok_or(Errno::EBADF)
    }

    /// `get` for calls that need a real open file: an O_PATH descriptor is EBADF
    /// (Linux's fdget, where `get` is fdget_raw).
    pub fn get_io(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        let f = self.get(fd)?;
        if f.flags() & super::O_PATH != 0 {
            return Err(Errno::EBADF);
        }
        Ok(f)
    }

    pub fn entry(&self, fd: i32) -> Result<FdEntry, Errno> {
        self.lock().get(&fd).cloned().ok_or(Errno::EBADF)
    }

    /// Installs `file` at the lowest free fd >= `min` below `limit`.
    pub fn insert(
        &self,
        file: Arc<OpenFile>,
        cloexec: bool,
        min: i32,
        limit: u64,
    ) -> Result<i32, Errno> {
        let mut fds = self.lock();
        let mut fd = min.max(0);
        for (&k, _) in fds.range(fd..) {
            if k != fd {
                break;
            }
            fd += 1;
        }
        if fd as u64 >= limit {
            return Err(Errno::EMFILE);
        }
        fds.insert(fd, FdEntry { file, cloexec });
        Ok(fd)
    }

    /// Installs `file` at `fd`, closing what was there.
    pub fn insert_at(&self, fd: i32, file: Arc<OpenFile>, cloexec: bool) {
        let old = self.lock().insert(fd, FdEntry { file, cloexec });
        self.closed(old);
    }

    /// Closes `fd`.
    pub fn remove(&self, fd: i32) -> Result<(), Errno> {
        let e = self.lock().remove(&fd).ok_or(Errno::EBADF)?;
        self.closed(Some(e));
        Ok(())
    }

    pub fn set_cloexec(&self, fd: i32, on: bool) -> Result<(), Errno> {
        let mut fds = self.lock();
        let e = fds.get_mut(&fd).ok_or(Errno::EBADF)?;
        e.cloexec = on;
        Ok(())
    }

    /// A copy for fork (the open file descriptions are shared; the record locks are not).
    pub fn fork_copy(&self) -> FdTable {
        FdTable {
            fds: Mutex::new(self.lock().clone()),
            id: AtomicU64::new(NEXT_TABLE.fetch_add(1, Ordering::Relaxed)),
        }
    }

    /// The private copy an exec continues with: it takes over this table's record locks
    /// (they survive execve).
    pub fn exec_copy(&self) -> FdTable {
        FdTable {
            fds: Mutex::new(self.lock().clone()),
            id: AtomicU64::new(self.id.swap(0, Ordering::Relaxed)),
        }
    }

    /// Closes every close-on-exec fd.
    pub fn close_on_exec(&self) {
        let removed: Vec<FdEntry> = {
            let mut fds = self.lock();
            let keys: Vec<i32> = fds
                .iter()
                .filter(|(_, e)| e.cloexec)
                .map(|(&k, _)| k)
                .collect();
            keys.iter().filter_map(|k| fds.remove(k)).collect()
        };
        self.closed(removed);
    }

    /// Closes fds in `[first, last]`; with `cloexec_only`, marks them close-on-exec instead.
    pub fn close_range(&self, first: i32, last: i32, cloexec_only: bool) {
        let removed: Vec<FdEntry> = {
            let mut fds = self.lock();
            let keys: Vec<i32> = fds.range(first..=last).map(|(&k, _)| k).collect();
            if cloexec_only {
                for k in keys {
                    if let Some(e) = fds.get_mut(&k) {
                        e.cloexec = true;
                    }
                }
                Vec::new()
            } else {
                keys.iter().filter_map(|k| fds.remove(k)).collect()
            }
        };
        self.closed(removed);
    }

    pub fn list(&self) -> Vec<(i32, FdEntry)> {
        self.lock().iter().map(|(&k, e)| (k, e.clone())).collect()
    }

    pub fn clear(&self) {
        let all = std::mem::take(&mut *self.lock());
        self.closed(all.into_values());
    }
}

/// Root, working directory and umask (shared between tasks with CLONE_FS).
#[derive(Clone)]
pub struct FsContext {
    pub root: Arc<Dentry>,
    pub cwd: Arc<Dentry>,
    pub umask: u32,
}
