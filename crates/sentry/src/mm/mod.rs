//! Memory management: VMAs, the Sentry's page table of each address space, faults,
//! copy-on-write, and the mmap family's semantics. The platform's mappings are a cache of
//! `pages`: a page is mapped into the stub lazily, on a fault.

mod usermem;

use crate::memfile::MemoryFile;
use husk_abi::{page_down, page_up, Errno, PAGE_SIZE};
use husk_platform::{Access, AddressSpace, FileRange};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

pub use usermem::IoVec;

/// Something that can be mapped: a file's pages in the memory file.
pub trait Mappable: Send + Sync {
    /// The memory-file offset of page `index` of the object, with one reference added for
    /// the caller, populating it if needed. `Err(EFAULT)` beyond the end (SIGBUS).
    fn get_page(&self, mf: &MemoryFile, index: u64) -> Result<u64, Errno>;
    /// A stable identity for futex keys and /proc maps.
    fn ident(&self) -> (u64, u64);
    /// Remembers an address space that maps this object (for truncation).
    fn add_mapper(&self, _mm: &std::sync::Weak<Mm>) {}
    /// Writes data changed through shared mappings back to where the object keeps it
    /// (msync, munmap, exit). Objects whose pages are their data need nothing.
    fn writeback(&self) -> Result<(), Errno> {
        Ok(())
    }
    /// A shared mapping of the object became writable (mmap or mprotect): from now on
    /// its pages may change behind the object's back until written back.
    fn shared_write_mapping(&self) {}
}

/// What a VMA maps.
#[derive(Clone)]
pub enum Backing {
    Anon,
    File {
        obj: Arc<dyn Mappable>,
        offset: u64,
        path: String,
    },
}

/// A virtual memory area.
#[derive(Clone)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Access,
    pub shared: bool,
    pub growsdown: bool,
    pub backing: Backing,
    /// `[heap]`, `[stack]` or empty.
    pub name: &'static str,
    pub flags: VmaFlags,
}

/// VMA properties beyond the protection (Linux's VM_MAYWRITE, VM_DONTCOPY,
/// VM_WIPEONFORK). The default is an ordinary mapping.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VmaFlags {
    /// PROT_WRITE may never be granted (a shared mapping of a file opened read-only).
    pub deny_write: bool,
    /// MADV_DONTFORK: a forked child does not get this mapping.
    pub dontfork: bool,
    /// MADV_WIPEONFORK: a forked child gets this mapping zero-filled.
    pub wipeonfork: bool,
}

impl Vma {
    fn file_page(&self, addr: u64) -> Option<(Arc<dyn Mappable>, u64)> {
        match &self.backing {
            Backing::Anon => None,
            Backing::File { obj, offset, .. } => {
                Some((obj.clone(), (offset + (addr - self.start)) / PAGE_SIZE))
            }
        }
    }
}

/// One page of an address space.
#[derive(Clone, Copy, Debug)]
struct Pte {
    frame: u64,
    /// The frame is this address space's private copy (anonymous or copied on write).
    private: bool,
    /// What the platform has mapped for this page.
    mapped: Access,
}

/// Where the regions of a process's image are, for /proc and prctl.
#[derive(Clone, Default)]
pub struct Layout {
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
    pub auxv: Vec<(u64, u64)>,
    pub exe: String,
}

pub struct MmInner {
    vmas: BTreeMap<u64, Vma>,
    pages: BTreeMap<u64, Pte>,
    pub brk_start: u64,
    pub brk: u64,
    mmap_base: u64,
    pub layout: Layout,
}

static NEXT_MM_ID: AtomicU64 = AtomicU64::new(1);

/// An application address space as the Sentry sees it.
pub struct Mm {
    pub id: u64,
    inner: Mutex<MmInner>,
    pub aspace: Arc<dyn AddressSpace>,
    pub mf: Arc<MemoryFile>,
    pub max_addr: u64,
    /// RLIMIT_STACK of the process, in bytes: the most a MAP_GROWSDOWN VMA may grow to.
    /// The kernel keeps it current (kernel/task.rs sets it before handling faults).
    pub stack_limit: AtomicU64,
    /// A weak reference to this Mm, for objects that must reach their mappers
    /// (truncation unmaps pages past the new end). Set by `Mm::arc`.
    me: std::sync::OnceLock<std::sync::Weak<Mm>>,
}

/// The lowest address mmap hands out.
pub const MIN_ADDR: u64 = 0x10000;
/// Pages populated around a fault in anonymous memory.
const FAULT_AROUND: u64 = 16;

/// How a fault was resolved.
#[derive(Debug, PartialEq, Eq)]
pub enum FaultError {
    /// No mapping: SEGV_MAPERR.
    Unmapped,
    /// A mapping without the needed rights: SEGV_ACCERR.
    Access,
    /// Beyond the end of a mapped file: SIGBUS.
    Bus,
    /// The page is already mapped with all the VMA's rights: retry once; a repeat of the
    /// same fault is an access violation (SEGV_ACCERR).
    MaybeSpurious,
}

impl Mm {
    pub fn new(aspace: Arc<dyn AddressSpace>, mf: Arc<MemoryFile>, max_addr: u64) -> Mm {
        Mm {
            id: NEXT_MM_ID.fetch_add(1, Ordering::Relaxed),
            inner: Mutex::new(MmInner {
                vmas: BTreeMap::new(),
                pages: BTreeMap::new(),
                brk_start: 0,
                brk: 0,
                mmap_base: max_addr - (1 << 30) * 16,
                layout: Layout::default(),
            }),
            aspace,
            mf,
            max_addr,
            stack_limit: AtomicU64::new(8 << 20),
            me: std::sync::OnceLock::new(),
        }
    }

    /// Puts `mm` in an `Arc` that knows itself (see `me`).
    pub fn arc(mm: Mm) -> Arc<Mm> {
        let a = Arc::new(mm);
        let _ = a.me.set(Arc::downgrade(&a));
        a
    }

    /// Drops the pages of the object `ident` from page `first_index` on (the object was
    /// truncated): the next access faults and, past the end, raises SIGBUS.
    pub fn invalidate_object(&self, ident: (u64, u64), first_index: u64) {
        let mut inner = self.lock();
        let ranges: Vec<(u64, u64, bool)> = inner
            .vmas
            .values()
            .filter_map(|v| match &v.backing {
                Backing::File { obj, offset, .. } if obj.ident() == ident => {
                    let first = first_index * PAGE_SIZE;
                    let start = if first <= *offset {
                        v.start
                    } else {
                        v.start.saturating_add(first - offset)
                    };
                    (start < v.end).then_some((start, v.end, v.shared))
                }
                _ => None,
            })
            .collect();
        for (start, end, shared) in ranges {
            let addrs: Vec<u64> = inner
                .pages
                .range(start..end)
                .filter(|(_, p)| shared || !p.private)
                .map(|(&a, _)| a)
                .collect();
            for a in addrs {
                if let Some(pte) = inner.pages.remove(&a) {
                    if pte.mapped != Access::NONE {
                        self.aspace.unmap(a, PAGE_SIZE);
                    }
                    self.mf.decref(pte.frame);
                }
            }
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, MmInner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The mmap base for top-down allocation (below the stack).
    pub fn set_mmap_base(&self, base: u64) {
        self.lock().mmap_base = base;
    }

    /// A copy of this address space for fork: private pages become copy-on-write.
    pub fn fork(&self, aspace: Arc<dyn AddressSpace>) -> Mm {
        let mut inner = self.lock();
        let mut pages = BTreeMap::new();
        let mut downgrade: Vec<u64> = Vec::new();
        // MADV_DONTFORK mappings stay behind; MADV_WIPEONFORK ones start empty.
        let vmas: BTreeMap<u64, Vma> = inner
            .vmas
            .iter()
            .filter(|(_, v)| !v.flags.dontfork)
            .map(|(&k, v)| (k, v.clone()))
            .collect();
        let skipped: Vec<(u64, u64)> = inner
            .vmas
            .values()
            .filter(|v| v.flags.dontfork || v.flags.wipeonfork)
            .map(|v| (v.start, v.end))
            .collect();
        for (&addr, pte) in inner.pages.iter_mut() {
            if skipped.iter().any(|&(s, e)| addr >= s && addr < e) {
                continue;
            }
            self.mf.incref(pte.frame);
            pages.insert(
                addr,
                Pte {
                    mapped: Access::NONE,
                    ..*pte
                },
            );
            if pte.private && pte.mapped.write {
                downgrade.push(addr);
                pte.mapped = Access::NONE;
            }
        }
        // Unmap the parent's writable private pages so its next write faults and copies.
        for (start, len) in runs(&downgrade) {
            self.aspace.unmap(start, len);
        }
        let child = MmInner {
            vmas,
            pages,
            brk_start: inner.brk_start,
            brk: inner.brk,
            mmap_base: inner.mmap_base,
            layout: inner.layout.clone(),
        };
        Mm {
            id: NEXT_MM_ID.fetch_add(1, Ordering::Relaxed),
            inner: Mutex::new(child),
            aspace,
            mf: self.mf.clone(),
            max_addr: self.max_addr,
            stack_limit: AtomicU64::new(self.stack_limit.load(Ordering::Relaxed)),
            me: std::sync::OnceLock::new(),
        }
    }

    /// Writes `buf` at `addr` regardless of the VMA's rights (the ELF loader's bss zeroing).
    pub fn write_force(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        let mut inner = self.lock();
        let mut done = 0usize;
        while done < buf.len() {
            let cur = addr + done as u64;
            let page = page_down(cur);
            let n = ((page + PAGE_SIZE - cur) as usize).min(buf.len() - done);
            self.fault_locked(&mut inner, cur, Some(Access::NONE), false)
                .map_err(|_| Errno::EFAULT)?;
            self.cow_locked(&mut inner, page)
                .map_err(|_| Errno::EFAULT)?;
            let frame = inner
                .pages
                .get(&page)
                .map(|p| p.frame)
                .ok_or(Errno::EFAULT)?;
            self.mf.write(frame + (cur - page), &buf[done..done + n])?;
            done += n;
        }
        Ok(())
    }

    /// Handles an application fault at `addr`.
    pub fn handle_fault(&self, addr: u64) -> Result<(), FaultError> {
        let mut inner = self.lock();
        self.fault_locked(&mut inner, addr, None, true)
    }

    /// Makes page `addr` present with at least `want` rights in the Sentry's page table;
    /// maps it in the platform when `map` (an application fault). `want == None` means an
    /// application fault of unknown kind.
    fn fault_locked(
        &self,
        inner: &mut MmInner,
        addr: u64,
        want: Option<Access>,
        map: bool,
    ) -> Result<(), FaultError> {
        let page = page_down(addr);
        let vma = match inner.find_vma(addr) {
            Some(v) => v.clone(),
            None => match inner.grow_stack(addr, self.stack_limit.load(Ordering::Relaxed)) {
                Some(v) => v,
                None => return Err(FaultError::Unmapped),
            },
        };
        if let Some(w) = want {
            if !vma.prot.contains(w) {
                return Err(FaultError::Access);
            }
        } else if vma.prot == Access::NONE {
            return Err(FaultError::Access);
        }
        let want_write = want.map(|w| w.write);
        match inner.pages.get(&page).copied() {
            None => {
                if vma.shared || !matches!(vma.backing, Backing::Anon) {
                    let (obj, idx) = match vma.file_page(page) {
                        Some(x) => x,
                        None => return Err(FaultError::Unmapped),
                    };
                    if let Some(me) = self.me.get() {
                        obj.add_mapper(me);
                    }
                    let frame = obj.get_page(&self.mf, idx).map_err(|_| FaultError::Bus)?;
                    inner.pages.insert(
                        page,
                        Pte {
                            frame,
                            private: false,
                            mapped: Access::NONE,
                        },
                    );
                    if !vma.shared && want_write == Some(true) {
                        self.cow_locked(inner, page)?;
                    }
                    if map {
                        if want.is_none() {
                            // Fault around: populate and map the absent pages of the same
                            // 16-page window (their page-cache frames are usually
                            // contiguous), so a program's first pass over a file mapping
                            // takes one fault per window instead of one per page.
                            self.fault_around_file(inner, &vma, page, &obj);
                        } else {
                            self.map_page(inner, &vma, page);
                        }
                    }
                    return Ok(());
                }
                // Anonymous private memory: populate the page, and when the access looks
                // sequential (the neighbour below or above is present) a run of absent
                // pages in that direction. A lone touch populates one page, as on Linux
                // (mincore shows exactly the touched pages of a sparse mapping).
                let win_start = (page & !(FAULT_AROUND * PAGE_SIZE - 1)).max(vma.start);
                let win_end = ((page & !(FAULT_AROUND * PAGE_SIZE - 1)) + FAULT_AROUND * PAGE_SIZE)
                    .min(vma.end);
                let below = page
                    .checked_sub(PAGE_SIZE)
                    .is_some_and(|p| inner.pages.contains_key(&p));
                let above = inner.pages.contains_key(&(page + PAGE_SIZE));
                let mut start = page;
                while above && start > win_start && !inner.pages.contains_key(&(start - PAGE_SIZE))
                {
                    start -= PAGE_SIZE;
                }
                let mut end = page + PAGE_SIZE;
                while below && end < win_end && !inner.pages.contains_key(&end) {
                    end += PAGE_SIZE;
                }
                let n = (end - start) / PAGE_SIZE;
                let frame = self.mf.alloc(n).map_err(|_| FaultError::Bus)?;
                let mapped = if map
                    && self
                        .aspace
                        .map_file(
                            start,
                            FileRange {
                                offset: frame,
                                len: n * PAGE_SIZE,
                            },
                            vma.prot,
                        )
                        .is_ok()
                {
                    vma.prot
                } else {
                    Access::NONE
                };
                for i in 0..n {
                    inner.pages.insert(
                        start + i * PAGE_SIZE,
                        Pte {
                            frame: frame + i * PAGE_SIZE,
                            private: true,
                            mapped,
                        },
                    );
                }
                Ok(())
            }
            Some(pte) => {
                let writable_vma = vma.prot.write;
                let exclusive = pte.private && self.mf.refcount(pte.frame) == 1;
                let needs_copy = !vma.shared && !exclusive;
                match want {
                    Some(w) => {
                        if w.write && needs_copy {
                            self.cow_locked(inner, page)?;
                            if map {
                                self.map_page(inner, &vma, page);
                            }
                        }
                        Ok(())
                    }
                    None => {
                        // An application fault on a present page.
                        if pte.mapped == Access::NONE {
                            self.map_page(inner, &vma, page);
                            return Ok(());
                        }
                        if writable_vma && !pte.mapped.write {
                            if needs_copy {
                                self.cow_locked(inner, page)?;
                            }
                            self.map_page(inner, &vma, page);
                            return Ok(());
                        }
                        if vma.prot.exec && !pte.mapped.exec {
                            self.map_page(inner, &vma, page);
                            return Ok(());
                        }
                        // Mapped with every right the VMA grants: either another thread
                        // mapped it after this fault was taken, or the access is forbidden.
                        Err(FaultError::MaybeSpurious)
                    }
                }
            }
        }
    }

    /// Populates the absent pages around `page` in its aligned window of a file VMA and
    /// maps the window's runs of contiguous memory-file pages with one platform call each.
    fn fault_around_file(
        &self,
        inner: &mut MmInner,
        vma: &Vma,
        page: u64,
        obj: &Arc<dyn Mappable>,
    ) {
        let win = FAULT_AROUND * PAGE_SIZE;
        let start = (page & !(win - 1)).max(vma.start);
        let end = ((page & !(win - 1)) + win).min(vma.end);
        let mut a = start;
        while a < end {
            if a != page && !inner.pages.contains_key(&a) {
                let Some((_, idx)) = vma.file_page(a) else {
                    break;
                };
                match obj.get_page(&self.mf, idx) {
                    Ok(frame) => {
                        inner.pages.insert(
                            a,
                            Pte {
                                frame,
                                private: false,
                                mapped: Access::NONE,
                            },
                        );
                    }
                    Err(_) => break,
                }
            }
            a += PAGE_SIZE;
        }
        // Map runs of unmapped pages whose frames are contiguous.
        let mut run: Option<(u64, u64, u64, Access)> = None; // (vaddr, frame, pages, prot)
        let flush = |run: &mut Option<(u64, u64, u64, Access)>, inner: &mut MmInner| {
            if let Some((va, fr, n, prot)) = run.take() {
                let ok = self
                    .aspace
                    .map_file(
                        va,
                        FileRange {
                            offset: fr,
                            len: n * PAGE_SIZE,
                        },
                        prot,
                    )
                    .is_ok();
                for i in 0..n {
                    if let Some(p) = inner.pages.get_mut(&(va + i * PAGE_SIZE)) {
                        p.mapped = if ok { prot } else { Access::NONE };
                    }
                }
            }
        };
        let mut a = start;
        while a < end {
            let entry = inner.pages.get(&a).copied();
            match entry {
                Some(pte) if pte.mapped == Access::NONE => {
                    let mut prot = vma.prot;
                    if !(vma.shared || pte.private && self.mf.refcount(pte.frame) == 1) {
                        prot.write = false;
                    }
                    let extend = matches!(run, Some((va, fr, n, rp)) if va + n * PAGE_SIZE == a && fr + n * PAGE_SIZE == pte.frame && rp == prot);
                    if extend {
                        if let Some(r) = run.as_mut() {
                            r.2 += 1;
                        }
                    } else {
                        flush(&mut run, inner);
                        run = Some((a, pte.frame, 1, prot));
                    }
                }
                _ => flush(&mut run, inner),
            }
            a += PAGE_SIZE;
        }
        flush(&mut run, inner);
    }

    /// Replaces page `page` with a private copy.
    fn cow_locked(&self, inner: &mut MmInner, page: u64) -> Result<(), FaultError> {
        let Some(pte) = inner.pages.get(&page).copied() else {
            return Err(FaultError::Unmapped);
        };
        if pte.private && self.mf.refcount(pte.frame) == 1 {
            return Ok(());
        }
        let new = self.mf.alloc(1).map_err(|_| FaultError::Bus)?;
        self.mf
            .copy(pte.frame, new, PAGE_SIZE)
            .map_err(|_| FaultError::Bus)?;
        if pte.mapped != Access::NONE {
            self.aspace.unmap(page, PAGE_SIZE);
        }
        self.mf.decref(pte.frame);
        inner.pages.insert(
            page,
            Pte {
                frame: new,
                private: true,
                mapped: Access::NONE,
            },
        );
        Ok(())
    }

    /// Maps present page `page` in the platform with the rights it may have now.
    fn map_page(&self, inner: &mut MmInner, vma: &Vma, page: u64) {
        let Some(pte) = inner.pages.get_mut(&page) else {
            return;
        };
        let mut prot = vma.prot;
        if !(vma.shared || pte.private && self.mf.refcount(pte.frame) == 1) {
            prot.write = false;
        }
        let fr = FileRange {
            offset: pte.frame,
            len: PAGE_SIZE,
        };
        pte.mapped = if self.aspace.map_file(page, fr, prot).is_ok() {
            prot
        } else {
            Access::NONE
        };
    }

    /// Drops the pages in `[start, end)` from the page table and the platform.
    fn drop_pages(&self, inner: &mut MmInner, start: u64, end: u64) {
        let addrs: Vec<u64> = inner.pages.range(start..end).map(|(&a, _)| a).collect();
        let mut mapped_any = false;
        for a in addrs {
            if let Some(pte) = inner.pages.remove(&a) {
                mapped_any |= pte.mapped != Access::NONE;
                self.mf.decref(pte.frame);
            }
        }
        if mapped_any {
            self.aspace.unmap(start, end - start);
        }
    }

    /// Inserts a VMA, replacing whatever overlaps it.
    pub fn insert_vma(&self, vma: Vma) {
        let mut inner = self.lock();
        self.unmap_locked(&mut inner, vma.start, vma.end);
        inner.vmas.insert(vma.start, vma);
    }

    fn unmap_locked(&self, inner: &mut MmInner, start: u64, end: u64) {
        inner.split_at(start);
        inner.split_at(end);
        let keys: Vec<u64> = inner.vmas.range(start..end).map(|(&k, _)| k).collect();
        let mut written = Vec::new();
        for k in keys {
            if let Some(v) = inner.vmas.remove(&k) {
                if let (true, Backing::File { obj, .. }) = (v.shared, v.backing) {
                    written.push(obj);
                }
            }
        }
        self.drop_pages(inner, start, end);
        for obj in written {
            let _ = obj.writeback();
        }
    }

    /// msync: writes back the objects of the shared file mappings in `[start, end)`.
    pub fn sync_range(&self, start: u64, end: u64) -> Result<(), Errno> {
        let objs: Vec<Arc<dyn Mappable>> = {
            let inner = self.lock();
            inner
                .vmas
                .range(..end)
                .filter(|(_, v)| v.end > start && v.shared)
                .filter_map(|(_, v)| match &v.backing {
                    Backing::File { obj, .. } => Some(obj.clone()),
                    Backing::Anon => None,
                })
                .collect()
        };
        for obj in objs {
            obj.writeback()?;
        }
        Ok(())
    }

    /// munmap.
    pub fn munmap(&self, start: u64, len: u64) -> Result<(), Errno> {
        if !start.is_multiple_of(PAGE_SIZE) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let end = start.checked_add(page_up(len)).ok_or(Errno::EINVAL)?;
        if end > self.max_addr {
            return Err(Errno::EINVAL);
        }
        let mut inner = self.lock();
        self.unmap_locked(&mut inner, start, end);
        Ok(())
    }

    /// Finds a free range of `len` bytes, top-down below the mmap base.
    pub fn find_free(&self, len: u64, hint: u64) -> Result<u64, Errno> {
        let inner = self.lock();
        inner.find_free(len, hint, self.max_addr)
    }

    /// Whether `[start, end)` overlaps any VMA.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.lock().overlaps(start, end)
    }

    /// mprotect.
    pub fn mprotect(
        &self,
        start: u64,
        len: u64,
        prot: Access,
        grows_down: bool,
    ) -> Result<(), Errno> {
        if !start.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        let mut end = start.checked_add(page_up(len)).ok_or(Errno::ENOMEM)?;
        let mut start = start;
        let mut inner = self.lock();
        if grows_down {
            // PROT_GROWSDOWN extends the change to the start of a growsdown mapping, and
            // is invalid on any other.
            match inner.find_vma(start) {
                Some(v) if v.growsdown => start = v.start,
                Some(_) => return Err(Errno::EINVAL),
                None => return Err(Errno::ENOMEM),
            }
        }
        if end == start {
            return Ok(());
        }
        // Every page in the range must be mapped.
        let mut cur = start;
        for (_, v) in inner.vmas.range(..end) {
            if v.end <= cur {
                continue;
            }
            if v.start > cur {
                return Err(Errno::ENOMEM);
            }
            cur = v.end;
            if cur >= end {
                break;
            }
        }
        if cur < end {
            return Err(Errno::ENOMEM);
        }
        end = end.min(cur);
        // Write access a mapping may never have (shared, of a read-only file): EACCES.
        if prot.write
            && inner
                .vmas
                .range(..end)
                .any(|(_, v)| v.end > start && v.flags.deny_write)
        {
            return Err(Errno::EACCES);
        }
        inner.split_at(start);
        inner.split_at(end);
        for (_, v) in inner.vmas.range_mut(start..end) {
            if prot.write && !v.prot.write && v.shared {
                if let Backing::File { obj, .. } = &v.backing {
                    obj.shared_write_mapping();
                }
            }
            v.prot = prot;
        }
        // Remap lazily with the new rights.
        let mut any = false;
        for (_, pte) in inner.pages.range_mut(start..end) {
            if pte.mapped != Access::NONE {
                any = true;
                pte.mapped = Access::NONE;
            }
        }
        if any {
            self.aspace.unmap(start, end - start);
        }
        inner.merge();
        Ok(())
    }

    /// madvise(MADV_DONTNEED): drop the pages; anonymous memory reads as zero afterwards.
    pub fn dontneed(&self, start: u64, len: u64) -> Result<(), Errno> {
        let end = start.checked_add(page_up(len)).ok_or(Errno::EINVAL)?;
        let mut inner = self.lock();
        if !inner.covered(start, end) {
            return Err(Errno::ENOMEM);
        }
        self.drop_pages(&mut inner, start, end);
        Ok(())
    }

    /// madvise(MADV_DONTFORK / DOFORK / WIPEONFORK / KEEPONFORK) on `[start, start+len)`:
    /// sets the given fork flags. WIPEONFORK is valid on private anonymous memory only.
    pub fn set_fork_flags(
        &self,
        start: u64,
        len: u64,
        dontfork: Option<bool>,
        wipeonfork: Option<bool>,
    ) -> Result<(), Errno> {
        let end = start.checked_add(page_up(len)).ok_or(Errno::EINVAL)?;
        if end == start {
            return Ok(());
        }
        let mut inner = self.lock();
        if !inner.covered(start, end) {
            return Err(Errno::ENOMEM);
        }
        if wipeonfork == Some(true)
            && inner
                .vmas
                .range(..end)
                .any(|(_, v)| v.end > start && (v.shared || !matches!(v.backing, Backing::Anon)))
        {
            return Err(Errno::EINVAL);
        }
        inner.split_at(start);
        inner.split_at(end);
        for (_, v) in inner.vmas.range_mut(start..end) {
            if let Some(d) = dontfork {
                v.flags.dontfork = d;
            }
            if let Some(w) = wipeonfork {
                v.flags.wipeonfork = w;
            }
        }
        inner.merge();
        Ok(())
    }

    /// mincore: one byte per page, 1 if present.
    pub fn mincore(&self, start: u64, len: u64) -> Result<Vec<u8>, Errno> {
        let end = start.checked_add(page_up(len)).ok_or(Errno::ENOMEM)?;
        let inner = self.lock();
        if !inner.covered(start, end) {
            return Err(Errno::ENOMEM);
        }
        Ok((start..end)
            .step_by(PAGE_SIZE as usize)
            .map(|a| inner.pages.contains_key(&a) as u8)
            .collect())
    }

    /// Whether `[start, end)` is entirely covered by VMAs.
    pub fn covered(&self, start: u64, end: u64) -> bool {
        self.lock().covered(start, end)
    }

    /// mremap.
    pub fn mremap(
        &self,
        old: u64,
        old_len: u64,
        new_len: u64,
        may_move: bool,
        fixed: Option<u64>,
    ) -> Result<u64, Errno> {
        if !old.is_multiple_of(PAGE_SIZE) || new_len == 0 {
            return Err(Errno::EINVAL);
        }
        let old_len = page_up(old_len);
        let new_len = page_up(new_len);
        let mut inner = self.lock();
        let vma = inner.find_vma(old).cloned().ok_or(Errno::EFAULT)?;
        if old_len != 0 && old + old_len > vma.end {
            return Err(Errno::EFAULT);
        }
        if fixed.is_none() {
            if new_len <= old_len {
                self.unmap_locked(&mut inner, old + new_len, old + old_len);
                return Ok(old);
            }
            // Grow in place if the space after is free.
            let next_start = inner
                .vmas
                .range(old + 1..)
                .next()
                .map(|(&s, _)| s)
                .unwrap_or(self.max_addr);
            if old + old_len == vma.end
                && old + new_len <= next_start
                && old + new_len <= self.max_addr
            {
                inner.split_at(old);
                if let Some(v) = inner.vmas.get_mut(&old) {
                    v.end = old + new_len;
                }
                return Ok(old);
            }
            if !may_move {
                return Err(Errno::ENOMEM);
            }
        }
        let dest = match fixed {
            Some(d) => {
                if d % PAGE_SIZE != 0 || (d < old + old_len && old < d + new_len) {
                    return Err(Errno::EINVAL);
                }
                self.unmap_locked(&mut inner, d, d + new_len);
                d
            }
            None => inner.find_free(new_len, 0, self.max_addr)?,
        };
        let copy_len = old_len.min(new_len);
        inner.split_at(old);
        inner.split_at(old + copy_len);
        let mut moved = inner.vmas.remove(&old).ok_or(Errno::EFAULT)?;
        let delta_file = moved.start;
        moved.start = dest;
        moved.end = dest + new_len;
        if let Backing::File { offset, .. } = &mut moved.backing {
            *offset += old - delta_file;
        }
        let addrs: Vec<u64> = inner
            .pages
            .range(old..old + copy_len)
            .map(|(&a, _)| a)
            .collect();
        let mut mapped_any = false;
        for a in addrs {
            if let Some(mut pte) = inner.pages.remove(&a) {
                mapped_any |= pte.mapped != Access::NONE;
                pte.mapped = Access::NONE;
                inner.pages.insert(dest + (a - old), pte);
            }
        }
        if mapped_any {
            self.aspace.unmap(old, copy_len);
        }
        // The rest of the old range (if shrinking) goes away.
        if old_len > copy_len {
            self.unmap_locked(&mut inner, old + copy_len, old + old_len);
        }
        inner.vmas.insert(dest, moved);
        Ok(dest)
    }

    /// brk.
    pub fn brk(&self, want: u64) -> u64 {
        let mut inner = self.lock();
        let cur = inner.brk;
        if want < inner.brk_start || want == cur {
            return cur;
        }
        let old_end = page_up(cur);
        let new_end = page_up(want);
        if new_end > old_end {
            if inner.overlaps(old_end, new_end) || new_end > self.max_addr {
                return cur;
            }
            let heap = inner
                .find_vma(old_end.wrapping_sub(1))
                .filter(|v| v.name == "[heap]" && v.end == old_end)
                .map(|v| v.start);
            if let Some(v) = heap.and_then(|k| inner.vmas.get_mut(&k)) {
                v.end = new_end;
                inner.brk = want;
                return want;
            }
            inner.vmas.insert(
                old_end,
                Vma {
                    start: old_end,
                    end: new_end,
                    prot: Access::RW,
                    shared: false,
                    growsdown: false,
                    backing: Backing::Anon,
                    name: "[heap]",
                    flags: VmaFlags::default(),
                },
            );
            inner.merge();
        } else if new_end < old_end {
            self.unmap_locked(&mut inner, new_end, old_end);
        }
        inner.brk = want;
        want
    }

    /// The text of /proc/PID/maps.
    pub fn maps_text(&self) -> String {
        let inner = self.lock();
        let mut s = String::new();
        for v in inner.vmas.values() {
            let (off, path, ident) = match &v.backing {
                Backing::Anon => (0, v.name.to_string(), (0, 0)),
                Backing::File { obj, offset, path } => (*offset, path.clone(), obj.ident()),
            };
            let line = format!(
                "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {}",
                v.start,
                v.end,
                if v.prot.read { 'r' } else { '-' },
                if v.prot.write { 'w' } else { '-' },
                if v.prot.exec { 'x' } else { '-' },
                if v.shared { 's' } else { 'p' },
                off,
                ident.0 >> 8,
                ident.0 & 0xff,
                ident.1,
            );
            if path.is_empty() {
                s.push_str(&line);
            } else {
                s.push_str(&format!("{line:<73}{path}"));
            }
            s.push('\n');
        }
        s
    }

    /// The text of /proc/PID/smaps: the maps lines with sizes and resident pages.
    pub fn smaps_text(&self) -> String {
        let maps = self.maps_text();
        let inner = self.lock();
        let mut out = String::new();
        for (line, v) in maps.lines().zip(inner.vmas.values()) {
            let size = (v.end - v.start) / 1024;
            let pages: Vec<&Pte> = inner.pages.range(v.start..v.end).map(|(_, p)| p).collect();
            let rss = pages.len() as u64 * 4;
            let private = pages.iter().filter(|p| p.private).count() as u64 * 4;
            let anon = if matches!(v.backing, Backing::Anon) {
                rss
            } else {
                private
            };
            let mut flags = String::new();
            for (on, f) in [
                (v.prot.read, "rd"),
                (v.prot.write, "wr"),
                (v.prot.exec, "ex"),
                (v.shared, "sh"),
                (true, "mr"),
                (true, "mw"),
                (true, "me"),
                (v.growsdown, "gd"),
            ] {
                if on {
                    flags.push_str(f);
                    flags.push(' ');
                }
            }
            out.push_str(line);
            out.push('\n');
            out.push_str(&format!(
                "Size:           {size:>8} kB\nKernelPageSize:        4 kB\nMMUPageSize:           4 kB\nRss:            {rss:>8} kB\nPss:            {rss:>8} kB\nShared_Clean:          0 kB\nShared_Dirty:          0 kB\nPrivate_Clean:  {:>8} kB\nPrivate_Dirty:  {private:>8} kB\nReferenced:     {rss:>8} kB\nAnonymous:      {anon:>8} kB\nLazyFree:              0 kB\nAnonHugePages:         0 kB\nShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\nShared_Hugetlb:        0 kB\nPrivate_Hugetlb:       0 kB\nSwap:                  0 kB\nSwapPss:               0 kB\nLocked:                0 kB\nTHPeligible:           0\nVmFlags: {}\n",
                rss - private,
                flags.trim_end()
            ));
        }
        out
    }

    /// Bytes of resident memory (pages present).
    pub fn rss_bytes(&self) -> u64 {
        self.lock().pages.len() as u64 * PAGE_SIZE
    }

    /// Adds the memory-file offsets of this address space's private pages (anonymous
    /// or copied on write) to `out` (the cgroupfs's memory.stat `anon`).
    pub fn private_frames(&self, out: &mut std::collections::HashSet<u64>) {
        out.extend(
            self.lock()
                .pages
                .values()
                .filter(|p| p.private)
                .map(|p| p.frame),
        );
    }

    /// Total bytes of all VMAs.
    pub fn vm_bytes(&self) -> u64 {
        self.lock().vmas.values().map(|v| v.end - v.start).sum()
    }

    /// The futex key of `addr`: the memory-file page for shared memory, else (mm, addr).
    pub fn futex_key(&self, addr: u64, private: bool) -> Result<(u64, u64), Errno> {
        if private {
            return Ok((self.id, addr));
        }
        let mut inner = self.lock();
        let vma = inner.find_vma(addr).cloned().ok_or(Errno::EFAULT)?;
        if !vma.shared {
            return Ok((self.id, addr));
        }
        self.fault_locked(&mut inner, addr, Some(Access::READ), false)
            .map_err(|_| Errno::EFAULT)?;
        let pte = inner.pages.get(&page_down(addr)).ok_or(Errno::EFAULT)?;
        Ok((0, pte.frame + addr % PAGE_SIZE))
    }
}

impl Drop for Mm {
    fn drop(&mut self) {
        let inner = self.inner.get_mut().unwrap_or_else(|p| p.into_inner());
        for v in inner.vmas.values() {
            if let (true, Backing::File { obj, .. }) = (v.shared, &v.backing) {
                let _ = obj.writeback();
            }
        }
        for pte in inner.pages.values() {
            self.mf.decref(pte.frame);
        }
    }
}

/// Coalesces sorted page addresses into (start, len) runs.
fn runs(pages: &[u64]) -> Vec<(u64, u64)> {
    let mut out: Vec<(u64, u64)> = Vec::new();
    for &p in pages {
        match out.last_mut() {
            Some((s, l)) if *s + *l == p => *l += PAGE_SIZE,
            _ => out.push((p, PAGE_SIZE)),
        }
    }
    out
}

impl MmInner {
    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        self.vmas
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| addr < v.end)
    }

    /// Grows a MAP_GROWSDOWN VMA down to cover `addr` if its size stays within `limit`
    /// (RLIMIT_STACK).
    fn grow_stack(&mut self, addr: u64, limit: u64) -> Option<Vma> {
        let (_, next) = self.vmas.range(addr..).next()?;
        if !next.growsdown || next.end - page_down(addr) > limit {
            return None;
        }
        let new_start = page_down(addr);
        if self.overlaps(new_start, next.start) {
            return None;
        }
        let mut v = self.vmas.remove(&next.start.clone())?;
        v.start = new_start;
        self.vmas.insert(new_start, v.clone());
        Some(v)
    }

    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.vmas
            .range(..end)
            .next_back()
            .is_some_and(|(_, v)| v.end > start)
    }

    fn covered(&self, start: u64, end: u64) -> bool {
        let mut cur = start;
        for (_, v) in self.vmas.range(..end) {
            if v.end <= cur {
                continue;
            }
            if v.start > cur {
                return false;
            }
            cur = v.end;
        }
        cur >= end
    }

    fn find_free(&self, len: u64, hint: u64, max: u64) -> Result<u64, Errno> {
        let len = page_up(len);
        if len == 0 || len > max {
            return Err(Errno::ENOMEM);
        }
        if hint != 0 {
            let h = page_down(hint);
            if h >= MIN_ADDR
                && h.checked_add(len).is_some_and(|e| e <= max)
                && !self.overlaps(h, h + len)
            {
                return Ok(h);
            }
        }
        // Top-down from the mmap base.
        let mut end = self.mmap_base;
        for (_, v) in self.vmas.range(..self.mmap_base).rev() {
            if v.end <= end && end - v.end >= len {
                return Ok(end - len);
            }
            end = end.min(v.start);
        }
        if end >= MIN_ADDR + len {
            return Ok(end - len);
        }
        // Above the base.
        let mut start = self.mmap_base;
        for (_, v) in self.vmas.range(self.mmap_base..) {
            if v.start >= start + len {
                return Ok(start);
            }
            start = start.max(v.end);
        }
        if start + len <= max {
            return Ok(start);
        }
        Err(Errno::ENOMEM)
    }

    /// Splits the VMA containing `addr` so that a VMA starts at `addr`.
    fn split_at(&mut self, addr: u64) {
        let Some(v) = self.find_vma(addr).cloned() else {
            return;
        };
        if v.start == addr {
            return;
        }
        let mut lo = v.clone();
        lo.end = addr;
        let mut hi = v;
        if let Backing::File { offset, .. } = &mut hi.backing {
            *offset += addr - hi.start;
        }
        hi.start = addr;
        self.vmas.insert(lo.start, lo);
        self.vmas.insert(hi.start, hi);
    }

    /// Merges adjacent anonymous VMAs with the same attributes.
    fn merge(&mut self) {
        let keys: Vec<u64> = self.vmas.keys().copied().collect();
        let mut prev: Option<u64> = None;
        for k in keys {
            if let Some(p) = prev {
                let (a, b) = (self.vmas.get(&p).cloned(), self.vmas.get(&k).cloned());
                if let (Some(a), Some(b)) = (a, b) {
                    if a.end == b.start
                        && a.prot == b.prot
                        && a.shared == b.shared
                        && a.growsdown == b.growsdown
                        && a.flags == b.flags
                        && a.name == b.name
                        && matches!((&a.backing, &b.backing), (Backing::Anon, Backing::Anon))
                    {
                        self.vmas.remove(&k);
                        if let Some(m) = self.vmas.get_mut(&p) {
                            m.end = b.end;
                        }
                        continue;
                    }
                }
            }
            prev = Some(k);
        }
    }

    /// All VMAs, for /proc and core logic.
    pub fn vmas(&self) -> impl Iterator<Item = &Vma> {
        self.vmas.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use husk_platform::Platform;

    fn new_mm() -> Mm {
        let mf = Arc::new(MemoryFile::new().expect("memory file"));
        let p = husk_platform::fake::FakePlatform;
        Mm::new(
            p.new_address_space().expect("aspace"),
            mf,
            p.max_user_address(),
        )
    }

    fn anon(mm: &Mm, start: u64, len: u64) {
        mm.insert_vma(Vma {
            start,
            end: start + len,
            prot: Access::RW,
            shared: false,
            growsdown: false,
            backing: Backing::Anon,
            name: "",
            flags: VmaFlags::default(),
        });
    }

    #[test]
    fn anonymous_memory_reads_zero_and_keeps_writes() {
        let mm = new_mm();
        anon(&mm, 0x10000, 0x4000);
        let mut b = [1u8; 16];
        mm.copy_in(0x10ff8, &mut b).expect("read across pages");
        assert_eq!(b, [0u8; 16]);
        mm.copy_out(0x10ffc, b"abcdefgh")
            .expect("write across pages");
        mm.copy_in(0x10ffc, &mut b[..8]).expect("read back");
        assert_eq!(&b[..8], b"abcdefgh");
        assert_eq!(mm.copy_in(0x20000, &mut b), Err(Errno::EFAULT));
    }

    #[test]
    fn fork_is_copy_on_write() {
        let parent = new_mm();
        anon(&parent, 0x10000, 0x2000);
        parent.copy_out(0x10000, b"parent").expect("write");
        let child = parent.fork(
            husk_platform::fake::FakePlatform
                .new_address_space()
                .expect("aspace"),
        );
        child.copy_out(0x10000, b"child!").expect("child write");
        let mut b = [0u8; 6];
        parent.copy_in(0x10000, &mut b).expect("parent read");
        assert_eq!(&b, b"parent");
        child.copy_in(0x10000, &mut b).expect("child read");
        assert_eq!(&b, b"child!");
    }

    #[test]
    fn munmap_and_mprotect_split_vmas() {
        let mm = new_mm();
        anon(&mm, 0x10000, 0x4000);
        mm.munmap(0x11000, 0x1000).expect("munmap");
        assert!(mm.covered(0x10000, 0x11000));
        assert!(!mm.covered(0x10000, 0x12000));
        mm.mprotect(0x12000, 0x1000, Access::READ, false)
            .expect("mprotect");
        assert_eq!(mm.copy_out(0x12000, b"x"), Err(Errno::EFAULT));
        assert!(mm.copy_out(0x13000, b"x").is_ok());
        assert_eq!(
            mm.mprotect(0x11000, 0x1000, Access::READ, false),
            Err(Errno::ENOMEM)
        );
    }

    #[test]
    fn mremap_moves_contents_and_brk_grows() {
        let mm = new_mm();
        anon(&mm, 0x10000, 0x1000);
        mm.copy_out(0x10000, b"moved").expect("write");
        anon(&mm, 0x11000, 0x1000);
        let new = mm
            .mremap(0x10000, 0x1000, 0x3000, true, None)
            .expect("mremap");
        assert_ne!(new, 0x10000);
        let mut b = [0u8; 5];
        mm.copy_in(new, &mut b).expect("read moved");
        assert_eq!(&b, b"moved");
        anon(&mm, 0x12000, 0x1000);
        assert_eq!(
            mm.mremap(0x11000, 0x1000, 0x3000, false, None),
            Err(Errno::ENOMEM)
        );
        {
            let mut inner = mm.lock();
            inner.brk_start = 0x100000;
            inner.brk = 0x100000;
        }
        assert_eq!(mm.brk(0x102345), 0x102345);
        assert!(mm.copy_out(0x102000, b"heap").is_ok());
        assert_eq!(mm.brk(0x100000), 0x100000);
        assert_eq!(mm.copy_out(0x101000, b"gone"), Err(Errno::EFAULT));
    }

    #[test]
    fn dontneed_zeroes_private_anonymous_memory() {
        let mm = new_mm();
        anon(&mm, 0x10000, 0x2000);
        mm.copy_out(0x10000, b"data").expect("write");
        assert_eq!(mm.mincore(0x10000, 0x2000).expect("mincore")[0], 1);
        mm.dontneed(0x10000, 0x1000).expect("dontneed");
        let mut b = [9u8; 4];
        mm.copy_in(0x10000, &mut b).expect("read");
        assert_eq!(b, [0u8; 4]);
    }
}
