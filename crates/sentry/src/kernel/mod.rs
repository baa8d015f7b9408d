//! The kernel: tasks, thread groups, sessions and process groups, signals, futexes,
//! timers, credentials and limits. Process-tree state lives in one `KState` behind the
//! kernel lock; each task's own state lives in its `TaskCtx`, owned by its host thread.

pub mod exec;
pub mod futex;
pub mod ipc;
pub mod nsfs;
pub mod pidns;
pub mod signal;
pub mod sigqueue;
pub mod task;
pub mod timer;
pub mod userns;

use crate::memfile::MemoryFile;
use crate::mm::Mm;
use crate::vfs::{FdTable, FsContext, Vfs};
use crate::waiter::{WaitQueue, Waker};
use husk_abi::{KSigaction, Rlimit, SigInfo};
use husk_platform::{Interrupter, Platform};
use sigqueue::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub type Tid = i32;

/// The sandbox's pid_max (Linux's default on machines with up to 32 CPUs).
pub const PID_MAX: Tid = 32768;

/// Host CPUs visible to the sandbox, set at start-up.
pub static NCPUS: std::sync::OnceLock<u64> = std::sync::OnceLock::new();

thread_local! {
    /// The task running on this host thread: (tid, tgid). procfs's `self` reads it.
    pub static CURRENT: std::cell::Cell<(Tid, Tid)> = const { std::cell::Cell::new((0, 0)) };
}

/// Credentials. husk keeps them per process (thread group), not per thread as Linux
/// does: a capset or setuid in one thread applies to all threads of its process (glibc
/// makes setuid process-wide anyway; capset from one thread differs from Linux).
#[derive(Clone, Debug)]
pub struct Creds {
    pub ruid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
    /// Capability sets (bit N = capability N).
    pub cap_permitted: u64,
    pub cap_effective: u64,
    pub cap_inheritable: u64,
    pub cap_bset: u64,
    pub cap_ambient: u64,
    /// SECBIT_* flags (prctl PR_SET_SECUREBITS, PR_SET_KEEPCAPS).
    pub securebits: u32,
    /// The user namespace the ids are seen from and the capabilities apply to.
    pub userns: Arc<userns::UserNs>,
}

impl Default for Creds {
    /// uid 0 with no capabilities but a full bounding set (exec as root gains them).
    fn default() -> Creds {
        Creds {
            ruid: 0,
            euid: 0,
            suid: 0,
            fsuid: 0,
            rgid: 0,
            egid: 0,
            sgid: 0,
            fsgid: 0,
            groups: Vec::new(),
            cap_permitted: 0,
            cap_effective: 0,
            cap_inheritable: 0,
            cap_bset: caps::CAP_FULL,
            cap_ambient: 0,
            securebits: 0,
            userns: userns::INIT_USERNS.clone(),
        }
    }
}

/// Capabilities and securebits.
pub mod caps {
    pub const CAP_CHOWN: u32 = 0;
    pub const CAP_DAC_OVERRIDE: u32 = 1;
    pub const CAP_DAC_READ_SEARCH: u32 = 2;
    pub const CAP_FOWNER: u32 = 3;
    pub const CAP_FSETID: u32 = 4;
    pub const CAP_KILL: u32 = 5;
    pub const CAP_SETGID: u32 = 6;
    pub const CAP_SETUID: u32 = 7;
    pub const CAP_SETPCAP: u32 = 8;
    pub const CAP_LINUX_IMMUTABLE: u32 = 9;
    pub const CAP_NET_BIND_SERVICE: u32 = 10;
    pub const CAP_NET_ADMIN: u32 = 12;
    pub const CAP_IPC_OWNER: u32 = 15;
    pub const CAP_SYS_CHROOT: u32 = 18;
    pub const CAP_SYS_ADMIN: u32 = 21;
    pub const CAP_SYS_NICE: u32 = 23;
    pub const CAP_SYS_RESOURCE: u32 = 24;
    pub const CAP_MKNOD: u32 = 27;
    pub const CAP_MAC_OVERRIDE: u32 = 32;
    /// The highest capability (CAP_CHECKPOINT_RESTORE), as /proc/sys/kernel/cap_last_cap.
    pub const CAP_LAST_CAP: u32 = 40;
    pub const CAP_FULL: u64 = (1u64 << (CAP_LAST_CAP + 1)) - 1;
    /// Capabilities that follow the fsuid (setfsuid to and from 0).
    pub const CAP_FS_SET: u64 = (1 << CAP_CHOWN)
        | (1 << CAP_DAC_OVERRIDE)
        | (1 << CAP_DAC_READ_SEARCH)
        | (1 << CAP_FOWNER)
        | (1 << CAP_FSETID)
        | (1 << CAP_LINUX_IMMUTABLE)
        | (1 << CAP_MKNOD)
        | (1 << CAP_MAC_OVERRIDE);

    pub const SECBIT_NOROOT: u32 = 1 << 0;
    pub const SECBIT_NO_SETUID_FIXUP: u32 = 1 << 2;
    pub const SECBIT_KEEP_CAPS: u32 = 1 << 4;
    pub const SECBIT_KEEP_CAPS_LOCKED: u32 = 1 << 5;
    pub const SECBIT_NO_CAP_AMBIENT_RAISE: u32 = 1 << 6;
    pub const SECURE_ALL_BITS: u32 = 0x55;
    pub const SECURE_ALL_LOCKS: u32 = 0xaa;

    pub fn valid(cap: u64) -> bool {
        cap <= CAP_LAST_CAP as u64
    }
}

impl Creds {
    /// Whether the effective set holds `cap`.
    pub fn has_cap(&self, cap: u32) -> bool {
        self.cap_effective & (1u64 << cap) != 0
    }

    /// Linux's cap_emulate_setxuid: what a change of uids does to the capability sets
    /// (`old` are the credentials before setuid, setreuid or setresuid).
    pub fn fixup_setxuid(&mut self, old: &Creds) {
        if self.securebits & caps::SECBIT_NO_SETUID_FIXUP != 0 {
            return;
        }
        let root = self.root_uid();
        let is_root = |u: u32| Some(u) == root;
        let had_root = is_root(old.ruid) || is_root(old.euid) || is_root(old.suid);
        let has_root = is_root(self.ruid) || is_root(self.euid) || is_root(self.suid);
        if had_root && !has_root {
            if self.securebits & caps::SECBIT_KEEP_CAPS == 0 {
                self.cap_permitted = 0;
                self.cap_effective = 0;
            }
            self.cap_ambient = 0;
        }
        if is_root(old.euid) && !is_root(self.euid) {
            self.cap_effective = 0;
        }
        if !is_root(old.euid) && is_root(self.euid) {
            self.cap_effective = self.cap_permitted;
        }
    }

    /// What setfsuid does to the effective set.
    pub fn fixup_setfsuid(&mut self, old_fsuid: u32) {
        if self.securebits & caps::SECBIT_NO_SETUID_FIXUP != 0 {
            return;
        }
        let root = self.root_uid();
        if Some(old_fsuid) == root && Some(self.fsuid) != root {
            self.cap_effective &= !caps::CAP_FS_SET;
        }
        if Some(old_fsuid) != root && Some(self.fsuid) == root {
            self.cap_effective |= self.cap_permitted & caps::CAP_FS_SET;
        }
    }

    /// The capability transformation of execve (Linux's cap_bprm_creds_from_file) for a
    /// file without file capabilities and without set-user-ID or set-group-ID bits:
    /// husk does not support file capabilities (security.capability is not read).
    pub fn exec_transform(&mut self) {
        let root_ok = self.securebits & caps::SECBIT_NOROOT == 0;
        let mut permitted = 0;
        let mut effective = false;
        let root = self.root_uid();
        if root_ok && (Some(self.euid) == root || Some(self.ruid) == root) {
            permitted = self.cap_bset | self.cap_inheritable;
        }
        if root_ok && Some(self.euid) == root {
            effective = true;
        }
        self.suid = self.euid;
        self.fsuid = self.euid;
        self.sgid = self.egid;
        self.fsgid = self.egid;
        self.cap_permitted = permitted | self.cap_ambient;
        self.cap_effective = if effective {
            self.cap_permitted
        } else {
            self.cap_ambient
        };
        self.securebits &= !caps::SECBIT_KEEP_CAPS;
    }
}

/// Inode numbers of namespaces (as /proc/PID/ns/* would show them).
static NEXT_NS_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(4026531838);

pub fn next_ns_id() -> u64 {
    NEXT_NS_ID.fetch_add(1, Ordering::Relaxed)
}

/// A UTS namespace: host and domain names.
#[derive(Debug)]
pub struct UtsNs {
    pub id: u64,
    /// The user namespace that owns it (sethostname needs CAP_SYS_ADMIN over it).
    pub owner: Arc<userns::UserNs>,
    pub hostname: Mutex<String>,
    pub domainname: Mutex<String>,
}

impl UtsNs {
    pub fn new(hostname: String, domainname: String, owner: Arc<userns::UserNs>) -> Arc<UtsNs> {
        Arc::new(UtsNs {
            id: next_ns_id(),
            owner,
            hostname: Mutex::new(hostname),
            domainname: Mutex::new(domainname),
        })
    }
    pub fn hostname(&self) -> String {
        self.hostname
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    pub fn domainname(&self) -> String {
        self.domainname
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
    /// A copy (unshare, clone with CLONE_NEWUTS).
    pub fn copy(&self, owner: Arc<userns::UserNs>) -> Arc<UtsNs> {
        UtsNs::new(self.hostname(), self.domainname(), owner)
    }
}

/// The namespaces of a process (Linux's nsproxy; per process here, not per thread).
/// Network and cgroup namespaces are not supported: there is one of each per sandbox.
/// The user namespace is part of the credentials (`Creds::userns`); the PID namespace a
/// process is in is `ProcessInfo::pidns` (this holds the one its children go to).
#[derive(Clone)]
pub struct Namespaces {
    pub uts: Arc<UtsNs>,
    pub ipc: Arc<ipc::IpcNs>,
    /// The mount namespace: its mount table, and the user namespace that owns it.
    pub mnt: Arc<Vfs>,
    pub mnt_owner: Arc<userns::UserNs>,
    /// The mount namespace's inode number (/proc/PID/ns/mnt).
    pub mnt_id: u64,
    /// The PID namespace new children are created in (/proc/PID/ns/pid_for_children).
    pub pid_for_children: Arc<pidns::PidNs>,
}

/// The part of a task other threads touch without the kernel lock.
pub struct ThreadHandle {
    pub tid: std::sync::atomic::AtomicI32,
    pub waker: Arc<Waker>,
    pub in_app: AtomicBool,
    /// Something may need the task's attention (signal, exit, stop).
    pub attention: AtomicBool,
    pub intr: Mutex<Option<Arc<dyn Interrupter>>>,
    /// CPU time the task used, published by the task for other threads' clocks,
    /// getrusage and CPU-time timers.
    pub cpu: Mutex<CpuSnap>,
}

/// A task's published CPU time.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuSnap {
    /// Application time, excluding the current run.
    pub utime: Duration,
    /// Sentry time.
    pub stime: Duration,
    /// When the application code now running started running.
    pub running_since: Option<Instant>,
}

impl ThreadHandle {
    /// CPU time (user, system) of the task, counting application code running now.
    pub fn cpu_time(&self) -> (Duration, Duration) {
        let c = *self.cpu.lock().unwrap_or_else(|p| p.into_inner());
        let running = c.running_since.map(|t| t.elapsed()).unwrap_or_default();
        (c.utime + running, c.stime)
    }

    /// Wakes the task wherever it is: sleeping in the Sentry or running application code.
    pub fn kick(&self) {
        self.attention.store(true, Ordering::SeqCst);
        self.waker.notify();
        if self.in_app.load(Ordering::SeqCst) {
            if let Some(i) = self.intr.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
                i.interrupt();
            }
        }
    }
}

/// Per-thread state in the kernel lock.
pub struct ThreadInfo {
    pub tid: Tid,
    pub tgid: Tid,
    pub handle: Arc<ThreadHandle>,
    pub mask: u64,
    pub pending: SigQueue,
    pub comm: String,
    pub mm: Arc<Mm>,
    pub files: Arc<FdTable>,
    pub fs: Arc<Mutex<FsContext>>,
    /// Set when the thread must exit without a process exit (exec from another thread).
    pub killed_by_exec: bool,
    pub cpu_time: Duration,
    pub start: Instant,
    /// Scheduling policy (SCHED_OTHER, SCHED_BATCH or SCHED_IDLE; real-time ones are
    /// refused), with the SCHED_RESET_ON_FORK bit.
    pub sched_policy: i32,
}

/// Accumulated resource usage.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub utime: Duration,
    pub stime: Duration,
    pub maxrss_kb: u64,
}

/// Process state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcState {
    Running,
    /// Exited; the wait status.
    Zombie(i32),
}

/// Per-process (thread group) state in the kernel lock.
pub struct ProcessInfo {
    pub tgid: Tid,
    pub parent: Tid,
    pub children: BTreeSet<Tid>,
    pub threads: Vec<Tid>,
    pub pgid: Tid,
    pub sid: Tid,
    pub actions: [KSigaction; 65],
    pub shared_pending: SigQueue,
    pub exit_signal: i32,
    pub state: ProcState,
    /// exit_group or a fatal signal in progress: the wait status.
    pub group_exit: Option<i32>,
    pub stopped: bool,
    pub stop_sig: i32,
    pub stop_report: bool,
    pub cont_report: bool,
    pub rlimits: [Rlimit; 16],
    pub creds: Creds,
    pub child_wq: Arc<WaitQueue>,
    pub usage: Usage,
    pub child_usage: Usage,
    pub start: Instant,
    pub subreaper: bool,
    pub pdeathsig: i32,
    /// The thread of the parent that forked us (Linux's real_parent is a thread):
    /// its exit sends pdeathsig even while the parent process lives on. 0: any.
    pub parent_thread: Tid,
    /// /proc/PID/oom_score_adj and the lowest value it may be set to without
    /// CAP_SYS_RESOURCE (Linux's signal->oom_score_adj{,_min}).
    pub oom_score_adj: (i32, i32),
    pub no_new_privs: bool,
    pub dumpable: bool,
    pub cmdline: Vec<Vec<u8>>,
    pub exited_threads_time: Duration,
    pub nice: i32,
    /// The process called execve (its parent may no longer setpgid it).
    pub did_exec: bool,
    pub ns: Namespaces,
    /// The PID namespace the process is in.
    pub pidns: Arc<pidns::PidNs>,
}

/// One process as `husk ps` shows it.
#[derive(Debug, Clone)]
pub struct ProcessSummary {
    pub pid: Tid,
    /// 0 for init and processes started from the host.
    pub ppid: Tid,
    pub uid: u32,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Start time, since the Unix epoch.
    pub started: Duration,
    pub cmd: String,
}

/// The kernel lock's content.
pub struct KState {
    pub threads: BTreeMap<Tid, ThreadInfo>,
    pub procs: BTreeMap<Tid, ProcessInfo>,
    next_tid: Tid,
    /// Wait status of init once it exited.
    pub init_status: Option<i32>,
    /// Processes started from the host (`husk exec`): their parent is the host, which
    /// learns their wait status here once they exit.
    pub external: BTreeMap<Tid, Option<i32>>,
}

impl KState {
    /// A free thread ID.
    pub fn alloc_tid(&mut self) -> Tid {
        loop {
            let t = self.next_tid;
            self.next_tid = if self.next_tid >= PID_MAX - 1 {
                2
            } else {
                self.next_tid + 1
            };
            if !self.threads.contains_key(&t)
                && !self.procs.contains_key(&t)
                && !self.is_pgid_in_use(t)
            {
                return t;
            }
        }
    }

    /// Frees the namespace IDs of global ID `id` (a reaped process or an exited
    /// thread) unless it is still in use as a thread, process, group or session ID.
    pub fn release_id(&self, id: Tid, ns: &pidns::PidNs) {
        if ns.is_root()
            || self.threads.contains_key(&id)
            || self.procs.contains_key(&id)
            || self.is_pgid_in_use(id)
        {
            return;
        }
        ns.release(id);
    }

    /// Keeps pid 1 for init: later allocations start at 2.
    pub fn reserve_init_id(&mut self) {
        if self.next_tid < 2 {
            self.next_tid = 2;
        }
    }

    fn is_pgid_in_use(&self, id: Tid) -> bool {
        self.procs.values().any(|p| p.pgid == id || p.sid == id)
    }

    pub fn proc_of(&self, tid: Tid) -> Option<&ProcessInfo> {
        self.threads.get(&tid).and_then(|t| self.procs.get(&t.tgid))
    }

    /// CPU time (user, system) of process `tgid`: its exited threads plus the published
    /// times of its live ones. None if there is no such process.
    pub fn process_cpu(&self, tgid: Tid) -> Option<(Duration, Duration)> {
        let p = self.procs.get(&tgid)?;
        let (mut u, mut s) = (p.usage.utime, p.usage.stime);
        for t in &p.threads {
            if let Some(ti) = self.threads.get(t) {
                let (tu, ts) = ti.handle.cpu_time();
                u += tu;
                s += ts;
            }
        }
        Some((u, s))
    }

    /// Whether process group `pgid` is orphaned: no live member has a live parent in
    /// another group of the same session. Init counts as having one (whoever started
    /// the sandbox), as a program started from a shell has.
    pub fn is_orphaned_pgrp(&self, pgid: Tid) -> bool {
        !self.procs.values().any(|p| {
            p.pgid == pgid
                && p.state == ProcState::Running
                && (p.tgid == 1
                    || self.procs.get(&p.parent).is_some_and(|pp| {
                        pp.state == ProcState::Running && pp.pgid != pgid && pp.sid == p.sid
                    }))
        })
    }

    /// Live processes (not zombies).
    pub fn live_procs(&self) -> usize {
        self.procs
            .values()
            .filter(|p| p.state == ProcState::Running)
            .count()
    }
}

/// Options of a sandbox.
#[derive(Clone, Debug, Default)]
pub struct KernelOptions {
    pub strace: bool,
    pub hostname: String,
}

/// The Sentry's kernel.
pub struct Kernel {
    pub platform: Arc<dyn Platform>,
    pub mf: Arc<MemoryFile>,
    pub vfs: Arc<Vfs>,
    state: Mutex<KState>,
    pub futexes: futex::FutexTable,
    pub timers: timer::TimerService,
    pub opts: KernelOptions,
    pub boot: Instant,
    /// Names bound by Unix sockets (abstract names and socket files).
    pub unix_sockets: crate::socket::Namespace,
    /// The sandbox's initial namespaces (those of init).
    pub root_ns: Namespaces,
    unimplemented_logged: Mutex<HashSet<u32>>,
    /// Pseudo-terminals (devpts), for the controlling terminal of exiting session leaders.
    pub ttys: std::sync::OnceLock<Arc<crate::fsimpl::devpts::DevPts>>,
    /// Host terminals the sandbox holds fds on (their job control: fsimpl::hosttty).
    pub host_ttys: Mutex<Vec<std::sync::Weak<crate::fsimpl::hosttty::HostTty>>>,
    /// The terminal of the first process's stdio, if it has one: where the signals the
    /// host's terminal generates go ([`Kernel::terminal_signal`]).
    pub console: std::sync::OnceLock<Arc<crate::fsimpl::hosttty::HostTty>>,
    /// Set when a gofer went away while the sandbox ran ([`Kernel::gofer_lost`]).
    lost_gofer: std::sync::OnceLock<String>,
    done: Condvar,
    /// Set while the sandbox is paused: no task returns to application code.
    frozen: std::sync::atomic::AtomicBool,
    thaw: (Mutex<()>, Condvar),
    /// Host threads running tasks (they end after their stub threads are gone).
    pub live_tasks: std::sync::atomic::AtomicUsize,
}

/// Default resource limits.
pub fn default_rlimits() -> [Rlimit; 16] {
    let inf = u64::MAX;
    let mut r = [Rlimit {
        rlim_cur: inf,
        rlim_max: inf,
    }; 16];
    r[3] = Rlimit {
        rlim_cur: 8 << 20,
        rlim_max: inf,
    }; // STACK
    r[4] = Rlimit {
        rlim_cur: 0,
        rlim_max: inf,
    }; // CORE
    r[6] = Rlimit {
        rlim_cur: 63_000,
        rlim_max: 63_000,
    }; // NPROC
    r[7] = Rlimit {
        rlim_cur: 1024,
        rlim_max: 524_288,
    }; // NOFILE
    r[8] = Rlimit {
        rlim_cur: 8 << 20,
        rlim_max: 8 << 20,
    }; // MEMLOCK
    r[11] = Rlimit {
        rlim_cur: 63_000,
        rlim_max: 63_000,
    }; // SIGPENDING
    r[12] = Rlimit {
        rlim_cur: 819_200,
        rlim_max: 819_200,
    }; // MSGQUEUE
    r[13] = Rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    }; // NICE
    r[14] = Rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    }; // RTPRIO
    r
}

impl Kernel {
    pub fn new(
        platform: Arc<dyn Platform>,
        mf: Arc<MemoryFile>,
        vfs: Arc<Vfs>,
        opts: KernelOptions,
    ) -> Arc<Kernel> {
        let hostname = if opts.hostname.is_empty() {
            "husk".to_string()
        } else {
            opts.hostname.clone()
        };
        Arc::new(Kernel {
            platform,
            mf,
            vfs: vfs.clone(),
            state: Mutex::new(KState {
                threads: BTreeMap::new(),
                procs: BTreeMap::new(),
                next_tid: 1,
                init_status: None,
                external: BTreeMap::new(),
            }),
            futexes: futex::FutexTable::default(),
            timers: timer::TimerService::default(),
            opts,
            boot: Instant::now(),
            unix_sockets: Default::default(),
            root_ns: Namespaces {
                uts: UtsNs::new(hostname, "(none)".into(), userns::INIT_USERNS.clone()),
                ipc: Arc::new(ipc::IpcNs::new()),
                mnt: vfs.clone(),
                mnt_owner: userns::INIT_USERNS.clone(),
                mnt_id: next_ns_id(),
                pid_for_children: pidns::PidNs::root(userns::INIT_USERNS.clone()),
            },
            unimplemented_logged: Mutex::new(HashSet::new()),
            ttys: std::sync::OnceLock::new(),
            host_ttys: Mutex::new(Vec::new()),
            console: std::sync::OnceLock::new(),
            lost_gofer: std::sync::OnceLock::new(),
            done: Condvar::new(),
            live_tasks: std::sync::atomic::AtomicUsize::new(0),
            frozen: std::sync::atomic::AtomicBool::new(false),
            thaw: (Mutex::new(()), Condvar::new()),
        })
    }

    /// The kernel lock.
    pub fn lock(&self) -> MutexGuard<'_, KState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The namespaces of process `tgid` (the initial ones if it is gone).
    pub fn ns_of(&self, tgid: Tid) -> Namespaces {
        self.lock()
            .procs
            .get(&tgid)
            .map(|p| p.ns.clone())
            .unwrap_or_else(|| self.root_ns.clone())
    }

    /// Logs an unimplemented syscall once per sandbox; returns whether this was the first.
    pub fn note_unimplemented(&self, nr: u32) -> bool {
        self.unimplemented_logged
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(nr)
    }

    /// Blocks until init has exited; returns its wait status.
    pub fn wait_init(&self) -> i32 {
        let mut st = self.lock();
        loop {
            if let Some(s) = st.init_status {
                return s;
            }
            st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Blocks until process `tgid`, started from the host with
    /// [`exec::start_process`], has exited; returns its wait status (SIGKILL's if the
    /// sandbox ends first). `None` if `tgid` is not such a process.
    pub fn wait_external(&self, tgid: Tid) -> Option<i32> {
        let mut st = self.lock();
        loop {
            match st.external.get(&tgid) {
                None => return None,
                Some(Some(s)) => {
                    let s = *s;
                    st.external.remove(&tgid);
                    return Some(s);
                }
                Some(None) if st.init_status.is_some() && !st.procs.contains_key(&tgid) => {
                    return Some(SIGKILL);
                }
                Some(None) => {}
            }
            st = self.done.wait(st).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// The live processes (not zombies), by pid.
    pub fn processes(&self) -> Vec<ProcessSummary> {
        self.processes_in(&self.root_ns.pid_for_children)
    }

    /// The live processes PID namespace `ns` sees, with their IDs there.
    pub fn processes_in(&self, ns: &pidns::PidNs) -> Vec<ProcessSummary> {
        self.processes_where(ns, None)
    }

    /// [`Kernel::processes_in`], only those in mount namespace `mnt` if given (a
    /// container of a multi-container sandbox that shares the sandbox's PID namespace
    /// is told apart by its mount namespace).
    pub fn processes_where(
        &self,
        ns: &pidns::PidNs,
        mnt: Option<&Arc<Vfs>>,
    ) -> Vec<ProcessSummary> {
        let st = self.lock();
        let now = std::time::SystemTime::now();
        st.procs
            .values()
            .filter(|p| p.state == ProcState::Running && ns.sees(p.tgid))
            .filter(|p| mnt.is_none_or(|m| Arc::ptr_eq(m, &p.ns.mnt)))
            .map(|p| {
                let (u, s) = st.process_cpu(p.tgid).unwrap_or_default();
                let started = now
                    .checked_sub(p.start.elapsed())
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .unwrap_or_default();
                ProcessSummary {
                    pid: ns.local(p.tgid),
                    ppid: ns.local(p.parent),
                    uid: p.creds.ruid,
                    cpu: u + s,
                    started,
                    cmd: p
                        .cmdline
                        .iter()
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect::<Vec<_>>()
                        .join(" "),
                }
            })
            .collect()
    }

    /// Pauses the sandbox: tasks stop before they return to application code (those
    /// running it are interrupted; those in a system call stop when it ends). Waits, at
    /// most `limit`, until no task runs application code; returns whether they all
    /// stopped.
    pub fn freeze(&self, limit: Duration) -> bool {
        self.frozen.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + limit;
        loop {
            let running: Vec<Arc<ThreadHandle>> = self
                .lock()
                .threads
                .values()
                .filter(|t| t.handle.in_app.load(Ordering::SeqCst))
                .map(|t| t.handle.clone())
                .collect();
            if running.is_empty() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            for h in &running {
                h.kick();
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Resumes a paused sandbox.
    pub fn thaw(&self) {
        let _g = self.thaw.0.lock().unwrap_or_else(|p| p.into_inner());
        self.frozen.store(false, Ordering::SeqCst);
        self.thaw.1.notify_all();
    }

    /// Whether the sandbox is paused.
    pub fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::SeqCst)
    }

    /// While paused: waits until resumed, at most `limit` (so the task can look at its
    /// signals: SIGKILL still ends it).
    pub fn wait_thawed(&self, limit: Duration) {
        let g = self.thaw.0.lock().unwrap_or_else(|p| p.into_inner());
        if self.frozen.load(Ordering::SeqCst) {
            let _ = self.thaw.1.wait_timeout(g, limit);
        }
    }

    /// Whether init has exited.
    pub fn init_exited(&self) -> bool {
        self.lock().init_status.is_some()
    }

    fn notify_done(&self) {
        self.done.notify_all();
    }

    /// Sends `info` to process `tgid` (kill). Call with the lock held.
    pub fn send_to_process(&self, st: &mut KState, tgid: Tid, info: SigInfo) {
        let sig = info.si_signo;
        let Some(p) = st.procs.get_mut(&tgid) else {
            return;
        };
        if p.state != ProcState::Running {
            return;
        }
        if sig == SIGKILL {
            if p.group_exit.is_none() {
                p.group_exit = Some(SIGKILL);
            }
            p.stopped = false;
            let threads = p.threads.clone();
            for t in threads {
                if let Some(ti) = st.threads.get(&t) {
                    ti.handle.kick();
                }
            }
            return;
        }
        if sig == SIGCONT {
            p.shared_pending
                .remove(bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU));
            for t in p.threads.clone() {
                if let Some(ti) = st.threads.get_mut(&t) {
                    ti.pending
                        .remove(bit(SIGSTOP) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU));
                }
            }
            let Some(p) = st.procs.get_mut(&tgid) else {
                return;
            };
            if p.stopped {
                p.stopped = false;
                p.cont_report = true;
                p.stop_report = false;
                let parent = p.parent;
                let (uid, pid) = (p.creds.ruid, p.tgid);
                let threads = p.threads.clone();
                for t in threads {
                    if let Some(ti) = st.threads.get(&t) {
                        ti.handle.kick();
                    }
                }
                self.notify_parent(st, parent, pid, uid, CLD_CONTINUED, SIGCONT, true);
            }
        } else if matches!(sig, SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU) {
            p.shared_pending.remove(bit(SIGCONT));
        }
        let Some(p) = st.procs.get_mut(&tgid) else {
            return;
        };
        // Discard signals the process ignores (unless blocked everywhere: they stay pending).
        let act = p.actions[sig as usize];
        let ignored = act.handler == 1
            || (act.handler == 0 && default_action(sig) == DefaultAction::Ignore)
            || (act.handler == 0 && sig == SIGCONT);
        let all_block = p
            .threads
            .iter()
            .all(|t| st.threads.get(t).is_some_and(|ti| ti.mask & bit(sig) != 0));
        if ignored && !all_block {
            return;
        }
        let Some(p) = st.procs.get_mut(&tgid) else {
            return;
        };
        p.shared_pending.push(info);
        // Wake a thread that can take it (or all, to be simple and correct).
        let threads = p.threads.clone();
        let mut woke = false;
        for t in &threads {
            if let Some(ti) = st.threads.get(t) {
                if ti.mask & bit(sig) == 0 {
                    ti.handle.kick();
                    woke = true;
                    break;
                }
            }
        }
        if !woke {
            // Everyone blocks it: wake sleepers anyway (sigtimedwait, sigsuspend).
            for t in &threads {
                if let Some(ti) = st.threads.get(t) {
                    ti.handle.attention.store(true, Ordering::SeqCst);
                    ti.handle.waker.notify();
                }
            }
        }
    }

    /// Sends `info` to thread `tid` (tgkill, faults).
    pub fn send_to_thread(&self, st: &mut KState, tid: Tid, info: SigInfo) {
        let sig = info.si_signo;
        let Some(tgid) = st.threads.get(&tid).map(|t| t.tgid) else {
            return;
        };
        if sig == SIGKILL || sig == SIGCONT {
            return self.send_to_process(st, tgid, info);
        }
        let Some(p) = st.procs.get(&tgid) else { return };
        let act = p.actions[sig as usize];
        let ignored =
            act.handler == 1 || (act.handler == 0 && default_action(sig) == DefaultAction::Ignore);
        let Some(t) = st.threads.get_mut(&tid) else {
            return;
        };
        if ignored && t.mask & bit(sig) == 0 {
            return;
        }
        t.pending.push(info);
        t.handle.kick();
    }

    /// Notifies `parent` of a child state change with SIGCHLD (if wanted) and wakes waiters.
    #[allow(clippy::too_many_arguments)]
    pub fn notify_parent(
        &self,
        st: &mut KState,
        parent: Tid,
        child: Tid,
        uid: u32,
        code: i32,
        status: i32,
        stop_event: bool,
    ) {
        let Some(pp) = st.procs.get(&parent) else {
            return;
        };
        pp.child_wq.notify_all();
        for t in &pp.threads {
            if let Some(ti) = st.threads.get(t) {
                ti.handle.waker.notify();
            }
        }
        let act = pp.actions[SIGCHLD as usize];
        // SA_NOCLDSTOP
        if stop_event && act.flags & 1 != 0 {
            return;
        }
        let mut si = SigInfo::user(SIGCHLD, code, child, uid);
        si.set_child(status, 0, 0);
        self.send_to_process(st, parent, si);
    }

    /// Signals every process in process group `pgid`; returns whether any existed.
    pub fn send_to_pgrp(&self, st: &mut KState, pgid: Tid, info: SigInfo) -> bool {
        let members: Vec<Tid> = st
            .procs
            .values()
            .filter(|p| p.pgid == pgid && p.state == ProcState::Running)
            .map(|p| p.tgid)
            .collect();
        for m in &members {
            self.send_to_process(st, *m, info);
        }
        !members.is_empty()
    }

    /// Sends SIGHUP and SIGCONT to process group `pgid` if it is orphaned and has
    /// stopped members (an exit just orphaned it).
    pub fn hup_orphaned_stopped(&self, st: &mut KState, pgid: Tid) {
        let stopped = st
            .procs
            .values()
            .any(|p| p.pgid == pgid && p.state == ProcState::Running && p.stopped);
        if stopped && st.is_orphaned_pgrp(pgid) {
            self.send_to_pgrp(st, pgid, SigInfo::user(SIGHUP, SI_KERNEL, 0, 0));
            self.send_to_pgrp(st, pgid, SigInfo::user(SIGCONT, SI_KERNEL, 0, 0));
        }
    }

    /// Kills every process of the sandbox (init exited, or the host asked).
    pub fn kill_all(&self, st: &mut KState) {
        let all: Vec<Tid> = st.procs.keys().copied().collect();
        for p in all {
            self.send_to_process(st, p, SigInfo::user(SIGKILL, SI_KERNEL, 0, 0));
        }
    }

    /// Records init's exit and ends the sandbox.
    pub fn init_exit(&self, st: &mut KState, status: i32) {
        st.init_status = Some(status);
        self.kill_all(st);
        self.notify_done();
    }

    /// A signal the host's terminal generated for the sandbox's console (^C, ^\, ^Z,
    /// a resize): it goes to the console's foreground process group, as Linux's line
    /// discipline sends it. False if there is no console with one.
    pub fn terminal_signal(&self, sig: i32) -> bool {
        self.console.get().is_some_and(|t| t.signal_foreground(sig))
    }

    /// A signal the host's terminal generated for a terminal the sandbox holds (an
    /// `exec -t` pty): it goes to the foreground process group of the terminal that
    /// controls process `tgid`'s session (SIGHUP hangs it up). False if there is none.
    pub fn terminal_signal_of(&self, tgid: Tid, sig: i32) -> bool {
        let sid = {
            let st = self.lock();
            match st.procs.get(&tgid) {
                Some(p) if p.state == ProcState::Running => p.sid,
                _ => return false,
            }
        };
        let Some(t) = crate::fsimpl::hosttty::ctty_of(self, sid, tgid) else {
            return false;
        };
        if sig == SIGHUP {
            t.hangup();
            true
        } else {
            t.signal_foreground(sig)
        }
    }

    /// The host hung the console up (its master side closed).
    pub fn terminal_hangup(&self) {
        if let Some(t) = self.console.get() {
            t.hangup();
        }
    }

    /// A gofer went away while the sandbox runs (see sandbox::watch_gofer): the files it
    /// served are gone, so the sandbox is stopped (init killed, which ends every
    /// process) and why is logged and kept ([`Kernel::lost_gofer`]).
    pub fn gofer_lost(&self, what: &str) {
        if self.init_exited() {
            return;
        }
        if self.lost_gofer.set(what.to_string()).is_ok() {
            tracing::info!("the gofer serving {what} exited: the sandbox is stopped");
        }
        self.host_signal(SIGKILL);
    }

    /// What the gofer that went away served, if one did while the sandbox ran.
    pub fn lost_gofer(&self) -> Option<&str> {
        self.lost_gofer.get().map(String::as_str)
    }

    /// Delivers a signal from the host (`husk kill`, a signal to `husk do`) to init.
    pub fn host_signal(&self, sig: i32) {
        let mut st = self.lock();
        if st.init_status.is_some() {
            return;
        }
        self.send_to_process(&mut st, 1, SigInfo::user(sig, SI_USER, 0, 0));
    }

    /// Whether the sandbox's init would ignore `sig` sent from the host as from an
    /// ancestor PID namespace (an OCI container's init, as under runc): Linux delivers
    /// only SIGKILL, SIGSTOP and signals init has a handler for (or blocks).
    pub fn init_ignores_host_signal(&self, sig: i32) -> bool {
        self.ns_init_ignores_host_signal(1, sig)
    }

    /// [`Kernel::init_ignores_host_signal`] for `init`, the init of a nested PID
    /// namespace (a container of a multi-container sandbox).
    pub fn ns_init_ignores_host_signal(&self, init: Tid, sig: i32) -> bool {
        if sig == SIGKILL || sig == SIGSTOP || !(1..=64).contains(&sig) {
            return false;
        }
        let st = self.lock();
        let Some(p) = st.procs.get(&init) else {
            return false;
        };
        let blocked = st
            .threads
            .get(&init)
            .is_some_and(|t| t.mask & (1u64 << (sig - 1)) != 0);
        p.actions[sig as usize].handler == 0 && !blocked
    }

    /// Delivers a signal from the host to process `tgid` (one `husk exec` started);
    /// false if it is gone or has exited.
    pub fn host_signal_to(&self, tgid: Tid, sig: i32) -> bool {
        let mut st = self.lock();
        if !st
            .procs
            .get(&tgid)
            .is_some_and(|p| p.state == ProcState::Running)
        {
            return false;
        }
        self.send_to_process(&mut st, tgid, SigInfo::user(sig, SI_USER, 0, 0));
        true
    }

    /// Kills every process PID namespace `ns` sees (in mount namespace `mnt` if given:
    /// see [`Kernel::processes_where`]); a container of a multi-container sandbox that
    /// is being removed. A nested namespace is marked dead first.
    pub fn kill_pidns(&self, ns: &pidns::PidNs, mnt: Option<&Arc<Vfs>>) {
        // No process may enter it any more (a start or exec racing with the removal).
        ns.set_dead();
        let mut st = self.lock();
        let all: Vec<Tid> = st
            .procs
            .values()
            .filter(|p| p.state == ProcState::Running && ns.sees(p.tgid))
            .filter(|p| mnt.is_none_or(|m| Arc::ptr_eq(m, &p.ns.mnt)))
            .map(|p| p.tgid)
            .collect();
        for p in all {
            self.send_to_process(&mut st, p, SigInfo::user(SIGKILL, SI_KERNEL, 0, 0));
        }
    }

    /// Number of live threads (for tests and /proc/loadavg).
    pub fn thread_count(&self) -> usize {
        self.lock().threads.len()
    }
}
