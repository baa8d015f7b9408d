//! poll, ppoll, select, pselect6 over the Sentry's files.

use super::TaskCtx;
use crate::vfs::{OpenFile, POLLERR, POLLHUP, POLLIN, POLLNVAL, POLLOUT, POLLPRI};
use crate::waiter::WaitQueue;
use husk_abi::{Errno, PollFd, SysResult, Timespec, Timeval};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Waits until `check` reports ready fds or `deadline`; returns the count.
fn wait_ready(
    t: &mut TaskCtx,
    files: &[Option<Arc<OpenFile>>],
    deadline: Option<Instant>,
    mut check: impl FnMut() -> usize,
) -> Result<usize, Errno> {
    let n = check();
    if n > 0 || deadline.is_some_and(|d| d <= Instant::now()) {
        return Ok(n);
    }
    let queues: Vec<Arc<WaitQueue>> = files
        .iter()
        .flatten()
        .filter_map(|f| f.ops.wait_queue())
        .collect();
    let host = files.iter().flatten().any(|f| f.ops.polls_host());
    loop {
        let step = if host {
            Some(Instant::now() + Duration::from_millis(10))
        } else {
            deadline
        };
        let step = match (step, deadline) {
            (Some(s), Some(d)) => Some(s.min(d)),
            (s, None) => s,
            (None, d) => d,
        };
        // Timers change readiness by themselves: wake up at their next expiry.
        let timers = files
            .iter()
            .flatten()
            .filter_map(|f| f.ops.deadline())
            .min();
        let step = match (step, timers) {
            (Some(s), Some(d)) => Some(s.min(d)),
            (s, None) => s,
            (None, d) => d,
        };
        match t.block_on(&queues, step, |_| {
            let n = check();
            (n > 0).then_some(n)
        }) {
            Ok(n) => return Ok(n),
            Err(Errno::ETIMEDOUT) => {
                if deadline.is_some_and(|d| d <= Instant::now()) {
                    return Ok(0);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

fn do_poll(
    t: &mut TaskCtx,
    addr: u64,
    nfds: u64,
    deadline: Option<Instant>,
) -> Result<usize, Errno> {
    if nfds > t.rlimit(7).rlim_cur.max(1024) {
        return Err(Errno::EINVAL);
    }
    let mut fds: Vec<PollFd> = Vec::with_capacity(nfds as usize);
    for i in 0..nfds {
        fds.push(t.mm.read_obj(addr + i * 8)?);
    }
    let files: Vec<Option<Arc<OpenFile>>> = fds
        .iter()
        .map(|p| {
            if p.fd < 0 {
                None
            } else {
                t.files.get(p.fd).ok()
            }
        })
        .collect();
    let mut out = fds.clone();
    let n = wait_ready(t, &files, deadline, || {
        let mut n = 0;
        for (i, p) in fds.iter().enumerate() {
            let r = if p.fd < 0 {
                0
            } else {
                match &files[i] {
                    None => POLLNVAL,
                    Some(f) => f.ops.readiness() & (p.events as u32 | POLLERR | POLLHUP),
                }
            };
            out[i].revents = r as i16;
            if r != 0 {
                n += 1;
            }
        }
        n
    })?;
    for (i, p) in out.iter().enumerate() {
        t.mm.write_obj(addr + i as u64 * 8 + 6, &p.revents)?;
    }
    Ok(n)
}

pub fn poll(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let timeout = a[2] as i32;
    let deadline = if timeout < 0 {
        None
    } else {
        Some(Instant::now() + Duration::from_millis(timeout as u64))
    };
    match do_poll(t, a[0], a[1], deadline) {
        Ok(n) => Ok(n as u64),
        Err(Errno::EINTR) => Err(Errno::ERESTARTNOHAND),
        Err(e) => Err(e),
    }
}

fn ts_deadline(t: &TaskCtx, addr: u64) -> Result<Option<Instant>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: Timespec = t.mm.read_obj(addr)?;
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Some(
        Instant::now() + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32),
    ))
}

/// The time left before `deadline` (poll_select_finish): what ppoll, select and pselect6
/// write back into the caller's timeout.
fn time_left(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

/// Writes the remaining time back into a timespec timeout (ppoll, pselect6). A zero
/// timeout stays untouched and a failed write is ignored, like Linux.
fn finish_ts(t: &TaskCtx, addr: u64, deadline: Option<Instant>) {
    if let Some(d) = deadline {
        if addr != 0 {
            let left = time_left(d);
            let ts = Timespec {
                tv_sec: left.as_secs() as i64,
                tv_nsec: i64::from(left.subsec_nanos()),
            };
            let _ = t.mm.write_obj(addr, &ts);
        }
    }
}

/// Checks the sigsetsize of ppoll/pselect6 when a mask is given.
fn check_sigsetsize(mask: u64, size: u64) -> Result<(), Errno> {
    if mask != 0 && size != 8 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Applies a temporary signal mask for ppoll/pselect; restored after a handler runs.
fn temp_mask(t: &mut TaskCtx, addr: u64) -> Result<(), Errno> {
    if addr != 0 {
        let m: u64 = t.mm.read_obj(addr)?;
        let old = t.mask();
        t.saved_mask = Some(old);
        t.set_mask(m);
    }
    Ok(())
}

pub fn ppoll(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let deadline = ts_deadline(t, a[2])?;
    check_sigsetsize(a[3], a[4])?;
    temp_mask(t, a[3])?;
    let r = do_poll(t, a[0], a[1], deadline);
    finish_ts(t, a[2], deadline);
    match r {
        Ok(n) => {
            if let Some(m) = t.saved_mask.take() {
                t.set_mask(m);
            }
            Ok(n as u64)
        }
        Err(Errno::EINTR) => Err(Errno::ERESTARTNOHAND),
        Err(e) => {
            if let Some(m) = t.saved_mask.take() {
                t.set_mask(m);
            }
            Err(e)
        }
    }
}

fn do_select(
    t: &mut TaskCtx,
    n: u64,
    rd: u64,
    wr: u64,
    ex: u64,
    deadline: Option<Instant>,
) -> Result<usize, Errno> {
    let n = if n > 1024 {
        // Linux looks at no more fds than its fd table holds (max_fds); husk has no
        // table size, so it stops past the highest open fd, at 1024 at least.
        let top = t.files.list().iter().map(|(fd, _)| *fd as u64 + 1).max();
        n.min(top.unwrap_or(0).next_power_of_two().max(1024))
    } else {
        n
    };
    let words = n.div_ceil(64) as usize;
    let read_set = |addr: u64| -> Result<Vec<u64>, Errno> {
        if addr == 0 {
            return Ok(vec![0; words]);
        }
        let mut v = vec![0u64; words];
        for (i, w) in v.iter_mut().enumerate() {
            *w = t.mm.read_u64(addr + i as u64 * 8)?;
        }
        Ok(v)
    };
    let (r, w, e) = (read_set(rd)?, read_set(wr)?, read_set(ex)?);
    let mut files: Vec<Option<Arc<OpenFile>>> = Vec::new();
    for fd in 0..n as usize {
        let bit = 1u64 << (fd % 64);
        let wi = fd / 64;
        if (r[wi] | w[wi] | e[wi]) & bit != 0 {
            files.push(Some(t.files.get(fd as i32)?));
        } else {
            files.push(None);
        }
    }
    let (mut ro, mut wo, mut eo) = (vec![0u64; words], vec![0u64; words], vec![0u64; words]);
    let count = wait_ready(t, &files, deadline, || {
        let mut c = 0;
        for (fd, f) in files.iter().enumerate() {
            let Some(f) = f else { continue };
            let bit = 1u64 << (fd % 64);
            let wi = fd / 64;
            let ready = f.ops.readiness();
            ro[wi] &= !bit;
            wo[wi] &= !bit;
            eo[wi] &= !bit;
            if r[wi] & bit != 0 && ready & (POLLIN | POLLHUP | POLLERR) != 0 {
                ro[wi] |= bit;
                c += 1;
            }
            if w[wi] & bit != 0 && ready & (POLLOUT | POLLERR) != 0 {
                wo[wi] |= bit;
                c += 1;
            }
            if e[wi] & bit != 0 && ready & POLLPRI != 0 {
                eo[wi] |= bit;
                c += 1;
            }
        }
        c
    })?;
    for (addr, v) in [(rd, &ro), (wr, &wo), (ex, &eo)] {
        if addr != 0 {
            for (i, x) in v.iter().enumerate() {
                t.mm.write_obj(addr + i as u64 * 8, x)?;
            }
        }
    }
    Ok(count)
}

pub fn select(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[0] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let deadline = if a[4] == 0 {
        None
    } else {
        let tv: Timeval = t.mm.read_obj(a[4])?;
        // kernel_select: microseconds past a second carry into the seconds.
        let sec = tv.tv_sec.checked_add(tv.tv_usec / 1_000_000);
        let nsec = (tv.tv_usec % 1_000_000) * 1000;
        match sec {
            Some(sec) if sec >= 0 && nsec >= 0 => {
                Some(Instant::now() + Duration::new(sec as u64, nsec as u32))
            }
            _ => return Err(Errno::EINVAL),
        }
    };
    let r = do_select(t, a[0] as u32 as u64, a[1], a[2], a[3], deadline);
    if let (Some(d), true) = (deadline, a[4] != 0) {
        let left = time_left(d);
        let tv = Timeval {
            tv_sec: left.as_secs() as i64,
            tv_usec: i64::from(left.subsec_micros()),
        };
        let _ = t.mm.write_obj(a[4], &tv);
    }
    match r {
        Ok(n) => Ok(n as u64),
        Err(Errno::EINTR) => Err(Errno::ERESTARTNOHAND),
        Err(e) => Err(e),
    }
}

pub fn pselect6(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[0] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let deadline = ts_deadline(t, a[4])?;
    if a[5] != 0 {
        let mask_ptr = t.mm.read_u64(a[5])?;
        let size = t.mm.read_u64(a[5] + 8)?;
        check_sigsetsize(mask_ptr, size)?;
        temp_mask(t, mask_ptr)?;
    }
    let r = do_select(t, a[0] as u32 as u64, a[1], a[2], a[3], deadline);
    finish_ts(t, a[4], deadline);
    match r {
        Ok(n) => {
            if let Some(m) = t.saved_mask.take() {
                t.set_mask(m);
            }
            Ok(n as u64)
        }
        Err(Errno::EINTR) => Err(Errno::ERESTARTNOHAND),
        Err(e) => {
            if let Some(m) = t.saved_mask.take() {
                t.set_mask(m);
            }
            Err(e)
        }
    }
}
