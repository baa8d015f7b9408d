//! Rootfs modes and isolation of the container's files.
//!
//! Each test builds a small rootfs (static busybox and a few files, some symlinks that
//! point out of it) and runs `husk do --rootfs DIR` on it:
//! - the default in-memory overlay leaves the host tree byte-for-byte unchanged;
//! - `--overlay=none` writes through to the host tree, durably (fsync, then kill -9);
//! - symlinks planted in the rootfs resolve inside it, in both modes.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use husk_tests::{husk_bin, status_code, wait_output};

const TIMEOUT: Duration = Duration::from_secs(300);
const BUSYBOX: &str = "/bin/busybox";

/// A scratch rootfs, removed on drop.
struct Rootfs(PathBuf);

impl Rootfs {
    fn new(tag: &str) -> Rootfs {
        let p = std::env::temp_dir().join(format!("husk-rootfs-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        for d in ["bin", "etc", "data/sub", "proc", "dev", "sys", "tmp"] {
            std::fs::create_dir_all(p.join(d)).expect("mkdir");
        }
        std::fs::copy(BUSYBOX, p.join("bin/busybox")).expect("copy busybox");
        std::os::unix::fs::symlink("busybox", p.join("bin/sh")).expect("symlink");
        std::fs::write(p.join("etc/shadow"), "rootfs-shadow\n").expect("write");
        std::fs::write(p.join("etc/passwd"), "root:x:0:0::/:/bin/sh\n").expect("write");
        std::fs::write(p.join("data/keep"), "keep me\n").expect("write");
        std::fs::write(p.join("data/old"), "old name\n").expect("write");
        std::fs::write(p.join("data/gone"), "delete me\n").expect("write");
        std::fs::write(p.join("data/sub/deep"), vec![7u8; 100_000]).expect("write");
        std::fs::set_permissions(p.join("data/keep"), std::fs::Permissions::from_mode(0o640))
            .expect("chmod");
        // Links that would leave the rootfs if a host path walk followed them.
        std::os::unix::fs::symlink("/etc/shadow", p.join("link")).expect("symlink");
        std::os::unix::fs::symlink("../../..", p.join("data/up")).expect("symlink");
        std::os::unix::fs::symlink("/", p.join("slash")).expect("symlink");
        Rootfs(p)
    }
}

impl Drop for Rootfs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn husk(flags: &[&str], rootfs: &Rootfs, script: &str) -> Command {
    let bin = husk_bin();
    assert!(bin.exists(), "husk binary not found at {}", bin.display());
    let mut c = Command::new(bin);
    c.arg("do")
        .args(flags)
        .arg("--rootfs")
        .arg(&rootfs.0)
        .arg("--cwd")
        .arg("/")
        .arg("--")
        .args(["/bin/busybox", "sh", "-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn run(mut c: Command) -> Output {
    let child = c.spawn().expect("spawn husk");
    wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{e:#}"))
}

fn show(out: &Output) -> String {
    format!(
        "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        status_code(out.status),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Everything observable about a tree: per path its type, mode, owner, size, mtime,
/// inode and content (or link target).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .expect("read_dir")
            .map(|e| e.expect("entry").path())
            .collect();
        names.sort();
        for p in names {
            let m = std::fs::symlink_metadata(&p).expect("lstat");
            let content = if m.file_type().is_symlink() {
                format!("-> {}", std::fs::read_link(&p).expect("readlink").display())
            } else if m.is_file() {
                let data = std::fs::read(&p).expect("read");
                // A cheap but content-sensitive digest (FNV-1a over all bytes).
                let mut h: u64 = 0xcbf29ce484222325;
                for b in &data {
                    h = (h ^ *b as u64).wrapping_mul(0x100000001b3);
                }
                format!("len {} fnv {h:016x}", data.len())
            } else {
                String::new()
            };
            out.insert(
                p.strip_prefix(root).expect("prefix").to_path_buf(),
                format!(
                    "mode {:o} uid {} gid {} size {} mtime {}.{} ino {} {content}",
                    m.mode(),
                    m.uid(),
                    m.gid(),
                    m.size(),
                    m.mtime(),
                    m.mtime_nsec(),
                    m.ino()
                ),
            );
            if m.is_dir() {
                walk(root, &p, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// A workload that writes, renames, deletes, truncates, chmods and links.
const WORKLOAD: &str = "set -e
echo new > /data/new
echo appended >> /data/keep
mv /data/old /data/renamed
rm /data/gone
truncate -s 10 /data/sub/deep
chmod 600 /data/keep
mkdir /data/dir && echo x > /data/dir/x && rm -r /data/sub
ln -s /etc/passwd /data/newlink
echo into-link > /link
mkdir -p /tmp/t && echo t > /tmp/t/f
cat /data/keep /data/renamed /data/new
test ! -e /data/gone
echo workload-done";

#[test]
fn overlay_memory_leaves_the_host_tree_unchanged() {
    let r = Rootfs::new("memory");
    let before = snapshot(&r.0);
    for flags in [&[][..], &["--overlay=memory"][..]] {
        let out = run(husk(flags, &r, WORKLOAD));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("workload-done"),
            "{}",
            show(&out)
        );
        assert!(
            stdout.contains("keep me\nappended\nold name\nnew\n"),
            "{}",
            show(&out)
        );
        let after = snapshot(&r.0);
        assert_eq!(
            before, after,
            "the overlay changed the host tree ({flags:?})"
        );
    }
}

#[test]
fn overlay_none_writes_reach_the_host() {
    let r = Rootfs::new("none");
    let out = run(husk(&["--overlay=none"], &r, WORKLOAD));
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("workload-done"),
        "{}",
        show(&out)
    );
    let p = &r.0;
    let read =
        |rel: &str| std::fs::read_to_string(p.join(rel)).unwrap_or_else(|e| format!("<{e}>"));
    assert_eq!(read("data/new"), "new\n");
    assert_eq!(read("data/keep"), "keep me\nappended\n");
    assert_eq!(read("data/renamed"), "old name\n");
    assert!(!p.join("data/old").exists() && !p.join("data/gone").exists());
    assert!(!p.join("data/sub").exists());
    assert_eq!(read("data/dir/x"), "x\n");
    let mode = std::fs::metadata(p.join("data/keep"))
        .map(|m| m.mode() & 0o7777)
        .ok();
    assert_eq!(mode, Some(0o600));
    assert_eq!(
        std::fs::read_link(p.join("data/newlink")).ok(),
        Some(PathBuf::from("/etc/passwd"))
    );
    // Writing through /link (-> /etc/shadow) wrote the rootfs's /etc/shadow.
    assert_eq!(read("etc/shadow"), "into-link\n");
    // And the host's own files were not touched.
    assert_ne!(
        std::fs::read_to_string("/etc/shadow").unwrap_or_default(),
        "into-link\n"
    );
    assert_eq!(read("tmp/t/f"), "t\n");
}

#[test]
fn overlay_none_fsynced_data_survives_kill_9() {
    let r = Rootfs::new("kill9");
    let script = "set -e
busybox dd if=/dev/zero of=/data/big bs=4096 count=64 conv=fsync 2>/dev/null
echo durable | busybox dd of=/data/small conv=fsync 2>/dev/null
echo ready > /data/ready
exec sleep 1000";
    let child = husk(&["--overlay=none"], &r, script)
        .spawn()
        .expect("spawn husk");
    let deadline = Instant::now() + Duration::from_secs(120);
    while !r.0.join("data/ready").exists() {
        assert!(Instant::now() < deadline, "the workload never got ready");
        std::thread::sleep(Duration::from_millis(50));
    }
    // SIGKILL the Sentry (`husk do` is the Sentry).
    let pid = child.id();
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
    let out = wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(status_code(out.status), 128 + 9, "{}", show(&out));
    assert_eq!(
        std::fs::read_to_string(r.0.join("data/small"))
            .ok()
            .as_deref(),
        Some("durable\n")
    );
    let big = std::fs::read(r.0.join("data/big")).unwrap_or_default();
    assert_eq!(big.len(), 64 * 4096);
    assert!(big.iter().all(|&b| b == 0));
}

#[test]
fn planted_symlinks_resolve_inside_the_rootfs() {
    let r = Rootfs::new("links");
    let script = "cat /link
cat /data/up/etc/shadow
cat /slash/etc/passwd
ls /data/up/ | tr '\\n' ' '; echo
cd /data/up/../../.. && pwd && ls | tr '\\n' ' '; echo
readlink /link";
    for flags in [&[][..], &["--overlay=none"][..]] {
        let out = run(husk(flags, &r, script));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{flags:?}: {}", show(&out));
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(
            lines.first().copied(),
            Some("rootfs-shadow"),
            "{}",
            show(&out)
        );
        assert_eq!(
            lines.get(1).copied(),
            Some("rootfs-shadow"),
            "{}",
            show(&out)
        );
        assert_eq!(
            lines.get(2).copied(),
            Some("root:x:0:0::/:/bin/sh"),
            "{}",
            show(&out)
        );
        // The root's listing is the rootfs's, not the host's.
        for listing in [lines.get(3), lines.get(5)] {
            let l = listing.copied().unwrap_or_default();
            assert!(l.contains("data") && l.contains("link"), "{}", show(&out));
            assert!(!l.contains("usr") && !l.contains("home"), "{}", show(&out));
        }
        assert_eq!(lines.get(4).copied(), Some("/"), "{}", show(&out));
        assert_eq!(lines.get(6).copied(), Some("/etc/shadow"), "{}", show(&out));
    }
    // Without a rootfs /etc/shadow the link dangles rather than reaching the host's.
    std::fs::remove_file(r.0.join("etc/shadow")).expect("rm");
    for flags in [&[][..], &["--overlay=none"][..]] {
        let out = run(husk(flags, &r, "cat /link /data/up/etc/shadow"));
        assert_ne!(status_code(out.status), 0, "{}", show(&out));
        assert!(out.stdout.is_empty(), "{}", show(&out));
    }
}

#[test]
fn host_proc_entries_are_not_reachable() {
    let r = Rootfs::new("proc");
    let me = std::process::id();
    let script = format!(
        "ls /proc/1/root/ | tr '\\n' ' '; echo
cat /proc/{me}/cmdline && echo host-pid-$((1+1))-visible
cat /proc/1/cmdline | tr '\\0' ' '; echo"
    );
    let out = run(husk(&[], &r, &script));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let root = lines.first().copied().unwrap_or_default();
    assert!(
        root.contains("data") && root.contains("link"),
        "{}",
        show(&out)
    );
    assert!(!stdout.contains("host-pid-2-visible"), "{}", show(&out));
    // The sandbox's pid 1 is its own init (busybox), not the host's.
    assert!(
        stdout.contains("/bin/busybox sh -c ls /proc/1/root/"),
        "{}",
        show(&out)
    );
}

#[test]
fn overlay_none_shared_mapping_writes_reach_the_host() {
    let r = Rootfs::new("shared-map");
    let src = husk_tests::workspace_root().join("tests/rootfs/shared_map_writer.c");
    husk_tests::compile_c(&src, &r.0.join("bin/shared_map_writer"), &[])
        .unwrap_or_else(|e| panic!("{e:#}"));
    let out = run(husk(&["--overlay=none"], &r, "/bin/shared_map_writer"));
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "read sees: KEEP me\n",
        "{}",
        show(&out)
    );
    let read = |p: &str| std::fs::read_to_string(r.0.join(p)).expect("read");
    assert_eq!(read("data/keep"), "KEEP me\n", "munmap did not write back");
    assert_eq!(read("data/old"), "OLD!name\n", "exit did not write back");
}

/// [`find_gofer`], waiting up to a minute for the sandbox to start it.
fn wait_for_gofer(root: &Path) -> Option<u32> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let found = find_gofer(root);
        if found.is_some() || std::time::Instant::now() >= deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The gofer process of the running sandbox whose rootfs is `root`, by its command line.
fn find_gofer(root: &Path) -> Option<u32> {
    let want = root.to_string_lossy().into_owned();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if args.iter().any(|a| a == "gofer") && args.contains(&want) {
            return Some(pid);
        }
    }
    None
}

#[test]
fn gofer_is_confined_to_the_rootfs() {
    let r = Rootfs::new("gofer-confined");
    let mut c = husk(&["--overlay=none"], &r, "cat /etc/shadow; sleep 30");
    let child = c.spawn().expect("spawn husk");
    let gofer = wait_for_gofer(&r.0);
    // Let the gofer finish confining itself: the sandbox has read a file by now.
    std::thread::sleep(Duration::from_millis(500));
    let observed = gofer.map(|pid| {
        let ns = |p: String| std::fs::read_link(p).map(|l| l.to_string_lossy().into_owned());
        let list = |p: &Path| -> Vec<String> {
            let mut v: Vec<String> = std::fs::read_dir(p)
                .map(|d| {
                    d.flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            v.sort();
            v
        };
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        (
            ns(format!("/proc/{pid}/ns/mnt")).ok(),
            ns("/proc/self/ns/mnt".to_string()).ok(),
            list(Path::new(&format!("/proc/{pid}/root"))),
            status.lines().any(|l| l == "NoNewPrivs:\t1")
                && status.lines().any(|l| l == "Seccomp:\t2"),
        )
    });
    // End the sandbox before asserting.
    let _ = nix_kill(child.id());
    let out = wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{e:#}"));
    let (gofer_ns, my_ns, root_list, nnp) =
        observed.unwrap_or_else(|| panic!("no gofer process found\n{}", show(&out)));
    assert!(
        gofer_ns.is_some(),
        "cannot read the gofer's mount namespace"
    );
    assert_ne!(
        gofer_ns, my_ns,
        "the gofer shares the host's mount namespace"
    );
    assert_eq!(
        root_list,
        {
            let mut v: Vec<String> = std::fs::read_dir(&r.0)
                .expect("read rootfs")
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        },
        "the gofer's / is not the rootfs"
    );
    assert!(nnp, "the gofer lacks no_new_privs or its seccomp filter");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("rootfs-shadow"),
        "{}",
        show(&out)
    );
}

/// A gofer that dies while the sandbox runs (killed here) stops the sandbox: one line
/// says why, the exit status is 137 (the application was killed), and nothing is left
/// behind holding the sandbox's stdio.
#[test]
fn killed_gofer_stops_the_sandbox() {
    let r = Rootfs::new("gofer-killed");
    let child = husk(&[], &r, "echo started; sleep 30; echo survived")
        .spawn()
        .expect("spawn husk");
    let gofer = wait_for_gofer(&r.0);
    // The application runs by now (it needed the gofer for /bin/busybox).
    std::thread::sleep(Duration::from_millis(500));
    let killed = gofer.map(nix_kill);
    let out = wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{e:#}"));
    assert!(
        killed.is_some_and(|k| k.is_ok_and(|s| s.success())),
        "no gofer found to kill\n{}",
        show(&out)
    );
    assert_eq!(status_code(out.status), 137, "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "started\n",
        "{}",
        show(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("husk: the gofer serving / exited: the sandbox was stopped"),
        "{}",
        show(&out)
    );
}

/// Sends SIGKILL to `pid` with the kill(1) program (tests keep to safe Rust).
fn nix_kill(pid: u32) -> std::io::Result<std::process::ExitStatus> {
    Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
}
