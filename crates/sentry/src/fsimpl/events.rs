//! Event files: eventfd, timerfd, signalfd and epoll, all inside the Sentry.

use crate::kernel::{Kernel, CURRENT};
use crate::vfs::*;
use crate::waiter::WaitQueue;
use husk_abi::{Errno, SigInfo};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- eventfd ----

/// An eventfd counter.
pub struct EventFd {
    count: Mutex<u64>,
    semaphore: bool,
    wq: Arc<WaitQueue>,
}

impl EventFd {
    pub fn new(init: u64, semaphore: bool) -> EventFd {
        EventFd {
            count: Mutex::new(init),
            semaphore,
            wq: WaitQueue::new(),
        }
    }
}

impl FileOps for EventFd {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut c = lock(&self.count);
        if *c == 0 {
            return Err(Errno::EAGAIN);
        }
        let v = if self.semaphore { 1 } else { *c };
        *c -= v;
        drop(c);
        buf[..8].copy_from_slice(&v.to_le_bytes());
        self.wq.notify_all();
        Ok(8)
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; 8];
        b.copy_from_slice(&buf[..8]);
        let v = u64::from_le_bytes(b);
        if v == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let mut c = lock(&self.count);
        if u64::MAX - 1 - *c < v {
            return Err(Errno::EAGAIN);
        }
        *c += v;
        drop(c);
        self.wq.notify_all();
        Ok(8)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        let c = *lock(&self.count);
        let mut r = 0;
        if c > 0 {
            r |= POLLIN;
        }
        if c < u64::MAX - 1 {
            r |= POLLOUT;
        }
        r
    }

    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.wq.clone())
    }
}

// ---- timerfd ----

struct TimerState {
    /// Next expiry on the monotonic clock.
    next: Option<Instant>,
    interval: Duration,
    /// Expirations not yet read.
    pending: u64,
}

/// A timerfd.
pub struct TimerFd {
    /// The clock ID given to timerfd_create (absolute times are on this clock).
    pub clock: i32,
    state: Mutex<TimerState>,
    wq: Arc<WaitQueue>,
}

impl TimerFd {
    pub fn new(clock: i32) -> TimerFd {
        TimerFd {
            clock,
            state: Mutex::new(TimerState {
                next: None,
                interval: Duration::ZERO,
                pending: 0,
            }),
            wq: WaitQueue::new(),
        }
    }

    /// Brings the expiration count up to date.
    fn update(s: &mut TimerState) {
        let now = Instant::now();
        if let Some(next) = s.next {
            if now >= next {
                if s.interval.is_zero() {
                    s.pending += 1;
                    s.next = None;
                } else {
                    let n = ((now - next).as_nanos() / s.interval.as_nanos()) as u64 + 1;
                    s.pending += n;
                    s.next = Some(next + s.interval * n as u32);
                }
            }
        }
    }

    /// Arms (or with `value == None` disarms) the timer; returns the old (remaining,
    /// interval).
    pub fn set(&self, value: Option<Instant>, interval: Duration) -> (Duration, Duration) {
        let mut s = lock(&self.state);
        Self::update(&mut s);
        let old = (
            s.next
                .map(|n| n.saturating_duration_since(Instant::now()))
                .unwrap_or_default(),
            s.interval,
        );
        s.next = value;
        s.interval = interval;
        s.pending = 0;
        drop(s);
        self.wq.notify_all();
        old
    }

    /// (remaining, interval).
    pub fn get(&self) -> (Duration, Duration) {
        let mut s = lock(&self.state);
        Self::update(&mut s);
        (
            s.next
                .map(|n| n.saturating_duration_since(Instant::now()))
                .unwrap_or_default(),
            s.interval,
        )
    }
}

impl FileOps for TimerFd {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut s = lock(&self.state);
        Self::update(&mut s);
        if s.pending == 0 {
            return Err(Errno::EAGAIN);
        }
        buf[..8].copy_from_slice(&s.pending.to_le_bytes());
        s.pending = 0;
        Ok(8)
    }

    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        let mut s = lock(&self.state);
        Self::update(&mut s);
        if s.pending > 0 {
            POLLIN
        } else {
            0
        }
    }

    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.wq.clone())
    }

    fn deadline(&self) -> Option<Instant> {
        lock(&self.state).next
    }
}

// ---- signalfd ----

/// A signalfd: reads the pending signals in its mask of the task that reads it.
pub struct SignalFd {
    pub kernel: Weak<Kernel>,
    pub mask: Mutex<u64>,
    wq: Arc<WaitQueue>,
}

impl SignalFd {
    pub fn new(kernel: Weak<Kernel>, mask: u64) -> SignalFd {
        SignalFd {
            kernel,
            mask: Mutex::new(mask),
            wq: WaitQueue::new(),
        }
    }

    fn take(&self, peek: bool) -> Option<SigInfo> {
        let k = self.kernel.upgrade()?;
        let (tid, tgid) = CURRENT.with(|c| c.get());
        let mask = *lock(&self.mask);
        let mut st = k.lock();
        let blocked = !mask;
        if peek {
            let t = st.threads.get(&tid).map(|t| t.pending.set()).unwrap_or(0);
            let p = st
                .procs
                .get(&tgid)
                .map(|p| p.shared_pending.set())
                .unwrap_or(0);
            return ((t | p) & mask != 0).then(SigInfo::default);
        }
        st.threads
            .get_mut(&tid)
            .and_then(|t| t.pending.take(blocked))
            .or_else(|| {
                st.procs
                    .get_mut(&tgid)
                    .and_then(|p| p.shared_pending.take(blocked))
            })
    }
}

/// `struct signalfd_siginfo` (128 bytes) from a siginfo.
fn signalfd_siginfo(si: &SigInfo) -> [u8; 128] {
    let mut b = [0u8; 128];
    b[0..4].copy_from_slice(&(si.si_signo as u32).to_le_bytes());
    b[4..8].copy_from_slice(&si.si_errno.to_le_bytes());
    b[8..12].copy_from_slice(&si.si_code.to_le_bytes());
    let pid = si.fields[0] as u32;
    let uid = (si.fields[0] >> 32) as u32;
    b[12..16].copy_from_slice(&pid.to_le_bytes());
    b[16..20].copy_from_slice(&uid.to_le_bytes());
    // ssi_status at 48, ssi_utime/stime at 56/64 for SIGCHLD; ssi_int/ptr at 44/72.
    b[48..52].copy_from_slice(&(si.fields[1] as u32).to_le_bytes());
    b[44..48].copy_from_slice(&(si.fields[1] as u32).to_le_bytes());
    b[72..80].copy_from_slice(&si.fields[1].to_le_bytes());
    b[56..64].copy_from_slice(&si.fields[2].to_le_bytes());
    b[64..72].copy_from_slice(&si.fields[3].to_le_bytes());
    b
}

impl FileOps for SignalFd {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        if buf.len() < 128 {
            return Err(Errno::EINVAL);
        }
        let mut n = 0;
        while n + 128 <= buf.len() {
            match self.take(false) {
                Some(si) => {
                    buf[n..n + 128].copy_from_slice(&signalfd_siginfo(&si));
                    n += 128;
                }
                None => break,
            }
        }
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        Ok(n)
    }

    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        if self.take(true).is_some() {
            POLLIN
        } else {
            0
        }
    }

    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.wq.clone())
    }

    fn deadline(&self) -> Option<Instant> {
        // Signals wake the task's own waker; poll again soon in case they went to another
        // thread of the process.
        Some(Instant::now() + Duration::from_millis(50))
    }
}

// ---- epoll ----

pub const EPOLLIN: u32 = 0x001;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDHUP: u32 = 0x2000;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;

/// One registered file.
pub struct Interest {
    pub file: Weak<OpenFile>,
    pub events: u32,
    pub data: u64,
    /// EPOLLONESHOT fired: disabled until EPOLL_CTL_MOD.
    pub disabled: bool,
    /// Readiness at the last report (edge-triggered mode).
    pub last: u32,
    /// The file's wait-queue generation at the last report (edge-triggered mode).
    pub last_gen: u64,
}

/// An epoll instance.
#[derive(Default)]
pub struct EpollFile {
    pub interests: Mutex<BTreeMap<(i32, usize), Interest>>,
    pub wq: Arc<WaitQueue>,
}

impl EpollFile {
    /// The files registered (for waiting on their queues).
    pub fn files(&self) -> Vec<Arc<OpenFile>> {
        lock(&self.interests)
            .values()
            .filter_map(|i| i.file.upgrade())
            .collect()
    }

    /// Collects up to `max` ready events, applying ET and ONESHOT rules.
    pub fn collect(&self, max: usize) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut ints = lock(&self.interests);
        ints.retain(|_, i| i.file.strong_count() > 0);
        for i in ints.values_mut() {
            if out.len() >= max {
                break;
            }
            if i.disabled {
                continue;
            }
            let Some(f) = i.file.upgrade() else { continue };
            let want = (i.events & !(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP))
                | EPOLLERR
                | EPOLLHUP;
            let mut r = f.ops.readiness() & want;
            if r & EPOLLHUP != 0 && i.events & EPOLLRDHUP != 0 {
                r |= EPOLLRDHUP;
            }
            if i.events & EPOLLET != 0 {
                let gen = f.ops.wait_queue().map(|q| q.generation()).unwrap_or(0);
                let fresh = r & !i.last != 0 || (r != 0 && gen != i.last_gen);
                i.last = r;
                if !fresh {
                    continue;
                }
                i.last_gen = gen;
            }
            if r == 0 {
                continue;
            }
            out.push((r, i.data));
            if i.events & EPOLLONESHOT != 0 {
                i.disabled = true;
            }
        }
        out
    }
}

impl FileOps for EpollFile {
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        let ints = lock(&self.interests);
        for i in ints.values() {
            if i.disabled {
                continue;
            }
            if let Some(f) = i.file.upgrade() {
                if f.ops.readiness() & (i.events | EPOLLERR | EPOLLHUP) != 0 {
                    return POLLIN | crate::vfs::POLLRDNORM;
                }
            }
        }
        0
    }

    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.wq.clone())
    }

    fn polls_host(&self) -> bool {
        self.files().iter().any(|f| f.ops.polls_host())
    }

    fn deadline(&self) -> Option<Instant> {
        self.files().iter().filter_map(|f| f.ops.deadline()).min()
    }
}

/// Whether `f` is an epoll instance.
pub fn as_epoll(f: &OpenFile) -> Option<&EpollFile> {
    f.ops.as_any().and_then(|a| a.downcast_ref::<EpollFile>())
}
