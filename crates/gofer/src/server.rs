//! The gofer's request loop.

use crate::wire::{recv, send};
use crate::{valid_path, DirEntry, FileStat, Request, Response};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{openat2, statat, AtFlags, Mode, OFlags, ResolveFlags};
use std::io;

fn stat_of(st: &rustix::fs::Stat) -> FileStat {
    FileStat {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        nlink: st.st_nlink,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev,
        size: st.st_size as u64,
        blocks: st.st_blocks as u64,
        atime: (st.st_atime, st.st_atime_nsec as i64),
        mtime: (st.st_mtime, st.st_mtime_nsec as i64),
        ctime: (st.st_ctime, st.st_ctime_nsec as i64),
    }
}

const RESOLVE: ResolveFlags = ResolveFlags::BENEATH
    .union(ResolveFlags::NO_SYMLINKS)
    .union(ResolveFlags::NO_MAGICLINKS);

fn open_beneath(root: BorrowedFd<'_>, path: &[u8], flags: OFlags) -> rustix::io::Result<OwnedFd> {
    let p: &[u8] = if path.is_empty() { b"." } else { path };
    openat2(
        root,
        p,
        flags | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
        RESOLVE,
    )
}

/// Splits a path into (parent, name); the root has no name.
fn split(path: &[u8]) -> (&[u8], &[u8]) {
    match path.iter().rposition(|&c| c == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (b"", path),
    }
}

fn stat_path(root: BorrowedFd<'_>, path: &[u8]) -> rustix::io::Result<FileStat> {
    if path.is_empty() {
        return Ok(stat_of(&rustix::fs::fstat(root)?));
    }
    let (parent, name) = split(path);
    let dir = open_beneath(root, parent, OFlags::PATH | OFlags::DIRECTORY)?;
    Ok(stat_of(&statat(&dir, name, AtFlags::SYMLINK_NOFOLLOW)?))
}

fn readlink_path(root: BorrowedFd<'_>, path: &[u8]) -> rustix::io::Result<Vec<u8>> {
    let (parent, name) = split(path);
    let dir = open_beneath(root, parent, OFlags::PATH | OFlags::DIRECTORY)?;
    Ok(rustix::fs::readlinkat(&dir, name, Vec::new())?.into_bytes())
}

fn read_dir(root: BorrowedFd<'_>, path: &[u8]) -> rustix::io::Result<Vec<DirEntry>> {
    let dir = open_beneath(root, path, OFlags::RDONLY | OFlags::DIRECTORY)?;
    let mut out = Vec::new();
    let iter = rustix::fs::Dir::read_from(&dir)?;
    for ent in iter {
        let ent = ent?;
        let name = ent.file_name().to_bytes().to_vec();
        if name == b"." || name == b".." {
            continue;
        }
        let Ok(st) = statat(&dir, ent.file_name(), AtFlags::SYMLINK_NOFOLLOW) else {
            continue;
        };
        let stat = stat_of(&st);
        let link = if stat.mode & libc::S_IFMT == libc::S_IFLNK {
            rustix::fs::readlinkat(&dir, ent.file_name(), Vec::new())
                .ok()
                .map(|l| l.into_bytes())
        } else {
            None
        };
        out.push(DirEntry { name, stat, link });
    }
    Ok(out)
}

fn handle(root: BorrowedFd<'_>, req: Request) -> (Response, Option<OwnedFd>) {
    let path = match &req {
        Request::Stat { path }
        | Request::ReadDir { path }
        | Request::Open { path }
        | Request::ReadLink { path } => path,
    };
    if !valid_path(path) {
        return (Response::Error(libc::EINVAL), None);
    }
    let res = match req {
        Request::Stat { path } => stat_path(root, &path).map(|s| (Response::Stat(s), None)),
        Request::ReadDir { path } => read_dir(root, &path).map(|e| (Response::Entries(e), None)),
        Request::ReadLink { path } => readlink_path(root, &path).map(|l| (Response::Link(l), None)),
        Request::Open { path } => open_beneath(root, &path, OFlags::RDONLY).and_then(|fd| {
            let st = stat_of(&rustix::fs::fstat(&fd)?);
            if st.mode & libc::S_IFMT != libc::S_IFREG {
                return Err(rustix::io::Errno::ACCESS);
            }
            Ok((Response::Opened(st), Some(fd)))
        }),
    };
    res.unwrap_or_else(|e| (Response::Error(e.raw_os_error()), None))
}

/// Serves requests on `sock` for the tree at `root` until the Sentry closes the socket.
pub fn serve(root: OwnedFd, sock: OwnedFd) -> io::Result<()> {
    while let Some((payload, _)) = recv(sock.as_fd())? {
        let (resp, fd) = match postcard::from_bytes::<Request>(&payload) {
            Ok(req) => handle(root.as_fd(), req),
            Err(_) => (Response::Error(libc::EINVAL), None),
        };
        let bytes = postcard::to_allocvec(&resp)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        send(sock.as_fd(), &bytes, fd.as_ref().map(|f| f.as_fd()))?;
    }
    Ok(())
}
