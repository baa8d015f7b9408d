//! containerd with husk as the runtime binary of its runc shim v2
//! (`ctr run --runc-binary husk`, what `BinaryName = husk` does in containerd's config),
//! compared with runc: each scenario runs with runc and with husk, and the container's
//! output and exit code must be the same.
//!
//! Each test starts a containerd of its own (`containerd --config CFG` in the
//! background, stopped by its pid) on a private socket, with its root, state, runtime
//! roots and fifos under a temporary directory, the CRI plugin off. The image is written
//! by the test as an OCI image layout (a static busybox rootfs as one uncompressed layer,
//! sha256 digests from `sha256sum`) and loaded with `ctr image import`; no registry.
//! Each test has a containerd namespace of its own, so the containers' cgroups (ctr's
//! default `/<namespace>/<id>`) are apart too. When a test ends, its tasks and
//! containers are removed, containerd is stopped, any shim or sandbox process still
//! running is killed, anything still mounted under the directory (the overlayfs rootfs
//! mounts) is unmounted, the directory removed, and the namespace's (empty) cgroup
//! directories runc leaves are removed. Skipped, with the reason printed, only when containerd is not
//! installed (tests/setup.sh installs it). Outside the directory, the shim puts its
//! sockets in /run/containerd/s (a fixed path in containerd 1.6) and removes them.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use husk_tests::oci_image::{have, mounts_under, processes_mentioning, write_busybox_image};
use husk_tests::{husk_bin, status_code, wait_output};

const TIMEOUT: Duration = Duration::from_secs(30);
const IMAGE: &str = "localhost/husk-busybox:latest";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The test image: busybox with the applets the scenarios use.
fn write_image(dir: &Path) -> PathBuf {
    write_busybox_image(
        dir,
        IMAGE,
        &[
            "sh", "echo", "cat", "ls", "id", "pwd", "sleep", "true", "false", "env", "test",
        ],
        &["/bin/sh"],
    )
}

/// A private containerd with the busybox image imported.
struct Containerd {
    dir: PathBuf,
    /// The containerd namespace (unique to the test).
    ns: String,
    child: Option<Child>,
}

impl Containerd {
    /// None (after printing why) when containerd, ctr or runc is missing.
    fn start(tag: &str) -> Option<Containerd> {
        for cmd in ["containerd", "ctr", "containerd-shim-runc-v2", "runc"] {
            if !have(cmd) {
                println!("skipped: {cmd} is not installed (tests/setup.sh installs it)");
                return None;
            }
        }
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("husk-containerd-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("mkdir");
        let d = |s: &str| dir.join(s).to_string_lossy().into_owned();
        let cfg = format!(
            r#"version = 2
root = "{root}"
state = "{state}"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{opt}"
"#,
            root = d("root"),
            state = d("state"),
            sock = d("containerd.sock"),
            opt = d("opt"),
        );
        std::fs::write(dir.join("config.toml"), cfg).expect("config.toml");
        let log = std::fs::File::create(dir.join("containerd.log")).expect("log");
        let child = Command::new("containerd")
            .arg("--config")
            .arg(dir.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start containerd");
        let c = Containerd {
            dir,
            ns: format!("husk-test-{tag}-{}-{n}", std::process::id()),
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if c.ctr(&["version"]).status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "containerd did not start: {}",
                c.log_tail()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let image = write_image(&c.dir);
        let out = c.ctr(&["image", "import", &image.to_string_lossy()]);
        assert!(
            out.status.success(),
            "ctr image import: {}{}",
            text(&out.stderr),
            c.log_tail()
        );
        let out = c.ctr(&["image", "ls", "-q"]);
        assert!(
            text(&out.stdout).lines().any(|l| l == IMAGE),
            "image not imported: {}",
            text(&out.stdout)
        );
        Some(c)
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("containerd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        format!(
            "\n--- containerd log (end) ---\n{}",
            lines[lines.len().saturating_sub(15)..].join("\n")
        )
    }

    fn ctr_cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("ctr");
        c.arg("--address")
            .arg(self.dir.join("containerd.sock"))
            .arg("--namespace")
            .arg(&self.ns)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn ctr(&self, args: &[&str]) -> Output {
        let child = self.ctr_cmd(args).spawn().expect("spawn ctr");
        wait_output(child, TIMEOUT).expect("ctr")
    }

    /// The runtime root the shim passes to the runtime (`--root DIR/<namespace>`).
    fn runtime_root(&self, rt: &str) -> PathBuf {
        self.dir.join(format!("runtime-root-{rt}"))
    }

    /// The options of `ctr run` for runtime `rt` ("runc" or "husk").
    fn run_opts(&self, rt: &str) -> Vec<String> {
        let mut v = vec![
            "--fifo-dir".to_string(),
            self.dir.join("fifo").to_string_lossy().into_owned(),
            "--runc-root".to_string(),
            self.runtime_root(rt).to_string_lossy().into_owned(),
        ];
        if rt == "husk" {
            v.push("--runc-binary".into());
            v.push(husk_bin().to_string_lossy().into_owned());
        }
        v
    }

    /// `ctr run --rm [opts] IMAGE ID CMD...` with runtime `rt`.
    fn run(&self, rt: &str, id: &str, opts: &[&str], cmd: &[&str]) -> Output {
        let mut args: Vec<String> = vec!["run".into(), "--rm".into()];
        args.extend(self.run_opts(rt));
        args.extend(opts.iter().map(|s| s.to_string()));
        args.push(IMAGE.into());
        args.push(format!("{rt}-{id}"));
        args.extend(cmd.iter().map(|s| s.to_string()));
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        self.ctr(&a)
    }

    /// Asserts that no state is left under husk's runtime root.
    fn assert_no_husk_state(&self) {
        let root = self.runtime_root("husk").join(&self.ns);
        let left: Vec<String> = std::fs::read_dir(&root)
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        assert!(
            left.is_empty(),
            "husk state left in {}: {left:?}",
            root.display()
        );
    }

    /// The status of a task in `ctr task ls` ("" when there is none).
    fn task_status(&self, id: &str) -> String {
        let out = self.ctr(&["task", "ls"]);
        text(&out.stdout)
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.first() == Some(&id)).then(|| f.get(2).unwrap_or(&"").to_string())
            })
            .next()
            .unwrap_or_default()
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        // Tasks and containers first, while containerd runs (the shims unmount the
        // rootfs and exit).
        let tasks = text(&self.ctr(&["task", "ls", "-q"]).stdout);
        for id in tasks.lines().filter(|l| !l.is_empty()) {
            let _ = self.ctr(&["task", "kill", "-s", "KILL", id]);
            let _ = self.ctr(&["task", "rm", "-f", id]);
        }
        let containers = text(&self.ctr(&["container", "ls", "-q"]).stdout);
        for id in containers.lines().filter(|l| !l.is_empty()) {
            let _ = self.ctr(&["container", "rm", id]);
        }
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            // SIGTERM, then SIGKILL after 5 s.
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // Shims (`-address DIR/containerd.sock`) and sandbox or container processes
        // (their bundle is under DIR) still alive: kill them by pid.
        let needle = self.dir.to_string_lossy().into_owned();
        for _ in 0..50 {
            let pids = processes_mentioning(&needle);
            if pids.is_empty() {
                break;
            }
            for pid in pids {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for m in mounts_under(&self.dir) {
            let _ = Command::new("umount").args(["-l", &m]).status();
        }
        if std::env::var_os("HUSK_CONTAINERD_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        // The namespace's cgroup directories (v2 and each v1 hierarchy), deepest
        // first; rmdir removes only empty ones.
        let root = Path::new("/sys/fs/cgroup");
        let mut bases = vec![root.to_path_buf()];
        bases.extend(
            std::fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path()),
        );
        for base in bases {
            let d = base.join(&self.ns);
            let mut dirs = vec![d.clone()];
            if let Ok(rd) = std::fs::read_dir(&d) {
                dirs.extend(rd.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
            }
            for x in dirs.iter().rev() {
                let _ = std::fs::remove_dir(x);
            }
        }
    }
}

/// Runs `f` with runc and with husk and checks that both give the same result.
fn same<T: PartialEq + std::fmt::Debug>(what: &str, f: impl Fn(&str) -> T) -> T {
    let want = f("runc");
    let got = f("husk");
    assert_eq!(got, want, "{what}: husk (left) differs from runc (right)");
    got
}

#[test]
fn ctr_run_output_and_exit_code() {
    let Some(c) = Containerd::start("run") else {
        return;
    };
    let r = same("echo, exit 3", |rt| {
        let out = c.run(
            rt,
            "exit",
            &[],
            &["sh", "-c", "echo hi; echo err >&2; exit 3"],
        );
        assert!(
            text(&out.stderr).contains("err"),
            "{rt}: stderr {:?}{}",
            text(&out.stderr),
            c.log_tail()
        );
        (text(&out.stdout), status_code(out.status))
    });
    assert_eq!(r, ("hi\n".to_string(), 3));
    let r = same("env, cwd, user", |rt| {
        let out = c.run(
            rt,
            "env",
            &["--env", "FOO=bar baz", "--cwd", "/tmp"],
            &["sh", "-c", "echo \"$FOO\"; pwd; id -u; echo $PATH"],
        );
        (text(&out.stdout), status_code(out.status))
    });
    assert_eq!(r, ("bar baz\n/tmp\n0\n/bin\n".to_string(), 0));
    same("true, false, missing command", |rt| {
        let a = status_code(c.run(rt, "true", &[], &["true"]).status);
        let b = status_code(c.run(rt, "false", &[], &["false"]).status);
        let m = status_code(c.run(rt, "missing", &[], &["sh", "-c", "nosuchcmd"]).status);
        (a, b, m)
    });
    c.assert_no_husk_state();
    assert!(
        mounts_under(&c.dir.join("state")).is_empty(),
        "rootfs mounts left: {:?}",
        mounts_under(&c.dir)
    );
}

#[test]
fn ctr_run_error_comes_from_husk_log() {
    let Some(c) = Containerd::start("error") else {
        return;
    };
    for rt in ["runc", "husk"] {
        let out = c.run(rt, "nobin", &[], &["/nonexistent"]);
        let err = text(&out.stderr);
        assert_ne!(status_code(out.status), 0, "{rt}: {err}");
        // The shim reports the runtime's last "error" line of its log.json; without a
        // readable JSON log it could only say "did not terminate successfully".
        assert!(
            err.contains("OCI runtime") && err.contains("/nonexistent"),
            "{rt}: {err}"
        );
        assert!(
            !err.contains("did not terminate successfully"),
            "{rt}: {err}"
        );
        // create failed (the program is looked up there), so `run --rm` left nothing.
        let id = format!("{rt}-nobin");
        assert_eq!(c.task_status(&id), "", "{rt}: a task is left");
        let containers = text(&c.ctr(&["container", "ls", "-q"]).stdout);
        assert!(!containers.lines().any(|l| l == id), "{rt}: container left");
    }
    c.assert_no_husk_state();
}

#[test]
fn ctr_exec_and_kill() {
    let Some(c) = Containerd::start("exec") else {
        return;
    };
    same("exec, pause, resume, ps, kill", |rt| {
        let id = format!("{rt}-sleeper");
        let mut args: Vec<String> = vec!["run".into(), "--rm".into()];
        args.extend(c.run_opts(rt));
        args.extend([IMAGE.into(), id.clone(), "sleep".into(), "100".into()]);
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = c.ctr_cmd(&a).spawn().expect("spawn ctr run");
        let deadline = Instant::now() + TIMEOUT;
        while c.task_status(&id) != "RUNNING" {
            assert!(
                Instant::now() < deadline,
                "{rt}: no running task{}",
                c.log_tail()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let exec = c.ctr(&[
            "task",
            "exec",
            "--fifo-dir",
            &c.dir.join("fifo").to_string_lossy(),
            "--exec-id",
            "e1",
            &id,
            "sh",
            "-c",
            "echo in exec; exit 7",
        ]);
        let pause = c.ctr(&["task", "pause", &id]);
        let paused = c.task_status(&id);
        let resume = c.ctr(&["task", "resume", &id]);
        let resumed = c.task_status(&id);
        let ps = c.ctr(&["task", "ps", &id]);
        // SIGTERM is ignored by the container's init (no handler), as on Linux.
        let term = c.ctr(&["task", "kill", &id]);
        std::thread::sleep(Duration::from_millis(300));
        let after_term = c.task_status(&id);
        let kill = c.ctr(&["task", "kill", "-s", "KILL", &id]);
        let out = wait_output(run, TIMEOUT).expect("ctr run");
        (
            text(&exec.stdout),
            status_code(exec.status),
            (
                pause.status.success(),
                paused,
                resume.status.success(),
                resumed,
            ),
            // One process (sandbox pids for husk, host pids for runc).
            text(&ps.stdout).lines().count(),
            term.status.success(),
            after_term,
            kill.status.success(),
            status_code(out.status),
        )
    });
    c.assert_no_husk_state();
}

#[test]
fn ctr_run_with_terminal() {
    let Some(c) = Containerd::start("tty") else {
        return;
    };
    // `ctr run -t` needs a terminal of its own: script(1) gives it one. The shim
    // passes --console-socket to create and relays the pty master it receives.
    let r = same("run -t", |rt| {
        let mut args: Vec<String> = vec![
            "ctr".into(),
            "--address".into(),
            c.dir.join("containerd.sock").to_string_lossy().into_owned(),
            "--namespace".into(),
            c.ns.clone(),
            "run".into(),
            "--rm".into(),
            "-t".into(),
        ];
        args.extend(c.run_opts(rt));
        args.extend([
            IMAGE.into(),
            format!("{rt}-tty"),
            "sh".into(),
            "-c".into(),
            "test -t 0 && echo in; test -t 1 && echo out; exit 5".into(),
        ]);
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let cmd = quoted.join(" ");
        let child = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn script");
        let out = wait_output(child, TIMEOUT).expect("script");
        let stdout = text(&out.stdout).replace('\r', "");
        (stdout, status_code(out.status))
    });
    assert!(r.0.ends_with("in\nout\n") && r.1 == 5, "{r:?}");
    c.assert_no_husk_state();
}
