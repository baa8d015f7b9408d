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
}

/// The gofer's answer.
#[derive(Debug, Serialize, Deserialize)]
pub enum Response {
    Stat(FileStat),
    Entries(Vec<DirEntry>),
    /// An fd accompanies this response.
    Opened(FileStat),
    Link(Vec<u8>),
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

#[cfg(test)]
mod tests {
    use super::*;

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
