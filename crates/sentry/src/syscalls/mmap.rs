//! Memory system calls: mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore.

use super::TaskCtx;
use crate::fsimpl::tmpdata::TmpData;
use crate::mm::{Backing, Vma, VmaFlags, MIN_ADDR};
use husk_abi::{page_up, Errno, SysResult, PAGE_SIZE};
use husk_platform::Access;

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_GROWSDOWN: u64 = 0x100;
const MAP_POPULATE: u64 = 0x8000;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;

pub fn mmap(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (addr, len, prot, flags, fd, off) = (a[0], a[1], a[2], a[3], a[4] as i32, a[5]);
    if len == 0 || !off.is_multiple_of(PAGE_SIZE) || prot & !7 != 0 {
        return Err(Errno::EINVAL);
    }
    let len = page_up(len);
    if len == 0 || len > t.mm.max_addr {
        return Err(Errno::ENOMEM);
    }
    let kind = flags & 3;
    if kind != MAP_SHARED && kind != MAP_PRIVATE && kind != MAP_SHARED_VALIDATE {
        return Err(Errno::EINVAL);
    }
    let shared = kind != MAP_PRIVATE;
    let access = Access::from_prot(prot);
    // A shared mapping of a file opened read-only may never become writable.
    let mut deny_write = false;
    let backing = if flags & MAP_ANONYMOUS != 0 {
        anon_backing(t, shared, len)?
    } else {
        let f = t.files.get_io(fd)?;
        if !f.readable() {
            return Err(Errno::EACCES);
        }
        if shared && !f.writable() {
            if access.write {
                return Err(Errno::EACCES);
            }
            deny_write = true;
        }
        let d = f.dentry.clone().ok_or(Errno::ENODEV)?;
        if shared && access.write {
            // Write seals (memfd) refuse new shared writable mappings.
            d.inode.check_shared_write_map()?;
        }
        if access.exec && d.mount.flags.noexec {
            return Err(Errno::EPERM);
        }
        let obj = d.inode.mappable();
        if let (Some(obj), true) = (&obj, shared && access.write) {
            obj.shared_write_mapping();
        }
        match obj {
            Some(obj) => Backing::File {
                obj,
                offset: off,
                path: d.path_string(),
            },
            // /dev/zero maps as anonymous memory.
            None if d.inode.attr()?.rdev == crate::fsimpl::simple::makedev(1, 5) => {
                anon_backing(t, shared, len)?
            }
            None => return Err(Errno::ENODEV),
        }
    };
    map_at(
        t,
        addr,
        len,
        flags,
        Vma {
            start: 0,
            end: 0,
            prot: access,
            shared,
            growsdown: flags & MAP_GROWSDOWN != 0,
            backing,
            name: "",
            flags: VmaFlags {
                deny_write,
                ..Default::default()
            },
        },
    )
}

/// Anonymous memory: private pages, or (shared) a zero-filled object of `len` bytes.
fn anon_backing(t: &TaskCtx, shared: bool, len: u64) -> Result<Backing, Errno> {
    if !shared {
        return Ok(Backing::Anon);
    }
    let data = TmpData::new(t.mm.mf.clone());
    data.truncate(len)?;
    Ok(Backing::File {
        obj: data,
        offset: 0,
        path: "/dev/zero (deleted)".into(),
    })
}

fn map_at(t: &mut TaskCtx, addr: u64, len: u64, flags: u64, mut vma: Vma) -> SysResult {
    let start = if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(Errno::EINVAL);
        }
        if addr < MIN_ADDR.min(PAGE_SIZE) || addr.checked_add(len).is_none_or(|e| e > t.mm.max_addr)
        {
            return Err(Errno::ENOMEM);
        }
        if flags & MAP_FIXED_NOREPLACE != 0 && t.mm.overlaps(addr, addr + len) {
            return Err(Errno::EEXIST);
        }
        addr
    } else {
        t.mm.find_free(len, addr)?
    };
    vma.start = start;
    vma.end = start + len;
    t.mm.insert_vma(vma);
    if flags & MAP_POPULATE != 0 {
        for p in (start..start + len).step_by(PAGE_SIZE as usize) {
            if t.mm.handle_fault(p).is_err() {
                break;
            }
        }
    }
    Ok(start)
}

pub fn munmap(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    t.mm.munmap(a[0], a[1])?;
    Ok(0)
}

pub fn mprotect(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    const PROT_GROWSDOWN: u64 = 0x0100_0000;
    if a[2] & !(7 | PROT_GROWSDOWN | 0x0200_0000) != 0 {
        return Err(Errno::EINVAL);
    }
    t.mm.mprotect(
        a[0],
        a[1],
        Access::from_prot(a[2]),
        a[2] & PROT_GROWSDOWN != 0,
    )?;
    Ok(0)
}

pub fn mremap(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    const MREMAP_MAYMOVE: u64 = 1;
    const MREMAP_FIXED: u64 = 2;
    let flags = a[3];
    if flags & !7 != 0 || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0) {
        return Err(Errno::EINVAL);
    }
    let fixed = (flags & MREMAP_FIXED != 0).then_some(a[4]);
    t.mm.mremap(a[0], a[1], a[2], flags & MREMAP_MAYMOVE != 0, fixed)
}

pub fn brk(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    Ok(t.mm.brk(a[0]))
}

pub fn madvise(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if !a[0].is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let len = page_up(a[1]);
    match a[2] {
        // MADV_DONTNEED, MADV_FREE, MADV_REMOVE
        4 | 8 | 9 => {
            t.mm.dontneed(a[0], len)?;
            Ok(0)
        }
        // MADV_DONTFORK, MADV_DOFORK
        10 | 11 => {
            t.mm.set_fork_flags(a[0], len, Some(a[2] == 10), None)?;
            Ok(0)
        }
        // MADV_WIPEONFORK, MADV_KEEPONFORK
        18 | 19 => {
            t.mm.set_fork_flags(a[0], len, None, Some(a[2] == 18))?;
            Ok(0)
        }
        // NORMAL, RANDOM, SEQUENTIAL, WILLNEED, MERGEABLE, UNMERGEABLE, HUGEPAGE,
        // NOHUGEPAGE, DONTDUMP, DODUMP, COLD, PAGEOUT: hints the Sentry may ignore; the
        // range must be mapped.
        0..=3 | 12..=17 | 20 | 21 => {
            if !t.mm.covered(a[0], a[0] + len) {
                return Err(Errno::ENOMEM);
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn msync(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if !a[0].is_multiple_of(PAGE_SIZE) || a[2] & !7 != 0 || (a[2] & 1 != 0 && a[2] & 4 != 0) {
        return Err(Errno::EINVAL);
    }
    if !t.mm.covered(a[0], a[0] + page_up(a[1])) {
        return Err(Errno::ENOMEM);
    }
    // Objects that keep their data in the memory file are always in sync; files of the
    // read-write rootfs write their pages back to the host.
    t.mm.sync_range(a[0], a[0] + page_up(a[1]))?;
    Ok(0)
}

pub fn mincore(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if !a[0].is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    let v = t.mm.mincore(a[0], a[1])?;
    t.mm.copy_out(a[2], &v)?;
    Ok(0)
}

/// mlock and friends: application memory is never swapped, so memory is always locked.
const CAP_IPC_LOCK: u32 = 14;
const RLIMIT_MEMLOCK: usize = 8;
const MLOCK_ONFAULT: u64 = 1;
const MCL_CURRENT: u64 = 1;
const MCL_FUTURE: u64 = 2;
const MCL_ONFAULT: u64 = 4;

/// The RLIMIT_MEMLOCK limit in pages, or None when the caller has CAP_IPC_LOCK (no
/// limit); EPERM when locking is not allowed at all (Linux's can_do_mlock).
fn lock_limit(t: &TaskCtx) -> Result<Option<u64>, Errno> {
    if t.creds().capable_init(CAP_IPC_LOCK) {
        return Ok(None);
    }
    let lim = t.rlimit(RLIMIT_MEMLOCK).rlim_cur;
    if lim == 0 {
        return Err(Errno::EPERM);
    }
    Ok(Some(lim / PAGE_SIZE))
}

/// The page-aligned range of an mlock/munlock request: ENOMEM when any of it is
/// unmapped, EINVAL when it wraps. Memory is never swapped, so locking only checks.
fn lock_range(t: &TaskCtx, addr: u64, len: u64) -> Result<(u64, u64), Errno> {
    let start = addr & !(PAGE_SIZE - 1);
    // As Linux's PAGE_ALIGN, which wraps.
    let len = len.wrapping_add(addr - start).wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    let end = start.wrapping_add(len);
    if end < start {
        return Err(Errno::EINVAL);
    }
    if end != start && !t.mm.covered(start, end) {
        return Err(Errno::ENOMEM);
    }
    Ok((start, end))
}

fn do_mlock(t: &mut TaskCtx, addr: u64, len: u64) -> SysResult {
    let limit = lock_limit(t)?;
    let start = addr & !(PAGE_SIZE - 1);
    let pages = page_up(len.saturating_add(addr - start)) / PAGE_SIZE;
    // Locked pages are not accounted across calls: one request is held to the limit.
    if limit.is_some_and(|l| pages > l) {
        return Err(Errno::ENOMEM);
    }
    lock_range(t, addr, len)?;
    Ok(0)
}

pub fn mlock(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_mlock(t, a[0], a[1])
}

pub fn mlock2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[2] & !MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    do_mlock(t, a[0], a[1])
}

pub fn munlock(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    lock_range(t, a[0], a[1])?;
    Ok(0)
}

pub fn mlockall(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let flags = a[0];
    if flags == 0 || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags == MCL_ONFAULT
    {
        return Err(Errno::EINVAL);
    }
    let limit = lock_limit(t)?;
    if flags & MCL_CURRENT != 0 && limit.is_some_and(|l| t.mm.vm_bytes() / PAGE_SIZE > l) {
        return Err(Errno::ENOMEM);
    }
    Ok(0)
}

pub fn munlockall(_t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Ok(0)
}
