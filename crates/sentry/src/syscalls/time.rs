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

/// CPU time (user, system) of this thread, fresh.
fn thread_cpu(t: &mut TaskCtx) -> (Duration, Duration) {
    t.update_cpu();
    (t.app_time, t.sys_time)
}

/// CPU time (user, system) of the whole process: exited threads plus live ones.
fn process_cpu(t: &mut TaskCtx) -> (Duration, Duration) {
    t.update_cpu();
    let st = t.k.lock();
    st.process_cpu(t.tgid).unwrap_or((t.app_time, t.sys_time))
}

const CLOCK_REALTIME: i32 = 0;
const CLOCK_MONOTONIC: i32 = 1;
const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
const CLOCK_MONOTONIC_RAW: i32 = 4;
const CLOCK_REALTIME_COARSE: i32 = 5;
const CLOCK_MONOTONIC_COARSE: i32 = 6;
const CLOCK_BOOTTIME: i32 = 7;
const CLOCK_TAI: i32 = 11;

/// A CPU-time clock: which task it measures and what.
#[derive(Clone, Copy, Debug)]
struct CpuClock {
    /// 0: the caller.
    pid: i32,
    thread: bool,
    /// CPUCLOCK_PROF (user+system), CPUCLOCK_VIRT (user) or CPUCLOCK_SCHED (user+system).
    which: i32,
}

/// Decodes a clock ID into a CPU clock (the static CPU clocks included), or None for
/// the other clocks.
fn cpu_clock(id: i32) -> Option<CpuClock> {
    match id {
        CLOCK_PROCESS_CPUTIME_ID => Some(CpuClock {
            pid: 0,
            thread: false,
            which: 2,
        }),
        CLOCK_THREAD_CPUTIME_ID => Some(CpuClock {
            pid: 0,
            thread: true,
            which: 2,
        }),
        _ if id < 0 => Some(CpuClock {
            pid: !(id >> 3),
            thread: id & 4 != 0,
            which: id & 3,
        }),
        _ => None,
    }
}

/// The current value of a CPU clock. `gettime` relaxes the process lookup as Linux
/// does: clock_gettime accepts any thread of the process, the others want the leader.
fn cpu_clock_value(t: &mut TaskCtx, c: CpuClock, gettime: bool) -> Result<Duration, Errno> {
    if c.which == 3 {
        return Err(Errno::EINVAL);
    }
    let (u, s) = if c.thread {
        if c.pid == 0 || c.pid == t.tid {
            thread_cpu(t)
        } else {
            let st = t.k.lock();
            let ti = st.threads.get(&c.pid).ok_or(Errno::EINVAL)?;
            if ti.tgid != t.tgid {
                return Err(Errno::EINVAL);
            }
            (
                Duration::from_nanos(
                    ti.handle
                        .utime_ns
                        .load(std::sync::atomic::Ordering::Relaxed),
                ),
                Duration::from_nanos(
                    ti.handle
                        .stime_ns
                        .load(std::sync::atomic::Ordering::Relaxed),
                ),
            )
        }
    } else if c.pid == 0 || c.pid == t.tgid {
        process_cpu(t)
    } else {
        let st = t.k.lock();
        let tgid = if st.procs.contains_key(&c.pid) {
            c.pid
        } else if gettime {
            st.threads
                .get(&c.pid)
                .map(|ti| ti.tgid)
                .ok_or(Errno::EINVAL)?
        } else {
            return Err(Errno::EINVAL);
        };
        st.process_cpu(tgid).ok_or(Errno::EINVAL)?
    };
    Ok(if c.which == 1 { u } else { u + s })
}

fn clock_value(t: &mut TaskCtx, id: i32) -> Result<Duration, Errno> {
    if let Some(c) = cpu_clock(id) {
        return cpu_clock_value(t, c, true);
    }
    match id {
        // TAI: the Sentry keeps no TAI offset, as a host without NTP (offset 0).
        CLOCK_REALTIME | CLOCK_REALTIME_COARSE | CLOCK_TAI => Ok(realtime_now()),
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE => {
            Ok(host_clock(rustix::time::ClockId::Monotonic))
        }
        CLOCK_BOOTTIME => Ok(host_clock(rustix::time::ClockId::Boottime)),
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
    let res = if let Some(c) = cpu_clock(id) {
        cpu_clock_value(t, c, false)?;
        if c.which == 2 {
            Duration::from_nanos(1)
        } else {
            Duration::from_millis(4)
        }
    } else {
        clock_value(t, id)?;
        if id == CLOCK_REALTIME_COARSE || id == CLOCK_MONOTONIC_COARSE {
            Duration::from_millis(4)
        } else {
            Duration::from_nanos(1)
        }
    };
    if a[1] != 0 {
        t.mm.write_obj(a[1], &ts(res))?;
    }
    Ok(0)
}

/// Reads and validates a timespec to set a clock to.
fn read_settime(t: &TaskCtx, addr: u64) -> Result<(), Errno> {
    let v: Timespec = t.mm.read_obj(addr)?;
    if v.tv_sec < 0 || !(0..1_000_000_000).contains(&v.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// clock_settime: only CLOCK_REALTIME and CPU clocks are settable on Linux; the sandbox
/// may change neither (no CAP_SYS_TIME), so valid requests get EPERM.
pub fn clock_settime(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let id = a[0] as i32;
    if let Some(c) = cpu_clock(id) {
        cpu_clock_value(t, c, false)?;
        return Err(Errno::EPERM);
    }
    if id != CLOCK_REALTIME {
        return Err(Errno::EINVAL);
    }
    read_settime(t, a[1])?;
    Err(Errno::EPERM)
}

/// settimeofday: arguments are checked, then refused (no CAP_SYS_TIME in the sandbox).
pub fn settimeofday(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] != 0 {
        let v: Timeval = t.mm.read_obj(a[0])?;
        if v.tv_sec < 0 || !(0..1_000_000).contains(&v.tv_usec) {
            return Err(Errno::EINVAL);
        }
    }
    if a[1] != 0 {
        // The timezone's range is checked only after the permission check.
        let _tz: [i32; 2] = t.mm.read_obj(a[1])?;
    }
    Err(Errno::EPERM)
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
    let abs = a[1] & 1 != 0;
    if let Some(c) = cpu_clock(id) {
        // Sleeping on one's own thread clock cannot end; Linux refuses it.
        if c.thread && (c.pid == 0 || c.pid == t.tid) {
            return Err(Errno::EINVAL);
        }
        let now = cpu_clock_value(t, c, false)?;
        let d = read_ts(t, a[2])?;
        let target = if abs { d } else { now + d };
        // CPU time advances only while some thread runs: poll it.
        loop {
            let now = cpu_clock_value(t, c, false)?;
            if now >= target {
                return Ok(0);
            }
            let step = (target - now).min(Duration::from_millis(10));
            if t.sleep_until(Instant::now() + step).is_err() {
                if !abs && a[3] != 0 {
                    let left = target.saturating_sub(cpu_clock_value(t, c, false)?);
                    t.mm.write_obj(a[3], &ts(left))?;
                }
                return Err(Errno::ERESTARTNOHAND);
            }
        }
    }
    match id {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_TAI => {}
        // Valid clocks that cannot be slept on.
        CLOCK_MONOTONIC_RAW | CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => {
            return Err(Errno::EOPNOTSUPP)
        }
        _ => return Err(Errno::EINVAL),
    }
    let d = read_ts(t, a[2])?;
    let deadline = if abs {
        let now = clock_value(t, id)?;
        Instant::now() + d.saturating_sub(now)
    } else {
        Instant::now() + d
    };
    let rem = if abs { 0 } else { a[3] };
    sleep_for(t, deadline, rem)
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
