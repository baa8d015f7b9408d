//! Time: clocks, sleeps, interval timers, CPU time accounting.

use super::TaskCtx;
use husk_abi::{Errno, Itimerval, Rusage, SysResult, Timespec, Timeval, Tms};
use std::time::{Duration, Instant};

fn ts(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: d.subsec_nanos() as i64,
    }
}

fn tv(d: Duration) -> Timeval {
    Timeval {
        tv_sec: d.as_secs() as i64,
        tv_usec: d.subsec_micros() as i64,
    }
}

fn host_clock(id: rustix::time::ClockId) -> Duration {
    let t = rustix::time::clock_gettime(id);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

/// CLOCK_MONOTONIC now.
pub fn monotonic_now(_t: &TaskCtx) -> Duration {
    host_clock(rustix::time::ClockId::Monotonic)
}

fn realtime_now() -> Duration {
    host_clock(rustix::time::ClockId::Realtime)
}

/// CPU time of this thread.
fn thread_cpu(t: &TaskCtx) -> (Duration, Duration) {
    (t.app_time, t.sys_time)
}

/// CPU time of the whole process (exited threads, other live threads approximated by
/// this thread's share).
fn process_cpu(t: &TaskCtx) -> (Duration, Duration) {
    let st = t.k.lock();
    let (mut u, mut s) = st
        .procs
        .get(&t.tgid)
        .map(|p| (p.usage.utime, p.usage.stime))
        .unwrap_or_default();
    u += t.app_time;
    s += t.sys_time;
    (u, s)
}

fn clock_value(t: &TaskCtx, id: i32) -> Result<Duration, Errno> {
    match id {
        0 | 5 => Ok(realtime_now()),
        1 | 4 | 6 => Ok(host_clock(rustix::time::ClockId::Monotonic)),
        7 => Ok(host_clock(rustix::time::ClockId::Boottime)),
        2 => {
            let (u, s) = process_cpu(t);
            Ok(u + s)
        }
        3 => {
            let (u, s) = thread_cpu(t);
            Ok(u + s)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn clock_gettime(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let v = clock_value(t, a[0] as i32)?;
    t.mm.write_obj(a[1], &ts(v))?;
    Ok(0)
}

pub fn clock_getres(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let id = a[0] as i32;
    clock_value(t, id)?;
    if a[1] != 0 {
        let res = if id == 5 || id == 6 {
            Duration::from_millis(4)
        } else {
            Duration::from_nanos(1)
        };
        t.mm.write_obj(a[1], &ts(res))?;
    }
    Ok(0)
}

pub fn gettimeofday(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] != 0 {
        t.mm.write_obj(a[0], &tv(realtime_now()))?;
    }
    if a[1] != 0 {
        t.mm.write_obj(a[1], &[0i32; 2])?;
    }
    Ok(0)
}

pub fn time(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let now = realtime_now().as_secs();
    if a[0] != 0 {
        t.mm.write_obj(a[0], &now)?;
    }
    Ok(now)
}

fn sleep_for(t: &mut TaskCtx, deadline: Instant, rem: u64) -> SysResult {
    match t.sleep_until(deadline) {
        Ok(()) => Ok(0),
        Err(_) => {
            if rem != 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                t.mm.write_obj(rem, &ts(left))?;
            }
            Err(Errno::ERESTARTNOHAND)
        }
    }
}

fn read_ts(t: &TaskCtx, addr: u64) -> Result<Duration, Errno> {
    let v: Timespec = t.mm.read_obj(addr)?;
    if v.tv_sec < 0 || !(0..1_000_000_000).contains(&v.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(v.tv_sec as u64, v.tv_nsec as u32))
}

pub fn nanosleep(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let d = read_ts(t, a[0])?;
    let deadline = Instant::now() + d;
    sleep_for(t, deadline, a[1])
}

pub fn clock_nanosleep(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let id = a[0] as i32;
    if !matches!(id, 0 | 1 | 7 | 2) {
        return Err(if id == 3 {
            Errno::EINVAL
        } else {
            Errno::EOPNOTSUPP
        });
    }
    let d = read_ts(t, a[2])?;
    let deadline = if a[1] & 1 != 0 {
        let now = clock_value(t, id)?;
        Instant::now() + d.saturating_sub(now)
    } else {
        Instant::now() + d
    };
    let rem = if a[1] & 1 != 0 { 0 } else { a[3] };
    match sleep_for(t, deadline, rem) {
        Err(Errno::ERESTARTNOHAND) => Err(Errno::ERESTARTNOHAND),
        r => r,
    }
}

fn ticks(d: Duration) -> i64 {
    (d.as_millis() / 10) as i64
}

pub fn times(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (u, s) = process_cpu(t);
    let (cu, cs) = {
        let st = t.k.lock();
        st.procs
            .get(&t.tgid)
            .map(|p| (p.child_usage.utime, p.child_usage.stime))
            .unwrap_or_default()
    };
    if a[0] != 0 {
        t.mm.write_obj(
            a[0],
            &Tms {
                tms_utime: ticks(u),
                tms_stime: ticks(s),
                tms_cutime: ticks(cu),
                tms_cstime: ticks(cs),
            },
        )?;
    }
    Ok(ticks(host_clock(rustix::time::ClockId::Monotonic)) as u64)
}

pub fn getrusage(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let who = a[0] as i32;
    let (u, s, rss) = match who {
        0 => {
            let (u, s) = process_cpu(t);
            (u, s, t.mm.rss_bytes() / 1024)
        }
        1 => {
            let (u, s) = thread_cpu(t);
            (u, s, t.mm.rss_bytes() / 1024)
        }
        -1 => {
            let st = t.k.lock();
            let c = st
                .procs
                .get(&t.tgid)
                .map(|p| p.child_usage)
                .unwrap_or_default();
            (c.utime, c.stime, c.maxrss_kb)
        }
        _ => return Err(Errno::EINVAL),
    };
    let r = Rusage {
        ru_utime: tv(u),
        ru_stime: tv(s),
        ru_maxrss: rss as i64,
        ..Default::default()
    };
    t.mm.write_obj(a[1], &r)?;
    Ok(0)
}

pub fn alarm(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let k = t.k.clone();
    let (old, _) = k
        .timers
        .set_real(&k, t.tgid, Duration::from_secs(a[0]), Duration::ZERO);
    let secs = old.as_secs()
        + if old.subsec_nanos() >= 500_000_000 || (old.as_secs() == 0 && !old.is_zero()) {
            1
        } else {
            0
        };
    Ok(secs)
}

fn itv(v: Timeval) -> Result<Duration, Errno> {
    if v.tv_sec < 0 || !(0..1_000_000).contains(&v.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(v.tv_sec as u64, v.tv_usec as u32 * 1000))
}

pub fn setitimer(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] != 0 {
        // ITIMER_VIRTUAL and ITIMER_PROF are not implemented yet.
        return Err(Errno::EINVAL);
    }
    let new: Itimerval = if a[1] != 0 {
        t.mm.read_obj(a[1])?
    } else {
        Itimerval::default()
    };
    let value = itv(new.it_value)?;
    let interval = itv(new.it_interval)?;
    let k = t.k.clone();
    let (ov, oi) = k.timers.set_real(&k, t.tgid, value, interval);
    if a[2] != 0 {
        t.mm.write_obj(
            a[2],
            &Itimerval {
                it_interval: tv(oi),
                it_value: tv(ov),
            },
        )?;
    }
    Ok(0)
}

pub fn getitimer(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] > 2 {
        return Err(Errno::EINVAL);
    }
    let (v, i) = if a[0] == 0 {
        t.k.timers.get_real(t.tgid)
    } else {
        (Duration::ZERO, Duration::ZERO)
    };
    t.mm.write_obj(
        a[1],
        &Itimerval {
            it_interval: tv(i),
            it_value: tv(v),
        },
    )?;
    Ok(0)
}
