//! The ptrace platform (DESIGN.md section 5).
//!
//! Every application address space is a *stub process* whose only own mapping is the stub
//! code page; the application's memory is the Sentry's memory file mapped into it. Every
//! application thread runs on a *stub thread* of that process, traced with PTRACE_SYSEMU by
//! the Sentry host thread that runs the task, both pinned to one CPU.
//!
//! Processes come from a *template* stub forked once at start-up: a new address space is a
//! `clone(CLONE_PARENT)` injected into the template. The first thread of a stub process (the
//! leader) only idles; a context that wants to run in the address space seizes the leader,
//! injects a `clone(CLONE_THREAD)` and seizes the new thread. So a context can move to any
//! address space on its own host thread (fork, exec) without help from other threads.

mod sys;

use crate::{Access, ArchRegs};
use crate::{AddressSpace, Context, Error, Exit, FileRange, Interrupter, Platform, Result};
use husk_abi::{FpRegs, PtRegs, SigInfo};
use std::any::Any;
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The file descriptor number of the memory file inside every stub.
const STUB_MEMFD: i32 = 3;
/// The signal the Sentry uses to interrupt a running stub thread.
const INTERRUPT_SIGNAL: i32 = libc::SIGUSR2;
/// The top of the host's user address space on x86-64 (4-level paging).
const HOST_TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// Candidate addresses for the stub page; the application may use everything below it.
const STUB_CANDIDATES: [u64; 4] = [
    0x7ff0_0000_0000,
    0x7fe0_0000_0000,
    0x7fd0_0000_0000,
    0x7f80_0000_0000,
];

const CLONE_THREAD_FLAGS: u64 = (libc::CLONE_VM
    | libc::CLONE_FS
    | libc::CLONE_FILES
    | libc::CLONE_SIGHAND
    | libc::CLONE_THREAD
    | libc::CLONE_SYSVSEM) as u64;

fn host(call: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |err| Error::Host { call, err }
}

/// The stub code page and the offsets of its entry points.
struct StubCode {
    bytes: Vec<u8>,
    /// `syscall; int3`: runs one injected system call and traps back.
    inject: u64,
    /// `syscall; test rax,rax; jz child; int3; child: prctl(PDEATHSIG, SIGKILL); idle`.
    clone: u64,
    /// `prctl(PR_SET_PDEATHSIG, SIGKILL)`, then the idle loop.
    child: u64,
    /// `loop { pause() }`.
    idle: u64,
}

fn stub_code() -> StubCode {
    let mut b: Vec<u8> = vec![0x0f, 0x05, 0xcc];
    let inject = 0;
    b.resize(0x10, 0xcc);
    let clone = b.len() as u64;
    b.extend([0x0f, 0x05, 0x48, 0x85, 0xc0, 0x74, 0x01, 0xcc]);
    let child = b.len() as u64;
    // prctl(PR_SET_PDEATHSIG, SIGKILL)
    b.extend([0xb8, libc::SYS_prctl as u8, 0, 0, 0]);
    b.extend([0xbf, libc::PR_SET_PDEATHSIG as u8, 0, 0, 0]);
    b.extend([0xbe, libc::SIGKILL as u8, 0, 0, 0]);
    b.extend([0x0f, 0x05]);
    let idle = b.len() as u64;
    b.extend([0xb8, libc::SYS_pause as u8, 0, 0, 0, 0x0f, 0x05]);
    let back = idle as i64 - (b.len() as i64 + 2);
    b.extend([0xeb, back as i8 as u8]);
    StubCode {
        bytes: b,
        inject,
        clone,
        child,
        idle,
    }
}

struct Shared {
    stub_addr: u64,
    code: StubCode,
    template: Mutex<i32>,
    cpus: Vec<usize>,
    next_cpu: AtomicUsize,
    sentry_pid: i32,
}

impl Shared {
    fn site(&self, off: u64) -> u64 {
        self.stub_addr + off
    }
}

/// What a wait on a stub thread returned.
enum Stop {
    Syscall,
    Signal(i32),
    Event,
    Gone,
}

fn decode(status: i32) -> Stop {
    if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
        return Stop::Gone;
    }
    let sig = libc::WSTOPSIG(status);
    if sig == (libc::SIGTRAP | 0x80) {
        Stop::Syscall
    } else if status >> 16 != 0 {
        Stop::Event
    } else {
        Stop::Signal(sig)
    }
}

/// A stub thread traced by the current host thread.
#[derive(Clone)]
struct Thread {
    pid: i32,
    tid: i32,
    base: PtRegs,
}

/// Seizes `tid` and stops it; returns its registers.
fn seize(tid: i32) -> Result<PtRegs> {
    let opts = (libc::PTRACE_O_TRACESYSGOOD | libc::PTRACE_O_EXITKILL) as u64;
    sys::ptrace(libc::PTRACE_SEIZE, tid, 0, opts).map_err(host("PTRACE_SEIZE"))?;
    sys::ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0).map_err(host("PTRACE_INTERRUPT"))?;
    loop {
        let status = sys::wait(tid).map_err(host("waitpid"))?;
        match decode(status) {
            Stop::Event => break,
            Stop::Gone => return Err(Error::StubDied(tid)),
            // A stray signal before the interrupt stop: suppress it and wait on.
            _ => {
                sys::ptrace(libc::PTRACE_CONT, tid, 0, 0).map_err(host("PTRACE_CONT"))?;
            }
        }
    }
    let mut regs = PtRegs::default();
    sys::getregs(tid, &mut regs).map_err(host("PTRACE_GETREGS"))?;
    Ok(regs)
}

/// Runs one system call in stopped stub thread `tid` at `site` and returns its result.
/// An interrupt signal that arrives meanwhile is recorded in `intr`.
fn inject(
    tid: i32,
    base: &PtRegs,
    intr: Option<&PtraceInterrupter>,
    site: u64,
    nr: i64,
    args: [u64; 6],
) -> Result<i64> {
    let mut r = *base;
    r.rax = nr as u64;
    r.orig_rax = u64::MAX;
    r.rdi = args[0];
    r.rsi = args[1];
    r.rdx = args[2];
    r.r10 = args[3];
    r.r8 = args[4];
    r.r9 = args[5];
    r.rip = site;
    r.eflags &= !0x100;
    sys::setregs(tid, &r).map_err(host("PTRACE_SETREGS"))?;
    sys::ptrace(libc::PTRACE_CONT, tid, 0, 0).map_err(host("PTRACE_CONT"))?;
    loop {
        let status = sys::wait(tid).map_err(host("waitpid"))?;
        match decode(status) {
            Stop::Signal(libc::SIGTRAP) => break,
            Stop::Gone => return Err(Error::StubDied(tid)),
            Stop::Signal(sig) => {
                if std::env::var_os("HUSK_DEBUG_PLATFORM").is_some() {
                    let mut rr = PtRegs::default();
                    let _ = sys::getregs(tid, &mut rr);
                    let si = sys::getsiginfo(tid).unwrap_or_default();
                    eprintln!(
                        "inject: sig {sig} code {} addr {:#x} rip {:#x} rsp {:#x} nr {nr}",
                        si.si_code,
                        si.addr(),
                        rr.rip,
                        rr.rsp
                    );
                }
                if sig == INTERRUPT_SIGNAL {
                    if let Some(i) = intr {
                        i.pending.store(true, Ordering::SeqCst);
                    }
                }
                sys::ptrace(libc::PTRACE_CONT, tid, 0, 0).map_err(host("PTRACE_CONT"))?;
            }
            _ => {
                sys::ptrace(libc::PTRACE_CONT, tid, 0, 0).map_err(host("PTRACE_CONT"))?;
            }
        }
    }
    let mut out = PtRegs::default();
    sys::getregs(tid, &mut out).map_err(host("PTRACE_GETREGS"))?;
    Ok(out.rax as i64)
}

/// Puts stopped leader `pid` back into its idle loop and detaches from it.
fn release_leader(shared: &Shared, pid: i32, base: &PtRegs) -> Result<()> {
    let mut r = *base;
    // Through the prctl: a leader seized right after its clone may not have run it yet,
    // and without the parent-death signal it would outlive a killed Sentry.
    r.rip = shared.site(shared.code.child);
    r.orig_rax = u64::MAX;
    sys::setregs(pid, &r).map_err(host("PTRACE_SETREGS"))?;
    sys::ptrace(libc::PTRACE_DETACH, pid, 0, 0).map_err(host("PTRACE_DETACH"))?;
    Ok(())
}

/// The ptrace platform.
pub struct PtracePlatform {
    shared: Arc<Shared>,
}

impl PtracePlatform {
    /// Maps the stub page, forks the template stub and empties its address space. Call it
    /// from the Sentry's main thread, which must live as long as the sandbox (stubs die
    /// with it).
    pub fn new(memfd: i32) -> Result<Self> {
        let code = stub_code();
        let stub_addr = STUB_CANDIDATES
            .iter()
            .copied()
            .find(|&a| sys::map_stub_page(a, &code.bytes))
            .ok_or_else(|| Error::Other("no free address for the stub page".into()))?;
        let idle = stub_addr + code.idle;
        let pid = sys::fork_template(memfd, STUB_MEMFD, idle).map_err(host("fork"))?;
        let shared = Shared {
            stub_addr,
            code,
            template: Mutex::new(pid),
            cpus: sys::allowed_cpus(),
            next_cpu: AtomicUsize::new(0),
            sentry_pid: sys::getpid(),
        };
        let base = seize(pid).inspect_err(|_| sys::kill(pid, libc::SIGKILL))?;
        let site = shared.site(shared.code.inject);
        let empty = || -> Result<()> {
            // The fork inherited glibc's rseq registration, whose area is about to be
            // unmapped: unregister it, or the kernel kills the stub on its next return.
            if let Some(area) = sys::rseq_area() {
                let r = inject(
                    pid,
                    &base,
                    None,
                    site,
                    libc::SYS_rseq,
                    [area, 32, 1, sys::RSEQ_SIG as u64, 0, 0],
                )?;
                if r != 0 {
                    inject(
                        pid,
                        &base,
                        None,
                        site,
                        libc::SYS_rseq,
                        [area, sys::rseq_size(), 1, sys::RSEQ_SIG as u64, 0, 0],
                    )?;
                }
            }
            for (start, end) in [(0, stub_addr), (stub_addr + 4096, HOST_TASK_SIZE)] {
                let r = inject(
                    pid,
                    &base,
                    None,
                    site,
                    libc::SYS_munmap,
                    [start, end - start, 0, 0, 0, 0],
                )?;
                if r != 0 {
                    return Err(Error::Other(format!("stub munmap failed: {r}")));
                }
            }
            release_leader(&shared, pid, &base)
        };
        if let Err(e) = empty() {
            sys::kill(pid, libc::SIGKILL);
            let _ = sys::wait(pid);
            return Err(e);
        }
        Ok(PtracePlatform {
            shared: Arc::new(shared),
        })
    }
}

impl PtracePlatform {
    fn kill_template(&self) {
        if let Ok(mut pid) = self.shared.template.lock() {
            if *pid > 0 {
                sys::kill(*pid, libc::SIGKILL);
                let _ = sys::wait(*pid);
                *pid = 0;
            }
        }
    }
}

impl Drop for PtracePlatform {
    fn drop(&mut self) {
        self.kill_template();
    }
}

impl Platform for PtracePlatform {
    fn name(&self) -> &'static str {
        "ptrace"
    }

    fn max_user_address(&self) -> u64 {
        self.shared.stub_addr
    }

    fn shutdown(&self) {
        self.kill_template();
    }

    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>> {
        let sh = &self.shared;
        let template = sh
            .template
            .lock()
            .map_err(|_| Error::Other("template lock".into()))?;
        if *template <= 0 {
            return Err(Error::Other("the platform was shut down".into()));
        }
        // Talk to the template on this CPU: same-CPU ptrace stops are an order of
        // magnitude cheaper than cross-CPU ones. The new process inherits the affinity.
        if let Some(cpu) = sys::current_cpu() {
            let _ = sys::pin(*template, cpu);
        }
        let base = seize(*template)?;
        let res = inject(
            *template,
            &base,
            None,
            sh.site(sh.code.clone),
            libc::SYS_clone,
            [libc::CLONE_PARENT as u64, 0, 0, 0, 0, 0],
        );
        release_leader(sh, *template, &base)?;
        let pid = res?;
        if pid <= 0 {
            return Err(Error::Host {
                call: "clone (stub)",
                err: std::io::Error::from_raw_os_error(-pid as i32),
            });
        }
        Ok(Arc::new(StubProcess {
            pid: pid as i32,
            leader: Mutex::new(()),
            pending_unmaps: Mutex::new(Vec::new()),
            has_pending: AtomicBool::new(false),
        }))
    }

    fn new_context(&self) -> Result<Box<dyn Context>> {
        Ok(Box::new(PtraceContext {
            shared: self.shared.clone(),
            bound: None,
            intr: Arc::new(PtraceInterrupter {
                pid: AtomicI32::new(0),
                tid: AtomicI32::new(0),
                pending: AtomicBool::new(false),
            }),
            pending_fp: None,
            cpu: None,
        }))
    }
}

/// An address space: one stub process.
pub struct StubProcess {
    pid: i32,
    /// Held while a host thread has the idle leader seized.
    leader: Mutex<()>,
    /// Unmaps asked for by host threads that drive no thread of this process.
    pending_unmaps: Mutex<Vec<(u64, u64)>>,
    has_pending: AtomicBool,
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        sys::kill(self.pid, libc::SIGKILL);
        let _ = sys::wait(self.pid);
    }
}

/// The stub thread this host thread drives, for address-space operations.
struct Bound {
    thread: Thread,
    intr: Arc<PtraceInterrupter>,
    site: u64,
}

thread_local! {
    static BOUND: RefCell<Option<Bound>> = const { RefCell::new(None) };
}

fn with_bound<T>(pid: i32, f: impl FnOnce(&Bound) -> T) -> Option<T> {
    BOUND.with(|b| b.borrow().as_ref().filter(|b| b.thread.pid == pid).map(f))
}

impl AddressSpace for StubProcess {
    fn map_file(&self, addr: u64, file: FileRange, access: Access) -> Result<()> {
        let args = [
            addr,
            file.len,
            access.prot(),
            (libc::MAP_SHARED | libc::MAP_FIXED) as u64,
            STUB_MEMFD as u64,
            file.offset,
        ];
        let r = with_bound(self.pid, |b| {
            inject(
                b.thread.tid,
                &b.thread.base,
                Some(&b.intr),
                b.site,
                libc::SYS_mmap,
                args,
            )
        })
        .ok_or(Error::NotBound)??;
        if r as u64 != addr {
            return Err(Error::Other(format!("stub mmap at {addr:#x} failed: {r}")));
        }
        Ok(())
    }

    fn unmap(&self, addr: u64, len: u64) {
        let done = with_bound(self.pid, |b| {
            inject(
                b.thread.tid,
                &b.thread.base,
                Some(&b.intr),
                b.site,
                libc::SYS_munmap,
                [addr, len, 0, 0, 0, 0],
            )
            .is_ok()
        });
        if done != Some(true) {
            if let Ok(mut p) = self.pending_unmaps.lock() {
                p.push((addr, len));
                self.has_pending.store(true, Ordering::SeqCst);
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Interrupts a context by signalling its stub thread.
pub struct PtraceInterrupter {
    pid: AtomicI32,
    tid: AtomicI32,
    pending: AtomicBool,
}

impl Interrupter for PtraceInterrupter {
    fn interrupt(&self) {
        self.pending.store(true, Ordering::SeqCst);
        let tid = self.tid.load(Ordering::SeqCst);
        if tid > 0 {
            let _ = sys::tgkill(self.pid.load(Ordering::SeqCst), tid, INTERRUPT_SIGNAL);
        }
    }
}

/// A context: the stub thread (if any) this host thread drives.
pub struct PtraceContext {
    shared: Arc<Shared>,
    bound: Option<(Arc<dyn AddressSpace>, Thread)>,
    intr: Arc<PtraceInterrupter>,
    pending_fp: Option<FpRegs>,
    cpu: Option<usize>,
}

impl PtraceContext {
    /// Ends the bound stub thread, if any.
    fn release(&mut self) {
        if let Some((_space, t)) = self.bound.take() {
            BOUND.with(|b| *b.borrow_mut() = None);
            self.intr.tid.store(0, Ordering::SeqCst);
            let site = self.shared.site(self.shared.code.inject);
            let mut r = t.base;
            r.rax = libc::SYS_exit as u64;
            r.orig_rax = u64::MAX;
            r.rdi = 0;
            r.rip = site;
            if sys::setregs(t.tid, &r).is_ok()
                && sys::ptrace(libc::PTRACE_CONT, t.tid, 0, 0).is_ok()
            {
                while let Ok(status) = sys::wait(t.tid) {
                    if matches!(decode(status), Stop::Gone) {
                        break;
                    }
                    if sys::ptrace(libc::PTRACE_CONT, t.tid, 0, 0).is_err() {
                        break;
                    }
                }
            }
        }
    }

    /// Binds this context to a new stub thread of `space`.
    fn bind(&mut self, space: &Arc<dyn AddressSpace>) -> Result<()> {
        self.release();
        let proc = space
            .as_any()
            .downcast_ref::<StubProcess>()
            .ok_or_else(|| Error::Other("address space of another platform".into()))?;
        let sh = &self.shared;
        let cpu = *self.cpu.get_or_insert_with(|| {
            let n = sh.next_cpu.fetch_add(1, Ordering::Relaxed);
            sh.cpus[n % sh.cpus.len()]
        });
        // Pin this thread and the leader first, so the set-up stops are same-CPU ones;
        // the new stub thread inherits the leader's affinity.
        let _ = sys::pin(0, cpu);
        let _ = sys::pin(proc.pid, cpu);
        let thread = {
            let _g = proc
                .leader
                .lock()
                .map_err(|_| Error::Other("leader lock".into()))?;
            let base = seize(proc.pid)?;
            let res = inject(
                proc.pid,
                &base,
                None,
                sh.site(sh.code.clone),
                libc::SYS_clone,
                [CLONE_THREAD_FLAGS, 0, 0, 0, 0, 0],
            );
            release_leader(sh, proc.pid, &base)?;
            let tid = res?;
            if tid <= 0 {
                return Err(Error::Host {
                    call: "clone (stub thread)",
                    err: std::io::Error::from_raw_os_error(-tid as i32),
                });
            }
            let tid = tid as i32;
            let base = seize(tid)?;
            Thread {
                pid: proc.pid,
                tid,
                base,
            }
        };
        let _ = sys::pin(thread.tid, cpu);
        if let Some(fp) = self.pending_fp.take() {
            sys::setfpregs(thread.tid, &fp).map_err(host("PTRACE_SETFPREGS"))?;
        }
        self.intr.pid.store(thread.pid, Ordering::SeqCst);
        self.intr.tid.store(thread.tid, Ordering::SeqCst);
        BOUND.with(|b| {
            *b.borrow_mut() = Some(Bound {
                thread: thread.clone(),
                intr: self.intr.clone(),
                site: sh.site(sh.code.inject),
            })
        });
        self.bound = Some((space.clone(), thread));
        Ok(())
    }

    fn apply_pending(&self, proc: &StubProcess, t: &Thread) -> Result<()> {
        if !proc.has_pending.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let ops: Vec<(u64, u64)> = match proc.pending_unmaps.lock() {
            Ok(mut p) => std::mem::take(&mut *p),
            Err(_) => return Ok(()),
        };
        let site = self.shared.site(self.shared.code.inject);
        for (addr, len) in ops {
            inject(
                t.tid,
                &t.base,
                Some(&self.intr),
                site,
                libc::SYS_munmap,
                [addr, len, 0, 0, 0, 0],
            )?;
        }
        Ok(())
    }
}

impl Drop for PtraceContext {
    fn drop(&mut self) {
        self.release();
    }
}

impl Context for PtraceContext {
    fn switch(&mut self, space: &Arc<dyn AddressSpace>, regs: &mut ArchRegs) -> Result<Exit> {
        let same = matches!(&self.bound, Some((s, _)) if Arc::ptr_eq(s, space));
        if !same {
            self.bind(space)?;
        }
        let t = match &self.bound {
            Some((_, t)) => t.clone(),
            None => return Err(Error::NotBound),
        };
        if let Some(proc) = space.as_any().downcast_ref::<StubProcess>() {
            self.apply_pending(proc, &t)?;
        }
        if self.intr.pending.swap(false, Ordering::SeqCst) {
            return Ok(Exit::Interrupted);
        }
        sys::setregs(t.tid, regs).map_err(host("PTRACE_SETREGS"))?;
        sys::ptrace(libc::PTRACE_SYSEMU, t.tid, 0, 0).map_err(host("PTRACE_SYSEMU"))?;
        loop {
            let status = sys::wait(t.tid).map_err(host("waitpid"))?;
            tracing::trace!(tid = t.tid, status = format!("{status:#x}"), "stub stop");
            let exit = match decode(status) {
                Stop::Syscall => Exit::Syscall,
                Stop::Gone => return Err(Error::StubDied(t.tid)),
                Stop::Event => Exit::Interrupted,
                Stop::Signal(sig) => {
                    let info: SigInfo =
                        sys::getsiginfo(t.tid).map_err(host("PTRACE_GETSIGINFO"))?;
                    let from_kernel = info.si_code > 0;
                    match sig {
                        INTERRUPT_SIGNAL if info.pid() == self.shared.sentry_pid => {
                            self.intr.pending.store(false, Ordering::SeqCst);
                            Exit::Interrupted
                        }
                        libc::SIGSEGV if from_kernel && info.si_code < 0x80 => Exit::Fault {
                            addr: info.addr(),
                            info,
                        },
                        libc::SIGSEGV
                        | libc::SIGBUS
                        | libc::SIGFPE
                        | libc::SIGILL
                        | libc::SIGTRAP
                            if from_kernel =>
                        {
                            Exit::Signal(info)
                        }
                        _ => {
                            // A host signal not meant for the application: drop it.
                            sys::ptrace(libc::PTRACE_SYSEMU, t.tid, 0, 0)
                                .map_err(host("PTRACE_SYSEMU"))?;
                            continue;
                        }
                    }
                }
            };
            sys::getregs(t.tid, regs).map_err(host("PTRACE_GETREGS"))?;
            return Ok(exit);
        }
    }

    fn interrupter(&self) -> Arc<dyn Interrupter> {
        self.intr.clone()
    }

    fn fpregs(&mut self) -> Result<FpRegs> {
        match &self.bound {
            Some((_, t)) => {
                let mut fp = FpRegs::default();
                sys::getfpregs(t.tid, &mut fp).map_err(host("PTRACE_GETFPREGS"))?;
                Ok(fp)
            }
            None => Ok(self.pending_fp.unwrap_or_default()),
        }
    }

    fn set_fpregs(&mut self, fp: &FpRegs) -> Result<()> {
        match &self.bound {
            Some((_, t)) => sys::setfpregs(t.tid, fp).map_err(host("PTRACE_SETFPREGS")),
            None => {
                self.pending_fp = Some(*fp);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stub_code_entry_points() {
        let c = stub_code();
        assert_eq!(
            &c.bytes[c.inject as usize..c.inject as usize + 3],
            &[0x0f, 0x05, 0xcc]
        );
        assert_eq!(
            &c.bytes[c.clone as usize..c.clone as usize + 2],
            &[0x0f, 0x05]
        );
        // The child path (where released leaders resume) sets the parent-death signal.
        assert_eq!(c.bytes[c.child as usize], 0xb8);
        assert_eq!(c.bytes[c.child as usize + 1], libc::SYS_prctl as u8);
        assert!(c.child > c.clone && c.child < c.idle);
        // The idle loop jumps back to its own start.
        let end = c.bytes.len();
        let rel = c.bytes[end - 1] as i8 as i64;
        assert_eq!(end as i64 + rel, c.idle as i64);
    }
}
