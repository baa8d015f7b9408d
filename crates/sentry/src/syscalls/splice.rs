//! Data movement between files without user buffers (splice, tee, vmsplice,
//! copy_file_range, sendfile) and space or cache hints (fallocate, sync_file_range,
//! readahead).

use super::file::{read_file_nb, write_file, write_file_nb};
use super::TaskCtx;
use crate::fsimpl::inotify::{notify_dentry, IN_ACCESS, IN_MODIFY};
use crate::vfs::*;
use husk_abi::{Errno, SysResult};
use std::sync::Arc;

const SPLICE_F_NONBLOCK: u64 = 2;
const SPLICE_F_ALL: u64 = 0xf;
/// The most one call moves (a pipe holds at most 1 MiB without privilege anyway).
const CHUNK: usize = 1 << 20;
/// MAX_RW_COUNT.
const MAX_RW_COUNT: u64 = 0x7fff_f000;

fn fd_of(a: u64) -> i32 {
    a as i32
}

fn is_pipe(f: &OpenFile) -> bool {
    f.ops.pipe_id().is_some()
}

fn read_off(t: &TaskCtx, addr: u64) -> Result<Option<i64>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    Ok(Some(t.mm.read_u64(addr)? as i64))
}

fn offset_of(f: &OpenFile) -> u64 {
    *f.offset.lock().unwrap_or_else(|p| p.into_inner())
}

fn set_offset(f: &OpenFile, v: u64) {
    *f.offset.lock().unwrap_or_else(|p| p.into_inner()) = v;
}

/// Copies from the front of pipe `f` without consuming, waiting for data unless
/// `nonblock`; 0 when empty without writers.
fn peek_wait(
    t: &mut TaskCtx,
    f: &Arc<OpenFile>,
    buf: &mut [u8],
    nonblock: bool,
) -> Result<usize, Errno> {
    loop {
        match f.ops.peek(buf) {
            Err(Errno::EAGAIN) if !nonblock => {
                let q = f.ops.wait_queue().ok_or(Errno::EAGAIN)?;
                let ops = f.ops.clone();
                if t.block_on(&[q], None, |_| {
                    (ops.readiness() & (POLLIN | POLLHUP | POLLERR) != 0).then_some(())
                })
                .is_err()
                {
                    return Err(Errno::ERESTARTSYS);
                }
            }
            r => return r,
        }
    }
}

/// Removes `n` bytes from the front of pipe `f` (already peeked).
fn consume(f: &OpenFile, n: usize) -> Result<(), Errno> {
    let mut sink = vec![0u8; n];
    let mut done = 0;
    while done < n {
        match f.ops.read(&mut sink[done..], 0)? {
            0 => break,
            k => done += k,
        }
    }
    Ok(())
}

fn file_type(f: &OpenFile) -> u32 {
    super::file::file_attr(f)
        .map(|a| a.file_type())
        .unwrap_or(0)
}

pub fn splice(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (off_in_p, off_out_p, len, flags) = (a[1], a[3], a[4], a[5]);
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let inp = t.files.get(fd_of(a[0]))?;
    let out = t.files.get(fd_of(a[2]))?;
    let (ipipe, opipe) = (inp.ops.pipe_id(), out.ops.pipe_id());
    if (ipipe.is_some() && off_in_p != 0) || (opipe.is_some() && off_out_p != 0) {
        return Err(Errno::ESPIPE);
    }
    let off_in = read_off(t, off_in_p)?;
    let off_out = read_off(t, off_out_p)?;
    if !inp.readable() || !out.writable() {
        return Err(Errno::EBADF);
    }
    let mut nonblock = flags & SPLICE_F_NONBLOCK != 0;
    let len = (len.min(MAX_RW_COUNT) as usize).min(CHUNK);
    let mut buf = vec![0u8; len];
    match (ipipe, opipe) {
        (Some(x), Some(y)) => {
            if x == y {
                return Err(Errno::EINVAL);
            }
            nonblock |= (inp.flags() | out.flags()) & O_NONBLOCK != 0;
            let n = peek_wait(t, &inp, &mut buf, nonblock)?;
            if n == 0 {
                return Ok(0);
            }
            let w = write_file_nb(t, &out, &buf[..n], None, nonblock)?;
            consume(&inp, w)?;
            Ok(w as u64)
        }
        (Some(_), None) => {
            if off_out.is_some() && !out.ops.seekable() {
                return Err(Errno::EINVAL);
            }
            if out.flags() & O_APPEND != 0 {
                return Err(Errno::EINVAL);
            }
            if off_out.is_some_and(|o| o < 0) {
                return Err(Errno::EINVAL);
            }
            nonblock |= inp.flags() & O_NONBLOCK != 0;
            let n = peek_wait(t, &inp, &mut buf, nonblock)?;
            if n == 0 {
                return Ok(0);
            }
            let w = write_file(t, &out, &buf[..n], off_out.map(|o| o as u64))?;
            consume(&inp, w)?;
            if let Some(o) = off_out {
                t.mm.write_obj(off_out_p, &(o + w as i64))?;
            }
            Ok(w as u64)
        }
        (None, Some(_)) => {
            if off_in.is_some() && !inp.ops.seekable() {
                return Err(Errno::EINVAL);
            }
            if off_in.is_some_and(|o| o < 0) {
                return Err(Errno::EINVAL);
            }
            if file_type(&inp) == S_IFDIR {
                return Err(Errno::EISDIR);
            }
            nonblock |= out.flags() & O_NONBLOCK != 0;
            file_to_pipe(t, &inp, off_in, off_in_p, &out, &mut buf, nonblock)
        }
        (None, None) => Err(Errno::EINVAL),
    }
}

/// Moves up to `buf.len()` bytes from `inp` (at `off`, or its offset) into pipe `out`.
fn file_to_pipe(
    t: &mut TaskCtx,
    inp: &Arc<OpenFile>,
    off: Option<i64>,
    off_p: u64,
    out: &Arc<OpenFile>,
    buf: &mut [u8],
    nonblock: bool,
) -> SysResult {
    if !inp.ops.seekable() {
        // Sockets, ttys, eventfds: what is read is written in full (blocking).
        let n = read_file_nb(t, inp, buf, None, false)?;
        if n == 0 {
            return Ok(0);
        }
        let w = write_file_nb(t, out, &buf[..n], None, false)?;
        return Ok(w as u64);
    }
    // Wait for room in the pipe first, as splice_file_to_pipe.
    if out.ops.readiness() & (POLLOUT | POLLERR) == 0 {
        if nonblock {
            return Err(Errno::EAGAIN);
        }
        if let Some(q) = out.ops.wait_queue() {
            let ops = out.ops.clone();
            if t.block_on(&[q], None, |_| {
                (ops.readiness() & (POLLOUT | POLLERR) != 0).then_some(())
            })
            .is_err()
            {
                return Err(Errno::ERESTARTSYS);
            }
        }
    }
    let pos = off.map(|o| o as u64).unwrap_or_else(|| offset_of(inp));
    let n = inp.ops.read(buf, pos)?;
    if n == 0 {
        return Ok(0);
    }
    let w = write_file_nb(t, out, &buf[..n], None, nonblock)?;
    match off {
        Some(o) => t.mm.write_obj(off_p, &(o + w as i64))?,
        None => set_offset(inp, pos + w as u64),
    }
    if let Some(d) = &inp.dentry {
        notify_dentry(d, IN_ACCESS);
    }
    Ok(w as u64)
}

pub fn tee(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (len, flags) = (a[2], a[3]);
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let inp = t.files.get(fd_of(a[0]))?;
    if !inp.readable() {
        return Err(Errno::EBADF);
    }
    let out = t.files.get(fd_of(a[1]))?;
    if !out.writable() {
        return Err(Errno::EBADF);
    }
    match (inp.ops.pipe_id(), out.ops.pipe_id()) {
        (Some(x), Some(y)) if x != y => {}
        _ => return Err(Errno::EINVAL),
    }
    let nonblock = flags & SPLICE_F_NONBLOCK != 0 || (inp.flags() | out.flags()) & O_NONBLOCK != 0;
    let mut buf = vec![0u8; (len as usize).min(CHUNK)];
    let n = peek_wait(t, &inp, &mut buf, nonblock)?;
    if n == 0 {
        return Ok(0);
    }
    Ok(write_file_nb(t, &out, &buf[..n], None, nonblock)? as u64)
}

pub fn vmsplice(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (iov, nr, flags) = (a[1], a[2], a[3]);
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let f = t.files.get(fd_of(a[0]))?;
    let to_pipe = if f.writable() {
        true
    } else if f.readable() {
        false
    } else {
        return Err(Errno::EBADF);
    };
    let vecs = t.mm.read_iovecs(iov, nr)?;
    let total: u64 = vecs.iter().map(|v| v.len).sum();
    if total == 0 {
        return Ok(0);
    }
    if !is_pipe(&f) {
        return Err(Errno::EBADF);
    }
    let nonblock = flags & SPLICE_F_NONBLOCK != 0;
    if to_pipe {
        let mut buf = Vec::new();
        for v in vecs {
            let k = (v.len as usize).min(CHUNK.saturating_sub(buf.len()));
            let start = buf.len();
            buf.resize(start + k, 0);
            t.mm.copy_in(v.addr, &mut buf[start..])?;
        }
        Ok(write_file_nb(t, &f, &buf, None, nonblock)? as u64)
    } else {
        let mut buf = vec![0u8; (total as usize).min(CHUNK)];
        let n = read_file_nb(t, &f, &mut buf, None, nonblock)?;
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
}

pub fn copy_file_range(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (off_in_p, off_out_p, len, flags) = (a[1], a[3], a[4], a[5]);
    let inp = t.files.get(fd_of(a[0]))?;
    let out = t.files.get(fd_of(a[2]))?;
    let off_in = read_off(t, off_in_p)?;
    let off_out = read_off(t, off_out_p)?;
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let (ti, to) = (file_type(&inp), file_type(&out));
    if ti == S_IFDIR || to == S_IFDIR {
        return Err(Errno::EISDIR);
    }
    if ti != S_IFREG || to != S_IFREG {
        return Err(Errno::EINVAL);
    }
    if !inp.readable() || !out.writable() || out.flags() & O_APPEND != 0 {
        return Err(Errno::EBADF);
    }
    let pos_in = off_in.unwrap_or(offset_of(&inp) as i64);
    let pos_out = off_out.unwrap_or(offset_of(&out) as i64);
    if pos_in < 0 || pos_out < 0 {
        // As generic_copy_file_checks: a negative offset "wraps" (unsigned) unless
        // nothing is copied, then rw_verify_area refuses it.
        return Err(if len > 0 {
            Errno::EOVERFLOW
        } else {
            Errno::EINVAL
        });
    }
    let (pos_in, pos_out) = (pos_in as u64, pos_out as u64);
    let len = len.min(MAX_RW_COUNT);
    if pos_in.checked_add(len).is_none_or(|e| e > i64::MAX as u64)
        || pos_out.checked_add(len).is_none_or(|e| e > i64::MAX as u64)
    {
        return Err(Errno::EOVERFLOW);
    }
    let (ii, io) = match (inp.inode(), out.inode()) {
        (Some(x), Some(y)) => (x.clone(), y.clone()),
        _ => return Err(Errno::EINVAL),
    };
    if ii.fs_id() != io.fs_id() {
        return Err(Errno::EXDEV);
    }
    let size_in = inp.ops.size().unwrap_or(ii.attr()?.size);
    let count = if pos_in >= size_in {
        0
    } else {
        len.min(size_in - pos_in)
    };
    if crate::vfs::walk_same(&ii, &io) && pos_out + count > pos_in && pos_out < pos_in + count {
        return Err(Errno::EINVAL);
    }
    let mut done = 0u64;
    let mut buf = vec![0u8; (count as usize).min(CHUNK)];
    while done < count {
        let k = (buf.len() as u64).min(count - done) as usize;
        let n = inp.ops.read(&mut buf[..k], pos_in + done)?;
        if n == 0 {
            break;
        }
        let w = match write_file(t, &out, &buf[..n], Some(pos_out + done)) {
            Ok(w) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += w as u64;
        if w < n {
            break;
        }
    }
    if done > 0 {
        if let Some(d) = &inp.dentry {
            notify_dentry(d, IN_ACCESS);
        }
    }
    match off_in {
        Some(_) => t.mm.write_obj(off_in_p, &((pos_in + done) as i64))?,
        None => set_offset(&inp, pos_in + done),
    }
    match off_out {
        Some(_) => t.mm.write_obj(off_out_p, &((pos_out + done) as i64))?,
        None => set_offset(&out, pos_out + done),
    }
    Ok(done)
}

pub fn sendfile(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let inp = t.files.get(fd_of(a[1]))?;
    if !inp.readable() {
        return Err(Errno::EBADF);
    }
    let ppos = read_off(t, a[2])?;
    if ppos.is_some() && !inp.ops.seekable() {
        return Err(Errno::ESPIPE);
    }
    if ppos.is_some_and(|p| p < 0) {
        return Err(Errno::EINVAL);
    }
    let out = t.files.get(fd_of(a[0]))?;
    if !out.writable() {
        return Err(Errno::EBADF);
    }
    if is_pipe(&inp) {
        return Err(Errno::EINVAL);
    }
    if !is_pipe(&out) && out.flags() & O_APPEND != 0 {
        return Err(Errno::EINVAL);
    }
    if file_type(&inp) == S_IFDIR {
        return Err(Errno::EISDIR);
    }
    let count = a[3].min(MAX_RW_COUNT);
    let seekable = inp.ops.seekable();
    let start = ppos.map(|p| p as u64).unwrap_or_else(|| offset_of(&inp));
    let mut pos = start;
    let mut done = 0u64;
    let mut buf = vec![0u8; (count as usize).min(65536)];
    let mut err = None;
    while done < count {
        let k = (buf.len() as u64).min(count - done) as usize;
        let r = if seekable {
            inp.ops.read(&mut buf[..k], pos)
        } else {
            read_file_nb(t, &inp, &mut buf[..k], None, false)
        };
        let n = match r {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                err = Some(e);
                break;
            }
        };
        let w = match write_file(t, &out, &buf[..n], None) {
            Ok(w) => w,
            Err(e) => {
                err = Some(e);
                break;
            }
        };
        done += w as u64;
        pos += w as u64;
        if w < n {
            break;
        }
    }
    if done == 0 {
        if let Some(e) = err {
            return Err(e);
        }
    }
    if done > 0 {
        if let Some(d) = &inp.dentry {
            notify_dentry(d, IN_ACCESS);
        }
    }
    if seekable {
        match ppos {
            Some(_) => t.mm.write_obj(a[2], &(pos as i64))?,
            None => set_offset(&inp, pos),
        }
    }
    Ok(done)
}

pub fn fallocate(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    const KEEP_SIZE: u32 = 0x1;
    const PUNCH_HOLE: u32 = 0x2;
    const COLLAPSE_RANGE: u32 = 0x8;
    const ZERO_RANGE: u32 = 0x10;
    const INSERT_RANGE: u32 = 0x20;
    const UNSHARE_RANGE: u32 = 0x40;
    const WRITE_ZEROES: u32 = 0x80;
    const SUPPORTED: u32 =
        PUNCH_HOLE | COLLAPSE_RANGE | ZERO_RANGE | INSERT_RANGE | UNSHARE_RANGE | WRITE_ZEROES;
    let mode = a[1] as u32;
    let (off, len) = (a[2] as i64, a[3] as i64);
    let f = t.files.get(fd_of(a[0]))?;
    if off < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    // As Linux 6.11+: one operation, optionally with KEEP_SIZE where it makes sense.
    if mode & !(SUPPORTED | KEEP_SIZE) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    match mode & !KEEP_SIZE {
        0 | UNSHARE_RANGE | ZERO_RANGE => {}
        PUNCH_HOLE if mode & KEEP_SIZE != 0 => {}
        COLLAPSE_RANGE | INSERT_RANGE | WRITE_ZEROES if mode & KEEP_SIZE == 0 => {}
        _ => return Err(Errno::EOPNOTSUPP),
    }
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    match file_type(&f) {
        S_IFIFO => return Err(Errno::ESPIPE),
        S_IFDIR => return Err(Errno::EISDIR),
        S_IFREG => {}
        _ => return Err(Errno::ENODEV),
    }
    if off.checked_add(len).is_none() {
        return Err(Errno::EFBIG);
    }
    let d = f.dentry.clone().ok_or(Errno::ENODEV)?;
    // RLIMIT_FSIZE applies to growth (not with KEEP_SIZE or hole punching).
    if mode & (KEEP_SIZE | PUNCH_HOLE) == 0 {
        let limit = t.fsize_limit(&f);
        if limit != u64::MAX && (off + len) as u64 > limit {
            t.fsize_allow(limit, limit, 1)?;
        }
    }
    d.inode.allocate(mode, off as u64, len as u64)?;
    notify_dentry(&d, IN_MODIFY);
    Ok(0)
}

pub fn sync_file_range(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (off, n, flags) = (a[1] as i64, a[2] as i64, a[3]);
    if flags & !7 != 0 || off < 0 || n < 0 || off.checked_add(n).is_none() {
        return Err(Errno::EINVAL);
    }
    let f = t.files.get(fd_of(a[0]))?;
    match file_type(&f) {
        S_IFREG | S_IFBLK | S_IFDIR | S_IFLNK => Ok(0),
        _ => Err(Errno::ESPIPE),
    }
}

pub fn readahead(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get(fd_of(a[0]))?;
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    match file_type(&f) {
        S_IFREG | S_IFBLK => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}
