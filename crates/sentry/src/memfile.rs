//! The memory file (DESIGN.md section 4): one memfd holding all application memory, tmpfs
//! data and the page cache, carved into reference-counted pages. The Sentry reads and
//! writes it through its own mapping; platforms map ranges of it into address spaces.
//!
//! This is one of the two modules of the Sentry allowed to use `unsafe`.
#![allow(unsafe_code)]

use husk_abi::{Errno, PAGE_SIZE};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// Bytes of address space reserved for the Sentry's view of the memory file.
const RESERVE: u64 = 1 << 40;

struct Alloc {
    /// Free ranges: start -> length, coalesced.
    free: BTreeMap<u64, u64>,
    /// End of the used part of the file.
    top: u64,
    /// Reference count of each page (index = offset / PAGE_SIZE).
    refs: Vec<u32>,
    /// Pages in use.
    used: u64,
}

/// The memory file.
pub struct MemoryFile {
    fd: i32,
    base: *mut u8,
    alloc: Mutex<Alloc>,
}

// SAFETY: `base` points to a shared mapping that lives as long as the MemoryFile; all
// access goes through the copy functions below, which tolerate concurrent writers (the
// application may write the same memory at any time, as with real RAM).
unsafe impl Send for MemoryFile {}
// SAFETY: as above.
unsafe impl Sync for MemoryFile {}

impl MemoryFile {
    /// Creates the memfd and maps it.
    pub fn new() -> Result<MemoryFile, Errno> {
        // SAFETY: the name is a valid NUL-terminated string.
        let fd = unsafe { libc::memfd_create(c"husk-memory".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(Errno::from(std::io::Error::last_os_error()));
        }
        // SAFETY: plain syscall on our own fd.
        if unsafe { libc::ftruncate(fd, RESERVE as i64) } < 0 {
            return Err(Errno::from(std::io::Error::last_os_error()));
        }
        // SAFETY: a fresh shared mapping of our memfd; MAP_NORESERVE as most stays unused.
        // The hint keeps this large mapping away from the top of the address space, where
        // the platform places its stub page.
        let base = unsafe {
            libc::mmap(
                0x1000_0000_0000usize as *mut libc::c_void,
                RESERVE as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_NORESERVE,
                fd,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(Errno::from(std::io::Error::last_os_error()));
        }
        Ok(MemoryFile {
            fd,
            base: base as *mut u8,
            alloc: Mutex::new(Alloc {
                free: BTreeMap::new(),
                top: 0,
                refs: Vec::new(),
                used: 0,
            }),
        })
    }

    /// The memfd, for platforms.
    pub fn fd(&self) -> i32 {
        self.fd
    }

    /// Bytes of memory in use.
    pub fn used_bytes(&self) -> u64 {
        self.alloc.lock().map(|a| a.used * PAGE_SIZE).unwrap_or(0)
    }

    /// Allocates `pages` contiguous zeroed pages with one reference each.
    pub fn alloc(&self, pages: u64) -> Result<u64, Errno> {
        let mut a = self.alloc.lock().map_err(|_| Errno::ENOMEM)?;
        let len = pages * PAGE_SIZE;
        let found = a
            .free
            .iter()
            .find(|(_, &l)| l >= len)
            .map(|(&s, &l)| (s, l));
        let start = match found {
            Some((s, l)) => {
                a.free.remove(&s);
                if l > len {
                    a.free.insert(s + len, l - len);
                }
                s
            }
            None => {
                let s = a.top;
                if s + len > RESERVE {
                    return Err(Errno::ENOMEM);
                }
                a.top += len;
                s
            }
        };
        let first = (start / PAGE_SIZE) as usize;
        let last = first + pages as usize;
        if a.refs.len() < last {
            a.refs.resize(last, 0);
        }
        for r in &mut a.refs[first..last] {
            *r = 1;
        }
        a.used += pages;
        Ok(start)
    }

    /// Adds a reference to page `off`.
    pub fn incref(&self, off: u64) {
        if let Ok(mut a) = self.alloc.lock() {
            if let Some(r) = a.refs.get_mut((off / PAGE_SIZE) as usize) {
                *r += 1;
            }
        }
    }

    /// The reference count of page `off`.
    pub fn refcount(&self, off: u64) -> u32 {
        self.alloc
            .lock()
            .ok()
            .and_then(|a| a.refs.get((off / PAGE_SIZE) as usize).copied())
            .unwrap_or(0)
    }

    /// Drops a reference to page `off`; frees it (and returns its memory to the host) at zero.
    pub fn decref(&self, off: u64) {
        let Ok(mut a) = self.alloc.lock() else { return };
        let idx = (off / PAGE_SIZE) as usize;
        let Some(r) = a.refs.get_mut(idx) else { return };
        if *r == 0 {
            return;
        }
        *r -= 1;
        if *r > 0 {
            return;
        }
        a.used -= 1;
        // SAFETY: punching a hole in our own memfd; the page is referenced by nobody, and
        // platforms unmap pages before the Sentry drops their last reference.
        unsafe {
            libc::fallocate(
                self.fd,
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                off as i64,
                PAGE_SIZE as i64,
            )
        };
        // Insert into the free map, coalescing with neighbours.
        let mut start = off;
        let mut len = PAGE_SIZE;
        if let Some((&ps, &pl)) = a.free.range(..off).next_back() {
            if ps + pl == off {
                a.free.remove(&ps);
                start = ps;
                len += pl;
            }
        }
        if let Some(&nl) = a.free.get(&(off + PAGE_SIZE)) {
            a.free.remove(&(off + PAGE_SIZE));
            len += nl;
        }
        a.free.insert(start, len);
    }

    fn check(&self, off: u64, len: usize) -> Result<(), Errno> {
        match off.checked_add(len as u64) {
            Some(end) if end <= RESERVE => Ok(()),
            _ => Err(Errno::EFAULT),
        }
    }

    /// Copies `buf.len()` bytes at `off` into `buf`.
    pub fn read(&self, off: u64, buf: &mut [u8]) -> Result<(), Errno> {
        self.check(off, buf.len())?;
        // SAFETY: the range is inside the mapping (checked); the source may be written
        // concurrently by the application, which only makes the copied bytes racy.
        unsafe {
            std::ptr::copy_nonoverlapping(self.base.add(off as usize), buf.as_mut_ptr(), buf.len())
        };
        Ok(())
    }

    /// Copies `buf` to `off`.
    pub fn write(&self, off: u64, buf: &[u8]) -> Result<(), Errno> {
        self.check(off, buf.len())?;
        // SAFETY: the range is inside the mapping (checked); no Rust reference to it exists.
        unsafe {
            std::ptr::copy_nonoverlapping(buf.as_ptr(), self.base.add(off as usize), buf.len())
        };
        Ok(())
    }

    /// Copies `len` bytes from `src` to `dst` within the file.
    pub fn copy(&self, src: u64, dst: u64, len: u64) -> Result<(), Errno> {
        self.check(src, len as usize)?;
        self.check(dst, len as usize)?;
        // SAFETY: both ranges are inside the mapping; `copy` tolerates overlap.
        unsafe {
            std::ptr::copy(
                self.base.add(src as usize),
                self.base.add(dst as usize),
                len as usize,
            )
        };
        Ok(())
    }

    /// Zeroes `len` bytes at `off`.
    pub fn zero(&self, off: u64, len: u64) -> Result<(), Errno> {
        self.check(off, len as usize)?;
        // SAFETY: the range is inside the mapping.
        unsafe { std::ptr::write_bytes(self.base.add(off as usize), 0, len as usize) };
        Ok(())
    }

    /// Reads up to `len` bytes of host file `fd` at `file_off` into the file at `off`
    /// (zero-filling what lies beyond the host file's end). Returns bytes read.
    pub fn fill_from_fd(&self, off: u64, len: u64, fd: i32, file_off: u64) -> Result<u64, Errno> {
        self.check(off, len as usize)?;
        let mut done = 0u64;
        while done < len {
            // SAFETY: the destination range is inside the mapping (checked above).
            let r = unsafe {
                libc::pread(
                    fd,
                    self.base.add((off + done) as usize) as *mut libc::c_void,
                    (len - done) as usize,
                    (file_off + done) as i64,
                )
            };
            if r < 0 {
                let e = std::io::Error::last_os_error();
                if e.raw_os_error() == Some(libc::EINTR) {
                    continue;
                }
                return Err(Errno::from(e));
            }
            if r == 0 {
                break;
            }
            done += r as u64;
        }
        Ok(done)
    }
}

impl Drop for MemoryFile {
    fn drop(&mut self) {
        // SAFETY: unmapping and closing what `new` created; no copies are in flight as
        // we hold the only reference.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, RESERVE as usize);
            libc::close(self.fd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alloc_free_reuse_and_zero() {
        let mf = MemoryFile::new().expect("memfd");
        let a = mf.alloc(2).expect("alloc");
        mf.write(a, b"hello").expect("write");
        let mut b = [0u8; 5];
        mf.read(a, &mut b).expect("read");
        assert_eq!(&b, b"hello");
        mf.incref(a);
        assert_eq!(mf.refcount(a), 2);
        mf.decref(a);
        mf.decref(a);
        mf.decref(a + PAGE_SIZE);
        let c = mf.alloc(2).expect("alloc");
        assert_eq!(c, a);
        mf.read(c, &mut b).expect("read");
        assert_eq!(b, [0u8; 5]);
    }
}
