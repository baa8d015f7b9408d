//! Thin wrappers over the host system calls the ptrace platform makes. The only `unsafe`
//! of the platform lives here.

use husk_abi::{FpRegs, PtRegs, SigInfo};
use std::io;

fn check(r: i64) -> io::Result<i64> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// `ptrace(2)` with integer arguments.
pub fn ptrace(req: libc::c_uint, tid: i32, addr: u64, data: u64) -> io::Result<i64> {
    // SAFETY: the requests used with this wrapper take integer addr/data arguments
    // (SEIZE, INTERRUPT, CONT, SYSEMU, DETACH); no memory is passed.
    check(unsafe {
        libc::ptrace(
            req,
            tid,
            addr as *mut libc::c_void,
            data as *mut libc::c_void,
        )
    })
}

pub fn getregs(tid: i32, regs: &mut PtRegs) -> io::Result<()> {
    // SAFETY: PtRegs has the layout of `struct user_regs_struct` and is valid for writes.
    check(unsafe { libc::ptrace(libc::PTRACE_GETREGS, tid, 0usize, regs as *mut PtRegs) }).map(drop)
}

pub fn setregs(tid: i32, regs: &PtRegs) -> io::Result<()> {
    // SAFETY: PtRegs has the layout of `struct user_regs_struct`; the kernel only reads it.
    check(unsafe { libc::ptrace(libc::PTRACE_SETREGS, tid, 0usize, regs as *const PtRegs) })
        .map(drop)
}

pub fn getfpregs(tid: i32, fp: &mut FpRegs) -> io::Result<()> {
    // SAFETY: FpRegs is the 512-byte `struct user_fpregs_struct`, valid for writes.
    check(unsafe { libc::ptrace(libc::PTRACE_GETFPREGS, tid, 0usize, fp as *mut FpRegs) }).map(drop)
}

pub fn setfpregs(tid: i32, fp: &FpRegs) -> io::Result<()> {
    // SAFETY: FpRegs is the 512-byte `struct user_fpregs_struct`; the kernel only reads it.
    check(unsafe { libc::ptrace(libc::PTRACE_SETFPREGS, tid, 0usize, fp as *const FpRegs) })
        .map(drop)
}

pub fn getsiginfo(tid: i32) -> io::Result<SigInfo> {
    let mut si = SigInfo::default();
    // SAFETY: SigInfo is the 128-byte `siginfo_t`, valid for writes.
    check(unsafe {
        libc::ptrace(
            libc::PTRACE_GETSIGINFO,
            tid,
            0usize,
            &mut si as *mut SigInfo,
        )
    })?;
    Ok(si)
}

/// `waitpid(tid, __WALL)`, retried on EINTR. Returns the raw status.
pub fn wait(tid: i32) -> io::Result<i32> {
    loop {
        let mut status = 0;
        // SAFETY: `status` is a valid out-pointer.
        let r = unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
        if r >= 0 {
            return Ok(status);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
}

pub fn tgkill(pid: i32, tid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: plain integer syscall.
    check(unsafe { libc::syscall(libc::SYS_tgkill, pid, tid, sig) }).map(drop)
}

pub fn kill(pid: i32, sig: i32) {
    // SAFETY: plain integer syscall; failure (already dead) is fine.
    unsafe { libc::kill(pid, sig) };
}

pub fn getpid() -> i32 {
    // SAFETY: getpid cannot fail.
    unsafe { libc::getpid() }
}

/// Pins thread `tid` (0: the caller) to `cpu`.
pub fn pin(tid: i32, cpu: usize) -> io::Result<()> {
    // SAFETY: cpu_set_t is plain data; zeroed is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET only writes a bit of `set`; `cpu` is below CPU_SETSIZE.
    unsafe { libc::CPU_SET(cpu % libc::CPU_SETSIZE as usize, &mut set) };
    // SAFETY: `set` is a valid cpu_set_t of the size passed.
    let r = unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    check(r as i64).map(drop)
}

/// The CPU the calling thread runs on.
pub fn current_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu has no arguments.
    let c = unsafe { libc::sched_getcpu() };
    (c >= 0).then_some(c as usize)
}

/// CPUs the calling thread may run on.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: cpu_set_t is plain data; zeroed is a valid empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid out-buffer of the size passed.
    let r = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if r < 0 {
        return vec![0];
    }
    let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
        // SAFETY: `set` was filled by the kernel; CPU_ISSET only reads it.
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
        .collect();
    if cpus.is_empty() {
        vec![0]
    } else {
        cpus
    }
}

/// Maps the stub code page at exactly `addr` (read+exec, private). Returns false if the
/// address is taken.
pub fn map_stub_page(addr: u64, code: &[u8]) -> bool {
    // SAFETY: MAP_FIXED_NOREPLACE never replaces an existing mapping; we own the result.
    let p = unsafe {
        libc::mmap(
            addr as *mut libc::c_void,
            4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED_NOREPLACE,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return false;
    }
    if p as u64 != addr {
        // SAFETY: an old kernel placed it elsewhere; unmap what we got.
        unsafe { libc::munmap(p, 4096) };
        return false;
    }
    // SAFETY: the page is ours, writable and 4096 bytes long; code.len() <= 4096.
    unsafe {
        std::ptr::copy_nonoverlapping(code.as_ptr(), p as *mut u8, code.len().min(4096));
        libc::mprotect(p, 4096, libc::PROT_READ | libc::PROT_EXEC);
    }
    true
}

extern "C" {
    /// glibc (2.35+): offset of the thread's `struct rseq` from the thread pointer.
    static __rseq_offset: isize;
    /// glibc (2.35+): size of the registered `struct rseq` (0 if not registered).
    static __rseq_size: u32;
}

/// The rseq signature glibc registers with on x86-64.
pub const RSEQ_SIG: u32 = 0x5305_3053;

/// The size glibc reports for its rseq area.
pub fn rseq_size() -> u64 {
    // SAFETY: reading glibc's exported constant.
    unsafe { __rseq_size as u64 }
}

/// The calling thread's rseq area as glibc registered it: (address, size), if any.
pub fn rseq_area() -> Option<u64> {
    // SAFETY: reading glibc's exported constants and the thread pointer.
    unsafe {
        if __rseq_size == 0 {
            return None;
        }
        Some((libc::pthread_self() as usize).wrapping_add(__rseq_offset as usize) as u64)
    }
}

/// Forks the template stub: the child keeps only the memory file (as fd `stub_memfd`),
/// leaves the caller's session, ignores every signal, dies with its parent and idles in
/// the stub page at `idle`. Returns the child's pid once the child is idle (the tracer
/// must not interrupt it before its setup is done).
pub fn fork_template(memfd: i32, stub_memfd: i32, idle: u64) -> io::Result<i32> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a valid out-array of two ints.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(io::Error::last_os_error());
    }
    let (ready_r, ready_w) = (fds[0], fds[1]);
    // SAFETY: the child runs only async-signal-safe raw system calls and then jumps into
    // the stub page, which was mapped before the fork.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        let err = io::Error::last_os_error();
        // SAFETY: closing our own pipe.
        unsafe {
            libc::close(ready_r);
            libc::close(ready_w);
        }
        return Err(err);
    }
    if pid > 0 {
        let mut b = [0u8; 1];
        // SAFETY: closing our write end, then reading one byte into `b`.
        let n = unsafe {
            libc::close(ready_w);
            let n = loop {
                let n = libc::read(ready_r, b.as_mut_ptr() as *mut libc::c_void, 1);
                if n >= 0 || *libc::__errno_location() != libc::EINTR {
                    break n;
                }
            };
            libc::close(ready_r);
            n
        };
        if n != 1 {
            kill(pid, libc::SIGKILL);
            let _ = wait(pid);
            return Err(io::Error::other("the stub template failed to start"));
        }
        return Ok(pid);
    }
    // SAFETY: raw system calls on integers; the stub page at `idle` holds code that loops
    // on pause(2) and never returns.
    unsafe {
        libc::setsid();
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        for sig in 1..65 {
            if sig != libc::SIGKILL && sig != libc::SIGSTOP {
                libc::signal(sig, libc::SIG_IGN);
            }
        }
        let w = libc::fcntl(ready_w, libc::F_DUPFD, 1000);
        if memfd != stub_memfd {
            libc::dup2(memfd, stub_memfd);
        }
        libc::syscall(
            libc::SYS_close_range,
            (stub_memfd + 1) as libc::c_uint,
            999 as libc::c_uint,
            0 as libc::c_uint,
        );
        libc::syscall(
            libc::SYS_close_range,
            1001 as libc::c_uint,
            u32::MAX as libc::c_uint,
            0 as libc::c_uint,
        );
        for fd in 0..stub_memfd {
            libc::close(fd);
        }
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        let one = 1u8;
        libc::write(w, &one as *const u8 as *const libc::c_void, 1);
        libc::close(w);
        let entry: extern "C" fn() -> ! = std::mem::transmute(idle as usize);
        entry()
    }
}
