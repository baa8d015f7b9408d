//! Blocking: every task has a `Waker`; objects it waits on keep `WaitQueue`s of wakers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a task spins before it sleeps: waking a sleeping thread on another CPU costs
/// tens of microseconds on these (nested-virtualisation) machines, so short waits (a
/// pipe's reader and writer taking turns) are cheaper spun.
const SPIN: Duration = Duration::from_micros(30);

/// Wakes one sleeping task.
#[derive(Default)]
pub struct Waker {
    flag: Mutex<bool>,
    cv: Condvar,
    /// Mirrors `flag` for the lock-free spin.
    quick: AtomicBool,
}

impl Waker {
    /// Marks the waker notified and wakes its task.
    pub fn notify(&self) {
        self.quick.store(true, Ordering::SeqCst);
        let mut f = self.flag.lock().unwrap_or_else(|p| p.into_inner());
        *f = true;
        self.cv.notify_all();
    }

    /// Sleeps until notified or `deadline`; consumes the notification. Returns whether it
    /// was notified.
    pub fn wait(&self, deadline: Option<Instant>) -> bool {
        let spin_end = Instant::now() + SPIN;
        while !self.quick.load(Ordering::SeqCst) {
            let now = Instant::now();
            if now >= spin_end || deadline.is_some_and(|d| now >= d) {
                break;
            }
            std::hint::spin_loop();
        }
        let mut f = self.flag.lock().unwrap_or_else(|p| p.into_inner());
        while !*f {
            match deadline {
                None => f = self.cv.wait(f).unwrap_or_else(|p| p.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    f = self
                        .cv
                        .wait_timeout(f, d - now)
                        .unwrap_or_else(|p| p.into_inner())
                        .0;
                }
            }
        }
        *f = false;
        self.quick.store(false, Ordering::SeqCst);
        true
    }

    /// Clears a pending notification without sleeping.
    pub fn clear(&self) {
        let mut f = self.flag.lock().unwrap_or_else(|p| p.into_inner());
        *f = false;
        self.quick.store(false, Ordering::SeqCst);
    }
}

/// The wakers of tasks waiting for an object.
#[derive(Default)]
pub struct WaitQueue {
    waiters: Mutex<Vec<Arc<Waker>>>,
    /// Counts notifications: edge-triggered epoll reports a file again only after it.
    generation: std::sync::atomic::AtomicU64,
}

impl WaitQueue {
    pub fn new() -> Arc<WaitQueue> {
        Arc::new(WaitQueue::default())
    }

    pub fn register(&self, w: &Arc<Waker>) {
        self.waiters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(w.clone());
    }

    pub fn unregister(&self, w: &Arc<Waker>) {
        let mut ws = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = ws.iter().position(|x| Arc::ptr_eq(x, w)) {
            ws.swap_remove(i);
        }
    }

    /// How many notifications there have been.
    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn notify_all(&self) {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let ws = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
        for w in ws.iter() {
            w.notify();
        }
    }
}
