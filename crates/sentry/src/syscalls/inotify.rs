//! inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch.

use super::TaskCtx;
use crate::fsimpl::inotify::*;
use crate::vfs::*;
use husk_abi::{Errno, SysResult};
use std::sync::Arc;

pub fn inotify_init1(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let flags = a[0] as u32;
    if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let f = OpenFile::new_anon(
        Inotify::new(),
        O_RDONLY | (flags & O_NONBLOCK),
        "anon_inode:inotify".into(),
    );
    let limit = t.rlimit(7).rlim_cur;
    Ok(t.files.insert(f, flags & O_CLOEXEC != 0, 0, limit)? as u64)
}

pub fn inotify_init(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    inotify_init1(t, &[0; 6])
}

fn instance(f: &Arc<OpenFile>) -> Result<&Inotify, Errno> {
    f.ops
        .as_any()
        .and_then(|a| a.downcast_ref::<Inotify>())
        .ok_or(Errno::EINVAL)
}

pub fn inotify_add_watch(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let mask = a[2] as u32;
    if mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0 {
        return Err(Errno::EINVAL);
    }
    if mask & ALL_INOTIFY_BITS == 0 {
        return Err(Errno::EINVAL);
    }
    let f = t.files.get(a[0] as i32)?;
    instance(&f)?;
    let path = t.path_arg(a[1])?;
    let d = t.walk_at(-100i64 as u64, &path, mask & IN_DONT_FOLLOW == 0)?;
    let attr = d.inode.attr()?;
    if mask & IN_ONLYDIR != 0 && !attr.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    if !super::file::may_access(t, &attr, 4) {
        return Err(Errno::EACCES);
    }
    let wd = instance(&f)?.add_watch(d.inode.clone(), mask)?;
    Ok(wd as u64)
}

pub fn inotify_rm_watch(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let f = t.files.get(a[0] as i32)?;
    instance(&f)?.rm_watch(a[1] as i32)?;
    Ok(0)
}
