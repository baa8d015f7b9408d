//! epoll, eventfd, timerfd and signalfd.

use super::TaskCtx;
use crate::fsimpl::events::{
    as_epoll, EpollFile, EventFd, Interest, SignalFd, TimerFd, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE,
    EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLWAKEUP,
};
use crate::vfs::{OpenFile, O_CLOEXEC, O_NONBLOCK, O_RDWR};
use crate::waiter::WaitQueue;
use husk_abi::{Errno, SysResult, Timespec};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn install(t: &TaskCtx, ops: Arc<dyn crate::vfs::FileOps>, flags: u32, name: &str) -> SysResult {
    let f = OpenFile::new_anon(ops, flags & !O_CLOEXEC, name.to_string());
    let limit = t.rlimit(7).rlim_cur;
    Ok(t.files.insert(f, flags & O_CLOEXEC != 0, 0, limit)? as u64)
}

pub fn epoll_create1(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] as u32 & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    install(
        t,
        Arc::new(EpollFile::default()),
        O_RDWR | (a[0] as u32 & O_CLOEXEC),
        "anon_inode:[eventpoll]",
    )
}

pub fn epoll_create(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[0] as i32) <= 0 {
        return Err(Errno::EINVAL);
    }
    epoll_create1(t, &[0; 6])
}

fn epoll_of(t: &TaskCtx, fd: u64) -> Result<Arc<OpenFile>, Errno> {
    let f = t.files.get(fd as i32)?;
    if as_epoll(&f).is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(f)
}

pub fn epoll_ctl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let ep_file = epoll_of(t, a[0])?;
    let ep = as_epoll(&ep_file).ok_or(Errno::EINVAL)?;
    let fd = a[2] as i32;
    let target = t.files.get(fd)?;
    if Arc::ptr_eq(&target, &ep_file) {
        return Err(Errno::EINVAL);
    }
    // Files without a poll method cannot be watched: regular files, directories and
    // the memory devices /dev/null, /dev/zero and /dev/full.
    if target.dentry.as_ref().is_some_and(|d| {
        d.inode
            .attr()
            .map(|x| match x.file_type() {
                crate::vfs::S_IFREG | crate::vfs::S_IFDIR => true,
                crate::vfs::S_IFCHR => [(1, 3), (1, 5), (1, 7)]
                    .iter()
                    .any(|&(ma, mi)| x.rdev == crate::fsimpl::simple::makedev(ma, mi)),
                _ => false,
            })
            .unwrap_or(false)
    }) {
        return Err(Errno::EPERM);
    }
    let key = (fd, Arc::as_ptr(&target) as *const () as usize);
    let op = a[1];
    let (events, data) = if op != 2 {
        let mut b = [0u8; 12];
        t.mm.copy_in(a[3], &mut b)?;
        let ev = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let mut d = [0u8; 8];
        d.copy_from_slice(&b[4..12]);
        (ev, u64::from_le_bytes(d))
    } else {
        (0, 0)
    };
    // EPOLLEXCLUSIVE: only at ADD, with few other bits, and not on an epoll fd.
    if op != 2 && events & EPOLLEXCLUSIVE != 0 {
        const OK_BITS: u32 =
            EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
        if op == 3 || (op == 1 && (as_epoll(&target).is_some() || events & !OK_BITS != 0)) {
            return Err(Errno::EINVAL);
        }
    }
    // Watching an epoll instance that (transitively) watches this one is a loop.
    if op == 1 && as_epoll(&target).is_some() && reaches(&target, &ep_file, 0) {
        return Err(Errno::ELOOP);
    }
    let mut ints = ep.interests.lock().unwrap_or_else(|p| p.into_inner());
    match op {
        1 => {
            if ints.contains_key(&key) {
                return Err(Errno::EEXIST);
            }
            if let Some(q) = target.ops.wait_queue() {
                q.add_forward(&ep.wq);
            }
            ints.insert(
                key,
                Interest {
                    file: Arc::downgrade(&target),
                    events,
                    data,
                    disabled: false,
                    last: 0,
                    last_gen: 0,
                },
            );
        }
        2 => {
            ints.remove(&key).ok_or(Errno::ENOENT)?;
            if let Some(q) = target.ops.wait_queue() {
                q.remove_forward(&ep.wq);
            }
        }
        3 => {
            let i = ints.get_mut(&key).ok_or(Errno::ENOENT)?;
            if i.events & EPOLLEXCLUSIVE != 0 {
                return Err(Errno::EINVAL);
            }
            i.events = events;
            i.data = data;
            i.disabled = false;
            i.last = 0;
            i.last_gen = 0;
        }
        _ => return Err(Errno::EINVAL),
    }
    drop(ints);
    ep.wq.notify_all();
    Ok(0)
}

/// Whether epoll instance `from` watches `to`, directly or through nested instances;
/// paths deeper than Linux's EP_MAX_NESTS count as loops too.
fn reaches(from: &Arc<OpenFile>, to: &Arc<OpenFile>, depth: u32) -> bool {
    if Arc::ptr_eq(from, to) || depth > 4 {
        return true;
    }
    let Some(ep) = as_epoll(from) else {
        return false;
    };
    ep.files()
        .iter()
        .filter(|f| as_epoll(f).is_some())
        .any(|f| reaches(f, to, depth + 1))
}

fn do_wait(t: &mut TaskCtx, a: &[u64; 6], deadline: Option<Instant>) -> SysResult {
    let max = a[2] as i32;
    if max <= 0 || max as usize > (i32::MAX as usize) / 12 {
        return Err(Errno::EINVAL);
    }
    let ep_file = epoll_of(t, a[0])?;
    let ep = as_epoll(&ep_file).ok_or(Errno::EINVAL)?;
    let max = (max as usize).min(4096);
    let events = loop {
        let evs = ep.collect(max);
        if !evs.is_empty() || deadline.is_some_and(|d| d <= Instant::now()) {
            break evs;
        }
        let files = ep.files();
        let mut queues: Vec<Arc<WaitQueue>> =
            files.iter().filter_map(|f| f.ops.wait_queue()).collect();
        queues.push(ep.wq.clone());
        let mut step = deadline;
        let mut bound = |x: Option<Instant>| {
            if let Some(x) = x {
                step = Some(step.map_or(x, |s| s.min(x)));
            }
        };
        if files.iter().any(|f| f.ops.polls_host()) {
            bound(Some(Instant::now() + Duration::from_millis(10)));
        }
        bound(files.iter().filter_map(|f| f.ops.deadline()).min());
        match t.block_on(&queues, step, |_| {
            let e = ep.collect(max);
            (!e.is_empty()).then_some(e)
        }) {
            Ok(e) => break e,
            Err(Errno::ETIMEDOUT) => continue,
            Err(_) => return Err(Errno::EINTR),
        }
    };
    let mut out = Vec::with_capacity(events.len() * 12);
    for (ev, data) in &events {
        out.extend_from_slice(&ev.to_le_bytes());
        out.extend_from_slice(&data.to_le_bytes());
    }
    t.mm.copy_out(a[1], &out)?;
    Ok(events.len() as u64)
}

fn ms_deadline(ms: i32) -> Option<Instant> {
    if ms < 0 {
        None
    } else {
        Some(Instant::now() + Duration::from_millis(ms as u64))
    }
}

pub fn epoll_wait(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_wait(t, a, ms_deadline(a[3] as i32))
}

fn with_mask(
    t: &mut TaskCtx,
    mask_addr: u64,
    size: u64,
    f: impl FnOnce(&mut TaskCtx) -> SysResult,
) -> SysResult {
    if mask_addr != 0 {
        if size != 8 {
            return Err(Errno::EINVAL);
        }
        let m: u64 = t.mm.read_obj(mask_addr)?;
        let old = t.mask();
        t.saved_mask = Some(old);
        t.set_mask(m);
    }
    let r = f(t);
    if r != Err(Errno::EINTR) {
        if let Some(m) = t.saved_mask.take() {
            t.set_mask(m);
        }
    }
    r
}

pub fn epoll_pwait(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let dl = ms_deadline(a[3] as i32);
    with_mask(t, a[4], a[5], |t| do_wait(t, a, dl))
}

pub fn epoll_pwait2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let dl = if a[3] == 0 {
        None
    } else {
        let ts: Timespec = t.mm.read_obj(a[3])?;
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some(Instant::now() + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    };
    with_mask(t, a[4], a[5], |t| do_wait(t, a, dl))
}

pub fn eventfd2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let flags = a[1] as u32;
    if flags & !(1 | O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let ops = Arc::new(EventFd::new(a[0] as u32 as u64, flags & 1 != 0));
    install(
        t,
        ops,
        O_RDWR | (flags & (O_CLOEXEC | O_NONBLOCK)),
        "anon_inode:[eventfd]",
    )
}

pub fn eventfd(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    eventfd2(t, &[a[0], 0, 0, 0, 0, 0])
}

pub fn timerfd_create(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let flags = a[1] as u32;
    if !matches!(a[0], 0 | 1 | 7 | 8 | 9) || flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    install(
        t,
        Arc::new(TimerFd::new(a[0] as i32)),
        O_RDWR | flags,
        "anon_inode:[timerfd]",
    )
}

fn timerfd_of(t: &TaskCtx, fd: u64) -> Result<Arc<OpenFile>, Errno> {
    let f = t.files.get(fd as i32)?;
    if f.ops
        .as_any()
        .and_then(|a| a.downcast_ref::<TimerFd>())
        .is_none()
    {
        return Err(Errno::EINVAL);
    }
    Ok(f)
}

fn ts_of(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: d.subsec_nanos() as i64,
    }
}

fn dur(ts: Timespec) -> Result<Duration, Errno> {
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

pub fn timerfd_settime(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = timerfd_of(t, a[0])?;
    let tf = f
        .ops
        .as_any()
        .and_then(|x| x.downcast_ref::<TimerFd>())
        .ok_or(Errno::EINVAL)?;
    let flags = a[1];
    if flags & !3 != 0 {
        return Err(Errno::EINVAL);
    }
    let new: [Timespec; 2] = t.mm.read_obj(a[2])?;
    let interval = dur(new[0])?;
    let value = dur(new[1])?;
    let when = if value.is_zero() {
        None
    } else if flags & 1 != 0 {
        // TFD_TIMER_ABSTIME: relative to the current value of the timer's clock.
        let now = super::time::clock_value(t, tf.clock)?;
        Some(Instant::now() + value.saturating_sub(now))
    } else {
        Some(Instant::now() + value)
    };
    let (rem, int) = tf.set(when, interval);
    if a[3] != 0 {
        t.mm.write_obj(a[3], &[ts_of(int), ts_of(rem)])?;
    }
    Ok(0)
}

pub fn timerfd_gettime(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = timerfd_of(t, a[0])?;
    let tf = f
        .ops
        .as_any()
        .and_then(|x| x.downcast_ref::<TimerFd>())
        .ok_or(Errno::EINVAL)?;
    let (rem, int) = tf.get();
    t.mm.write_obj(a[1], &[ts_of(int), ts_of(rem)])?;
    Ok(0)
}

pub fn signalfd4(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[2] != 8 {
        return Err(Errno::EINVAL);
    }
    let flags = a[3] as u32;
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let mask: u64 = t.mm.read_obj(a[1])?;
    let mask = mask & !crate::kernel::sigqueue::UNBLOCKABLE;
    if a[0] as i32 != -1 {
        let f = t.files.get(a[0] as i32)?;
        let sf = f
            .ops
            .as_any()
            .and_then(|x| x.downcast_ref::<SignalFd>())
            .ok_or(Errno::EINVAL)?;
        *sf.mask.lock().unwrap_or_else(|p| p.into_inner()) = mask;
        return Ok(a[0] as i32 as u64);
    }
    let ops = Arc::new(SignalFd::new(Arc::downgrade(&t.k), mask));
    install(t, ops, O_RDWR | flags, "anon_inode:[signalfd]")
}

pub fn signalfd(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    signalfd4(t, &[a[0], a[1], a[2], 0, 0, 0])
}
