//! Framing: a 4-byte little-endian length, then a postcard message; a donated fd rides
//! on the length bytes as SCM_RIGHTS.

use crate::{Request, Response};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::net::{
    recvmsg, sendmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, SendAncillaryBuffer,
    SendAncillaryMessage, SendFlags,
};
use std::io::{self, IoSlice, IoSliceMut};
use std::mem::MaybeUninit;
use std::sync::Mutex;

fn to_io(e: rustix::io::Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

/// Sends one message with an optional fd.
pub(crate) fn send(
    sock: BorrowedFd<'_>,
    payload: &[u8],
    fd: Option<BorrowedFd<'_>>,
) -> io::Result<()> {
    let len = (payload.len() as u32).to_le_bytes();
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    let fds;
    if let Some(fd) = fd {
        fds = [fd];
        anc.push(SendAncillaryMessage::ScmRights(&fds));
    }
    let mut sent =
        sendmsg(sock, &[IoSlice::new(&len)], &mut anc, SendFlags::NOSIGNAL).map_err(to_io)?;
    while sent < 4 {
        sent += rustix::io::write(sock, &len[sent..]).map_err(to_io)?;
    }
    let mut off = 0;
    while off < payload.len() {
        off += rustix::net::send(sock, &payload[off..], SendFlags::NOSIGNAL).map_err(to_io)?;
    }
    Ok(())
}

/// Receives one message and the fd that came with it. `Ok(None)` at end of stream.
pub(crate) fn recv(sock: BorrowedFd<'_>) -> io::Result<Option<(Vec<u8>, Option<OwnedFd>)>> {
    let mut len = [0u8; 4];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(2))];
    let mut anc = RecvAncillaryBuffer::new(&mut space);
    let mut got = 0;
    let mut fd = None;
    while got < 4 {
        let r = recvmsg(
            sock,
            &mut [IoSliceMut::new(&mut len[got..])],
            &mut anc,
            RecvFlags::CMSG_CLOEXEC,
        )
        .map_err(to_io)?;
        for msg in anc.drain() {
            if let RecvAncillaryMessage::ScmRights(fds) = msg {
                for f in fds {
                    fd.get_or_insert(f);
                }
            }
        }
        if r.bytes == 0 {
            return if got == 0 {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        got += r.bytes;
    }
    let n = u32::from_le_bytes(len) as usize;
    if n > 64 << 20 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "gofer message too large",
        ));
    }
    let mut payload = vec![0u8; n];
    let mut off = 0;
    while off < n {
        let r = rustix::io::read(sock, &mut payload[off..]).map_err(to_io)?;
        if r == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        off += r;
    }
    Ok(Some((payload, fd)))
}

/// The Sentry's side of the gofer connection.
pub struct Client {
    sock: Mutex<OwnedFd>,
    /// Write ends of the pipes handed out by [`Client::watch`]: closed with the client.
    watchers: Mutex<Vec<OwnedFd>>,
}

impl Client {
    pub fn new(sock: OwnedFd) -> Client {
        Client {
            sock: Mutex::new(sock),
            watchers: Mutex::new(Vec::new()),
        }
    }

    /// Fds to watch the connection with, without taking part in calls: another fd on
    /// the socket (a hang-up there: the gofer went away) and the read end of a pipe
    /// whose write end this client holds (a hang-up there: the client was dropped, so
    /// the gofer's end is expected; the watcher should close its fds and stop).
    pub fn watch(&self) -> io::Result<(OwnedFd, OwnedFd)> {
        let sock = self
            .sock
            .lock()
            .map_err(|_| io::Error::other("gofer lock poisoned"))?
            .try_clone()?;
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        self.watchers
            .lock()
            .map_err(|_| io::Error::other("gofer lock poisoned"))?
            .push(w);
        Ok((sock, r))
    }

    /// Sends `req` and waits for the answer (and donated fd).
    pub fn call(&self, req: &Request) -> io::Result<(Response, Option<OwnedFd>)> {
        let bytes = postcard::to_allocvec(req)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        let sock = self
            .sock
            .lock()
            .map_err(|_| io::Error::other("gofer lock poisoned"))?;
        send(sock.as_fd(), &bytes, None)?;
        let (payload, fd) =
            recv(sock.as_fd())?.ok_or_else(|| io::Error::other("the gofer went away"))?;
        let resp = postcard::from_bytes(&payload)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok((resp, fd))
    }
}
