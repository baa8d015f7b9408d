//! File descriptor tables and per-task file-system context (root, cwd, umask).

use super::{Dentry, OpenFile};
use husk_abi::Errno;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// One slot of an fd table.
#[derive(Clone)]
pub struct FdEntry {
    pub file: Arc<OpenFile>,
    pub cloexec: bool,
}

/// A file descriptor table (shared between tasks with CLONE_FILES).
#[derive(Default)]
pub struct FdTable {
    fds: Mutex<BTreeMap<i32, FdEntry>>,
}

impl FdTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<i32, FdEntry>> {
        self.fds.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.lock()
            .get(&fd)
            .map(|e| e.file.clone())
            .ok_or(Errno::EBADF)
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

    /// Installs `file` at `fd`, returning what was there.
    pub fn insert_at(&self, fd: i32, file: Arc<OpenFile>, cloexec: bool) -> Option<FdEntry> {
        self.lock().insert(fd, FdEntry { file, cloexec })
    }

    pub fn remove(&self, fd: i32) -> Result<Arc<OpenFile>, Errno> {
        self.lock().remove(&fd).map(|e| e.file).ok_or(Errno::EBADF)
    }

    pub fn set_cloexec(&self, fd: i32, on: bool) -> Result<(), Errno> {
        let mut fds = self.lock();
        let e = fds.get_mut(&fd).ok_or(Errno::EBADF)?;
        e.cloexec = on;
        Ok(())
    }

    /// A copy for fork (the open file descriptions are shared).
    pub fn fork_copy(&self) -> FdTable {
        FdTable {
            fds: Mutex::new(self.lock().clone()),
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
        drop(removed);
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
        drop(removed);
    }

    pub fn list(&self) -> Vec<(i32, FdEntry)> {
        self.lock().iter().map(|(&k, e)| (k, e.clone())).collect()
    }

    pub fn clear(&self) {
        let all = std::mem::take(&mut *self.lock());
        drop(all);
    }
}

/// Root, working directory and umask (shared between tasks with CLONE_FS).
#[derive(Clone)]
pub struct FsContext {
    pub root: Arc<Dentry>,
    pub cwd: Arc<Dentry>,
    pub umask: u32,
}
