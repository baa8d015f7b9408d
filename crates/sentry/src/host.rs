//! The Sentry's own host interfaces besides the memory file: randomness, and the host
//! file descriptors it was given (the caller's stdio), which it reads, writes and polls
//! on the application's behalf. The second module allowed to use `unsafe`.
#![allow(unsafe_code)]

use crate::fsimpl::hosttty::HostTty;
use crate::vfs::{FileOps, IoctlResult, POLLIN, POLLOUT};
use husk_abi::Errno;

/// Fills `buf` with random bytes from the host.
pub fn random(buf: &mut [u8]) {
    let mut done = 0;
    while done < buf.len() {
        match rustix::rand::getrandom(&mut buf[done..], rustix::rand::GetRandomFlags::empty()) {
            Ok(n) => done += n,
            Err(_) => break,
        }
    }
}

fn errno() -> Errno {
    Errno::from(std::io::Error::last_os_error())
}

/// A host fd the sandbox was given (stdio).
pub struct HostFd {
    pub fd: i32,
    pub is_tty: bool,
    /// The terminal's job control, when it is one (see [`HostFd::with_tty`]).
    tty: Option<std::sync::Arc<HostTty>>,
}

impl HostFd {
    /// Wraps (a dup of) host fd `fd`.
    pub fn new(fd: i32) -> Option<HostFd> {
        // Above stdio, but within the first 64 slots: growing a multi-threaded process's
        // fd table past them waits for an RCU grace period (about 20 ms here).
        // SAFETY: F_DUPFD_CLOEXEC on an integer fd; failure is reported.
        let d = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 10) };
        if d < 0 {
            return None;
        }
        // SAFETY: isatty on our own fd.
        let is_tty = unsafe { libc::isatty(d) } == 1;
        Some(HostFd {
            fd: d,
            is_tty,
            tty: None,
        })
    }

    /// Takes ownership of `fd` (e.g. one received over a socket).
    pub fn from_owned(fd: std::os::fd::OwnedFd) -> HostFd {
        use std::os::fd::IntoRawFd;
        let is_tty = rustix::termios::isatty(&fd);
        HostFd {
            fd: fd.into_raw_fd(),
            is_tty,
            tty: None,
        }
    }

    /// The fd, borrowed for as long as this wrapper lives.
    pub fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        // SAFETY: `self.fd` is open (it is ours) until `self` is dropped.
        unsafe { std::os::fd::BorrowedFd::borrow_raw(self.fd) }
    }

    /// Gives the fd its terminal's job control (when the fd is on a terminal).
    pub fn with_tty(mut self, tty: std::sync::Arc<HostTty>) -> HostFd {
        self.tty = Some(tty);
        self
    }

    /// The job control of the terminal this fd is on.
    pub fn tty(&self) -> Option<&std::sync::Arc<HostTty>> {
        self.tty.as_ref()
    }

    fn poll(&self, events: i16, timeout_ms: i32) -> i16 {
        let mut p = libc::pollfd {
            fd: self.fd,
            events,
            revents: 0,
        };
        // SAFETY: one valid pollfd.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if r <= 0 {
            0
        } else {
            p.revents
        }
    }
}

impl Drop for HostFd {
    fn drop(&mut self) {
        // SAFETY: closing our own dup.
        unsafe { libc::close(self.fd) };
    }
}

impl FileOps for HostFd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if let Some(t) = &self.tty {
            t.read_check()?;
        }
        if self.poll(libc::POLLIN, 10) == 0 {
            return Err(Errno::EAGAIN);
        }
        // SAFETY: buf is valid for writes of its length.
        let r = unsafe { libc::read(self.fd, buf.as_mut_ptr() as *mut libc::c_void, buf.len()) };
        if r < 0 {
            let e = errno();
            return Err(if e == Errno::EINTR { Errno::EAGAIN } else { e });
        }
        Ok(r as usize)
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        if let Some(t) = &self.tty {
            t.write_check()?;
        }
        if self.poll(libc::POLLOUT, 10) == 0 {
            return Err(Errno::EAGAIN);
        }
        // SAFETY: buf is valid for reads of its length.
        let r = unsafe { libc::write(self.fd, buf.as_ptr() as *const libc::c_void, buf.len()) };
        if r < 0 {
            let e = errno();
            return Err(if e == Errno::EINTR { Errno::EAGAIN } else { e });
        }
        Ok(r as usize)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        let r = self.poll(libc::POLLIN | libc::POLLOUT, 0);
        let mut out = 0;
        if r & libc::POLLIN != 0 {
            out |= POLLIN;
        }
        if r & libc::POLLOUT != 0 {
            out |= POLLOUT;
        }
        if r & libc::POLLHUP != 0 {
            out |= crate::vfs::POLLHUP;
        }
        out
    }

    fn polls_host(&self) -> bool {
        true
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<IoctlResult, Errno> {
        if let Some(r) = self.tty.as_ref().and_then(|t| t.ioctl(cmd, arg)) {
            return r;
        }
        match cmd {
            // TCGETS, TIOCGWINSZ, FIONREAD
            0x5401 | 0x5413 | 0x541b => {
                let mut buf = [0u8; 64];
                // SAFETY: these ioctls write at most 60 bytes into `buf`.
                let r = unsafe { libc::ioctl(self.fd, cmd as libc::c_ulong, buf.as_mut_ptr()) };
                if r < 0 {
                    return Err(errno());
                }
                let n = match cmd {
                    0x5401 => 36,
                    0x5413 => 8,
                    _ => 4,
                };
                Ok(IoctlResult::Out(buf[..n].to_vec()))
            }
            // TCSETS, TCSETSW, TCSETSF, TIOCSWINSZ
            0x5402..=0x5404 => Ok(IoctlResult::NeedIn(36)),
            0x5414 => Ok(IoctlResult::NeedIn(8)),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn ioctl_in(&self, cmd: u32, data: &[u8]) -> Result<u64, Errno> {
        if let Some(r) = self.tty.as_ref().and_then(|t| t.ioctl_in(cmd, data)) {
            return r;
        }
        let mut buf = [0u8; 64];
        let n = data.len().min(64);
        buf[..n].copy_from_slice(&data[..n]);
        // SAFETY: `buf` holds the termios/winsize the ioctl reads.
        let r = unsafe { libc::ioctl(self.fd, cmd as libc::c_ulong, buf.as_ptr()) };
        if r < 0 {
            return Err(errno());
        }
        if let Some(t) = &self.tty {
            t.termios_set(cmd, data);
        }
        Ok(0)
    }
}

/// The local modes (c_lflag) of host terminal `fd`, read with TCGETS (the request the
/// Sentry's seccomp policy allows; rustix's tcgetattr tries TCGETS2 first).
pub fn terminal_lflag(fd: std::os::fd::BorrowedFd<'_>) -> Option<u32> {
    use std::os::fd::AsRawFd;
    let mut buf = [0u8; 64];
    // SAFETY: TCGETS writes a 60-byte struct termios into `buf`.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TCGETS, buf.as_mut_ptr()) };
    if r < 0 {
        return None;
    }
    buf.get(12..16)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
}

/// A value from the Sentry's own auxiliary vector (AT_HWCAP, AT_HWCAP2), passed on to
/// applications so they see the host CPU's features.
pub fn host_auxval(kind: u64) -> u64 {
    // SAFETY: getauxval reads the process's auxiliary vector; it has no preconditions.
    unsafe { libc::getauxval(kind as libc::c_ulong) as u64 }
}
