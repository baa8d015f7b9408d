//! File system calls: open/close, read/write, stat, directories, links, attributes.

use super::TaskCtx;
use crate::fsimpl::inotify;
use crate::fsimpl::pipe::Pipe;
use crate::fsimpl::simple::NoData;
use crate::kernel::sigqueue::{SIGPIPE, SI_USER};
use crate::vfs::*;
use husk_abi::{Errno, SigInfo, Stat, Statx, StatxTimestamp, SysResult};
use std::sync::Arc;

const AT_FDCWD: i32 = -100;
const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
const AT_REMOVEDIR: u64 = 0x200;
const AT_SYMLINK_FOLLOW: u64 = 0x400;
const AT_EMPTY_PATH: u64 = 0x1000;
const UTIME_NOW: i64 = 0x3fff_ffff;
const UTIME_OMIT: i64 = 0x3fff_fffe;
/// Largest single read or write the Sentry buffers at once.
const MAX_RW: usize = 1 << 20;

fn fd_of(a: u64) -> i32 {
    a as i32
}

/// Whether the task (by its file-system ids) may access a file with `attr` as `want`
/// (r=4, w=2, x=1).
pub fn may_access(t: &TaskCtx, attr: &Attr, want: u32) -> bool {
    may_access_as(&t.creds(), attr, want)
}

/// Whether `c` (by its file-system ids) may access a file with `attr` as `want`.
/// As Linux's generic_permission: the mode bits, then CAP_DAC_READ_SEARCH and
/// CAP_DAC_OVERRIDE (execute of a non-directory needs one x bit even with them).
pub fn may_access_as(c: &crate::kernel::Creds, attr: &Attr, want: u32) -> bool {
    use crate::kernel::caps::{CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH};
    let bits = if c.fsuid == attr.uid {
        (attr.mode >> 6) & 7
    } else if c.fsgid == attr.gid || c.groups.contains(&attr.gid) {
        (attr.mode >> 3) & 7
    } else {
        attr.mode & 7
    };
    if bits & want == want {
        return true;
    }
    let cap = |cap: u32| c.capable_wrt_inode(cap, attr.uid, attr.gid);
    if attr.is_dir() {
        if want & 2 == 0 && cap(CAP_DAC_READ_SEARCH) {
            return true;
        }
        return cap(CAP_DAC_OVERRIDE);
    }
    if want == 4 && cap(CAP_DAC_READ_SEARCH) {
        return true;
    }
    (want & 1 == 0 || attr.mode & 0o111 != 0) && cap(CAP_DAC_OVERRIDE)
}

fn stat_of(a: &Attr) -> Stat {
    Stat {
        st_dev: a.dev,
        st_ino: a.ino,
        st_nlink: a.nlink,
        st_mode: a.mode,
        st_uid: a.uid,
        st_gid: a.gid,
        st_rdev: a.rdev,
        st_size: a.size as i64,
        st_blksize: if a.blksize == 0 {
            4096
        } else {
            a.blksize as i64
        },
        st_blocks: a.blocks as i64,
        st_atime: a.atime.0,
        st_atime_nsec: a.atime.1,
        st_mtime: a.mtime.0,
        st_mtime_nsec: a.mtime.1,
        st_ctime: a.ctime.0,
        st_ctime_nsec: a.ctime.1,
        ..Default::default()
    }
}

// ---- read and write ----

/// Reads into `buf`, blocking (interruptibly) unless O_NONBLOCK.
pub fn read_file(
    t: &mut TaskCtx,
    f: &Arc<OpenFile>,
    buf: &mut [u8],
    pos: Option<u64>,
) -> Result<usize, Errno> {
    let r = read_file_nb(t, f, buf, pos, false);
    if let (Ok(n), Some(d)) = (&r, &f.dentry) {
        if *n > 0 {
            crate::fsimpl::inotify::notify_dentry(d, crate::fsimpl::inotify::IN_ACCESS);
        }
    }
    r
}

/// `read_file`, never blocking if `nonblock` (SPLICE_F_NONBLOCK), without inotify events.
pub fn read_file_nb(
    t: &mut TaskCtx,
    f: &Arc<OpenFile>,
    buf: &mut [u8],
    pos: Option<u64>,
    nonblock: bool,
) -> Result<usize, Errno> {
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    loop {
        let r = if f.ops.seekable() {
            match pos {
                Some(p) => f.ops.read(buf, p),
                None => {
                    let mut off = f.offset.lock().unwrap_or_else(|p| p.into_inner());
                    let r = f.ops.read(buf, *off);
                    if let Ok(n) = r {
                        *off += n as u64;
                    }
                    r
                }
            }
        } else {
            f.ops.read(buf, 0)
        };
        match r {
            Err(Errno::EAGAIN) if f.flags() & O_NONBLOCK == 0 && !nonblock => {
                if let Some(q) = f.ops.wait_queue() {
                    let ops = f.ops.clone();
                    match t.block_on(&[q], f.ops.deadline(), |_| {
                        (ops.readiness() & (POLLIN | POLLHUP | POLLERR) != 0).then_some(())
                    }) {
                        Ok(()) | Err(Errno::ETIMEDOUT) => {}
                        Err(_) => return Err(Errno::ERESTARTSYS),
                    }
                } else if f.ops.polls_host() {
                    if t.interrupted() {
                        return Err(Errno::ERESTARTSYS);
                    }
                } else {
                    return Err(Errno::EAGAIN);
                }
            }
            r => return r,
        }
    }
}

/// Writes `buf`, blocking unless O_NONBLOCK; a pipe without readers raises SIGPIPE.
pub fn write_file(
    t: &mut TaskCtx,
    f: &Arc<OpenFile>,
    buf: &[u8],
    pos: Option<u64>,
) -> Result<usize, Errno> {
    if !buf.is_empty() && f.writable() {
        remove_privs_for_write(t, f);
    }
    let r = write_file_nb(t, f, buf, pos, false);
    if let (Ok(n), Some(d)) = (&r, &f.dentry) {
        if *n > 0 {
            crate::fsimpl::inotify::notify_dentry(d, crate::fsimpl::inotify::IN_MODIFY);
        }
    }
    r
}

/// `write_file`, never blocking if `nonblock`, without inotify events.
pub fn write_file_nb(
    t: &mut TaskCtx,
    f: &Arc<OpenFile>,
    buf: &[u8],
    pos: Option<u64>,
    nonblock: bool,
) -> Result<usize, Errno> {
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    if buf.is_empty() {
        return Ok(0);
    }
    let mut done = 0;
    // RLIMIT_FSIZE (regular files only): husk's kernel/task.rs.
    let fsize = t.fsize_limit(f);
    loop {
        let r = if f.ops.seekable() {
            match pos {
                Some(p) => {
                    // pwrite on an O_APPEND file appends (Linux's generic_write_checks).
                    let at = if f.flags() & O_APPEND != 0 {
                        f.ops.size().unwrap_or(p + done as u64)
                    } else {
                        p + done as u64
                    };
                    t.fsize_allow(fsize, at, buf.len() - done)
                        .and_then(|n| f.ops.write_as(&buf[done..done + n], at, f.flags()))
                }
                None => {
                    let mut off = f.offset.lock().unwrap_or_else(|p| p.into_inner());
                    if f.flags() & O_APPEND != 0 {
                        *off = f.ops.size().unwrap_or(*off);
                    }
                    let r = t
                        .fsize_allow(fsize, *off, buf.len() - done)
                        .and_then(|n| f.ops.write_as(&buf[done..done + n], *off, f.flags()));
                    if let Ok(n) = r {
                        *off += n as u64;
                    }
                    r
                }
            }
        } else {
            f.ops.write_as(&buf[done..], 0, f.flags())
        };
        match r {
            Ok(n) => {
                done += n;
                if done >= buf.len() || f.ops.seekable() {
                    return Ok(done);
                }
            }
            Err(Errno::EAGAIN) if f.flags() & O_NONBLOCK == 0 && !nonblock => {
                if let Some(q) = f.ops.wait_queue() {
                    let ops = f.ops.clone();
                    if t.block_on(&[q], None, |_| {
                        (ops.readiness() & (POLLOUT | POLLERR) != 0).then_some(())
                    })
                    .is_err()
                    {
                        return if done > 0 {
                            Ok(done)
                        } else {
                            Err(Errno::ERESTARTSYS)
                        };
                    }
                } else if f.ops.polls_host() {
                    if t.interrupted() {
                        return if done > 0 {
                            Ok(done)
                        } else {
                            Err(Errno::ERESTARTSYS)
                        };
                    }
                } else {
                    return if done > 0 {
                        Ok(done)
                    } else {
                        Err(Errno::EAGAIN)
                    };
                }
            }
            Err(Errno::EPIPE) if f.ops.sigpipe_on_epipe() => {
                let mut st = t.k.lock();
                let uid = st.procs.get(&t.tgid).map(|p| p.creds.ruid).unwrap_or(0);
                t.k.send_to_thread(&mut st, t.tid, SigInfo::user(SIGPIPE, SI_USER, t.tgid, uid));
                return if done > 0 {
                    Ok(done)
                } else {
                    Err(Errno::EPIPE)
                };
            }
            Err(e) => return if done > 0 { Ok(done) } else { Err(e) },
        }
    }
}

fn do_read(t: &mut TaskCtx, fd: u64, addr: u64, len: u64, pos: Option<u64>) -> SysResult {
    // An O_PATH descriptor is not one read accepts (EBADF even for a directory).
    let f = t.files.get_io(fd_of(fd))?;
    if f.dentry
        .as_ref()
        .is_some_and(|d| d.inode.attr().map(|a| a.is_dir()).unwrap_or(false))
    {
        return Err(Errno::EISDIR);
    }
    let len = (len as usize).min(MAX_RW);
    // Read-only rootfs files: straight from the donated fd into application memory.
    if f.readable() && f.ops.seekable() {
        if let Some(src) = f.ops.read_source() {
            use rustix::fd::AsRawFd;
            let mut off = f.offset.lock().unwrap_or_else(|p| p.into_inner());
            let at = pos.unwrap_or(*off);
            let n = t.mm.read_fd_into(addr, len, src.as_raw_fd(), at)?;
            if pos.is_none() {
                *off += n as u64;
            }
            return Ok(n as u64);
        }
    }
    // The task's reusable I/O buffer: no allocation and zeroing per call.
    let mut buf = std::mem::take(&mut t.io_buf);
    if buf.len() < len {
        buf.resize(len, 0);
    }
    let r = read_file(t, &f, &mut buf[..len], pos).and_then(|n| {
        t.mm.copy_out(addr, &buf[..n])?;
        Ok(n as u64)
    });
    t.io_buf = buf;
    r
}

fn do_write(t: &mut TaskCtx, fd: u64, addr: u64, len: u64, pos: Option<u64>) -> SysResult {
    let f = t.files.get(fd_of(fd))?;
    let len = (len as usize).min(MAX_RW);
    let mut buf = std::mem::take(&mut t.io_buf);
    if buf.len() < len {
        buf.resize(len, 0);
    }
    let r =
        t.mm.copy_in(addr, &mut buf[..len])
            .and_then(|()| write_file(t, &f, &buf[..len], pos).map(|n| n as u64));
    t.io_buf = buf;
    r
}

pub fn read(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_read(t, a[0], a[1], a[2], None)
}

pub fn write(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_write(t, a[0], a[1], a[2], None)
}

pub fn pread64(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[3] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let f = t.files.get(fd_of(a[0]))?;
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    do_read(t, a[0], a[1], a[2], Some(a[3]))
}

pub fn pwrite64(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[3] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let f = t.files.get(fd_of(a[0]))?;
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    do_write(t, a[0], a[1], a[2], Some(a[3]))
}

fn do_readv(t: &mut TaskCtx, fd: u64, iov: u64, cnt: u64, pos: Option<u64>) -> SysResult {
    let f = t.files.get(fd_of(fd))?;
    let vecs = t.mm.read_iovecs(iov, cnt)?;
    let total: u64 = vecs.iter().map(|v| v.len).sum();
    let mut buf = vec![0u8; (total as usize).min(MAX_RW)];
    let n = read_file(t, &f, &mut buf, pos)?;
    let mut off = 0usize;
    for v in vecs {
        if off >= n {
            break;
        }
        let k = (v.len as usize).min(n - off);
        t.mm.copy_out(v.addr, &buf[off..off + k])?;
        off += k;
    }
    Ok(n as u64)
}

fn do_writev(t: &mut TaskCtx, fd: u64, iov: u64, cnt: u64, pos: Option<u64>) -> SysResult {
    let f = t.files.get(fd_of(fd))?;
    let vecs = t.mm.read_iovecs(iov, cnt)?;
    let mut buf = Vec::new();
    for v in vecs {
        let k = (v.len as usize).min(MAX_RW.saturating_sub(buf.len()));
        let start = buf.len();
        buf.resize(start + k, 0);
        t.mm.copy_in(v.addr, &mut buf[start..])?;
    }
    Ok(write_file(t, &f, &buf, pos)? as u64)
}

pub fn readv(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_readv(t, a[0], a[1], a[2], None)
}

pub fn writev(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_writev(t, a[0], a[1], a[2], None)
}

pub fn preadv(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let pos = if a[3] as i64 == -1 { None } else { Some(a[3]) };
    do_readv(t, a[0], a[1], a[2], pos)
}

pub fn pwritev(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let pos = if a[3] as i64 == -1 { None } else { Some(a[3]) };
    do_writev(t, a[0], a[1], a[2], pos)
}

pub fn lseek(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get_io(fd_of(a[0]))?;
    if !f.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    let off = a[1] as i64;
    let mut cur = f.offset.lock().unwrap_or_else(|p| p.into_inner());
    match f.ops.seek_mode() {
        SeekMode::Normal => {}
        SeekMode::Zero => {
            *cur = 0;
            return Ok(0);
        }
        SeekMode::Noop => return Ok(*cur),
    }
    let base: i64 = match a[2] {
        0 => 0,
        1 => *cur as i64,
        2 => f
            .ops
            .size()
            .or_else(|| f.inode().and_then(|i| i.attr().ok()).map(|a| a.size))
            .unwrap_or(0) as i64,
        3 | 4 => {
            // SEEK_DATA / SEEK_HOLE: tmpfs files know their holes; for others the
            // whole file is data.
            if off < 0 {
                return Err(Errno::ENXIO);
            }
            if let Some(r) = f.ops.seek_data_hole(off as u64, a[2] == 3) {
                let r = r?;
                *cur = r;
                return Ok(r);
            }
            let size = f.ops.size().unwrap_or(0) as i64;
            if off >= size {
                return Err(Errno::ENXIO);
            }
            let r = if a[2] == 3 { off } else { size };
            *cur = r as u64;
            return Ok(r as u64);
        }
        _ => return Err(Errno::EINVAL),
    };
    let new = base.checked_add(off).ok_or(Errno::EOVERFLOW)?;
    if new < 0 {
        return Err(Errno::EINVAL);
    }
    *cur = new as u64;
    if f.dentry
        .as_ref()
        .is_some_and(|d| d.inode.attr().map(|a| a.is_dir()).unwrap_or(false))
        && new == 0
    {
        *f.dir_cache.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }
    Ok(new as u64)
}

// ---- open and close ----

/// Opens `path` relative to `dirfd` with `flags` and `mode`; returns the new file.
pub fn open_path(
    t: &mut TaskCtx,
    dirfd: u64,
    path: &[u8],
    flags: u32,
    mode: u32,
) -> Result<Arc<OpenFile>, Errno> {
    open_path_res(t, dirfd, path, flags, mode, None)
}

/// `open_path` with openat2's RESOLVE_* restrictions.
pub fn open_path_res(
    t: &mut TaskCtx,
    dirfd: u64,
    path: &[u8],
    flags: u32,
    mode: u32,
    res: Option<Resolve>,
) -> Result<Arc<OpenFile>, Errno> {
    use crate::fsimpl::inotify::{notify_dentry, notify_name, IN_CREATE, IN_OPEN};
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    // O_PATH beats everything else (openat2 refused other flags already).
    let flags = if flags & O_PATH != 0 {
        flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    } else {
        flags
    };
    // __O_TMPFILE alone (O_TMPFILE includes O_DIRECTORY, which plain opens use too).
    if flags & (O_TMPFILE & !O_DIRECTORY) != 0 && flags & (O_TMPFILE | O_CREAT) != O_TMPFILE {
        return Err(Errno::EINVAL);
    }
    // O_DIRECTORY | O_CREAT is refused (this also rejects O_TMPFILE | O_CREAT).
    if flags & (O_DIRECTORY | O_CREAT) == O_DIRECTORY | O_CREAT {
        return Err(Errno::EINVAL);
    }
    if flags & O_TMPFILE == O_TMPFILE && flags & O_ACCMODE == O_RDONLY {
        // O_TMPFILE needs write access.
        return Err(Errno::EINVAL);
    }
    let _search = t.search_guard();
    // Where the walk starts and where absolute paths and `..` stop.
    let task_root = t.fs.lock().unwrap_or_else(|p| p.into_inner()).root.clone();
    let in_root = res.is_some_and(|r| r.in_root);
    let (root, start) = if in_root {
        let s = t.at_start(dirfd)?;
        (s.clone(), s)
    } else if path.first() == Some(&b'/') {
        (task_root.clone(), task_root)
    } else {
        (task_root, t.at_start(dirfd)?)
    };
    let walk = |t: &TaskCtx, p: &[u8], follow: bool| -> Result<Arc<Dentry>, Errno> {
        match res {
            Some(r) => t.vfs().walk_resolve(&root, &start, p, follow, r),
            None => t.vfs().walk(&root, &start, p, WalkFlags { follow }),
        }
    };
    if flags & O_TMPFILE == O_TMPFILE {
        let dir = walk(t, path, true)?;
        if !dir.inode.attr()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        check_writable_dir(t, &dir)?;
        let umask = t.fs.lock().unwrap_or_else(|p| p.into_inner()).umask;
        let (mode, uid, gid) = new_owner(t, &dir.inode.attr()?, mode & !umask & 0o7777, false);
        let inode = dir
            .inode
            .create_tmpfile(mode, uid, gid, flags & O_EXCL == 0)?;
        let name = format!("#{}", inode.attr()?.ino).into_bytes();
        let dentry = Arc::new(Dentry {
            name,
            parent: Some(dir.clone()),
            inode: inode.clone(),
            mount: dir.mount.clone(),
        });
        let ops = inode.open(flags & !O_TRUNC)?;
        let f = OpenFile::new(ops, Some(dentry.clone()), flags);
        notify_dentry(&dentry, IN_OPEN);
        return Ok(f);
    }
    let acc = flags & O_ACCMODE;
    let mut created = false;
    let dentry = if flags & O_CREAT != 0 {
        if path.ends_with(b"/") {
            return Err(Errno::EISDIR);
        }
        let (mut parent, mut name) = t.vfs().walk_parent_resolve(&root, &start, path, res)?;
        let mut budget = 40u32;
        loop {
            if name == b"." || name == b".." {
                // An existing directory: the open below fails with EISDIR.
                break match res {
                    Some(r) => t.vfs().walk_resolve(&root, &parent, &name, true, r)?,
                    None => t
                        .vfs()
                        .walk(&root, &parent, &name, WalkFlags { follow: true })?,
                };
            }
            match t.vfs().child(&parent, &name) {
                Ok(d) => {
                    if res.is_some_and(|r| r.no_xdev) && !Arc::ptr_eq(&d.mount, &parent.mount) {
                        return Err(Errno::EXDEV);
                    }
                    if flags & O_EXCL != 0 {
                        return Err(Errno::EEXIST);
                    }
                    if !d.inode.attr()?.is_symlink() {
                        break d;
                    }
                    if flags & O_NOFOLLOW != 0 || res.is_some_and(|r| r.no_symlinks) {
                        return Err(Errno::ELOOP);
                    }
                    if let Some(m) = d.inode.follow_magic() {
                        if let Some(r) = res {
                            if r.no_magiclinks {
                                return Err(Errno::ELOOP);
                            }
                            if r.beneath || r.in_root {
                                return Err(Errno::EXDEV);
                            }
                        }
                        break m?;
                    }
                    // Follow the link; a dangling one is created at its target.
                    if budget == 0 {
                        return Err(Errno::ELOOP);
                    }
                    budget -= 1;
                    let target = d.inode.readlink()?;
                    if target.ends_with(b"/") {
                        return Err(Errno::EISDIR);
                    }
                    (parent, name) = t.vfs().walk_parent_resolve(&root, &parent, &target, res)?;
                    continue;
                }
                Err(Errno::ENOENT) => {}
                Err(e) => return Err(e),
            }
            {
                if parent.mount.flags.readonly {
                    return Err(Errno::EROFS);
                }
                let pattr = parent.inode.attr()?;
                if !may_access(t, &pattr, 3) {
                    return Err(Errno::EACCES);
                }
                let umask = t.fs.lock().unwrap_or_else(|p| p.into_inner()).umask;
                let (mode, uid, gid) = new_owner(t, &pattr, mode & !umask & 0o7777, false);
                let inode = parent.inode.create(&name, NewNode::File, mode, uid, gid)?;
                created = true;
                break Arc::new(Dentry {
                    name,
                    parent: Some(parent.clone()),
                    inode,
                    mount: parent.mount.clone(),
                });
            }
        }
    } else {
        walk(t, path, flags & O_NOFOLLOW == 0)?
    };
    if created {
        if let Some(p) = &dentry.parent {
            notify_name(&p.inode, &dentry.name, IN_CREATE, 0, false);
        }
    }
    let attr = dentry.inode.attr()?;
    if flags & O_PATH != 0 {
        if flags & O_DIRECTORY != 0 && !attr.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        return Ok(OpenFile::new(
            Arc::new(NoData),
            Some(dentry),
            O_PATH | (flags & (O_DIRECTORY | O_NOFOLLOW)),
        ));
    }
    if flags & O_CREAT != 0 && attr.is_dir() {
        return Err(Errno::EISDIR);
    }
    if flags & O_DIRECTORY != 0 && !attr.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if attr.is_symlink() {
        return Err(Errno::ELOOP);
    }
    let want = match acc {
        O_RDONLY => 4,
        O_WRONLY => 2,
        _ => 6,
    } | if flags & O_TRUNC != 0 { 2 } else { 0 };
    if attr.is_dir() && want & 2 != 0 {
        return Err(Errno::EISDIR);
    }
    if !may_access(t, &attr, want) {
        return Err(Errno::EACCES);
    }
    // A device node on a nodev mount cannot be opened.
    if dentry.mount.flags.nodev && matches!(attr.file_type(), S_IFCHR | S_IFBLK) {
        return Err(Errno::EACCES);
    }
    if want & 2 != 0 && dentry.mount.flags.readonly && matches!(attr.file_type(), S_IFREG | S_IFDIR)
    {
        return Err(Errno::EROFS);
    }
    let size_before = if flags & O_TRUNC != 0 && !created && attr.file_type() == S_IFREG {
        Some(attr.size)
    } else {
        None
    };
    if size_before.is_some_and(|s| s > 0) && acc == O_RDONLY {
        // O_RDONLY | O_TRUNC truncates too (the write permission was checked above).
        dentry.inode.set_attr(&SetAttr {
            size: Some(0),
            ..Default::default()
        })?;
    }
    let ops = dentry.inode.clone().open(flags)?;
    let f = OpenFile::new(ops, Some(dentry.clone()), flags);
    if size_before.is_some() {
        // O_TRUNC truncates through setattr (IN_MODIFY) before the open event.
        notify_dentry(&dentry, crate::fsimpl::inotify::IN_MODIFY);
    }
    notify_dentry(&dentry, IN_OPEN);
    Ok(f)
}

/// openat2's `struct open_how` checks, then the open.
pub fn openat2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    const OPEN_HOW_SIZE_VER0: u64 = 24;
    const VALID_OPEN_FLAGS: u64 = 0o37777703;
    const RESOLVE_NO_XDEV: u64 = 0x01;
    const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
    const RESOLVE_NO_SYMLINKS: u64 = 0x04;
    const RESOLVE_BENEATH: u64 = 0x08;
    const RESOLVE_IN_ROOT: u64 = 0x10;
    const RESOLVE_CACHED: u64 = 0x20;
    let size = a[3];
    if size < OPEN_HOW_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if size > husk_abi::PAGE_SIZE {
        return Err(Errno::E2BIG);
    }
    let mut how = vec![0u8; size as usize];
    t.mm.copy_in(a[2], &mut how)?;
    if how[24..].iter().any(|&b| b != 0) {
        return Err(Errno::E2BIG);
    }
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&how[i * 8..i * 8 + 8]);
        u64::from_le_bytes(w)
    };
    let (flags, mode, resolve) = (word(0), word(1), word(2));
    if flags & !VALID_OPEN_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    if resolve & !0x3f != 0 {
        return Err(Errno::EINVAL);
    }
    let flags32 = flags as u32;
    if flags32 & O_PATH != 0 && flags32 & !(O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags32 & O_CREAT != 0 || flags32 & O_TMPFILE == O_TMPFILE {
        if mode & !0o7777 != 0 {
            return Err(Errno::EINVAL);
        }
    } else if mode != 0 {
        return Err(Errno::EINVAL);
    }
    if resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) == RESOLVE_BENEATH | RESOLVE_IN_ROOT {
        return Err(Errno::EINVAL);
    }
    if resolve & RESOLVE_CACHED != 0
        && (flags32 & (O_TRUNC | O_CREAT) != 0 || flags32 & O_TMPFILE == O_TMPFILE)
    {
        return Err(Errno::EAGAIN);
    }
    let path = t.path_arg(a[1])?;
    let r = Resolve {
        no_xdev: resolve & RESOLVE_NO_XDEV != 0,
        no_magiclinks: resolve & RESOLVE_NO_MAGICLINKS != 0,
        no_symlinks: resolve & RESOLVE_NO_SYMLINKS != 0,
        beneath: resolve & RESOLVE_BENEATH != 0,
        in_root: resolve & RESOLVE_IN_ROOT != 0,
    };
    let f = open_path_res(t, a[0], &path, flags32, mode as u32, Some(r))?;
    install(t, f, flags32 & O_CLOEXEC != 0)
}

/// name_to_handle_at and open_by_handle_at: file handles are not supported (as gVisor).
pub fn file_handle_unsupported(_t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Err(Errno::EOPNOTSUPP)
}

/// memfd_create: an unnamed, optionally sealable tmpfs file.
pub fn memfd_create(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    const MFD_CLOEXEC: u64 = 1;
    const MFD_ALLOW_SEALING: u64 = 2;
    const MFD_HUGETLB: u64 = 4;
    const MFD_NOEXEC_SEAL: u64 = 8;
    const MFD_EXEC: u64 = 0x10;
    const MFD_NAME_MAX_LEN: usize = 249;
    let flags = a[1];
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC) != 0
        || flags & MFD_HUGETLB != 0
        || flags & (MFD_EXEC | MFD_NOEXEC_SEAL) == MFD_EXEC | MFD_NOEXEC_SEAL
    {
        return Err(Errno::EINVAL);
    }
    let name = match t.mm.read_cstring(a[0], MFD_NAME_MAX_LEN) {
        Ok(n) if n.len() <= MFD_NAME_MAX_LEN => n,
        Ok(_) | Err(Errno::ENAMETOOLONG) => return Err(Errno::EINVAL),
        Err(e) => return Err(e),
    };
    let noexec = flags & MFD_NOEXEC_SEAL != 0;
    let sealing = flags & MFD_ALLOW_SEALING != 0 || noexec;
    let c = t.creds();
    let (inode, root) =
        crate::fsimpl::memfs::memfd_node(&t.mm.mf, sealing, noexec, c.fsuid, c.fsgid)?;
    let mount = Arc::new(Mount {
        root: root.clone(),
        flags: MountFlags::default(),
        fstype: "tmpfs",
        source: "tmpfs".into(),
    });
    let rootd = Arc::new(Dentry {
        name: Vec::new(),
        parent: None,
        inode: root,
        mount: mount.clone(),
    });
    let mut dname = b"memfd:".to_vec();
    dname.extend_from_slice(&name);
    let d = Arc::new(Dentry {
        name: dname,
        parent: Some(rootd),
        inode: inode.clone(),
        mount,
    });
    let ops = inode.open(O_RDWR)?;
    let f = OpenFile::new(ops, Some(d), O_RDWR | O_LARGEFILE);
    install(t, f, flags & MFD_CLOEXEC != 0)
}

fn install(t: &TaskCtx, f: Arc<OpenFile>, cloexec: bool) -> SysResult {
    let limit = t.rlimit(7).rlim_cur;
    Ok(t.files.insert(f, cloexec, 0, limit)? as u64)
}

pub fn openat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let path = t.path_arg(a[1])?;
    let flags = a[2] as u32;
    let f = open_path(t, a[0], &path, flags, a[3] as u32)?;
    install(t, f, flags & O_CLOEXEC != 0)
}

pub fn open(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    openat(t, &[AT_FDCWD as u64, a[0], a[1], a[2], 0, 0])
}

pub fn creat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    openat(
        t,
        &[
            AT_FDCWD as u64,
            a[0],
            (O_CREAT | O_WRONLY | O_TRUNC) as u64,
            a[1],
            0,
            0,
        ],
    )
}

pub fn close(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    t.files.remove(fd_of(a[0]))?;
    Ok(0)
}

pub fn close_range(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (first, last, flags) = (a[0] as u32, a[1] as u32, a[2]);
    if first > last || flags & !6 != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & 2 != 0 {
        t.files = Arc::new(t.files.fork_copy());
    }
    let last = last.min(i32::MAX as u32) as i32;
    t.files
        .close_range(first.min(i32::MAX as u32) as i32, last, flags & 4 != 0);
    Ok(0)
}

pub fn dup(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get(fd_of(a[0]))?;
    install(t, f, false)
}

pub fn dup2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get(fd_of(a[0]))?;
    if a[0] as i32 == a[1] as i32 {
        return Ok(a[1] as i32 as u64);
    }
    dup_to(t, f, a[1], false)
}

fn dup_to(t: &mut TaskCtx, f: Arc<OpenFile>, newfd: u64, cloexec: bool) -> SysResult {
    let newfd = newfd as i32;
    if newfd < 0 || newfd as u64 >= t.rlimit(7).rlim_cur {
        return Err(Errno::EBADF);
    }
    t.files.insert_at(newfd, f, cloexec);
    Ok(newfd as u64)
}

pub fn dup3(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] as i32 == a[1] as i32 {
        return Err(Errno::EINVAL);
    }
    if a[2] & !(O_CLOEXEC as u64) != 0 {
        return Err(Errno::EINVAL);
    }
    let f = t.files.get(fd_of(a[0]))?;
    dup_to(t, f, a[1], a[2] & O_CLOEXEC as u64 != 0)
}

// ---- advisory locks ----

const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;

/// `struct flock`.
#[derive(Clone, Copy, Debug, Default)]
struct Flock {
    typ: i16,
    whence: i16,
    start: i64,
    len: i64,
    pid: i32,
}

fn read_flock(t: &TaskCtx, addr: u64) -> Result<Flock, Errno> {
    let mut b = [0u8; 32];
    t.mm.copy_in(addr, &mut b)?;
    let i16_at = |o: usize| i16::from_le_bytes([b[o], b[o + 1]]);
    let i64_at = |o: usize| {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[o..o + 8]);
        i64::from_le_bytes(x)
    };
    Ok(Flock {
        typ: i16_at(0),
        whence: i16_at(2),
        start: i64_at(8),
        len: i64_at(16),
        pid: i32::from_le_bytes([b[24], b[25], b[26], b[27]]),
    })
}

fn write_flock(t: &TaskCtx, addr: u64, fl: &Flock) -> Result<(), Errno> {
    let mut b = [0u8; 32];
    b[0..2].copy_from_slice(&fl.typ.to_le_bytes());
    b[2..4].copy_from_slice(&fl.whence.to_le_bytes());
    b[8..16].copy_from_slice(&fl.start.to_le_bytes());
    b[16..24].copy_from_slice(&fl.len.to_le_bytes());
    b[24..28].copy_from_slice(&fl.pid.to_le_bytes());
    t.mm.copy_out(addr, &b)
}

/// The inclusive byte range `fl` names in `f` (as Linux's flock_to_posix_lock).
fn flock_range(f: &OpenFile, fl: &Flock) -> Result<(u64, u64), Errno> {
    use crate::vfs::lock::OFFSET_MAX;
    let base: i64 = match fl.whence {
        0 => 0,
        1 => *f.offset.lock().unwrap_or_else(|p| p.into_inner()) as i64,
        2 => f
            .ops
            .size()
            .or_else(|| f.inode().and_then(|i| i.attr().ok()).map(|a| a.size))
            .unwrap_or(0) as i64,
        _ => return Err(Errno::EINVAL),
    };
    let mut start = base.checked_add(fl.start).ok_or(Errno::EOVERFLOW)?;
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let end = match fl.len {
        0 => OFFSET_MAX as i64,
        l if l > 0 => {
            if l - 1 > i64::MAX - start {
                return Err(Errno::EOVERFLOW);
            }
            start + l - 1
        }
        l => {
            if start + l < 0 {
                return Err(Errno::EINVAL);
            }
            let end = start - 1;
            start += l;
            end
        }
    };
    Ok((start as u64, end as u64))
}

/// F_GETLK / F_OFD_GETLK.
fn getlk(t: &mut TaskCtx, f: &Arc<OpenFile>, addr: u64, ofd: bool) -> SysResult {
    use crate::vfs::lock::{file_owner, Owner, Space, LOCKS, OFFSET_MAX};
    let mut fl = read_flock(t, addr)?;
    if fl.typ != F_RDLCK && fl.typ != F_WRLCK || ofd && fl.pid != 0 {
        return Err(Errno::EINVAL);
    }
    let (start, end) = flock_range(f, &fl)?;
    let owner = if ofd {
        file_owner(f)
    } else {
        Owner::Table(t.files.lock_owner())
    };
    match LOCKS.test(f, Space::Record, owner, start, end, fl.typ == F_WRLCK) {
        Some(l) => {
            fl.typ = if l.write { F_WRLCK } else { F_RDLCK };
            fl.whence = 0;
            fl.start = l.start as i64;
            fl.len = if l.end == OFFSET_MAX {
                0
            } else {
                (l.end - l.start + 1) as i64
            };
            // -1 (OFD locks) stays; a process the caller cannot see is 0.
            fl.pid = if l.pid > 0 { t.vpid(l.pid) } else { l.pid };
        }
        None => fl.typ = F_UNLCK,
    }
    write_flock(t, addr, &fl)?;
    Ok(0)
}

/// Takes (or, with `kind` None, drops) a lock, waiting for conflicting ones if `wait`.
#[allow(clippy::too_many_arguments)]
fn set_lock(
    t: &mut TaskCtx,
    f: &Arc<OpenFile>,
    space: crate::vfs::lock::Space,
    owner: crate::vfs::lock::Owner,
    pid: i32,
    range: (u64, u64),
    kind: Option<bool>,
    wait: bool,
) -> SysResult {
    use crate::vfs::lock::{Owner, LOCKS};
    if matches!(owner, Owner::File(_)) {
        f.has_locks
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
    let (start, end) = range;
    let blocker = match LOCKS.try_set(f, space, owner, pid, (start, end), kind) {
        Ok(()) => return Ok(0),
        Err(b) => b,
    };
    if !wait {
        // EAGAIN (EWOULDBLOCK for flock, the same number).
        return Err(Errno::EAGAIN);
    }
    // POSIX lock owners waiting for each other in a cycle would wait forever.
    let posix = matches!(owner, Owner::Table(_));
    if posix && matches!(blocker.owner, Owner::Table(_)) {
        LOCKS.wait_for(owner, blocker.owner)?;
    }
    let wq = LOCKS.wq.clone();
    let r = t.block_on(&[wq], None, |_| {
        match LOCKS.try_set(f, space, owner, pid, (start, end), kind) {
            Ok(()) => Some(Ok(())),
            Err(b) if posix && matches!(b.owner, Owner::Table(_)) => {
                LOCKS.wait_for(owner, b.owner).err().map(Err)
            }
            Err(_) => None,
        }
    });
    if posix {
        LOCKS.done_waiting(owner);
    }
    match r {
        Ok(Ok(())) => Ok(0),
        Ok(Err(e)) => Err(e),
        Err(Errno::EINTR) => Err(Errno::ERESTARTSYS),
        Err(e) => Err(e),
    }
}

/// F_SETLK(W) / F_OFD_SETLK(W).
fn setlk(t: &mut TaskCtx, f: &Arc<OpenFile>, addr: u64, ofd: bool, wait: bool) -> SysResult {
    use crate::vfs::lock::{file_owner, Owner, Space};
    let fl = read_flock(t, addr)?;
    if ofd && fl.pid != 0 {
        return Err(Errno::EINVAL);
    }
    let kind = match fl.typ {
        F_RDLCK => Some(false),
        F_WRLCK => Some(true),
        F_UNLCK => None,
        _ => return Err(Errno::EINVAL),
    };
    match kind {
        Some(false) if !f.readable() => return Err(Errno::EBADF),
        Some(true) if !f.writable() => return Err(Errno::EBADF),
        _ => {}
    }
    let range = flock_range(f, &fl)?;
    let (owner, pid) = if ofd {
        (file_owner(f), -1)
    } else {
        (Owner::Table(t.files.lock_owner()), t.tgid)
    };
    set_lock(t, f, Space::Record, owner, pid, range, kind, wait)
}

pub fn flock(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    use crate::vfs::lock::{file_owner, Space, OFFSET_MAX};
    const LOCK_SH: u64 = 1;
    const LOCK_EX: u64 = 2;
    const LOCK_NB: u64 = 4;
    const LOCK_UN: u64 = 8;
    let f = t.files.get(fd_of(a[0]))?;
    if f.flags() & O_PATH != 0 {
        return Err(Errno::EBADF);
    }
    let kind = match a[1] & !LOCK_NB {
        LOCK_SH => Some(false),
        LOCK_EX => Some(true),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL),
    };
    let owner = file_owner(&f);
    set_lock(
        t,
        &f,
        Space::Flock,
        owner,
        t.tgid,
        (0, OFFSET_MAX),
        kind,
        a[1] & LOCK_NB == 0,
    )
}

pub fn fcntl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let fd = fd_of(a[0]);
    let e = t.files.entry(fd)?;
    // An O_PATH descriptor allows only descriptor-level commands.
    if e.file.flags() & O_PATH != 0 && !matches!(a[1], 0 | 1 | 2 | 3 | 1030) {
        return Err(Errno::EBADF);
    }
    match a[1] {
        // F_GETLK, F_SETLK, F_SETLKW
        5 => getlk(t, &e.file, a[2], false),
        6 | 7 => setlk(t, &e.file, a[2], false, a[1] == 7),
        // F_OFD_GETLK, F_OFD_SETLK, F_OFD_SETLKW
        36 => getlk(t, &e.file, a[2], true),
        37 | 38 => setlk(t, &e.file, a[2], true, a[1] == 38),
        0 | 1030 => {
            let limit = t.rlimit(7).rlim_cur;
            let min = a[2] as i32;
            if min < 0 || min as u64 >= limit {
                return Err(Errno::EINVAL);
            }
            Ok(t.files.insert(e.file, a[1] == 1030, min, limit)? as u64)
        }
        1 => Ok(e.cloexec as u64),
        2 => {
            t.files.set_cloexec(fd, a[2] & 1 != 0)?;
            Ok(0)
        }
        3 => Ok((e.file.flags() | O_LARGEFILE) as u64),
        4 => {
            let settable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
            let old = e.file.flags();
            e.file.flags.store(
                (old & !settable) | (a[2] as u32 & settable),
                std::sync::atomic::Ordering::Relaxed,
            );
            Ok(0)
        }
        // F_SETPIPE_SZ
        1031 => {
            let privileged = t
                .creds()
                .capable_init(crate::kernel::caps::CAP_SYS_RESOURCE);
            e.file.ops.set_pipe_size(a[2], privileged)
        }
        // F_GETPIPE_SZ
        1032 => e.file.ops.pipe_size().ok_or(Errno::EBADF),
        // F_ADD_SEALS
        1033 => {
            let inode = e.file.inode().ok_or(Errno::EINVAL)?.clone();
            inode.seals()?;
            if !e.file.writable() {
                return Err(Errno::EPERM);
            }
            inode.add_seals(a[2] as u32)?;
            Ok(0)
        }
        // F_GET_SEALS
        1034 => {
            let inode = e.file.inode().ok_or(Errno::EINVAL)?.clone();
            Ok(inode.seals()? as u64)
        }
        // F_GETOWN, F_SETOWN, F_GETSIG, F_SETSIG: no async I/O owner.
        9 => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn ioctl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let fd = fd_of(a[0]);
    let f = t.files.get(fd)?;
    let cmd = a[1] as u32;
    match cmd {
        // FIONBIO
        0x5421 => {
            let on = t.mm.read_u32(a[2])? != 0;
            let old = f.flags();
            let new = if on {
                old | O_NONBLOCK
            } else {
                old & !O_NONBLOCK
            };
            f.flags.store(new, std::sync::atomic::Ordering::Relaxed);
            return Ok(0);
        }
        // FIONCLEX, FIOCLEX
        0x5450 | 0x5451 => {
            t.files.set_cloexec(fd, cmd == 0x5451)?;
            return Ok(0);
        }
        // TIOCGPTPEER: installs a new fd for a pty's slave.
        crate::fsimpl::devpts::TIOCGPTPEER => {
            return crate::fsimpl::devpts::open_peer(t, &f, a[2]);
        }
        _ => {}
    }
    // FIONREAD on a regular file: the bytes between the offset and the end.
    if cmd == 0x541b {
        if let Some(attr) = f.inode().and_then(|i| i.attr().ok()) {
            if attr.file_type() == S_IFREG {
                let size = f.ops.size().unwrap_or(attr.size);
                let off = *f.offset.lock().unwrap_or_else(|p| p.into_inner());
                let n = size.wrapping_sub(off) as i32;
                t.mm.write_obj(a[2], &n)?;
                return Ok(0);
            }
        }
    }
    match f.ops.ioctl(cmd, a[2])? {
        IoctlResult::Value(v) => Ok(v),
        IoctlResult::Out(bytes) => {
            t.mm.copy_out(a[2], &bytes)?;
            Ok(0)
        }
        IoctlResult::NeedIn(n) => {
            let mut b = vec![0u8; n];
            t.mm.copy_in(a[2], &mut b)?;
            f.ops.ioctl_in(cmd, &b)
        }
    }
}

pub fn pipe2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let flags = a[1] as u32;
    if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = Pipe::new();
    let name = format!("pipe:[{}]", p.id);
    let nb = flags & O_NONBLOCK;
    let nb = nb | (flags & O_DIRECT);
    let r = OpenFile::new_anon(p.open_end(O_RDONLY), O_RDONLY | nb, name.clone());
    let w = OpenFile::new_anon(p.open_end(O_WRONLY), O_WRONLY | nb, name);
    let cloexec = flags & O_CLOEXEC != 0;
    let limit = t.rlimit(7).rlim_cur;
    let rfd = t.files.insert(r, cloexec, 0, limit)?;
    let wfd = match t.files.insert(w, cloexec, 0, limit) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = t.files.remove(rfd);
            return Err(e);
        }
    };
    let fds = [rfd, wfd];
    if let Err(e) = t.mm.write_obj(a[0], &fds) {
        let _ = t.files.remove(rfd);
        let _ = t.files.remove(wfd);
        return Err(e);
    }
    Ok(0)
}

pub fn pipe(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    pipe2(t, &[a[0], 0, 0, 0, 0, 0])
}

// ---- stat ----

fn stat_at(t: &mut TaskCtx, dirfd: u64, path_addr: u64, flags: u64) -> Result<Attr, Errno> {
    // Linux (6.11+) accepts a NULL path only with AT_EMPTY_PATH; otherwise reading it faults.
    let path = if path_addr == 0 {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::EFAULT);
        }
        Vec::new()
    } else {
        t.path_arg(path_addr)?
    };
    if path.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        if dirfd as i32 == AT_FDCWD {
            return t.at_start(dirfd)?.inode.attr();
        }
        let f = t.files.get(fd_of(dirfd))?;
        return file_attr(&f);
    }
    let d = t.walk_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?;
    d.inode.attr()
}

/// Attributes of an open file (pipes and other anonymous files included).
pub fn file_attr(f: &OpenFile) -> Result<Attr, Errno> {
    match &f.dentry {
        Some(d) => d.inode.attr(),
        None => Ok(Attr {
            dev: 0xc,
            // "pipe:[N]" and "socket:[N]": N is the inode number, as on Linux.
            ino: f
                .anon_name
                .strip_suffix(']')
                .and_then(|s| s.split_once(":["))
                .and_then(|(_, n)| n.parse().ok())
                .unwrap_or_else(|| {
                    f.anon_name
                        .bytes()
                        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64))
                        & 0xffff_ffff
                }),
            mode: if f.anon_name.starts_with("pipe:") {
                S_IFIFO | 0o600
            } else if f.anon_name.starts_with("socket:") {
                S_IFSOCK | 0o777
            } else {
                S_IFCHR | 0o620
            },
            nlink: 1,
            blksize: 4096,
            ..Default::default()
        }),
    }
}

/// `attr` with its owner as the caller's user namespace sees it.
fn shown(t: &TaskCtx, mut attr: Attr) -> Attr {
    let Some(ns) =
        t.k.lock()
            .procs
            .get(&t.tgid)
            .map(|p| p.creds.userns.clone())
    else {
        return attr;
    };
    (attr.uid, attr.gid) = crate::kernel::userns::shown_owner(&ns, attr.uid, attr.gid);
    attr
}

pub fn fstat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get(fd_of(a[0]))?;
    let attr = shown(t, file_attr(&f)?);
    t.mm.write_obj(a[1], &stat_of(&attr))?;
    Ok(0)
}

pub fn stat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let attr = stat_at(t, AT_FDCWD as u64, a[0], 0)?;
    let attr = shown(t, attr);
    t.mm.write_obj(a[1], &stat_of(&attr))?;
    Ok(0)
}

pub fn lstat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let attr = stat_at(t, AT_FDCWD as u64, a[0], AT_SYMLINK_NOFOLLOW)?;
    let attr = shown(t, attr);
    t.mm.write_obj(a[1], &stat_of(&attr))?;
    Ok(0)
}

const AT_NO_AUTOMOUNT: u64 = 0x800;
const AT_STATX_SYNC_TYPE: u64 = 0x6000;
const STATX_RESERVED: u64 = 0x8000_0000;

pub fn newfstatat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[3] & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let attr = stat_at(t, a[0], a[1], a[3])?;
    let attr = shown(t, attr);
    t.mm.write_obj(a[2], &stat_of(&attr))?;
    Ok(0)
}

pub fn statx(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let flags = a[2];
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || a[3] & STATX_RESERVED != 0
    {
        return Err(Errno::EINVAL);
    }
    let attr = stat_at(t, a[0], a[1], a[2])?;
    let attr = shown(t, attr);
    let ts = |x: (i64, i64)| StatxTimestamp {
        tv_sec: x.0,
        tv_nsec: x.1 as u32,
        reserved: 0,
    };
    let major = |d: u64| (((d >> 8) & 0xfff) | ((d >> 32) & !0xfff)) as u32;
    let minor = |d: u64| ((d & 0xff) | ((d >> 12) & !0xff)) as u32;
    let sx = Statx {
        stx_mask: 0x7ff,
        stx_blksize: 4096,
        stx_nlink: attr.nlink as u32,
        stx_uid: attr.uid,
        stx_gid: attr.gid,
        stx_mode: attr.mode as u16,
        stx_ino: attr.ino,
        stx_size: attr.size,
        stx_blocks: attr.blocks,
        stx_atime: ts(attr.atime),
        stx_btime: ts(attr.ctime),
        stx_ctime: ts(attr.ctime),
        stx_mtime: ts(attr.mtime),
        stx_rdev_major: major(attr.rdev),
        stx_rdev_minor: minor(attr.rdev),
        stx_dev_major: major(attr.dev),
        stx_dev_minor: minor(attr.dev),
        ..Default::default()
    };
    t.mm.write_obj(a[4], &sx)?;
    Ok(0)
}

fn statfs_bytes(d: &Dentry) -> Vec<u8> {
    const ST_RDONLY: u64 = 1;
    const ST_NOSUID: u64 = 2;
    const ST_NODEV: u64 = 4;
    const ST_NOEXEC: u64 = 8;
    const ST_VALID: u64 = 0x20;
    const ST_RELATIME: u64 = 0x400;
    let magic: u64 = match d.mount.fstype {
        "proc" => 0x9fa0,
        "sysfs" => 0x6265_6572,
        "devpts" => 0x1cd1,
        "overlay" => 0x794c_7630,
        "cgroup2" => 0x6367_7270,
        _ => 0x0102_1994,
    };
    // Blocks, free blocks, files, free files: pseudo file systems have none, a
    // size-limited tmpfs its budget, anything else a large made-up size.
    let (blocks, free, files, ffree) = match (d.mount.fstype, d.inode.fs_blocks()) {
        ("proc" | "sysfs" | "devpts" | "cgroup2", _) => (0, 0, 0, 0),
        (_, Some((total, used))) => (total, total.saturating_sub(used), 1 << 20, 1 << 19),
        _ => (1 << 22, 1 << 21, 1 << 20, 1 << 19),
    };
    let mf = &d.mount.flags;
    let flags = ST_VALID
        | ST_RELATIME
        | if mf.readonly { ST_RDONLY } else { 0 }
        | if mf.nosuid { ST_NOSUID } else { 0 }
        | if mf.nodev { ST_NODEV } else { 0 }
        | if mf.noexec { ST_NOEXEC } else { 0 };
    let words: [u64; 15] = [
        magic, 4096, blocks, free, free, files, ffree, 0, 255, 4096, flags, 0, 0, 0, 0,
    ];
    words.iter().flat_map(|w| w.to_le_bytes()).collect()
}

pub fn statfs(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let path = t.path_arg(a[0])?;
    let d = t.walk_at(AT_FDCWD as u64, &path, true)?;
    t.mm.copy_out(a[1], &statfs_bytes(&d))?;
    Ok(0)
}

pub fn fstatfs(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get(fd_of(a[0]))?;
    let b = match &f.dentry {
        Some(d) => statfs_bytes(d),
        None => {
            let words: [u64; 15] = [
                0x5049_5045,
                4096,
                0,
                0,
                0,
                0,
                0,
                0,
                255,
                4096,
                0,
                0,
                0,
                0,
                0,
            ];
            words.iter().flat_map(|w| w.to_le_bytes()).collect()
        }
    };
    t.mm.copy_out(a[1], &b)?;
    Ok(0)
}

pub fn getdents64(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get_io(fd_of(a[0]))?;
    let d = f.dentry.clone().ok_or(Errno::ENOTDIR)?;
    let attr = d.inode.attr()?;
    if !attr.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    let mut cache = f.dir_cache.lock().unwrap_or_else(|p| p.into_inner());
    let mut off = f.offset.lock().unwrap_or_else(|p| p.into_inner());
    if cache.is_none() || *off == 0 {
        let parent_ino = d
            .parent
            .as_ref()
            .and_then(|p| p.inode.attr().ok())
            .map(|a| a.ino)
            .unwrap_or(attr.ino);
        let mut list = vec![
            DirEnt {
                name: b".".to_vec(),
                ino: attr.ino,
                dtype: 4,
            },
            DirEnt {
                name: b"..".to_vec(),
                ino: parent_ino,
                dtype: 4,
            },
        ];
        list.extend(d.inode.readdir()?);
        *cache = Some(list);
    }
    let list = cache.as_ref().ok_or(Errno::EIO)?;
    let cap = a[2] as usize;
    let mut out = Vec::new();
    let mut i = *off as usize;
    while i < list.len() {
        let e = &list[i];
        let reclen = (19 + e.name.len() + 1).div_ceil(8) * 8;
        if out.len() + reclen > cap {
            break;
        }
        out.extend_from_slice(&e.ino.to_le_bytes());
        out.extend_from_slice(&((i + 1) as i64).to_le_bytes());
        out.extend_from_slice(&(reclen as u16).to_le_bytes());
        out.push(e.dtype);
        out.extend_from_slice(&e.name);
        out.resize(out.len() + reclen - 19 - e.name.len(), 0);
        i += 1;
    }
    if out.is_empty() && i < list.len() {
        return Err(Errno::EINVAL);
    }
    t.mm.copy_out(a[1], &out)?;
    *off = i as u64;
    Ok(out.len() as u64)
}

// ---- access, readlink ----

const AT_EACCESS: u64 = 0x200;

fn access_at(t: &mut TaskCtx, dirfd: u64, path_addr: u64, mode: u64, flags: u64) -> SysResult {
    if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.path_arg(path_addr)?;
    if path.is_empty() && flags & AT_EMPTY_PATH == 0 {
        return Err(Errno::ENOENT);
    }
    let d = if path.is_empty() {
        empty_path_at(t, dirfd)?
    } else {
        t.walk_at(dirfd, &path, flags & AT_SYMLINK_NOFOLLOW == 0)?
    };
    let attr = d.inode.attr()?;
    if mode & 2 != 0
        && d.mount.flags.readonly
        && matches!(attr.file_type(), S_IFREG | S_IFDIR | S_IFLNK)
    {
        return Err(Errno::EROFS);
    }
    // X_OK on a regular file of a noexec mount is refused whatever the mode.
    if mode & 1 != 0 && attr.file_type() == S_IFREG && d.mount.flags.noexec {
        return Err(Errno::EACCES);
    }
    // Without AT_EACCESS the check is made with the real ids, as for access(2).
    let mut c = t.creds();
    if flags & AT_EACCESS == 0 {
        c.fsuid = c.ruid;
        c.fsgid = c.rgid;
        if c.securebits & crate::kernel::caps::SECBIT_NO_SETUID_FIXUP == 0 {
            c.cap_effective = if c.ruid == 0 { c.cap_permitted } else { 0 };
        }
    }
    if !may_access_as(&c, &attr, mode as u32) {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

pub fn access(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    access_at(t, AT_FDCWD as u64, a[0], a[1], 0)
}

pub fn faccessat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    access_at(t, a[0], a[1], a[2], 0)
}

pub fn faccessat2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    access_at(t, a[0], a[1], a[2], a[3])
}

pub fn readlinkat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let path = t.path_arg(a[1])?;
    if (a[3] as i64) <= 0 {
        return Err(Errno::EINVAL);
    }
    let d = if path.is_empty() {
        t.files
            .get(fd_of(a[0]))?
            .dentry
            .clone()
            .ok_or(Errno::ENOENT)?
    } else {
        t.walk_at(a[0], &path, false)?
    };
    if !d.inode.attr()?.is_symlink() {
        return Err(Errno::EINVAL);
    }
    let target = d.inode.readlink()?;
    let n = target.len().min(a[3] as usize);
    t.mm.copy_out(a[2], &target[..n])?;
    Ok(n as u64)
}

pub fn readlink(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    readlinkat(t, &[AT_FDCWD as u64, a[0], a[1], a[2], 0, 0])
}

// ---- directories and names ----

pub fn getcwd(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let cwd = t.fs.lock().unwrap_or_else(|p| p.into_inner()).cwd.clone();
    if cwd.inode.is_unlinked() {
        return Err(Errno::ENOENT);
    }
    let mut p = cwd.path();
    p.push(0);
    if p.len() > a[1] as usize {
        return Err(Errno::ERANGE);
    }
    t.mm.copy_out(a[0], &p)?;
    Ok(p.len() as u64)
}

fn set_cwd(t: &mut TaskCtx, d: Arc<Dentry>) -> SysResult {
    let attr = d.inode.attr()?;
    if !attr.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !may_access(t, &attr, 1) {
        return Err(Errno::EACCES);
    }
    t.fs.lock().unwrap_or_else(|p| p.into_inner()).cwd = d;
    Ok(0)
}

pub fn chdir(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let path = t.path_arg(a[0])?;
    let d = t.walk_at(AT_FDCWD as u64, &path, true)?;
    set_cwd(t, d)
}

pub fn fchdir(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get(fd_of(a[0]))?;
    let d = f.dentry.clone().ok_or(Errno::ENOTDIR)?;
    set_cwd(t, d)
}

pub fn chroot(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let path = t.path_arg(a[0])?;
    let d = t.walk_at(AT_FDCWD as u64, &path, true)?;
    if !d.inode.attr()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !t.capable(crate::kernel::caps::CAP_SYS_CHROOT) {
        return Err(Errno::EPERM);
    }
    t.fs.lock().unwrap_or_else(|p| p.into_inner()).root = d;
    Ok(0)
}

/// Mode, owner and group of a new file in directory `parent` (Linux's inode_init_owner):
/// a set-group-ID directory gives its group, and its set-group-ID bit to new
/// directories; a group-executable set-group-ID file made there by someone outside
/// the group (without CAP_FSETID) loses the bit.
pub fn new_owner(t: &TaskCtx, parent: &Attr, mut mode: u32, dir: bool) -> (u32, u32, u32) {
    const S_ISGID: u32 = 0o2000;
    let c = t.creds();
    let mut gid = c.fsgid;
    if parent.mode & S_ISGID != 0 {
        gid = parent.gid;
        if dir {
            mode |= S_ISGID;
        } else if mode & (S_ISGID | 0o010) == S_ISGID | 0o010
            && !in_group_or_fsetid(&c, gid, parent)
        {
            mode &= !S_ISGID;
        }
    }
    (mode, c.fsuid, gid)
}

/// Whether `c` is in group `gid` or has CAP_FSETID over the file with `attr`.
fn in_group_or_fsetid(c: &crate::kernel::Creds, gid: u32, attr: &Attr) -> bool {
    c.fsgid == gid
        || c.groups.contains(&gid)
        || c.capable_wrt_inode(crate::kernel::caps::CAP_FSETID, attr.uid, attr.gid)
}

/// The set-ID bits a write or truncate by `c` removes from a file (Linux's
/// setattr_should_drop_suidgid): none for CAP_FSETID or non-regular files, else
/// set-user-ID, and set-group-ID if group-executable or `c` is outside the group.
fn suidgid_to_drop(c: &crate::kernel::Creds, attr: &Attr) -> u32 {
    if attr.file_type() != S_IFREG || attr.mode & 0o6000 == 0 {
        return 0;
    }
    let mut kill = attr.mode & 0o4000;
    if attr.mode & 0o2000 != 0 && (attr.mode & 0o010 != 0 || !in_group_or_fsetid(c, attr.gid, attr))
    {
        kill |= 0o2000;
    }
    if kill != 0 && c.capable_wrt_inode(crate::kernel::caps::CAP_FSETID, attr.uid, attr.gid) {
        return 0;
    }
    kill
}

/// Drops the set-ID bits a write to `f` removes (before the write, as Linux does).
fn remove_privs_for_write(t: &TaskCtx, f: &OpenFile) {
    let Some(d) = &f.dentry else { return };
    let Ok(attr) = d.inode.attr() else { return };
    if attr.file_type() != S_IFREG || attr.mode & 0o6000 == 0 {
        return;
    }
    let kill = suidgid_to_drop(&t.creds(), &attr);
    if kill != 0 {
        let _ = d.inode.set_attr(&SetAttr {
            mode: Some(attr.mode & 0o7777 & !kill),
            ..Default::default()
        });
    }
}

/// Sticky directories: only the file's owner, the directory's owner or CAP_FOWNER
/// may remove or rename an entry (EPERM).
fn check_sticky(t: &TaskCtx, dir: &Dentry, child: &Dentry) -> Result<(), Errno> {
    let dattr = dir.inode.attr()?;
    if dattr.mode & 0o1000 == 0 {
        return Ok(());
    }
    let cattr = child.inode.attr()?;
    let c = t.creds();
    if c.fsuid == cattr.uid
        || c.fsuid == dattr.uid
        || c.capable_wrt_inode(crate::kernel::caps::CAP_FOWNER, cattr.uid, cattr.gid)
    {
        return Ok(());
    }
    Err(Errno::EPERM)
}

fn check_writable_dir(t: &TaskCtx, parent: &Dentry) -> Result<(), Errno> {
    if parent.mount.flags.readonly {
        return Err(Errno::EROFS);
    }
    if !may_access(t, &parent.inode.attr()?, 3) {
        return Err(Errno::EACCES);
    }
    Ok(())
}

fn create_at(t: &mut TaskCtx, dirfd: u64, path_addr: u64, node: NewNode, mode: u32) -> SysResult {
    let path = t.path_arg(path_addr)?;
    let (parent, name) = t.walk_parent_at(dirfd, &path)?;
    if name == b"." || name == b".." {
        return Err(Errno::EEXIST);
    }
    if path.ends_with(b"/") && !matches!(node, NewNode::Dir) {
        return Err(Errno::ENOENT);
    }
    if t.vfs().child(&parent, &name).is_ok() {
        return Err(Errno::EEXIST);
    }
    check_writable_dir(t, &parent)?;
    let umask = t.fs.lock().unwrap_or_else(|p| p.into_inner()).umask;
    let is_dir = matches!(node, NewNode::Dir);
    let (mode, uid, gid) = new_owner(t, &parent.inode.attr()?, mode & !umask & 0o7777, is_dir);
    parent.inode.create(&name, node, mode, uid, gid)?;
    inotify::notify_name(&parent.inode, &name, inotify::IN_CREATE, 0, is_dir);
    Ok(0)
}

pub fn mkdirat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    create_at(t, a[0], a[1], NewNode::Dir, a[2] as u32)
}

pub fn mkdir(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    create_at(t, AT_FDCWD as u64, a[0], NewNode::Dir, a[1] as u32)
}

pub fn mknodat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let mode = a[2] as u32;
    let node = match mode & S_IFMT {
        0 | S_IFREG => NewNode::File,
        S_IFIFO => NewNode::Fifo,
        S_IFSOCK => NewNode::Socket,
        S_IFCHR | S_IFBLK => {
            if !t.creds().capable_init(crate::kernel::caps::CAP_MKNOD) {
                return Err(Errno::EPERM);
            }
            NewNode::Device(a[3])
        }
        S_IFDIR => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    };
    create_at(t, a[0], a[1], node, mode)
}

pub fn mknod(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    mknodat(t, &[AT_FDCWD as u64, a[0], a[1], a[2], 0, 0])
}

pub fn symlinkat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let target = t.path_arg(a[0])?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    create_at(t, a[1], a[2], NewNode::Symlink(target), 0o777)
}

pub fn symlink(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    symlinkat(t, &[a[0], AT_FDCWD as u64, a[1], 0, 0, 0])
}

pub fn linkat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[4] & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old = t.path_arg(a[1])?;
    let new = t.path_arg(a[3])?;
    let src = if old.is_empty() && a[4] & AT_EMPTY_PATH != 0 {
        empty_path_at(t, a[0])?
    } else {
        t.walk_at(a[0], &old, a[4] & AT_SYMLINK_FOLLOW != 0)?
    };
    if src.inode.attr()?.is_dir() {
        return Err(Errno::EPERM);
    }
    let (parent, name) = t.walk_parent_at(a[2], &new)?;
    if t.vfs().child(&parent, &name).is_ok() || name == b"." || name == b".." {
        return Err(Errno::EEXIST);
    }
    if new.ends_with(b"/") {
        return Err(Errno::ENOENT);
    }
    if !Arc::ptr_eq(&parent.mount, &src.mount) {
        return Err(Errno::EXDEV);
    }
    check_writable_dir(t, &parent)?;
    parent.inode.link(&name, &src.inode)?;
    inotify::notify(&src.inode, inotify::IN_ATTRIB, 0);
    inotify::notify_name(&parent.inode, &name, inotify::IN_CREATE, 0, false);
    Ok(0)
}

pub fn link(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    linkat(t, &[AT_FDCWD as u64, a[0], AT_FDCWD as u64, a[1], 0, 0])
}

pub fn unlinkat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let path = t.path_arg(a[1])?;
    let dir = a[2] & AT_REMOVEDIR != 0;
    if a[2] & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let (parent, name) = t.walk_parent_at(a[0], &path)?;
    if dir && name == b"." {
        return Err(Errno::EINVAL);
    }
    if dir && name == b".." {
        return Err(Errno::ENOTEMPTY);
    }
    if !dir && (name == b"." || name == b"..") {
        return Err(Errno::EISDIR);
    }
    let child = t.vfs().child(&parent, &name)?;
    if !dir && path.ends_with(b"/") {
        return Err(if child.inode.attr()?.is_dir() {
            Errno::EISDIR
        } else {
            Errno::ENOTDIR
        });
    }
    if !std::ptr::addr_eq(Arc::as_ptr(&child.mount), Arc::as_ptr(&parent.mount)) {
        return Err(Errno::EBUSY);
    }
    check_writable_dir(t, &parent)?;
    check_sticky(t, &parent, &child)?;
    parent.inode.unlink(&name, dir)?;
    if !dir {
        inotify::notify(&child.inode, inotify::IN_ATTRIB, 0);
    }
    if child.inode.is_unlinked() {
        inotify::inode_removed(&child.inode);
    }
    inotify::notify_name(&parent.inode, &name, inotify::IN_DELETE, 0, dir);
    Ok(0)
}

pub fn unlink(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    unlinkat(t, &[AT_FDCWD as u64, a[0], 0, 0, 0, 0])
}

pub fn rmdir(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    unlinkat(t, &[AT_FDCWD as u64, a[0], AT_REMOVEDIR, 0, 0, 0])
}

pub fn renameat2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let old = t.path_arg(a[1])?;
    let new = t.path_arg(a[3])?;
    let flags = a[4];
    const RENAME_NOREPLACE: u64 = 1;
    const RENAME_EXCHANGE: u64 = 2;
    const RENAME_WHITEOUT: u64 = 4;
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
        || flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0
    {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_WHITEOUT != 0 {
        // Whiteouts are an overlay-internal feature husk's file systems do not have.
        return Err(Errno::EINVAL);
    }
    let exchange = flags & RENAME_EXCHANGE != 0;
    let (op, oname) = t.walk_parent_at(a[0], &old)?;
    let (np, nname) = t.walk_parent_at(a[2], &new)?;
    if oname == b"." || oname == b".." || nname == b"." || nname == b".." {
        return Err(Errno::EBUSY);
    }
    let src = t.vfs().child(&op, &oname)?;
    let dst = match t.vfs().child(&np, &nname) {
        Ok(d) => Some(d),
        Err(Errno::ENOENT) if !exchange => None,
        Err(e) => return Err(e),
    };
    // A mount point (source or target) cannot be renamed or replaced.
    if !Arc::ptr_eq(&src.mount, &op.mount)
        || dst
            .as_ref()
            .is_some_and(|d| !Arc::ptr_eq(&d.mount, &np.mount))
    {
        return Err(Errno::EBUSY);
    }
    // A trailing slash is only allowed on directories.
    if !src.inode.attr()?.is_dir() && (old.ends_with(b"/") || !exchange && new.ends_with(b"/")) {
        return Err(Errno::ENOTDIR);
    }
    if let Some(d) = dst.as_ref().filter(|_| exchange) {
        if !d.inode.attr()?.is_dir() && new.ends_with(b"/") {
            return Err(Errno::ENOTDIR);
        }
    }
    if flags & RENAME_NOREPLACE != 0 && dst.is_some() {
        return Err(Errno::EEXIST);
    }
    if !Arc::ptr_eq(&op.mount, &np.mount) {
        return Err(Errno::EXDEV);
    }
    // A directory may not move below itself.
    let below = |d: &Arc<Dentry>, dir: &Arc<Dentry>| -> bool {
        let mut cur = Some(dir.clone());
        while let Some(c) = cur {
            if crate::vfs::walk_same(&c.inode, &d.inode) {
                return true;
            }
            cur = c.parent.clone();
        }
        false
    };
    if src.inode.attr()?.is_dir() && below(&src, &np) {
        return Err(Errno::EINVAL);
    }
    if let Some(dst) = dst.as_ref().filter(|_| exchange) {
        if dst.inode.attr()?.is_dir() && below(dst, &op) {
            return Err(Errno::EINVAL);
        }
    }
    check_writable_dir(t, &op)?;
    check_sticky(t, &op, &src)?;
    check_writable_dir(t, &np)?;
    if let Some(d) = &dst {
        check_sticky(t, &np, d)?;
    }
    if dst
        .as_ref()
        .is_some_and(|d| crate::vfs::walk_same(&d.inode, &src.inode))
    {
        // Two names of one file: nothing happens.
        return Ok(0);
    }
    if exchange {
        op.inode.exchange(&oname, &np.inode, &nname)?;
    } else {
        op.inode.rename(&oname, &np.inode, &nname)?;
    }
    if inotify::active() {
        let moved = |from: &Arc<Dentry>,
                     fname: &[u8],
                     to: &Arc<Dentry>,
                     tname: &[u8],
                     who: &Arc<Dentry>| {
            let isdir = who.inode.attr().map(|a| a.is_dir()).unwrap_or(false);
            let cookie = inotify::new_cookie();
            inotify::notify_name(&from.inode, fname, inotify::IN_MOVED_FROM, cookie, isdir);
            inotify::notify_name(&to.inode, tname, inotify::IN_MOVED_TO, cookie, isdir);
        };
        moved(&op, &oname, &np, &nname, &src);
        if !exchange {
            if let Some(d) = &dst {
                inotify::notify(&d.inode, inotify::IN_ATTRIB, 0);
            }
        }
        inotify::notify(&src.inode, inotify::IN_MOVE_SELF, 0);
        if exchange {
            if let Some(d) = &dst {
                moved(&np, &nname, &op, &oname, d);
                inotify::notify(&d.inode, inotify::IN_MOVE_SELF, 0);
            }
        } else if let Some(d) = dst.as_ref().filter(|d| d.inode.is_unlinked()) {
            inotify::inode_removed(&d.inode);
        }
    }
    Ok(0)
}

pub fn renameat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    renameat2(t, &[a[0], a[1], a[2], a[3], 0, 0])
}

pub fn rename(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    renameat2(t, &[AT_FDCWD as u64, a[0], AT_FDCWD as u64, a[1], 0, 0])
}

// ---- attributes ----

fn setattr_path(
    t: &mut TaskCtx,
    dirfd: u64,
    path_addr: u64,
    follow: bool,
    empty_ok: bool,
    c: SetAttr,
) -> SysResult {
    let path = t.path_arg(path_addr)?;
    let d = if path.is_empty() && empty_ok {
        empty_path_at(t, dirfd)?
    } else {
        t.walk_at(dirfd, &path, follow)?
    };
    setattr_dentry(t, &d, c)
}

/// What an empty path with AT_EMPTY_PATH names: the file `dirfd` refers to (any kind,
/// O_PATH included), or the working directory for AT_FDCWD.
fn empty_path_at(t: &TaskCtx, dirfd: u64) -> Result<Arc<Dentry>, Errno> {
    if dirfd as i32 == AT_FDCWD {
        return t.at_start(dirfd);
    }
    t.files
        .get(fd_of(dirfd))?
        .dentry
        .clone()
        .ok_or(Errno::ENOENT)
}

fn setattr_dentry(t: &mut TaskCtx, d: &Dentry, c: SetAttr) -> SysResult {
    if d.mount.flags.readonly {
        return Err(Errno::EROFS);
    }
    let cr = t.creds();
    let attr = d.inode.attr()?;
    {
        use crate::kernel::caps::{CAP_CHOWN, CAP_FOWNER};
        let owner = cr.fsuid == attr.uid;
        if c.mode.is_some() && !owner && !cr.capable_wrt_inode(CAP_FOWNER, attr.uid, attr.gid) {
            return Err(Errno::EPERM);
        }
        let chown_ok = cr.capable_wrt_inode(CAP_CHOWN, attr.uid, attr.gid);
        if c.uid.is_some_and(|u| u != attr.uid || !owner) && !chown_ok {
            return Err(Errno::EPERM);
        }
        let group_ok = |g: u32| owner && (g == attr.gid || g == cr.fsgid || cr.groups.contains(&g));
        if c.gid.is_some_and(|g| !group_ok(g)) && !chown_ok {
            return Err(Errno::EPERM);
        }
    }
    let mut c = c;
    // chmod by someone outside the (new) group without CAP_FSETID drops set-group-ID.
    if let Some(m) = c.mode {
        if m & 0o2000 != 0 && !in_group_or_fsetid(&cr, c.gid.unwrap_or(attr.gid), &attr) {
            c.mode = Some(m & !0o2000);
        }
    }
    // chown clears set-user-ID (and set-group-ID if group-executable, or if the caller
    // is outside the group without CAP_FSETID) of non-directories, root's too.
    if c.chown && !attr.is_dir() && attr.mode & 0o6000 != 0 {
        let mut kill = attr.mode & 0o4000;
        if attr.mode & 0o2000 != 0
            && (attr.mode & 0o010 != 0 || !in_group_or_fsetid(&cr, attr.gid, &attr))
        {
            kill |= 0o2000;
        }
        if kill != 0 {
            c.mode = Some(c.mode.unwrap_or(attr.mode) & 0o7777 & !kill);
        }
    }
    // Truncation drops set-ID bits as a write does.
    if c.size.is_some() && c.mode.is_none() {
        let kill = suidgid_to_drop(&cr, &attr);
        if kill != 0 {
            c.mode = Some(attr.mode & 0o7777 & !kill);
        }
    }
    d.inode.set_attr(&c)?;
    let mut mask = 0;
    if c.uid.is_some() || c.gid.is_some() || c.mode.is_some() {
        mask |= inotify::IN_ATTRIB;
    }
    if c.size.is_some() {
        mask |= inotify::IN_MODIFY;
    }
    match (c.atime.is_some(), c.mtime.is_some()) {
        (true, true) => mask |= inotify::IN_ATTRIB,
        (true, false) => mask |= inotify::IN_ACCESS,
        (false, true) => mask |= inotify::IN_MODIFY,
        _ => {}
    }
    if mask != 0 {
        inotify::notify_dentry(d, mask);
    }
    Ok(0)
}

fn setattr_fd(t: &mut TaskCtx, fd: u64, c: SetAttr) -> SysResult {
    let f = t.files.get_io(fd_of(fd))?;
    let d = f.dentry.clone().ok_or(Errno::EINVAL)?;
    setattr_dentry(t, &d, c)
}

pub fn chmod(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    setattr_path(
        t,
        AT_FDCWD as u64,
        a[0],
        true,
        false,
        SetAttr {
            mode: Some(a[1] as u32),
            ..Default::default()
        },
    )
}

pub fn fchmod(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    setattr_fd(
        t,
        a[0],
        SetAttr {
            mode: Some(a[1] as u32),
            ..Default::default()
        },
    )
}

pub fn fchmodat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    setattr_path(
        t,
        a[0],
        a[1],
        true,
        false,
        SetAttr {
            mode: Some(a[2] as u32),
            ..Default::default()
        },
    )
}

/// chown's ids (namespace ids of the caller, -1 for unchanged) as kernel ids.
fn owner(t: &TaskCtx, a1: u64, a2: u64) -> Result<SetAttr, Errno> {
    let ns = t.creds().userns;
    Ok(SetAttr {
        uid: crate::kernel::userns::chown_id(&ns, true, a1)?,
        gid: crate::kernel::userns::chown_id(&ns, false, a2)?,
        chown: true,
        ..Default::default()
    })
}

pub fn chown(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let o = owner(t, a[1], a[2])?;
    setattr_path(t, AT_FDCWD as u64, a[0], true, false, o)
}

pub fn lchown(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let o = owner(t, a[1], a[2])?;
    setattr_path(t, AT_FDCWD as u64, a[0], false, false, o)
}

pub fn fchown(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let o = owner(t, a[1], a[2])?;
    setattr_fd(t, a[0], o)
}

pub fn fchownat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[4] & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let o = owner(t, a[2], a[3])?;
    setattr_path(
        t,
        a[0],
        a[1],
        a[4] & AT_SYMLINK_NOFOLLOW == 0,
        a[4] & AT_EMPTY_PATH != 0,
        o,
    )
}

pub fn truncate(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[1] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let path = t.path_arg(a[0])?;
    let d = t.walk_at(AT_FDCWD as u64, &path, true)?;
    let attr = d.inode.attr()?;
    if attr.is_dir() {
        return Err(Errno::EISDIR);
    }
    if !may_access(t, &attr, 2) {
        return Err(Errno::EACCES);
    }
    setattr_dentry(
        t,
        &d,
        SetAttr {
            size: Some(a[1]),
            ..Default::default()
        },
    )
}

pub fn ftruncate(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[1] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let f = t.files.get_io(fd_of(a[0]))?;
    if !f.writable() {
        return Err(Errno::EINVAL);
    }
    let d = f.dentry.clone().ok_or(Errno::EINVAL)?;
    remove_privs_for_write(t, &f);
    d.inode.set_attr(&SetAttr {
        size: Some(a[1]),
        ..Default::default()
    })?;
    inotify::notify_dentry(&d, inotify::IN_MODIFY);
    Ok(0)
}

/// One requested time of a utimes-style call, before validation.
#[derive(Clone, Copy)]
enum TimeArg {
    Omit,
    Now,
    At(i64, i64),
}

/// Sets the times of `d` as utimensat does: `times` None is "both now" (the caller
/// needs ownership or write access, else EACCES); explicit times need ownership or
/// CAP_FOWNER (EPERM). Invalid nanoseconds are EINVAL.
fn set_times(t: &mut TaskCtx, d: &Dentry, times: Option<[TimeArg; 2]>) -> SysResult {
    let times = match times {
        Some([TimeArg::Now, TimeArg::Now]) => None,
        x => x,
    };
    let conv = |x: TimeArg| -> Result<Option<(i64, i64)>, Errno> {
        match x {
            TimeArg::Omit => Ok(None),
            TimeArg::Now => Ok(Some(now())),
            TimeArg::At(_, n) if !(0..1_000_000_000).contains(&n) => Err(Errno::EINVAL),
            TimeArg::At(s, n) => Ok(Some((s, n))),
        }
    };
    let (atime, mtime) = match times {
        None => {
            let n = now();
            (Some(n), Some(n))
        }
        Some([a, m]) => (conv(a)?, conv(m)?),
    };
    if d.mount.flags.readonly {
        return Err(Errno::EROFS);
    }
    let attr = d.inode.attr()?;
    let cr = t.creds();
    let owner = cr.fsuid == attr.uid
        || cr.capable_wrt_inode(crate::kernel::caps::CAP_FOWNER, attr.uid, attr.gid);
    if !owner {
        if times.is_some() {
            return Err(Errno::EPERM);
        }
        if !may_access_as(&cr, &attr, 2) {
            return Err(Errno::EACCES);
        }
    }
    setattr_dentry(
        t,
        d,
        SetAttr {
            atime,
            mtime,
            ..Default::default()
        },
    )
}

fn read_timespecs(t: &TaskCtx, addr: u64) -> Result<Option<[TimeArg; 2]>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: [husk_abi::Timespec; 2] = t.mm.read_obj(addr)?;
    let one = |x: husk_abi::Timespec| match x.tv_nsec {
        UTIME_OMIT => TimeArg::Omit,
        UTIME_NOW => TimeArg::Now,
        n => TimeArg::At(x.tv_sec, n),
    };
    Ok(Some([one(ts[0]), one(ts[1])]))
}

fn read_timevals(t: &TaskCtx, addr: u64) -> Result<Option<[TimeArg; 2]>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let tv: [husk_abi::Timeval; 2] = t.mm.read_obj(addr)?;
    let one = |x: husk_abi::Timeval| {
        if !(0..1_000_000).contains(&x.tv_usec) {
            return Err(Errno::EINVAL);
        }
        Ok(TimeArg::At(x.tv_sec, x.tv_usec * 1000))
    };
    Ok(Some([one(tv[0])?, one(tv[1])?]))
}

pub fn utimensat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let times = read_timespecs(t, a[2])?;
    if matches!(times, Some([TimeArg::Omit, TimeArg::Omit])) {
        // Nothing to do: not even the path is looked at.
        return Ok(0);
    }
    if a[1] == 0 && a[0] as i32 != AT_FDCWD {
        if a[3] != 0 {
            return Err(Errno::EINVAL);
        }
        let f = t.files.get_io(fd_of(a[0]))?;
        let d = f.dentry.clone().ok_or(Errno::EINVAL)?;
        return set_times(t, &d, times);
    }
    if a[3] & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    if a[1] == 0 {
        return Err(Errno::EFAULT);
    }
    let path = t.path_arg(a[1])?;
    let d = if path.is_empty() && a[3] & AT_EMPTY_PATH != 0 {
        empty_path_at(t, a[0])?
    } else {
        t.walk_at(a[0], &path, a[3] & AT_SYMLINK_NOFOLLOW == 0)?
    };
    set_times(t, &d, times)
}

fn utimes_path(
    t: &mut TaskCtx,
    dirfd: u64,
    path_addr: u64,
    times: Option<[TimeArg; 2]>,
) -> SysResult {
    let path = t.path_arg(path_addr)?;
    let d = t.walk_at(dirfd, &path, true)?;
    set_times(t, &d, times)
}

pub fn utimes(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let times = read_timevals(t, a[1])?;
    utimes_path(t, AT_FDCWD as u64, a[0], times)
}

pub fn futimesat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let times = read_timevals(t, a[2])?;
    utimes_path(t, a[0], a[1], times)
}

pub fn utime(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let times = if a[1] == 0 {
        None
    } else {
        let tb: [i64; 2] = t.mm.read_obj(a[1])?;
        Some([TimeArg::At(tb[0], 0), TimeArg::At(tb[1], 0)])
    };
    utimes_path(t, AT_FDCWD as u64, a[0], times)
}

pub fn umask(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let mut fs = t.fs.lock().unwrap_or_else(|p| p.into_inner());
    let old = fs.umask;
    fs.umask = a[0] as u32 & 0o777;
    Ok(old as u64)
}

pub fn fsync(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get_io(fd_of(a[0]))?;
    f.ops.fsync()?;
    Ok(0)
}

pub fn sync(_t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Ok(0)
}

pub fn fadvise64(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get_io(fd_of(a[0]))?;
    // Only FIFOs refuse advice (Linux's vfs_fadvise); sockets, directories and
    // devices accept it.
    if file_attr(&f).is_ok_and(|at| at.mode & S_IFMT == S_IFIFO) {
        return Err(Errno::ESPIPE);
    }
    if (a[2] as i64) < 0 || a[3] > 5 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
