//! Pipes, inside the Sentry.

use crate::vfs::*;
use crate::waiter::WaitQueue;
use husk_abi::Errno;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Default capacity of a pipe.
pub const PIPE_CAPACITY: usize = 65536;
/// Writes up to this size are atomic; in packet mode, the largest packet.
pub const PIPE_BUF: usize = 4096;
/// Largest capacity F_SETPIPE_SZ grants without privilege (/proc/sys/fs/pipe-max-size).
pub const PIPE_MAX_SIZE: u64 = 1 << 20;

static NEXT_PIPE: AtomicU64 = AtomicU64::new(1);

struct PipeState {
    buf: VecDeque<u8>,
    /// Bytes ever consumed: `buf[0]` is byte number `head` of the stream.
    head: u64,
    /// Packets (written in O_DIRECT mode) in `buf`: stream position and length.
    packets: VecDeque<(u64, usize)>,
    /// Capacity used: plain bytes plus PIPE_BUF per packet (a packet fills a page buffer).
    used: usize,
    capacity: usize,
    readers: usize,
    writers: usize,
}

impl PipeState {
    /// Removes `n` plain bytes (or one whole packet of `n` bytes) from the front, copying
    /// at most `out.len()` of them to `out`; returns how many were copied.
    fn take(&mut self, out: &mut [u8], n: usize, packet: bool) -> usize {
        let k = n.min(out.len());
        // Copy slice-wise (the ring may wrap), then drop the `n` bytes.
        let (a, b) = self.buf.as_slices();
        let from_a = k.min(a.len());
        out[..from_a].copy_from_slice(&a[..from_a]);
        if k > from_a {
            out[from_a..k].copy_from_slice(&b[..k - from_a]);
        }
        self.buf.drain(..n);
        self.head += n as u64;
        self.used -= if packet { PIPE_BUF } else { n };
        k
    }
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
                head: 0,
                packets: VecDeque::new(),
                used: 0,
                capacity: PIPE_CAPACITY,
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
        if buf.is_empty() {
            return Ok(0);
        }
        let mut s = self.pipe.lock();
        if s.buf.is_empty() {
            return if s.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        // Linux wakes poll waiters after a read only if the pipe was full (pipe_read).
        let was_full = s.capacity.saturating_sub(s.used) < PIPE_BUF;
        let mut done = 0;
        while done < buf.len() && !s.buf.is_empty() {
            match s.packets.front().copied() {
                Some((start, len)) if start == s.head => {
                    // One packet per read; what does not fit is discarded.
                    s.packets.pop_front();
                    done += s.take(&mut buf[done..], len, true);
                    break;
                }
                next => {
                    let plain = match next {
                        Some((start, _)) => (start - s.head) as usize,
                        None => s.buf.len(),
                    };
                    let n = plain.min(buf.len() - done);
                    done += s.take(&mut buf[done..], n, false);
                }
            }
        }
        drop(s);
        if was_full {
            self.pipe.wq.notify_all();
        } else {
            self.pipe.wq.notify_quiet();
        }
        Ok(done)
    }

    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        self.write_as(buf, off, 0)
    }

    fn write_as(&self, buf: &[u8], _off: u64, flags: u32) -> Result<usize, Errno> {
        let mut s = self.pipe.lock();
        if s.readers == 0 {
            return Err(Errno::EPIPE);
        }
        let space = s.capacity.saturating_sub(s.used);
        let n = if flags & O_DIRECT != 0 {
            // Packet mode: every PIPE_BUF-sized piece is a packet taking a page buffer.
            let slots = space / PIPE_BUF;
            if slots == 0 {
                return Err(Errno::EAGAIN);
            }
            let n = buf.len().min(slots * PIPE_BUF);
            for chunk in buf[..n].chunks(PIPE_BUF) {
                let pos = s.head + s.buf.len() as u64;
                s.packets.push_back((pos, chunk.len()));
                s.buf.extend(chunk);
                s.used += PIPE_BUF;
            }
            n
        } else {
            if space == 0 || (buf.len() <= PIPE_BUF && space < buf.len()) {
                return Err(Errno::EAGAIN);
            }
            let n = space.min(buf.len());
            s.buf.extend(&buf[..n]);
            s.used += n;
            n
        };
        drop(s);
        self.pipe.wq.notify_all();
        Ok(n)
    }

    fn pipe_size(&self) -> Option<u64> {
        Some(self.pipe.lock().capacity as u64)
    }

    fn set_pipe_size(&self, size: u64, privileged: bool) -> Result<u64, Errno> {
        // As round_pipe_size: the argument is an unsigned int, at least a page, rounded
        // up to a power of two.
        let size = size as u32 as u64;
        if size > 1 << 31 {
            return Err(Errno::EINVAL);
        }
        let size = size.max(PIPE_BUF as u64).next_power_of_two();
        let mut s = self.pipe.lock();
        if size > s.capacity as u64 && size > PIPE_MAX_SIZE && !privileged {
            return Err(Errno::EPERM);
        }
        if (s.used as u64) > size {
            return Err(Errno::EBUSY);
        }
        s.capacity = size as usize;
        drop(s);
        self.pipe.wq.notify_all();
        Ok(size)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readiness(&self) -> u32 {
        let s = self.pipe.lock();
        let mut r = 0;
        if self.read {
            if !s.buf.is_empty() {
                r |= POLLIN | POLLRDNORM;
            }
            if s.writers == 0 {
                r |= POLLHUP;
            }
        }
        if self.write {
            if s.capacity.saturating_sub(s.used) >= PIPE_BUF {
                r |= POLLOUT | POLLWRNORM;
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

    fn peek(&self, buf: &mut [u8]) -> Result<usize, Errno> {
        if !self.read {
            return Err(Errno::EBADF);
        }
        let s = self.pipe.lock();
        if s.buf.is_empty() {
            return if s.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let n = buf.len().min(s.buf.len());
        for (o, b) in buf[..n].iter_mut().zip(s.buf.iter()) {
            *o = *b;
        }
        Ok(n)
    }

    fn pipe_id(&self) -> Option<u64> {
        Some(self.pipe.id)
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
