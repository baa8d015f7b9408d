//! The sandbox's IPC namespace: System V shared memory segments, semaphore sets and
//! message queues, and POSIX message queues. One `IpcNs` per sandbox (held by `Kernel`);
//! the system calls are in `syscalls/ipc.rs` and `syscalls/mqueue.rs`.
//!
//! Everything System V lives behind one lock. A shared memory segment is itself the
//! `Mappable` its attachments map, so every VMA (also copies made by fork and VMA splits)
//! holds a strong reference: `shm_nattch` is the strong count minus the table's own.

use crate::fsimpl::tmpdata::TmpData;
use crate::memfile::MemoryFile;
use crate::mm::Mappable;
use crate::waiter::WaitQueue;
use husk_abi::{page_up, Errno};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub const IPC_PRIVATE: i32 = 0;
pub const IPC_CREAT: u32 = 0o1000;
pub const IPC_EXCL: u32 = 0o2000;
pub const IPC_NOWAIT: u32 = 0o4000;

pub const IPC_RMID: u32 = 0;
pub const IPC_SET: u32 = 1;
pub const IPC_STAT: u32 = 2;
pub const IPC_INFO: u32 = 3;
// IPC_64 (0x100) is not accepted in `cmd` on x86-64: the kernel passes commands through
// unparsed, so shmctl(id, IPC_STAT | IPC_64) is EINVAL there, as in husk.

/// `shm_perm.mode` flags.
pub const SHM_DEST: u32 = 0o1000;
pub const SHM_LOCKED: u32 = 0o2000;

/// Limits (Linux's defaults).
pub const SHMMIN: u64 = 1;
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
pub const SHMALL: u64 = u64::MAX - (1 << 24);
pub const SHMMNI: u64 = 4096;
pub const SEMMSL: i32 = 32000;
pub const SEMMNS: i32 = 1_024_000_000;
pub const SEMOPM: usize = 500;
pub const SEMMNI: i32 = 32000;
pub const SEMVMX: i32 = 32767;
pub const SEMAEM: i32 = SEMVMX;
pub const MSGMAX: usize = 8192;
pub const MSGMNB: u64 = 16384;
pub const MSGMNI: i32 = 32000;
/// How many objects of one kind may exist (ids hold a 15-bit index).
pub const IPCMNI: i32 = 32768;

/// An IPC namespace's tunables, /proc/sys/kernel/{shmmax,shmall,shmmni,msgmax,msgmnb,
/// msgmni,sem} (Linux's types; the defaults are the constants above).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpcLimits {
    pub shmmax: u64,
    /// In pages.
    pub shmall: u64,
    pub shmmni: i32,
    pub msgmax: i32,
    pub msgmnb: i32,
    pub msgmni: i32,
    /// SEMMSL, SEMMNS, SEMOPM, SEMMNI.
    pub sem: [i32; 4],
}

impl Default for IpcLimits {
    fn default() -> IpcLimits {
        IpcLimits {
            shmmax: SHMMAX,
            shmall: SHMALL,
            shmmni: SHMMNI as i32,
            msgmax: MSGMAX as i32,
            msgmnb: MSGMNB as i32,
            msgmni: MSGMNI,
            sem: [SEMMSL, SEMMNS, SEMOPM as i32, SEMMNI],
        }
    }
}
const SEQ_MULTIPLIER: i32 = IPCMNI;

/// The device number reported for shared memory mappings (/proc/PID/maps shows
/// `00:01 <shmid> /SYSV<key> (deleted)`).
pub const SHM_MAP_DEV: u64 = 1;

static NEXT_WAITER: AtomicU64 = AtomicU64::new(1);
static NEXT_SERIAL: AtomicU64 = AtomicU64::new(1);

/// Seconds since the epoch, for the `*_time` fields.
pub fn now_secs() -> i64 {
    crate::vfs::now().0
}

/// Who is asking: the identities permission checks use.
#[derive(Clone, Debug, Default)]
pub struct Caller {
    /// CAP_IPC_OWNER or CAP_SYS_ADMIN (privileged() uses it for all IPC overrides).
    pub privileged: bool,
    pub euid: u32,
    pub egid: u32,
    pub groups: Vec<u32>,
    pub tgid: i32,
}

impl Caller {
    pub fn from_creds(c: &crate::kernel::Creds, tgid: i32) -> Caller {
        Caller {
            privileged: c.capable_init(crate::kernel::caps::CAP_IPC_OWNER)
                || c.capable_init(crate::kernel::caps::CAP_SYS_ADMIN),
            euid: c.euid,
            egid: c.egid,
            groups: c.groups.clone(),
            tgid,
        }
    }

    /// CAP_IPC_OWNER or CAP_SYS_ADMIN in the effective set.
    pub fn privileged(&self) -> bool {
        self.privileged
    }

    fn in_group(&self, gid: u32) -> bool {
        self.egid == gid || self.groups.contains(&gid)
    }
}

/// The permissions of an IPC object (`struct kern_ipc_perm`).
#[derive(Clone, Debug, Default)]
pub struct IpcPerm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// Permission bits and, for shared memory, SHM_DEST and SHM_LOCKED.
    pub mode: u32,
    pub seq: u32,
}

impl IpcPerm {
    fn new(key: i32, c: &Caller, mode: u32, seq: u32) -> IpcPerm {
        IpcPerm {
            key,
            uid: c.euid,
            gid: c.egid,
            cuid: c.euid,
            cgid: c.egid,
            mode: mode & 0o777,
            seq,
        }
    }

    /// Linux's `ipcperms`: `flag` holds the wanted rwx bits in any of the three triads
    /// (0o444 read, 0o222 write, or the creation flags of *get).
    pub fn check(&self, c: &Caller, flag: u32) -> Result<(), Errno> {
        let requested = (flag >> 6) | (flag >> 3) | flag;
        let mut granted = self.mode;
        if c.euid == self.cuid || c.euid == self.uid {
            granted >>= 6;
        } else if c.in_group(self.cgid) || c.in_group(self.gid) {
            granted >>= 3;
        }
        if requested & !granted & 0o7 != 0 && !c.privileged() {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    /// IPC_SET and IPC_RMID: the owner, the creator or a privileged caller.
    pub fn check_owner(&self, c: &Caller) -> Result<(), Errno> {
        if c.euid == self.uid || c.euid == self.cuid || c.privileged() {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }

    /// `struct ipc64_perm` (48 bytes) at `out[0..48]`.
    pub fn encode(&self, out: &mut [u8]) {
        put_u32(out, 0, self.key as u32);
        put_u32(out, 4, self.uid);
        put_u32(out, 8, self.gid);
        put_u32(out, 12, self.cuid);
        put_u32(out, 16, self.cgid);
        put_u32(out, 20, self.mode & 0xffff);
        put_u32(out, 24, self.seq & 0xffff);
    }

    /// Applies the uid, gid and permission bits of an IPC_SET `struct ipc64_perm`.
    pub fn set_from(&mut self, b: &[u8]) {
        self.uid = get_u32(b, 4);
        self.gid = get_u32(b, 8);
        self.mode = (self.mode & !0o777) | (get_u32(b, 20) & 0o777);
    }
}

pub fn put_u32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

pub fn put_u64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

pub fn get_u32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

pub fn get_u64(b: &[u8], off: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(a)
}

/// A table of one kind of System V object, indexed by id.
pub struct Table<T> {
    pub objs: BTreeMap<i32, T>,
    seq: u32,
}

impl<T> Default for Table<T> {
    fn default() -> Self {
        Table {
            objs: BTreeMap::new(),
            seq: 0,
        }
    }
}

impl<T> Table<T> {
    /// A new id: the lowest free index and the next sequence number.
    fn alloc_id(&mut self, max: i32) -> Result<(i32, u32), Errno> {
        let used: std::collections::BTreeSet<i32> =
            self.objs.keys().map(|id| id % SEQ_MULTIPLIER).collect();
        if used.len() as i32 >= max.min(IPCMNI) {
            return Err(Errno::ENOSPC);
        }
        let idx = (0..IPCMNI)
            .find(|i| !used.contains(i))
            .ok_or(Errno::ENOSPC)?;
        let seq = self.seq;
        self.seq = if self.seq >= 65535 { 0 } else { self.seq + 1 };
        Ok((seq as i32 * SEQ_MULTIPLIER + idx, seq))
    }

    /// The highest index in use (the IPC_INFO/*_INFO result).
    pub fn max_idx(&self) -> i32 {
        self.objs
            .keys()
            .map(|id| id % SEQ_MULTIPLIER)
            .max()
            .unwrap_or(0)
    }

    /// The object at index `idx` (the *_STAT commands).
    pub fn by_index(&self, idx: i32) -> Option<i32> {
        self.objs
            .keys()
            .copied()
            .find(|id| id % SEQ_MULTIPLIER == idx)
    }
}

/// What a *get call decides.
pub enum Get {
    Existing(i32),
    Create,
}

/// The common part of shmget, semget and msgget: find `key`, or say to create.
fn ipcget<T>(
    t: &Table<T>,
    key: i32,
    flg: u32,
    perm: impl Fn(&T) -> &IpcPerm,
    more_checks: impl Fn(&T) -> Result<(), Errno>,
    c: &Caller,
) -> Result<Get, Errno> {
    if key == IPC_PRIVATE {
        return Ok(Get::Create);
    }
    let found = t
        .objs
        .iter()
        .find(|(_, o)| perm(o).key == key)
        .map(|(&id, o)| (id, o));
    match found {
        None if flg & IPC_CREAT == 0 => Err(Errno::ENOENT),
        None => Ok(Get::Create),
        Some(_) if flg & IPC_CREAT != 0 && flg & IPC_EXCL != 0 => Err(Errno::EEXIST),
        Some((id, o)) => {
            more_checks(o)?;
            perm(o).check(c, flg)?;
            Ok(Get::Existing(id))
        }
    }
}

// ---- shared memory ----

/// A shared memory segment: its pages, and the object its attachments map.
pub struct ShmSeg {
    pub id: i32,
    pub size: u64,
    pub data: Arc<TmpData>,
}

impl Mappable for ShmSeg {
    fn get_page(&self, mf: &MemoryFile, index: u64) -> Result<u64, Errno> {
        self.data.get_page(mf, index)
    }
    fn ident(&self) -> (u64, u64) {
        (SHM_MAP_DEV, self.id as u64)
    }
}

/// What the *_STAT commands need of a System V object.
pub trait IpcObject {
    fn perm(&self) -> &IpcPerm;
    /// The object's `*id64_ds` as the application sees it.
    fn encode(&self) -> Vec<u8>;
}

macro_rules! ipc_object {
    ($($t:ty),*) => {$(
        impl IpcObject for $t {
            fn perm(&self) -> &IpcPerm {
                &self.perm
            }
            fn encode(&self) -> Vec<u8> {
                <$t>::encode(self)
            }
        }
    )*};
}
ipc_object!(Shm, SemSet, MsgQueue);

/// A segment's table entry.
pub struct Shm {
    pub seg: Arc<ShmSeg>,
    pub perm: IpcPerm,
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
    pub cpid: i32,
    pub lpid: i32,
}

impl Shm {
    /// Attachments: every VMA mapping the segment holds a reference.
    pub fn nattch(&self) -> u64 {
        (Arc::strong_count(&self.seg) as u64).saturating_sub(1)
    }

    /// `struct shmid64_ds` (112 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; 112];
        self.perm.encode(&mut b);
        put_u64(&mut b, 48, self.seg.size);
        put_u64(&mut b, 56, self.atime as u64);
        put_u64(&mut b, 64, self.dtime as u64);
        put_u64(&mut b, 72, self.ctime as u64);
        put_u32(&mut b, 80, self.cpid as u32);
        put_u32(&mut b, 84, self.lpid as u32);
        put_u64(&mut b, 88, self.nattch());
        b
    }
}

// ---- semaphores ----

#[derive(Clone, Copy, Debug, Default)]
pub struct Sem {
    pub val: i32,
    pub pid: i32,
}

/// A semaphore set.
pub struct SemSet {
    pub perm: IpcPerm,
    pub sems: Vec<Sem>,
    pub otime: i64,
    pub ctime: i64,
    pub wq: Arc<WaitQueue>,
    /// Distinguishes this set from a later one with the same id.
    pub serial: u64,
    /// Blocked semop calls: waiter -> (semaphore, waits for zero).
    pub waiters: HashMap<u64, (usize, bool)>,
}

impl SemSet {
    /// `struct semid64_ds` (104 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; 104];
        self.perm.encode(&mut b);
        put_u64(&mut b, 48, self.otime as u64);
        put_u64(&mut b, 64, self.ctime as u64);
        put_u64(&mut b, 80, self.sems.len() as u64);
        b
    }

    pub fn count(&self, num: usize, zero: bool) -> usize {
        self.waiters
            .values()
            .filter(|&&(n, z)| n == num && z == zero)
            .count()
    }
}

/// One `struct sembuf`.
#[derive(Clone, Copy, Debug)]
pub struct SemBuf {
    pub num: u16,
    pub op: i16,
    pub flg: i16,
}

pub const SEM_UNDO: i16 = 0x1000;

/// The outcome of trying a semop.
pub enum SemTry {
    Done,
    /// Must wait: the blocking operation's semaphore and whether it waits for zero.
    Block(usize, bool),
}

// ---- message queues ----

pub struct Msg {
    pub mtype: i64,
    pub text: Vec<u8>,
}

pub struct MsgQueue {
    pub perm: IpcPerm,
    pub msgs: VecDeque<Msg>,
    pub cbytes: u64,
    pub qbytes: u64,
    pub lspid: i32,
    pub lrpid: i32,
    pub stime: i64,
    pub rtime: i64,
    pub ctime: i64,
    pub wq: Arc<WaitQueue>,
    pub serial: u64,
}

impl MsgQueue {
    /// `struct msqid64_ds` (120 bytes).
    pub fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; 120];
        self.perm.encode(&mut b);
        put_u64(&mut b, 48, self.stime as u64);
        put_u64(&mut b, 56, self.rtime as u64);
        put_u64(&mut b, 64, self.ctime as u64);
        put_u64(&mut b, 72, self.cbytes);
        put_u64(&mut b, 80, self.msgs.len() as u64);
        put_u64(&mut b, 88, self.qbytes);
        put_u32(&mut b, 96, self.lspid as u32);
        put_u32(&mut b, 100, self.lrpid as u32);
        b
    }
}

pub const MSG_NOERROR: u32 = 0o10000;
pub const MSG_EXCEPT: u32 = 0o20000;
pub const MSG_COPY: u32 = 0o40000;

/// The System V state of the namespace.
#[derive(Default)]
pub struct IpcState {
    pub shm: Table<Shm>,
    pub sem: Table<SemSet>,
    pub msg: Table<MsgQueue>,
    /// SEM_UNDO adjustments per process: tgid -> semid -> (set serial, adjustments).
    pub undo: HashMap<i32, HashMap<i32, (u64, Vec<i32>)>>,
    /// The namespace's tunables (/proc/sys/kernel).
    pub limits: IpcLimits,
}

/// The IPC namespace.
pub struct IpcNs {
    /// Its inode number (/proc/PID/ns/ipc).
    pub id: u64,
    state: Mutex<IpcState>,
    /// POSIX message queues by name (without the leading slash).
    pub mqueues: Mutex<BTreeMap<Vec<u8>, Arc<MQueue>>>,
}

impl Default for IpcNs {
    fn default() -> IpcNs {
        IpcNs::new()
    }
}

impl IpcNs {
    pub fn new() -> IpcNs {
        IpcNs {
            id: super::next_ns_id(),
            state: Default::default(),
            mqueues: Default::default(),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, IpcState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// SEM_UNDO: applies the adjustments of process `tgid`, which is exiting.
    pub fn exit_process(&self, tgid: i32) {
        let mut st = self.lock();
        let Some(undos) = st.undo.remove(&tgid) else {
            return;
        };
        for (semid, (serial, adj)) in undos {
            let Some(set) = st.sem.objs.get_mut(&semid) else {
                continue;
            };
            if set.serial != serial {
                continue;
            }
            let mut changed = false;
            for (i, a) in adj.iter().enumerate() {
                if *a == 0 {
                    continue;
                }
                if let Some(s) = set.sems.get_mut(i) {
                    s.val = (s.val + a).clamp(0, SEMVMX);
                    s.pid = tgid;
                    changed = true;
                }
            }
            if changed {
                set.otime = now_secs();
                set.wq.notify_all();
            }
        }
    }
}

impl IpcState {
    // ---- shm ----

    /// Forgets segments marked for removal whose last attachment went.
    pub fn purge_shm(&mut self) {
        self.shm
            .objs
            .retain(|_, s| s.perm.mode & SHM_DEST == 0 || s.nattch() > 0);
    }

    pub fn shmget(
        &mut self,
        mf: &Arc<MemoryFile>,
        key: i32,
        size: u64,
        flg: u32,
        c: &Caller,
    ) -> Result<i32, Errno> {
        self.purge_shm();
        match ipcget(
            &self.shm,
            key,
            flg,
            |s| &s.perm,
            |s| {
                if s.seg.size < size {
                    Err(Errno::EINVAL)
                } else {
                    Ok(())
                }
            },
            c,
        )? {
            Get::Existing(id) => Ok(id),
            Get::Create => {
                if !(SHMMIN..=self.limits.shmmax).contains(&size) || size > i64::MAX as u64 {
                    return Err(Errno::EINVAL);
                }
                let pages: u64 = self
                    .shm
                    .objs
                    .values()
                    .map(|s| page_up(s.seg.size) / husk_abi::PAGE_SIZE)
                    .sum();
                let want = size.div_ceil(husk_abi::PAGE_SIZE);
                if pages
                    .checked_add(want)
                    .is_none_or(|t| t > self.limits.shmall)
                {
                    return Err(Errno::ENOSPC);
                }
                let (id, seq) = self.shm.alloc_id(self.limits.shmmni)?;
                let data = TmpData::new(mf.clone());
                data.truncate(want * husk_abi::PAGE_SIZE)
                    .map_err(|_| Errno::ENOMEM)?;
                let now = now_secs();
                self.shm.objs.insert(
                    id,
                    Shm {
                        seg: Arc::new(ShmSeg { id, size, data }),
                        perm: IpcPerm::new(key, c, flg, seq),
                        atime: 0,
                        dtime: 0,
                        ctime: now,
                        cpid: c.tgid,
                        lpid: 0,
                    },
                );
                Ok(id)
            }
        }
    }

    // ---- semaphores ----

    pub fn semget(&mut self, key: i32, nsems: i32, flg: u32, c: &Caller) -> Result<i32, Errno> {
        if !(0..=self.limits.sem[0]).contains(&nsems) {
            return Err(Errno::EINVAL);
        }
        match ipcget(
            &self.sem,
            key,
            flg,
            |s| &s.perm,
            |s| {
                if nsems as usize > s.sems.len() {
                    Err(Errno::EINVAL)
                } else {
                    Ok(())
                }
            },
            c,
        )? {
            Get::Existing(id) => Ok(id),
            Get::Create => {
                if nsems == 0 {
                    return Err(Errno::EINVAL);
                }
                let total: usize = self.sem.objs.values().map(|s| s.sems.len()).sum();
                if total + nsems as usize > self.limits.sem[1].max(0) as usize {
                    return Err(Errno::ENOSPC);
                }
                let (id, seq) = self.sem.alloc_id(self.limits.sem[3])?;
                self.sem.objs.insert(
                    id,
                    SemSet {
                        perm: IpcPerm::new(key, c, flg, seq),
                        sems: vec![Sem::default(); nsems as usize],
                        otime: 0,
                        ctime: now_secs(),
                        wq: WaitQueue::new(),
                        serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
                        waiters: HashMap::new(),
                    },
                );
                Ok(id)
            }
        }
    }

    /// Tries the operations of a semop atomically. The set must exist.
    pub fn semop_try(&mut self, semid: i32, sops: &[SemBuf], tgid: i32) -> Result<SemTry, Errno> {
        let set = self.sem.objs.get(&semid).ok_or(Errno::EIDRM)?;
        let serial = set.serial;
        let mut vals: Vec<i32> = set.sems.iter().map(|s| s.val).collect();
        let undo_now: Vec<i32> = self
            .undo
            .get(&tgid)
            .and_then(|u| u.get(&semid))
            .filter(|(s, _)| *s == serial)
            .map(|(_, a)| a.clone())
            .unwrap_or_else(|| vec![0; vals.len()]);
        let mut undo = undo_now.clone();
        let mut any_undo = false;
        for sop in sops {
            let n = sop.num as usize;
            let cur = *vals.get(n).ok_or(Errno::EFBIG)?;
            let op = sop.op as i32;
            let res = cur + op;
            if (op == 0 && cur != 0) || res < 0 {
                if sop.flg as u32 & IPC_NOWAIT != 0 {
                    return Err(Errno::EAGAIN);
                }
                return Ok(SemTry::Block(n, op == 0));
            }
            if res > SEMVMX {
                return Err(Errno::ERANGE);
            }
            if sop.flg & SEM_UNDO != 0 && op != 0 {
                let u = undo[n] - op;
                if !(-SEMAEM - 1..=SEMAEM).contains(&u) {
                    return Err(Errno::ERANGE);
                }
                undo[n] = u;
                any_undo = true;
            }
            vals[n] = res;
        }
        let set = self.sem.objs.get_mut(&semid).ok_or(Errno::EIDRM)?;
        let mut changed = false;
        for sop in sops {
            let n = sop.num as usize;
            if let (Some(s), Some(&v)) = (set.sems.get_mut(n), vals.get(n)) {
                changed |= s.val != v;
                s.val = v;
                s.pid = tgid;
            }
        }
        set.otime = now_secs();
        if changed {
            set.wq.notify_all();
        }
        if any_undo {
            self.undo
                .entry(tgid)
                .or_default()
                .insert(semid, (serial, undo));
        }
        Ok(SemTry::Done)
    }

    /// Removes a semaphore set (IPC_RMID): waiters wake with EIDRM.
    pub fn sem_remove(&mut self, semid: i32) {
        if let Some(set) = self.sem.objs.remove(&semid) {
            set.wq.notify_all();
        }
        for u in self.undo.values_mut() {
            u.remove(&semid);
        }
    }

    /// SETVAL/SETALL: adjustments for the changed semaphores are dropped everywhere.
    pub fn sem_clear_undo(&mut self, semid: i32, num: Option<usize>) {
        for u in self.undo.values_mut() {
            if let Some((_, adj)) = u.get_mut(&semid) {
                match num {
                    Some(n) => {
                        if let Some(a) = adj.get_mut(n) {
                            *a = 0;
                        }
                    }
                    None => adj.iter_mut().for_each(|a| *a = 0),
                }
            }
        }
    }

    // ---- message queues ----

    pub fn msgget(&mut self, key: i32, flg: u32, c: &Caller) -> Result<i32, Errno> {
        match ipcget(&self.msg, key, flg, |q| &q.perm, |_| Ok(()), c)? {
            Get::Existing(id) => Ok(id),
            Get::Create => {
                let (id, seq) = self.msg.alloc_id(self.limits.msgmni)?;
                self.msg.objs.insert(
                    id,
                    MsgQueue {
                        perm: IpcPerm::new(key, c, flg, seq),
                        msgs: VecDeque::new(),
                        cbytes: 0,
                        qbytes: self.limits.msgmnb.max(0) as u64,
                        lspid: 0,
                        lrpid: 0,
                        stime: 0,
                        rtime: 0,
                        ctime: now_secs(),
                        wq: WaitQueue::new(),
                        serial: NEXT_SERIAL.fetch_add(1, Ordering::Relaxed),
                    },
                );
                Ok(id)
            }
        }
    }
}

/// Picks the message msgrcv takes: its index in the queue.
pub fn msg_select(q: &VecDeque<Msg>, msgtyp: i64, flg: u32) -> Option<usize> {
    if flg & MSG_COPY != 0 {
        let i = usize::try_from(msgtyp).ok()?;
        return (i < q.len()).then_some(i);
    }
    if msgtyp == 0 {
        return (!q.is_empty()).then_some(0);
    }
    if msgtyp < 0 {
        let limit = if msgtyp == i64::MIN {
            i64::MAX
        } else {
            -msgtyp
        };
        let mut best: Option<(usize, i64)> = None;
        for (i, m) in q.iter().enumerate() {
            if m.mtype <= limit && best.is_none_or(|(_, t)| m.mtype < t) {
                best = Some((i, m.mtype));
            }
        }
        return best.map(|(i, _)| i);
    }
    if flg & MSG_EXCEPT != 0 {
        q.iter().position(|m| m.mtype != msgtyp)
    } else {
        q.iter().position(|m| m.mtype == msgtyp)
    }
}

/// A waiter id for semaphore counts.
pub fn new_waiter() -> u64 {
    NEXT_WAITER.fetch_add(1, Ordering::Relaxed)
}

// ---- POSIX message queues ----

/// Most priorities a message may have (exclusive).
pub const MQ_PRIO_MAX: u32 = 32768;
/// Limits for unprivileged callers (/proc/sys/fs/mqueue defaults).
pub const MQ_MSG_MAX: i64 = 10;
pub const MQ_MSGSIZE_MAX: i64 = 8192;
pub const MQ_MSG_DEFAULT: i64 = 10;
pub const MQ_MSGSIZE_DEFAULT: i64 = 8192;
/// Hard limits, for privileged callers.
pub const MQ_HARD_MSGMAX: i64 = 65536;
pub const MQ_HARD_MSGSIZEMAX: i64 = 16 << 20;

/// A registered mq_notify.
#[derive(Clone, Copy, Debug)]
pub struct MqNotify {
    pub tgid: i32,
    /// SIGEV_SIGNAL or SIGEV_NONE.
    pub notify: i32,
    pub signo: i32,
    pub value: u64,
}

pub struct MqInner {
    /// Messages by priority (highest first when taken), FIFO within one.
    pub msgs: BTreeMap<u32, VecDeque<Vec<u8>>>,
    pub count: i64,
    pub bytes: u64,
    pub notify: Option<MqNotify>,
    /// Receivers blocked in mq_timedreceive (a notification only goes when none is).
    pub receivers: usize,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// A POSIX message queue.
pub struct MQueue {
    pub name: Vec<u8>,
    pub maxmsg: i64,
    pub msgsize: i64,
    pub inner: Mutex<MqInner>,
    pub wq: Arc<WaitQueue>,
}

impl MQueue {
    pub fn new(name: Vec<u8>, maxmsg: i64, msgsize: i64, uid: u32, gid: u32, mode: u32) -> MQueue {
        MQueue {
            name,
            maxmsg,
            msgsize,
            inner: Mutex::new(MqInner {
                msgs: BTreeMap::new(),
                count: 0,
                bytes: 0,
                notify: None,
                receivers: 0,
                uid,
                gid,
                mode: mode & 0o777,
            }),
            wq: WaitQueue::new(),
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, MqInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Permission to open with `want` (4 read, 2 write).
    pub fn check(&self, c: &Caller, want: u32) -> Result<(), Errno> {
        let g = self.lock();
        let perm = IpcPerm {
            uid: g.uid,
            gid: g.gid,
            cuid: g.uid,
            cgid: g.gid,
            mode: g.mode,
            ..Default::default()
        };
        perm.check(c, want)
    }

    /// Adds a message if there is room; returns a notification to send, if one is due.
    pub fn try_send(&self, msg: &[u8], prio: u32) -> Option<Option<MqNotify>> {
        let mut g = self.lock();
        if g.count >= self.maxmsg {
            return None;
        }
        let was_empty = g.count == 0;
        g.msgs.entry(prio).or_default().push_back(msg.to_vec());
        g.count += 1;
        g.bytes += msg.len() as u64;
        let note = if was_empty && g.receivers == 0 {
            g.notify.take()
        } else {
            None
        };
        drop(g);
        self.wq.notify_all();
        Some(note)
    }

    /// Takes the oldest message of the highest priority.
    pub fn try_receive(&self) -> Option<(Vec<u8>, u32)> {
        let mut g = self.lock();
        let (&prio, q) = g.msgs.iter_mut().next_back()?;
        let m = q.pop_front()?;
        if q.is_empty() {
            g.msgs.remove(&prio);
        }
        g.count -= 1;
        g.bytes -= m.len() as u64;
        drop(g);
        self.wq.notify_all();
        Some((m, prio))
    }

    /// The text a read of the descriptor returns.
    pub fn status_text(&self) -> String {
        let g = self.lock();
        let (notify, signo, pid) = match g.notify {
            Some(n) => (n.notify, if n.notify == 0 { n.signo } else { 0 }, n.tgid),
            None => (0, 0, 0),
        };
        format!(
            "QSIZE:{:<10} NOTIFY:{:<5} SIGNO:{:<5} NOTIFY_PID:{:<6}\n",
            g.bytes, notify, signo, pid
        )
    }
}

/// An open message queue descriptor.
pub struct MqFile {
    pub q: Arc<MQueue>,
}

impl Drop for MqFile {
    /// mqueue_flush_file: the registering process closing the queue drops its
    /// notification. (Linux does it on every close by that process; husk on the last
    /// close of a descriptor.)
    fn drop(&mut self) {
        let (_, tgid) = crate::kernel::CURRENT.with(|c| c.get());
        let mut g = self.q.lock();
        if g.notify.is_some_and(|n| n.tgid == tgid) {
            g.notify = None;
        }
    }
}

impl crate::vfs::FileOps for MqFile {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let text = self.q.status_text();
        let b = text.as_bytes();
        let off = (off as usize).min(b.len());
        let n = buf.len().min(b.len() - off);
        buf[..n].copy_from_slice(&b[off..off + n]);
        Ok(n)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        let g = self.q.lock();
        let mut r = 0;
        if g.count > 0 {
            r |= crate::vfs::POLLIN | 0x40; // POLLRDNORM
        }
        if g.count < self.q.maxmsg {
            r |= crate::vfs::POLLOUT | 0x100; // POLLWRNORM
        }
        r
    }

    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.q.wq.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Caller {
        Caller {
            privileged: true,
            ..Default::default()
        }
    }

    #[test]
    fn semop_blocks_and_undoes() {
        let mut st = IpcState::default();
        let id = st.semget(IPC_PRIVATE, 2, 0o600, &root()).expect("semget");
        let dec = [SemBuf {
            num: 0,
            op: -1,
            flg: 0,
        }];
        assert!(matches!(
            st.semop_try(id, &dec, 5),
            Ok(SemTry::Block(0, false))
        ));
        let inc = [SemBuf {
            num: 0,
            op: 2,
            flg: SEM_UNDO,
        }];
        assert!(matches!(st.semop_try(id, &inc, 5), Ok(SemTry::Done)));
        assert!(matches!(st.semop_try(id, &dec, 6), Ok(SemTry::Done)));
        assert_eq!(st.sem.objs[&id].sems[0].val, 1);
        let ns = IpcNs::new();
        *ns.lock() = st;
        ns.exit_process(5);
        // 1 - 2 clamps at 0.
        assert_eq!(ns.lock().sem.objs[&id].sems[0].val, 0);
    }

    #[test]
    fn msg_selection() {
        let q: VecDeque<Msg> = [3, 1, 2, 1]
            .iter()
            .map(|&t| Msg {
                mtype: t,
                text: vec![],
            })
            .collect();
        assert_eq!(msg_select(&q, 0, 0), Some(0));
        assert_eq!(msg_select(&q, 2, 0), Some(2));
        assert_eq!(msg_select(&q, 3, MSG_EXCEPT), Some(1));
        assert_eq!(msg_select(&q, -2, 0), Some(1));
        assert_eq!(msg_select(&q, -0x7fff_ffff, 0), Some(1));
        assert_eq!(msg_select(&q, 4, 0), None);
    }

    #[test]
    fn perms() {
        let p = IpcPerm {
            uid: 1000,
            cuid: 1000,
            gid: 100,
            cgid: 100,
            mode: 0o640,
            ..Default::default()
        };
        let other = Caller {
            euid: 2000,
            egid: 200,
            ..Default::default()
        };
        let group = Caller {
            euid: 2000,
            egid: 100,
            ..Default::default()
        };
        assert_eq!(p.check(&other, 0o444), Err(Errno::EACCES));
        assert_eq!(p.check(&group, 0o444), Ok(()));
        assert_eq!(p.check(&group, 0o222), Err(Errno::EACCES));
        assert_eq!(p.check(&root(), 0o666), Ok(()));
    }
}
