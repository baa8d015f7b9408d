//! Job control for host terminals: a terminal the sandbox was given from the host (the
//! console of `husk run -t`, podman's `-t`, the caller's terminal under `husk do`, an
//! `exec -t` pty) is read and written through the host, but its session and foreground
//! process group are the sandbox's own, kept here, as gVisor's host TTY does. A process
//! started from the host with such a terminal as stdin gets it as its controlling
//! terminal (runc's setsid + TIOCSCTTY); then TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY,
//! TIOCNOTTY, background reads (SIGTTIN) and termios changes (SIGTTOU) behave as on
//! Linux, and the signals the host's line discipline generates for it (^C, ^\, ^Z, a
//! resize), which reach the Sentry, go to its foreground group
//! ([`crate::kernel::Kernel::terminal_signal`]).

use crate::fsimpl::devpts::{
    background_check, caller_in, foreground_group, kernel_sig, session_alive,
};
use crate::kernel::{KState, Kernel, ProcState, Tid};
use crate::vfs::{IoctlResult, Vfs};
use husk_abi::Errno;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::fsimpl::devpts::{
    TCSETS, TCSETSF, TIOCGPGRP, TIOCGSID, TIOCNOTTY, TIOCSCTTY, TIOCSPGRP, TOSTOP,
};
use crate::kernel::sigqueue::{SIGCONT, SIGHUP, SIGTTIN, SIGTTOU};

#[derive(Default)]
struct JobState {
    /// The session whose controlling terminal this is.
    session: Option<Tid>,
    /// Its foreground process group.
    pgrp: Option<Tid>,
    /// Processes of the session that gave the terminal up (TIOCNOTTY, not the leader).
    detached: BTreeSet<Tid>,
    /// After a hangup: the session that had the terminal and its foreground group,
    /// which gets SIGHUP when the session leader exits (Linux's tty_old_pgrp).
    hung_up: Option<(Tid, Tid)>,
}

/// One host terminal (all the sandbox's fds on it share this).
pub struct HostTty {
    /// The terminal on the host: its device number and its device file's inode (two
    /// devpts instances reuse device numbers).
    id: (u64, u64, u64),
    /// A dup of one of its fds: what /dev/tty opens.
    fd: OwnedFd,
    kernel: Weak<Kernel>,
    st: Mutex<JobState>,
    /// Its number in the sandbox's devpts (/dev/pts/N), and that node's inode number.
    index: std::sync::OnceLock<u32>,
    /// The mount namespace whose processes see it in /dev/pts.
    mnt: Weak<Vfs>,
    /// The uid owning /dev/pts/N.
    owner: AtomicU32,
    /// The terminal's TOSTOP flag: background writes get SIGTTOU.
    tostop: AtomicBool,
}

/// The job-control state of the host terminal `fd` is on (shared by every fd on the
/// same terminal); None if it is not a terminal.
/// `mnt` is the mount namespace of the process it is given to: only that namespace's
/// processes see the terminal in /dev/pts (a pod's containers share the sandbox's
/// devpts, and one must not open another's console).
pub fn for_fd(k: &Arc<Kernel>, fd: BorrowedFd<'_>, mnt: &Arc<Vfs>) -> Option<Arc<HostTty>> {
    if !rustix::termios::isatty(fd) {
        return None;
    }
    let st = rustix::fs::fstat(fd).ok()?;
    let id = (st.st_rdev, st.st_dev, st.st_ino);
    let mut all = lock(&k.host_ttys);
    all.retain(|w| w.strong_count() > 0);
    if let Some(t) = all.iter().filter_map(Weak::upgrade).find(|t| t.id == id) {
        return Some(t);
    }
    let dup = rustix::io::fcntl_dupfd_cloexec(fd, 10).ok()?;
    let t = Arc::new(HostTty {
        id,
        fd: dup,
        kernel: Arc::downgrade(k),
        st: Mutex::new(JobState::default()),
        index: std::sync::OnceLock::new(),
        mnt: Arc::downgrade(mnt),
        owner: AtomicU32::new(0),
        tostop: AtomicBool::new(crate::host::terminal_lflag(fd).is_some_and(|l| l & TOSTOP != 0)),
    });
    // Listed in devpts before anyone else can find it (lock order: host_ttys, then
    // devpts' maps).
    if let Some(i) = k.ttys.get().and_then(|d| d.register_host(&t)) {
        let _ = t.index.set(i);
    }
    all.push(Arc::downgrade(&t));
    Some(t)
}

/// The host terminal that is the controlling terminal of process `tgid` of session
/// `sid` (for /dev/tty).
pub fn ctty_of(k: &Kernel, sid: Tid, tgid: Tid) -> Option<Arc<HostTty>> {
    let all: Vec<Arc<HostTty>> = lock(&k.host_ttys)
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    all.into_iter().find(|t| {
        let st = t.state();
        st.session == Some(sid) && !st.detached.contains(&tgid)
    })
}

/// Session leader `sid` exited (kernel lock held): a host terminal it controlled loses
/// its session and the foreground group gets SIGHUP, as from a pty's.
pub fn session_leader_exit(k: &Kernel, ks: &mut KState, sid: Tid) {
    let all: Vec<Arc<HostTty>> = lock(&k.host_ttys)
        .iter()
        .filter_map(Weak::upgrade)
        .collect();
    for t in all {
        let pgrp = {
            let mut st = t.state();
            if st.session == Some(sid) {
                st.session = None;
                st.detached.clear();
                st.pgrp.take()
            } else if st.hung_up.is_some_and(|(s, _)| s == sid) {
                st.hung_up.take().map(|(_, pg)| pg)
            } else {
                continue;
            }
        };
        if let Some(pg) = pgrp {
            k.send_to_pgrp(ks, pg, kernel_sig(SIGHUP));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl HostTty {
    fn state(&self) -> MutexGuard<'_, JobState> {
        lock(&self.st)
    }

    /// Its number N in the sandbox's /dev/pts.
    pub fn index(&self) -> Option<u32> {
        self.index.get().copied()
    }

    /// The inode number of /dev/pts/N (N + 3, as for the sandbox's own ptys).
    pub fn ino(&self) -> u64 {
        self.index().map_or(0, |i| u64::from(i) + 3)
    }

    /// Whether processes of mount namespace `mnt` see it in /dev/pts.
    pub fn visible_in(&self, mnt: &Arc<Vfs>) -> bool {
        std::ptr::eq(self.mnt.as_ptr(), Arc::as_ptr(mnt))
    }

    /// The owner of /dev/pts/N: the user of the process it was given to (runc chowns
    /// the console to the container's user).
    pub fn owner(&self) -> u32 {
        self.owner.load(Ordering::Relaxed)
    }

    /// Its foreground process group.
    pub fn foreground(&self) -> Option<Tid> {
        self.state().pgrp
    }

    /// An fd on the terminal, for a new open file (/dev/tty).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Makes this the controlling terminal of the new session `sid` (a process started
    /// from the host with the terminal as its stdin), with `sid` in the foreground,
    /// unless a live session already has it. Kernel lock held.
    pub fn attach(&self, ks: &KState, sid: Tid) {
        let mut st = self.state();
        if let Some(s) = st.session {
            if s != sid && session_alive(ks, s) {
                return;
            }
        }
        st.session = Some(sid);
        st.pgrp = Some(sid);
        st.detached.clear();
        if let Some(p) = ks.procs.get(&sid) {
            self.owner.store(p.creds.euid, Ordering::Relaxed);
        }
    }

    /// Job control for the calling task (see [`background_check`]).
    pub fn job_check(&self, sig: i32) -> Result<(), Errno> {
        let Some(k) = self.kernel.upgrade() else {
            return Ok(());
        };
        let (session, pgrp, detached) = {
            let st = self.state();
            (st.session, st.pgrp, st.detached.clone())
        };
        background_check(&k, session, pgrp, &detached, sig)
    }

    /// A background read: Ok, EIO or ERESTARTSYS (SIGTTIN sent).
    pub fn read_check(&self) -> Result<(), Errno> {
        self.job_check(SIGTTIN)
    }

    /// A background write with TOSTOP set: Ok or ERESTARTSYS (SIGTTOU sent).
    pub fn write_check(&self) -> Result<(), Errno> {
        if self.tostop.load(Ordering::Relaxed) {
            self.job_check(SIGTTOU)
        } else {
            Ok(())
        }
    }

    /// A termios the application set through ioctl `cmd` (TCSETS*) with `data`: its
    /// TOSTOP flag is kept (the host terminal has the rest).
    pub fn termios_set(&self, cmd: u32, data: &[u8]) {
        if (TCSETS..=TCSETSF).contains(&cmd) {
            if let Some(l) = data.get(12..16).and_then(|b| b.try_into().ok()) {
                self.tostop
                    .store(u32::from_le_bytes(l) & TOSTOP != 0, Ordering::Relaxed);
            }
        }
    }

    /// Signals its foreground process group with `sig` as the terminal would (^C, ^\,
    /// ^Z, a resize); false if it has none.
    pub fn signal_foreground(&self, sig: i32) -> bool {
        let Some(k) = self.kernel.upgrade() else {
            return false;
        };
        let Some(pg) = self.state().pgrp else {
            return false;
        };
        let mut ks = k.lock();
        k.send_to_pgrp(&mut ks, pg, kernel_sig(sig))
    }

    /// The host hung the terminal up (its master closed): the session loses it and
    /// its leader (the controlling process) gets SIGHUP and SIGCONT; the foreground
    /// group gets SIGHUP when the leader exits (Linux's __tty_hangup).
    pub fn hangup(&self) {
        let Some(k) = self.kernel.upgrade() else {
            return;
        };
        let mut ks = k.lock();
        let session = {
            let mut st = self.state();
            st.detached.clear();
            let (session, pgrp) = (st.session.take(), st.pgrp.take());
            st.hung_up = session.zip(pgrp);
            session
        };
        if let Some(sid) = session {
            if ks
                .procs
                .get(&sid)
                .is_some_and(|p| p.sid == sid && p.state == ProcState::Running)
            {
                k.send_to_process(&mut ks, sid, kernel_sig(SIGHUP));
                k.send_to_process(&mut ks, sid, kernel_sig(SIGCONT));
            }
        }
    }

    /// The job-control ioctls; None for those the host terminal answers (termios
    /// changes, after the background check).
    pub fn ioctl(&self, cmd: u32, arg: u64) -> Option<Result<IoctlResult, Errno>> {
        let int = |v: i32| IoctlResult::Out(v.to_le_bytes().to_vec());
        match cmd {
            TCSETS..=TCSETSF => self.job_check(SIGTTOU).err().map(Err),
            TIOCGPGRP | TIOCGSID => Some(self.get_ids(cmd == TIOCGSID).map(int)),
            TIOCSPGRP => Some(match self.job_check(SIGTTOU) {
                Err(Errno::EIO) => Err(Errno::ENOTTY),
                Err(e) => Err(e),
                Ok(()) => Ok(IoctlResult::NeedIn(4)),
            }),
            TIOCSCTTY => Some(self.set_ctty(arg == 1).map(IoctlResult::Value)),
            TIOCNOTTY => Some(self.notty().map(IoctlResult::Value)),
            _ => None,
        }
    }

    /// The second half of TIOCSPGRP; None for other ioctls.
    pub fn ioctl_in(&self, cmd: u32, data: &[u8]) -> Option<Result<u64, Errno>> {
        (cmd == TIOCSPGRP).then(|| self.set_pgrp(data))
    }

    /// TIOCGPGRP (the foreground group) or TIOCGSID, as the caller's PID namespace
    /// sees them; ENOTTY unless this is the caller's controlling terminal.
    fn get_ids(&self, sid: bool) -> Result<i32, Errno> {
        let k = self.kernel.upgrade().ok_or(Errno::ENOTTY)?;
        let ks = k.lock();
        let c = caller_in(&ks).ok_or(Errno::ENOTTY)?;
        let st = self.state();
        if st.session != Some(c.sid) || st.detached.contains(&c.tgid) {
            return Err(Errno::ENOTTY);
        }
        let id = if sid { st.session } else { st.pgrp }.unwrap_or(0);
        Ok(ks.procs.get(&c.tgid).map_or(id, |p| p.pidns.local(id)))
    }

    fn set_pgrp(&self, data: &[u8]) -> Result<u64, Errno> {
        let pg = i32::from_le_bytes(
            data.get(..4)
                .and_then(|b| b.try_into().ok())
                .ok_or(Errno::EFAULT)?,
        );
        let k = self.kernel.upgrade().ok_or(Errno::ENOTTY)?;
        let ks = k.lock();
        let c = caller_in(&ks).ok_or(Errno::ENOTTY)?;
        let mut st = self.state();
        if st.session != Some(c.sid) || st.detached.contains(&c.tgid) {
            return Err(Errno::ENOTTY);
        }
        st.pgrp = Some(foreground_group(&ks, &c, pg)?);
        Ok(0)
    }

    /// TIOCSCTTY: a session leader without a controlling terminal takes this one
    /// (from another session only with `steal` and CAP_SYS_ADMIN).
    fn set_ctty(&self, steal: bool) -> Result<u64, Errno> {
        let k = self.kernel.upgrade().ok_or(Errno::EPERM)?;
        let ks = k.lock();
        let c = caller_in(&ks).ok_or(Errno::EPERM)?;
        let mut st = self.state();
        if c.sid != c.tgid {
            return Err(Errno::EPERM);
        }
        if st.session == Some(c.sid) {
            return Ok(0);
        }
        let has_other = k.ttys.get().is_some_and(|d| d.has_ctty(c.sid, c.tgid))
            || lock(&k.host_ttys)
                .iter()
                .filter_map(Weak::upgrade)
                .any(|t| !std::ptr::eq(&*t, self) && t.state().session == Some(c.sid));
        if has_other {
            return Err(Errno::EPERM);
        }
        if let Some(s) = st.session {
            let admin = ks
                .procs
                .get(&c.tgid)
                .is_some_and(|p| p.creds.capable_init(crate::kernel::caps::CAP_SYS_ADMIN));
            if s != c.sid && session_alive(&ks, s) && !(steal && admin) {
                return Err(Errno::EPERM);
            }
        }
        st.session = Some(c.sid);
        st.pgrp = Some(c.pgid);
        st.detached.clear();
        Ok(0)
    }

    /// TIOCNOTTY: the session leader gives the terminal up (its foreground group gets
    /// SIGHUP and SIGCONT); another process of the session only detaches itself.
    fn notty(&self) -> Result<u64, Errno> {
        let k = self.kernel.upgrade().ok_or(Errno::ENOTTY)?;
        let mut ks = k.lock();
        let c = caller_in(&ks).ok_or(Errno::ENOTTY)?;
        let pgrp = {
            let mut st = self.state();
            if st.session != Some(c.sid) || st.detached.contains(&c.tgid) {
                return Err(Errno::ENOTTY);
            }
            if c.sid != c.tgid {
                st.detached.insert(c.tgid);
                return Ok(0);
            }
            st.session = None;
            st.detached.clear();
            st.pgrp.take()
        };
        if let Some(pg) = pgrp {
            k.send_to_pgrp(&mut ks, pg, kernel_sig(SIGHUP));
            k.send_to_pgrp(&mut ks, pg, kernel_sig(SIGCONT));
        }
        Ok(0)
    }
}
