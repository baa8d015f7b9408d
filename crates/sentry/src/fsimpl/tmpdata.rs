//! File data kept in the memory file (tmpfs files, copied-up files, shared anonymous
//! memory) and the page cache of read-only gofer files.

use crate::memfile::MemoryFile;
use crate::mm::Mappable;
use husk_abi::{Errno, PAGE_SIZE};
use husk_gofer::{Client, Request, Response};
use rustix::fd::{AsRawFd, OwnedFd};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

static NEXT_OBJ: AtomicU64 = AtomicU64::new(1);

struct Pages {
    map: BTreeMap<u64, u64>,
    size: u64,
}

/// The page budget of a size-limited tmpfs (`size=`), shared by its files.
pub struct Quota {
    /// Pages allowed.
    pub limit: u64,
    used: AtomicU64,
}

impl Quota {
    pub fn new(limit_pages: u64) -> Arc<Quota> {
        Arc::new(Quota {
            limit: limit_pages,
            used: AtomicU64::new(0),
        })
    }

    /// Pages in use.
    pub fn used(&self) -> u64 {
        self.used.load(Ordering::Relaxed)
    }

    /// Takes `n` pages from the budget, or fails (nothing taken).
    fn charge(&self, n: u64) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                u.checked_add(n).filter(|&t| t <= self.limit)
            })
            .is_ok()
    }

    fn uncharge(&self, n: u64) {
        let _ = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                Some(u.saturating_sub(n))
            });
    }
}

/// Bytes of a file held in memory-file pages.
pub struct TmpData {
    mf: Arc<MemoryFile>,
    /// The budget its pages are charged to (None: unlimited).
    quota: Option<Arc<Quota>>,
    /// Address spaces that have mapped this object.
    mappers: Mutex<Vec<std::sync::Weak<crate::mm::Mm>>>,
    pages: Mutex<Pages>,
    id: u64,
}

impl TmpData {
    pub fn new(mf: Arc<MemoryFile>) -> Arc<TmpData> {
        Self::with_quota(mf, None)
    }

    /// An empty object whose pages are charged to `quota`.
    pub fn with_quota(mf: Arc<MemoryFile>, quota: Option<Arc<Quota>>) -> Arc<TmpData> {
        Arc::new(TmpData {
            mf,
            quota,
            pages: Mutex::new(Pages {
                map: BTreeMap::new(),
                size: 0,
            }),
            mappers: Mutex::new(Vec::new()),
            id: NEXT_OBJ.fetch_add(1, Ordering::Relaxed),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pages> {
        self.pages.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A new page for this object, charged to its quota (ENOSPC when exhausted).
    fn alloc_page(&self, mf: &MemoryFile) -> Result<u64, Errno> {
        if let Some(q) = &self.quota {
            if !q.charge(1) {
                return Err(Errno::ENOSPC);
            }
        }
        mf.alloc(1).inspect_err(|_| self.release(1))
    }

    /// Gives `n` freed pages back to the quota.
    fn release(&self, n: u64) {
        if let Some(q) = &self.quota {
            q.uncharge(n);
        }
    }

    pub fn size(&self) -> u64 {
        self.lock().size
    }

    /// lseek SEEK_DATA (`data`) or SEEK_HOLE from `off`, page by page as tmpfs does:
    /// data is where pages are present; the end of the file is a hole. ENXIO at or
    /// past the end.
    pub fn seek_data_hole(&self, off: u64, data: bool) -> Result<u64, Errno> {
        let p = self.lock();
        if off >= p.size {
            return Err(Errno::ENXIO);
        }
        let idx = off / PAGE_SIZE;
        if data {
            let (&k, _) = p.map.range(idx..).next().ok_or(Errno::ENXIO)?;
            let pos = (k * PAGE_SIZE).max(off);
            return if pos < p.size {
                Ok(pos)
            } else {
                Err(Errno::ENXIO)
            };
        }
        let mut k = idx;
        for (&key, _) in p.map.range(idx..) {
            if key != k {
                break;
            }
            k += 1;
        }
        Ok((k * PAGE_SIZE).max(off).min(p.size))
    }

    pub fn blocks(&self) -> u64 {
        self.lock().map.len() as u64 * (PAGE_SIZE / 512)
    }

    pub fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let p = self.lock();
        if off >= p.size {
            return Ok(0);
        }
        let n = ((p.size - off) as usize).min(buf.len());
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let idx = pos / PAGE_SIZE;
            let in_page = (pos % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE as usize - in_page).min(n - done);
            match p.map.get(&idx) {
                Some(&frame) => self
                    .mf
                    .read(frame + in_page as u64, &mut buf[done..done + chunk])?,
                None => buf[done..done + chunk].fill(0),
            }
            done += chunk;
        }
        Ok(n)
    }

    pub fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        let end = off.checked_add(buf.len() as u64).ok_or(Errno::EFBIG)?;
        let mut p = self.lock();
        let mut done = 0;
        while done < buf.len() {
            let pos = off + done as u64;
            let idx = pos / PAGE_SIZE;
            let in_page = (pos % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE as usize - in_page).min(buf.len() - done);
            let frame = match p.map.get(&idx) {
                Some(&f) => f,
                None => match self.alloc_page(&self.mf) {
                    Ok(f) => {
                        p.map.insert(idx, f);
                        f
                    }
                    // Out of space: a short write, or ENOSPC if nothing was written.
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                },
            };
            self.mf
                .write(frame + in_page as u64, &buf[done..done + chunk])?;
            done += chunk;
        }
        let end = if done < buf.len() {
            off + done as u64
        } else {
            end
        };
        if end > p.size {
            p.size = end;
        }
        Ok(done)
    }

    pub fn truncate(&self, size: u64) -> Result<(), Errno> {
        let mut p = self.lock();
        if size < p.size {
            let first_gone = size.div_ceil(PAGE_SIZE);
            let gone: Vec<u64> = p.map.range(first_gone..).map(|(&k, _)| k).collect();
            for k in gone {
                if let Some(f) = p.map.remove(&k) {
                    self.mf.decref(f);
                    self.release(1);
                }
            }
            // Zero the tail of the last page.
            if !size.is_multiple_of(PAGE_SIZE) {
                if let Some(&f) = p.map.get(&(size / PAGE_SIZE)) {
                    self.mf
                        .zero(f + size % PAGE_SIZE, PAGE_SIZE - size % PAGE_SIZE)?;
                }
            }
        }
        let shrunk = size < p.size;
        p.size = size;
        drop(p);
        if shrunk {
            // Pages past the new end disappear from every mapping: touching them is SIGBUS.
            let mappers: Vec<_> = self
                .mappers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            let first = size.div_ceil(PAGE_SIZE);
            for m in mappers.iter().filter_map(|w| w.upgrade()) {
                m.invalidate_object((0, self.id), first);
            }
        }
        Ok(())
    }

    /// Makes sure pages back `[off, off+len)`; grows the size to the end unless
    /// `keep_size` (fallocate).
    pub fn allocate(&self, off: u64, len: u64, keep_size: bool) -> Result<(), Errno> {
        let end = off.checked_add(len).ok_or(Errno::EFBIG)?;
        let mut p = self.lock();
        let range = off / PAGE_SIZE..end.div_ceil(PAGE_SIZE);
        if let Some(q) = &self.quota {
            // All or nothing: the pages still missing must fit in the budget.
            let have = p.map.range(range.clone()).count() as u64;
            let missing = (range.end - range.start).saturating_sub(have);
            if !q.charge(missing) {
                return Err(Errno::ENOSPC);
            }
            q.uncharge(missing);
        }
        for idx in range {
            if let std::collections::btree_map::Entry::Vacant(v) = p.map.entry(idx) {
                v.insert(self.alloc_page(&self.mf)?);
            }
        }
        if !keep_size && end > p.size {
            p.size = end;
        }
        Ok(())
    }

    /// Zeroes `[off, off+len)` (clipped to the size), freeing the pages it covers
    /// whole; the size does not change (fallocate PUNCH_HOLE).
    pub fn punch(&self, off: u64, len: u64) -> Result<(), Errno> {
        let mut p = self.lock();
        let end = off.saturating_add(len).min(p.size);
        if off >= end {
            return Ok(());
        }
        let mut pos = off;
        while pos < end {
            let idx = pos / PAGE_SIZE;
            let in_page = pos % PAGE_SIZE;
            let chunk = (PAGE_SIZE - in_page).min(end - pos);
            if chunk == PAGE_SIZE || (in_page == 0 && pos + chunk >= p.size) {
                if let Some(f) = p.map.remove(&idx) {
                    self.mf.decref(f);
                    self.release(1);
                }
            } else if let Some(&f) = p.map.get(&idx) {
                self.mf.zero(f + in_page, chunk)?;
            }
            pos += chunk;
        }
        Ok(())
    }

    /// Fills this (empty) object with the content of a host file.
    pub fn fill_from_fd(&self, fd: i32, size: u64) -> Result<(), Errno> {
        let mut p = self.lock();
        let chunk_pages = 16u64;
        let mut idx = 0;
        while idx * PAGE_SIZE < size {
            let n = chunk_pages.min((size - idx * PAGE_SIZE).div_ceil(PAGE_SIZE));
            let frame = self.mf.alloc(n)?;
            self.mf
                .fill_from_fd(frame, n * PAGE_SIZE, fd, idx * PAGE_SIZE)?;
            for i in 0..n {
                p.map.insert(idx + i, frame + i * PAGE_SIZE);
            }
            idx += n;
        }
        p.size = size;
        Ok(())
    }
}

impl Drop for TmpData {
    fn drop(&mut self) {
        let p = self.pages.get_mut().unwrap_or_else(|p| p.into_inner());
        for &f in p.map.values() {
            self.mf.decref(f);
        }
        if let Some(q) = &self.quota {
            q.uncharge(p.map.len() as u64);
        }
    }
}

impl Mappable for TmpData {
    fn get_page(&self, mf: &MemoryFile, index: u64) -> Result<u64, Errno> {
        let mut p = self.lock();
        if index * PAGE_SIZE >= p.size {
            return Err(Errno::EFAULT);
        }
        let frame = match p.map.get(&index) {
            Some(&f) => f,
            None => {
                let f = self.alloc_page(mf)?;
                p.map.insert(index, f);
                f
            }
        };
        mf.incref(frame);
        Ok(frame)
    }

    fn ident(&self) -> (u64, u64) {
        (0, self.id)
    }

    fn add_mapper(&self, mm: &std::sync::Weak<crate::mm::Mm>) {
        let mut m = self.mappers.lock().unwrap_or_else(|p| p.into_inner());
        m.retain(|w| w.strong_count() > 0);
        if !m.iter().any(|w| w.ptr_eq(mm)) {
            m.push(mm.clone());
        }
    }
}

/// A read-only file of the gofer's tree: opened lazily, cached pages for mappings.
pub struct LowerFile {
    pub path: Vec<u8>,
    pub size: u64,
    pub ino: u64,
    gofer: Arc<Client>,
    mf: Arc<MemoryFile>,
    fd: Mutex<Option<Arc<OwnedFd>>>,
    cache: Mutex<BTreeMap<u64, u64>>,
}

/// Pages read ahead together into the page cache.
const CACHE_CHUNK: u64 = 16;

impl LowerFile {
    pub fn new(
        path: Vec<u8>,
        size: u64,
        ino: u64,
        gofer: Arc<Client>,
        mf: Arc<MemoryFile>,
    ) -> LowerFile {
        LowerFile {
            path,
            size,
            ino,
            gofer,
            mf,
            fd: Mutex::new(None),
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    /// The donated host fd, asking the gofer on first use.
    pub fn fd(&self) -> Result<Arc<OwnedFd>, Errno> {
        let mut g = self.fd.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(fd) = &*g {
            return Ok(fd.clone());
        }
        let (resp, fd) = self
            .gofer
            .call(&Request::Open {
                path: self.path.clone(),
            })
            .map_err(|_| Errno::EIO)?;
        match (resp, fd) {
            (Response::Opened(_), Some(fd)) => {
                let fd = Arc::new(fd);
                *g = Some(fd.clone());
                Ok(fd)
            }
            (Response::Error(e), _) => Err(Errno(e)),
            _ => Err(Errno::EIO),
        }
    }

    pub fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let fd = self.fd()?;
        loop {
            match rustix::io::pread(&*fd, &mut *buf, off) {
                Ok(n) => return Ok(n),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(Errno(e.raw_os_error())),
            }
        }
    }
}

impl Drop for LowerFile {
    fn drop(&mut self) {
        let c = self.cache.get_mut().unwrap_or_else(|p| p.into_inner());
        for &f in c.values() {
            self.mf.decref(f);
        }
    }
}

impl Mappable for LowerFile {
    fn get_page(&self, mf: &MemoryFile, index: u64) -> Result<u64, Errno> {
        if index * PAGE_SIZE >= self.size {
            return Err(Errno::EFAULT);
        }
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&f) = c.get(&index) {
            mf.incref(f);
            return Ok(f);
        }
        let first = index - index % CACHE_CHUNK;
        let last = (first + CACHE_CHUNK).min(self.size.div_ceil(PAGE_SIZE));
        let n = last - first;
        let fd = self.fd()?;
        let frame = mf.alloc(n)?;
        mf.fill_from_fd(frame, n * PAGE_SIZE, fd.as_raw_fd(), first * PAGE_SIZE)?;
        for i in 0..n {
            let f = frame + i * PAGE_SIZE;
            if let std::collections::btree_map::Entry::Vacant(v) = c.entry(first + i) {
                v.insert(f);
            } else {
                mf.decref(f);
            }
        }
        let f = *c.get(&index).ok_or(Errno::EIO)?;
        mf.incref(f);
        Ok(f)
    }

    fn ident(&self) -> (u64, u64) {
        (0x800, self.ino)
    }
}
