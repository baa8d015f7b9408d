//! File system implementations.

pub mod cgroupfs;
pub mod devpts;
pub mod events;
pub mod goferfs;
pub mod hosttty;
pub mod inotify;
pub mod memfs;
pub mod pipe;
pub mod procfs;
pub mod simple;
pub mod tmpdata;

use crate::memfile::MemoryFile;
use crate::vfs::InodeRef;
use simple::{CharDev, DevKind, StaticDir, Symlink};
use std::sync::Arc;

/// The sandbox's /dev.
pub fn devfs(mf: Arc<MemoryFile>) -> Result<InodeRef, husk_abi::Errno> {
    let dev = StaticDir::new(5, 0o755);
    dev.add("null", CharDev::new(DevKind::Null, 1, 3));
    dev.add("zero", CharDev::new(DevKind::Zero, 1, 5));
    dev.add("full", CharDev::new(DevKind::Full, 1, 7));
    dev.add("random", CharDev::new(DevKind::Random, 1, 8));
    dev.add("urandom", CharDev::new(DevKind::Random, 1, 9));
    dev.add("fd", Symlink::new("/proc/self/fd"));
    dev.add("stdin", Symlink::new("/proc/self/fd/0"));
    dev.add("stdout", Symlink::new("/proc/self/fd/1"));
    dev.add("stderr", Symlink::new("/proc/self/fd/2"));
    dev.add("ptmx", Symlink::new("pts/ptmx"));
    let pts = devpts::DevPts::new();
    dev.add("tty", pts.tty_inode());
    dev.add("pts", pts);
    dev.add("shm", memfs::MemFs::new_root(mf.clone(), None, 0o1777)?);
    dev.add("mqueue", StaticDir::new(5, 0o1777));
    Ok(dev)
}

/// The sandbox's /sys: CPU topology, and /sys/fs/cgroup (empty until a cgroupfs is
/// mounted there).
pub fn sysfs(ncpus: u64) -> InodeRef {
    let sys = StaticDir::new(0x17, 0o555);
    let devices = StaticDir::new(0x17, 0o755);
    let system = StaticDir::new(0x17, 0o755);
    let cpu = StaticDir::new(0x17, 0o755);
    let range = if ncpus <= 1 {
        "0\n".to_string()
    } else {
        format!("0-{}\n", ncpus - 1)
    };
    for f in ["online", "possible", "present"] {
        cpu.add(f, simple_file(range.clone()));
    }
    for c in 0..ncpus {
        let d = StaticDir::new(0x17, 0o755);
        let topo = StaticDir::new(0x17, 0o755);
        topo.add("core_id", simple_file(format!("{c}\n")));
        topo.add("physical_package_id", simple_file("0\n".into()));
        d.add("topology", topo);
        d.add("online", simple_file("1\n".into()));
        cpu.add(&format!("cpu{c}"), d);
    }
    system.add("cpu", cpu);
    devices.add("system", system);
    sys.add("devices", devices);
    // /sys/fs/cgroup: where an OCI config's cgroup mount puts the Sentry's cgroupfs.
    let fs = StaticDir::new(0x17, 0o755);
    fs.add("cgroup", StaticDir::new(0x17, 0o755));
    sys.add("fs", fs);
    sys.add("kernel", StaticDir::new(0x17, 0o755));
    sys
}

/// A read-only file with fixed content.
pub fn simple_file(content: String) -> InodeRef {
    Arc::new(FixedFile {
        ino: simple::next_ino(),
        data: content.into_bytes(),
    })
}

struct FixedFile {
    ino: u64,
    data: Vec<u8>,
}

struct FixedOps(Vec<u8>);

impl crate::vfs::FileOps for FixedOps {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, husk_abi::Errno> {
        let off = off as usize;
        if off >= self.0.len() {
            return Ok(0);
        }
        let n = buf.len().min(self.0.len() - off);
        buf[..n].copy_from_slice(&self.0[off..off + n]);
        Ok(n)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, husk_abi::Errno> {
        Err(husk_abi::Errno::EACCES)
    }
    fn size(&self) -> Option<u64> {
        Some(self.0.len() as u64)
    }
}

impl crate::vfs::Inode for FixedFile {
    fn attr(&self) -> Result<crate::vfs::Attr, husk_abi::Errno> {
        Ok(crate::vfs::Attr {
            dev: 0x17,
            ino: self.ino,
            mode: crate::vfs::S_IFREG | 0o444,
            nlink: 1,
            size: 4096,
            blksize: 4096,
            ..Default::default()
        })
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn crate::vfs::FileOps>, husk_abi::Errno> {
        if flags & crate::vfs::O_ACCMODE != crate::vfs::O_RDONLY {
            return Err(husk_abi::Errno::EACCES);
        }
        Ok(Arc::new(FixedOps(self.data.clone())))
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
