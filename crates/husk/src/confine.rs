//! Confinement of the Sentry on the host.
//!
//! `husk do` splits in two while it is still single-threaded: the process the user
//! started stays behind as a small *waiter* (it forwards signals and returns the exit
//! status), and a child becomes the Sentry, as the first process (pid 1) of new PID,
//! mount, network, IPC and UTS namespaces (and a user namespace first when husk runs
//! without privileges). When the waiter dies the Sentry is killed (parent-death
//! signal), and when the Sentry dies the kernel kills everything in its PID namespace:
//! the stubs and the gofer.
//!
//! Before the sandbox starts, the Sentry pivots into an empty read-only root, sets
//! no_new_privs and drops every capability (bounding, ambient, effective, permitted and
//! inheritable sets); then [`crate::seccomp`] installs its allowlist.
#![allow(unsafe_code)]

use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::{ForkResult, Pid};
use std::path::Path;

/// Which side of the split this process is.
pub enum Role {
    /// The waiter: the Sentry ended; this is the exit code to return.
    Waiter(i32),
    /// The Sentry, in its namespaces.
    Sentry,
}

/// Whether the process has only one thread (fork is safe then). A thread that was
/// just joined can still be listed for a moment while the kernel finishes its exit, so
/// this waits up to a second for the count to drop.
fn single_threaded() -> bool {
    let count = || {
        std::fs::read_dir("/proc/self/task")
            .map(|d| d.count())
            .unwrap_or(0)
    };
    for _ in 0..1000 {
        if count() == 1 {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    false
}

/// Writes the id maps of a user namespace just created by this process: its own ids.
fn map_own_ids(uid: u32, gid: u32) -> Result<(), String> {
    let write =
        |file: &str, text: String| std::fs::write(file, text).map_err(|e| format!("{file}: {e}"));
    write("/proc/self/setgroups", "deny".into())?;
    write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
    write("/proc/self/gid_map", format!("{gid} {gid} 1"))
}

/// Splits into the waiter and the Sentry. `forwarded` are the signals the waiter passes
/// on when another process sends them (they must already be blocked); signals from the
/// terminal reach the Sentry directly, as it is in the same process group.
pub fn split(forwarded: &SigSet) -> Result<Role, String> {
    if !single_threaded() {
        return Err("cannot confine the Sentry: the process already has threads".into());
    }
    let uid = rustix::process::geteuid().as_raw();
    let gid = rustix::process::getegid().as_raw();
    match unshare(CloneFlags::CLONE_NEWPID) {
        Ok(()) => {}
        Err(nix::errno::Errno::EPERM) => {
            unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWPID)
                .map_err(|e| format!("unshare(user, pid namespaces): {e}"))?;
            map_own_ids(uid, gid)?;
        }
        Err(e) => return Err(format!("unshare(pid namespace): {e}")),
    }
    // The child learns whether the waiter died before its parent-death signal was set
    // up from this pipe (getppid is 0 across the PID namespace boundary).
    let (alive_r, alive_w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
        .map_err(|e| format!("pipe: {e}"))?;
    // SAFETY: the process is single-threaded (checked above), so the child may run
    // arbitrary code after fork.
    match unsafe { nix::unistd::fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Child => {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(|e| format!("prctl(PR_SET_PDEATHSIG): {e}"))?;
            drop(alive_w);
            // The waiter may have died before the line above: then nobody waits for us.
            let mut fds = [rustix::event::PollFd::new(
                &alive_r,
                rustix::event::PollFlags::IN,
            )];
            if rustix::event::poll(&mut fds, Some(&rustix::event::Timespec::default())).is_ok()
                && !fds[0].revents().is_empty()
            {
                std::process::exit(125);
            }
            drop(alive_r);
            unshare(
                CloneFlags::CLONE_NEWNS
                    | CloneFlags::CLONE_NEWNET
                    | CloneFlags::CLONE_NEWIPC
                    | CloneFlags::CLONE_NEWUTS,
            )
            .map_err(|e| format!("unshare(mount, net, ipc, uts namespaces): {e}"))?;
            mount(
                None::<&str>,
                "/",
                None::<&str>,
                MsFlags::MS_REC | MsFlags::MS_PRIVATE,
                None::<&str>,
            )
            .map_err(|e| format!("making / private: {e}"))?;
            Ok(Role::Sentry)
        }
        ForkResult::Parent { child } => {
            drop(alive_r);
            let code = wait_for_sentry(child, forwarded);
            drop(alive_w);
            Ok(Role::Waiter(code))
        }
    }
}

/// Where the waiter reports that a signal killed the Sentry (stderr if unset): `husk
/// boot` sends it to `husk create`, which prints it as its one error line.
pub static SENTRY_DEATH: std::sync::OnceLock<DeathReport> = std::sync::OnceLock::new();

/// A way to report the Sentry's death (see [`SENTRY_DEATH`]).
pub type DeathReport = Box<dyn Fn(&str) + Send + Sync>;

/// The waiter: forwards signals sent to it by other processes until the Sentry exits;
/// returns the Sentry's exit code (128+N if a signal N killed it). The waiter cannot
/// start threads (after unshare(CLONE_NEWPID) Linux refuses CLONE_THREAD), so one loop
/// waits for both the forwarded signals and SIGCHLD.
fn wait_for_sentry(sentry: Pid, forwarded: &SigSet) -> i32 {
    let mut set = *forwarded;
    set.add(Signal::SIGCHLD);
    if let Err(e) = set.thread_block() {
        eprintln!("husk: blocking SIGCHLD: {e}");
    }
    loop {
        // A SIGCHLD may have come (and been discarded) before it was blocked.
        match waitpid(sentry, Some(nix::sys::wait::WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => return code,
            Ok(WaitStatus::Signaled(_, sig, _)) => {
                let why = if sig == Signal::SIGSYS {
                    " (a host system call outside its seccomp policy)"
                } else {
                    ""
                };
                let msg = format!("the Sentry was killed by {sig}{why}");
                match SENTRY_DEATH.get() {
                    Some(report) => report(&msg),
                    None => eprintln!("husk: {msg}"),
                }
                return 128 + sig as i32;
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                eprintln!("husk: waiting for the Sentry: {e}");
                return 125;
            }
        }
        let mut info = std::mem::MaybeUninit::<libc::siginfo_t>::uninit();
        // SAFETY: sigwaitinfo writes a siginfo_t into `info`; the set is valid.
        let sig = unsafe { libc::sigwaitinfo(set.as_ref(), info.as_mut_ptr()) };
        if sig < 0 || sig == libc::SIGCHLD {
            continue;
        }
        // SAFETY: sigwaitinfo returned a signal, so it filled `info`.
        let code = unsafe { info.assume_init() }.si_code;
        // Terminal signals (SI_KERNEL) reach the Sentry directly, as it is in the same
        // process group; only pass on what a process sent.
        if code <= 0 {
            if let Ok(s) = Signal::try_from(sig) {
                let _ = nix::sys::signal::kill(sentry, s);
            }
        }
    }
}

/// Pivots the Sentry into an empty read-only root, sets no_new_privs and drops every
/// capability. Call it in the Sentry after everything that needs host paths (the gofer
/// is running, host information is read) and before the sandbox's threads start.
pub fn lock_down() -> Result<(), String> {
    // An empty tmpfs, mounted over /proc of this (private) mount namespace.
    let staging = Path::new("/proc");
    mount(
        Some("none"),
        staging,
        Some("tmpfs"),
        MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
        Some("size=4k,nr_inodes=1,mode=555"),
    )
    .map_err(|e| format!("mounting the empty root: {e}"))?;
    std::env::set_current_dir(staging).map_err(|e| format!("chdir: {e}"))?;
    nix::unistd::pivot_root(".", ".").map_err(|e| format!("pivot_root: {e}"))?;
    umount2(".", MntFlags::MNT_DETACH).map_err(|e| format!("detaching the host root: {e}"))?;
    std::env::set_current_dir("/").map_err(|e| format!("chdir /: {e}"))?;
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REMOUNT
            | MsFlags::MS_BIND
            | MsFlags::MS_RDONLY
            | MsFlags::MS_NOSUID
            | MsFlags::MS_NODEV
            | MsFlags::MS_NOEXEC,
        None::<&str>,
    )
    .map_err(|e| format!("making the root read-only: {e}"))?;
    rustix::thread::set_no_new_privs(true).map_err(|e| format!("no_new_privs: {e}"))?;
    drop_capabilities()
}

/// Empties every capability set of the calling thread (the Sentry is single-threaded
/// when this runs, and its later threads inherit the empty sets).
pub fn drop_capabilities() -> Result<(), String> {
    use rustix::thread::{CapabilitySet, CapabilitySets};
    for bit in 0..64 {
        let cap = CapabilitySet::from_bits_retain(1u64 << bit);
        match rustix::thread::remove_capability_from_bounding_set(cap) {
            // Capabilities this kernel does not know.
            Ok(()) | Err(rustix::io::Errno::INVAL) => {}
            Err(e) => {
                return Err(format!(
                    "dropping capability {bit} from the bounding set: {e}"
                ))
            }
        }
    }
    rustix::thread::clear_ambient_capability_set()
        .map_err(|e| format!("clearing the ambient capabilities: {e}"))?;
    rustix::thread::set_capabilities(
        None,
        CapabilitySets {
            effective: CapabilitySet::empty(),
            permitted: CapabilitySet::empty(),
            inheritable: CapabilitySet::empty(),
        },
    )
    .map_err(|e| format!("dropping capabilities: {e}"))
}

/// Test hook (`HUSK_TEST_FORBIDDEN_SYSCALL=1`): the Sentry makes a host system call its
/// seccomp policy does not list (syslog's harmless SYSLOG_ACTION_SIZE_BUFFER), which
/// must kill it.
pub fn forbidden_syscall_hook() {
    if std::env::var_os("HUSK_TEST_FORBIDDEN_SYSCALL").is_some_and(|v| v == "1") {
        // SAFETY: syslog(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0) reads nothing from memory.
        let r = unsafe { libc::syscall(libc::SYS_syslog, 10, std::ptr::null_mut::<u8>(), 0) };
        eprintln!("husk: test hook: syslog returned {r}: the seccomp policy did not stop it");
    }
}
