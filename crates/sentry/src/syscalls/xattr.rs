//! Extended attributes: set/get/list/remove, by path (following symlinks or not) and
//! by fd. The VFS-level rules (name and size limits, namespace permissions) are here;
//! file systems store the attributes (memfs) or refuse (EOPNOTSUPP).

use super::TaskCtx;
use crate::fsimpl::inotify::{notify_dentry, IN_ATTRIB};
use crate::vfs::*;
use husk_abi::{Errno, SysResult};
use std::sync::Arc;

const XATTR_CREATE: u64 = 1;
const XATTR_REPLACE: u64 = 2;
const XATTR_NAME_MAX: usize = 255;
const XATTR_SIZE_MAX: usize = 65536;
const XATTR_LIST_MAX: usize = 65536;
const AT_FDCWD: u64 = -100i64 as u64;

/// The attribute name argument: ERANGE if empty or longer than XATTR_NAME_MAX.
fn name_arg(t: &TaskCtx, addr: u64) -> Result<Vec<u8>, Errno> {
    let n = match t.mm.read_cstring(addr, XATTR_NAME_MAX) {
        Ok(n) => n,
        Err(Errno::ENAMETOOLONG) => return Err(Errno::ERANGE),
        Err(e) => return Err(e),
    };
    if n.is_empty() || n.len() > XATTR_NAME_MAX {
        return Err(Errno::ERANGE);
    }
    Ok(n)
}

/// The file a path or fd variant names.
enum Target {
    Path(u64, bool),
    Fd(u64),
}

fn resolve(t: &TaskCtx, target: &Target) -> Result<Option<Arc<Dentry>>, Errno> {
    match *target {
        Target::Path(addr, follow) => {
            let path = t.path_arg(addr)?;
            Ok(Some(t.walk_at(AT_FDCWD, &path, follow)?))
        }
        Target::Fd(fd) => {
            let f = t.files.get(fd as i32)?;
            if f.flags() & O_PATH != 0 {
                return Err(Errno::EBADF);
            }
            Ok(f.dentry.clone())
        }
    }
}

/// The file a path or fd names, or (for anonymous files like pipes) its attributes.
fn resolve_or_attr(t: &TaskCtx, target: &Target) -> Result<Result<Arc<Dentry>, Attr>, Errno> {
    if let Some(d) = resolve(t, target)? {
        return Ok(Ok(d));
    }
    let Target::Fd(fd) = *target else {
        return Err(Errno::EOPNOTSUPP);
    };
    let f = t.files.get(fd as i32)?;
    Ok(Err(super::file::file_attr(&f)?))
}

/// As Linux's xattr_permission.
fn permission(t: &TaskCtx, d: &Dentry, name: &[u8], write: bool) -> Result<(), Errno> {
    permission_attr(t, &d.inode.attr()?, name, write)
}

fn permission_attr(t: &TaskCtx, attr: &Attr, name: &[u8], write: bool) -> Result<(), Errno> {
    if name.starts_with(b"security.") || name.starts_with(b"system.") {
        return Ok(());
    }
    let creds = t.creds();
    if name.starts_with(b"trusted.") {
        if creds.euid != 0 {
            return Err(if write { Errno::EPERM } else { Errno::ENODATA });
        }
        return Ok(());
    }
    if name.starts_with(b"user.") {
        let ft = attr.file_type();
        if ft != S_IFREG && ft != S_IFDIR {
            return Err(if write { Errno::EPERM } else { Errno::ENODATA });
        }
        if ft == S_IFDIR
            && attr.mode & 0o1000 != 0
            && write
            && creds.fsuid != attr.uid
            && creds.euid != 0
        {
            return Err(Errno::EPERM);
        }
    }
    if !super::file::may_access(t, attr, if write { 2 } else { 4 }) {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// A namespace prefix with nothing after it ("user.") names no attribute: EINVAL, as
/// Linux's xattr_resolve_name.
fn bare_prefix(name: &[u8]) -> Result<(), Errno> {
    if matches!(name, b"user." | b"trusted." | b"security.") {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

fn do_set(t: &mut TaskCtx, target: Target, a: &[u64; 6]) -> SysResult {
    if let Target::Fd(fd) = target {
        t.files.get(fd as i32)?;
    }
    let (size, flags) = (a[3] as usize, a[4]);
    if flags & !(XATTR_CREATE | XATTR_REPLACE) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = name_arg(t, a[1])?;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut value = vec![0u8; size];
    if size > 0 {
        t.mm.copy_in(a[2], &mut value)?;
    }
    let d = match resolve_or_attr(t, &target)? {
        Ok(d) => d,
        Err(attr) => {
            permission_attr(t, &attr, &name, true)?;
            return Err(Errno::EOPNOTSUPP);
        }
    };
    if d.mount.flags.readonly {
        return Err(Errno::EROFS);
    }
    permission(t, &d, &name, true)?;
    bare_prefix(&name)?;
    d.inode.setxattr(&name, &value, flags as u32)?;
    notify_dentry(&d, IN_ATTRIB);
    Ok(0)
}

fn do_get(t: &mut TaskCtx, target: Target, a: &[u64; 6]) -> SysResult {
    if let Target::Fd(fd) = target {
        t.files.get(fd as i32)?;
    }
    let name = name_arg(t, a[1])?;
    let size = (a[3] as usize).min(XATTR_SIZE_MAX);
    let d = match resolve_or_attr(t, &target)? {
        Ok(d) => d,
        Err(attr) => {
            permission_attr(t, &attr, &name, false)?;
            return Err(Errno::EOPNOTSUPP);
        }
    };
    permission(t, &d, &name, false)?;
    bare_prefix(&name)?;
    let v = d.inode.getxattr(&name)?;
    if size == 0 {
        return Ok(v.len() as u64);
    }
    if v.len() > size {
        return Err(if size >= XATTR_SIZE_MAX {
            Errno::E2BIG
        } else {
            Errno::ERANGE
        });
    }
    t.mm.copy_out(a[2], &v)?;
    Ok(v.len() as u64)
}

fn do_list(t: &mut TaskCtx, target: Target, a: &[u64; 6]) -> SysResult {
    let size = (a[2] as usize).min(XATTR_LIST_MAX);
    let Some(d) = resolve(t, &target)? else {
        return Ok(0);
    };
    let root = t.creds().euid == 0;
    let mut out = Vec::new();
    for n in d.inode.listxattr()? {
        if n.starts_with(b"trusted.") && !root {
            continue;
        }
        out.extend_from_slice(&n);
        out.push(0);
    }
    if size == 0 {
        return Ok(out.len() as u64);
    }
    if out.len() > size {
        return Err(if size >= XATTR_LIST_MAX {
            Errno::E2BIG
        } else {
            Errno::ERANGE
        });
    }
    t.mm.copy_out(a[1], &out)?;
    Ok(out.len() as u64)
}

fn do_remove(t: &mut TaskCtx, target: Target, a: &[u64; 6]) -> SysResult {
    if let Target::Fd(fd) = target {
        t.files.get(fd as i32)?;
    }
    let name = name_arg(t, a[1])?;
    let d = match resolve_or_attr(t, &target)? {
        Ok(d) => d,
        Err(attr) => {
            permission_attr(t, &attr, &name, true)?;
            return Err(Errno::EOPNOTSUPP);
        }
    };
    if d.mount.flags.readonly {
        return Err(Errno::EROFS);
    }
    permission(t, &d, &name, true)?;
    bare_prefix(&name)?;
    d.inode.removexattr(&name)?;
    notify_dentry(&d, IN_ATTRIB);
    Ok(0)
}

pub fn setxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_set(t, Target::Path(a[0], true), a)
}

pub fn lsetxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_set(t, Target::Path(a[0], false), a)
}

pub fn fsetxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_set(t, Target::Fd(a[0]), a)
}

pub fn getxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_get(t, Target::Path(a[0], true), a)
}

pub fn lgetxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_get(t, Target::Path(a[0], false), a)
}

pub fn fgetxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_get(t, Target::Fd(a[0]), a)
}

pub fn listxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_list(t, Target::Path(a[0], true), a)
}

pub fn llistxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_list(t, Target::Path(a[0], false), a)
}

pub fn flistxattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_list(t, Target::Fd(a[0]), a)
}

pub fn removexattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_remove(t, Target::Path(a[0], true), a)
}

pub fn lremovexattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_remove(t, Target::Path(a[0], false), a)
}

pub fn fremovexattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    do_remove(t, Target::Fd(a[0]), a)
}
