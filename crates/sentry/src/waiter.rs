//! Blocking: every task has a `Waker`; objects it waits on keep `WaitQueue`s of wakers.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// Wakes one sleeping task.
#[derive(Default)]
pub struct Waker {
    flag: Mutex<bool>,
    cv: Condvar,
}

impl Waker {
    /// Marks the waker notified and wakes its task.
    pub fn notify(&self) {
        let mut f = self.flag.lock().unwrap_or_else(|p| p.into_inner());
        *f = true;
        self.cv.notify_all();
    }

    /// Sleeps until notified or `deadline`; consumes the notification. Returns whether it
    /// was notified.
    pub fn wait(&self, deadline: Option<Instant>) -> bool {
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
        true
    }

    /// Clears a pending notification without sleeping.
    pub fn clear(&self) {
        *self.flag.lock().unwrap_or_else(|p| p.into_inner()) = false;
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
