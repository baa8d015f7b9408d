//! Small building blocks for synthetic file systems: fixed directories, symlinks, and
//! character devices (/dev/null, zero, full, random, urandom).

use crate::vfs::*;
use husk_abi::Errno;
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

static NEXT_INO: AtomicU64 = AtomicU64::new(1000);

pub fn next_ino() -> u64 {
    NEXT_INO.fetch_add(1, Ordering::Relaxed)
}

/// A directory with a fixed set of entries (more can be added by the Sentry).
pub struct StaticDir {
    pub ino: u64,
    pub dev: u64,
    pub mode: u32,
    pub entries: Mutex<BTreeMap<Vec<u8>, InodeRef>>,
}

impl StaticDir {
    pub fn new(dev: u64, mode: u32) -> Arc<StaticDir> {
        Arc::new(StaticDir {
            ino: next_ino(),
            dev,
            mode: S_IFDIR | mode,
            entries: Mutex::new(BTreeMap::new()),
        })
    }

    pub fn add(&self, name: &str, inode: InodeRef) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.as_bytes().to_vec(), inode);
    }
}

impl Inode for StaticDir {
    fn attr(&self) -> Result<Attr, Errno> {
        let e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let subdirs = e
            .values()
            .filter(|i| i.attr().map(|a| a.is_dir()).unwrap_or(false))
            .count() as u64;
        Ok(Attr {
            dev: self.dev,
            ino: self.ino,
            mode: self.mode,
            nlink: 2 + subdirs,
            blksize: 4096,
            ..Default::default()
        })
    }
    fn lookup(&self, name: &[u8]) -> Result<InodeRef, Errno> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
            .ok_or(Errno::ENOENT)
    }
    fn readdir(&self) -> Result<Vec<DirEnt>, Errno> {
        let e = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        Ok(e.iter()
            .map(|(n, i)| {
                let a = i.attr().unwrap_or_default();
                DirEnt {
                    name: n.clone(),
                    ino: a.ino,
                    dtype: dtype_of(a.mode),
                }
            })
            .collect())
    }
    fn create(
        &self,
        _name: &[u8],
        _node: NewNode,
        _mode: u32,
        _uid: u32,
        _gid: u32,
    ) -> Result<InodeRef, Errno> {
        Err(Errno::EACCES)
    }
    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::EACCES)
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        open_dir(flags)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Opening a synthetic directory: read-only (EISDIR otherwise), listed through its inode.
pub fn open_dir(flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
    if flags & O_ACCMODE != O_RDONLY {
        return Err(Errno::EISDIR);
    }
    Ok(Arc::new(NoData))
}

/// File operations of something that has no data (directories).
pub struct NoData;

impl FileOps for NoData {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EISDIR)
    }
}

/// A symlink with a fixed target.
pub struct Symlink {
    pub ino: u64,
    pub target: Vec<u8>,
}

impl Symlink {
    pub fn new(target: &str) -> Arc<Symlink> {
        Arc::new(Symlink {
            ino: next_ino(),
            target: target.as_bytes().to_vec(),
        })
    }
}

impl Inode for Symlink {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            ino: self.ino,
            mode: S_IFLNK | 0o777,
            nlink: 1,
            size: self.target.len() as u64,
            blksize: 4096,
            ..Default::default()
        })
    }
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Ok(self.target.clone())
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Which character device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DevKind {
    Null,
    Zero,
    Full,
    Random,
}

/// A character device node.
pub struct CharDev {
    pub ino: u64,
    pub rdev: u64,
    pub kind: DevKind,
}

/// `makedev(major, minor)`.
pub fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfffff000) << 32)
        | ((major & 0xfff) << 8)
        | ((minor & 0xffffff00) << 12)
        | (minor & 0xff)
}

impl CharDev {
    pub fn new(kind: DevKind, major: u64, minor: u64) -> Arc<CharDev> {
        Arc::new(CharDev {
            ino: next_ino(),
            rdev: makedev(major, minor),
            kind,
        })
    }
}

impl Inode for CharDev {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            dev: 5,
            ino: self.ino,
            mode: S_IFCHR | 0o666,
            nlink: 1,
            rdev: self.rdev,
            blksize: 4096,
            ..Default::default()
        })
    }
    fn set_attr(&self, _change: &SetAttr) -> Result<(), Errno> {
        Ok(())
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(DevFile { kind: self.kind }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

struct DevFile {
    kind: DevKind,
}

impl FileOps for DevFile {
    fn read(&self, buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        match self.kind {
            DevKind::Null => Ok(0),
            DevKind::Zero | DevKind::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            DevKind::Random => {
                crate::host::random(buf);
                Ok(buf.len())
            }
        }
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        match self.kind {
            DevKind::Full => Err(Errno::ENOSPC),
            _ => Ok(buf.len()),
        }
    }
    fn seekable(&self) -> bool {
        true
    }
    fn seek_mode(&self) -> SeekMode {
        match self.kind {
            DevKind::Random => SeekMode::Noop,
            _ => SeekMode::Zero,
        }
    }
    fn size(&self) -> Option<u64> {
        Some(0)
    }
}
