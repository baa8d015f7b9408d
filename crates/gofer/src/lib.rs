//! The gofer: a separate host process that alone opens the container's files. The Sentry
//! asks it over a Unix socket; it answers with metadata and donates file descriptors.
//!
//! Paths in requests are relative to the gofer's root, already resolved by the Sentry (no
//! symlinks, no `..`): the gofer opens them with `openat2(RESOLVE_BENEATH |
//! RESOLVE_NO_SYMLINKS)`, so nothing outside the root is ever reachable through it.

#![forbid(unsafe_code)]

mod server;
mod wire;

pub use server::serve;
pub use wire::Client;

use serde::{Deserialize, Serialize};

/// File metadata as the gofer reports it.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FileStat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blocks: u64,
    pub atime: (i64, i64),
    pub mtime: (i64, i64),
    pub ctime: (i64, i64),
}

/// A directory entry with its metadata (and link target for symlinks).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DirEntry {
    pub name: Vec<u8>,
    pub stat: FileStat,
    pub link: Option<Vec<u8>>,
}

/// A request from the Sentry.
#[derive(Debug, Serialize, Deserialize)]
pub enum Request {
    /// Metadata of a path (not following a final symlink).
    Stat { path: Vec<u8> },
    /// All entries of a directory.
    ReadDir { path: Vec<u8> },
    /// Open a regular file read-only; the fd is donated.
    Open { path: Vec<u8> },
    /// The target of a symlink.
    ReadLink { path: Vec<u8> },
    /// Open an existing regular file read-write (truncating it first if `truncate`);
    /// the fd is donated. O_APPEND is the Sentry's business: it writes at the size.
    OpenWrite { path: Vec<u8>, truncate: bool },
    /// Create regular file `name` in directory `dir` (O_EXCL) and open it read-write;
    /// the fd is donated.
    Create {
        dir: Vec<u8>,
        name: Vec<u8>,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    /// Create directory `name` in `dir`.
    Mkdir {
        dir: Vec<u8>,
        name: Vec<u8>,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    /// Create symlink `name` in `dir` pointing at `target` (never followed by the gofer).
    Symlink {
        dir: Vec<u8>,
        name: Vec<u8>,
        target: Vec<u8>,
        uid: u32,
        gid: u32,
    },
    /// Create a FIFO or socket file `name` in `dir` (`mode` holds the type; no devices).
    Mknod {
        dir: Vec<u8>,
        name: Vec<u8>,
        mode: u32,
        uid: u32,
        gid: u32,
    },
    /// Remove `name` from `dir` (rmdir if `is_dir`).
    Unlink {
        dir: Vec<u8>,
        name: Vec<u8>,
        is_dir: bool,
    },
    /// Rename (or with `exchange`, atomically swap) `old_dir/old_name` and
    /// `new_dir/new_name`.
    Rename {
        old_dir: Vec<u8>,
        old_name: Vec<u8>,
        new_dir: Vec<u8>,
        new_name: Vec<u8>,
        exchange: bool,
    },
    /// A hard link `dir/name` to the existing non-directory `target`.
    Link {
        target: Vec<u8>,
        dir: Vec<u8>,
        name: Vec<u8>,
    },
    /// Change attributes of a path (never following a final symlink).
    SetAttr { path: Vec<u8>, attr: SetAttr },
    /// File system statistics of the file system holding `path`.
    StatFs { path: Vec<u8> },
}

/// Attribute changes; `None` leaves a field alone. Times: (sec, nsec) with nsec as
/// utimensat's (UTIME_NOW / UTIME_OMIT allowed).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SetAttr {
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<(i64, i64)>,
    pub mtime: Option<(i64, i64)>,
}

/// statfs(2) fields.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct FsStat {
    pub fs_type: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub namelen: u64,
    pub frsize: u64,
    pub flags: u64,
}

/// The gofer's answer.
#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    Stat(FileStat),
    Entries(Vec<DirEntry>),
    /// An fd accompanies this response.
    Opened(FileStat),
    Link(Vec<u8>),
    StatFs(FsStat),
    /// The request succeeded and has nothing to report.
    Done,
    /// An errno value.
    Error(i32),
}

/// Checks a request path: relative, no empty, `.` or `..` components.
pub fn valid_path(path: &[u8]) -> bool {
    if path.is_empty() {
        return true;
    }
    if path[0] == b'/' || path.contains(&0) {
        return false;
    }
    path.split(|&c| c == b'/')
        .all(|c| !c.is_empty() && c != b"." && c != b"..")
}

/// Checks a single name: non-empty, no `/`, not `.` or `..`, no NUL.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != b"."
        && name != b".."
        && !name.contains(&b'/')
        && !name.contains(&0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_escape_are_invalid() {
        assert!(valid_name(b"file"));
        assert!(valid_name(b"..."));
        assert!(!valid_name(b""));
        assert!(!valid_name(b"."));
        assert!(!valid_name(b".."));
        assert!(!valid_name(b"a/b"));
        assert!(!valid_name(b"/etc"));
        assert!(!valid_name(b"a\0"));
    }

    #[test]
    fn paths_that_could_escape_are_invalid() {
        assert!(valid_path(b""));
        assert!(valid_path(b"usr/bin/ls"));
        assert!(!valid_path(b"/etc/shadow"));
        assert!(!valid_path(b"../etc"));
        assert!(!valid_path(b"usr/../../etc"));
        assert!(!valid_path(b"usr//bin"));
        assert!(!valid_path(b"usr/./bin"));
        assert!(!valid_path(b"a\0b"));
    }
}
