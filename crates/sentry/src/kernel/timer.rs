//! Timers: ITIMER_REAL (alarm, setitimer), the CPU-time interval timers ITIMER_VIRTUAL
//! and ITIMER_PROF, and POSIX timers (timer_create) on wall and CPU clocks. One
//! background thread fires them: wall-clock timers at their deadlines, CPU-time timers
//! by sampling the published CPU time of their process or thread every few
//! milliseconds (Linux checks them on the scheduler tick).

use super::sigqueue::{SIGALRM, SIGPROF, SIGVTALRM, SI_KERNEL};
use super::{KState, Kernel, Tid};
use husk_abi::{Errno, SigInfo};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// si_code of a POSIX timer's signal.
pub const SI_TIMER: i32 = -2;
/// How often armed CPU-time timers are checked.
const CPU_TICK: Duration = Duration::from_millis(4);
/// Most POSIX timers a process may have.
const MAX_POSIX_TIMERS: usize = 32_768;

#[derive(Clone, Copy)]
struct RealTimer {
    deadline: Instant,
    interval: Duration,
}

/// The clock a timer counts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerClock {
    /// A wall clock (REALTIME, MONOTONIC, BOOTTIME, TAI; its ID): deadlines are
    /// `Instant`s.
    Wall(i32),
    /// CPU time of process `tgid`, or of its thread `tid`; user time only if `user_only`.
    Cpu {
        tgid: Tid,
        tid: Option<Tid>,
        user_only: bool,
    },
}

/// When a timer fires next.
#[derive(Clone, Copy, Debug)]
enum Expiry {
    Off,
    At(Instant),
    /// When the clock's CPU time reaches this value.
    Cpu(Duration),
}

/// What a timer sends when it fires.
#[derive(Clone, Copy, Debug)]
pub struct TimerSignal {
    pub signo: i32,
    /// si_code: SI_TIMER for POSIX timers, SI_KERNEL for interval timers.
    pub code: i32,
    /// POSIX timers: the timer ID and sigev_value.
    pub timer_id: i32,
    pub value: u64,
    /// SIGEV_THREAD_ID: the thread to signal; else the process.
    pub tid: Option<Tid>,
}

struct Timer {
    clock: TimerClock,
    expiry: Expiry,
    interval: Duration,
    /// None: SIGEV_NONE.
    signal: Option<TimerSignal>,
    /// Overrun count of the last delivered signal (timer_getoverrun).
    last_overrun: i32,
}

impl Timer {
    fn new(clock: TimerClock, signal: Option<TimerSignal>) -> Timer {
        Timer {
            clock,
            expiry: Expiry::Off,
            interval: Duration::ZERO,
            signal,
            last_overrun: 0,
        }
    }

    /// Remaining time and interval; `cpu_now` is the clock's value for CPU clocks.
    fn remaining(&self, now: Instant, cpu_now: Duration) -> (Duration, Duration) {
        let left = match self.expiry {
            Expiry::Off => Duration::ZERO,
            // An armed timer never reads as disarmed before it fires.
            Expiry::At(d) => d
                .saturating_duration_since(now)
                .max(Duration::from_nanos(1)),
            Expiry::Cpu(c) => c.saturating_sub(cpu_now).max(Duration::from_nanos(1)),
        };
        (left, self.interval)
    }

    /// Arms (value 0: disarms) relative to now, or at the absolute `abs` expiry.
    fn arm(
        &mut self,
        value: Duration,
        interval: Duration,
        abs: Option<Expiry>,
        now: Instant,
        cpu_now: Duration,
    ) {
        self.interval = interval;
        self.expiry = if value.is_zero() {
            Expiry::Off
        } else if let Some(e) = abs {
            e
        } else {
            match self.clock {
                TimerClock::Wall(_) => Expiry::At(instant_after(now, value)),
                TimerClock::Cpu { .. } => Expiry::Cpu(cpu_now.saturating_add(value)),
            }
        };
    }

    /// If due, advances the timer and returns how many periods were missed.
    fn check_due(&mut self, now: Instant, cpu_now: Option<Duration>) -> Option<u64> {
        match self.expiry {
            Expiry::Off => None,
            Expiry::At(d) => {
                if d > now {
                    return None;
                }
                if self.interval.is_zero() {
                    self.expiry = Expiry::Off;
                    return Some(0);
                }
                let missed = periods(now - d, self.interval);
                self.expiry = Expiry::At(instant_after(d, advance(self.interval, missed)));
                Some(missed)
            }
            Expiry::Cpu(c) => {
                let cur = cpu_now?;
                if c > cur {
                    return None;
                }
                if self.interval.is_zero() {
                    self.expiry = Expiry::Off;
                    return Some(0);
                }
                let missed = periods(cur - c, self.interval);
                self.expiry = Expiry::Cpu(c.saturating_add(advance(self.interval, missed)));
                Some(missed)
            }
        }
    }
}

#[derive(Default)]
struct ProcTimers {
    next_id: i32,
    timers: BTreeMap<i32, Timer>,
}

#[derive(Default)]
struct State {
    real: HashMap<Tid, RealTimer>,
    /// ITIMER_VIRTUAL (1) and ITIMER_PROF (2) by (tgid, which).
    itimers: HashMap<(Tid, i32), Timer>,
    posix: HashMap<Tid, ProcTimers>,
    running: bool,
}

impl State {
    fn cpu_clocks(&self) -> Vec<TimerClock> {
        let set: std::collections::HashSet<TimerClock> = self
            .itimers
            .values()
            .chain(self.posix.values().flat_map(|p| p.timers.values()))
            .filter(|t| matches!(t.expiry, Expiry::Cpu(_)))
            .map(|t| t.clock)
            .collect();
        set.into_iter().collect()
    }
}

/// A timer that fired: what to send to which process.
struct Fire {
    tgid: Tid,
    signal: TimerSignal,
    missed: u64,
}

/// The sandbox's timers.
#[derive(Default)]
pub struct TimerService {
    state: Mutex<State>,
    cv: Condvar,
}

/// The current value of CPU clock `c` (kernel lock held). None if its task is gone.
pub fn cpu_clock_now(st: &KState, c: TimerClock) -> Option<Duration> {
    let TimerClock::Cpu {
        tgid,
        tid,
        user_only,
    } = c
    else {
        return None;
    };
    let (u, s) = match tid {
        Some(t) => st.threads.get(&t)?.handle.cpu_time(),
        None => st.process_cpu(tgid)?,
    };
    Some(if user_only { u } else { u + s })
}

impl TimerService {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Starts the timer thread if it is not running. Call with the state locked.
    fn ensure_thread(&self, s: &mut State, k: &Arc<Kernel>) {
        if !s.running {
            s.running = true;
            let weak = Arc::downgrade(k);
            let _ = std::thread::Builder::new().spawn(move || {
                let _ = rustix::thread::set_name(c"timers");
                run(weak)
            });
        }
    }

    /// Sets (or with `value == 0` clears) process `tgid`'s real timer. Returns the old
    /// remaining time and interval.
    pub fn set_real(
        &self,
        k: &Arc<Kernel>,
        tgid: Tid,
        value: Duration,
        interval: Duration,
    ) -> (Duration, Duration) {
        let mut s = self.lock();
        let now = Instant::now();
        let old = s
            .real
            .get(&tgid)
            .map(|t| (t.deadline.saturating_duration_since(now), t.interval))
            .unwrap_or_default();
        if value.is_zero() {
            s.real.remove(&tgid);
        } else {
            s.real.insert(
                tgid,
                RealTimer {
                    deadline: instant_after(now, value),
                    interval,
                },
            );
            self.ensure_thread(&mut s, k);
        }
        self.cv.notify_all();
        old
    }

    /// Process `tgid`'s real timer: remaining time and interval.
    pub fn get_real(&self, tgid: Tid) -> (Duration, Duration) {
        let s = self.lock();
        s.real
            .get(&tgid)
            .map(|t| {
                (
                    t.deadline.saturating_duration_since(Instant::now()),
                    t.interval,
                )
            })
            .unwrap_or_default()
    }

    /// The clock of ITIMER_VIRTUAL (1) or ITIMER_PROF (2) of `tgid`.
    pub fn itimer_clock(tgid: Tid, which: i32) -> TimerClock {
        TimerClock::Cpu {
            tgid,
            tid: None,
            user_only: which == 1,
        }
    }

    /// Sets ITIMER_VIRTUAL (1) or ITIMER_PROF (2); `cpu_now` is the process's clock.
    /// Returns the old remaining time and interval.
    pub fn set_itimer(
        &self,
        k: &Arc<Kernel>,
        tgid: Tid,
        which: i32,
        value: Duration,
        interval: Duration,
        cpu_now: Duration,
    ) -> (Duration, Duration) {
        let mut s = self.lock();
        let now = Instant::now();
        let signo = if which == 1 { SIGVTALRM } else { SIGPROF };
        let t = s.itimers.entry((tgid, which)).or_insert_with(|| {
            Timer::new(
                Self::itimer_clock(tgid, which),
                Some(TimerSignal {
                    signo,
                    code: SI_KERNEL,
                    timer_id: 0,
                    value: 0,
                    tid: None,
                }),
            )
        });
        let old = t.remaining(now, cpu_now);
        t.arm(value, interval, None, now, cpu_now);
        if value.is_zero() {
            s.itimers.remove(&(tgid, which));
        } else {
            self.ensure_thread(&mut s, k);
        }
        self.cv.notify_all();
        old
    }

    /// ITIMER_VIRTUAL (1) or ITIMER_PROF (2): remaining time and interval.
    pub fn get_itimer(&self, tgid: Tid, which: i32, cpu_now: Duration) -> (Duration, Duration) {
        let s = self.lock();
        s.itimers
            .get(&(tgid, which))
            .map(|t| t.remaining(Instant::now(), cpu_now))
            .unwrap_or_default()
    }

    /// timer_create: a new disarmed POSIX timer of process `tgid`; returns its ID.
    /// `signal` None is SIGEV_NONE; a `timer_id` of -1 in it means "the new ID" (the
    /// default sigevent's value).
    pub fn create_posix(
        &self,
        tgid: Tid,
        clock: TimerClock,
        signal: Option<TimerSignal>,
        value_is_id: bool,
    ) -> Result<i32, Errno> {
        let mut s = self.lock();
        let p = s.posix.entry(tgid).or_default();
        if p.timers.len() >= MAX_POSIX_TIMERS {
            return Err(Errno::EAGAIN);
        }
        let mut id = p.next_id;
        while p.timers.contains_key(&id) {
            id = id.checked_add(1).unwrap_or(0);
        }
        p.next_id = id.checked_add(1).unwrap_or(0);
        let signal = signal.map(|mut sig| {
            sig.timer_id = id;
            if value_is_id {
                sig.value = id as u64;
            }
            sig
        });
        p.timers.insert(id, Timer::new(clock, signal));
        Ok(id)
    }

    /// The clock of POSIX timer `id` of `tgid` (EINVAL if there is none).
    pub fn posix_clock(&self, tgid: Tid, id: i32) -> Result<TimerClock, Errno> {
        let s = self.lock();
        s.posix
            .get(&tgid)
            .and_then(|p| p.timers.get(&id))
            .map(|t| t.clock)
            .ok_or(Errno::EINVAL)
    }

    /// timer_settime. `abs_at`/`abs_cpu` give the absolute expiry for TIMER_ABSTIME;
    /// `cpu_now` is the timer clock's value for CPU clocks. Returns the old setting.
    #[allow(clippy::too_many_arguments)]
    pub fn set_posix(
        &self,
        k: &Arc<Kernel>,
        tgid: Tid,
        id: i32,
        value: Duration,
        interval: Duration,
        abs: Option<AbsExpiry>,
        cpu_now: Duration,
    ) -> Result<(Duration, Duration), Errno> {
        let mut s = self.lock();
        let now = Instant::now();
        let t = s
            .posix
            .get_mut(&tgid)
            .and_then(|p| p.timers.get_mut(&id))
            .ok_or(Errno::EINVAL)?;
        let old = t.remaining(now, cpu_now);
        let abs = abs.map(|a| match a {
            AbsExpiry::At(i) => Expiry::At(i),
            AbsExpiry::Cpu(c) => Expiry::Cpu(c),
        });
        t.arm(value, interval, abs, now, cpu_now);
        if !value.is_zero() {
            self.ensure_thread(&mut s, k);
        }
        self.cv.notify_all();
        Ok(old)
    }

    /// timer_gettime.
    pub fn get_posix(
        &self,
        tgid: Tid,
        id: i32,
        cpu_now: Duration,
    ) -> Result<(Duration, Duration), Errno> {
        let s = self.lock();
        s.posix
            .get(&tgid)
            .and_then(|p| p.timers.get(&id))
            .map(|t| t.remaining(Instant::now(), cpu_now))
            .ok_or(Errno::EINVAL)
    }

    /// timer_getoverrun.
    pub fn overrun(&self, tgid: Tid, id: i32) -> Result<i32, Errno> {
        let s = self.lock();
        s.posix
            .get(&tgid)
            .and_then(|p| p.timers.get(&id))
            .map(|t| t.last_overrun)
            .ok_or(Errno::EINVAL)
    }

    /// timer_delete. The caller removes the timer's queued signal.
    pub fn delete_posix(&self, tgid: Tid, id: i32) -> Result<TimerSignal, Errno> {
        let mut s = self.lock();
        let t = s
            .posix
            .get_mut(&tgid)
            .and_then(|p| p.timers.remove(&id))
            .ok_or(Errno::EINVAL)?;
        Ok(t.signal.unwrap_or(TimerSignal {
            signo: 0,
            code: SI_TIMER,
            timer_id: id,
            value: 0,
            tid: None,
        }))
    }

    /// A POSIX timer's signal was dequeued: remember its overrun count.
    pub fn delivered(&self, tgid: Tid, info: &SigInfo) {
        if info.si_code != SI_TIMER {
            return;
        }
        let (id, overrun) = timer_fields(info);
        let mut s = self.lock();
        if let Some(t) = s.posix.get_mut(&tgid).and_then(|p| p.timers.get_mut(&id)) {
            t.last_overrun = overrun;
        }
    }

    /// Forgets process `tgid`'s POSIX timers (exec).
    pub fn clear_posix(&self, tgid: Tid) {
        self.lock().posix.remove(&tgid);
    }

    /// Forgets all of process `tgid`'s timers (exit).
    pub fn clear(&self, tgid: Tid) {
        let mut s = self.lock();
        s.real.remove(&tgid);
        s.itimers.retain(|(p, _), _| *p != tgid);
        s.posix.remove(&tgid);
    }

    /// Collects due timers. Returns the fires and the next wall deadline.
    fn collect_due(
        s: &mut State,
        now: Instant,
        cpu_now: &HashMap<TimerClock, Duration>,
    ) -> (Vec<Fire>, Option<Instant>) {
        let mut fires = Vec::new();
        let due: Vec<Tid> = s
            .real
            .iter()
            .filter(|(_, t)| t.deadline <= now)
            .map(|(&p, _)| p)
            .collect();
        for p in due {
            let mut missed = 0;
            if let Some(t) = s.real.get_mut(&p) {
                if t.interval.is_zero() {
                    s.real.remove(&p);
                } else {
                    missed = periods(now - t.deadline, t.interval);
                    t.deadline = instant_after(t.deadline, advance(t.interval, missed));
                }
            }
            fires.push(Fire {
                tgid: p,
                signal: TimerSignal {
                    signo: SIGALRM,
                    code: SI_KERNEL,
                    timer_id: 0,
                    value: 0,
                    tid: None,
                },
                missed,
            });
        }
        let mut expired_itimers = Vec::new();
        for (&(tgid, which), t) in s.itimers.iter_mut() {
            if let Some(missed) = t.check_due(now, cpu_now.get(&t.clock).copied()) {
                if let Some(sig) = t.signal {
                    fires.push(Fire {
                        tgid,
                        signal: sig,
                        missed,
                    });
                }
                if matches!(t.expiry, Expiry::Off) {
                    expired_itimers.push((tgid, which));
                }
            }
        }
        for k in expired_itimers {
            s.itimers.remove(&k);
        }
        for (&tgid, p) in s.posix.iter_mut() {
            for t in p.timers.values_mut() {
                if let Some(missed) = t.check_due(now, cpu_now.get(&t.clock).copied()) {
                    if let Some(sig) = t.signal {
                        fires.push(Fire {
                            tgid,
                            signal: sig,
                            missed,
                        });
                    }
                }
            }
        }
        let next = s
            .real
            .values()
            .map(|t| t.deadline)
            .chain(
                s.itimers
                    .values()
                    .chain(s.posix.values().flat_map(|p| p.timers.values()))
                    .filter_map(|t| match t.expiry {
                        Expiry::At(d) => Some(d),
                        _ => None,
                    }),
            )
            .min();
        (fires, next)
    }
}

/// `t + d`, capped far in the future instead of overflowing.
pub fn instant_after(t: Instant, d: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(1 << 32);
    t.checked_add(d.min(FAR)).unwrap_or(t)
}

/// Whole periods of `interval` in `late` (interval > 0).
fn periods(late: Duration, interval: Duration) -> u64 {
    (late.as_nanos() / interval.as_nanos().max(1)).min(u64::MAX as u128) as u64
}

/// `interval * (missed + 1)`, saturating.
fn advance(interval: Duration, missed: u64) -> Duration {
    let n = missed.saturating_add(1).min(u32::MAX as u64) as u32;
    interval.checked_mul(n).unwrap_or(Duration::MAX)
}

/// An absolute expiry for timer_settime(TIMER_ABSTIME).
#[derive(Clone, Copy, Debug)]
pub enum AbsExpiry {
    At(Instant),
    Cpu(Duration),
}

/// (timer ID, overrun) of an SI_TIMER siginfo.
pub fn timer_fields(info: &SigInfo) -> (i32, i32) {
    (
        info.fields[0] as u32 as i32,
        (info.fields[0] >> 32) as u32 as i32,
    )
}

fn set_timer_fields(info: &mut SigInfo, id: i32, overrun: i32) {
    info.fields[0] = (id as u32 as u64) | ((overrun as u32 as u64) << 32);
}

impl Kernel {
    /// Sends a fired timer's signal. A POSIX timer's signal still queued is not queued
    /// again: its overrun count grows instead.
    fn fire_timer(&self, st: &mut KState, f: &Fire) {
        let sig = f.signal;
        if sig.code != SI_TIMER {
            self.send_to_process(st, f.tgid, SigInfo::user(sig.signo, sig.code, 0, 0));
            return;
        }
        let missed = f.missed.min(i32::MAX as u64) as i32;
        let queue = match sig.tid {
            Some(tid) => st.threads.get_mut(&tid).map(|t| &mut t.pending),
            None => st.procs.get_mut(&f.tgid).map(|p| &mut p.shared_pending),
        };
        let Some(queue) = queue else { return };
        if let Some(q) = queue.find_mut(|i| {
            i.si_signo == sig.signo && i.si_code == SI_TIMER && timer_fields(i).0 == sig.timer_id
        }) {
            let (_, o) = timer_fields(q);
            set_timer_fields(q, sig.timer_id, o.saturating_add(1).saturating_add(missed));
            return;
        }
        let mut info = SigInfo {
            si_signo: sig.signo,
            si_code: SI_TIMER,
            ..Default::default()
        };
        set_timer_fields(&mut info, sig.timer_id, missed);
        info.fields[1] = sig.value;
        match sig.tid {
            Some(tid) => self.send_to_thread(st, tid, info),
            None => self.send_to_process(st, f.tgid, info),
        }
    }
}

fn run(k: Weak<Kernel>) {
    loop {
        let Some(kernel) = k.upgrade() else { return };
        if kernel.init_exited() {
            return;
        }
        // CPU clocks of armed CPU-time timers, sampled under the kernel lock.
        let clocks = kernel.timers.lock().cpu_clocks();
        let mut cpu_now = HashMap::new();
        if !clocks.is_empty() {
            let st = kernel.lock();
            for c in &clocks {
                if let Some(v) = cpu_clock_now(&st, *c) {
                    cpu_now.insert(*c, v);
                }
            }
        }
        let now = Instant::now();
        let mut s = kernel.timers.lock();
        let (fires, next) = TimerService::collect_due(&mut s, now, &cpu_now);
        if !fires.is_empty() {
            drop(s);
            let mut st = kernel.lock();
            if st.init_status.is_some() {
                return;
            }
            for f in &fires {
                kernel.fire_timer(&mut st, f);
            }
            continue;
        }
        let mut wait = next
            .map(|d| d.saturating_duration_since(now))
            .unwrap_or(Duration::from_millis(500))
            .min(Duration::from_millis(500));
        if !clocks.is_empty() {
            wait = wait.min(CPU_TICK);
        }
        let _ = kernel.timers.cv.wait_timeout(s, wait);
    }
}
