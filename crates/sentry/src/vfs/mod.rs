//! The virtual file system: inodes, dentries (names with parents, for `..` and getcwd),
//! mounts, open file descriptions, fd tables and path walks.

mod fdtable;
pub mod lock;
mod walk;

pub use fdtable::{FdTable, FsContext};
pub use walk::{same_inode as walk_same, search_as, Resolve, SearchGuard, Vfs, WalkFlags};

use crate::mm::Mappable;
use crate::waiter::WaitQueue;
use husk_abi::Errno;
use std::any::Any;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

pub type InodeRef = Arc<dyn Inode>;

/// File types as in `st_mode`.
pub const S_IFMT: u32 = 0o170000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_IFSOCK: u32 = 0o140000;
pub const S_IFBLK: u32 = 0o060000;

/// Poll bits.
pub const POLLIN: u32 = 0x1;
pub const POLLPRI: u32 = 0x2;
pub const POLLOUT: u32 = 0x4;
pub const POLLERR: u32 = 0x8;
pub const POLLHUP: u32 = 0x10;
pub const POLLNVAL: u32 = 0x20;
pub const POLLRDNORM: u32 = 0x40;
pub const POLLWRNORM: u32 = 0x100;
pub const POLLWRBAND: u32 = 0x200;

/// Inode attributes.
#[derive(Clone, Debug, Default)]
pub struct Attr {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blocks: u64,
    pub blksize: u64,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

impl Attr {
    pub fn file_type(&self) -> u32 {
        self.mode & S_IFMT
    }
    pub fn is_dir(&self) -> bool {
        self.file_type() == S_IFDIR
    }
    pub fn is_symlink(&self) -> bool {
        self.file_type() == S_IFLNK
    }
}

/// A change of attributes (chmod, chown, truncate, utimes).
#[derive(Clone, Debug, Default)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<(i64, i64)>,
    pub mtime: Option<(i64, i64)>,
    /// A chown (even of no id): the set-user-ID and set-group-ID bits of a
    /// non-directory are cleared by the system call layer. File systems ignore it.
    pub chown: bool,
}

/// A directory entry.
#[derive(Clone, Debug)]
pub struct DirEnt {
    pub name: Vec<u8>,
    pub ino: u64,
    /// `DT_*` type.
    pub dtype: u8,
}

/// `DT_*` from a mode.
pub fn dtype_of(mode: u32) -> u8 {
    match mode & S_IFMT {
        S_IFDIR => 4,
        S_IFREG => 8,
        S_IFLNK => 10,
        S_IFCHR => 2,
        S_IFBLK => 6,
        S_IFIFO => 1,
        S_IFSOCK => 12,
        _ => 0,
    }
}

/// What to create in a directory.
#[derive(Clone, Debug)]
pub enum NewNode {
    File,
    Dir,
    Symlink(Vec<u8>),
    Fifo,
    Device(u64),
    Socket,
}

/// An inode. Directory operations default to ENOTDIR; the rest to the Linux errno.
pub trait Inode: Send + Sync + Any {
    fn attr(&self) -> Result<Attr, Errno>;
    fn set_attr(&self, _change: &SetAttr) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    fn lookup(&self, _name: &[u8]) -> Result<InodeRef, Errno> {
        Err(Errno::ENOTDIR)
    }
    fn readdir(&self) -> Result<Vec<DirEnt>, Errno> {
        Err(Errno::ENOTDIR)
    }
    fn create(
        &self,
        _name: &[u8],
        _node: NewNode,
        _mode: u32,
        _uid: u32,
        _gid: u32,
    ) -> Result<InodeRef, Errno> {
        Err(Errno::ENOTDIR)
    }
    /// Removes entry `name` (callers pass directories only; one whose file system
    /// cannot remove entries refuses with EPERM, as Linux's vfs_unlink).
    fn unlink(&self, _name: &[u8], _dir: bool) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    fn link(&self, _name: &[u8], _target: &InodeRef) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    /// Moves entry `old` of this directory to `new` in `new_dir` (same file system).
    fn rename(&self, _old: &[u8], _new_dir: &InodeRef, _new: &[u8]) -> Result<(), Errno> {
        Err(Errno::EPERM)
    }
    /// Atomically exchanges entry `old` of this directory with `new` in `new_dir` (same
    /// file system; both exist). EINVAL where the file system cannot.
    fn exchange(&self, _old: &[u8], _new_dir: &InodeRef, _new: &[u8]) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Err(Errno::EINVAL)
    }
    /// For procfs links like /proc/self/fd/N: where following the link leads.
    fn follow_magic(&self) -> Option<Result<Arc<Dentry>, Errno>> {
        None
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno>;
    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        None
    }
    /// Whether the inode has been removed from the tree (its last link is gone): getcwd
    /// in a removed directory fails with ENOENT.
    fn is_unlinked(&self) -> bool {
        false
    }
    /// An identifier of the file system, for rename across file systems (EXDEV).
    fn fs_id(&self) -> u64 {
        0
    }
    /// Total and used 4 KiB blocks of a size-limited file system (statfs), if it is one.
    fn fs_blocks(&self) -> Option<(u64, u64)> {
        None
    }
    /// The value of extended attribute `name`.
    fn getxattr(&self, _name: &[u8]) -> Result<Vec<u8>, Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Sets extended attribute `name` (`flags`: XATTR_CREATE / XATTR_REPLACE).
    fn setxattr(&self, _name: &[u8], _value: &[u8], _flags: u32) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// The names of the extended attributes.
    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        Ok(Vec::new())
    }
    fn removexattr(&self, _name: &[u8]) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// fallocate(2) on a regular file (mode already validated by the caller).
    fn allocate(&self, _mode: u32, _off: u64, _len: u64) -> Result<(), Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// An unnamed regular file on this directory's file system (O_TMPFILE); `linkable`
    /// says whether linkat may give it a name later.
    fn create_tmpfile(
        &self,
        _mode: u32,
        _uid: u32,
        _gid: u32,
        _linkable: bool,
    ) -> Result<InodeRef, Errno> {
        Err(Errno::EOPNOTSUPP)
    }
    /// File seals (F_GET_SEALS); EINVAL for files that cannot have them.
    fn seals(&self) -> Result<u32, Errno> {
        Err(Errno::EINVAL)
    }
    /// Adds seals (F_ADD_SEALS).
    fn add_seals(&self, _seals: u32) -> Result<(), Errno> {
        Err(Errno::EINVAL)
    }
    /// Whether a new shared writable mapping is allowed (seals); EPERM if not.
    fn check_shared_write_map(&self) -> Result<(), Errno> {
        Ok(())
    }
    fn as_any(&self) -> &dyn Any;
}

/// The operations of an open file.
pub trait FileOps: Send + Sync {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    /// A write by an open file description with status flags `flags` (pipes in packet
    /// mode need O_DIRECT).
    fn write_as(&self, buf: &[u8], off: u64, _flags: u32) -> Result<usize, Errno> {
        self.write(buf, off)
    }
    /// The capacity of a pipe (F_GETPIPE_SZ); None for other files.
    fn pipe_size(&self) -> Option<u64> {
        None
    }
    /// Sets the capacity of a pipe (F_SETPIPE_SZ); returns the capacity granted.
    fn set_pipe_size(&self, _size: u64, _privileged: bool) -> Result<u64, Errno> {
        Err(Errno::EBADF)
    }
    /// Whether the file has offsets (regular files, directories).
    fn seekable(&self) -> bool {
        true
    }
    /// How lseek treats the file.
    fn seek_mode(&self) -> SeekMode {
        SeekMode::Normal
    }
    /// Current size for SEEK_END and O_APPEND.
    fn size(&self) -> Option<u64> {
        None
    }
    /// lseek SEEK_DATA (`data`) or SEEK_HOLE from `off` for files that know their holes
    /// (tmpfs); None when the whole file counts as data.
    fn seek_data_hole(&self, _off: u64, _data: bool) -> Option<Result<u64, Errno>> {
        None
    }
    /// Current poll readiness.
    fn readiness(&self) -> u32 {
        POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM
    }
    /// The queue notified when readiness changes; None for always-ready files.
    fn wait_queue(&self) -> Option<Arc<WaitQueue>> {
        None
    }
    /// Whether a read that finds nothing should poll the host (host fds).
    fn polls_host(&self) -> bool {
        false
    }
    /// A donated host fd that holds exactly this file's bytes (read-only rootfs files):
    /// `read` may then fill application memory straight from it.
    fn read_source(&self) -> Option<Arc<rustix::fd::OwnedFd>> {
        None
    }
    /// Whether a write failing with EPIPE raises SIGPIPE (not for datagram and
    /// seqpacket sockets).
    fn sigpipe_on_epipe(&self) -> bool {
        true
    }
    /// When readiness may change by itself (timers): waiters sleep at most until then.
    fn deadline(&self) -> Option<std::time::Instant> {
        None
    }
    fn ioctl(&self, _cmd: u32, _arg: u64) -> Result<IoctlResult, Errno> {
        Err(Errno::ENOTTY)
    }
    /// Second half of an ioctl that asked for `IoctlResult::NeedIn`.
    fn ioctl_in(&self, _cmd: u32, _data: &[u8]) -> Result<u64, Errno> {
        Err(Errno::ENOTTY)
    }
    fn fsync(&self) -> Result<(), Errno> {
        Ok(())
    }
    fn as_any(&self) -> Option<&dyn Any> {
        None
    }
    /// For pipes: copies up to `buf.len()` bytes from the front without consuming them
    /// (tee); EAGAIN when empty with writers, 0 when empty without.
    fn peek(&self, _buf: &mut [u8]) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    /// For pipes: an identifier of the pipe both ends share.
    fn pipe_id(&self) -> Option<u64> {
        None
    }
}

/// How lseek moves the offset of a seekable file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeekMode {
    /// Offsets as for regular files.
    Normal,
    /// Every seek succeeds and leaves the offset at 0 (/dev/null, /dev/zero, /dev/full).
    Zero,
    /// Every seek succeeds and changes nothing (/dev/random, /dev/urandom).
    Noop,
}

/// What an ioctl wants the syscall layer to do with application memory.
pub enum IoctlResult {
    Value(u64),
    /// Copy these bytes out to the argument pointer and return 0.
    Out(Vec<u8>),
    /// The ioctl needs `len` bytes copied in from the argument pointer; call `ioctl_in`.
    NeedIn(usize),
}

/// A name in the tree: an inode reached through a parent, in a mount.
pub struct Dentry {
    pub name: Vec<u8>,
    pub parent: Option<Arc<Dentry>>,
    pub inode: InodeRef,
    pub mount: Arc<Mount>,
}

impl Dentry {
    /// The absolute path of this dentry (relative to the sandbox root).
    pub fn path(&self) -> Vec<u8> {
        let mut parts: Vec<&[u8]> = Vec::new();
        let mut cur = Some(self);
        while let Some(d) = cur {
            if d.parent.is_some() {
                parts.push(&d.name);
            }
            cur = d.parent.as_deref();
        }
        if parts.is_empty() {
            return b"/".to_vec();
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        out
    }

    pub fn path_string(&self) -> String {
        String::from_utf8_lossy(&self.path()).into_owned()
    }
}

/// Mount flags.
#[derive(Clone, Copy, Debug, Default)]
pub struct MountFlags {
    pub readonly: bool,
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
}

/// A mounted file system.
pub struct Mount {
    pub root: InodeRef,
    pub flags: MountFlags,
    pub fstype: &'static str,
    pub source: String,
}

/// An open file description.
pub struct OpenFile {
    pub ops: Arc<dyn FileOps>,
    pub dentry: Option<Arc<Dentry>>,
    pub flags: AtomicU32,
    pub offset: Mutex<u64>,
    /// Directory listing snapshot for getdents, taken at offset 0.
    pub dir_cache: Mutex<Option<Vec<DirEnt>>>,
    /// A name for /proc/PID/fd of files without a dentry ("pipe:[N]").
    pub anon_name: String,
    /// Set once an OFD or flock lock was taken through this description.
    pub has_locks: std::sync::atomic::AtomicBool,
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if *self.has_locks.get_mut() {
            lock::LOCKS.release_file(self);
        }
        if let Some(d) = &self.dentry {
            if self.flags() & O_PATH == 0 {
                let mask = if self.flags() & O_ACCMODE != O_RDONLY {
                    crate::fsimpl::inotify::IN_CLOSE_WRITE
                } else {
                    crate::fsimpl::inotify::IN_CLOSE_NOWRITE
                };
                crate::fsimpl::inotify::notify_dentry(d, mask);
            }
        }
    }
}

/// `O_*` flags.
pub const O_ACCMODE: u32 = 3;
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_PATH: u32 = 0o10000000;
pub const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;
pub const O_LARGEFILE: u32 = 0o100000;
pub const O_DIRECT: u32 = 0o40000;
pub const O_NOATIME: u32 = 0o1000000;
pub const O_SYNC: u32 = 0o4010000;
pub const O_DSYNC: u32 = 0o10000;
pub const O_ASYNC: u32 = 0o20000;

impl OpenFile {
    pub fn new(ops: Arc<dyn FileOps>, dentry: Option<Arc<Dentry>>, flags: u32) -> Arc<OpenFile> {
        Arc::new(OpenFile {
            ops,
            dentry,
            flags: AtomicU32::new(flags & !O_CLOEXEC),
            offset: Mutex::new(0),
            dir_cache: Mutex::new(None),
            anon_name: String::new(),
            has_locks: Default::default(),
        })
    }

    pub fn new_anon(ops: Arc<dyn FileOps>, flags: u32, name: String) -> Arc<OpenFile> {
        Arc::new(OpenFile {
            ops,
            dentry: None,
            flags: AtomicU32::new(flags & !O_CLOEXEC),
            offset: Mutex::new(0),
            dir_cache: Mutex::new(None),
            anon_name: name,
            has_locks: Default::default(),
        })
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub fn readable(&self) -> bool {
        let f = self.flags();
        f & O_PATH == 0 && matches!(f & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    pub fn writable(&self) -> bool {
        let f = self.flags();
        f & O_PATH == 0 && matches!(f & O_ACCMODE, O_WRONLY | O_RDWR)
    }

    pub fn inode(&self) -> Option<&InodeRef> {
        self.dentry.as_ref().map(|d| &d.inode)
    }

    /// The name /proc/PID/fd/N shows.
    pub fn display_name(&self) -> String {
        match &self.dentry {
            Some(d) if d.inode.is_unlinked() => format!("{} (deleted)", d.path_string()),
            Some(d) => d.path_string(),
            None => self.anon_name.clone(),
        }
    }
}

/// An inode wrapping an already open file (pipes reached through /proc/self/fd).
pub struct OpenFileInode {
    pub file: Arc<OpenFile>,
}

impl Inode for OpenFileInode {
    fn attr(&self) -> Result<Attr, Errno> {
        let name = &self.file.anon_name;
        if name.starts_with("pipe:") || name.starts_with("socket:") {
            // The wrapped file's own attributes (a pipe keeps its inode number).
            return crate::syscalls::file_attr_of(&self.file);
        }
        Ok(Attr {
            mode: S_IFIFO | 0o600,
            nlink: 1,
            blksize: 4096,
            ..Default::default()
        })
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        // Sockets and anonymous inodes (eventfd, epoll, timerfd, signalfd, ...) cannot
        // be opened through /proc/PID/fd (ENXIO, as on Linux); pipes, the host's stdio
        // and message queues can.
        let name = &self.file.anon_name;
        if name.starts_with("socket:") || name.starts_with("anon_inode:") {
            return Err(Errno::ENXIO);
        }
        Ok(self.file.ops.clone())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Seconds and nanoseconds of the current real time.
pub fn now() -> (i64, i64) {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs() as i64, d.subsec_nanos() as i64)
}
