//! Real-time interval timers (alarm, setitimer ITIMER_REAL): one background thread
//! fires SIGALRM at the deadlines.

use super::sigqueue::{SIGALRM, SI_KERNEL};
use super::{Kernel, Tid};
use husk_abi::SigInfo;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
struct RealTimer {
    deadline: Instant,
    interval: Duration,
}

#[derive(Default)]
struct State {
    timers: HashMap<Tid, RealTimer>,
    running: bool,
}

/// The sandbox's ITIMER_REAL timers.
#[derive(Default)]
pub struct TimerService {
    state: Mutex<State>,
    cv: Condvar,
}

impl TimerService {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
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
            .timers
            .get(&tgid)
            .map(|t| (t.deadline.saturating_duration_since(now), t.interval))
            .unwrap_or_default();
        if value.is_zero() {
            s.timers.remove(&tgid);
        } else {
            s.timers.insert(
                tgid,
                RealTimer {
                    deadline: now + value,
                    interval,
                },
            );
            if !s.running {
                s.running = true;
                let weak = Arc::downgrade(k);
                let _ = std::thread::Builder::new().spawn(move || {
                    let _ = rustix::thread::set_name(c"timers");
                    run(weak)
                });
            }
        }
        self.cv.notify_all();
        old
    }

    /// Process `tgid`'s real timer: remaining time and interval.
    pub fn get_real(&self, tgid: Tid) -> (Duration, Duration) {
        let s = self.lock();
        s.timers
            .get(&tgid)
            .map(|t| {
                (
                    t.deadline.saturating_duration_since(Instant::now()),
                    t.interval,
                )
            })
            .unwrap_or_default()
    }

    /// Forgets process `tgid`'s timers (exit, exec keeps them in Linux; exit only).
    pub fn clear(&self, tgid: Tid) {
        self.lock().timers.remove(&tgid);
    }
}

fn run(k: Weak<Kernel>) {
    loop {
        let Some(kernel) = k.upgrade() else { return };
        let now = Instant::now();
        let (due, next) = {
            let mut s = kernel.timers.lock();
            let due: Vec<Tid> = s
                .timers
                .iter()
                .filter(|(_, t)| t.deadline <= now)
                .map(|(&p, _)| p)
                .collect();
            for p in &due {
                if let Some(t) = s.timers.get_mut(p) {
                    if t.interval.is_zero() {
                        s.timers.remove(p);
                    } else {
                        t.deadline += t.interval;
                        if t.deadline < now {
                            t.deadline = now + t.interval;
                        }
                    }
                }
            }
            (due, s.timers.values().map(|t| t.deadline).min())
        };
        if !due.is_empty() {
            let mut st = kernel.lock();
            if st.init_status.is_some() {
                return;
            }
            for p in due {
                kernel.send_to_process(&mut st, p, SigInfo::user(SIGALRM, SI_KERNEL, 0, 0));
            }
            continue;
        }
        if kernel.init_exited() {
            return;
        }
        let wait = next
            .map(|d| d.saturating_duration_since(now))
            .unwrap_or(Duration::from_millis(500));
        let s = kernel.timers.lock();
        let _ = kernel
            .timers
            .cv
            .wait_timeout(s, wait.min(Duration::from_millis(500)));
    }
}
