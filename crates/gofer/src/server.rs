//! The gofer's request loop.

use crate::wire::{recv, send};
use crate::{valid_name, valid_path, DirEntry, FileStat, FsStat, Request, Response, SetAttr};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::fs::{openat2, statat, AtFlags, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;
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
    // openat2 refuses O_PATH with any flag but O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC.
    let extra = if flags.contains(OFlags::PATH) {
        OFlags::CLOEXEC
    } else {
        OFlags::CLOEXEC | OFlags::NOCTTY
    };
    openat2(root, p, flags | extra, Mode::empty(), RESOLVE)
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

type Res = rustix::io::Result<(Response, Option<OwnedFd>)>;

/// Opens directory `dir` (beneath the root, no symlinks) for *at calls.
fn open_dir(root: BorrowedFd<'_>, dir: &[u8]) -> rustix::io::Result<OwnedFd> {
    open_beneath(root, dir, OFlags::PATH | OFlags::DIRECTORY)
}

fn mode_bits(mode: u32) -> Mode {
    Mode::from_raw_mode(mode & 0o7777)
}

/// Gives a newly created `dir/name` the owner the Sentry asked for when it differs
/// from the gofer's own (possible only when the gofer is privileged; otherwise the file
/// keeps the gofer's owner, as with a rootless gofer in runsc).
fn own(d: BorrowedFd<'_>, name: &[u8], uid: u32, gid: u32) -> rustix::io::Result<FileStat> {
    let st = stat_of(&statat(d, name, AtFlags::SYMLINK_NOFOLLOW)?);
    if st.uid == uid && st.gid == gid {
        return Ok(st);
    }
    match rustix::fs::chownat(
        d,
        name,
        Some(rustix::fs::Uid::from_raw(uid)),
        Some(rustix::fs::Gid::from_raw(gid)),
        AtFlags::SYMLINK_NOFOLLOW,
    ) {
        Ok(()) => Ok(stat_of(&statat(d, name, AtFlags::SYMLINK_NOFOLLOW)?)),
        Err(Errno::PERM) => Ok(st),
        Err(e) => Err(e),
    }
}

fn create(root: BorrowedFd<'_>, dir: &[u8], name: &[u8], mode: u32, uid: u32, gid: u32) -> Res {
    let d = open_dir(root, dir)?;
    let fd = rustix::fs::openat(
        &d,
        name,
        OFlags::CREATE
            | OFlags::EXCL
            | OFlags::RDWR
            | OFlags::NOFOLLOW
            | OFlags::CLOEXEC
            | OFlags::NOCTTY,
        mode_bits(mode),
    )?;
    // O_CREAT applied the gofer's umask: set the mode the Sentry computed.
    rustix::fs::fchmod(&fd, mode_bits(mode))?;
    let st = own(d.as_fd(), name, uid, gid)?;
    Ok((Response::Opened(st), Some(fd)))
}

fn set_attr(root: BorrowedFd<'_>, path: &[u8], a: &SetAttr) -> rustix::io::Result<FileStat> {
    if let Some(size) = a.size {
        let fd = open_beneath(root, path, OFlags::WRONLY | OFlags::NONBLOCK)?;
        if rustix::fs::fstat(&fd)?.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(Errno::INVAL);
        }
        rustix::fs::ftruncate(&fd, size)?;
    }
    let (parent, name) = split(path);
    let dir = open_dir(root, parent)?;
    // With an empty name the root itself is meant.
    let (at, flags): (&[u8], AtFlags) = if name.is_empty() {
        (b"", AtFlags::EMPTY_PATH | AtFlags::SYMLINK_NOFOLLOW)
    } else {
        (name, AtFlags::SYMLINK_NOFOLLOW)
    };
    if let Some(mode) = a.mode {
        // fchmodat has no NOFOLLOW, and the gofer has no /proc (it lives in its own
        // mount namespace pivoted into the rootfs): check that the name is no symlink
        // (opening it with RESOLVE_NO_SYMLINKS gives ELOOP for one), then change it by
        // name in its parent. The gofer serves one request at a time, so the sandbox
        // cannot swap a symlink in between.
        drop(open_beneath(root, path, OFlags::PATH)?);
        let target: &[u8] = if name.is_empty() { b"." } else { name };
        rustix::fs::chmodat(&dir, target, mode_bits(mode), AtFlags::empty())?;
    }
    if a.uid.is_some() || a.gid.is_some() {
        rustix::fs::chownat(
            &dir,
            at,
            a.uid.map(rustix::fs::Uid::from_raw),
            a.gid.map(rustix::fs::Gid::from_raw),
            flags,
        )?;
    }
    if a.atime.is_some() || a.mtime.is_some() {
        let ts = |t: Option<(i64, i64)>| match t {
            Some((sec, nsec)) => rustix::fs::Timespec {
                tv_sec: sec,
                tv_nsec: nsec as _,
            },
            None => rustix::fs::Timespec {
                tv_sec: 0,
                tv_nsec: rustix::fs::UTIME_OMIT as _,
            },
        };
        let times = rustix::fs::Timestamps {
            last_access: ts(a.atime),
            last_modification: ts(a.mtime),
        };
        rustix::fs::utimensat(&dir, at, &times, flags)?;
    }
    stat_path(root, path)
}

fn statfs(root: BorrowedFd<'_>, path: &[u8]) -> rustix::io::Result<FsStat> {
    let fd = open_beneath(root, path, OFlags::PATH)?;
    let s = rustix::fs::fstatfs(&fd)?;
    Ok(FsStat {
        fs_type: s.f_type as u64,
        bsize: s.f_bsize as u64,
        blocks: s.f_blocks,
        bfree: s.f_bfree,
        bavail: s.f_bavail,
        files: s.f_files,
        ffree: s.f_ffree,
        namelen: s.f_namelen as u64,
        frsize: s.f_frsize as u64,
        flags: s.f_flags as u64,
    })
}

/// Whether every path and name in the request is acceptable.
fn request_valid(req: &Request) -> bool {
    match req {
        Request::Stat { path }
        | Request::ReadDir { path }
        | Request::Open { path }
        | Request::ReadLink { path }
        | Request::OpenWrite { path, .. }
        | Request::SetAttr { path, .. }
        | Request::StatFs { path } => valid_path(path),
        Request::Create { dir, name, .. }
        | Request::Mkdir { dir, name, .. }
        | Request::Symlink { dir, name, .. }
        | Request::Mknod { dir, name, .. }
        | Request::Unlink { dir, name, .. } => valid_path(dir) && valid_name(name),
        Request::Rename {
            old_dir,
            old_name,
            new_dir,
            new_name,
            ..
        } => {
            valid_path(old_dir)
                && valid_name(old_name)
                && valid_path(new_dir)
                && valid_name(new_name)
        }
        Request::Link { target, dir, name } => {
            !target.is_empty() && valid_path(target) && valid_path(dir) && valid_name(name)
        }
    }
}

pub(crate) fn handle(root: BorrowedFd<'_>, req: Request) -> (Response, Option<OwnedFd>) {
    if !request_valid(&req) {
        return (Response::Error(libc::EINVAL), None);
    }
    let done = |_| (Response::Done, None);
    let res: Res = match req {
        Request::Stat { path } => stat_path(root, &path).map(|s| (Response::Stat(s), None)),
        Request::ReadDir { path } => read_dir(root, &path).map(|e| (Response::Entries(e), None)),
        Request::ReadLink { path } => readlink_path(root, &path).map(|l| (Response::Link(l), None)),
        Request::Open { path } => open_reg(root, &path, OFlags::RDONLY),
        Request::OpenWrite { path, truncate } => {
            let trunc = if truncate {
                OFlags::TRUNC
            } else {
                OFlags::empty()
            };
            open_reg(root, &path, OFlags::RDWR | OFlags::NONBLOCK | trunc)
        }
        Request::Create {
            dir,
            name,
            mode,
            uid,
            gid,
        } => create(root, &dir, &name, mode, uid, gid),
        Request::Mkdir {
            dir,
            name,
            mode,
            uid,
            gid,
        } => open_dir(root, &dir).and_then(|d| {
            rustix::fs::mkdirat(&d, name.as_slice(), mode_bits(mode))?;
            let fd = openat2(
                &d,
                name.as_slice(),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
                RESOLVE,
            )?;
            rustix::fs::fchmod(&fd, mode_bits(mode))?;
            Ok((Response::Stat(own(d.as_fd(), &name, uid, gid)?), None))
        }),
        Request::Symlink {
            dir,
            name,
            target,
            uid,
            gid,
        } => open_dir(root, &dir).and_then(|d| {
            if target.is_empty() || target.contains(&0) {
                return Err(Errno::NOENT);
            }
            rustix::fs::symlinkat(target.as_slice(), &d, name.as_slice())?;
            Ok((Response::Stat(own(d.as_fd(), &name, uid, gid)?), None))
        }),
        Request::Mknod {
            dir,
            name,
            mode,
            uid,
            gid,
        } => open_dir(root, &dir).and_then(|d| {
            let ft = match mode & libc::S_IFMT {
                libc::S_IFIFO => rustix::fs::FileType::Fifo,
                libc::S_IFSOCK => rustix::fs::FileType::Socket,
                // Device nodes are never created on the host.
                _ => return Err(Errno::PERM),
            };
            rustix::fs::mknodat(&d, name.as_slice(), ft, mode_bits(mode), 0)?;
            Ok((Response::Stat(own(d.as_fd(), &name, uid, gid)?), None))
        }),
        Request::Unlink { dir, name, is_dir } => open_dir(root, &dir).and_then(|d| {
            let flags = if is_dir {
                AtFlags::REMOVEDIR
            } else {
                AtFlags::empty()
            };
            rustix::fs::unlinkat(&d, name.as_slice(), flags).map(done)
        }),
        Request::Rename {
            old_dir,
            old_name,
            new_dir,
            new_name,
            exchange,
        } => open_dir(root, &old_dir).and_then(|od| {
            let nd = open_dir(root, &new_dir)?;
            let flags = if exchange {
                rustix::fs::RenameFlags::EXCHANGE
            } else {
                rustix::fs::RenameFlags::empty()
            };
            rustix::fs::renameat_with(&od, old_name.as_slice(), &nd, new_name.as_slice(), flags)
                .map(done)
        }),
        Request::Link { target, dir, name } => {
            let (tparent, tname) = split(&target);
            open_dir(root, tparent).and_then(|td| {
                let d = open_dir(root, &dir)?;
                // No AT_SYMLINK_FOLLOW: a symlink is linked, never followed.
                rustix::fs::linkat(&td, tname, &d, name.as_slice(), AtFlags::empty())?;
                Ok((
                    Response::Stat(stat_of(&statat(
                        &d,
                        name.as_slice(),
                        AtFlags::SYMLINK_NOFOLLOW,
                    )?)),
                    None,
                ))
            })
        }
        Request::SetAttr { path, attr } => {
            set_attr(root, &path, &attr).map(|s| (Response::Stat(s), None))
        }
        Request::StatFs { path } => statfs(root, &path).map(|s| (Response::StatFs(s), None)),
    };
    res.unwrap_or_else(|e| (Response::Error(e.raw_os_error()), None))
}

/// Opens a regular file beneath the root; anything else is refused.
fn open_reg(root: BorrowedFd<'_>, path: &[u8], flags: OFlags) -> Res {
    // O_NONBLOCK keeps a FIFO from blocking the open; it is refused right after.
    let fd = open_beneath(root, path, flags | OFlags::NONBLOCK)?;
    let st = stat_of(&rustix::fs::fstat(&fd)?);
    if st.mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Errno::ACCESS);
    }
    // Reads and writes of regular files never block; clear O_NONBLOCK for the holder.
    rustix::fs::fcntl_setfl(&fd, rustix::fs::fcntl_getfl(&fd)? & !OFlags::NONBLOCK)?;
    Ok((Response::Opened(st), Some(fd)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A scratch tree: `inside` (a file), `d/` and symlinks pointing out of the root.
    struct Tree(PathBuf);

    impl Tree {
        fn new(tag: &str) -> Tree {
            let p = std::env::temp_dir().join(format!("husk-gofer-{}-{tag}", std::process::id()));
            let _ = std::fs::remove_dir_all(&p);
            std::fs::create_dir_all(p.join("root/d")).expect("mkdir");
            std::fs::write(p.join("root/inside"), b"in").expect("write");
            std::fs::write(p.join("secret"), b"outside the root").expect("write");
            std::os::unix::fs::symlink(p.join("secret"), p.join("root/abs")).expect("symlink");
            std::os::unix::fs::symlink("../secret", p.join("root/rel")).expect("symlink");
            std::os::unix::fs::symlink("../../..", p.join("root/d/up")).expect("symlink");
            std::os::unix::fs::symlink("/etc", p.join("root/etc")).expect("symlink");
            Tree(p)
        }
        fn root(&self) -> OwnedFd {
            rustix::fs::open(
                self.0.join("root"),
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .expect("open root")
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn err(r: (Response, Option<OwnedFd>)) -> i32 {
        assert!(r.1.is_none(), "an fd was donated for a refused request");
        match r.0 {
            Response::Error(e) => e,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    fn p(s: &str) -> Vec<u8> {
        s.as_bytes().to_vec()
    }

    #[test]
    fn paths_outside_the_root_are_refused() {
        let t = Tree::new("outside");
        let root = t.root();
        let r = root.as_fd();
        for path in [
            "../secret",
            "/etc/shadow",
            "/etc",
            "d/../../secret",
            "..",
            ".",
        ] {
            assert_eq!(
                err(handle(r, Request::Stat { path: p(path) })),
                libc::EINVAL
            );
            assert_eq!(
                err(handle(r, Request::Open { path: p(path) })),
                libc::EINVAL
            );
            assert_eq!(
                err(handle(
                    r,
                    Request::OpenWrite {
                        path: p(path),
                        truncate: true
                    }
                )),
                libc::EINVAL
            );
            assert_eq!(
                err(handle(r, Request::ReadDir { path: p(path) })),
                libc::EINVAL
            );
        }
        for name in ["..", ".", "a/b", "", "../x"] {
            assert_eq!(
                err(handle(
                    r,
                    Request::Create {
                        dir: Vec::new(),
                        name: p(name),
                        mode: 0o644,
                        uid: 0,
                        gid: 0
                    }
                )),
                libc::EINVAL
            );
            assert_eq!(
                err(handle(
                    r,
                    Request::Unlink {
                        dir: Vec::new(),
                        name: p(name),
                        is_dir: false
                    }
                )),
                libc::EINVAL
            );
            assert_eq!(
                err(handle(
                    r,
                    Request::Rename {
                        old_dir: Vec::new(),
                        old_name: p("inside"),
                        new_dir: Vec::new(),
                        new_name: p(name),
                        exchange: false,
                    }
                )),
                libc::EINVAL
            );
        }
        assert_eq!(
            err(handle(
                r,
                Request::Link {
                    target: p("../secret"),
                    dir: Vec::new(),
                    name: p("x")
                }
            )),
            libc::EINVAL
        );
        // Nothing was created or changed outside.
        assert_eq!(
            std::fs::read(t.0.join("secret")).ok(),
            Some(b"outside the root".to_vec())
        );
        assert!(!t.0.join("x").exists());
    }

    #[test]
    fn symlinks_inside_the_root_are_never_followed() {
        let t = Tree::new("symlinks");
        let root = t.root();
        let r = root.as_fd();
        for link in ["abs", "rel", "etc", "d/up"] {
            // The link itself may be stat'ed and read; opening through it fails.
            match handle(r, Request::Stat { path: p(link) }).0 {
                Response::Stat(st) => assert_eq!(st.mode & libc::S_IFMT, libc::S_IFLNK),
                other => panic!("stat {link}: {other:?}"),
            }
            assert!(matches!(
                handle(r, Request::ReadLink { path: p(link) }).0,
                Response::Link(_)
            ));
            assert_eq!(err(handle(r, Request::Open { path: p(link) })), libc::ELOOP);
            assert_eq!(
                err(handle(
                    r,
                    Request::OpenWrite {
                        path: p(link),
                        truncate: true
                    }
                )),
                libc::ELOOP
            );
            assert_eq!(
                err(handle(
                    r,
                    Request::SetAttr {
                        path: p(link),
                        attr: SetAttr {
                            mode: Some(0o777),
                            size: Some(0),
                            ..Default::default()
                        }
                    }
                )),
                libc::ELOOP
            );
        }
        // Through a symlinked directory: every operation fails.
        for path in ["etc/shadow", "etc/passwd", "d/up/etc/passwd"] {
            assert_eq!(err(handle(r, Request::Stat { path: p(path) })), libc::ELOOP);
            assert_eq!(err(handle(r, Request::Open { path: p(path) })), libc::ELOOP);
        }
        assert_eq!(
            err(handle(r, Request::ReadDir { path: p("etc") })),
            libc::ELOOP
        );
        assert_eq!(
            err(handle(
                r,
                Request::Create {
                    dir: p("etc"),
                    name: p("evil"),
                    mode: 0o644,
                    uid: 0,
                    gid: 0
                }
            )),
            libc::ELOOP
        );
        assert_eq!(
            err(handle(
                r,
                Request::Unlink {
                    dir: p("d/up"),
                    name: p("secret"),
                    is_dir: false
                }
            )),
            libc::ELOOP
        );
        assert_eq!(
            std::fs::read(t.0.join("secret")).ok(),
            Some(b"outside the root".to_vec())
        );
    }

    #[test]
    fn mutations_stay_beneath_the_root() {
        let t = Tree::new("mutate");
        let root = t.root();
        let r = root.as_fd();
        let uid = rustix::process::geteuid().as_raw();
        let gid = rustix::process::getegid().as_raw();
        let (resp, fd) = handle(
            r,
            Request::Create {
                dir: p("d"),
                name: p("f"),
                mode: 0o640,
                uid,
                gid,
            },
        );
        assert!(matches!(resp, Response::Opened(_)), "{resp:?}");
        let fd = fd.expect("a donated fd");
        assert_eq!(rustix::io::pwrite(&fd, b"hello", 0).ok(), Some(5));
        assert_eq!(
            std::fs::read(t.0.join("root/d/f")).ok(),
            Some(b"hello".to_vec())
        );
        let (resp, fd2) = handle(
            r,
            Request::OpenWrite {
                path: p("d/f"),
                truncate: true,
            },
        );
        assert!(
            matches!(resp, Response::Opened(_)) && fd2.is_some(),
            "{resp:?}"
        );
        assert_eq!(std::fs::read(t.0.join("root/d/f")).ok(), Some(Vec::new()));
        assert!(matches!(
            handle(
                r,
                Request::Mkdir {
                    dir: Vec::new(),
                    name: p("n"),
                    mode: 0o700,
                    uid,
                    gid
                }
            )
            .0,
            Response::Stat(_)
        ));
        assert!(matches!(
            handle(
                r,
                Request::Rename {
                    old_dir: p("d"),
                    old_name: p("f"),
                    new_dir: p("n"),
                    new_name: p("g"),
                    exchange: false,
                }
            )
            .0,
            Response::Done
        ));
        assert!(t.0.join("root/n/g").exists() && !t.0.join("root/d/f").exists());
        match handle(
            r,
            Request::SetAttr {
                path: p("n/g"),
                attr: SetAttr {
                    mode: Some(0o600),
                    size: Some(3),
                    ..Default::default()
                },
            },
        )
        .0
        {
            Response::Stat(st) => {
                assert_eq!(st.mode & 0o7777, 0o600);
                assert_eq!(st.size, 3);
            }
            other => panic!("setattr: {other:?}"),
        }
        // A symlink is created as given and never followed by later requests.
        assert!(matches!(
            handle(
                r,
                Request::Symlink {
                    dir: Vec::new(),
                    name: p("s"),
                    target: p("/etc/shadow"),
                    uid,
                    gid
                }
            )
            .0,
            Response::Stat(_)
        ));
        assert_eq!(err(handle(r, Request::Open { path: p("s") })), libc::ELOOP);
        assert!(matches!(
            handle(
                r,
                Request::Unlink {
                    dir: p("n"),
                    name: p("g"),
                    is_dir: false
                }
            )
            .0,
            Response::Done
        ));
        assert!(matches!(
            handle(
                r,
                Request::Unlink {
                    dir: Vec::new(),
                    name: p("n"),
                    is_dir: true
                }
            )
            .0,
            Response::Done
        ));
        assert!(matches!(
            handle(r, Request::StatFs { path: Vec::new() }).0,
            Response::StatFs(_)
        ));
        // Device nodes are refused.
        assert_eq!(
            err(handle(
                r,
                Request::Mknod {
                    dir: Vec::new(),
                    name: p("dev"),
                    mode: libc::S_IFCHR | 0o666,
                    uid,
                    gid
                }
            )),
            libc::EPERM
        );
    }
}
