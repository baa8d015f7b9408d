//! Unix domain sockets: stream, datagram and seqpacket; socketpair; names in the file
//! system and in the abstract namespace; SCM_RIGHTS and SCM_CREDENTIALS; shutdown.
//!
//! Every socket has a receive queue (`Channel`). A connected stream or seqpacket socket
//! sends into its peer's receive queue (`tx`), so two connected sockets never lock each
//! other: a socket's state lock is taken before a channel lock, never two socket locks
//! at once (connect checks that the listener is not the connecting socket itself).
//! Shutdown state lives in the channels: a socket's RCV_SHUTDOWN is its receive queue
//! being shut for reading or writing, its SEND_SHUTDOWN the same of its peer's queue.
//!
//! The operations here never block: they return EAGAIN and the system call layer waits
//! on `wq` (the socket's queue; every change of a channel notifies both ends).
//!
//! Known gap: file descriptors in flight that reference their own socket (a socket sent
//! over itself and never received) keep each other alive; Linux has a garbage collector
//! for such cycles.

use super::{next_ino, Ucred, SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM};
use crate::vfs::{OpenFile, POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRBAND, POLLWRNORM};

/// What unix_poll reports for a readable or a writable socket.
const READABLE: u32 = POLLIN | POLLRDNORM;
const WRITABLE: u32 = POLLOUT | POLLWRNORM | POLLWRBAND;
use crate::waiter::WaitQueue;
use husk_abi::Errno;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

pub const POLLRDHUP: u32 = 0x2000;

/// Default socket buffer size (net.core.wmem_default / rmem_default).
pub const DEFAULT_BUF: usize = 212_992;
/// Largest buffer size setsockopt grants (twice net.core.wmem_max).
pub const MAX_BUF: usize = 2 * 212_992;
/// Smallest buffer sizes (SOCK_MIN_SNDBUF, SOCK_MIN_RCVBUF on x86-64).
pub const MIN_SNDBUF: usize = 4608;
pub const MIN_RCVBUF: usize = 2304;
/// Queued datagrams per receiver before senders wait (net.unix.max_dgram_qlen as
/// distributions set it).
const MAX_DGRAM_QLEN: usize = 512;
/// Largest listen backlog (net.core.somaxconn).
pub const SOMAXCONN: i32 = 4096;
/// Most file descriptors in one SCM_RIGHTS message.
pub const SCM_MAX_FD: usize = 253;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A Unix socket address.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum UnixAddr {
    #[default]
    Unnamed,
    /// A file system path (without the terminating NUL).
    Path(Vec<u8>),
    /// An abstract name (the bytes after the leading NUL).
    Abstract(Vec<u8>),
}

impl UnixAddr {
    /// Parses a `sockaddr_un` of `len` bytes (unix_validate_addr + unix_mkname). An
    /// address of only the family is `Unnamed` (bind autobinds with it).
    pub fn parse(b: &[u8]) -> Result<UnixAddr, Errno> {
        if b.len() < 2 || b.len() > 110 {
            return Err(Errno::EINVAL);
        }
        if u16::from_le_bytes([b[0], b[1]]) != super::AF_UNIX {
            return Err(Errno::EINVAL);
        }
        let path = &b[2..];
        if path.is_empty() {
            return Ok(UnixAddr::Unnamed);
        }
        if path[0] == 0 {
            return Ok(UnixAddr::Abstract(path[1..].to_vec()));
        }
        let end = path.iter().position(|&c| c == 0).unwrap_or(path.len());
        Ok(UnixAddr::Path(path[..end].to_vec()))
    }

    /// The `sockaddr_un` bytes getsockname and friends return (their length is the
    /// address length).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = super::AF_UNIX.to_le_bytes().to_vec();
        match self {
            UnixAddr::Unnamed => {}
            UnixAddr::Path(p) => {
                v.extend_from_slice(p);
                v.push(0);
            }
            UnixAddr::Abstract(n) => {
                v.push(0);
                v.extend_from_slice(n);
            }
        }
        v
    }
}

/// The names bound in one sandbox: abstract names, and path-bound sockets keyed by the
/// (device, inode) of their socket file.
#[derive(Default)]
pub struct Namespace {
    abstract_names: Mutex<HashMap<Vec<u8>, Weak<UnixSocket>>>,
    paths: Mutex<HashMap<(u64, u64), Weak<UnixSocket>>>,
    autobind: AtomicU64,
}

impl Namespace {
    /// Binds `sock` to the abstract `name` (EADDRINUSE if a live socket has it).
    fn bind_abstract(&self, name: &[u8], sock: &Arc<UnixSocket>) -> Result<(), Errno> {
        let mut m = lock(&self.abstract_names);
        if m.get(name).is_some_and(|w| w.strong_count() > 0) {
            return Err(Errno::EADDRINUSE);
        }
        if m.len() >= 64 && m.len().is_power_of_two() {
            m.retain(|_, w| w.strong_count() > 0);
        }
        m.insert(name.to_vec(), Arc::downgrade(sock));
        Ok(())
    }

    /// Records that `sock` is bound to the socket file (dev, ino).
    pub fn bind_inode(&self, key: (u64, u64), sock: &Arc<UnixSocket>) {
        let mut m = lock(&self.paths);
        if m.len() >= 64 && m.len().is_power_of_two() {
            m.retain(|_, w| w.strong_count() > 0);
        }
        m.insert(key, Arc::downgrade(sock));
    }

    /// The live socket bound to abstract `name`.
    pub fn lookup_abstract(&self, name: &[u8]) -> Option<Arc<UnixSocket>> {
        lock(&self.abstract_names)
            .get(name)
            .and_then(|w| w.upgrade())
    }

    /// The live socket bound to the socket file (dev, ino).
    pub fn lookup_inode(&self, key: (u64, u64)) -> Option<Arc<UnixSocket>> {
        lock(&self.paths).get(&key).and_then(|w| w.upgrade())
    }

    /// Binds `sock` to a free abstract name of five hex digits (autobind).
    pub fn autobind(&self, sock: &Arc<UnixSocket>) -> Result<(), Errno> {
        let mut st = lock(&sock.st);
        if st.name != UnixAddr::Unnamed {
            return Ok(());
        }
        for _ in 0..0x100000 {
            let n = self.autobind.fetch_add(1, Ordering::Relaxed) & 0xfffff;
            let name = format!("{n:05x}").into_bytes();
            if self.bind_abstract(&name, sock).is_ok() {
                st.name = UnixAddr::Abstract(name);
                return Ok(());
            }
        }
        Err(Errno::ENOSPC)
    }
}

/// A message (a datagram, a seqpacket record or a piece of a stream).
struct Msg {
    data: Vec<u8>,
    /// Bytes of `data` already consumed (streams).
    off: usize,
    from: UnixAddr,
    cred: Ucred,
    rights: Vec<Arc<OpenFile>>,
    /// The urgent byte of a stream (MSG_OOB): at most one message of a queue has it.
    oob: bool,
}

#[derive(Default)]
struct ChanState {
    msgs: VecDeque<Msg>,
    /// Unconsumed bytes in `msgs`.
    bytes: usize,
    /// The receiver reads no more: writers get EPIPE.
    rd_shut: bool,
    /// No more data comes: the receiver sees end of file once the queue is empty.
    wr_shut: bool,
    /// An error for the receiver (ECONNRESET when the peer closed with unread data).
    err: Option<Errno>,
}

/// A receive queue.
struct Channel {
    st: Mutex<ChanState>,
    /// The receiving socket's queue.
    owner: Arc<WaitQueue>,
    /// Queues of sockets that send here and wait for room (peers).
    watchers: Mutex<Vec<Weak<WaitQueue>>>,
}

impl Channel {
    fn new(owner: Arc<WaitQueue>) -> Arc<Channel> {
        Arc::new(Channel {
            st: Mutex::new(ChanState::default()),
            owner,
            watchers: Mutex::new(Vec::new()),
        })
    }

    fn lock(&self) -> MutexGuard<'_, ChanState> {
        lock(&self.st)
    }

    fn watch(&self, wq: &Arc<WaitQueue>) {
        let mut w = lock(&self.watchers);
        w.retain(|x| x.strong_count() > 0);
        if !w.iter().any(|x| x.as_ptr() == Arc::as_ptr(wq)) {
            w.push(Arc::downgrade(wq));
        }
    }

    /// After a receive took data: senders waiting for room wake up; the receiver's own
    /// queue is woken without an edge, as Linux wakes only the writers then (an
    /// edge-triggered epoll on the receiver reports nothing new).
    fn notify_read(&self) {
        self.owner.notify_quiet();
        let ws: Vec<Arc<WaitQueue>> = lock(&self.watchers)
            .iter()
            .filter_map(|w| w.upgrade())
            .collect();
        for w in ws {
            w.notify_all();
        }
    }

    fn notify(&self) {
        self.owner.notify_all();
        let ws: Vec<Arc<WaitQueue>> = lock(&self.watchers)
            .iter()
            .filter_map(|w| w.upgrade())
            .collect();
        for w in ws {
            w.notify_all();
        }
    }
}

enum Conn {
    None,
    Listening {
        queue: VecDeque<Arc<UnixSocket>>,
        backlog: usize,
    },
    /// A connected stream or seqpacket socket: `tx` is the peer's receive queue.
    Stream {
        tx: Arc<Channel>,
        peer_name: UnixAddr,
    },
    /// A datagram socket with a default destination.
    Dgram {
        peer: Weak<UnixSocket>,
    },
}

struct SockState {
    name: UnixAddr,
    conn: Conn,
    passcred: bool,
    sndbuf: usize,
    rcvbuf: usize,
    rcvtimeo: Option<Duration>,
    sndtimeo: Option<Duration>,
    /// Own SEND_SHUTDOWN of a datagram socket.
    send_shut: bool,
    peer_cred: Option<Ucred>,
    /// Options Linux stores without effect on Unix sockets (SO_REUSEADDR, ...).
    plain_opts: HashMap<i32, Vec<u8>>,
}

/// A Unix domain socket.
pub struct UnixSocket {
    pub ino: u64,
    /// SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET.
    pub stype: i32,
    pub wq: Arc<WaitQueue>,
    rx: Arc<Channel>,
    st: Mutex<SockState>,
    /// The creator's credentials (used for plain write(2), which has no task at hand).
    owner: Ucred,
}

/// What a receive got.
pub struct Received {
    pub data: Vec<u8>,
    /// The length of the whole record (datagram and seqpacket), for MSG_TRUNC.
    pub full_len: usize,
    pub from: UnixAddr,
    pub cred: Option<Ucred>,
    pub rights: Vec<Arc<OpenFile>>,
}

impl UnixSocket {
    pub fn new(stype: i32, owner: Ucred) -> Arc<UnixSocket> {
        let wq = WaitQueue::new();
        Arc::new(UnixSocket {
            ino: next_ino(),
            stype,
            rx: Channel::new(wq.clone()),
            wq,
            st: Mutex::new(SockState {
                name: UnixAddr::Unnamed,
                conn: Conn::None,
                passcred: false,
                sndbuf: DEFAULT_BUF,
                rcvbuf: DEFAULT_BUF,
                rcvtimeo: None,
                sndtimeo: None,
                send_shut: false,
                peer_cred: None,
                plain_opts: HashMap::new(),
            }),
            owner,
        })
    }

    fn lock(&self) -> MutexGuard<'_, SockState> {
        lock(&self.st)
    }

    fn connected_oriented(&self) -> bool {
        self.stype == SOCK_STREAM || self.stype == SOCK_SEQPACKET
    }

    /// Credentials for data sent by plain write(2): the calling process's pid, the
    /// creator's ids.
    pub fn owner_cred(&self) -> Ucred {
        let (_, tgid) = crate::kernel::CURRENT.with(|c| c.get());
        Ucred {
            pid: if tgid != 0 { tgid } else { self.owner.pid },
            ..self.owner
        }
    }

    /// Two connected sockets (socketpair).
    pub fn pair(stype: i32, cred: Ucred) -> (Arc<UnixSocket>, Arc<UnixSocket>) {
        let a = UnixSocket::new(stype, cred);
        let b = UnixSocket::new(stype, cred);
        if stype == SOCK_DGRAM {
            a.lock().conn = Conn::Dgram {
                peer: Arc::downgrade(&b),
            };
            b.lock().conn = Conn::Dgram {
                peer: Arc::downgrade(&a),
            };
            a.rx.watch(&b.wq);
            b.rx.watch(&a.wq);
        } else {
            Self::link(&a, &b, UnixAddr::Unnamed, UnixAddr::Unnamed);
        }
        a.lock().peer_cred = Some(cred);
        b.lock().peer_cred = Some(cred);
        (a, b)
    }

    /// Connects two fresh stream/seqpacket sockets to each other.
    fn link(a: &Arc<UnixSocket>, b: &Arc<UnixSocket>, a_peer: UnixAddr, b_peer: UnixAddr) {
        a.rx.watch(&b.wq);
        b.rx.watch(&a.wq);
        a.lock().conn = Conn::Stream {
            tx: b.rx.clone(),
            peer_name: a_peer,
        };
        b.lock().conn = Conn::Stream {
            tx: a.rx.clone(),
            peer_name: b_peer,
        };
    }

    pub fn name(&self) -> UnixAddr {
        self.lock().name.clone()
    }

    pub fn peer_name(&self) -> Result<UnixAddr, Errno> {
        match &self.lock().conn {
            Conn::Stream { peer_name, .. } => Ok(peer_name.clone()),
            Conn::Dgram { peer } => peer.upgrade().map(|p| p.name()).ok_or(Errno::ENOTCONN),
            _ => Err(Errno::ENOTCONN),
        }
    }

    /// Binds to an abstract name or records a path binding (the caller created the
    /// socket file and passes its key).
    pub fn bind(
        self: &Arc<Self>,
        ns: &Namespace,
        addr: UnixAddr,
        inode: Option<(u64, u64)>,
    ) -> Result<(), Errno> {
        let mut st = self.lock();
        if st.name != UnixAddr::Unnamed {
            return Err(Errno::EINVAL);
        }
        match &addr {
            UnixAddr::Abstract(n) => ns.bind_abstract(n, self)?,
            UnixAddr::Path(_) => {
                let key = inode.ok_or(Errno::EINVAL)?;
                ns.bind_inode(key, self);
            }
            UnixAddr::Unnamed => {
                drop(st);
                return ns.autobind(self);
            }
        }
        st.name = addr;
        Ok(())
    }

    /// Whether the socket is bound.
    pub fn is_bound(&self) -> bool {
        self.lock().name != UnixAddr::Unnamed
    }

    pub fn listen(&self, backlog: i32, cred: Ucred) -> Result<(), Errno> {
        if !self.connected_oriented() {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut st = self.lock();
        if st.name == UnixAddr::Unnamed {
            return Err(Errno::EINVAL);
        }
        let backlog = backlog.clamp(0, SOMAXCONN) as usize;
        match &mut st.conn {
            Conn::None => {
                st.conn = Conn::Listening {
                    queue: VecDeque::new(),
                    backlog,
                };
                st.peer_cred = Some(cred);
            }
            Conn::Listening { backlog: b, .. } => *b = backlog,
            _ => return Err(Errno::EINVAL),
        }
        drop(st);
        self.wq.notify_all();
        Ok(())
    }

    /// Whether a listener has room for one more pending connection.
    pub fn backlog_has_room(&self) -> bool {
        match &self.lock().conn {
            Conn::Listening { queue, backlog } => queue.len() <= *backlog,
            _ => false,
        }
    }

    pub fn is_listening(&self) -> bool {
        matches!(self.lock().conn, Conn::Listening { .. })
    }

    /// Takes a pending connection (EAGAIN if none, EINVAL if not listening).
    pub fn try_accept(&self) -> Result<Arc<UnixSocket>, Errno> {
        if !self.connected_oriented() {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut st = self.lock();
        let Conn::Listening { queue, .. } = &mut st.conn else {
            return Err(Errno::EINVAL);
        };
        let s = queue.pop_front().ok_or(Errno::EAGAIN)?;
        drop(st);
        // A connecting task may wait for room in the backlog.
        self.wq.notify_all();
        Ok(s)
    }

    /// Connects a stream or seqpacket socket to listener `l` (EAGAIN when the backlog
    /// is full).
    pub fn try_connect(self: &Arc<Self>, l: &Arc<UnixSocket>, cred: Ucred) -> Result<(), Errno> {
        if l.stype != self.stype {
            return Err(Errno::EPROTOTYPE);
        }
        let mut st = self.lock();
        match st.conn {
            Conn::None => {}
            Conn::Listening { .. } => return Err(Errno::EINVAL),
            _ => return Err(Errno::EISCONN),
        }
        if Arc::ptr_eq(self, l) {
            // Not listening (checked above), so not a listener to connect to.
            return Err(Errno::ECONNREFUSED);
        }
        let my_name = st.name.clone();
        let mut ls = l.lock();
        let listener_cred = ls.peer_cred;
        let listener_name = ls.name.clone();
        let (l_passcred, l_sndbuf, l_rcvbuf) = (ls.passcred, ls.sndbuf, ls.rcvbuf);
        let Conn::Listening { queue, backlog } = &mut ls.conn else {
            return Err(Errno::ECONNREFUSED);
        };
        if queue.len() > *backlog {
            return Err(Errno::EAGAIN);
        }
        let server = UnixSocket::new(self.stype, l.owner);
        {
            let mut ss = server.lock();
            ss.name = listener_name.clone();
            ss.peer_cred = Some(cred);
            ss.passcred = l_passcred;
            ss.sndbuf = l_sndbuf;
            ss.rcvbuf = l_rcvbuf;
            ss.conn = Conn::Stream {
                tx: self.rx.clone(),
                peer_name: my_name,
            };
        }
        self.rx.watch(&server.wq);
        server.rx.watch(&self.wq);
        st.conn = Conn::Stream {
            tx: server.rx.clone(),
            peer_name: listener_name,
        };
        st.peer_cred = listener_cred;
        queue.push_back(server);
        drop(ls);
        drop(st);
        l.wq.notify_all();
        self.wq.notify_all();
        Ok(())
    }

    /// Sets (or with None clears) the default destination of a datagram socket.
    pub fn connect_dgram(&self, peer: Option<&Arc<UnixSocket>>) -> Result<(), Errno> {
        if let Some(p) = peer {
            if p.stype != self.stype {
                return Err(Errno::EPROTOTYPE);
            }
            p.rx.watch(&self.wq);
        }
        let mut st = self.lock();
        st.conn = match peer {
            Some(p) => Conn::Dgram {
                peer: Arc::downgrade(p),
            },
            None => Conn::None,
        };
        drop(st);
        self.wq.notify_all();
        Ok(())
    }

    /// Whether a stream/seqpacket socket is connected.
    pub fn is_connected(&self) -> bool {
        matches!(self.lock().conn, Conn::Stream { .. } | Conn::Dgram { .. })
    }

    /// Sends `data` (EAGAIN when there is no room). `to` is the destination of an
    /// unconnected datagram socket (looked up by the caller). Returns the bytes taken;
    /// a stream may take part of `data`. `rights` move into the first message sent.
    pub fn try_send(
        self: &Arc<Self>,
        data: &[u8],
        cred: Ucred,
        rights: &mut Vec<Arc<OpenFile>>,
        to: Option<&Arc<UnixSocket>>,
    ) -> Result<usize, Errno> {
        if self.stype == SOCK_DGRAM {
            return self.send_dgram(data, cred, rights, to);
        }
        let st = self.lock();
        let (tx, sndbuf, from) = match &st.conn {
            Conn::Stream { tx, .. } => (tx.clone(), st.sndbuf, st.name.clone()),
            _ => {
                return Err(if to.is_some() {
                    Errno::EOPNOTSUPP
                } else {
                    Errno::ENOTCONN
                })
            }
        };
        if to.is_some() {
            return Err(Errno::EISCONN);
        }
        drop(st);
        let mut c = tx.lock();
        if c.wr_shut || c.rd_shut {
            return Err(Errno::EPIPE);
        }
        let room = sndbuf.saturating_sub(c.bytes);
        let n = if self.stype == SOCK_SEQPACKET {
            if data.len() > sndbuf.saturating_sub(32) {
                return Err(Errno::EMSGSIZE);
            }
            if data.len() > room || (room == 0 && c.bytes > 0) {
                return Err(Errno::EAGAIN);
            }
            data.len()
        } else {
            if data.is_empty() {
                return Ok(0);
            }
            if room == 0 {
                return Err(Errno::EAGAIN);
            }
            data.len().min(room)
        };
        c.msgs.push_back(Msg {
            data: data[..n].to_vec(),
            off: 0,
            from,
            cred,
            rights: std::mem::take(rights),
            oob: false,
        });
        c.bytes += n;
        drop(c);
        tx.notify();
        Ok(n)
    }

    fn send_dgram(
        self: &Arc<Self>,
        data: &[u8],
        cred: Ucred,
        rights: &mut Vec<Arc<OpenFile>>,
        to: Option<&Arc<UnixSocket>>,
    ) -> Result<usize, Errno> {
        let mut st = self.lock();
        if st.send_shut {
            return Err(Errno::EPIPE);
        }
        if data.len() > st.sndbuf.saturating_sub(32) {
            return Err(Errno::EMSGSIZE);
        }
        let target = match to {
            Some(t) => t.clone(),
            None => match &st.conn {
                Conn::Dgram { peer } => match peer.upgrade() {
                    Some(p) => p,
                    None => {
                        // The peer is gone: report it once, then the socket is
                        // unconnected.
                        st.conn = Conn::None;
                        return Err(Errno::ECONNREFUSED);
                    }
                },
                _ => return Err(Errno::ENOTCONN),
            },
        };
        let from = st.name.clone();
        drop(st);
        if target.stype != SOCK_DGRAM {
            return Err(Errno::EPROTOTYPE);
        }
        if !Arc::ptr_eq(&target, self) {
            // A socket connected to another one accepts datagrams only from it.
            let ts = target.lock();
            if let Conn::Dgram { peer } = &ts.conn {
                if peer.as_ptr() != Arc::as_ptr(self) && peer.strong_count() > 0 {
                    return Err(Errno::EPERM);
                }
            }
        }
        let mut c = target.rx.lock();
        if c.rd_shut {
            return Err(Errno::EPIPE);
        }
        if c.msgs.len() >= MAX_DGRAM_QLEN || c.bytes + data.len() > 64 * DEFAULT_BUF {
            return Err(Errno::EAGAIN);
        }
        c.msgs.push_back(Msg {
            data: data.to_vec(),
            off: 0,
            from,
            cred,
            rights: std::mem::take(rights),
            oob: false,
        });
        c.bytes += data.len();
        drop(c);
        target.rx.notify();
        Ok(data.len())
    }

    /// The destination wait queue a blocked sender of a datagram to `to` waits on.
    pub fn send_wait_queues(&self, to: Option<&Arc<UnixSocket>>) -> Vec<Arc<WaitQueue>> {
        let mut v = vec![self.wq.clone()];
        if let Some(t) = to {
            v.push(t.wq.clone());
        } else if let Conn::Dgram { peer } = &self.lock().conn {
            if let Some(p) = peer.upgrade() {
                v.push(p.wq.clone());
            }
        }
        v
    }

    /// Whether a send could make progress now (or fail): for blocked senders.
    pub fn send_ready(&self, to: Option<&Arc<UnixSocket>>) -> bool {
        let target = match to {
            Some(t) => Some(t.clone()),
            None => {
                let st = self.lock();
                match &st.conn {
                    Conn::Dgram { peer } => peer.upgrade(),
                    Conn::Stream { tx, .. } => {
                        let c = tx.lock();
                        return c.wr_shut || c.rd_shut || c.bytes < st.sndbuf;
                    }
                    _ => return true,
                }
            }
        };
        match target {
            Some(t) => {
                let c = t.rx.lock();
                c.rd_shut || c.msgs.len() < MAX_DGRAM_QLEN
            }
            None => true,
        }
    }

    /// Receives up to `max` bytes (EAGAIN when nothing is there). Streams return what is
    /// queued (up to `max`), stopping after a message that carried file descriptors;
    /// records (datagram, seqpacket) come whole, truncated to `max`.
    pub fn try_recv(&self, max: usize, peek: bool) -> Result<Received, Errno> {
        let (passcred, stream, inline) = {
            let st = self.lock();
            match &st.conn {
                Conn::Listening { .. } => return Err(Errno::EINVAL),
                Conn::None if self.connected_oriented() => return Err(Errno::EINVAL),
                _ => {}
            }
            let inline = st
                .plain_opts
                .get(&10)
                .is_some_and(|v| v.iter().any(|&b| b != 0));
            (st.passcred, self.stype == SOCK_STREAM, inline)
        };
        let mut c = self.rx.lock();
        if c.msgs.is_empty() {
            if let Some(e) = c.err.take() {
                return Err(e);
            }
            // A datagram socket shut for reading still says EAGAIN without waiting; only
            // a blocking receive ends with 0 (recv_common).
            if (c.rd_shut || c.wr_shut) && self.stype != SOCK_DGRAM {
                return Ok(Received {
                    data: Vec::new(),
                    full_len: 0,
                    from: UnixAddr::Unnamed,
                    cred: None,
                    rights: Vec::new(),
                });
            }
            return Err(Errno::EAGAIN);
        }
        let mut out = Received {
            data: Vec::new(),
            full_len: 0,
            from: UnixAddr::Unnamed,
            cred: None,
            rights: Vec::new(),
        };
        if !stream {
            let m = if peek { c.msgs.front() } else { None };
            let taken;
            let m = match m {
                Some(m) => m,
                None => {
                    let Some(mm) = c.msgs.pop_front() else {
                        return Err(Errno::EAGAIN);
                    };
                    c.bytes -= mm.data.len();
                    taken = mm;
                    &taken
                }
            };
            out.data = m.data[..m.data.len().min(max)].to_vec();
            out.full_len = m.data.len();
            out.from = m.from.clone();
            out.cred = passcred.then_some(m.cred);
            out.rights = m.rights.clone();
            drop(c);
            if !peek {
                self.rx.notify_read();
            }
            return Ok(out);
        }
        // A stream: gather bytes across messages.
        let mut i = 0;
        while out.data.len() < max && i < c.msgs.len() {
            if c.msgs[i].oob {
                // The urgent byte (manage_oob): a read stops in front of it; a read that
                // starts there takes it as data with SO_OOBINLINE, else drops it (a
                // peek skips it).
                if !out.data.is_empty() {
                    break;
                }
                if inline {
                    if !peek {
                        c.msgs[i].oob = false;
                    }
                } else if peek {
                    i += 1;
                    continue;
                } else {
                    if let Some(m) = c.msgs.remove(i) {
                        c.bytes -= m.data.len() - m.off;
                    }
                    continue;
                }
            }
            let m = &c.msgs[i];
            if passcred {
                // Never glue data of different writers.
                match out.cred {
                    Some(cr) if cr != m.cred => break,
                    None => out.cred = Some(m.cred),
                    _ => {}
                }
            }
            if i == 0 {
                out.from = m.from.clone();
            }
            let avail = &m.data[m.off..];
            let k = avail.len().min(max - out.data.len());
            out.data.extend_from_slice(&avail[..k]);
            let had_rights = !m.rights.is_empty();
            if had_rights {
                out.rights = m.rights.clone();
            }
            if !peek {
                let m = &mut c.msgs[i];
                m.rights.clear();
                m.off += k;
                if m.off == m.data.len() {
                    c.msgs.remove(i);
                } else {
                    i += 1;
                }
                c.bytes -= k;
            } else {
                i += 1;
            }
            if had_rights {
                break;
            }
        }
        out.full_len = out.data.len();
        if max > 0 && out.data.is_empty() && out.rights.is_empty() {
            // Only an urgent byte was there (dropped or skipped).
            let eof = c.msgs.is_empty() && (c.rd_shut || c.wr_shut);
            drop(c);
            if !peek {
                self.rx.notify_read();
            }
            return if eof { Ok(out) } else { Err(Errno::EAGAIN) };
        }
        drop(c);
        if !peek {
            self.rx.notify_read();
        }
        Ok(out)
    }

    /// Queues the urgent byte of a stream send with MSG_OOB (queue_oob): it becomes a
    /// message of its own, and an earlier urgent byte still queued turns into plain data.
    pub fn send_oob(&self, byte: u8, cred: Ucred) -> Result<(), Errno> {
        let st = self.lock();
        let (tx, from) = match &st.conn {
            Conn::Stream { tx, .. } => (tx.clone(), st.name.clone()),
            _ => return Err(Errno::ENOTCONN),
        };
        drop(st);
        let mut c = tx.lock();
        if c.wr_shut || c.rd_shut {
            return Err(Errno::EPIPE);
        }
        for m in c.msgs.iter_mut() {
            m.oob = false;
        }
        c.msgs.push_back(Msg {
            data: vec![byte],
            off: 0,
            from,
            cred,
            rights: Vec::new(),
            oob: true,
        });
        c.bytes += 1;
        drop(c);
        tx.notify();
        Ok(())
    }

    /// recv(MSG_OOB) on a stream (unix_stream_recv_urg): the pending urgent byte.
    pub fn recv_oob(&self, peek: bool) -> Result<u8, Errno> {
        if self.stype != SOCK_STREAM {
            return Err(Errno::EOPNOTSUPP);
        }
        if self.oob_inline() {
            return Err(Errno::EINVAL);
        }
        let mut c = self.rx.lock();
        let i = c.msgs.iter().position(|m| m.oob).ok_or(Errno::EINVAL)?;
        let byte = c.msgs[i].data.last().copied().ok_or(Errno::EINVAL)?;
        if !peek {
            if let Some(m) = c.msgs.remove(i) {
                c.bytes -= m.data.len() - m.off;
            }
            drop(c);
            self.rx.notify_read();
        }
        Ok(byte)
    }

    /// SIOCATMARK: whether the next byte to read is the urgent one.
    pub fn at_mark(&self) -> Result<bool, Errno> {
        if self.stype != SOCK_STREAM {
            return Err(Errno::EOPNOTSUPP);
        }
        Ok(self.rx.lock().msgs.front().is_some_and(|m| m.oob))
    }

    /// SO_OOBINLINE: urgent bytes stay in the normal stream.
    fn oob_inline(&self) -> bool {
        self.plain_opt(10)
            .is_some_and(|v| v.iter().any(|&b| b != 0))
    }

    /// Whether receiving was shut down (by us, or by a connected peer's SHUT_WR).
    pub fn rcv_shutdown(&self) -> bool {
        let c = self.rx.lock();
        c.rd_shut || c.wr_shut
    }

    /// Readiness for poll (unix_poll, unix_dgram_poll).
    pub fn readiness(&self) -> u32 {
        let st = self.lock();
        let mut r = 0;
        if let Conn::Listening { queue, .. } = &st.conn {
            return if queue.is_empty() { 0 } else { READABLE };
        }
        let (rcv_shut, nonempty, err, urgent) = {
            let c = self.rx.lock();
            (
                c.rd_shut || c.wr_shut,
                !c.msgs.is_empty(),
                c.err.is_some(),
                c.msgs.iter().any(|m| m.oob),
            )
        };
        if urgent {
            r |= crate::vfs::POLLPRI;
        }
        if err {
            r |= POLLERR;
        }
        if nonempty {
            r |= READABLE;
        }
        if rcv_shut {
            r |= READABLE | POLLRDHUP;
        }
        let send_shut = match &st.conn {
            Conn::Stream { tx, .. } => {
                let c = tx.lock();
                if c.bytes * 4 <= st.sndbuf {
                    r |= WRITABLE;
                }
                c.wr_shut || c.rd_shut
            }
            Conn::Dgram { peer } => {
                let full = peer.upgrade().is_some_and(|p| {
                    !Arc::ptr_eq(&p.rx, &self.rx) && p.rx.lock().msgs.len() >= MAX_DGRAM_QLEN
                });
                if !full {
                    r |= WRITABLE;
                }
                st.send_shut
            }
            _ => {
                r |= WRITABLE;
                if self.connected_oriented() {
                    r |= POLLHUP;
                }
                st.send_shut
            }
        };
        if rcv_shut && send_shut {
            r |= POLLHUP;
        }
        r
    }

    /// shutdown(2): 0 = SHUT_RD, 1 = SHUT_WR, 2 = SHUT_RDWR.
    pub fn shutdown(&self, how: i32) -> Result<(), Errno> {
        if !(0..=2).contains(&how) {
            return Err(Errno::EINVAL);
        }
        let mut st = self.lock();
        let rd = how != 1;
        let wr = how != 0;
        if rd {
            self.rx.lock().rd_shut = true;
        }
        let tx = match &st.conn {
            Conn::Stream { tx, .. } => Some(tx.clone()),
            _ => None,
        };
        if wr {
            st.send_shut = true;
            if let Some(tx) = &tx {
                tx.lock().wr_shut = true;
            }
        }
        drop(st);
        self.rx.notify();
        if let Some(tx) = tx {
            tx.notify();
        }
        self.wq.notify_all();
        Ok(())
    }

    /// FIONREAD: queued bytes (streams, seqpacket) or the next datagram's size.
    pub fn inq(&self) -> Result<usize, Errno> {
        if self.is_listening() {
            return Err(Errno::EINVAL);
        }
        let c = self.rx.lock();
        Ok(if self.stype == SOCK_DGRAM {
            c.msgs.front().map(|m| m.data.len()).unwrap_or(0)
        } else {
            c.bytes
        })
    }

    /// SIOCOUTQ: bytes sent and not yet received.
    pub fn outq(&self) -> Result<usize, Errno> {
        let st = self.lock();
        match &st.conn {
            Conn::Stream { tx, .. } => Ok(tx.lock().bytes),
            _ => Ok(0),
        }
    }

    /// SO_ERROR: takes the pending error.
    pub fn take_error(&self) -> i32 {
        self.rx.lock().err.take().map(|e| e.0).unwrap_or(0)
    }

    pub fn peer_cred(&self) -> Ucred {
        self.lock().peer_cred.unwrap_or(Ucred::NONE)
    }

    pub fn passcred(&self) -> bool {
        self.lock().passcred
    }

    pub fn set_passcred(&self, on: bool) {
        self.lock().passcred = on;
    }

    pub fn bufs(&self) -> (usize, usize) {
        let st = self.lock();
        (st.sndbuf, st.rcvbuf)
    }

    pub fn set_sndbuf(&self, v: usize) {
        self.lock().sndbuf = v;
        self.wq.notify_all();
    }

    pub fn set_rcvbuf(&self, v: usize) {
        self.lock().rcvbuf = v;
    }

    pub fn timeouts(&self) -> (Option<Duration>, Option<Duration>) {
        let st = self.lock();
        (st.rcvtimeo, st.sndtimeo)
    }

    pub fn set_timeout(&self, send: bool, v: Option<Duration>) {
        let mut st = self.lock();
        if send {
            st.sndtimeo = v;
        } else {
            st.rcvtimeo = v;
        }
    }

    /// A stored option without effect on Unix sockets.
    pub fn plain_opt(&self, opt: i32) -> Option<Vec<u8>> {
        self.lock().plain_opts.get(&opt).cloned()
    }

    pub fn set_plain_opt(&self, opt: i32, v: Vec<u8>) {
        self.lock().plain_opts.insert(opt, v);
    }
}

impl Drop for UnixSocket {
    fn drop(&mut self) {
        let st = self.st.get_mut().unwrap_or_else(|p| p.into_inner());
        // In-flight files are dropped after the locks are released.
        let unread: Vec<Msg> = {
            let mut c = self.rx.lock();
            c.rd_shut = true;
            c.bytes = 0;
            c.msgs.drain(..).collect()
        };
        match std::mem::replace(&mut st.conn, Conn::None) {
            Conn::Stream { tx, .. } => {
                {
                    let mut c = tx.lock();
                    c.wr_shut = true;
                    if !unread.is_empty() {
                        c.err = Some(Errno::ECONNRESET);
                    }
                }
                tx.notify();
            }
            Conn::Listening { queue, .. } => {
                // Connections never accepted: their clients see ECONNRESET.
                for s in queue {
                    if let Conn::Stream { tx, .. } = &s.lock().conn {
                        tx.lock().err = Some(Errno::ECONNRESET);
                    }
                }
            }
            _ => {}
        }
        self.rx.notify();
        drop(unread);
    }
}
