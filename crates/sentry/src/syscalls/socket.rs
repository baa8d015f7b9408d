//! Socket system calls. Only AF_UNIX sockets exist (socket/unix.rs); other families
//! fail with EAFNOSUPPORT until the netstack arrives.

use super::TaskCtx;
use crate::kernel::sigqueue::{SIGPIPE, SI_USER};
use crate::socket::unix::{Received, MAX_BUF, MIN_RCVBUF, MIN_SNDBUF, SCM_MAX_FD};
use crate::socket::*;
use crate::vfs::*;
use crate::waiter::WaitQueue;
use husk_abi::{Errno, SigInfo, SysResult, Timespec, Timeval};
use std::sync::Arc;
use std::time::{Duration, Instant};

const AT_FDCWD: u64 = -100i64 as u64;
const SOCK_NONBLOCK: u32 = O_NONBLOCK;
const SOCK_CLOEXEC: u32 = O_CLOEXEC;

const MSG_OOB: u32 = 1;
const MSG_PEEK: u32 = 2;
const MSG_CTRUNC: u32 = 8;
const MSG_TRUNC: u32 = 0x20;
const MSG_DONTWAIT: u32 = 0x40;
const MSG_WAITALL: u32 = 0x100;
const MSG_NOSIGNAL: u32 = 0x4000;
const MSG_WAITFORONE: u32 = 0x10000;
const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;

const SOL_SOCKET: i32 = 1;
const SCM_RIGHTS: i32 = 1;
const SCM_CREDENTIALS: i32 = 2;

const SO_DEBUG: i32 = 1;
const SO_TYPE: i32 = 3;
const SO_ERROR: i32 = 4;
const SO_SNDBUF: i32 = 7;
const SO_RCVBUF: i32 = 8;
const SO_PRIORITY: i32 = 12;
const SO_LINGER: i32 = 13;
const SO_PASSCRED: i32 = 16;
const SO_PEERCRED: i32 = 17;
const SO_RCVLOWAT: i32 = 18;
const SO_SNDLOWAT: i32 = 19;
const SO_RCVTIMEO: i32 = 20;
const SO_SNDTIMEO: i32 = 21;
const SO_ACCEPTCONN: i32 = 30;
const SO_SNDBUFFORCE: i32 = 32;
const SO_RCVBUFFORCE: i32 = 33;
const SO_PROTOCOL: i32 = 38;
const SO_DOMAIN: i32 = 39;
/// Boolean options Linux stores without effect on Unix sockets: SO_REUSEADDR,
/// SO_DONTROUTE, SO_BROADCAST, SO_KEEPALIVE, SO_OOBINLINE, SO_REUSEPORT,
/// SO_TIMESTAMP, SO_PASSSEC, SO_TIMESTAMPNS, SO_RXQ_OVFL.
const PLAIN_BOOL_OPTS: [i32; 10] = [2, 5, 6, 9, 10, 15, 29, 34, 35, 40];

/// Largest piece of data the Sentry buffers per step of a send or receive.
const MAX_IO: usize = 1 << 20;
/// Largest control buffer sendmsg accepts (net.core.optmem_max).
const MAX_CONTROL: u64 = 131_072;

fn sock_of(t: &TaskCtx, fd: u64) -> Result<(Arc<OpenFile>, Arc<UnixSocket>), Errno> {
    let f = t.files.get(fd as i32)?;
    let s = SocketFile::of(&f)?;
    Ok((f, s))
}

fn install(t: &TaskCtx, f: Arc<OpenFile>, cloexec: bool) -> Result<i32, Errno> {
    t.files.insert(f, cloexec, 0, t.rlimit(7).rlim_cur)
}

/// SO_PEERCRED-style credentials of the caller (effective ids).
fn peer_cred(t: &TaskCtx) -> Ucred {
    let c = t.creds();
    Ucred {
        pid: t.tgid,
        uid: c.euid,
        gid: c.egid,
    }
}

/// Credentials a message carries by default (real ids, as scm_send).
fn msg_cred(t: &TaskCtx) -> Ucred {
    let c = t.creds();
    Ucred {
        pid: t.tgid,
        uid: c.ruid,
        gid: c.rgid,
    }
}

/// Reads a socket address argument (move_addr_to_kernel).
fn read_addr(t: &TaskCtx, addr: u64, len: u64) -> Result<Vec<u8>, Errno> {
    let len = len as i32;
    if !(0..=128).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; len as usize];
    t.mm.copy_in(addr, &mut b)?;
    Ok(b)
}

/// Writes an address to `addr` with its length at `lenp` (move_addr_to_user): copies
/// what fits and stores the full length.
fn write_addr(t: &TaskCtx, bytes: &[u8], addr: u64, lenp: u64) -> Result<(), Errno> {
    if lenp == 0 {
        return Ok(());
    }
    let ulen = t.mm.read_u32(lenp)? as i32;
    if ulen < 0 {
        return Err(Errno::EINVAL);
    }
    let n = (ulen as usize).min(bytes.len());
    if n > 0 {
        t.mm.copy_out(addr, &bytes[..n])?;
    }
    t.mm.write_obj(lenp, &(bytes.len() as u32))
}

/// The address bytes a receive reports: nothing for an unnamed sender.
fn recv_addr_bytes(a: &UnixAddr) -> Vec<u8> {
    match a {
        UnixAddr::Unnamed => Vec::new(),
        a => a.to_bytes(),
    }
}

/// Waits on `queues` until `ready`, the socket timeout `timeout` passes (EAGAIN) or a
/// signal (ERESTARTSYS, or EINTR when a timeout is set, as sock_intr_errno).
fn wait(
    t: &mut TaskCtx,
    queues: &[Arc<WaitQueue>],
    deadline: Option<Instant>,
    mut ready: impl FnMut() -> bool,
) -> Result<(), Errno> {
    match t.block_on(queues, deadline, |_| ready().then_some(())) {
        Ok(()) => Ok(()),
        Err(Errno::ETIMEDOUT) => Err(Errno::EAGAIN),
        Err(_) if deadline.is_some() => Err(Errno::EINTR),
        Err(_) => Err(Errno::ERESTARTSYS),
    }
}

fn deadline_of(d: Option<Duration>) -> Option<Instant> {
    d.map(|d| Instant::now() + d)
}

fn raise_sigpipe(t: &TaskCtx) {
    let mut st = t.k.lock();
    let uid = st.procs.get(&t.tgid).map(|p| p.creds.ruid).unwrap_or(0);
    t.k.send_to_thread(&mut st, t.tid, SigInfo::user(SIGPIPE, SI_USER, t.tgid, uid));
}

// ---- creation ----

fn new_socket(
    t: &TaskCtx,
    domain: u64,
    stype: u64,
    proto: u64,
) -> Result<(Arc<UnixSocket>, u32), Errno> {
    let stype = stype as u32;
    let flags = stype & !0xf;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let domain = domain as i32;
    if !(0..46).contains(&domain) {
        return Err(Errno::EAFNOSUPPORT);
    }
    let ty = (stype & 0xf) as i32;
    if ty > 10 {
        return Err(Errno::EINVAL);
    }
    if domain != AF_UNIX as i32 {
        // AF_INET, AF_INET6, AF_NETLINK and the rest: not (yet) in the Sentry.
        return Err(Errno::EAFNOSUPPORT);
    }
    let proto = proto as i32;
    if proto != 0 && proto != AF_UNIX as i32 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let ty = match ty {
        SOCK_STREAM | SOCK_DGRAM | SOCK_SEQPACKET => ty,
        SOCK_RAW => SOCK_DGRAM,
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    Ok((UnixSocket::new(ty, peer_cred(t)), flags))
}

pub fn socket(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (s, flags) = new_socket(t, a[0], a[1], a[2])?;
    let f = SocketFile::open(s, flags & SOCK_NONBLOCK);
    Ok(install(t, f, flags & SOCK_CLOEXEC != 0)? as u64)
}

pub fn socketpair(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    // AF_INET and AF_INET6 exist in Linux and refuse pairs.
    if matches!(a[0], 2 | 10) {
        return Err(Errno::EOPNOTSUPP);
    }
    let (s, flags) = new_socket(t, a[0], a[1], a[2])?;
    let stype = s.stype;
    drop(s);
    let (x, y) = UnixSocket::pair(stype, peer_cred(t));
    let nb = flags & SOCK_NONBLOCK;
    let cloexec = flags & SOCK_CLOEXEC != 0;
    let fx = install(t, SocketFile::open(x, nb), cloexec)?;
    let fy = match install(t, SocketFile::open(y, nb), cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.files.remove(fx);
            return Err(e);
        }
    };
    if let Err(e) = t.mm.write_obj(a[3], &[fx, fy]) {
        let _ = t.files.remove(fx);
        let _ = t.files.remove(fy);
        return Err(e);
    }
    Ok(0)
}

// ---- names ----

pub fn bind(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (_f, s) = sock_of(t, a[0])?;
    let addr = UnixAddr::parse(&read_addr(t, a[1], a[2])?)?;
    match &addr {
        UnixAddr::Path(p) => {
            // As Linux, the socket file is made first: an existing name wins over an
            // already bound socket.
            let (parent, name) = t.walk_parent_at(AT_FDCWD, p)?;
            if name == b"." || name == b".." || t.vfs().child(&parent, &name).is_ok() {
                return Err(Errno::EADDRINUSE);
            }
            if s.is_bound() {
                return Err(Errno::EINVAL);
            }
            if parent.mount.flags.readonly {
                return Err(Errno::EROFS);
            }
            if !super::file::may_access(t, &parent.inode.attr()?, 3) {
                return Err(Errno::EACCES);
            }
            let umask = t.fs.lock().unwrap_or_else(|p| p.into_inner()).umask;
            let c = t.creds();
            let inode = parent
                .inode
                .create(&name, NewNode::Socket, 0o777 & !umask, c.fsuid, c.fsgid)
                .map_err(|e| {
                    if e == Errno::EEXIST {
                        Errno::EADDRINUSE
                    } else {
                        e
                    }
                })?;
            let at = inode.attr()?;
            if let Err(e) = s.bind(&t.k.unix_sockets, addr, Some((at.dev, at.ino))) {
                let _ = parent.inode.unlink(&name, false);
                return Err(e);
            }
            Ok(0)
        }
        _ => {
            s.bind(&t.k.unix_sockets, addr, None)?;
            Ok(0)
        }
    }
}

/// The bound socket at `addr`.
fn lookup(t: &TaskCtx, addr: &UnixAddr) -> Result<Arc<UnixSocket>, Errno> {
    match addr {
        UnixAddr::Path(p) => {
            let d = t.walk_at(AT_FDCWD, p, true)?;
            let at = d.inode.attr()?;
            if !super::file::may_access(t, &at, 2) {
                return Err(Errno::EACCES);
            }
            if at.file_type() != S_IFSOCK {
                return Err(Errno::ECONNREFUSED);
            }
            t.k.unix_sockets
                .lookup_inode((at.dev, at.ino))
                .ok_or(Errno::ECONNREFUSED)
        }
        UnixAddr::Abstract(n) => {
            t.k.unix_sockets
                .lookup_abstract(n)
                .ok_or(Errno::ECONNREFUSED)
        }
        UnixAddr::Unnamed => Err(Errno::EINVAL),
    }
}

pub fn listen(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (_f, s) = sock_of(t, a[0])?;
    s.listen(a[1] as i32, peer_cred(t))?;
    Ok(0)
}

fn do_accept(t: &mut TaskCtx, a: &[u64; 6], flags: u32) -> SysResult {
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (f, s) = sock_of(t, a[0])?;
    let nonblock = f.flags() & O_NONBLOCK != 0;
    let deadline = deadline_of(s.timeouts().0);
    let conn = loop {
        match s.try_accept() {
            Err(Errno::EAGAIN) if !nonblock => {
                let q = [s.wq.clone()];
                wait(t, &q, deadline, || {
                    s.readiness() & POLLIN != 0 || !s.is_listening()
                })?;
            }
            r => break r?,
        }
    };
    if a[1] != 0 {
        let name = conn.peer_name().unwrap_or_default();
        write_addr(t, &name.to_bytes(), a[1], a[2])?;
    }
    let nf = SocketFile::open(conn, flags & SOCK_NONBLOCK);
    Ok(install(t, nf, flags & SOCK_CLOEXEC != 0)? as u64)
}

pub fn accept(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_accept(t, a, 0)
}

pub fn accept4(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_accept(t, a, a[3] as u32)
}

pub fn connect(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (f, s) = sock_of(t, a[0])?;
    let raw = read_addr(t, a[1], a[2])?;
    if s.stype == SOCK_DGRAM {
        if raw.len() < 2 {
            return Err(Errno::EINVAL);
        }
        if u16::from_le_bytes([raw[0], raw[1]]) == AF_UNSPEC {
            s.connect_dgram(None)?;
            return Ok(0);
        }
        let addr = UnixAddr::parse(&raw)?;
        let peer = lookup(t, &addr)?;
        if s.passcred() {
            t.k.unix_sockets.autobind(&s)?;
        }
        s.connect_dgram(Some(&peer))?;
        return Ok(0);
    }
    let addr = UnixAddr::parse(&raw)?;
    let l = lookup(t, &addr)?;
    if s.passcred() {
        t.k.unix_sockets.autobind(&s)?;
    }
    let nonblock = f.flags() & O_NONBLOCK != 0;
    let deadline = deadline_of(s.timeouts().1);
    let cred = peer_cred(t);
    loop {
        match s.try_connect(&l, cred) {
            Err(Errno::EAGAIN) if !nonblock => {
                let q = [l.wq.clone(), s.wq.clone()];
                wait(t, &q, deadline, || {
                    !l.is_listening() || l.backlog_has_room() || s.is_connected()
                })?;
            }
            r => return r.map(|_| 0),
        }
    }
}

pub fn getsockname(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (_f, s) = sock_of(t, a[0])?;
    write_addr(t, &s.name().to_bytes(), a[1], a[2])?;
    Ok(0)
}

pub fn getpeername(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (_f, s) = sock_of(t, a[0])?;
    let n = s.peer_name()?;
    write_addr(t, &n.to_bytes(), a[1], a[2])?;
    Ok(0)
}

pub fn shutdown(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (_f, s) = sock_of(t, a[0])?;
    s.shutdown(a[1] as i32)?;
    Ok(0)
}

// ---- data ----

/// Where the data of a send comes from.
enum Source<'a> {
    Buf(u64, u64),
    Iov(&'a [crate::mm::IoVec]),
}

impl Source<'_> {
    fn total(&self) -> u64 {
        match self {
            Source::Buf(_, n) => *n,
            Source::Iov(v) => v.iter().map(|v| v.len).sum(),
        }
    }

    /// Copies in up to `max` bytes starting at byte `skip`.
    fn gather(&self, t: &TaskCtx, skip: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut pos = 0u64;
        let segs: Vec<(u64, u64)> = match self {
            Source::Buf(a, n) => vec![(*a, *n)],
            Source::Iov(v) => v.iter().map(|v| (v.addr, v.len)).collect(),
        };
        for (addr, len) in segs {
            if out.len() >= max {
                break;
            }
            let end = pos + len;
            if end > skip {
                let from = skip.saturating_sub(pos);
                let k = ((len - from) as usize).min(max - out.len());
                let at = out.len();
                out.resize(at + k, 0);
                t.mm.copy_in(addr + from, &mut out[at..])?;
            }
            pos = end;
        }
        Ok(out)
    }
}

/// What a sendmsg carries besides data.
#[derive(Default)]
struct Control {
    rights: Vec<Arc<OpenFile>>,
    cred: Option<Ucred>,
}

fn send_common(
    t: &mut TaskCtx,
    fd: u64,
    src: Source,
    flags: u32,
    addr: Option<Vec<u8>>,
    ctl: Control,
) -> SysResult {
    let (f, s) = sock_of(t, fd)?;
    // MSG_OOB: streams only; the last byte becomes the urgent byte.
    let oob = flags & MSG_OOB != 0;
    if oob && (s.stype != SOCK_STREAM || src.total() == 0) {
        return Err(Errno::EOPNOTSUPP);
    }
    let to = match (s.stype, addr) {
        (SOCK_DGRAM, Some(raw)) if !raw.is_empty() => {
            let a = UnixAddr::parse(&raw)?;
            if a == UnixAddr::Unnamed {
                return Err(Errno::EINVAL);
            }
            Some(lookup(t, &a)?)
        }
        (SOCK_STREAM, Some(raw)) if !raw.is_empty() => {
            return Err(if s.is_connected() {
                Errno::EISCONN
            } else {
                Errno::EOPNOTSUPP
            });
        }
        _ => None,
    };
    if s.stype == SOCK_SEQPACKET && !s.is_connected() {
        return Err(Errno::ENOTCONN);
    }
    if s.stype == SOCK_DGRAM && s.passcred() {
        t.k.unix_sockets.autobind(&s)?;
    }
    let cred = ctl.cred.unwrap_or_else(|| msg_cred(t));
    let mut rights = ctl.rights;
    let nonblock = flags & MSG_DONTWAIT != 0 || f.flags() & O_NONBLOCK != 0;
    let deadline = deadline_of(s.timeouts().1);
    let total = src.total() - u64::from(oob);
    let record = s.stype != SOCK_STREAM;
    let mut done: u64 = 0;
    let res: Result<(), Errno> = 'outer: loop {
        let max = if record {
            // A record is sent whole: take all of it (too long ones fail EMSGSIZE).
            (total as usize).min(MAX_BUF + 1)
        } else {
            MAX_IO.min((total - done) as usize)
        };
        let chunk = match src.gather(t, done, max) {
            Ok(c) => c,
            Err(e) => break Err(e),
        };
        let mut off = 0usize;
        loop {
            match s.try_send(&chunk[off..], cred, &mut rights, to.as_ref()) {
                Ok(n) => {
                    off += n;
                    done += n as u64;
                    if record || done >= total {
                        break 'outer Ok(());
                    }
                    if off >= chunk.len() {
                        break;
                    }
                }
                Err(Errno::EAGAIN) if !nonblock => {
                    let qs = s.send_wait_queues(to.as_ref());
                    if let Err(e) = wait(t, &qs, deadline, || s.send_ready(to.as_ref())) {
                        break 'outer Err(e);
                    }
                }
                Err(e) => break 'outer Err(e),
            }
        }
    };
    let res = match res {
        Ok(()) if oob => src
            .gather(t, total, 1)
            .and_then(|b| s.send_oob(b.first().copied().unwrap_or(0), cred))
            .map(|()| done += 1),
        r => r,
    };
    match res {
        Ok(()) => Ok(done),
        Err(_) if done > 0 => Ok(done),
        Err(Errno::EPIPE) => {
            if s.stype == SOCK_STREAM && flags & MSG_NOSIGNAL == 0 {
                raise_sigpipe(t);
            }
            Err(Errno::EPIPE)
        }
        Err(e) => Err(e),
    }
}

pub fn sendto(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let addr = if a[4] != 0 {
        Some(read_addr(t, a[4], a[5])?)
    } else {
        None
    };
    send_common(
        t,
        a[0],
        Source::Buf(a[1], a[2]),
        a[3] as u32,
        addr,
        Control::default(),
    )
}

/// `struct msghdr` fields.
struct MsgHdr {
    name: u64,
    namelen: u32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

fn read_msghdr(t: &TaskCtx, addr: u64) -> Result<MsgHdr, Errno> {
    let mut b = [0u8; 56];
    t.mm.copy_in(addr, &mut b)?;
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or([0; 8]));
    Ok(MsgHdr {
        name: u64_at(0),
        namelen: u32::from_le_bytes(b[8..12].try_into().unwrap_or([0; 4])),
        iov: u64_at(16),
        iovlen: u64_at(24),
        control: u64_at(32),
        controllen: u64_at(40),
    })
}

fn cmsg_align(n: usize) -> usize {
    (n + 7) & !7
}

/// Parses the control messages of a sendmsg (__scm_send for Unix sockets).
fn parse_control(t: &TaskCtx, addr: u64, len: u64) -> Result<Control, Errno> {
    let mut ctl = Control::default();
    if len > i32::MAX as u64 {
        return Err(Errno::ENOBUFS);
    }
    if len < 16 {
        return Ok(ctl);
    }
    if len > MAX_CONTROL {
        return Err(Errno::ENOBUFS);
    }
    let mut b = vec![0u8; len as usize];
    t.mm.copy_in(addr, &mut b)?;
    let mut off = 0usize;
    while off + 16 <= b.len() {
        let clen = u64::from_le_bytes(b[off..off + 8].try_into().unwrap_or([0; 8])) as usize;
        let level = i32::from_le_bytes(b[off + 8..off + 12].try_into().unwrap_or([0; 4]));
        let ty = i32::from_le_bytes(b[off + 12..off + 16].try_into().unwrap_or([0; 4]));
        if clen < 16 || clen > b.len() - off {
            return Err(Errno::EINVAL);
        }
        let data = &b[off + 16..off + clen];
        if level == SOL_SOCKET {
            match ty {
                SCM_RIGHTS => {
                    let n = data.len() / 4;
                    if ctl.rights.len() + n > SCM_MAX_FD {
                        return Err(Errno::EINVAL);
                    }
                    for c in data.chunks_exact(4) {
                        let fd = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                        ctl.rights.push(t.files.get(fd)?);
                    }
                }
                SCM_CREDENTIALS => {
                    if clen != 16 + 12 {
                        return Err(Errno::EINVAL);
                    }
                    let get =
                        |o: usize| u32::from_le_bytes(data[o..o + 4].try_into().unwrap_or([0; 4]));
                    let u = Ucred {
                        pid: get(0) as i32,
                        uid: get(4),
                        gid: get(8),
                    };
                    let c = t.creds();
                    // Another pid needs CAP_SYS_ADMIN, other ids CAP_SETUID and
                    // CAP_SETGID; without them only the sender's own.
                    use crate::kernel::caps::{CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN};
                    let ok = (u.pid == t.vpid(t.tgid) || c.capable_init(CAP_SYS_ADMIN))
                        && ([c.ruid, c.euid, c.suid].contains(&u.uid) || c.has_cap(CAP_SETUID))
                        && ([c.rgid, c.egid, c.sgid].contains(&u.gid) || c.has_cap(CAP_SETGID));
                    if !ok {
                        return Err(Errno::EPERM);
                    }
                    // The pid is one of the sender's namespace; messages carry global ids.
                    let pid = t.gpid(u.pid).ok_or(Errno::ESRCH)?;
                    ctl.cred = Some(Ucred { pid, ..u });
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        off += cmsg_align(clen);
    }
    Ok(ctl)
}

fn do_sendmsg(t: &mut TaskCtx, fd: u64, msg: u64, flags: u32) -> SysResult {
    // The socket is checked first (EBADF, ENOTSOCK before EFAULT).
    sock_of(t, fd)?;
    let h = read_msghdr(t, msg)?;
    let vecs = t.mm.read_iovecs(h.iov, h.iovlen)?;
    let addr = if h.name != 0 && h.namelen != 0 {
        Some(read_addr(t, h.name, h.namelen as u64)?)
    } else {
        None
    };
    let ctl = parse_control(t, h.control, h.controllen)?;
    send_common(t, fd, Source::Iov(&vecs), flags, addr, ctl)
}

pub fn sendmsg(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_sendmsg(t, a[0], a[1], a[2] as u32)
}

pub fn sendmmsg(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    sock_of(t, a[0])?;
    let vlen = a[2].min(1024);
    let mut n = 0u64;
    while n < vlen {
        let at = a[1] + n * 64;
        match do_sendmsg(t, a[0], at, a[3] as u32) {
            Ok(len) => {
                t.mm.write_obj(at + 56, &(len as u32))?;
                n += 1;
            }
            Err(e) if n == 0 => return Err(e),
            Err(_) => break,
        }
    }
    Ok(n)
}

/// Receives into up to `max` bytes, blocking as the socket and flags say.
fn recv_common(
    t: &mut TaskCtx,
    f: &Arc<OpenFile>,
    s: &Arc<UnixSocket>,
    max: usize,
    flags: u32,
) -> Result<Received, Errno> {
    let peek = flags & MSG_PEEK != 0;
    if flags & MSG_OOB != 0 {
        let b = s.recv_oob(peek)?;
        return Ok(Received {
            data: if max > 0 { vec![b] } else { Vec::new() },
            full_len: 1,
            from: crate::socket::unix::UnixAddr::Unnamed,
            cred: None,
            rights: Vec::new(),
        });
    }
    let nonblock = flags & MSG_DONTWAIT != 0 || f.flags() & O_NONBLOCK != 0;
    let waitall = flags & MSG_WAITALL != 0 && !peek && s.stype == SOCK_STREAM;
    let deadline = deadline_of(s.timeouts().0);
    let mut acc: Option<Received> = None;
    loop {
        let got = acc.as_ref().map(|r| r.data.len()).unwrap_or(0);
        match s.try_recv(max - got, peek) {
            Ok(r) => {
                let eof = r.data.is_empty();
                let had_rights = !r.rights.is_empty();
                match acc.as_mut() {
                    None => acc = Some(r),
                    Some(a) => {
                        a.data.extend_from_slice(&r.data);
                        a.full_len = a.data.len();
                        a.rights.extend(r.rights);
                    }
                }
                let got = acc.as_ref().map(|r| r.data.len()).unwrap_or(0);
                if !waitall || eof || had_rights || got >= max {
                    break;
                }
            }
            Err(Errno::EAGAIN) if !nonblock => {
                if s.stype == SOCK_DGRAM && s.rcv_shutdown() {
                    // __skb_wait_for_more_packets: a shut-down datagram socket ends a
                    // blocking receive with 0.
                    if acc.is_none() {
                        acc = Some(Received {
                            data: Vec::new(),
                            full_len: 0,
                            from: crate::socket::unix::UnixAddr::Unnamed,
                            cred: None,
                            rights: Vec::new(),
                        });
                    }
                    break;
                }
                let q = [s.wq.clone()];
                if let Err(e) = wait(t, &q, deadline, || s.readiness() & RECV_READY != 0) {
                    if acc.is_some() {
                        break;
                    }
                    return Err(e);
                }
            }
            Err(e) => {
                if acc.is_some() {
                    break;
                }
                return Err(e);
            }
        }
    }
    acc.ok_or(Errno::EAGAIN)
}

pub fn recvfrom(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (f, s) = sock_of(t, a[0])?;
    let flags = a[3] as u32;
    let max = (a[2] as usize).min(MAX_IO);
    let r = recv_common(t, &f, &s, max, flags)?;
    // Descriptors sent with the data are dropped (recvfrom has no control buffer).
    t.mm.copy_out(a[1], &r.data)?;
    if a[4] != 0 {
        write_addr(t, &recv_addr_bytes(&r.from), a[4], a[5])?;
    }
    Ok(if flags & MSG_TRUNC != 0 && s.stype != SOCK_STREAM {
        r.full_len
    } else {
        r.data.len()
    } as u64)
}

/// Appends one control message to the output (put_cmsg); returns whether it fit.
fn put_cmsg(out: &mut Vec<u8>, cap: usize, flags: &mut u32, ty: i32, data: &[u8]) -> bool {
    let room = cap.saturating_sub(out.len());
    if room < 16 {
        *flags |= MSG_CTRUNC;
        return false;
    }
    let mut cmlen = 16 + data.len();
    let mut fit = true;
    if room < cmlen {
        *flags |= MSG_CTRUNC;
        cmlen = room;
        fit = false;
    }
    out.extend_from_slice(&(cmlen as u64).to_le_bytes());
    out.extend_from_slice(&SOL_SOCKET.to_le_bytes());
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&data[..cmlen - 16]);
    let space = cmsg_align(16 + data.len()).min(room);
    out.resize(out.len() + space - cmlen, 0);
    fit
}

fn do_recvmsg(t: &mut TaskCtx, fd: u64, msg: u64, flags: u32) -> SysResult {
    let (f, s) = sock_of(t, fd)?;
    let h = read_msghdr(t, msg)?;
    let vecs = t.mm.read_iovecs(h.iov, h.iovlen)?;
    let total: u64 = vecs.iter().map(|v| v.len).sum();
    let max = (total as usize).min(MAX_IO);
    let r = recv_common(t, &f, &s, max, flags)?;
    // Scatter the data.
    let mut off = 0usize;
    for v in &vecs {
        if off >= r.data.len() {
            break;
        }
        let k = (v.len as usize).min(r.data.len() - off);
        t.mm.copy_out(v.addr, &r.data[off..off + k])?;
        off += k;
    }
    let mut mflags = 0u32;
    if s.stype != SOCK_STREAM && r.full_len > r.data.len() {
        mflags |= MSG_TRUNC;
    }
    // Name.
    if h.name != 0 {
        let b = recv_addr_bytes(&r.from);
        let n = (h.namelen as usize).min(b.len());
        t.mm.copy_out(h.name, &b[..n])?;
        t.mm.write_obj(msg + 8, &(b.len() as u32))?;
    } else {
        t.mm.write_obj(msg + 8, &0u32)?;
    }
    // Control messages: credentials, then descriptors.
    let cap = if h.control == 0 {
        0
    } else {
        h.controllen.min(i32::MAX as u64) as usize
    };
    let mut out = Vec::new();
    if let Some(c) = r.cred {
        use zerocopy::IntoBytes;
        // The sender's pid as the receiver sees it (0 if it cannot).
        let c = Ucred {
            pid: t.vpid(c.pid),
            ..c
        };
        put_cmsg(&mut out, cap, &mut mflags, SCM_CREDENTIALS, c.as_bytes());
    }
    if !r.rights.is_empty() {
        let room = cap.saturating_sub(out.len());
        let fdmax = room.saturating_sub(16) / 4;
        if room < 16 || fdmax == 0 {
            mflags |= MSG_CTRUNC;
        } else {
            let cloexec = flags & MSG_CMSG_CLOEXEC != 0;
            let mut fds: Vec<u8> = Vec::new();
            for file in r.rights.iter().take(fdmax) {
                match install(t, file.clone(), cloexec) {
                    Ok(fd) => fds.extend_from_slice(&fd.to_le_bytes()),
                    Err(_) => break,
                }
            }
            if fds.len() / 4 < r.rights.len() {
                mflags |= MSG_CTRUNC;
            }
            if !fds.is_empty() {
                put_cmsg(&mut out, cap, &mut mflags, SCM_RIGHTS, &fds);
            }
        }
    }
    if !out.is_empty() {
        t.mm.copy_out(h.control, &out)?;
    }
    t.mm.write_obj(msg + 40, &(out.len() as u64))?;
    t.mm.write_obj(msg + 48, &mflags)?;
    Ok(if flags & MSG_TRUNC != 0 && s.stype != SOCK_STREAM {
        r.full_len
    } else {
        r.data.len()
    } as u64)
}

pub fn recvmsg(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_recvmsg(t, a[0], a[1], a[2] as u32)
}

pub fn recvmmsg(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    sock_of(t, a[0])?;
    let deadline = if a[4] != 0 {
        let ts: Timespec = t.mm.read_obj(a[4])?;
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some(Instant::now() + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    } else {
        None
    };
    let vlen = a[2].min(1024);
    let mut flags = a[3] as u32;
    let mut n = 0u64;
    while n < vlen {
        let at = a[1] + n * 64;
        match do_recvmsg(t, a[0], at, flags & !MSG_WAITFORONE) {
            Ok(len) => {
                t.mm.write_obj(at + 56, &(len as u32))?;
                n += 1;
            }
            Err(e) if n == 0 => return Err(e),
            Err(_) => break,
        }
        if flags & MSG_WAITFORONE != 0 {
            flags |= MSG_DONTWAIT;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    Ok(n)
}

// ---- options ----

fn read_int_opt(t: &TaskCtx, addr: u64, len: u64) -> Result<i32, Errno> {
    if (len as i32) < 4 {
        return Err(Errno::EINVAL);
    }
    Ok(t.mm.read_u32(addr)? as i32)
}

/// The buffer size SO_SNDBUF/SO_RCVBUF store: doubled, capped by the sysctl maximum
/// (wmem_max/rmem_max); the *FORCE variants skip the cap (sk_setsockopt).
fn buf_size(v: i32, min: usize, force: bool) -> usize {
    let v = if force {
        v.clamp(0, i32::MAX / 2) as usize
    } else {
        (v as u32).min((MAX_BUF / 2) as u32) as usize
    };
    (v * 2).max(min)
}

pub fn setsockopt(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (_f, s) = sock_of(t, a[0])?;
    let (level, opt, val, len) = (a[1] as i32, a[2] as i32, a[3], a[4]);
    if (len as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    // SO_SNDBUFFORCE / SO_RCVBUFFORCE: CAP_NET_ADMIN.
    let privileged = t.creds().capable_init(crate::kernel::caps::CAP_NET_ADMIN);
    match opt {
        SO_SNDBUF | SO_SNDBUFFORCE => {
            let v = read_int_opt(t, val, len)?;
            if opt == SO_SNDBUFFORCE && !privileged {
                return Err(Errno::EPERM);
            }
            s.set_sndbuf(buf_size(v, MIN_SNDBUF, opt == SO_SNDBUFFORCE));
        }
        SO_RCVBUF | SO_RCVBUFFORCE => {
            let v = read_int_opt(t, val, len)?;
            if opt == SO_RCVBUFFORCE && !privileged {
                return Err(Errno::EPERM);
            }
            s.set_rcvbuf(buf_size(v, MIN_RCVBUF, opt == SO_RCVBUFFORCE));
        }
        SO_PASSCRED => {
            let v = read_int_opt(t, val, len)?;
            s.set_passcred(v != 0);
        }
        SO_RCVTIMEO | SO_SNDTIMEO => {
            if (len as usize) < 16 {
                return Err(Errno::EINVAL);
            }
            let tv: Timeval = t.mm.read_obj(val)?;
            if !(0..1_000_000).contains(&tv.tv_usec) {
                return Err(Errno::EDOM);
            }
            let d = if tv.tv_sec < 0 {
                Some(Duration::ZERO)
            } else if tv.tv_sec == 0 && tv.tv_usec == 0 {
                None
            } else {
                Some(Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000))
            };
            s.set_timeout(opt == SO_SNDTIMEO, d);
        }
        SO_LINGER => {
            if (len as usize) < 8 {
                return Err(Errno::EINVAL);
            }
            let mut b = vec![0u8; 8];
            t.mm.copy_in(val, &mut b)?;
            s.set_plain_opt(opt, b);
        }
        SO_DEBUG => {
            let v = read_int_opt(t, val, len)?;
            if v != 0 && !privileged {
                return Err(Errno::EACCES);
            }
            s.set_plain_opt(opt, ((v != 0) as i32).to_le_bytes().to_vec());
        }
        SO_PRIORITY => {
            let v = read_int_opt(t, val, len)?;
            if !(0..=6).contains(&v) && !privileged {
                return Err(Errno::EPERM);
            }
            s.set_plain_opt(opt, v.to_le_bytes().to_vec());
        }
        SO_RCVLOWAT => {
            let v = read_int_opt(t, val, len)?;
            let v = if v < 0 { i32::MAX } else { v.max(1) };
            s.set_plain_opt(opt, v.to_le_bytes().to_vec());
        }
        o if PLAIN_BOOL_OPTS.contains(&o) => {
            let v = read_int_opt(t, val, len)?;
            s.set_plain_opt(opt, ((v != 0) as i32).to_le_bytes().to_vec());
        }
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}

pub fn getsockopt(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (_f, s) = sock_of(t, a[0])?;
    let (level, opt, val, lenp) = (a[1] as i32, a[2] as i32, a[3], a[4]);
    let len = t.mm.read_u32(lenp)? as i32;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    let int = |v: i32| v.to_le_bytes().to_vec();
    let bytes: Vec<u8> = match opt {
        SO_TYPE => int(s.stype),
        SO_DOMAIN => int(AF_UNIX as i32),
        SO_PROTOCOL => int(0),
        SO_ERROR => int(s.take_error()),
        SO_SNDBUF => int(s.bufs().0 as i32),
        SO_RCVBUF => int(s.bufs().1 as i32),
        SO_PASSCRED => int(s.passcred() as i32),
        SO_ACCEPTCONN => int(s.is_listening() as i32),
        SO_PEERCRED => {
            use zerocopy::IntoBytes;
            let c = s.peer_cred();
            Ucred {
                pid: t.vpid(c.pid),
                ..c
            }
            .as_bytes()
            .to_vec()
        }
        SO_RCVTIMEO | SO_SNDTIMEO => {
            let (r, w) = s.timeouts();
            let d = if opt == SO_RCVTIMEO { r } else { w };
            let tv = d
                .map(|d| Timeval {
                    tv_sec: d.as_secs() as i64,
                    tv_usec: d.subsec_micros() as i64,
                })
                .unwrap_or_default();
            use zerocopy::IntoBytes;
            tv.as_bytes().to_vec()
        }
        SO_LINGER => s.plain_opt(opt).unwrap_or_else(|| vec![0; 8]),
        SO_RCVLOWAT | SO_SNDLOWAT => s.plain_opt(opt).unwrap_or_else(|| int(1)),
        SO_DEBUG | SO_PRIORITY => s.plain_opt(opt).unwrap_or_else(|| int(0)),
        o if PLAIN_BOOL_OPTS.contains(&o) => s.plain_opt(opt).unwrap_or_else(|| int(0)),
        _ => return Err(Errno::ENOPROTOOPT),
    };
    let n = (len as usize).min(bytes.len());
    t.mm.copy_out(val, &bytes[..n])?;
    t.mm.write_obj(lenp, &(n as u32))?;
    Ok(0)
}
