//! Finding the container's program at `create`, as runc does (its init looks the
//! program up before create returns), so that a missing program fails `create` and
//! not `start`: containerd's `ctr run --rm` then cleans up as it does for runc, where a
//! failed `start` would leave a stopped task behind.
//!
//! The lookup walks the rootfs on the host, following symlinks inside it (an absolute
//! target starts again at the rootfs, `..` stops at it). It only ever refuses what is
//! certainly missing: a path that reaches a mount of the container (`mounts`, the
//! Sentry's /proc, /dev, /sys) is not judged here, and the Sentry's own lookup at
//! `start` stays the final word.

use std::path::{Path, PathBuf};

/// The outcome of resolving a path inside the rootfs.
#[derive(Debug, PartialEq, Eq)]
enum Found {
    /// A regular file, with its mode.
    File(u32),
    /// A directory or other non-regular file.
    Other,
    Missing,
    /// The path reaches a mount (or a symlink loop): not judged here.
    Unknown,
}

/// Whether container path `p` (components, absolute) is at or under a mount.
fn under_mount(p: &[String], mounts: &[String]) -> bool {
    let joined = format!("/{}", p.join("/"));
    ["/proc", "/dev", "/sys"]
        .iter()
        .map(|s| s.to_string())
        .chain(mounts.iter().cloned())
        .any(|m| {
            let m = m.trim_end_matches('/');
            m.is_empty() || joined == m || joined.starts_with(&format!("{m}/"))
        })
}

/// Resolves absolute container path `path` in `root`.
fn resolve(root: &Path, path: &str, mounts: &[String]) -> Found {
    let mut todo: Vec<String> = path
        .split('/')
        .filter(|c| !c.is_empty())
        .rev()
        .map(str::to_string)
        .collect();
    let mut cur: Vec<String> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        match c.as_str() {
            "." => continue,
            ".." => {
                cur.pop();
                continue;
            }
            _ => {}
        }
        cur.push(c);
        if under_mount(&cur, mounts) {
            return Found::Unknown;
        }
        let host: PathBuf = cur.iter().fold(root.to_path_buf(), |p, c| p.join(c));
        let md = match std::fs::symlink_metadata(&host) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Found::Missing,
            Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => return Found::Missing,
            Err(_) => return Found::Unknown,
        };
        if md.file_type().is_symlink() {
            links += 1;
            if links > 40 {
                return Found::Unknown;
            }
            let Ok(target) = std::fs::read_link(&host) else {
                return Found::Unknown;
            };
            let target = target.to_string_lossy().into_owned();
            cur.pop();
            if target.starts_with('/') {
                cur.clear();
            }
            todo.extend(
                target
                    .split('/')
                    .filter(|c| !c.is_empty())
                    .rev()
                    .map(str::to_string),
            );
            continue;
        }
        if todo.is_empty() {
            use std::os::unix::fs::PermissionsExt;
            return if md.is_file() {
                Found::File(md.permissions().mode())
            } else {
                Found::Other
            };
        }
        if !md.is_dir() {
            return Found::Missing;
        }
    }
    // The rootfs itself (path "/" or made of "..").
    Found::Other
}

/// Checks that the container's program `prog` can be found: an error (runc's words)
/// only when it is certainly missing from the rootfs.
pub fn check_program(
    root: &Path,
    prog: &str,
    env: &[String],
    cwd: &str,
    mounts: &[String],
) -> Result<(), String> {
    if prog.is_empty() {
        return Ok(());
    }
    if prog.contains('/') {
        let path = if prog.starts_with('/') {
            prog.to_string()
        } else {
            format!("{}/{prog}", cwd.trim_end_matches('/'))
        };
        return match resolve(root, &path, mounts) {
            Found::Missing => Err(format!(
                "exec: {prog:?}: stat {prog}: no such file or directory"
            )),
            _ => Ok(()),
        };
    }
    // A bare name: searched in the config's PATH (none: left to the Sentry).
    let Some(path) = env.iter().find_map(|e| e.strip_prefix("PATH=")) else {
        return Ok(());
    };
    for dir in path.split(':') {
        let dir = if dir.is_empty() { "." } else { dir };
        let full = if dir.starts_with('/') {
            format!("{dir}/{prog}")
        } else {
            format!("{}/{dir}/{prog}", cwd.trim_end_matches('/'))
        };
        match resolve(root, &full, mounts) {
            Found::File(mode) if mode & 0o111 != 0 => return Ok(()),
            Found::Unknown => return Ok(()),
            _ => {}
        }
    }
    Err(format!(
        "exec: {prog:?}: executable file not found in $PATH"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, PermissionsExt};

    #[test]
    fn lookups() {
        let dir = std::env::temp_dir().join(format!("husk-lookup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let bin = dir.join("usr/bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        std::fs::create_dir_all(dir.join("data")).expect("mkdir");
        std::fs::write(bin.join("busybox"), b"x").expect("write");
        std::fs::set_permissions(bin.join("busybox"), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::fs::write(bin.join("plain"), b"x").expect("write");
        symlink("usr/bin", dir.join("bin")).expect("symlink");
        symlink("/usr/bin/busybox", bin.join("sh")).expect("symlink");
        symlink("../../../../usr/bin/busybox", bin.join("up")).expect("symlink");
        symlink("loop", bin.join("loop")).expect("symlink");
        let env = vec!["PATH=/usr/local/bin:/bin".to_string()];
        let none: Vec<String> = Vec::new();
        let ok = |p: &str| check_program(&dir, p, &env, "/", &none);
        assert!(ok("/bin/sh").is_ok());
        assert!(ok("/usr/bin/up").is_ok());
        assert!(ok("sh").is_ok());
        assert!(ok("../bin/sh").is_ok());
        assert!(ok("/bin/loop").is_ok(), "a loop is left to the Sentry");
        let e = ok("/nonexistent").expect_err("missing");
        assert_eq!(
            e,
            "exec: \"/nonexistent\": stat /nonexistent: no such file or directory"
        );
        assert!(ok("/bin/sh/x").is_err());
        assert!(ok("plain").is_err(), "not executable");
        assert!(ok("nosuch").is_err());
        assert!(check_program(&dir, "nosuch", &[], "/", &none).is_ok());
        // Under a mount or the Sentry's file systems: not judged.
        let mounts = vec!["/data/tools".to_string()];
        assert!(check_program(&dir, "/data/tools/x", &env, "/", &mounts).is_ok());
        assert!(ok("/proc/self/exe").is_ok());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
