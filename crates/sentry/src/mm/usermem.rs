//! Copy-in and copy-out of application memory (usermem). A bad address gives EFAULT,
//! never a Sentry crash. Pages are made present (and copied on write) as needed.

use super::Mm;
use husk_abi::{Errno, Iovec, PAGE_SIZE};
use husk_platform::Access;
use zerocopy::{FromBytes, Immutable, IntoBytes};

/// One application buffer.
#[derive(Clone, Copy, Debug)]
pub struct IoVec {
    pub addr: u64,
    pub len: u64,
}

impl Mm {
    fn for_each_page(
        &self,
        addr: u64,
        len: usize,
        want: Access,
        mut f: impl FnMut(u64, usize, usize) -> Result<(), Errno>,
    ) -> Result<(), Errno> {
        if len == 0 {
            return Ok(());
        }
        let end = addr.checked_add(len as u64).ok_or(Errno::EFAULT)?;
        if end > self.max_addr {
            return Err(Errno::EFAULT);
        }
        let mut inner = self.lock();
        let mut cur = addr;
        let mut done = 0usize;
        while cur < end {
            let page = cur & !(PAGE_SIZE - 1);
            let n = ((page + PAGE_SIZE).min(end) - cur) as usize;
            self.fault_locked(&mut inner, cur, Some(want), false)
                .map_err(|_| Errno::EFAULT)?;
            let frame = inner
                .pages
                .get(&page)
                .map(|p| p.frame)
                .ok_or(Errno::EFAULT)?;
            f(frame + (cur - page), done, n)?;
            done += n;
            cur += n as u64;
        }
        Ok(())
    }

    /// Copies application memory at `addr` into `buf`.
    pub fn copy_in(&self, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let mf = self.mf.clone();
        self.for_each_page(addr, buf.len(), Access::READ, |off, at, n| {
            mf.read(off, &mut buf[at..at + n])
        })
    }

    /// Copies `buf` into application memory at `addr`.
    pub fn copy_out(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        let mf = self.mf.clone();
        self.for_each_page(
            addr,
            buf.len(),
            Access {
                read: false,
                write: true,
                exec: false,
            },
            |off, at, n| mf.write(off, &buf[at..at + n]),
        )
    }

    /// Reads up to `len` bytes of host file `fd` at `file_off` straight into application
    /// memory at `addr` (runs of contiguous memory-file pages get one pread each).
    /// Returns the bytes read; EFAULT if not even the first page is writable.
    pub fn read_fd_into(
        &self,
        addr: u64,
        len: usize,
        fd: i32,
        file_off: u64,
    ) -> Result<usize, Errno> {
        if len == 0 {
            return Ok(0);
        }
        let end = addr.checked_add(len as u64).ok_or(Errno::EFAULT)?;
        if end > self.max_addr {
            return Err(Errno::EFAULT);
        }
        let want = Access {
            read: false,
            write: true,
            exec: false,
        };
        let mut inner = self.lock();
        let mut done = 0usize;
        let mut cur = addr;
        while cur < end {
            let page = cur & !(PAGE_SIZE - 1);
            if self
                .fault_locked(&mut inner, cur, Some(want), false)
                .is_err()
            {
                break;
            }
            let Some(frame) = inner.pages.get(&page).map(|p| p.frame + (cur - page)) else {
                break;
            };
            let mut run = (page + PAGE_SIZE).min(end) - cur;
            while cur + run < end {
                let next = cur + run;
                if self
                    .fault_locked(&mut inner, next, Some(want), false)
                    .is_err()
                {
                    break;
                }
                match inner.pages.get(&next) {
                    Some(p) if p.frame == frame + run => run += (next + PAGE_SIZE).min(end) - next,
                    _ => break,
                }
            }
            let n = self
                .mf
                .fill_from_fd(frame, run, fd, file_off + done as u64)?;
            done += n as usize;
            cur += n;
            if n < run {
                break;
            }
        }
        if done == 0
            && cur == addr
            && cur < end
            && self
                .fault_locked(&mut inner, cur, Some(want), false)
                .is_err()
        {
            return Err(Errno::EFAULT);
        }
        Ok(done)
    }

    /// Copies in as much of `[addr, addr+len)` as is readable, stopping at the first bad page.
    pub fn copy_in_partial(&self, addr: u64, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len);
        let mut cur = addr;
        let end = addr.saturating_add(len as u64);
        while cur < end {
            let n = ((cur | (PAGE_SIZE - 1)) + 1).min(end) - cur;
            let mut b = vec![0u8; n as usize];
            if self.copy_in(cur, &mut b).is_err() {
                break;
            }
            out.extend_from_slice(&b);
            cur += n;
        }
        out
    }

    /// Reads a NUL-terminated string of at most `max` bytes (ENAMETOOLONG beyond).
    pub fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        let mut out = Vec::new();
        let mut cur = addr;
        loop {
            let n = (((cur | (PAGE_SIZE - 1)) + 1) - cur).min(256) as usize;
            let mut b = vec![0u8; n];
            self.copy_in(cur, &mut b)?;
            if let Some(i) = b.iter().position(|&c| c == 0) {
                out.extend_from_slice(&b[..i]);
                return Ok(out);
            }
            out.extend_from_slice(&b);
            if out.len() > max {
                return Err(Errno::ENAMETOOLONG);
            }
            cur += n as u64;
        }
    }

    /// Reads a `T` at `addr`.
    pub fn read_obj<T: FromBytes>(&self, addr: u64) -> Result<T, Errno> {
        let mut b = vec![0u8; std::mem::size_of::<T>()];
        self.copy_in(addr, &mut b)?;
        T::read_from_bytes(&b).map_err(|_| Errno::EFAULT)
    }

    /// Writes `v` at `addr`.
    pub fn write_obj<T: IntoBytes + Immutable>(&self, addr: u64, v: &T) -> Result<(), Errno> {
        self.copy_out(addr, v.as_bytes())
    }

    /// Reads a u64 at `addr`.
    pub fn read_u64(&self, addr: u64) -> Result<u64, Errno> {
        self.read_obj::<u64>(addr)
    }

    /// Reads a u32 at `addr`.
    pub fn read_u32(&self, addr: u64) -> Result<u32, Errno> {
        self.read_obj::<u32>(addr)
    }

    /// Reads an array of `count` iovecs at `addr` (EINVAL if too many or too long).
    pub fn read_iovecs(&self, addr: u64, count: u64) -> Result<Vec<IoVec>, Errno> {
        if count > 1024 {
            return Err(Errno::EINVAL);
        }
        let mut out = Vec::with_capacity(count as usize);
        let mut total: u64 = 0;
        for i in 0..count {
            let v: Iovec = self.read_obj(addr + i * 16)?;
            total = total.checked_add(v.iov_len).ok_or(Errno::EINVAL)?;
            if total > i64::MAX as u64 {
                return Err(Errno::EINVAL);
            }
            out.push(IoVec {
                addr: v.iov_base,
                len: v.iov_len,
            });
        }
        Ok(out)
    }

    /// Reads a NULL-terminated array of string pointers (argv, envp).
    pub fn read_string_array(&self, addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
        let mut out = Vec::new();
        if addr == 0 {
            return Ok(out);
        }
        let mut total = 0usize;
        for i in 0.. {
            let p = self.read_u64(addr + i * 8)?;
            if p == 0 {
                break;
            }
            let s = self.read_cstring(p, 128 * 1024)?;
            total += s.len() + 1;
            if total > 2 * 1024 * 1024 || i > 1 << 20 {
                return Err(Errno::E2BIG);
            }
            out.push(s);
        }
        Ok(out)
    }
}
