//! The read-write rootfs (`--overlay=none`): a file system whose inodes are paths
//! relative to the gofer's root. Every lookup, listing and change goes to the gofer
//! (the Sentry walks symlinks itself; the gofer never follows one); file data moves with
//! pread/pwrite on fds the gofer donates (read-only, or read-write for writable opens).
//!
//! Mappings of its files go through a page cache in the memory file. The cache is kept
//! coherent with writes made through the Sentry (they write through to cached pages)
//! and truncations (pages past the end are dropped from every mapping). Once a file has
//! had a writable MAP_SHARED mapping, its cached pages (up to the file's size) are
//! written back to the host file on msync, munmap, the exit of the mapping process,
//! fsync, before a read, and when the node goes away. There is no dirty-page tracking:
//! write-back rewrites every cached page of such a file.

use super::pipe::Pipe;
use crate::memfile::MemoryFile;
use crate::mm::{Mappable, Mm};
use crate::vfs::*;
use husk_abi::{Errno, PAGE_SIZE};
use husk_gofer::{Client, FileStat, Request, Response};
use rustix::fd::{AsRawFd, OwnedFd};
use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

static NEXT_DEV: AtomicU64 = AtomicU64::new(0x60);

/// Pages read ahead together into the page cache.
const CACHE_CHUNK: u64 = 16;

/// A gofer-backed file system instance.
pub struct GoferFs {
    dev: u64,
    gofer: Arc<Client>,
    mf: Arc<MemoryFile>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Where a node is: its parent and name (both change with rename).
struct Loc {
    parent: Option<Arc<Node>>,
    name: Vec<u8>,
    removed: bool,
}

/// The donated host fd of a regular file, and whether it is open read-write.
type HostFile = Option<(Arc<OwnedFd>, bool)>;

/// A node: a file of the host tree named by its path beneath the root.
pub struct Node {
    fs: Arc<GoferFs>,
    me: Weak<Node>,
    ino: u64,
    fmt: u32,
    loc: Mutex<Loc>,
    /// Live nodes of a directory's children, so that a file has one node while it is in
    /// use (mount points and unix sockets are keyed by the inode).
    children: Mutex<HashMap<Vec<u8>, Weak<Node>>>,
    fd: Mutex<HostFile>,
    /// Page cache: page index -> memory-file offset.
    cache: Mutex<BTreeMap<u64, u64>>,
    mappers: Mutex<Vec<Weak<Mm>>>,
    /// A writable shared mapping has existed: cached pages may differ from the host file.
    shared_write: AtomicBool,
    /// The Sentry-side pipe of a FIFO.
    pipe: Mutex<Option<Arc<Pipe>>>,
    /// The last attributes seen (for a removed directory).
    last: Mutex<Attr>,
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

fn errno(e: rustix::io::Errno) -> Errno {
    Errno(e.raw_os_error())
}

impl GoferFs {
    /// The file system of the tree the gofer serves; returns its root directory.
    pub fn new_root(mf: Arc<MemoryFile>, gofer: Arc<Client>) -> Result<Arc<Node>, Errno> {
        let fs = Arc::new(GoferFs {
            dev: NEXT_DEV.fetch_add(1, Ordering::Relaxed),
            gofer,
            mf,
        });
        let st = match fs.call(&Request::Stat { path: Vec::new() })? {
            (Response::Stat(st), _) => st,
            _ => return Err(Errno::EIO),
        };
        if st.mode & S_IFMT != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        Ok(Node::new(&fs, None, Vec::new(), &st))
    }

    /// One request; a gofer error becomes the errno.
    fn call(&self, req: &Request) -> Result<(Response, Option<OwnedFd>), Errno> {
        match self.gofer.call(req) {
            Ok((Response::Error(e), _)) => Err(Errno(e)),
            Ok(r) => Ok(r),
            Err(_) => Err(Errno::EIO),
        }
    }

    fn call_stat(&self, req: &Request) -> Result<FileStat, Errno> {
        match self.call(req)? {
            (Response::Stat(st), _) => Ok(st),
            _ => Err(Errno::EIO),
        }
    }
}

impl Node {
    fn new(
        fs: &Arc<GoferFs>,
        parent: Option<Arc<Node>>,
        name: Vec<u8>,
        st: &FileStat,
    ) -> Arc<Node> {
        let attr = to_attr(fs.dev, st);
        Arc::new_cyclic(|me| Node {
            fs: fs.clone(),
            me: me.clone(),
            ino: st.ino,
            fmt: st.mode & S_IFMT,
            loc: Mutex::new(Loc {
                parent,
                name,
                removed: false,
            }),
            children: Mutex::new(HashMap::new()),
            fd: Mutex::new(None),
            cache: Mutex::new(BTreeMap::new()),
            mappers: Mutex::new(Vec::new()),
            shared_write: AtomicBool::new(false),
            pipe: Mutex::new(None),
            last: Mutex::new(attr),
        })
    }

    /// The path beneath the gofer's root ("" for the root).
    fn path(&self) -> Vec<u8> {
        let mut parts = Vec::new();
        let (mut cur, name) = {
            let l = lock(&self.loc);
            (l.parent.clone(), l.name.clone())
        };
        if cur.is_some() {
            parts.push(name);
        }
        while let Some(n) = cur {
            let l = lock(&n.loc);
            if l.parent.is_some() {
                parts.push(l.name.clone());
            }
            cur = l.parent.clone();
        }
        parts.reverse();
        parts.join(&b'/')
    }

    fn child_path(&self, name: &[u8]) -> Vec<u8> {
        join(&self.path(), name)
    }

    fn is_dir(&self) -> bool {
        self.fmt == S_IFDIR
    }

    fn check_dir(&self) -> Result<(), Errno> {
        if !self.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if lock(&self.loc).removed {
            return Err(Errno::ENOENT);
        }
        Ok(())
    }

    /// The node of child `name` with metadata `st`: the live one if it is the same file.
    fn child_node(&self, name: &[u8], st: &FileStat) -> Result<Arc<Node>, Errno> {
        let me = self.me.upgrade().ok_or(Errno::ENOENT)?;
        let mut c = lock(&self.children);
        if let Some(n) = c.get(name).and_then(|w| w.upgrade()) {
            if n.ino == st.ino && n.fmt == st.mode & S_IFMT {
                return Ok(n);
            }
        }
        let n = Node::new(&self.fs, Some(me), name.to_vec(), st);
        c.retain(|_, w| w.strong_count() > 0);
        c.insert(name.to_vec(), Arc::downgrade(&n));
        Ok(n)
    }

    /// Forgets child `name` (removed or replaced), marking its node removed.
    fn drop_child(&self, name: &[u8]) {
        if let Some(n) = lock(&self.children).remove(name).and_then(|w| w.upgrade()) {
            lock(&n.loc).removed = true;
        }
    }

    /// The donated fd, asking the gofer for one (read-write if `write`) when needed.
    fn host_fd(&self, write: bool, truncate: bool) -> Result<Arc<OwnedFd>, Errno> {
        let mut g = lock(&self.fd);
        if let Some((fd, rw)) = g.clone() {
            if rw || !write {
                drop(g);
                if truncate {
                    rustix::fs::ftruncate(&*fd, 0).map_err(errno)?;
                    self.shrink_cache(0);
                }
                return Ok(fd);
            }
        }
        if lock(&self.loc).removed {
            return Err(Errno::ENOENT);
        }
        let path = self.path();
        let req = if write {
            Request::OpenWrite { path, truncate }
        } else {
            Request::Open { path }
        };
        let fd = match self.fs.call(&req)? {
            (Response::Opened(_), Some(fd)) => Arc::new(fd),
            _ => return Err(Errno::EIO),
        };
        *g = Some((fd.clone(), write));
        drop(g);
        if truncate {
            self.shrink_cache(0);
        }
        Ok(fd)
    }

    fn current_fd(&self) -> Option<Arc<OwnedFd>> {
        lock(&self.fd).as_ref().map(|(fd, _)| fd.clone())
    }

    fn size(&self) -> Result<u64, Errno> {
        Ok(self.attr()?.size)
    }

    /// Drops cached pages past `size` from the cache and from every mapping.
    fn shrink_cache(&self, size: u64) {
        let first = size.div_ceil(PAGE_SIZE);
        {
            let mut c = lock(&self.cache);
            let gone: Vec<u64> = c.range(first..).map(|(&k, _)| k).collect();
            for k in gone {
                if let Some(f) = c.remove(&k) {
                    self.fs.mf.decref(f);
                }
            }
            if !size.is_multiple_of(PAGE_SIZE) {
                if let Some(&f) = c.get(&(size / PAGE_SIZE)) {
                    let _ = self
                        .fs
                        .mf
                        .zero(f + size % PAGE_SIZE, PAGE_SIZE - size % PAGE_SIZE);
                }
            }
        }
        let mappers: Vec<_> = lock(&self.mappers).clone();
        for m in mappers.iter().filter_map(|w| w.upgrade()) {
            m.invalidate_object(self.ident(), first);
        }
    }

    /// Copies bytes just written at `off` into the cached pages they cover.
    fn write_through(&self, buf: &[u8], off: u64) -> Result<(), Errno> {
        let c = lock(&self.cache);
        if c.is_empty() {
            return Ok(());
        }
        let mut done = 0usize;
        while done < buf.len() {
            let pos = off + done as u64;
            let in_page = (pos % PAGE_SIZE) as usize;
            let chunk = (PAGE_SIZE as usize - in_page).min(buf.len() - done);
            if let Some(&f) = c.get(&(pos / PAGE_SIZE)) {
                self.fs
                    .mf
                    .write(f + in_page as u64, &buf[done..done + chunk])?;
            }
            done += chunk;
        }
        Ok(())
    }

    /// Writes the cached pages back to the host file if a writable shared mapping may
    /// have changed them (see the module doc).
    fn write_back(&self) -> Result<(), Errno> {
        if !self.shared_write.load(Ordering::Acquire) {
            return Ok(());
        }
        let Some((fd, true)) = lock(&self.fd).clone() else {
            return Ok(());
        };
        let size = rustix::fs::fstat(&*fd).map_err(errno)?.st_size as u64;
        let c = lock(&self.cache);
        let mut page = vec![0u8; PAGE_SIZE as usize];
        for (&index, &frame) in c.range(..size.div_ceil(PAGE_SIZE)) {
            let pos = index * PAGE_SIZE;
            let len = (size - pos).min(PAGE_SIZE) as usize;
            self.fs.mf.read(frame, &mut page[..len])?;
            let mut done = 0;
            while done < len {
                match rustix::io::pwrite(&*fd, &page[done..len], pos + done as u64) {
                    Ok(0) => return Err(Errno::EIO),
                    Ok(n) => done += n,
                    Err(rustix::io::Errno::INTR) => continue,
                    Err(e) => return Err(errno(e)),
                }
            }
        }
        Ok(())
    }

    fn pipe(&self) -> Arc<Pipe> {
        lock(&self.pipe).get_or_insert_with(Pipe::new).clone()
    }
}

fn to_attr(dev: u64, st: &FileStat) -> Attr {
    Attr {
        dev,
        ino: st.ino,
        mode: st.mode,
        nlink: st.nlink,
        uid: st.uid,
        gid: st.gid,
        rdev: st.rdev,
        size: st.size,
        blocks: st.blocks,
        blksize: 4096,
        atime: st.atime,
        mtime: st.mtime,
        ctime: st.ctime,
    }
}

fn host_attr(dev: u64, st: &rustix::fs::Stat) -> Attr {
    Attr {
        dev,
        ino: st.st_ino,
        mode: st.st_mode,
        nlink: st.st_nlink,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev,
        size: st.st_size as u64,
        blocks: st.st_blocks as u64,
        blksize: 4096,
        atime: (st.st_atime, st.st_atime_nsec as i64),
        mtime: (st.st_mtime, st.st_mtime_nsec as i64),
        ctime: (st.st_ctime, st.st_ctime_nsec as i64),
    }
}

fn downcast(i: &InodeRef) -> Option<&Node> {
    i.as_any().downcast_ref::<Node>()
}

impl Inode for Node {
    fn attr(&self) -> Result<Attr, Errno> {
        // An open file answers from its fd (also once unlinked).
        let a = if let Some(fd) = self.current_fd() {
            host_attr(self.fs.dev, &rustix::fs::fstat(&*fd).map_err(errno)?)
        } else {
            if lock(&self.loc).removed {
                let mut a = lock(&self.last).clone();
                a.nlink = 0;
                return Ok(a);
            }
            let st = self.fs.call_stat(&Request::Stat { path: self.path() })?;
            to_attr(self.fs.dev, &st)
        };
        *lock(&self.last) = a.clone();
        Ok(a)
    }

    fn set_attr(&self, c: &SetAttr) -> Result<(), Errno> {
        let removed = lock(&self.loc).removed;
        let mut rest = husk_gofer::SetAttr {
            mode: c.mode,
            uid: c.uid,
            gid: c.gid,
            size: c.size,
            atime: c.atime,
            mtime: c.mtime,
        };
        if let Some(size) = c.size {
            if self.is_dir() {
                return Err(Errno::EISDIR);
            }
            if self.fmt != S_IFREG {
                return Err(Errno::EINVAL);
            }
            // A file open read-write is truncated through its fd (like a write).
            let rw = lock(&self.fd)
                .as_ref()
                .filter(|(_, rw)| *rw)
                .map(|(f, _)| f.clone());
            if let Some(fd) = rw {
                rustix::fs::ftruncate(&*fd, size).map_err(errno)?;
                rest.size = None;
            } else if removed {
                return Err(Errno::ENOENT);
            }
        }
        let any = rest.size.is_some()
            || rest.mode.is_some()
            || rest.uid.is_some()
            || rest.gid.is_some()
            || rest.atime.is_some()
            || rest.mtime.is_some();
        if any {
            if removed {
                // The name is gone; attribute changes of an unlinked file need its fd.
                return Err(Errno::ENOENT);
            }
            self.fs.call_stat(&Request::SetAttr {
                path: self.path(),
                attr: rest,
            })?;
        }
        if let Some(size) = c.size {
            self.shrink_cache(size);
        }
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> Result<InodeRef, Errno> {
        self.check_dir()?;
        let st = self.fs.call_stat(&Request::Stat {
            path: self.child_path(name),
        })?;
        Ok(self.child_node(name, &st)?)
    }

    fn readdir(&self) -> Result<Vec<DirEnt>, Errno> {
        self.check_dir()?;
        match self.fs.call(&Request::ReadDir { path: self.path() })? {
            (Response::Entries(es), _) => Ok(es
                .into_iter()
                .map(|e| DirEnt {
                    ino: e.stat.ino,
                    dtype: dtype_of(e.stat.mode),
                    name: e.name,
                })
                .collect()),
            _ => Err(Errno::EIO),
        }
    }

    fn create(
        &self,
        name: &[u8],
        node: NewNode,
        mode: u32,
        uid: u32,
        gid: u32,
    ) -> Result<InodeRef, Errno> {
        self.check_dir()?;
        let dir = self.path();
        let name_v = name.to_vec();
        let mode = mode & 0o7777;
        let (st, fd) = match node {
            NewNode::File => match self.fs.call(&Request::Create {
                dir,
                name: name_v,
                mode,
                uid,
                gid,
            })? {
                (Response::Opened(st), Some(fd)) => (st, Some(fd)),
                _ => return Err(Errno::EIO),
            },
            NewNode::Dir => (
                self.fs.call_stat(&Request::Mkdir {
                    dir,
                    name: name_v,
                    mode,
                    uid,
                    gid,
                })?,
                None,
            ),
            NewNode::Symlink(target) => (
                self.fs.call_stat(&Request::Symlink {
                    dir,
                    name: name_v,
                    target,
                    uid,
                    gid,
                })?,
                None,
            ),
            NewNode::Fifo | NewNode::Socket => (
                self.fs.call_stat(&Request::Mknod {
                    dir,
                    name: name_v,
                    mode: mode
                        | if matches!(node, NewNode::Fifo) {
                            S_IFIFO
                        } else {
                            S_IFSOCK
                        },
                    uid,
                    gid,
                })?,
                None,
            ),
            NewNode::Device(_) => return Err(Errno::EPERM),
        };
        let n = self.child_node(name, &st)?;
        if let Some(fd) = fd {
            *lock(&n.fd) = Some((Arc::new(fd), true));
        }
        Ok(n)
    }

    fn unlink(&self, name: &[u8], dir: bool) -> Result<(), Errno> {
        self.check_dir()?;
        self.fs.call(&Request::Unlink {
            dir: self.path(),
            name: name.to_vec(),
            is_dir: dir,
        })?;
        self.drop_child(name);
        Ok(())
    }

    fn link(&self, name: &[u8], target: &InodeRef) -> Result<(), Errno> {
        self.check_dir()?;
        let t = downcast(target).ok_or(Errno::EXDEV)?;
        if !Arc::ptr_eq(&t.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        if lock(&t.loc).removed {
            return Err(Errno::ENOENT);
        }
        self.fs.call_stat(&Request::Link {
            target: t.path(),
            dir: self.path(),
            name: name.to_vec(),
        })?;
        Ok(())
    }

    fn rename(&self, old: &[u8], new_dir: &InodeRef, new: &[u8]) -> Result<(), Errno> {
        let nd = downcast(new_dir).ok_or(Errno::EXDEV)?;
        if !Arc::ptr_eq(&nd.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        self.check_dir()?;
        nd.check_dir()?;
        self.fs.call(&Request::Rename {
            old_dir: self.path(),
            old_name: old.to_vec(),
            new_dir: nd.path(),
            new_name: new.to_vec(),
            exchange: false,
        })?;
        let moved = lock(&self.children).remove(old).and_then(|w| w.upgrade());
        if std::ptr::eq(nd, self) && old == new {
            if let Some(m) = moved {
                lock(&self.children).insert(old.to_vec(), Arc::downgrade(&m));
            }
            return Ok(());
        }
        nd.drop_child(new);
        if let Some(m) = moved {
            let parent = nd.me.upgrade().ok_or(Errno::ENOENT)?;
            {
                let mut l = lock(&m.loc);
                l.parent = Some(parent);
                l.name = new.to_vec();
            }
            lock(&nd.children).insert(new.to_vec(), Arc::downgrade(&m));
        }
        Ok(())
    }

    fn exchange(&self, old: &[u8], new_dir: &InodeRef, new: &[u8]) -> Result<(), Errno> {
        let nd = downcast(new_dir).ok_or(Errno::EXDEV)?;
        if !Arc::ptr_eq(&nd.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        self.check_dir()?;
        nd.check_dir()?;
        self.fs.call(&Request::Rename {
            old_dir: self.path(),
            old_name: old.to_vec(),
            new_dir: nd.path(),
            new_name: new.to_vec(),
            exchange: true,
        })?;
        let a = lock(&self.children).remove(old).and_then(|w| w.upgrade());
        let b = lock(&nd.children).remove(new).and_then(|w| w.upgrade());
        let (sp, np) = (
            self.me.upgrade().ok_or(Errno::ENOENT)?,
            nd.me.upgrade().ok_or(Errno::ENOENT)?,
        );
        if let Some(a) = a {
            {
                let mut l = lock(&a.loc);
                l.parent = Some(np);
                l.name = new.to_vec();
            }
            lock(&nd.children).insert(new.to_vec(), Arc::downgrade(&a));
        }
        if let Some(b) = b {
            {
                let mut l = lock(&b.loc);
                l.parent = Some(sp);
                l.name = old.to_vec();
            }
            lock(&self.children).insert(old.to_vec(), Arc::downgrade(&b));
        }
        Ok(())
    }

    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        if self.fmt != S_IFLNK {
            return Err(Errno::EINVAL);
        }
        match self.fs.call(&Request::ReadLink { path: self.path() })? {
            (Response::Link(l), _) => Ok(l),
            _ => Err(Errno::EIO),
        }
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        match self.fmt {
            S_IFDIR => {
                if flags & O_ACCMODE != O_RDONLY {
                    return Err(Errno::EISDIR);
                }
                Ok(Arc::new(super::simple::NoData))
            }
            S_IFREG => {
                let write = flags & O_ACCMODE != O_RDONLY;
                self.host_fd(write, write && flags & O_TRUNC != 0)?;
                Ok(Arc::new(RegFile { node: self }))
            }
            S_IFLNK => Err(Errno::ELOOP),
            S_IFIFO => Ok(self.pipe().open_end(flags)),
            _ => Err(Errno::ENXIO),
        }
    }

    fn mappable(&self) -> Option<Arc<dyn Mappable>> {
        if self.fmt != S_IFREG {
            return None;
        }
        self.me.upgrade().map(|n| n as Arc<dyn Mappable>)
    }

    fn is_unlinked(&self) -> bool {
        lock(&self.loc).removed
    }

    fn fs_id(&self) -> u64 {
        self.fs.dev
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.write_back();
        let c = self.cache.get_mut().unwrap_or_else(|p| p.into_inner());
        for &f in c.values() {
            self.fs.mf.decref(f);
        }
    }
}

impl Mappable for Node {
    fn get_page(&self, mf: &MemoryFile, index: u64) -> Result<u64, Errno> {
        let fd = self.host_fd(false, false)?;
        let size = rustix::fs::fstat(&*fd).map_err(errno)?.st_size as u64;
        if index * PAGE_SIZE >= size {
            return Err(Errno::EFAULT);
        }
        let mut c = lock(&self.cache);
        if let Some(&f) = c.get(&index) {
            mf.incref(f);
            return Ok(f);
        }
        let first = index - index % CACHE_CHUNK;
        let last = (first + CACHE_CHUNK).min(size.div_ceil(PAGE_SIZE));
        let n = last - first;
        let frame = mf.alloc(n)?;
        mf.fill_from_fd(frame, n * PAGE_SIZE, fd.as_raw_fd(), first * PAGE_SIZE)?;
        for i in 0..n {
            let f = frame + i * PAGE_SIZE;
            if let std::collections::btree_map::Entry::Vacant(v) = c.entry(first + i) {
                v.insert(f);
            } else {
                mf.decref(f);
            }
        }
        let f = *c.get(&index).ok_or(Errno::EIO)?;
        mf.incref(f);
        Ok(f)
    }

    fn ident(&self) -> (u64, u64) {
        (0x900 + self.fs.dev, self.ino)
    }

    fn add_mapper(&self, mm: &Weak<Mm>) {
        let mut m = lock(&self.mappers);
        m.retain(|w| w.strong_count() > 0);
        if !m.iter().any(|w| w.ptr_eq(mm)) {
            m.push(mm.clone());
        }
    }

    fn shared_write_mapping(&self) {
        self.shared_write.store(true, Ordering::Release);
    }

    fn writeback(&self) -> Result<(), Errno> {
        self.write_back()
    }
}

/// An open regular file: pread/pwrite on the donated fd.
struct RegFile {
    node: Arc<Node>,
}

impl FileOps for RegFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        self.node.write_back()?;
        let fd = self.node.host_fd(false, false)?;
        loop {
            match rustix::io::pread(&*fd, &mut *buf, off) {
                Ok(n) => return Ok(n),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(errno(e)),
            }
        }
    }

    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        let fd = self.node.host_fd(true, false)?;
        let n = loop {
            match rustix::io::pwrite(&*fd, buf, off) {
                Ok(n) => break n,
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(errno(e)),
            }
        };
        self.node.write_through(&buf[..n], off)?;
        Ok(n)
    }

    fn size(&self) -> Option<u64> {
        self.node.size().ok()
    }

    fn fsync(&self) -> Result<(), Errno> {
        self.node.write_back()?;
        match self.node.current_fd() {
            Some(fd) => rustix::fs::fsync(&*fd).map_err(errno),
            None => Ok(()),
        }
    }
}
