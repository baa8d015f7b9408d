//! Pipes, inside the Sentry.

use crate::vfs::*;
use crate::waiter::WaitQueue;
use husk_abi::Errno;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Capacity of a pipe.
pub const PIPE_CAPACITY: usize = 65536;
/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;

static NEXT_PIPE: AtomicU64 = AtomicU64::new(1);

struct PipeState {
    buf: VecDeque<u8>,
    readers: usize,
    writers: usize,
}

/// A pipe.
pub struct Pipe {
    state: Mutex<PipeState>,
    pub wq: Arc<WaitQueue>,
    pub id: u64,
}

impl Pipe {
    pub fn new() -> Arc<Pipe> {
        Arc::new(Pipe {
            state: Mutex::new(PipeState {
                buf: VecDeque::new(),
                readers: 0,
                writers: 0,
            }),
            wq: WaitQueue::new(),
            id: NEXT_PIPE.fetch_add(1, Ordering::Relaxed),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PipeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new end with the access mode of `flags`.
    pub fn open_end(self: &Arc<Self>, flags: u32) -> Arc<dyn FileOps> {
        let read = flags & O_ACCMODE != O_WRONLY;
        let write = flags & O_ACCMODE != O_RDONLY;
        {
            let mut s = self.lock();
            if read {
                s.readers += 1;
            }
            if write {
                s.writers += 1;
            }
        }
        self.wq.notify_all();
        Arc::new(PipeEnd {
            pipe: self.clone(),
            read,
            write,
        })
    }
}

/// One end of a pipe.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    read: bool,
    write: bool,
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        {
            let mut s = self.pipe.lock();
            if self.read {
                s.readers -= 1;
            }
            if self.write {
                s.writers -= 1;
            }
        }
        self.pipe.wq.notify_all();
    }
}

impl FileOps for PipeEnd {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        let mut s = self.pipe.lock();
        if s.buf.is_empty() {
            return if s.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let n = buf.len().min(s.buf.len());
        for (i, b) in s.buf.drain(..n).enumerate() {
            buf[i] = b;
        }
        drop(s);
        self.pipe.wq.notify_all();
        Ok(n)
    }

    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        let mut s = self.pipe.lock();
        if s.readers == 0 {
            return Err(Errno::EPIPE);
        }
        let space = PIPE_CAPACITY - s.buf.len();
        if space == 0 || (buf.len() <= PIPE_BUF && space < buf.len()) {
            return Err(Errno::EAGAIN);
        }
        let n = space.min(buf.len());
        s.buf.extend(&buf[..n]);
        drop(s);
        self.pipe.wq.notify_all();
        Ok(n)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        let s = self.pipe.lock();
        let mut r = 0;
        if self.read {
            if !s.buf.is_empty() {
                r |= POLLIN;
            }
            if s.writers == 0 {
                r |= POLLHUP;
            }
        }
        if self.write {
            if s.buf.len() < PIPE_CAPACITY {
                r |= POLLOUT;
            }
            if s.readers == 0 {
                r |= POLLERR;
            }
        }
        r
    }

    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        Some(self.pipe.wq.clone())
    }

    fn ioctl(&self, cmd: u32, _arg: u64) -> Result<IoctlResult, Errno> {
        if cmd == 0x541b {
            // FIONREAD
            let n = self.pipe.lock().buf.len() as i32;
            return Ok(IoctlResult::Out(n.to_le_bytes().to_vec()));
        }
        Err(Errno::ENOTTY)
    }
}
