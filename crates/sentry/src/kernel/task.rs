//! A task (application thread): its host thread's run loop, clone, exit and wait.

use super::sigqueue::*;
use super::*;
use crate::syscalls;
use husk_abi::{Errno, FpRegs, PtRegs, StackT, SysResult};
use husk_platform::{Context, Exit};
use std::sync::atomic::AtomicI32;

/// How a task is leaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    /// exit(2): this thread only.
    Thread(i32),
    /// The whole process is exiting with this wait status.
    Group(i32),
}

/// A task, owned by the host thread that runs it.
pub struct TaskCtx {
    pub k: Arc<Kernel>,
    pub tid: Tid,
    pub tgid: Tid,
    pub handle: Arc<ThreadHandle>,
    pub ctx: Box<dyn Context>,
    pub regs: PtRegs,
    pub mm: Arc<Mm>,
    pub files: Arc<FdTable>,
    pub fs: Arc<Mutex<FsContext>>,
    pub clear_child_tid: u64,
    pub robust_list: u64,
    pub altstack: StackT,
    /// Mask to restore after a handler runs (sigsuspend, ppoll, pselect).
    pub saved_mask: Option<u64>,
    pub exit: Option<ExitKind>,
    /// Set by execve and rt_sigreturn: do not write a return value.
    pub regs_replaced: bool,
    pub vfork_done: Option<Arc<VforkDone>>,
    /// A restart code returned by the last syscall, resolved at signal delivery.
    pub pending_restart: Option<Errno>,
    /// Time spent running application code (wall time inside `Context::switch`).
    pub app_time: Duration,
    /// CPU time the task's host thread spent in the Sentry (blocked time excluded).
    pub sys_time: Duration,
    /// The host thread's CPU clock when this task started running on it.
    host_cpu_base: Duration,
    /// CPUs this task may run on (sched_setaffinity).
    pub affinity: u64,
    /// The last fault that found its page already mapped: (address, rip).
    pub last_fault: Option<(u64, u64)>,
    /// Reused by read and write to stage data between files and application memory.
    pub io_buf: Vec<u8>,
    /// When `sys_time` was last brought up to date from the host clock.
    cpu_refreshed: Instant,
    /// The PID namespace the task is in (it never changes).
    pub pidns: Arc<super::pidns::PidNs>,
}

/// Completion a vfork parent waits for.
#[derive(Default)]
pub struct VforkDone {
    pub done: Mutex<bool>,
    pub cv: Condvar,
}

impl VforkDone {
    pub fn complete(&self) {
        *self.done.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.cv.notify_all();
    }
}

/// What `clone` was asked for.
pub struct CloneArgs {
    pub flags: u64,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
    pub tls: u64,
    pub exit_signal: i32,
}

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_PIDFD: u64 = 0x1000;
pub const CLONE_PTRACE: u64 = 0x2000;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_PARENT: u64 = 0x8000;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_NEWNS: u64 = 0x20000;
pub const CLONE_SYSVSEM: u64 = 0x40000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_DETACHED: u64 = 0x400000;
pub const CLONE_UNTRACED: u64 = 0x800000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;
pub const CLONE_NEWCGROUP: u64 = 0x2000000;
pub const CLONE_NEWUTS: u64 = 0x4000000;
pub const CLONE_NEWIPC: u64 = 0x8000000;
pub const CLONE_NEWUSER: u64 = 0x10000000;
pub const CLONE_NEWPID: u64 = 0x20000000;
pub const CLONE_NEWNET: u64 = 0x40000000;
pub const CLONE_IO: u64 = 0x80000000;

/// Namespaces husk cannot create: clone and unshare fail with EINVAL for them, as a
/// kernel built without them does. (Network, cgroup.)
pub const UNSUPPORTED_NS: u64 = CLONE_NEWNET | CLONE_NEWCGROUP;

impl Namespaces {
    /// The namespaces of a new process created with clone `flags` (or of the caller
    /// after unshare): new UTS, IPC and mount namespaces where asked, owned by `owner`.
    pub fn copy_for(&self, flags: u64, owner: &Arc<super::userns::UserNs>) -> Namespaces {
        Namespaces {
            uts: if flags & CLONE_NEWUTS != 0 {
                self.uts.copy(owner.clone())
            } else {
                self.uts.clone()
            },
            ipc: if flags & CLONE_NEWIPC != 0 {
                Arc::new(super::ipc::IpcNs::new())
            } else {
                self.ipc.clone()
            },
            mnt: if flags & CLONE_NEWNS != 0 {
                Arc::new(self.mnt.copy())
            } else {
                self.mnt.clone()
            },
            mnt_owner: if flags & CLONE_NEWNS != 0 {
                owner.clone()
            } else {
                self.mnt_owner.clone()
            },
            mnt_id: if flags & CLONE_NEWNS != 0 {
                super::next_ns_id()
            } else {
                self.mnt_id
            },
            pid_for_children: self.pid_for_children.clone(),
        }
    }
}

/// sched_setscheduler's flag: children start with SCHED_OTHER.
pub const SCHED_RESET_ON_FORK: i32 = 0x4000_0000;

/// CPU time of the calling host thread.
fn host_thread_cpu() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        t.tv_sec.max(0) as u64,
        t.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

/// Wait status for an exit code.
pub fn exit_status(code: i32) -> i32 {
    (code & 0xff) << 8
}

/// Wait status for death by signal.
pub fn signal_status(sig: i32, core: bool) -> i32 {
    sig | if core { 0x80 } else { 0 }
}

impl TaskCtx {
    /// A new task structure (not yet registered in the kernel state).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        k: Arc<Kernel>,
        tid: Tid,
        tgid: Tid,
        ctx: Box<dyn Context>,
        regs: PtRegs,
        mm: Arc<Mm>,
        files: Arc<FdTable>,
        fs: Arc<Mutex<FsContext>>,
    ) -> TaskCtx {
        let handle = Arc::new(ThreadHandle {
            tid: AtomicI32::new(tid),
            waker: Arc::new(Waker::default()),
            in_app: AtomicBool::new(false),
            attention: AtomicBool::new(true),
            intr: Mutex::new(Some(ctx.interrupter())),
            cpu: Mutex::new(CpuSnap::default()),
        });
        let pidns = k.root_ns.pid_for_children.clone();
        TaskCtx {
            k,
            tid,
            tgid,
            handle,
            ctx,
            regs,
            mm,
            files,
            fs,
            clear_child_tid: 0,
            robust_list: 0,
            altstack: StackT {
                ss_flags: 2,
                ..Default::default()
            },
            saved_mask: None,
            exit: None,
            regs_replaced: false,
            vfork_done: None,
            pending_restart: None,
            app_time: Duration::ZERO,
            sys_time: Duration::ZERO,
            host_cpu_base: Duration::ZERO,
            affinity: u64::MAX,
            last_fault: None,
            io_buf: Vec::new(),
            cpu_refreshed: Instant::now(),
            pidns,
        }
    }

    /// Global ID `global` as this task sees it (0 if not visible from its namespace).
    pub fn vpid(&self, global: Tid) -> Tid {
        self.pidns.local(global)
    }

    /// The global ID of `local`, an ID in this task's PID namespace.
    pub fn gpid(&self, local: Tid) -> Option<Tid> {
        self.pidns.global(local)
    }

    /// The ThreadInfo to register for this task.
    pub fn thread_info(&self, mask: u64, comm: String) -> ThreadInfo {
        ThreadInfo {
            tid: self.tid,
            tgid: self.tgid,
            handle: self.handle.clone(),
            mask,
            pending: SigQueue::default(),
            comm,
            mm: self.mm.clone(),
            files: self.files.clone(),
            fs: self.fs.clone(),
            killed_by_exec: false,
            cpu_time: Duration::ZERO,
            start: Instant::now(),
            sched_policy: 0,
        }
    }

    /// Starts the host thread that runs this task.
    pub fn spawn(self) -> std::io::Result<()> {
        // Thread names are set by the thread itself: naming it from the spawner makes
        // glibc open /proc/self/task/TID/comm, which the Sentry's seccomp filter forbids.
        let k = self.k.clone();
        k.live_tasks.fetch_add(1, Ordering::SeqCst);
        let r = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || {
                if let Ok(name) = std::ffi::CString::new(format!("task-{}", self.tid)) {
                    let _ = rustix::thread::set_name(&name);
                }
                let k = self.k.clone();
                self.run();
                k.live_tasks.fetch_sub(1, Ordering::SeqCst);
            })
            .map(drop);
        if r.is_err() {
            k.live_tasks.fetch_sub(1, Ordering::SeqCst);
        }
        r
    }

    /// The task's loop: deliver signals, run application code, handle what comes back.
    pub fn run(mut self) {
        CURRENT.with(|c| c.set((self.tid, self.tgid)));
        self.host_cpu_base = host_thread_cpu();
        loop {
            if self.exit.is_none() && self.handle.attention.swap(false, Ordering::SeqCst) {
                self.check_signals();
            }
            if self.exit.is_some() {
                break;
            }
            if self.k.is_frozen() {
                // Paused: look at signals again now and then (SIGKILL ends the task).
                self.k.wait_thawed(Duration::from_millis(50));
                continue;
            }
            self.handle.in_app.store(true, Ordering::SeqCst);
            // Checked after in_app is set: `freeze` sets the flag, then looks at in_app.
            if self.handle.attention.load(Ordering::SeqCst) || self.k.is_frozen() {
                self.handle.in_app.store(false, Ordering::SeqCst);
                continue;
            }
            let t0 = Instant::now();
            self.handle
                .cpu
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .running_since = Some(t0);
            let r = self.ctx.switch(&self.mm.aspace, &mut self.regs);
            let t1 = Instant::now();
            self.app_time += t1 - t0;
            {
                let mut c = self.handle.cpu.lock().unwrap_or_else(|p| p.into_inner());
                c.utime = self.app_time;
                c.running_since = None;
            }
            self.handle.in_app.store(false, Ordering::SeqCst);
            match r {
                Ok(Exit::Syscall) => {
                    self.last_fault = None;
                    syscalls::dispatch(&mut self)
                }
                Ok(Exit::Fault { addr, info }) => {
                    self.sync_stack_limit();
                    let mut res = self.mm.handle_fault(addr);
                    if res == Err(crate::mm::FaultError::MaybeSpurious) {
                        if self.last_fault == Some((addr, self.regs.rip)) {
                            res = Err(crate::mm::FaultError::Access);
                        } else {
                            self.last_fault = Some((addr, self.regs.rip));
                            res = Ok(());
                        }
                    } else {
                        self.last_fault = None;
                    }
                    if let Err(e) = res {
                        tracing::debug!(
                            tid = self.tid,
                            addr = format!("{addr:#x}"),
                            rip = format!("{:#x}", self.regs.rip),
                            "fault: {e:?}"
                        );
                        let mut si = info;
                        match e {
                            crate::mm::FaultError::Bus => {
                                si.si_signo = SIGBUS;
                                si.si_code = 2; // BUS_ADRERR
                            }
                            crate::mm::FaultError::Unmapped => si.si_code = 1, // SEGV_MAPERR
                            crate::mm::FaultError::Access
                            | crate::mm::FaultError::MaybeSpurious => si.si_code = 2, // SEGV_ACCERR
                        }
                        let k = self.k.clone();
                        let mut st = k.lock();
                        self.force_signal(&mut st, si);
                    }
                }
                Ok(Exit::Signal(info)) => {
                    tracing::debug!(
                        tid = self.tid,
                        sig = info.si_signo,
                        code = info.si_code,
                        rip = format!("{:#x}", self.regs.rip),
                        "synchronous signal"
                    );
                    let k = self.k.clone();
                    let mut st = k.lock();
                    self.force_signal(&mut st, info);
                }
                Ok(Exit::Interrupted) => {}
                Err(e) => {
                    tracing::error!(tid = self.tid, "platform failure: {e}");
                    self.exit = Some(ExitKind::Group(signal_status(SIGKILL, false)));
                }
            }
            // Sentry time comes from the host thread's CPU clock, a real host syscall (the
            // vDSO does not serve it): refresh it every millisecond, not every syscall.
            // Readers of this task's own times call update_cpu() first.
            if t1.duration_since(self.cpu_refreshed) >= Duration::from_millis(1) {
                self.cpu_refreshed = t1;
                self.update_cpu();
            }
        }
        self.exit_task();
    }

    /// Refreshes `sys_time` from the host thread's CPU clock (time blocked in the Sentry
    /// is not CPU time) and publishes both times for other threads.
    pub fn update_cpu(&mut self) {
        self.sys_time = host_thread_cpu().saturating_sub(self.host_cpu_base);
        let mut c = self.handle.cpu.lock().unwrap_or_else(|p| p.into_inner());
        c.utime = self.app_time;
        c.stime = self.sys_time;
    }

    /// Delivers a synchronous signal: it cannot be blocked or ignored (the handler is
    /// reset to the default if it is).
    pub fn force_signal(&self, st: &mut KState, info: SigInfo) {
        let sig = info.si_signo;
        let blocked = st
            .threads
            .get(&self.tid)
            .is_some_and(|t| t.mask & bit(sig) != 0);
        if let Some(p) = st.procs.get_mut(&self.tgid) {
            if blocked || p.actions[sig as usize].handler == 1 {
                p.actions[sig as usize].handler = 0;
            }
        }
        if let Some(t) = st.threads.get_mut(&self.tid) {
            t.mask &= !bit(sig);
            t.pending.push(info);
        }
        self.handle.attention.store(true, Ordering::SeqCst);
    }

    /// Whether a signal is deliverable now or the task must stop running (EINTR checks).
    pub fn interrupted(&self) -> bool {
        let st = self.k.lock();
        self.interrupted_locked(&st)
    }

    pub fn interrupted_locked(&self, st: &KState) -> bool {
        let Some(t) = st.threads.get(&self.tid) else {
            return true;
        };
        if t.killed_by_exec {
            return true;
        }
        let Some(p) = st.procs.get(&self.tgid) else {
            return true;
        };
        if p.group_exit.is_some() || p.stopped {
            return true;
        }
        let pending = (t.pending.set() | p.shared_pending.set()) & !t.mask;
        pending != 0
    }

    /// Sleeps until `ready` returns Some, a signal arrives (Err(EINTR)), or `deadline`
    /// passes (Err(ETIMEDOUT)). `queues` are registered for wakeups.
    pub fn block_on<R>(
        &mut self,
        queues: &[Arc<WaitQueue>],
        deadline: Option<Instant>,
        mut ready: impl FnMut(&mut Self) -> Option<R>,
    ) -> Result<R, Errno> {
        let w = self.handle.waker.clone();
        for q in queues {
            q.register(&w);
        }
        let res = loop {
            if let Some(r) = ready(self) {
                break Ok(r);
            }
            if self.interrupted() {
                break Err(Errno::EINTR);
            }
            if !w.wait(deadline) && deadline.is_some_and(|d| Instant::now() >= d) {
                if let Some(r) = ready(self) {
                    break Ok(r);
                }
                break Err(Errno::ETIMEDOUT);
            }
        };
        for q in queues {
            q.unregister(&w);
        }
        res
    }

    /// Sleeps until `deadline` or a signal.
    pub fn sleep_until(&mut self, deadline: Instant) -> Result<(), Errno> {
        match self.block_on(&[], Some(deadline), |_| None::<()>) {
            Err(Errno::ETIMEDOUT) => Ok(()),
            Err(e) => Err(e),
            Ok(()) => Ok(()),
        }
    }

    /// The process's resource limit `res`.
    pub fn rlimit(&self, res: usize) -> Rlimit {
        let st = self.k.lock();
        st.procs
            .get(&self.tgid)
            .map(|p| p.rlimits[res])
            .unwrap_or_default()
    }

    /// Tells the address space the current RLIMIT_STACK (stack growth on faults).
    pub fn sync_stack_limit(&self) {
        let lim = self.rlimit(3).rlim_cur;
        self.mm
            .stack_limit
            .store(lim, std::sync::atomic::Ordering::Relaxed);
    }

    /// RLIMIT_FSIZE for writes to `f`: the limit, or u64::MAX when unlimited or when
    /// `f` is not a regular file (the limit only applies to those).
    pub fn fsize_limit(&self, f: &crate::vfs::OpenFile) -> u64 {
        let lim = self.rlimit(1).rlim_cur;
        if lim == u64::MAX {
            return lim;
        }
        match f.dentry.as_ref().map(|d| d.inode.attr()) {
            Some(Ok(a)) if a.file_type() == crate::vfs::S_IFREG => lim,
            _ => u64::MAX,
        }
    }

    /// How many of `len` bytes a write at `pos` may write under RLIMIT_FSIZE `limit`.
    /// A write starting at or past the limit raises SIGXFSZ and fails with EFBIG.
    pub fn fsize_allow(&self, limit: u64, pos: u64, len: usize) -> Result<usize, Errno> {
        if limit == u64::MAX || len == 0 {
            return Ok(len);
        }
        if pos >= limit {
            let mut st = self.k.lock();
            self.k
                .send_to_thread(&mut st, self.tid, SigInfo::user(SIGXFSZ, SI_KERNEL, 0, 0));
            return Err(Errno::EFBIG);
        }
        Ok(len.min((limit - pos).min(usize::MAX as u64) as usize))
    }

    /// The mount table of the task's process.
    pub fn vfs(&self) -> Arc<Vfs> {
        self.k.ns_of(self.tgid).mnt
    }

    /// The IPC namespace of the task's process.
    pub fn ipc_ns(&self) -> Arc<super::ipc::IpcNs> {
        self.k.ns_of(self.tgid).ipc
    }

    /// Whether the task's effective capability set holds `cap`.
    pub fn capable(&self, cap: u32) -> bool {
        self.creds().has_cap(cap)
    }

    pub fn creds(&self) -> Creds {
        let st = self.k.lock();
        st.procs
            .get(&self.tgid)
            .map(|p| p.creds.clone())
            .unwrap_or_default()
    }

    /// Creates a new task (thread or process).
    pub fn do_clone(&mut self, a: CloneArgs) -> SysResult {
        let f = a.flags;
        if f & CLONE_THREAD != 0 && f & CLONE_SIGHAND == 0 {
            return Err(Errno::EINVAL);
        }
        if f & CLONE_SIGHAND != 0 && f & CLONE_VM == 0 {
            return Err(Errno::EINVAL);
        }
        if f & UNSUPPORTED_NS != 0 {
            return Err(Errno::EINVAL);
        }
        // A new user namespace comes first: the other new namespaces belong to it, and
        // the child has all capabilities in it.
        let mut child_creds = self.creds();
        if f & CLONE_NEWUSER != 0 {
            if f & (CLONE_THREAD | CLONE_PARENT | CLONE_FS) != 0 {
                return Err(Errno::EINVAL);
            }
            let ns = super::userns::UserNs::new_child(&child_creds)?;
            child_creds.enter_userns(ns);
        }
        if f & (CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWPID) != 0 {
            // Namespaces are per process here: a thread cannot have its own. A new mount
            // namespace with a shared file-system context is refused as on Linux.
            if f & CLONE_THREAD != 0 || (f & CLONE_NEWNS != 0 && f & CLONE_FS != 0) {
                return Err(Errno::EINVAL);
            }
            if f & CLONE_NEWIPC != 0 && f & CLONE_SYSVSEM != 0 {
                return Err(Errno::EINVAL);
            }
            if !child_creds.has_cap(caps::CAP_SYS_ADMIN) {
                return Err(Errno::EPERM);
            }
        }
        let k = self.k.clone();
        let ctx = k.platform.new_context().map_err(|_| Errno::ENOMEM)?;
        let mm = if f & CLONE_VM != 0 {
            self.mm.clone()
        } else {
            let space = k.platform.new_address_space().map_err(|_| Errno::ENOMEM)?;
            Mm::arc(self.mm.fork(space))
        };
        let files = if f & CLONE_FILES != 0 {
            self.files.clone()
        } else {
            Arc::new(self.files.fork_copy())
        };
        let fs = if f & CLONE_FS != 0 {
            self.fs.clone()
        } else {
            Arc::new(Mutex::new(
                self.fs.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            ))
        };
        let mut regs = self.regs;
        regs.rax = 0;
        if a.stack != 0 {
            regs.rsp = a.stack;
        }
        if f & CLONE_SETTLS != 0 {
            regs.fs_base = a.tls;
        }
        // The PID namespace of the new task: a thread's is its process's; a process
        // goes to the caller's namespace for children, or a new one below it.
        let (for_children, own_pidns) = {
            let st = k.lock();
            let p = st.procs.get(&self.tgid).ok_or(Errno::ESRCH)?;
            (p.ns.pid_for_children.clone(), p.pidns.clone())
        };
        let child_pidns = if f & CLONE_THREAD != 0 {
            // Linux refuses threads once the process's children go to another namespace.
            if !Arc::ptr_eq(&for_children, &own_pidns) {
                return Err(Errno::EINVAL);
            }
            own_pidns
        } else if f & CLONE_NEWPID != 0 {
            super::pidns::PidNs::new_child(&for_children, child_creds.userns.clone())?
        } else {
            for_children
        };
        let mut st = k.lock();
        let Some(parent_proc) = st.procs.get(&self.tgid) else {
            return Err(Errno::ESRCH);
        };
        if parent_proc.group_exit.is_some() {
            return Err(Errno::EINTR);
        }
        let threads_total = st.threads.len();
        if threads_total >= 32_768 {
            return Err(Errno::EAGAIN);
        }
        if f & CLONE_THREAD == 0 {
            let uid = parent_proc.creds.ruid;
            let limit = parent_proc.rlimits[6].rlim_cur;
            let count = st
                .procs
                .values()
                .filter(|p| p.creds.ruid == uid && p.state == ProcState::Running)
                .count() as u64;
            if count >= limit {
                return Err(Errno::EAGAIN);
            }
        }
        let tid = st.alloc_tid();
        child_pidns.assign(tid)?;
        let tgid = if f & CLONE_THREAD != 0 {
            self.tgid
        } else {
            tid
        };
        drop(st);
        let mut child = TaskCtx::new(k.clone(), tid, tgid, ctx, regs, mm, files, fs);
        child.pidns = child_pidns.clone();
        if let Ok(fp) = self.ctx.fpregs() {
            let _ = child.ctx.set_fpregs(&fp);
        }
        if f & CLONE_CHILD_CLEARTID != 0 {
            child.clear_child_tid = a.child_tid;
        }
        if f & CLONE_VM != 0 && f & CLONE_VFORK == 0 {
            // A thread keeps its own alternate stack only if it has none: Linux clears it.
            child.altstack = StackT {
                ss_flags: 2,
                ..Default::default()
            };
        } else {
            child.altstack = self.altstack;
        }
        // The parent sees the child's ID in its own namespace, the child its own.
        let parent_view = self.vpid(tid);
        if f & CLONE_PARENT_SETTID != 0 && self.mm.write_obj(a.parent_tid, &parent_view).is_err() {
            k.lock().release_id(tid, &child_pidns);
            return Err(Errno::EFAULT);
        }
        if f & CLONE_CHILD_SETTID != 0 {
            let own = child.vpid(tid);
            if child.mm.write_obj(a.child_tid, &own).is_err() {
                k.lock().release_id(tid, &child_pidns);
                return Err(Errno::EFAULT);
            }
        }
        let vfork = if f & CLONE_VFORK != 0 {
            let v = Arc::new(VforkDone::default());
            child.vfork_done = Some(v.clone());
            Some(v)
        } else {
            None
        };
        let mut st = k.lock();
        let (mask, comm, policy) = st
            .threads
            .get(&self.tid)
            .map(|t| (t.mask, t.comm.clone(), t.sched_policy))
            .unwrap_or_default();
        let mut info = child.thread_info(mask, comm);
        // SCHED_RESET_ON_FORK: the child gets SCHED_OTHER and no reset flag.
        info.sched_policy = if policy & SCHED_RESET_ON_FORK != 0 {
            0
        } else {
            policy
        };
        if f & CLONE_THREAD != 0 {
            if let Some(p) = st.procs.get_mut(&self.tgid) {
                p.threads.push(tid);
            }
        } else {
            let Some(pp) = st.procs.get(&self.tgid) else {
                return Err(Errno::ESRCH);
            };
            let parent = if f & CLONE_PARENT != 0 {
                pp.parent
            } else {
                self.tgid
            };
            let proc = ProcessInfo {
                tgid,
                parent,
                children: BTreeSet::new(),
                threads: vec![tid],
                pgid: pp.pgid,
                sid: pp.sid,
                actions: pp.actions,
                shared_pending: SigQueue::default(),
                exit_signal: a.exit_signal,
                state: ProcState::Running,
                group_exit: None,
                stopped: false,
                stop_sig: 0,
                stop_report: false,
                cont_report: false,
                rlimits: pp.rlimits,
                creds: child_creds.clone(),
                child_wq: WaitQueue::new(),
                usage: Usage::default(),
                child_usage: Usage::default(),
                start: Instant::now(),
                subreaper: false,
                pdeathsig: 0,
                parent_thread: if f & CLONE_PARENT != 0 { 0 } else { self.tid },
                oom_score_adj: pp.oom_score_adj,
                no_new_privs: pp.no_new_privs,
                dumpable: pp.dumpable,
                cmdline: pp.cmdline.clone(),
                exited_threads_time: Duration::ZERO,
                nice: pp.nice,
                did_exec: false,
                ns: {
                    let mut ns = pp.ns.copy_for(f, &child_creds.userns);
                    ns.pid_for_children = child_pidns.clone();
                    ns
                },
                pidns: child_pidns.clone(),
            };
            st.procs.insert(tgid, proc);
            if let Some(par) = st.procs.get_mut(&parent) {
                par.children.insert(tgid);
            }
        }
        st.threads.insert(tid, info);
        drop(st);
        if child.spawn().is_err() {
            let mut st = k.lock();
            st.threads.remove(&tid);
            if f & CLONE_THREAD != 0 {
                if let Some(p) = st.procs.get_mut(&self.tgid) {
                    p.threads.retain(|&t| t != tid);
                }
            } else {
                st.procs.remove(&tgid);
                if let Some(p) = st.procs.get_mut(&self.tgid) {
                    p.children.remove(&tgid);
                }
            }
            st.release_id(tid, &child_pidns);
            return Err(Errno::EAGAIN);
        }
        if let Some(v) = vfork {
            let mut d = v.done.lock().unwrap_or_else(|p| p.into_inner());
            while !*d {
                d =
                    v.cv.wait_timeout(d, Duration::from_millis(50))
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                if self
                    .k
                    .lock()
                    .procs
                    .get(&self.tgid)
                    .is_some_and(|p| p.group_exit.is_some())
                {
                    break;
                }
            }
        }
        Ok(parent_view as u64)
    }

    /// Writes 0 to clear_child_tid and wakes a futex waiter there; walks the robust list.
    fn release_user_state(&mut self) {
        if self.robust_list != 0 {
            super::futex::exit_robust_list(self);
        }
        if self.clear_child_tid != 0 {
            let addr = self.clear_child_tid;
            self.clear_child_tid = 0;
            if self.mm.write_obj(addr, &0u32).is_ok() {
                let _ = self.k.futexes.wake(&self.mm, addr, false, 1, u32::MAX);
            }
        }
    }

    /// Leaves: thread exit, and process exit if this is the last thread.
    fn exit_task(mut self) {
        let kind = self.exit.unwrap_or(ExitKind::Group(0));
        self.release_user_state();
        self.update_cpu();
        if let Some(v) = self.vfork_done.take() {
            v.complete();
        }
        let k = self.k.clone();
        let mut st = k.lock();
        let killed_by_exec = st.threads.get(&self.tid).is_some_and(|t| t.killed_by_exec);
        st.threads.remove(&self.tid);
        if self.tid != self.tgid {
            st.release_id(self.tid, &self.pidns);
        }
        let cpu = self.app_time + self.sys_time;
        let mut last = false;
        let mut status = match kind {
            ExitKind::Thread(code) => exit_status(code),
            ExitKind::Group(s) => s,
        };
        if let Some(p) = st.procs.get_mut(&self.tgid) {
            p.threads.retain(|&t| t != self.tid);
            p.usage.utime += self.app_time;
            p.usage.stime += self.sys_time;
            p.exited_threads_time += cpu;
            if let ExitKind::Group(s) = kind {
                if p.group_exit.is_none() {
                    p.group_exit = Some(s);
                }
            }
            if let Some(g) = p.group_exit {
                status = g;
            }
            // Wake the other threads so they exit too.
            for t in p.threads.clone() {
                if let Some(ti) = st.threads.get(&t) {
                    if st
                        .procs
                        .get(&self.tgid)
                        .is_some_and(|p| p.group_exit.is_some())
                    {
                        ti.handle.kick();
                    } else {
                        // An exec waiting for us.
                        ti.handle.waker.notify();
                    }
                }
            }
            last = st
                .procs
                .get(&self.tgid)
                .is_some_and(|p| p.threads.is_empty())
                && !killed_by_exec;
            if !last {
                self.reparent_to_sibling(&mut st);
            }
        }
        if last {
            let rss = self.mm.rss_bytes() / 1024;
            if let Some(p) = st.procs.get_mut(&self.tgid) {
                p.usage.maxrss_kb = p.usage.maxrss_kb.max(rss);
            }
            // As Linux does, close the files (pipe ends, record locks) before the parent
            // can see the exit.
            drop(st);
            let files = std::mem::replace(&mut self.files, Arc::new(FdTable::default()));
            drop(files);
            // SEM_UNDO adjustments are applied when the process exits.
            k.ns_of(self.tgid).ipc.exit_process(self.tgid);
            st = k.lock();
            self.process_exit(&mut st, status);
        }
        drop(st);
        // Dropping the context ends the stub thread; dropping mm and files (if last)
        // kills the stub process and closes files.
        let TaskCtx {
            ctx, mm, files, fs, ..
        } = self;
        drop(ctx);
        drop(files);
        drop(fs);
        drop(mm);
    }

    /// A thread that is not the last one left: the children it forked now belong to
    /// another thread of the process, and get their parent-death signal (Linux's
    /// forget_original_parent finding a live thread of the group).
    fn reparent_to_sibling(&self, st: &mut KState) {
        let Some(p) = st.procs.get(&self.tgid) else {
            return;
        };
        if p.group_exit.is_some() {
            return;
        }
        let heir = p.threads.first().copied().unwrap_or(0);
        let children: Vec<Tid> = p.children.iter().copied().collect();
        for c in children {
            let mut pdeath = 0;
            if let Some(cp) = st.procs.get_mut(&c) {
                if cp.parent_thread == self.tid {
                    cp.parent_thread = heir;
                    if cp.state == ProcState::Running {
                        pdeath = cp.pdeathsig;
                    }
                }
            }
            if pdeath != 0 {
                self.k
                    .send_to_process(st, c, SigInfo::user(pdeath, SI_USER, 0, 0));
            }
        }
    }

    /// The last thread left: become a zombie, reparent children, tell the parent.
    fn process_exit(&self, st: &mut KState, status: i32) {
        let tgid = self.tgid;
        let Some(p) = st.procs.get_mut(&tgid) else {
            return;
        };
        p.state = ProcState::Zombie(status);
        self.k.timers.clear(tgid);
        let children: Vec<Tid> = p.children.iter().copied().collect();
        p.children.clear();
        let parent = p.parent;
        let exit_signal = p.exit_signal;
        let uid = p.creds.ruid;
        if p.sid == tgid {
            // A session leader's exit hangs up its controlling terminal's foreground group.
            if let Some(ttys) = self.k.ttys.get() {
                ttys.session_leader_exit(&self.k, st, tgid);
            }
            crate::fsimpl::hosttty::session_leader_exit(&self.k, st, tgid);
        }
        if tgid == 1 {
            self.k.init_exit(st, status);
            return;
        }
        // The init of a nested PID namespace takes the namespace with it: every other
        // process in it is killed and no new one may enter.
        let ns = self.pidns.clone();
        let ns_init = ns.init().unwrap_or(1);
        let reaper_init = if tgid == ns_init && !ns.is_root() {
            ns.set_dead();
            let doomed: Vec<Tid> = st
                .procs
                .values()
                .filter(|q| q.tgid != tgid && q.state == ProcState::Running && ns.sees(q.tgid))
                .map(|q| q.tgid)
                .collect();
            for d in doomed {
                self.k
                    .send_to_process(st, d, SigInfo::user(SIGKILL, SI_KERNEL, 0, 0));
            }
            // Its children go to the reaper of the namespace above.
            ns.parent.as_ref().and_then(|p| p.init()).unwrap_or(1)
        } else {
            ns_init
        };
        // Reparent children to the nearest subreaper or the namespace's init.
        let mut reaper = parent;
        loop {
            match st.procs.get(&reaper) {
                Some(r) if r.tgid == reaper_init => break,
                Some(r) if r.subreaper && r.state == ProcState::Running => break,
                Some(r) if r.tgid != 1 => reaper = r.parent,
                _ => {
                    reaper = if st.procs.contains_key(&reaper_init) {
                        reaper_init
                    } else {
                        1
                    };
                    break;
                }
            }
        }
        // A namespace's init reaps everything left in its namespace as it goes (Linux's
        // zap_pid_ns_processes): the children of a dying or dead init are reaped as they
        // exit, by nobody outside.
        let reaper_gone = st
            .procs
            .get(&reaper)
            .is_none_or(|r| r.state != ProcState::Running);
        if (tgid == ns_init && !ns.is_root()) || (reaper_gone && reaper != 1) {
            for c in &children {
                let zombie = st
                    .procs
                    .get(c)
                    .is_some_and(|cp| cp.state != ProcState::Running);
                if zombie {
                    if let Some(gone) = st.procs.remove(c) {
                        st.release_id(*c, &gone.pidns);
                    }
                } else if let Some(cp) = st.procs.get_mut(c) {
                    cp.parent = 0;
                }
            }
            reaper = 0;
        }
        for c in &children {
            let mut pdeath = 0;
            if let Some(cp) = st.procs.get_mut(c) {
                cp.parent = reaper;
                cp.parent_thread = 0;
                pdeath = cp.pdeathsig;
            }
            if pdeath != 0 {
                self.k
                    .send_to_process(st, *c, SigInfo::user(pdeath, SI_USER, 0, 0));
            }
        }
        if let Some(r) = st.procs.get_mut(&reaper) {
            r.children.extend(children.iter().copied());
            r.child_wq.notify_all();
        }
        // Process groups this exit orphans get SIGHUP and SIGCONT if they have stopped
        // members: our own (if we linked it to our parent's) and our children's.
        let (pgid, sid) = st
            .procs
            .get(&tgid)
            .map(|p| (p.pgid, p.sid))
            .unwrap_or((0, 0));
        let mut groups = Vec::new();
        if st
            .procs
            .get(&parent)
            .is_some_and(|pp| pp.pgid != pgid && pp.sid == sid)
        {
            groups.push(pgid);
        }
        for c in &children {
            if let Some(cp) = st.procs.get(c) {
                if cp.pgid != pgid && cp.sid == sid && !groups.contains(&cp.pgid) {
                    groups.push(cp.pgid);
                }
            }
        }
        for g in groups {
            self.k.hup_orphaned_stopped(st, g);
        }
        if let Some(slot) = st.external.get_mut(&tgid) {
            *slot = Some(status);
            self.k.notify_done();
        }
        let (code, st_val) = if status & 0x7f == 0 {
            (CLD_EXITED, (status >> 8) & 0xff)
        } else if status & 0x80 != 0 {
            (CLD_DUMPED, status & 0x7f)
        } else {
            (CLD_KILLED, status & 0x7f)
        };
        // Auto-reap if the parent ignores SIGCHLD or set SA_NOCLDWAIT; with
        // SA_NOCLDWAIT and a handler, SIGCHLD is still sent.
        let (autoreap, ignored) = match st.procs.get(&parent) {
            None => (true, true),
            Some(pp) => {
                let a = pp.actions[SIGCHLD as usize];
                (
                    exit_signal == SIGCHLD && (a.handler == 1 || a.flags & 2 != 0),
                    a.handler == 1,
                )
            }
        };
        // The parent sees the child's ID in its own namespace.
        let seen_pid = st
            .procs
            .get(&parent)
            .map(|pp| pp.pidns.local(tgid))
            .unwrap_or(tgid);
        if autoreap {
            if let Some(gone) = st.procs.remove(&tgid) {
                st.release_id(tgid, &gone.pidns);
            }
            if let Some(pp) = st.procs.get_mut(&parent) {
                pp.children.remove(&tgid);
                pp.child_wq.notify_all();
            }
            if !ignored {
                let mut si = SigInfo::user(SIGCHLD, code, seen_pid, uid);
                si.set_child(st_val, 0, 0);
                self.k.send_to_process(st, parent, si);
            }
            return;
        }
        if exit_signal > 0 {
            let mut si = SigInfo::user(exit_signal, code, seen_pid, uid);
            si.set_child(st_val, 0, 0);
            if let Some(pp) = st.procs.get(&parent) {
                pp.child_wq.notify_all();
                for t in &pp.threads {
                    if let Some(ti) = st.threads.get(t) {
                        ti.handle.waker.notify();
                    }
                }
            }
            self.k.send_to_process(st, parent, si);
        } else if let Some(pp) = st.procs.get(&parent) {
            pp.child_wq.notify_all();
        }
    }

    /// The FP state to restore into for a fresh image.
    pub fn reset_fp(&mut self) {
        let _ = self.ctx.set_fpregs(&FpRegs::default());
    }
}
