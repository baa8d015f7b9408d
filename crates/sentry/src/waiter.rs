//! Blocking: every task has a `Waker`; objects it waits on keep `WaitQueue`s of wakers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
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
    /// Queues notified along with this one: those of the epoll instances watching the
    /// file, so that a wait on an epoll fd (nested epoll, poll of an epoll fd) wakes up.
    forward: Mutex<Vec<Weak<WaitQueue>>>,
}

/// How deep forwarding goes (epoll nesting is refused with ELOOP beyond a few levels).
const MAX_FORWARD_DEPTH: u32 = 8;

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

    /// Wakes the waiters and counts a notification (an edge for edge-triggered epoll).
    pub fn notify_all(&self) {
        self.notify_depth(true, 0);
    }

    /// Wakes the waiters without counting an edge: for changes after which Linux wakes
    /// no poll waiter (reading from a pipe that was not full).
    pub fn notify_quiet(&self) {
        self.notify_depth(false, 0);
    }

    fn notify_depth(&self, edge: bool, depth: u32) {
        if edge {
            self.generation
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
        {
            let ws = self.waiters.lock().unwrap_or_else(|p| p.into_inner());
            for w in ws.iter() {
                w.notify();
            }
        }
        if depth >= MAX_FORWARD_DEPTH {
            return;
        }
        let targets: Vec<Arc<WaitQueue>> = {
            let mut f = self.forward.lock().unwrap_or_else(|p| p.into_inner());
            if f.is_empty() {
                return;
            }
            f.retain(|q| q.strong_count() > 0);
            f.iter().filter_map(|q| q.upgrade()).collect()
        };
        for q in targets {
            q.notify_depth(edge, depth + 1);
        }
    }

    /// Notifies `q` whenever this queue is notified (one registration per call).
    pub fn add_forward(&self, q: &Arc<WaitQueue>) {
        self.forward
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Arc::downgrade(q));
    }

    /// Undoes one `add_forward(q)`.
    pub fn remove_forward(&self, q: &Arc<WaitQueue>) {
        let mut f = self.forward.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = f
            .iter()
            .position(|x| std::ptr::eq(x.as_ptr(), Arc::as_ptr(q)))
        {
            f.swap_remove(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarding_and_quiet_notifications() {
        let file = WaitQueue::new();
        let ep = WaitQueue::new();
        let w = Arc::new(Waker::default());
        ep.register(&w);
        file.add_forward(&ep);
        file.notify_all();
        assert!(w.wait(Some(Instant::now())));
        assert_eq!((file.generation(), ep.generation()), (1, 1));
        // A quiet notification wakes but counts no edge, here or downstream.
        file.notify_quiet();
        assert!(w.wait(Some(Instant::now())));
        assert_eq!((file.generation(), ep.generation()), (1, 1));
        file.remove_forward(&ep);
        file.notify_all();
        assert!(!w.wait(Some(Instant::now())));
        assert_eq!(ep.generation(), 1);
        // A dropped target is skipped.
        let gone = WaitQueue::new();
        file.add_forward(&gone);
        drop(gone);
        file.notify_all();
        assert_eq!(file.generation(), 3);
    }
}
