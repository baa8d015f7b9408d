//! Sockets inside the Sentry. Only the Unix domain exists today (`unix`); inet sockets
//! over the netstack and netlink come later as more families behind the same file type.
//!
//! A socket is an open file whose `FileOps` is a `SocketFile`; the socket system calls
//! (syscalls/socket.rs) find it with `SocketFile::of`.

pub mod unix;

use crate::vfs::{FileOps, IoctlResult, OpenFile, POLLERR, POLLHUP, POLLIN};
use crate::waiter::WaitQueue;
use husk_abi::Errno;
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

pub use unix::{Namespace, UnixAddr, UnixSocket};

/// Address families.
pub const AF_UNSPEC: u16 = 0;
pub const AF_UNIX: u16 = 1;

/// Socket types.
pub const SOCK_STREAM: i32 = 1;
pub const SOCK_DGRAM: i32 = 2;
pub const SOCK_RAW: i32 = 3;
pub const SOCK_SEQPACKET: i32 = 5;

/// `struct ucred`.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
pub struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

impl Ucred {
    /// What SO_PEERCRED reports for a socket without a peer.
    pub const NONE: Ucred = Ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };
}

/// Socket inode numbers, as `socket:[N]` shows them.
static NEXT_INO: AtomicU64 = AtomicU64::new(1000);

pub fn next_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

/// The file operations of a socket.
pub struct SocketFile {
    pub sock: Arc<UnixSocket>,
}

impl SocketFile {
    /// A new open file for `sock` with status flags `flags` (O_NONBLOCK).
    pub fn open(sock: Arc<UnixSocket>, flags: u32) -> Arc<OpenFile> {
        let name = format!("socket:[{}]", sock.ino);
        OpenFile::new_anon(
            Arc::new(SocketFile { sock }),
            crate::vfs::O_RDWR | flags,
            name,
        )
    }

    /// The socket behind an open file (ENOTSOCK for other files).
    pub fn of(f: &OpenFile) -> Result<Arc<UnixSocket>, Errno> {
        f.ops
            .as_any()
            .and_then(|a| a.downcast_ref::<SocketFile>())
            .map(|s| s.sock.clone())
            .ok_or(Errno::ENOTSOCK)
    }
}

impl FileOps for SocketFile {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        let r = self.sock.try_recv(buf.len(), false)?;
        buf[..r.data.len()].copy_from_slice(&r.data);
        Ok(r.data.len())
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        // write(2) carries no credentials of its own; the socket's owner ones were
        // recorded when it was created or connected.
        self.sock
            .try_send(buf, self.sock.owner_cred(), &mut Vec::new(), None)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn sigpipe_on_epipe(&self) -> bool {
        self.sock.stype == SOCK_STREAM
    }

    fn readiness(&self) -> u32 {
        self.sock.readiness()
    }

    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.sock.wq.clone())
    }

    fn ioctl(&self, cmd: u32, _arg: u64) -> Result<IoctlResult, Errno> {
        match cmd {
            // FIONREAD (SIOCINQ), TIOCOUTQ (SIOCOUTQ)
            0x541b => Ok(IoctlResult::Out(
                (self.sock.inq()? as i32).to_le_bytes().to_vec(),
            )),
            0x5411 => Ok(IoctlResult::Out(
                (self.sock.outq()? as i32).to_le_bytes().to_vec(),
            )),
            // SIOCATMARK
            0x8905 => Ok(IoctlResult::Out(
                i32::from(self.sock.at_mark()?).to_le_bytes().to_vec(),
            )),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

/// Readiness bits a blocked receiver waits for.
pub const RECV_READY: u32 = POLLIN | POLLHUP | POLLERR;
