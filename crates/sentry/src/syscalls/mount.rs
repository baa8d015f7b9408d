//! mount(2) and umount2 in the caller's mount namespace.
//!
//! What exists: new tmpfs mounts (options `mode=`, `uid=`, `gid=` and `size=`, which
//! limits the pages of file data; others, such as `nr_inodes=`, fail with EINVAL
//! because nothing would enforce them), new mounts of the sandbox's proc
//! and sysfs, bind mounts, remounts that change MS_RDONLY / MS_NOSUID / MS_NODEV /
//! MS_NOEXEC of a mount (MS_REMOUNT, with or without MS_BIND), and MS_PRIVATE /
//! MS_SLAVE / MS_UNBINDABLE, which change nothing because husk's mounts never
//! propagate. Not supported: MS_SHARED (propagation), MS_MOVE, other file systems
//! (ENODEV). Differences from Linux: mount points are found by the inode mounted on, so
//! a bind mount shows the mounts below its source as MS_REC would; umount2 always
//! detaches lazily (open files and working directories inside keep working, no EBUSY);
//! a remount is seen by later path walks, not by directories already open.

use super::TaskCtx;
use crate::kernel::caps::CAP_SYS_ADMIN;
use crate::vfs::{Dentry, Mount, MountFlags, WalkFlags};
use husk_abi::{Errno, SysResult};
use std::sync::Arc;

const MS_RDONLY: u64 = 1;
const MS_NOSUID: u64 = 2;
const MS_NODEV: u64 = 4;
const MS_NOEXEC: u64 = 8;
const MS_SYNCHRONOUS: u64 = 16;
const MS_REMOUNT: u64 = 32;
const MS_MANDLOCK: u64 = 64;
const MS_DIRSYNC: u64 = 128;
const MS_NOSYMFOLLOW: u64 = 256;
const MS_NOATIME: u64 = 1024;
const MS_NODIRATIME: u64 = 2048;
const MS_BIND: u64 = 4096;
const MS_MOVE: u64 = 8192;
const MS_REC: u64 = 16384;
const MS_SILENT: u64 = 32768;
const MS_UNBINDABLE: u64 = 1 << 17;
const MS_PRIVATE: u64 = 1 << 18;
const MS_SLAVE: u64 = 1 << 19;
const MS_SHARED: u64 = 1 << 20;
const MS_RELATIME: u64 = 1 << 21;
const MS_STRICTATIME: u64 = 1 << 24;
const MS_LAZYTIME: u64 = 1 << 25;
/// The old magic number in the top 16 bits.
const MS_MGC_MSK: u64 = 0xffff_0000;
const MS_MGC_VAL: u64 = 0xC0ED_0000;

/// CAP_SYS_ADMIN over the user namespace that owns the caller's mount namespace.
fn may_mount(t: &TaskCtx) -> bool {
    let owner = t.k.ns_of(t.tgid).mnt_owner;
    t.creds().capable_in(&owner, CAP_SYS_ADMIN)
}

fn mount_flags(f: u64) -> MountFlags {
    MountFlags {
        readonly: f & MS_RDONLY != 0,
        nosuid: f & MS_NOSUID != 0,
        nodev: f & MS_NODEV != 0,
        noexec: f & MS_NOEXEC != 0,
    }
}

fn opt_string(t: &mut TaskCtx, addr: u64) -> Result<Option<Vec<u8>>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    Ok(Some(t.path_arg(addr)?))
}

/// The root inode of a file system the sandbox mounted at start-up (proc, sysfs).
fn sandbox_fs(t: &TaskCtx, fstype: &str) -> Option<crate::vfs::InodeRef> {
    t.k.vfs
        .mounts()
        .into_iter()
        .find(|(_, m)| m.fstype == fstype)
        .map(|(_, m)| m.root.clone())
}

/// A new tmpfs's options: root mode, owner and group, size limit in pages.
struct TmpfsOpts {
    mode: u32,
    uid: u32,
    gid: u32,
    limit_pages: Option<u64>,
}

/// A size with an optional k/m/g/t/p/e suffix (as the kernel's memparse).
fn parse_size(v: &str) -> Result<u64, Errno> {
    let digits = v.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &v[digits.len()..];
    let n: u64 = digits.parse().map_err(|_| Errno::EINVAL)?;
    let shift = match suffix {
        "" => 0,
        "k" | "K" => 10,
        "m" | "M" => 20,
        "g" | "G" => 30,
        "t" | "T" => 40,
        "p" | "P" => 50,
        "e" | "E" => 60,
        _ => return Err(Errno::EINVAL),
    };
    n.checked_mul(1u64 << shift).ok_or(Errno::EINVAL)
}

/// Parses tmpfs mount options (mode=, uid=, gid=, size=; others are EINVAL).
fn tmpfs_opts(data: &[u8]) -> Result<TmpfsOpts, Errno> {
    let mut o = TmpfsOpts {
        mode: 0o1777,
        uid: 0,
        gid: 0,
        limit_pages: None,
    };
    for opt in data.split(|&c| c == b',').filter(|o| !o.is_empty()) {
        let s = std::str::from_utf8(opt).map_err(|_| Errno::EINVAL)?;
        match s.split_once('=') {
            Some(("mode", v)) => {
                o.mode = u32::from_str_radix(v, 8).map_err(|_| Errno::EINVAL)? & 0o7777;
            }
            Some(("uid", v)) => o.uid = v.parse().map_err(|_| Errno::EINVAL)?,
            Some(("gid", v)) => o.gid = v.parse().map_err(|_| Errno::EINVAL)?,
            Some(("size", v)) => {
                let bytes = parse_size(v)?;
                // size=0 means unlimited.
                o.limit_pages = (bytes > 0).then(|| bytes.div_ceil(husk_abi::PAGE_SIZE));
            }
            _ => return Err(Errno::EINVAL),
        }
    }
    Ok(o)
}

pub fn mount(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let mut flags = a[3];
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    if !may_mount(t) {
        return Err(Errno::EPERM);
    }
    let source = opt_string(t, a[0])?;
    let target = t.path_arg(a[1])?;
    let fstype = opt_string(t, a[2])?;
    let data = if a[4] != 0 && fstype.as_deref() == Some(b"tmpfs".as_slice()) {
        t.mm.read_cstring(a[4], 4096)?
    } else {
        Vec::new()
    };
    let vfs = t.vfs();
    let root = t.fs.lock().unwrap_or_else(|p| p.into_inner()).root.clone();
    let cwd = t.fs.lock().unwrap_or_else(|p| p.into_inner()).cwd.clone();
    let at = vfs.walk(&root, &cwd, &target, WalkFlags { follow: true })?;
    let ignored = MS_SILENT
        | MS_SYNCHRONOUS
        | MS_MANDLOCK
        | MS_DIRSYNC
        | MS_NOATIME
        | MS_NODIRATIME
        | MS_RELATIME
        | MS_STRICTATIME
        | MS_LAZYTIME;
    let propagation = MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE;
    if flags & propagation != 0 {
        // Exactly one propagation type, with MS_REC and MS_SILENT at most.
        let p = flags & propagation;
        if p.count_ones() != 1 || flags & !(propagation | MS_REC | MS_SILENT) != 0 {
            return Err(Errno::EINVAL);
        }
        if !vfs.is_mount_root(&at) && !Arc::ptr_eq(&at.mount, &vfs.root.mount) {
            return Err(Errno::EINVAL);
        }
        if p == MS_SHARED {
            // Mount propagation is not implemented: refuse rather than pretend.
            return Err(Errno::EINVAL);
        }
        return Ok(0);
    }
    if flags & MS_REMOUNT != 0 {
        if !vfs.is_mount_root(&at) {
            return Err(Errno::EINVAL);
        }
        let old = at.mount.clone();
        let new = Arc::new(Mount {
            root: old.root.clone(),
            flags: mount_flags(flags),
            fstype: old.fstype,
            source: old.source.clone(),
        });
        vfs.replace_mount(&old, new)?;
        return Ok(0);
    }
    if flags & MS_MOVE != 0 {
        return Err(Errno::EINVAL);
    }
    let known = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_BIND | MS_REC | MS_NOSYMFOLLOW;
    if flags & !(known | ignored) != 0 || flags & MS_NOSYMFOLLOW != 0 {
        return Err(Errno::EINVAL);
    }
    let m = if flags & MS_BIND != 0 {
        let src_path = source.ok_or(Errno::EFAULT)?;
        let src: Arc<Dentry> = vfs.walk(&root, &cwd, &src_path, WalkFlags { follow: true })?;
        if src.inode.attr()?.is_dir() != at.inode.attr()?.is_dir() {
            // Linux refuses both mixes (a directory on a file and a file on a
            // directory) with ENOTDIR.
            return Err(Errno::ENOTDIR);
        }
        Mount {
            root: src.inode.clone(),
            flags: mount_flags(flags),
            fstype: src.mount.fstype,
            source: src.mount.source.clone(),
        }
    } else {
        let fstype = fstype.ok_or(Errno::EFAULT)?;
        let src_name = source
            .map(|s| String::from_utf8_lossy(&s).into_owned())
            .unwrap_or_else(|| "none".into());
        let (root_inode, name): (crate::vfs::InodeRef, &'static str) = match &fstype[..] {
            b"tmpfs" => {
                let o = tmpfs_opts(&data)?;
                let node = crate::fsimpl::memfs::MemFs::new_tmpfs(
                    t.k.mf.clone(),
                    o.mode,
                    o.uid,
                    o.gid,
                    o.limit_pages,
                )?;
                (node, "tmpfs")
            }
            // The PID and network namespaces are the sandbox's: mounting their views
            // needs privilege over the initial user namespace.
            b"proc" | b"sysfs" if !t.creds().capable_init(CAP_SYS_ADMIN) => {
                return Err(Errno::EPERM)
            }
            // A proc mounted inside a nested PID namespace lists that namespace.
            b"proc" => (
                crate::fsimpl::procfs::root_for(
                    &sandbox_fs(t, "proc").ok_or(Errno::ENODEV)?,
                    t.pidns.clone(),
                ),
                "proc",
            ),
            b"sysfs" => (sandbox_fs(t, "sysfs").ok_or(Errno::ENODEV)?, "sysfs"),
            _ => return Err(Errno::ENODEV),
        };
        Mount {
            root: root_inode,
            flags: mount_flags(flags),
            fstype: name,
            source: src_name,
        }
    };
    // Only bind mounts may cover a non-directory (a file on a file).
    if flags & MS_BIND == 0 && !at.inode.attr()?.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    vfs.mount(&at, Arc::new(m))?;
    Ok(0)
}

pub fn umount2(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    const MNT_FORCE: u64 = 1;
    const MNT_DETACH: u64 = 2;
    const MNT_EXPIRE: u64 = 4;
    const UMOUNT_NOFOLLOW: u64 = 8;
    let flags = a[1];
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MNT_EXPIRE != 0 && flags & (MNT_FORCE | MNT_DETACH) != 0 {
        return Err(Errno::EINVAL);
    }
    if !may_mount(t) {
        return Err(Errno::EPERM);
    }
    let target = t.path_arg(a[0])?;
    let vfs = t.vfs();
    let (root, cwd) = {
        let fs = t.fs.lock().unwrap_or_else(|p| p.into_inner());
        (fs.root.clone(), fs.cwd.clone())
    };
    let follow = flags & UMOUNT_NOFOLLOW == 0;
    let d = vfs.walk(&root, &cwd, &target, WalkFlags { follow })?;
    if !vfs.is_mount_root(&d) {
        return Err(Errno::EINVAL);
    }
    if flags & MNT_EXPIRE != 0 {
        // Expiry marks need a second call; husk has no expiry marks.
        return Err(Errno::EAGAIN);
    }
    vfs.umount(&d)?;
    Ok(0)
}
