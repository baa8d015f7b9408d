//! An in-memory file system, optionally over a read-only lower tree served by the gofer.
//! Without a lower tree it is tmpfs. With one it is the overlay of the default rootfs:
//! a directory's entries are read from the gofer on first use and from then on live in
//! memory, so creations, deletions (no whiteouts needed) and renames never reach the
//! host; a file is copied up into the memory file when first opened for writing.

use super::pipe::Pipe;
use super::tmpdata::{LowerFile, Quota, TmpData};
use crate::memfile::MemoryFile;
use crate::mm::Mappable;
use crate::vfs::*;
use husk_abi::Errno;
use husk_gofer::{Client, FileStat, Request, Response};
use rustix::fd::AsRawFd;
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

static NEXT_DEV: AtomicU64 = AtomicU64::new(0x30);

/// A memory file system instance.
pub struct MemFs {
    pub dev: u64,
    next_ino: AtomicU64,
    gofer: Option<Arc<Client>>,
    mf: Arc<MemoryFile>,
    /// The page budget of a tmpfs mounted with `size=` (None: no limit).
    quota: Option<Arc<Quota>>,
}

struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    rdev: u64,
    atime: (i64, i64),
    mtime: (i64, i64),
    ctime: (i64, i64),
    lower_blocks: Option<u64>,
    /// A lower directory's size as the host reports it.
    lower_size: Option<u64>,
    /// Extended attributes (in memory only; lower files start with none).
    xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
    /// An unnamed file (O_TMPFILE without O_EXCL) that linkat may still name.
    linkable: bool,
}

struct DirState {
    entries: Option<BTreeMap<Vec<u8>, Arc<Node>>>,
    lower: Option<Vec<u8>>,
}

struct FileState {
    data: Option<Arc<TmpData>>,
    lower: Option<Arc<LowerFile>>,
    /// File seals (memfd); tmpfs files start with F_SEAL_SEAL.
    seals: u32,
}

pub const F_SEAL_SEAL: u32 = 0x1;
pub const F_SEAL_SHRINK: u32 = 0x2;
pub const F_SEAL_GROW: u32 = 0x4;
pub const F_SEAL_WRITE: u32 = 0x8;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;
pub const FALLOC_FL_KEEP_SIZE: u32 = 0x1;
pub const FALLOC_FL_PUNCH_HOLE: u32 = 0x2;
pub const FALLOC_FL_ZERO_RANGE: u32 = 0x10;
/// XATTR_CREATE / XATTR_REPLACE.
pub const XATTR_CREATE: u32 = 1;
pub const XATTR_REPLACE: u32 = 2;

enum Kind {
    Dir(Mutex<DirState>),
    File(Mutex<FileState>),
    Symlink(Vec<u8>),
    Fifo(Arc<Pipe>),
    Other,
}

/// A node of a MemFs.
pub struct Node {
    fs: Arc<MemFs>,
    ino: u64,
    meta: Mutex<Meta>,
    kind: Kind,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl MemFs {
    /// A tmpfs with root mode `mode` owned by `uid`:`gid`, holding at most `limit_pages`
    /// pages of file data if given (`size=`). Returns its root directory.
    pub fn new_tmpfs(
        mf: Arc<MemoryFile>,
        mode: u32,
        uid: u32,
        gid: u32,
        limit_pages: Option<u64>,
    ) -> Result<Arc<Node>, Errno> {
        let fs = Arc::new(MemFs {
            dev: NEXT_DEV.fetch_add(1, Ordering::Relaxed),
            next_ino: AtomicU64::new(1 << 40),
            gofer: None,
            mf,
            quota: limit_pages.map(Quota::new),
        });
        let now = now();
        let meta = Meta {
            mode: S_IFDIR | (mode & 0o7777),
            uid,
            gid,
            nlink: 2,
            rdev: 0,
            atime: now,
            mtime: now,
            ctime: now,
            lower_blocks: None,
            lower_size: None,
            xattrs: BTreeMap::new(),
            linkable: false,
        };
        Ok(Arc::new(Node {
            ino: fs.next_ino.fetch_add(1, Ordering::Relaxed),
            fs,
            meta: Mutex::new(meta),
            kind: Kind::Dir(Mutex::new(DirState {
                entries: Some(BTreeMap::new()),
                lower: None,
            })),
        }))
    }

    /// A file system; `gofer` gives it a lower tree. Returns its root directory.
    pub fn new_root(
        mf: Arc<MemoryFile>,
        gofer: Option<Arc<Client>>,
        mode: u32,
    ) -> Result<Arc<Node>, Errno> {
        let fs = Arc::new(MemFs {
            dev: NEXT_DEV.fetch_add(1, Ordering::Relaxed),
            next_ino: AtomicU64::new(1 << 40),
            gofer: gofer.clone(),
            mf,
            quota: None,
        });
        let now = now();
        let (meta, lower) = match &gofer {
            Some(g) => match g.call(&Request::Stat { path: Vec::new() }) {
                Ok((Response::Stat(st), _)) => (Meta::from_stat(&st), Some(Vec::new())),
                Ok((Response::Error(e), _)) => return Err(Errno(e)),
                _ => return Err(Errno::EIO),
            },
            None => (
                Meta {
                    mode: S_IFDIR | mode,
                    uid: 0,
                    gid: 0,
                    nlink: 2,
                    rdev: 0,
                    atime: now,
                    mtime: now,
                    ctime: now,
                    lower_blocks: None,
                    lower_size: None,
                    xattrs: BTreeMap::new(),
                    linkable: false,
                },
                None,
            ),
        };
        let entries = if lower.is_some() {
            None
        } else {
            Some(BTreeMap::new())
        };
        Ok(Arc::new(Node {
            ino: if lower.is_some() {
                2
            } else {
                fs.next_ino.fetch_add(1, Ordering::Relaxed)
            },
            fs,
            meta: Mutex::new(meta),
            kind: Kind::Dir(Mutex::new(DirState { entries, lower })),
        }))
    }
}

impl Meta {
    fn from_stat(st: &FileStat) -> Meta {
        Meta {
            mode: st.mode,
            uid: st.uid,
            gid: st.gid,
            nlink: st.nlink,
            rdev: st.rdev,
            atime: st.atime,
            mtime: st.mtime,
            ctime: st.ctime,
            lower_blocks: Some(st.blocks),
            lower_size: Some(st.size),
            xattrs: BTreeMap::new(),
            linkable: false,
        }
    }
}

fn join(parent: &[u8], name: &[u8]) -> Vec<u8> {
    if parent.is_empty() {
        name.to_vec()
    } else {
        let mut p = parent.to_vec();
        p.push(b'/');
        p.extend_from_slice(name);
        p
    }
}

impl Node {
    fn new_upper(
        fs: &Arc<MemFs>,
        kind: Kind,
        mode: u32,
        uid: u32,
        gid: u32,
        nlink: u64,
    ) -> Arc<Node> {
        let now = now();
        Arc::new(Node {
            fs: fs.clone(),
            ino: fs.next_ino.fetch_add(1, Ordering::Relaxed),
            meta: Mutex::new(Meta {
                mode,
                uid,
                gid,
                nlink,
                rdev: 0,
                atime: now,
                mtime: now,
                ctime: now,
                lower_blocks: None,
                lower_size: None,
                xattrs: BTreeMap::new(),
                linkable: false,
            }),
            kind,
        })
    }

    fn from_lower(
        fs: &Arc<MemFs>,
        path: Vec<u8>,
        st: &FileStat,
        link: Option<Vec<u8>>,
    ) -> Arc<Node> {
        let gofer = fs.gofer.clone();
        let kind = match st.mode & S_IFMT {
            S_IFDIR => Kind::Dir(Mutex::new(DirState {
                entries: None,
                lower: Some(path),
            })),
            S_IFREG => match gofer {
                Some(g) => Kind::File(Mutex::new(FileState {
                    seals: F_SEAL_SEAL,
                    data: None,
                    lower: Some(Arc::new(LowerFile::new(
                        path,
                        st.size,
                        st.ino,
                        g,
                        fs.mf.clone(),
                    ))),
                })),
                None => Kind::Other,
            },
            S_IFLNK => Kind::Symlink(link.unwrap_or_default()),
            _ => Kind::Other,
        };
        Arc::new(Node {
            fs: fs.clone(),
            ino: st.ino,
            meta: Mutex::new(Meta::from_stat(st)),
            kind,
        })
    }

    fn dir(&self) -> Result<&Mutex<DirState>, Errno> {
        match &self.kind {
            Kind::Dir(d) => Ok(d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// Loads the directory's entries from the lower tree if not yet done.
    fn load(&self, d: &mut DirState) -> Result<(), Errno> {
        if d.entries.is_some() {
            return Ok(());
        }
        let mut map = BTreeMap::new();
        if let (Some(path), Some(g)) = (&d.lower, &self.fs.gofer) {
            match g.call(&Request::ReadDir { path: path.clone() }) {
                Ok((Response::Entries(es), _)) => {
                    for e in es {
                        let child =
                            Node::from_lower(&self.fs, join(path, &e.name), &e.stat, e.link);
                        map.insert(e.name, child);
                    }
                }
                Ok((Response::Error(e), _)) => return Err(Errno(e)),
                _ => return Err(Errno::EIO),
            }
        }
        d.entries = Some(map);
        Ok(())
    }

    fn entries<'a>(
        &self,
        d: &'a mut DirState,
    ) -> Result<&'a mut BTreeMap<Vec<u8>, Arc<Node>>, Errno> {
        self.load(d)?;
        d.entries.as_mut().ok_or(Errno::EIO)
    }

    fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir(_))
    }

    /// A removed directory: nothing may be created in it any more.
    fn dead_dir(&self) -> bool {
        self.is_dir() && lock(&self.meta).nlink == 0
    }

    fn touch_mtime(&self) {
        let now = now();
        let mut m = lock(&self.meta);
        m.mtime = now;
        m.ctime = now;
    }

    /// The file's data in memory, copying it up from the lower tree first if needed.
    fn copy_up(&self) -> Result<Arc<TmpData>, Errno> {
        let Kind::File(f) = &self.kind else {
            return Err(Errno::EINVAL);
        };
        let mut f = lock(f);
        if let Some(d) = &f.data {
            return Ok(d.clone());
        }
        let data = TmpData::with_quota(self.fs.mf.clone(), self.fs.quota.clone());
        if let Some(lower) = &f.lower {
            let fd = lower.fd()?;
            data.fill_from_fd(fd.as_raw_fd(), lower.size)?;
        }
        f.data = Some(data.clone());
        f.lower = None;
        lock(&self.meta).lower_blocks = None;
        Ok(data)
    }

    fn size(&self) -> u64 {
        match &self.kind {
            Kind::File(f) => {
                let f = lock(f);
                match (&f.data, &f.lower) {
                    (Some(d), _) => d.size(),
                    (None, Some(l)) => l.size,
                    _ => 0,
                }
            }
            Kind::Symlink(t) => t.len() as u64,
            Kind::Dir(_) => lock(&self.meta).lower_size.unwrap_or(4096),
            _ => 0,
        }
    }

    /// The seals of a regular file (0 for anything else).
    fn file_seals(&self) -> u32 {
        match &self.kind {
            Kind::File(f) => lock(f).seals,
            _ => 0,
        }
    }

    /// Whether this file system is tmpfs (no lower tree) rather than the rootfs overlay.
    fn is_tmpfs(&self) -> bool {
        self.fs.gofer.is_none()
    }

    fn empty_dir(&self) -> Result<bool, Errno> {
        let mut d = lock(self.dir()?);
        Ok(self.entries(&mut d)?.is_empty())
    }
}

fn downcast(i: &InodeRef) -> Option<&Node> {
    i.as_any().downcast_ref::<Node>()
}

impl Inode for Node {
    fn attr(&self) -> Result<Attr, Errno> {
        let size = self.size();
        let m = lock(&self.meta);
        let blocks = match (&self.kind, m.lower_blocks) {
            (_, Some(b)) => b,
            (Kind::File(f), None) => lock(f).data.as_ref().map(|d| d.blocks()).unwrap_or(0),
            (Kind::Dir(_), None) => 8,
            _ => 0,
        };
        Ok(Attr {
            dev: self.fs.dev,
            ino: self.ino,
            mode: m.mode,
            nlink: m.nlink,
            uid: m.uid,
            gid: m.gid,
            rdev: m.rdev,
            size,
            blocks,
            blksize: 4096,
            atime: m.atime,
            mtime: m.mtime,
            ctime: m.ctime,
        })
    }

    fn set_attr(&self, c: &SetAttr) -> Result<(), Errno> {
        if let Some(size) = c.size {
            match &self.kind {
                Kind::File(_) => {
                    let seals = self.file_seals();
                    let cur = self.size();
                    if (size < cur && seals & F_SEAL_SHRINK != 0)
                        || (size > cur && seals & F_SEAL_GROW != 0)
                    {
                        return Err(Errno::EPERM);
                    }
                    if size == 0 {
                        // Truncation to zero needs no copy of the old content.
                        if let Kind::File(f) = &self.kind {
                            let mut f = lock(f);
                            if f.data.is_none() {
                                f.data = Some(TmpData::with_quota(
                                    self.fs.mf.clone(),
                                    self.fs.quota.clone(),
                                ));
                                f.lower = None;
                                lock(&self.meta).lower_blocks = None;
                            }
                        }
                    }
                    self.copy_up()?.truncate(size)?;
                    self.touch_mtime();
                }
                Kind::Dir(_) => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
        }
        let seals = self.file_seals();
        let mut m = lock(&self.meta);
        if let Some(mode) = c.mode {
            if seals & F_SEAL_EXEC != 0 && (mode ^ m.mode) & 0o111 != 0 {
                return Err(Errno::EPERM);
            }
            m.mode = (m.mode & S_IFMT) | (mode & 0o7777);
        }
        if let Some(uid) = c.uid {
            m.uid = uid;
        }
        if let Some(gid) = c.gid {
            m.gid = gid;
        }
        if let Some(t) = c.atime {
            m.atime = t;
        }
        if let Some(t) = c.mtime {
            m.mtime = t;
        }
        m.ctime = now();
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> Result<InodeRef, Errno> {
        let mut d = lock(self.dir()?);
        let e = self.entries(&mut d)?;
        e.get(name)
            .map(|n| n.clone() as InodeRef)
            .ok_or(Errno::ENOENT)
    }

    fn readdir(&self) -> Result<Vec<DirEnt>, Errno> {
        if self.dead_dir() {
            return Err(Errno::ENOENT);
        }
        let mut d = lock(self.dir()?);
        let e = self.entries(&mut d)?;
        Ok(e.iter()
            .map(|(name, n)| DirEnt {
                name: name.clone(),
                ino: n.ino,
                dtype: dtype_of(lock(&n.meta).mode),
            })
            .collect())
    }

    fn create(
        &self,
        name: &[u8],
        node: NewNode,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<InodeRef, Errno> {
        if self.dead_dir() {
            return Err(Errno::ENOENT);
        }
        let mut d = lock(self.dir()?);
        let e = self.entries(&mut d)?;
        if e.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let fs = &self.fs;
        let (kind, fmt, nlink) = match node.clone() {
            NewNode::File => (
                Kind::File(Mutex::new(FileState {
                    data: Some(TmpData::with_quota(fs.mf.clone(), fs.quota.clone())),
                    lower: None,
                    seals: F_SEAL_SEAL,
                })),
                S_IFREG,
                1,
            ),
            NewNode::Dir => (
                Kind::Dir(Mutex::new(DirState {
                    entries: Some(BTreeMap::new()),
                    lower: None,
                })),
                S_IFDIR,
                2,
            ),
            NewNode::Symlink(t) => (Kind::Symlink(t), S_IFLNK, 1),
            NewNode::Fifo => (Kind::Fifo(Pipe::new()), S_IFIFO, 1),
            NewNode::Device(_) | NewNode::Socket => (
                Kind::Other,
                if matches!(node, NewNode::Socket) {
                    S_IFSOCK
                } else {
                    S_IFCHR
                },
                1,
            ),
        };
        let perm = if fmt == S_IFLNK { 0o777 } else { mode & 0o7777 };
        let n = Node::new_upper(fs, kind, fmt | perm, uid, gid, nlink);
        if let NewNode::Device(rdev) = node {
            lock(&n.meta).rdev = rdev;
        }
        e.insert(name.to_vec(), n.clone());
        drop(d);
        if fmt == S_IFDIR {
            lock(&self.meta).nlink += 1;
        }
        self.touch_mtime();
        Ok(n)
    }

    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        let mut d = lock(self.dir()?);
        let e = self.entries(&mut d)?;
        let n = e.get(name).cloned().ok_or(Errno::ENOENT)?;
        if dir {
            if !n.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if !n.empty_dir()? {
                return Err(Errno::ENOTEMPTY);
            }
        } else if n.is_dir() {
            return Err(Errno::EISDIR);
        }
        e.remove(name);
        drop(d);
        {
            let mut m = lock(&n.meta);
            m.nlink = if dir { 0 } else { m.nlink.saturating_sub(1) };
            m.ctime = now();
        }
        if dir {
            let mut m = lock(&self.meta);
            m.nlink = m.nlink.saturating_sub(1);
        }
        self.touch_mtime();
        Ok(())
    }

    fn link(&self, name: &[u8], target: &InodeRef) -> Result<(), Errno> {
        let t = downcast(target).ok_or(Errno::EXDEV)?;
        if !Arc::ptr_eq(&t.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        if t.is_dir() {
            return Err(Errno::EPERM);
        }
        // Find the Arc<Node> for target: it is referenced by `target`.
        let any: Arc<dyn Any + Send + Sync> = target.clone();
        let node: Arc<Node> = any.downcast::<Node>().map_err(|_| Errno::EXDEV)?;
        if self.dead_dir() {
            return Err(Errno::ENOENT);
        }
        {
            let m = lock(&node.meta);
            if m.nlink == 0 && !m.linkable {
                return Err(Errno::ENOENT);
            }
        }
        let mut d = lock(self.dir()?);
        let e = self.entries(&mut d)?;
        if e.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        e.insert(name.to_vec(), node.clone());
        drop(d);
        {
            let mut m = lock(&node.meta);
            m.nlink += 1;
            m.linkable = false;
            m.ctime = now();
        }
        self.touch_mtime();
        Ok(())
    }

    fn rename(&self, old: &[u8], new_dir: &InodeRef, new: &[u8]) -> Result<(), Errno> {
        let nd = downcast(new_dir).ok_or(Errno::EXDEV)?;
        if !Arc::ptr_eq(&nd.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        let same = std::ptr::eq(nd, self);
        if nd.dead_dir() {
            return Err(Errno::ENOENT);
        }
        let src_node = {
            let mut d = lock(self.dir()?);
            self.entries(&mut d)?
                .get(old)
                .cloned()
                .ok_or(Errno::ENOENT)?
        };
        let existing = {
            let mut d = lock(nd.dir()?);
            nd.entries(&mut d)?.get(new).cloned()
        };
        if let Some(ex) = &existing {
            if Arc::ptr_eq(ex, &src_node) {
                return Ok(());
            }
            if src_node.is_dir() && !ex.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            if !src_node.is_dir() && ex.is_dir() {
                return Err(Errno::EISDIR);
            }
            if ex.is_dir() && !ex.empty_dir()? {
                return Err(Errno::ENOTEMPTY);
            }
        }
        // A directory may not move into itself.
        if src_node.is_dir() && std::ptr::eq(Arc::as_ptr(&src_node), nd as *const Node) {
            return Err(Errno::EINVAL);
        }
        if same {
            let mut d = lock(self.dir()?);
            let e = self.entries(&mut d)?;
            e.remove(old);
            e.insert(new.to_vec(), src_node.clone());
        } else {
            {
                let mut d = lock(self.dir()?);
                self.entries(&mut d)?.remove(old);
            }
            let mut d = lock(nd.dir()?);
            nd.entries(&mut d)?.insert(new.to_vec(), src_node.clone());
        }
        if let Some(ex) = existing {
            let mut m = lock(&ex.meta);
            m.nlink = if ex.is_dir() {
                0
            } else {
                m.nlink.saturating_sub(1)
            };
            m.ctime = now();
            if ex.is_dir() {
                drop(m);
                let mut pm = lock(&nd.meta);
                pm.nlink = pm.nlink.saturating_sub(1);
            }
        }
        if src_node.is_dir() && !same {
            let mut m = lock(&self.meta);
            m.nlink = m.nlink.saturating_sub(1);
            drop(m);
            lock(&nd.meta).nlink += 1;
        }
        lock(&src_node.meta).ctime = now();
        self.touch_mtime();
        if !same {
            nd.touch_mtime();
        }
        Ok(())
    }

    fn exchange(&self, old: &[u8], new_dir: &InodeRef, new: &[u8]) -> Result<(), Errno> {
        let nd = downcast(new_dir).ok_or(Errno::EXDEV)?;
        if !Arc::ptr_eq(&nd.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        let same = std::ptr::eq(nd, self);
        let a = {
            let mut d = lock(self.dir()?);
            self.entries(&mut d)?
                .get(old)
                .cloned()
                .ok_or(Errno::ENOENT)?
        };
        let b = {
            let mut d = lock(nd.dir()?);
            nd.entries(&mut d)?.get(new).cloned().ok_or(Errno::ENOENT)?
        };
        if Arc::ptr_eq(&a, &b) {
            return Ok(());
        }
        // Neither may become a descendant of itself.
        if (a.is_dir() && std::ptr::eq(Arc::as_ptr(&a), nd as *const Node))
            || (b.is_dir() && std::ptr::eq(Arc::as_ptr(&b), self as *const Node))
        {
            return Err(Errno::EINVAL);
        }
        if same {
            let mut d = lock(self.dir()?);
            let e = self.entries(&mut d)?;
            e.insert(old.to_vec(), b.clone());
            e.insert(new.to_vec(), a.clone());
        } else {
            {
                let mut d = lock(self.dir()?);
                self.entries(&mut d)?.insert(old.to_vec(), b.clone());
            }
            let mut d = lock(nd.dir()?);
            nd.entries(&mut d)?.insert(new.to_vec(), a.clone());
            drop(d);
            // A directory moving to the other parent moves its ".." link with it.
            match (a.is_dir(), b.is_dir()) {
                (true, false) => {
                    let mut m = lock(&self.meta);
                    m.nlink = m.nlink.saturating_sub(1);
                    drop(m);
                    lock(&nd.meta).nlink += 1;
                }
                (false, true) => {
                    let mut m = lock(&nd.meta);
                    m.nlink = m.nlink.saturating_sub(1);
                    drop(m);
                    lock(&self.meta).nlink += 1;
                }
                _ => {}
            }
        }
        let now = now();
        lock(&a.meta).ctime = now;
        lock(&b.meta).ctime = now;
        self.touch_mtime();
        if !same {
            nd.touch_mtime();
        }
        Ok(())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        match &self.kind {
            Kind::Symlink(t) => Ok(t.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        match &self.kind {
            Kind::Dir(_) => {
                if flags & O_ACCMODE != O_RDONLY {
                    return Err(Errno::EISDIR);
                }
                Ok(Arc::new(super::simple::NoData))
            }
            Kind::File(_) => {
                let writable = flags & O_ACCMODE != O_RDONLY;
                if flags & O_TRUNC != 0 && writable {
                    self.set_attr(&SetAttr {
                        size: Some(0),
                        ..Default::default()
                    })?;
                } else if writable {
                    self.copy_up()?;
                }
                Ok(Arc::new(RegFile { node: self.clone() }))
            }
            Kind::Symlink(_) => Err(Errno::ELOOP),
            Kind::Fifo(p) => Ok(p.open_end(flags)),
            Kind::Other => Err(Errno::ENXIO),
        }
    }

    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        let Kind::File(f) = &self.kind else {
            return None;
        };
        let f = lock(f);
        match (&f.data, &f.lower) {
            (Some(d), _) => Some(d.clone()),
            (None, Some(l)) => Some(l.clone()),
            _ => None,
        }
    }

    fn is_unlinked(&self) -> bool {
        lock(&self.meta).nlink == 0
    }

    fn fs_id(&self) -> u64 {
        self.fs.dev
    }

    fn fs_blocks(&self) -> Option<(u64, u64)> {
        self.fs.quota.as_ref().map(|q| (q.limit, q.used()))
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>, Errno> {
        xattr_namespace_ok(name)?;
        lock(&self.meta)
            .xattrs
            .get(name)
            .cloned()
            .ok_or(Errno::ENODATA)
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: u32) -> Result<(), Errno> {
        xattr_namespace_ok(name)?;
        // Setting an attribute on a lower file copies it up first.
        if matches!(self.kind, Kind::File(_)) {
            self.copy_up()?;
        }
        let mut m = lock(&self.meta);
        let exists = m.xattrs.contains_key(name);
        if flags & XATTR_CREATE != 0 && exists {
            return Err(Errno::EEXIST);
        }
        if flags & XATTR_REPLACE != 0 && !exists {
            return Err(Errno::ENODATA);
        }
        m.xattrs.insert(name.to_vec(), value.to_vec());
        m.ctime = now();
        Ok(())
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>, Errno> {
        Ok(lock(&self.meta).xattrs.keys().cloned().collect())
    }

    fn removexattr(&self, name: &[u8]) -> Result<(), Errno> {
        xattr_namespace_ok(name)?;
        let mut m = lock(&self.meta);
        m.xattrs.remove(name).ok_or(Errno::ENODATA)?;
        m.ctime = now();
        Ok(())
    }

    fn allocate(&self, mode: u32, off: u64, len: u64) -> Result<(), Errno> {
        if !matches!(self.kind, Kind::File(_)) {
            return Err(Errno::ENODEV);
        }
        // tmpfs knows KEEP_SIZE and PUNCH_HOLE; the rootfs overlay (like ext4) also
        // ZERO_RANGE.
        let known = FALLOC_FL_KEEP_SIZE
            | FALLOC_FL_PUNCH_HOLE
            | if self.is_tmpfs() {
                0
            } else {
                FALLOC_FL_ZERO_RANGE
            };
        if mode & !known != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let end = off.checked_add(len).ok_or(Errno::EFBIG)?;
        let seals = self.file_seals();
        let data = self.copy_up()?;
        let keep = mode & FALLOC_FL_KEEP_SIZE != 0;
        if mode & FALLOC_FL_PUNCH_HOLE != 0 {
            if seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
                return Err(Errno::EPERM);
            }
            data.punch(off, len)?;
        } else {
            if seals & F_SEAL_GROW != 0 && end > data.size() {
                return Err(Errno::EPERM);
            }
            if mode & FALLOC_FL_ZERO_RANGE != 0 {
                data.punch(off, len)?;
            }
            data.allocate(off, len, keep)?;
        }
        self.touch_mtime();
        Ok(())
    }

    fn create_tmpfile(
        &self,
        mode: u32,
        uid: u32,
        gid: u32,
        linkable: bool,
    ) -> Result<InodeRef, Errno> {
        if self.dead_dir() {
            return Err(Errno::ENOENT);
        }
        self.dir()?;
        let n = Node::new_upper(
            &self.fs,
            Kind::File(Mutex::new(FileState {
                data: Some(TmpData::with_quota(
                    self.fs.mf.clone(),
                    self.fs.quota.clone(),
                )),
                lower: None,
                seals: F_SEAL_SEAL,
            })),
            S_IFREG | (mode & 0o7777),
            uid,
            gid,
            0,
        );
        lock(&n.meta).linkable = linkable;
        Ok(n)
    }

    fn seals(&self) -> Result<u32, Errno> {
        match &self.kind {
            Kind::File(f) if self.is_tmpfs() => Ok(lock(f).seals),
            _ => Err(Errno::EINVAL),
        }
    }

    fn add_seals(&self, seals: u32) -> Result<(), Errno> {
        let Kind::File(f) = &self.kind else {
            return Err(Errno::EINVAL);
        };
        if !self.is_tmpfs() {
            return Err(Errno::EINVAL);
        }
        let all = F_SEAL_SEAL
            | F_SEAL_SHRINK
            | F_SEAL_GROW
            | F_SEAL_WRITE
            | F_SEAL_FUTURE_WRITE
            | F_SEAL_EXEC;
        if seals & !all != 0 {
            return Err(Errno::EINVAL);
        }
        let mut seals = seals;
        // F_SEAL_EXEC on an executable file implies the write seals (W^X; Linux's
        // memfd_add_seals).
        if seals & F_SEAL_EXEC != 0 && lock(&self.meta).mode & 0o111 != 0 {
            seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
        }
        let mut f = lock(f);
        if f.seals & F_SEAL_SEAL != 0 {
            return Err(Errno::EPERM);
        }
        if seals & F_SEAL_WRITE != 0 && f.seals & F_SEAL_WRITE == 0 {
            // Approximation of mapping_deny_writable: any mapping of the data (the
            // memory manager holds a reference per mapping) counts as writable.
            if let Some(d) = &f.data {
                if Arc::strong_count(d) > 1 {
                    return Err(Errno::EBUSY);
                }
            }
        }
        f.seals |= seals;
        Ok(())
    }

    fn check_shared_write_map(&self) -> Result<(), Errno> {
        if self.file_seals() & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open regular file.
struct RegFile {
    node: Arc<Node>,
}

impl FileOps for RegFile {
    fn read_source(&self) -> Option<Arc<rustix::fd::OwnedFd>> {
        let Kind::File(f) = &self.node.kind else {
            return None;
        };
        let f = lock(f);
        match (&f.data, &f.lower) {
            (None, Some(l)) => l.fd().ok(),
            _ => None,
        }
    }

    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let Kind::File(f) = &self.node.kind else {
            return Err(Errno::EINVAL);
        };
        let (data, lower) = {
            let f = lock(f);
            (f.data.clone(), f.lower.clone())
        };
        match (data, lower) {
            (Some(d), _) => d.read(buf, off),
            (None, Some(l)) => l.read(buf, off),
            _ => Ok(0),
        }
    }

    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        let seals = self.node.file_seals();
        if seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
            return Err(Errno::EPERM);
        }
        let data = self.node.copy_up()?;
        let mut buf = buf;
        if seals & F_SEAL_GROW != 0 {
            // As shmem_write_begin: page by page, stopping at the first page-sized piece
            // that would extend the file.
            let size = data.size();
            let end = off.checked_add(buf.len() as u64).ok_or(Errno::EFBIG)?;
            let mut pos = off;
            while pos < end {
                let piece_end = end.min((pos / husk_abi::PAGE_SIZE + 1) * husk_abi::PAGE_SIZE);
                if piece_end > size {
                    break;
                }
                pos = piece_end;
            }
            if pos == off {
                return Err(Errno::EPERM);
            }
            buf = &buf[..(pos - off) as usize];
        }
        let n = data.write(buf, off)?;
        self.node.touch_mtime();
        Ok(n)
    }

    fn size(&self) -> Option<u64> {
        Some(self.node.size())
    }

    fn seek_data_hole(&self, off: u64, data: bool) -> Option<Result<u64, Errno>> {
        let Kind::File(f) = &self.node.kind else {
            return None;
        };
        let d = lock(f).data.clone()?;
        Some(d.seek_data_hole(off, data))
    }
}

/// The namespaces the memory file system stores attributes in.
fn xattr_namespace_ok(name: &[u8]) -> Result<(), Errno> {
    if name.starts_with(b"user.") || name.starts_with(b"trusted.") || name.starts_with(b"security.")
    {
        Ok(())
    } else {
        Err(Errno::EOPNOTSUPP)
    }
}

/// The root of the hidden tmpfs memfd_create files live in, one per memory file.
static MEMFD_ROOT: Mutex<Option<(std::sync::Weak<MemoryFile>, Arc<Node>)>> = Mutex::new(None);

/// A memfd: an unnamed tmpfs file (mode 0777, or 0666 with `noexec`); sealable if
/// `sealing`. Returns its inode and a mount to hang its dentry on.
pub fn memfd_node(
    mf: &Arc<MemoryFile>,
    sealing: bool,
    noexec: bool,
    uid: u32,
    gid: u32,
) -> Result<(InodeRef, InodeRef), Errno> {
    let root = {
        let mut g = lock(&MEMFD_ROOT);
        match &*g {
            Some((w, r)) if w.upgrade().is_some_and(|m| Arc::ptr_eq(&m, mf)) => r.clone(),
            _ => {
                let r = MemFs::new_root(mf.clone(), None, 0o1777)?;
                *g = Some((Arc::downgrade(mf), r.clone()));
                r
            }
        }
    };
    let mode = if noexec { 0o666 } else { 0o777 };
    let n = Node::new_upper(
        &root.fs,
        Kind::File(Mutex::new(FileState {
            data: Some(TmpData::new(mf.clone())),
            lower: None,
            seals: if sealing { 0 } else { F_SEAL_SEAL } | if noexec { F_SEAL_EXEC } else { 0 },
        })),
        S_IFREG | mode,
        uid,
        gid,
        0,
    );
    lock(&n.meta).linkable = false;
    Ok((n, root))
}
