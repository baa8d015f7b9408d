//! inotify: watches on inodes and the queue of events an inotify file reads.
//!
//! Events are raised by the syscall layer (it knows the names and parents involved), via
//! `notify`, `notify_dentry`, `notify_name` and `inode_removed`. A global registry maps
//! watched inodes to the instances watching them; with no watch anywhere every hook is
//! one atomic load.

use crate::vfs::*;
use crate::waiter::WaitQueue;
use husk_abi::Errno;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};

pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
pub const IN_Q_OVERFLOW: u32 = 0x4000;
pub const IN_IGNORED: u32 = 0x8000;
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ISDIR: u32 = 0x4000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
pub const IN_ALL_EVENTS: u32 = 0xfff;
/// Every bit inotify_add_watch accepts.
pub const ALL_INOTIFY_BITS: u32 = IN_ALL_EVENTS
    | IN_ONLYDIR
    | IN_DONT_FOLLOW
    | IN_EXCL_UNLINK
    | IN_MASK_CREATE
    | IN_MASK_ADD
    | IN_ISDIR
    | IN_ONESHOT;

/// /proc/sys/fs/inotify/max_queued_events.
const MAX_QUEUED: usize = 16384;
/// Size of `struct inotify_event` without the name.
const EVENT_SIZE: usize = 16;

/// Watches existing anywhere: with none, hooks return at once.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static NEXT_COOKIE: AtomicU32 = AtomicU32::new(1);

type Registry = HashMap<usize, Vec<(Weak<Inotify>, i32)>>;
static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(|| Mutex::new(HashMap::new()));

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn key(i: &InodeRef) -> usize {
    Arc::as_ptr(i) as *const () as usize
}

/// A new rename cookie.
pub fn new_cookie() -> u32 {
    NEXT_COOKIE.fetch_add(1, Ordering::Relaxed)
}

/// Whether any watch exists (callers may skip preparing an event).
pub fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

#[derive(Clone, PartialEq, Eq)]
struct Event {
    wd: i32,
    mask: u32,
    cookie: u32,
    name: Vec<u8>,
}

impl Event {
    /// Name length as reported: NUL-terminated, padded to a multiple of the header size.
    fn name_len(&self) -> usize {
        if self.name.is_empty() {
            0
        } else {
            (self.name.len() + 1).div_ceil(EVENT_SIZE) * EVENT_SIZE
        }
    }
    fn size(&self) -> usize {
        EVENT_SIZE + self.name_len()
    }
}

struct Watch {
    inode: InodeRef,
    mask: u32,
}

struct State {
    next_wd: i32,
    watches: BTreeMap<i32, Watch>,
    events: VecDeque<Event>,
}

/// An inotify instance (the file operations of an inotify fd).
pub struct Inotify {
    me: Weak<Inotify>,
    state: Mutex<State>,
    wq: Arc<WaitQueue>,
}

impl Inotify {
    pub fn new() -> Arc<Inotify> {
        Arc::new_cyclic(|me| Inotify {
            me: me.clone(),
            state: Mutex::new(State {
                next_wd: 1,
                watches: BTreeMap::new(),
                events: VecDeque::new(),
            }),
            wq: WaitQueue::new(),
        })
    }

    /// inotify_add_watch on `inode` (flags already validated); returns the watch number.
    pub fn add_watch(&self, inode: InodeRef, mask: u32) -> Result<i32, Errno> {
        let k = key(&inode);
        let mut s = lock(&self.state);
        if let Some((&wd, w)) = s.watches.iter_mut().find(|(_, w)| key(&w.inode) == k) {
            if mask & IN_MASK_CREATE != 0 {
                return Err(Errno::EEXIST);
            }
            let bits = mask & !(IN_MASK_ADD | IN_MASK_CREATE | IN_ONLYDIR | IN_DONT_FOLLOW);
            w.mask = if mask & IN_MASK_ADD != 0 {
                w.mask | bits
            } else {
                bits
            };
            return Ok(wd);
        }
        let wd = s.next_wd;
        s.next_wd = s.next_wd.checked_add(1).ok_or(Errno::ENOSPC)?;
        s.watches.insert(
            wd,
            Watch {
                inode,
                mask: mask & !(IN_MASK_ADD | IN_MASK_CREATE | IN_ONLYDIR | IN_DONT_FOLLOW),
            },
        );
        lock(&REGISTRY)
            .entry(k)
            .or_default()
            .push((self.me.clone(), wd));
        ACTIVE.fetch_add(1, Ordering::Relaxed);
        Ok(wd)
    }

    /// inotify_rm_watch: removes `wd` and queues IN_IGNORED.
    pub fn rm_watch(&self, wd: i32) -> Result<(), Errno> {
        let mut s = lock(&self.state);
        self.remove_locked(&mut s, wd).ok_or(Errno::EINVAL)?;
        drop(s);
        self.wq.notify_all();
        Ok(())
    }

    /// Removes watch `wd` and queues IN_IGNORED for it.
    fn remove_locked(&self, s: &mut State, wd: i32) -> Option<()> {
        let w = s.watches.remove(&wd)?;
        unregister(key(&w.inode), &self.me, wd);
        push(s, wd, IN_IGNORED, 0, &[]);
        Some(())
    }

    /// Queues an event for watch `wd` if its mask wants it.
    fn deliver(&self, wd: i32, mask: u32, cookie: u32, name: &[u8]) {
        let mut s = lock(&self.state);
        let Some(w) = s.watches.get(&wd) else {
            return;
        };
        let wmask = w.mask;
        if wmask & mask & IN_ALL_EVENTS == 0 {
            return;
        }
        push(&mut s, wd, mask & (wmask | IN_ISDIR), cookie, name);
        if wmask & IN_ONESHOT != 0 {
            self.remove_locked(&mut s, wd);
        }
        drop(s);
        self.wq.notify_all();
    }

    /// The mask of watch `wd` (0 if it is gone).
    fn watch_mask(&self, wd: i32) -> u32 {
        lock(&self.state).watches.get(&wd).map_or(0, |w| w.mask)
    }

    /// The inode of watch `wd` is gone: IN_IGNORED, and the watch ends.
    fn drop_watch(&self, wd: i32) {
        let mut s = lock(&self.state);
        if self.remove_locked(&mut s, wd).is_some() {
            drop(s);
            self.wq.notify_all();
        }
    }
}

fn unregister(k: usize, me: &Weak<Inotify>, wd: i32) {
    let mut r = lock(&REGISTRY);
    if let Some(v) = r.get_mut(&k) {
        let before = v.len();
        v.retain(|(w, d)| !(*d == wd && w.ptr_eq(me)));
        let removed = before - v.len();
        if v.is_empty() {
            r.remove(&k);
        }
        ACTIVE.fetch_sub(removed, Ordering::Relaxed);
    }
}

fn push(s: &mut State, wd: i32, mask: u32, cookie: u32, name: &[u8]) {
    let ev = Event {
        wd,
        mask,
        cookie,
        name: name.to_vec(),
    };
    // Identical consecutive events coalesce (as inotify_merge).
    if s.events.back() == Some(&ev) {
        return;
    }
    if s.events.len() >= MAX_QUEUED {
        let overflow = Event {
            wd: -1,
            mask: IN_Q_OVERFLOW,
            cookie: 0,
            name: Vec::new(),
        };
        if s.events.back() != Some(&overflow) {
            s.events.push_back(overflow);
        }
        return;
    }
    s.events.push_back(ev);
}

impl Drop for Inotify {
    fn drop(&mut self) {
        let s = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        let watches = std::mem::take(&mut s.watches);
        for (wd, w) in watches {
            unregister(key(&w.inode), &self.me, wd);
        }
    }
}

impl FileOps for Inotify {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        let mut s = lock(&self.state);
        let Some(first) = s.events.front() else {
            return Err(Errno::EAGAIN);
        };
        if first.size() > buf.len() {
            return Err(Errno::EINVAL);
        }
        let mut done = 0;
        while let Some(ev) = s.events.front() {
            let n = ev.size();
            if done + n > buf.len() {
                break;
            }
            let out = &mut buf[done..done + n];
            out[0..4].copy_from_slice(&ev.wd.to_le_bytes());
            out[4..8].copy_from_slice(&ev.mask.to_le_bytes());
            out[8..12].copy_from_slice(&ev.cookie.to_le_bytes());
            out[12..16].copy_from_slice(&(ev.name_len() as u32).to_le_bytes());
            out[16..].fill(0);
            out[16..16 + ev.name.len()].copy_from_slice(&ev.name);
            done += n;
            s.events.pop_front();
        }
        Ok(done)
    }

    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        if lock(&self.state).events.is_empty() {
            0
        } else {
            POLLIN
        }
    }

    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.wq.clone())
    }

    fn ioctl(&self, cmd: u32, _arg: u64) -> Result<IoctlResult, Errno> {
        if cmd == 0x541b {
            // FIONREAD: bytes of queued events.
            let n: usize = lock(&self.state).events.iter().map(|e| e.size()).sum();
            return Ok(IoctlResult::Out((n as i32).to_le_bytes().to_vec()));
        }
        Err(Errno::ENOTTY)
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// The instances watching `inode`, with their watch numbers.
fn watchers(inode: &InodeRef) -> Vec<(Arc<Inotify>, i32)> {
    lock(&REGISTRY)
        .get(&key(inode))
        .map(|v| {
            v.iter()
                .filter_map(|(w, wd)| w.upgrade().map(|i| (i, *wd)))
                .collect()
        })
        .unwrap_or_default()
}

fn isdir(inode: &InodeRef) -> u32 {
    if inode.attr().map(|a| a.is_dir()).unwrap_or(false) {
        IN_ISDIR
    } else {
        0
    }
}

/// An event on `inode` itself (no name).
pub fn notify(inode: &InodeRef, mask: u32, cookie: u32) {
    if !active() {
        return;
    }
    let list = watchers(inode);
    if list.is_empty() {
        return;
    }
    let mask = mask | isdir(inode);
    for (i, wd) in list {
        i.deliver(wd, mask, cookie, &[]);
    }
}

/// An event about entry `name` of directory `dir` (create, delete, moves); `child_dir`
/// says whether the entry is a directory.
pub fn notify_name(dir: &InodeRef, name: &[u8], mask: u32, cookie: u32, child_dir: bool) {
    if !active() {
        return;
    }
    let mask = mask | if child_dir { IN_ISDIR } else { 0 };
    for (i, wd) in watchers(dir) {
        i.deliver(wd, mask, cookie, name);
    }
}

/// An event on the file of `d`: reported to watchers of its parent directory (with the
/// name) and then to watchers of the file itself.
pub fn notify_dentry(d: &Dentry, mask: u32) {
    if !active() {
        return;
    }
    let dir = isdir(&d.inode);
    // A mount's root has no parent within its mount.
    if let Some(p) = d
        .parent
        .as_ref()
        .filter(|p| Arc::ptr_eq(&p.mount, &d.mount))
    {
        // Whether the name no longer leads to this file (for IN_EXCL_UNLINK watches),
        // looked up once and only if such a watch exists.
        let mut unlinked: Option<bool> = None;
        for (i, wd) in watchers(&p.inode) {
            if i.watch_mask(wd) & IN_EXCL_UNLINK != 0
                && *unlinked.get_or_insert_with(|| {
                    d.inode.is_unlinked()
                        || p.inode
                            .lookup(&d.name)
                            .map_or(true, |cur| !crate::vfs::walk_same(&cur, &d.inode))
                })
            {
                continue;
            }
            i.deliver(wd, mask | dir, 0, &d.name);
        }
    }
    for (i, wd) in watchers(&d.inode) {
        i.deliver(wd, mask | dir, 0, &[]);
    }
}

/// The last link of `inode` is gone: IN_DELETE_SELF, then its watches end (IN_IGNORED).
pub fn inode_removed(inode: &InodeRef) {
    if !active() {
        return;
    }
    let list = watchers(inode);
    let mask = IN_DELETE_SELF | isdir(inode);
    for (i, wd) in &list {
        i.deliver(*wd, mask, 0, &[]);
    }
    for (i, wd) in list {
        i.drop_watch(wd);
    }
}
