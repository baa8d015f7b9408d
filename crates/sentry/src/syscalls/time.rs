//! Time: clocks, sleeps, interval timers, CPU time accounting.

use super::TaskCtx;
use crate::kernel::sigqueue::SIGALRM;
use crate::kernel::timer::{
    cpu_clock_now, instant_after, timer_fields, AbsExpiry, TimerClock, TimerSignal, SI_TIMER,
};
use husk_abi::{Errno, Itimerval, Rusage, SigInfo, SysResult, Timespec, Timeval, Tms};
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
            ti.handle.cpu_time()
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

pub fn clock_value(t: &mut TaskCtx, id: i32) -> Result<Duration, Errno> {
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
    let deadline = instant_after(Instant::now(), d);
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
        instant_after(Instant::now(), d.saturating_sub(now))
    } else {
        instant_after(Instant::now(), d)
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

/// The current CPU time of ITIMER_VIRTUAL (1: user) or ITIMER_PROF (2: user+system).
fn itimer_cpu_now(t: &mut TaskCtx, which: i32) -> Duration {
    let (u, s) = process_cpu(t);
    if which == 1 {
        u
    } else {
        u + s
    }
}

pub fn setitimer(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let which = a[0] as i32;
    if !(0..=2).contains(&which) {
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
    let (ov, oi) = if which == 0 {
        k.timers.set_real(&k, t.tgid, value, interval)
    } else {
        let now = itimer_cpu_now(t, which);
        k.timers.set_itimer(&k, t.tgid, which, value, interval, now)
    };
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
    let which = a[0] as i32;
    if !(0..=2).contains(&which) {
        return Err(Errno::EINVAL);
    }
    let (v, i) = if which == 0 {
        t.k.timers.get_real(t.tgid)
    } else {
        let now = itimer_cpu_now(t, which);
        t.k.timers.get_itimer(t.tgid, which, now)
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

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD: i32 = 2;
const SIGEV_THREAD_ID: i32 = 4;

/// The timer clock of a timer_create clock ID.
fn timer_clock(t: &mut TaskCtx, id: i32) -> Result<TimerClock, Errno> {
    if let Some(c) = cpu_clock(id) {
        // Validates the clock (the process must be a group leader, a thread ours).
        cpu_clock_value(t, c, false)?;
        let (tgid, tid) = match (c.thread, c.pid) {
            (true, 0) => (t.tgid, Some(t.tid)),
            (true, p) => (t.tgid, Some(p)),
            (false, 0) => (t.tgid, None),
            (false, p) => (p, None),
        };
        return Ok(TimerClock::Cpu {
            tgid,
            tid,
            user_only: c.which == 1,
        });
    }
    match id {
        CLOCK_REALTIME | CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_TAI => Ok(TimerClock::Wall(id)),
        // Clocks without timers; the alarm clocks need an RTC the sandbox does not have.
        CLOCK_MONOTONIC_RAW | CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE | 8 | 9 => {
            Err(Errno::EOPNOTSUPP)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The current value of a timer's CPU clock (zero for wall clocks or a task gone).
fn timer_cpu_now(t: &mut TaskCtx, c: TimerClock) -> Duration {
    if let TimerClock::Cpu { .. } = c {
        t.update_cpu();
        let st = t.k.lock();
        cpu_clock_now(&st, c).unwrap_or_default()
    } else {
        Duration::ZERO
    }
}

pub fn timer_create(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let clock = timer_clock(t, a[0] as i32)?;
    let (signal, value_is_id) = if a[1] != 0 {
        let ev: [u8; 20] = t.mm.read_obj(a[1])?;
        let word = |i: usize| i32::from_le_bytes([ev[i], ev[i + 1], ev[i + 2], ev[i + 3]]);
        let value = u64::from_le_bytes([ev[0], ev[1], ev[2], ev[3], ev[4], ev[5], ev[6], ev[7]]);
        let (signo, notify, thread) = (word(8), word(12), word(16));
        let tid = match notify {
            SIGEV_NONE => None,
            SIGEV_SIGNAL | SIGEV_THREAD => None,
            n if n == SIGEV_SIGNAL | SIGEV_THREAD_ID => {
                let thread = t.gpid(thread).ok_or(Errno::EINVAL)?;
                let st = t.k.lock();
                match st.threads.get(&thread) {
                    Some(ti) if ti.tgid == t.tgid => Some(thread),
                    _ => return Err(Errno::EINVAL),
                }
            }
            _ => return Err(Errno::EINVAL),
        };
        if notify != SIGEV_NONE && !(1..=64).contains(&signo) {
            return Err(Errno::EINVAL);
        }
        let sig = (notify != SIGEV_NONE).then_some(TimerSignal {
            signo,
            code: SI_TIMER,
            timer_id: 0,
            value,
            tid,
        });
        (sig, false)
    } else {
        (
            Some(TimerSignal {
                signo: SIGALRM,
                code: SI_TIMER,
                timer_id: 0,
                value: 0,
                tid: None,
            }),
            true,
        )
    };
    let id =
        t.k.timers
            .create_posix(t.tgid, clock, signal, value_is_id)?;
    if let Err(e) = t.mm.write_obj(a[2], &id) {
        let _ = t.k.timers.delete_posix(t.tgid, id);
        return Err(e);
    }
    Ok(0)
}

fn read_itimerspec(t: &TaskCtx, addr: u64) -> Result<(Duration, Duration), Errno> {
    let v: [Timespec; 2] = t.mm.read_obj(addr)?;
    let conv = |x: Timespec| {
        if x.tv_sec < 0 || !(0..1_000_000_000).contains(&x.tv_nsec) {
            Err(Errno::EINVAL)
        } else {
            Ok(Duration::new(x.tv_sec as u64, x.tv_nsec as u32))
        }
    };
    Ok((conv(v[0])?, conv(v[1])?))
}

fn write_itimerspec(
    t: &TaskCtx,
    addr: u64,
    value: Duration,
    interval: Duration,
) -> Result<(), Errno> {
    t.mm.write_obj(addr, &[ts(interval), ts(value)])
}

pub fn timer_settime(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let id = a[0] as i32;
    if a[2] == 0 {
        return Err(Errno::EINVAL);
    }
    let (interval, value) = read_itimerspec(t, a[2])?;
    let clock = t.k.timers.posix_clock(t.tgid, id)?;
    let cpu_now = timer_cpu_now(t, clock);
    let abs = if a[1] & 1 != 0 && !value.is_zero() {
        Some(match clock {
            TimerClock::Wall(cid) => {
                let now = clock_value(t, cid)?;
                AbsExpiry::At(instant_after(Instant::now(), value.saturating_sub(now)))
            }
            TimerClock::Cpu { .. } => AbsExpiry::Cpu(value),
        })
    } else {
        None
    };
    let k = t.k.clone();
    let (ov, oi) = k
        .timers
        .set_posix(&k, t.tgid, id, value, interval, abs, cpu_now)?;
    if a[3] != 0 {
        write_itimerspec(t, a[3], ov, oi)?;
    }
    Ok(0)
}

pub fn timer_gettime(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let id = a[0] as i32;
    let clock = t.k.timers.posix_clock(t.tgid, id)?;
    let cpu_now = timer_cpu_now(t, clock);
    let (v, i) = t.k.timers.get_posix(t.tgid, id, cpu_now)?;
    write_itimerspec(t, a[1], v, i)?;
    Ok(0)
}

pub fn timer_getoverrun(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    Ok(t.k.timers.overrun(t.tgid, a[0] as i32)? as u32 as u64)
}

pub fn timer_delete(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let id = a[0] as i32;
    let sig = t.k.timers.delete_posix(t.tgid, id)?;
    // A queued signal of the deleted timer is dropped.
    let is_ours =
        |i: &SigInfo| i.si_signo == sig.signo && i.si_code == SI_TIMER && timer_fields(i).0 == id;
    let mut st = t.k.lock();
    let threads = st
        .procs
        .get_mut(&t.tgid)
        .map(|p| {
            p.shared_pending.remove_matching(is_ours);
            p.threads.clone()
        })
        .unwrap_or_default();
    for tid in threads {
        if let Some(ti) = st.threads.get_mut(&tid) {
            ti.pending.remove_matching(is_ours);
        }
    }
    Ok(0)
}
