//! `process.terminal`: as runsc does, the runtime makes a HOST pty pair, sends the
//! master over `--console-socket` (SCM_RIGHTS with the name `/dev/ptmx`, as runc) and
//! gives the slave to the sandbox process as its stdin, stdout and stderr. The Sentry
//! wraps those as host fds and forwards terminal ioctls (TCGETS/TCSETS*, TIOCGWINSZ,
//! TIOCSWINSZ) to the host pty, so the application sees a terminal whose size follows
//! the console's.

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use std::os::unix::net::UnixStream;
use std::path::Path;

pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// Opens a pty pair (neither becomes our controlling terminal), of `size` (rows,
/// columns) if given.
pub fn open(size: Option<(u16, u16)>) -> Result<Pty, String> {
    let err = |what: &str, e: rustix::io::Errno| format!("terminal: {what}: {e}");
    let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)
        .map_err(|e| err("opening /dev/ptmx", e))?;
    rustix::io::fcntl_setfd(&master, rustix::io::FdFlags::CLOEXEC).map_err(|e| err("fcntl", e))?;
    rustix::pty::grantpt(&master).map_err(|e| err("grantpt", e))?;
    rustix::pty::unlockpt(&master).map_err(|e| err("unlockpt", e))?;
    let name = rustix::pty::ptsname(&master, Vec::new()).map_err(|e| err("ptsname", e))?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| err(&format!("opening {}", name.to_string_lossy()), e))?;
    if let Some((rows, cols)) = size {
        let ws = rustix::termios::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&slave, ws).map_err(|e| err("TIOCSWINSZ", e))?;
    }
    Ok(Pty { master, slave })
}

/// Connects to the console socket (early, so that a bad path fails before anything
/// is created).
pub fn connect(path: &Path) -> Result<UnixStream, String> {
    UnixStream::connect(path).map_err(|e| format!("--console-socket {}: {e}", path.display()))
}

/// Sends the pty master over the console socket, as runc's `utils.SendFile`.
pub fn send_master(sock: &UnixStream, master: &OwnedFd) -> Result<(), String> {
    use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    use std::mem::MaybeUninit;
    let fds = [master.as_fd()];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    if !anc.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err("--console-socket: control message too large".into());
    }
    sendmsg(
        sock,
        &[std::io::IoSlice::new(b"/dev/ptmx")],
        &mut anc,
        SendFlags::empty(),
    )
    .map_err(|e| format!("--console-socket: sending the terminal: {e}"))?;
    Ok(())
}
