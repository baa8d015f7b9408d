//! Isolation: what the sandboxed program sees of the host, and what it cannot change.
//!
//! Under the default rootfs (the host's `/`, read-only, under a writable in-memory
//! layer) writes succeed inside the sandbox but never reach the host; the sandbox has its
//! own kernel release, its own `/proc` and pid numbers, cannot signal host processes, and
//! the Sentry runs under a seccomp filter that kills it should it open a host path after
//! start-up.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use husk_tests::{husk_bin, status_code, wait_output};

const TIMEOUT: Duration = Duration::from_secs(300);

fn husk_do(cmd: &[&str]) -> Command {
    let bin = husk_bin();
    assert!(
        bin.exists(),
        "husk binary not found at {} (cargo build --release, or set HUSK_BIN)",
        bin.display()
    );
    let mut c = Command::new(bin);
    c.arg("do").arg("--").args(cmd);
    c
}

fn run(mut c: Command) -> Output {
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{e:#}"))
}

fn husk_sh(script: &str) -> Output {
    run(husk_do(&["/bin/sh", "-c", script]))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "status {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        status_code(out.status),
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// A host file or directory, removed again on drop.
struct HostPath(PathBuf);

impl HostPath {
    fn new(tag: &str) -> HostPath {
        let p = std::env::temp_dir().join(format!("husk-sec-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_file(&p);
        let _ = std::fs::remove_dir_all(&p);
        HostPath(p)
    }
    fn s(&self) -> String {
        self.0.to_string_lossy().into_owned()
    }
}

impl Drop for HostPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What must not change on a host file: contents, mode, owner, size, mtime, inode.
#[derive(Debug, PartialEq)]
struct Fingerprint {
    data: String,
    mode: u32,
    uid: u32,
    size: u64,
    mtime: (i64, i64),
    ino: u64,
}

fn fingerprint(p: &Path) -> Option<Fingerprint> {
    let m = std::fs::symlink_metadata(p).ok()?;
    Some(Fingerprint {
        data: if m.is_file() {
            String::from_utf8_lossy(&std::fs::read(p).ok()?).into_owned()
        } else {
            String::new()
        },
        mode: m.mode(),
        uid: m.uid(),
        size: m.size(),
        mtime: (m.mtime(), m.mtime_nsec()),
        ino: m.ino(),
    })
}

#[test]
fn uname_release_is_husks_own() {
    let host = text(
        &Command::new("uname")
            .arg("-r")
            .output()
            .expect("uname")
            .stdout,
    );
    let out = run(husk_do(&["/bin/uname", "-r"]));
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    let inside = text(&out.stdout);
    assert!(
        inside.contains("husk"),
        "release should name husk: {inside:?}"
    );
    assert_ne!(
        inside.trim(),
        host.trim(),
        "the host's release leaked into the sandbox"
    );
}

#[test]
fn proc_lists_only_sandbox_processes() {
    let out = run(husk_do(&["/bin/ls", "/proc"]));
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    let pids: Vec<u64> = text(&out.stdout)
        .split_whitespace()
        .filter_map(|s| s.parse().ok())
        .collect();
    assert!(
        pids.contains(&1),
        "no pid 1 in the sandbox's /proc: {pids:?}"
    );
    assert!(pids.len() < 10, "too many processes visible: {pids:?}");
    let me = u64::from(std::process::id());
    if me >= 10 {
        assert!(
            !pids.contains(&me),
            "the test's own pid {me} is visible: {pids:?}"
        );
    }
}

#[test]
fn pid_1_is_the_sandboxed_program() {
    let out =
        husk_sh("tr '\\0' ' ' < /proc/1/cmdline; echo; echo \"pid $$\"; readlink /proc/self/exe");
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    assert!(
        lines
            .first()
            .is_some_and(|l| l.starts_with("/bin/sh -c ") && !l.contains("husk do")),
        "pid 1 should be the program itself:\n{s}"
    );
    assert_eq!(lines.get(1), Some(&"pid 1"), "{s}");
    let native = Command::new("/bin/sh")
        .args(["-c", "readlink /proc/self/exe"])
        .output()
        .expect("native readlink");
    let native = text(&native.stdout);
    assert_eq!(
        lines.get(2).copied(),
        Some(native.trim()),
        "/proc/self/exe:\n{s}"
    );
}

#[test]
fn new_file_in_etc_stays_in_the_sandbox() {
    let host = Path::new("/etc/husk-test-file");
    let _ = std::fs::remove_file(host);
    let out = husk_sh(
        "echo sandbox > /etc/husk-test-file && cat /etc/husk-test-file && \
         cp /bin/true /usr/bin/husk-test-true && /usr/bin/husk-test-true && echo copied",
    );
    let leaked = [host.exists(), Path::new("/usr/bin/husk-test-true").exists()];
    let _ = std::fs::remove_file(host);
    let _ = std::fs::remove_file("/usr/bin/husk-test-true");
    assert_eq!(leaked, [false, false], "sandbox writes reached the host");
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_eq!(text(&out.stdout), "sandbox\ncopied\n", "{}", show(&out));
}

#[test]
fn append_to_host_file_stays_in_the_sandbox() {
    let f = HostPath::new("append");
    std::fs::write(&f.0, "host line\n").unwrap();
    let before = fingerprint(&f.0);
    let out = husk_sh(&format!("echo sandbox line >> {0} && cat {0}", f.s()));
    assert_eq!(fingerprint(&f.0), before, "host file changed");
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_eq!(
        text(&out.stdout),
        "host line\nsandbox line\n",
        "{}",
        show(&out)
    );
}

#[test]
fn delete_of_host_file_stays_in_the_sandbox() {
    let f = HostPath::new("delete");
    std::fs::write(&f.0, "keep me\n").unwrap();
    let before = fingerprint(&f.0);
    let out = husk_sh(&format!("rm {0} && test ! -e {0} && echo gone", f.s()));
    assert_eq!(fingerprint(&f.0), before, "host file deleted or changed");
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_eq!(text(&out.stdout), "gone\n", "{}", show(&out));
}

#[test]
fn metadata_changes_stay_in_the_sandbox() {
    let f = HostPath::new("meta");
    let moved = HostPath::new("meta-moved");
    let dir = HostPath::new("newdir");
    let link = HostPath::new("link");
    std::fs::write(&f.0, "0123456789\n").unwrap();
    let before = fingerprint(&f.0);
    let script = format!(
        "chmod 777 {f} && truncate -s 3 {f} && touch -d @0 {f} && mv {f} {m} && \
         mkdir {d} && ln -s /etc/passwd {l} && stat -c '%a %s %Y' {m} && test ! -e {f} && echo ok",
        f = f.s(),
        m = moved.s(),
        d = dir.s(),
        l = link.s()
    );
    let out = husk_sh(&script);
    assert_eq!(fingerprint(&f.0), before, "host file changed");
    assert!(
        !moved.0.exists() && !dir.0.exists(),
        "rename or mkdir reached the host"
    );
    assert!(
        std::fs::symlink_metadata(&link.0).is_err(),
        "symlink reached the host"
    );
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_eq!(text(&out.stdout), "777 3 0\nok\n", "{}", show(&out));
}

/// The Sentry: the child of the `husk do` process (which stays behind as the waiter).
fn sentry_of(husk_pid: u32) -> Option<u32> {
    let tasks = std::fs::read_dir(format!("/proc/{husk_pid}/task")).ok()?;
    for t in tasks.flatten() {
        let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        if let Some(c) = children.split_whitespace().find_map(|c| c.parse().ok()) {
            return Some(c);
        }
    }
    None
}

/// What the host sees of a running Sentry.
#[derive(Debug, Default)]
struct SentryView {
    status: String,
    /// Namespace links (pid, mnt, net, ipc, uts) of the Sentry and of this process.
    ns: Vec<(String, Option<PathBuf>, Option<PathBuf>)>,
    /// Entries of the Sentry's root directory.
    root: Vec<String>,
}

/// Starts a sandbox running `sleep 30`, waits until its Sentry is under seccomp, and
/// records what the host sees of it; then ends the sandbox.
fn observe_sentry() -> SentryView {
    observe_sentry_of(
        husk_do(&["/bin/sleep", "30"]),
        &["pid", "mnt", "net", "ipc", "uts"],
    )
}

fn observe_sentry_of(mut c: Command, namespaces: &[&str]) -> SentryView {
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut view = SentryView::default();
    while Instant::now() < deadline {
        if let Some(s) = sentry_of(child.id()) {
            let status = std::fs::read_to_string(format!("/proc/{s}/status")).unwrap_or_default();
            if status.lines().any(|l| l == "Seccomp:\t2") {
                view.status = status;
                for &ns in namespaces {
                    view.ns.push((
                        ns.to_string(),
                        std::fs::read_link(format!("/proc/{s}/ns/{ns}")).ok(),
                        std::fs::read_link(format!("/proc/self/ns/{ns}")).ok(),
                    ));
                }
                view.root = std::fs::read_dir(format!("/proc/{s}/root"))
                    .map(|d| {
                        d.flatten()
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .collect()
                    })
                    .unwrap_or_else(|e| vec![format!("<{e}>")]);
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    view
}

#[test]
fn sentry_runs_confined() {
    let v = observe_sentry();
    assert!(
        !v.status.is_empty(),
        "the Sentry never showed Seccomp:\t2 (filter mode) on the host"
    );
    for want in [
        "NoNewPrivs:\t1",
        "CapEff:\t0000000000000000",
        "CapPrm:\t0000000000000000",
    ] {
        assert!(
            v.status.lines().any(|l| l == want),
            "the Sentry's status lacks {want:?}:\n{}",
            v.status
        );
    }
    assert!(
        v.status.lines().any(|l| l == "CapBnd:\t0000000000000000"),
        "the Sentry kept a bounding set:\n{}",
        v.status
    );
    assert_own_namespaces_and_empty_root(&v);
}

fn assert_own_namespaces_and_empty_root(v: &SentryView) {
    for (ns, sentry, host) in &v.ns {
        assert!(sentry.is_some(), "cannot read the Sentry's {ns} namespace");
        assert_ne!(sentry, host, "the Sentry shares the host's {ns} namespace");
    }
    assert!(
        v.root.is_empty(),
        "the Sentry's root is not empty: {:?}",
        v.root
    );
}

/// Without privileges (as nobody) the Sentry starts in a user namespace of its own
/// first, then the same namespaces, filter and empty root as when root starts it.
#[test]
fn unprivileged_sentry_runs_confined_in_a_user_namespace() {
    use std::os::unix::process::CommandExt;
    let nobody = |c: &mut Command| {
        c.uid(65534).gid(65534);
    };
    let mut probe = husk_do(&["/bin/true"]);
    nobody(&mut probe);
    let out = run(probe);
    if !out.status.success() {
        // The checkout may not be readable by nobody (a private home directory).
        eprintln!("husk do as nobody failed, skipped: {}", show(&out));
        return;
    }
    let mut c = husk_do(&["/bin/sleep", "30"]);
    nobody(&mut c);
    let v = observe_sentry_of(c, &["user", "pid", "mnt", "net", "ipc", "uts"]);
    assert!(!v.status.is_empty(), "the Sentry never showed Seccomp:\t2");
    assert!(
        v.status.lines().any(|l| l == "NoNewPrivs:\t1"),
        "{}",
        v.status
    );
    assert!(
        v.status
            .lines()
            .any(|l| l == "Uid:\t65534\t65534\t65534\t65534"),
        "{}",
        v.status
    );
    assert_own_namespaces_and_empty_root(&v);
}

#[test]
fn host_syscall_outside_the_policy_kills_the_sentry() {
    // A test hook makes the Sentry issue syslog(2), which its policy does not list.
    let mut c = husk_do(&["/bin/true"]);
    c.env("HUSK_TEST_FORBIDDEN_SYSCALL", "1");
    let out = run(c);
    assert_eq!(status_code(out.status), 128 + 31, "{}", show(&out));
    let err = text(&out.stderr);
    assert!(err.contains("SIGSYS"), "{}", show(&out));
    assert!(!err.contains("did not stop it"), "{}", show(&out));
}

#[test]
fn file_heavy_workload_needs_no_host_open_by_the_sentry() {
    // The Sentry's seccomp filter kills it if it opens a host path after start-up, so a
    // workload touching thousands of files must get them all through the gofer.
    let sh: &[&str] = if Path::new("/bin/busybox").exists() {
        &["/bin/busybox", "sh", "-c"]
    } else {
        &["/bin/sh", "-c"]
    };
    let script = "cat /etc/passwd >/dev/null; ls -R /usr/share/doc >/dev/null; \
                  find /usr/lib -name '*.so' | wc -l";
    let cmd: Vec<&str> = sh.iter().copied().chain([script]).collect();
    let mut native = Command::new(cmd[0]);
    native.args(&cmd[1..]);
    let n = run(native);
    let h = run(husk_do(&cmd));
    assert_eq!(status_code(h.status), 0, "{}", show(&h));
    assert_eq!(
        text(&h.stdout),
        text(&n.stdout),
        "find counted differently:\n{}",
        show(&h)
    );
}

#[test]
fn cannot_signal_a_host_process() {
    let mut sleeper = Command::new("sleep")
        .arg("100")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn host sleep");
    let pid = sleeper.id();
    let out = husk_sh(&format!(
        "kill -9 {pid} 2>/dev/null; echo \"kill status $?\""
    ));
    std::thread::sleep(Duration::from_millis(200));
    let alive = sleeper.try_wait().expect("try_wait").is_none();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(alive, "the sandbox killed host pid {pid}:\n{}", show(&out));
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_ne!(
        text(&out.stdout).trim(),
        "kill status 0",
        "kill of a host pid succeeded"
    );
}

#[test]
fn ptrace_reaches_neither_the_sentry_nor_the_host() {
    // PTRACE_ATTACH (16) to the sandbox's init, to this test process's host pid and to
    // pid 2, and PTRACE_TRACEME (0): all fail inside the sandbox (husk does not offer
    // ptrace to applications), and the Sentry stays untraced.
    let me = std::process::id();
    let script = format!(
        "import ctypes\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         for pid in (1, {me}, 2):\n\
         \x20   r = libc.ptrace(16, pid, 0, 0)\n\
         \x20   print('attach', 'ok' if r == 0 else 'failed')\n\
         r = libc.ptrace(0, 0, 0, 0)\n\
         print('traceme', 'ok' if r == 0 else 'failed')\n"
    );
    if !Path::new("/usr/bin/python3").exists() {
        eprintln!("python3 not installed: skipped");
        return;
    }
    let mut c = husk_do(&["/usr/bin/python3", "-c", &script]);
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let husk_pid = child.id();
    let out = wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_eq!(
        text(&out.stdout),
        "attach failed\nattach failed\nattach failed\ntraceme failed\n",
        "{}",
        show(&out)
    );
    // Nothing on the host became a tracer of this test or of the (gone) sandbox.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    assert!(
        status.lines().any(|l| l == "TracerPid:\t0"),
        "this test process got traced (husk pid {husk_pid}):\n{status}"
    );
}
