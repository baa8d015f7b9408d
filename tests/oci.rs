//! The OCI runtime lifecycle (`create`, `start`, `state`, `kill`, `delete`, `run`,
//! `list`, `spec`, `features`), with runc as the reference where it is installed: each
//! scenario runs against runc and husk, each with a `--root` of its own, on a bundle
//! whose rootfs is static busybox.
//!
//! Every scenario cleans up on failure too: the runtime's guard force-deletes what is
//! left under its root and removes the directories; the test then checks that no
//! sandbox process of its own is left.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use husk_tests::{husk_bin, status_code, wait_output};

const TIMEOUT: Duration = Duration::from_secs(60);

fn unique(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    std::env::temp_dir().join(format!("husk-oci-{tag}-{}-{n}", std::process::id()))
}

/// A bundle: `rootfs/` with busybox and `config.json` (from `husk spec`, edited).
struct Bundle {
    dir: PathBuf,
}

impl Bundle {
    fn new(args: &[&str]) -> Bundle {
        let dir = unique("bundle");
        let b = Bundle { dir };
        let bin = b.dir.join("rootfs/bin");
        std::fs::create_dir_all(&bin).expect("mkdir bundle");
        let busybox = ["/usr/bin/busybox", "/bin/busybox"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("static busybox is needed (tests/setup.sh installs busybox-static)");
        std::fs::copy(busybox, bin.join("busybox")).expect("copy busybox");
        for name in [
            "sh", "echo", "sleep", "true", "false", "cat", "ls", "id", "hostname",
        ] {
            std::os::unix::fs::symlink("busybox", bin.join(name)).expect("symlink");
        }
        let out = Command::new(husk_bin())
            .arg("spec")
            .current_dir(&b.dir)
            .output()
            .expect("husk spec");
        assert!(out.status.success(), "husk spec: {out:?}");
        b.edit(|c| {
            c["process"]["terminal"] = false.into();
            c["process"]["args"] = serde_json::json!(args);
        });
        b
    }

    fn edit(&self, f: impl FnOnce(&mut serde_json::Value)) {
        let path = self.dir.join("config.json");
        let mut c: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read config")).expect("json");
        f(&mut c);
        std::fs::write(&path, c.to_string()).expect("write config");
    }
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// One runtime (runc or husk) with a state root of its own.
struct Runtime {
    name: &'static str,
    bin: PathBuf,
    root: PathBuf,
}

impl Runtime {
    fn husk() -> Runtime {
        let bin = husk_bin();
        assert!(bin.exists(), "husk binary not found at {}", bin.display());
        Runtime {
            name: "husk",
            bin,
            root: unique("root-husk"),
        }
    }

    fn runc() -> Option<Runtime> {
        let found = Command::new("runc")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !found {
            eprintln!("runc not installed: husk only");
            return None;
        }
        Some(Runtime {
            name: "runc",
            bin: PathBuf::from("runc"),
            root: unique("root-runc"),
        })
    }

    /// Both runtimes, runc first when installed.
    fn all() -> Vec<Runtime> {
        Runtime::runc()
            .into_iter()
            .chain([Runtime::husk()])
            .collect()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--root").arg(&self.root).args(args);
        c
    }

    /// Runs a command with stdio that the container may keep (null), status only.
    fn quiet(&self, args: &[&str]) -> i32 {
        let child = self
            .cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} {args:?}: {e}", self.name));
        let out =
            wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{} {args:?}: {e}", self.name));
        status_code(out.status)
    }

    /// Runs a command, capturing its output.
    fn out(&self, args: &[&str]) -> Output {
        let child = self
            .cmd(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{} {args:?}: {e}", self.name));
        wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{} {args:?}: {e}", self.name))
    }

    fn state(&self, id: &str) -> Option<serde_json::Value> {
        let out = self.out(&["state", id]);
        if !out.status.success() {
            return None;
        }
        Some(serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{} state {id}: {e}: {}",
                self.name,
                String::from_utf8_lossy(&out.stdout)
            )
        }))
    }

    fn status(&self, id: &str) -> String {
        self.state(id)
            .and_then(|s| s["status"].as_str().map(str::to_string))
            .unwrap_or_else(|| "(none)".into())
    }

    /// Waits until the container's status is `want` (runtimes report a kill's effect
    /// asynchronously).
    fn wait_status(&self, id: &str, want: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.status(id);
            if s == want || Instant::now() > deadline {
                return s;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn ids(&self) -> Vec<String> {
        std::fs::read_dir(&self.root)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.file_name().to_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        for id in self.ids() {
            let _ = self
                .cmd(&["delete", "--force", &id])
                .stdin(Stdio::null())
                .output();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Host processes whose command line mentions `needle` (a test's unique root).
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rfind(')').map(|i| s[i + 2..].starts_with('Z')))
            .unwrap_or(true);
        if cmd.contains(needle) && !zombie {
            found.push(format!("{pid}: {cmd}"));
        }
    }
    found
}

/// Checks, after a husk scenario, that its sandbox processes are gone.
fn assert_no_sandbox_left(rt: &Runtime) {
    let needle = rt.root.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left = processes_mentioning(&needle);
        if left.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{}: processes left: {left:?}",
            rt.name
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn lifecycle_create_start_kill_delete() {
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        let pid_file = rt.root.with_extension("pid");
        let pf = pid_file.to_string_lossy().into_owned();
        assert_eq!(
            rt.quiet(&["create", "--bundle", &b, "--pid-file", &pf, "c1"]),
            0,
            "{n}: create"
        );
        let st = rt
            .state("c1")
            .unwrap_or_else(|| panic!("{n}: no state after create"));
        for field in ["ociVersion", "id", "pid", "status", "bundle"] {
            assert!(!st[field].is_null(), "{n}: state lacks {field}: {st}");
        }
        assert_eq!(st["status"], "created", "{n}");
        assert_eq!(st["id"], "c1", "{n}");
        assert_eq!(st["bundle"].as_str(), Some(b.as_str()), "{n}");
        let pid = st["pid"].as_i64().unwrap_or(0);
        assert!(pid > 0, "{n}: pid {pid}");
        let written = std::fs::read_to_string(&pid_file).unwrap_or_default();
        let _ = std::fs::remove_file(&pid_file);
        assert_eq!(written.trim(), pid.to_string(), "{n}: --pid-file");

        // A second create with the same id fails and leaves the first alone.
        assert_ne!(
            rt.quiet(&["create", "--bundle", &b, "c1"]),
            0,
            "{n}: duplicate id"
        );
        assert_eq!(rt.status("c1"), "created", "{n}");

        let list = rt.out(&["list", "--format", "json"]);
        let list: serde_json::Value = serde_json::from_slice(&list.stdout).expect("list json");
        assert_eq!(list[0]["id"], "c1", "{n}: list {list}");
        let table = String::from_utf8_lossy(&rt.out(&["list"]).stdout).into_owned();
        assert!(
            table.starts_with("ID") && table.contains("c1"),
            "{n}: {table}"
        );

        assert_eq!(rt.quiet(&["start", "c1"]), 0, "{n}: start");
        assert_eq!(rt.status("c1"), "running", "{n}");
        assert_ne!(rt.quiet(&["start", "c1"]), 0, "{n}: start twice");
        assert_ne!(rt.quiet(&["delete", "c1"]), 0, "{n}: delete while running");
        assert_eq!(rt.quiet(&["kill", "c1", "KILL"]), 0, "{n}: kill");
        assert_eq!(rt.wait_status("c1", "stopped"), "stopped", "{n}");
        assert_ne!(
            rt.quiet(&["kill", "c1", "KILL"]),
            0,
            "{n}: kill when stopped"
        );
        assert_eq!(rt.quiet(&["delete", "c1"]), 0, "{n}: delete");
        assert!(rt.state("c1").is_none(), "{n}: state after delete");
        assert!(rt.ids().is_empty(), "{n}: left under root: {:?}", rt.ids());
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn run_exit_codes() {
    for rt in Runtime::all() {
        let n = rt.name;
        for (args, want, stdout) in [
            (vec!["sh", "-c", "echo hi"], 0, "hi\n"),
            (vec!["sh", "-c", "exit 42"], 42, ""),
            (vec!["false"], 1, ""),
        ] {
            let bundle = Bundle::new(&args);
            let b = bundle.dir.to_string_lossy().into_owned();
            let out = rt.out(&["run", "--bundle", &b, "r1"]);
            assert_eq!(status_code(out.status), want, "{n} {args:?}: {out:?}");
            assert_eq!(String::from_utf8_lossy(&out.stdout), stdout, "{n} {args:?}");
            assert!(rt.ids().is_empty(), "{n}: run left {:?}", rt.ids());
        }
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn run_killed_by_signal() {
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        let child = rt
            .cmd(&["run", "--bundle", &b, "k1"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run");
        assert_eq!(rt.wait_status("k1", "running"), "running", "{n}");
        assert_eq!(rt.quiet(&["kill", "k1", "9"]), 0, "{n}: kill 9");
        let out = wait_output(child, TIMEOUT).expect("run output");
        assert_eq!(status_code(out.status), 137, "{n}: {out:?}");
        assert!(rt.ids().is_empty(), "{n}: run left {:?}", rt.ids());
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn detached_run_and_forced_delete() {
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        assert_eq!(
            rt.quiet(&["run", "-d", "--bundle", &b, "d1"]),
            0,
            "{n}: run -d"
        );
        assert_eq!(rt.status("d1"), "running", "{n}");
        assert_eq!(
            rt.quiet(&["delete", "--force", "d1"]),
            0,
            "{n}: delete --force"
        );
        assert!(rt.state("d1").is_none(), "{n}: state after delete --force");
        // A created (never started) container is deleted without --force.
        assert_eq!(
            rt.quiet(&["create", "--bundle", &b, "d2"]),
            0,
            "{n}: create"
        );
        assert_eq!(rt.quiet(&["delete", "d2"]), 0, "{n}: delete created");
        assert!(rt.ids().is_empty(), "{n}: left {:?}", rt.ids());
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn errors_leave_nothing_behind() {
    let bundle = Bundle::new(&["true"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    let missing = unique("missing").to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        // A missing bundle.
        let out = rt.out(&["create", "--bundle", &missing, "e1"]);
        assert_eq!(status_code(out.status), 1, "{n}: missing bundle: {out:?}");
        assert!(!out.stderr.is_empty(), "{n}: no error message");
        // An unknown id.
        for args in [
            vec!["start", "nope"],
            vec!["state", "nope"],
            vec!["kill", "nope"],
            vec!["delete", "nope"],
        ] {
            let out = rt.out(&args);
            assert_eq!(status_code(out.status), 1, "{n} {args:?}: {out:?}");
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains("does not exist"), "{n} {args:?}: {err}");
        }
        assert!(rt.ids().is_empty(), "{n}: left {:?}", rt.ids());
    }
    // Bad configs: one line naming the problem, nothing created.
    let rt = Runtime::husk();
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(Edit, &str)> = vec![
        (
            Box::new(|c| c["process"]["cwd"] = "relative".into()),
            "process.cwd",
        ),
        (
            Box::new(|c| c["process"]["args"] = serde_json::json!([])),
            "process.args",
        ),
        (
            Box::new(|c| c["process"]["terminal"] = true.into()),
            "process.terminal",
        ),
        (
            Box::new(|c| c["root"]["path"] = "nowhere".into()),
            "root.path",
        ),
    ];
    for (edit, field) in cases {
        let bad = Bundle::new(&["true"]);
        bad.edit(edit);
        let bb = bad.dir.to_string_lossy().into_owned();
        let out = rt.out(&["create", "--bundle", &bb, "e2"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(status_code(out.status), 1, "{field}: {out:?}");
        assert!(
            err.contains(field) && err.lines().count() == 1,
            "{field}: {err}"
        );
        assert!(rt.ids().is_empty(), "{field}: left {:?}", rt.ids());
    }
    let bad = Bundle::new(&["true"]);
    std::fs::write(bad.dir.join("config.json"), "{bad").expect("write");
    let bb = bad.dir.to_string_lossy().into_owned();
    let out = rt.out(&["run", "--bundle", &bb, "e3"]);
    assert_eq!(status_code(out.status), 1, "bad json: {out:?}");
    assert!(rt.ids().is_empty(), "bad json: left {:?}", rt.ids());
    let out = rt.out(&[
        "create",
        "--bundle",
        &b,
        "--console-socket",
        "/nonexistent",
        "e4",
    ]);
    assert_eq!(status_code(out.status), 1, "console socket: {out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("console-socket"));
    assert!(rt.ids().is_empty(), "console socket: left {:?}", rt.ids());
    assert_no_sandbox_left(&rt);
}

#[test]
fn config_is_honoured() {
    let bundle = Bundle::new(&[
        "sh",
        "-c",
        "echo $FOO; pwd; id -u; id -g; hostname; echo x > /f",
    ]);
    bundle.edit(|c| {
        c["process"]["env"] = serde_json::json!(["PATH=/bin", "FOO=bar"]);
        c["process"]["cwd"] = "/bin".into();
        c["process"]["user"] = serde_json::json!({"uid": 1000, "gid": 1001});
        c["hostname"] = "box".into();
    });
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        let out = rt.out(&["run", "--bundle", &b, "h1"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stdout, "bar\n/bin\n1000\n1001\nbox\n", "{n}: {stderr}");
        // The default spec's root is read-only.
        assert_ne!(status_code(out.status), 0, "{n}: wrote to a read-only root");
        assert!(stderr.contains("Read-only file system"), "{n}: {stderr}");
    }
}

#[test]
fn spec_and_features() {
    let dir = unique("spec");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let rt = Runtime::husk();
    let d = dir.to_string_lossy().into_owned();
    let out = rt.out(&["spec", "--bundle", &d]);
    let written = std::fs::read(dir.join("config.json"));
    let again = rt.out(&["spec", "--bundle", &d]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{out:?}");
    let c: serde_json::Value =
        serde_json::from_slice(&written.expect("config.json")).expect("json");
    assert_eq!(c["process"]["args"], serde_json::json!(["sh"]));
    assert_eq!(c["root"]["path"], "rootfs");
    assert!(c["ociVersion"]
        .as_str()
        .is_some_and(|v| v.starts_with("1.")));
    assert_eq!(
        status_code(again.status),
        1,
        "spec over an existing config.json"
    );
    let f = rt.out(&["features"]);
    let f: serde_json::Value = serde_json::from_slice(&f.stdout).expect("features json");
    assert!(
        f["ociVersionMin"].is_string() && f["ociVersionMax"].is_string(),
        "{f}"
    );
}

#[test]
fn exec_into_running_container() {
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        assert_eq!(
            rt.quiet(&["run", "-d", "--bundle", &b, "e1"]),
            0,
            "{n}: run -d"
        );
        assert_eq!(rt.wait_status("e1", "running"), "running", "{n}");

        let out = rt.out(&["exec", "e1", "echo", "hi"]);
        assert_eq!(status_code(out.status), 0, "{n}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n", "{n}");

        let out = rt.out(&["exec", "e1", "sh", "-c", "exit 3"]);
        assert_eq!(status_code(out.status), 3, "{n}: {out:?}");

        let out = rt.out(&[
            "exec",
            "-e",
            "FOO=bar",
            "--cwd",
            "/bin",
            "e1",
            "sh",
            "-c",
            "echo $FOO; pwd",
        ]);
        assert_eq!(status_code(out.status), 0, "{n}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "bar\n/bin\n", "{n}");

        let out = rt.out(&["exec", "e1", "sh", "-c", "kill -9 $$"]);
        assert_eq!(status_code(out.status), 137, "{n}: {out:?}");

        // A missing program: an error naming it, and runc's 255.
        let out = rt.out(&["exec", "e1", "no-such-program"]);
        assert_eq!(status_code(out.status), 255, "{n}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no-such-program"), "{n}: {err}");

        let out = rt.out(&["exec", "--cwd", "/no-such-dir", "e1", "true"]);
        assert_eq!(status_code(out.status), 255, "{n}: {out:?}");

        // Detached: returns once started, with the pid written.
        let pid_file = rt.root.with_extension("exec-pid");
        let pf = pid_file.to_string_lossy().into_owned();
        assert_eq!(
            rt.quiet(&["exec", "-d", "--pid-file", &pf, "e1", "sleep", "1"]),
            0,
            "{n}: exec -d"
        );
        let written = std::fs::read_to_string(&pid_file).unwrap_or_default();
        let _ = std::fs::remove_file(&pid_file);
        assert!(
            written.trim().parse::<u32>().is_ok(),
            "{n}: pid file {written:?}"
        );

        assert_eq!(rt.quiet(&["kill", "e1", "KILL"]), 0, "{n}: kill");
        assert_eq!(rt.wait_status("e1", "stopped"), "stopped", "{n}");
        assert_eq!(
            rt.quiet(&["exec", "e1", "true"]),
            255,
            "{n}: exec when stopped"
        );
        assert_eq!(rt.quiet(&["delete", "e1"]), 0, "{n}: delete");
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn rlimits_are_applied() {
    let bundle = Bundle::new(&["sh", "-c", "ulimit -n; ulimit -Hn"]);
    bundle.edit(|c| {
        c["process"]["rlimits"] =
            serde_json::json!([{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]);
    });
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        let out = rt.out(&["run", "--bundle", &b, "l1"]);
        assert_eq!(status_code(out.status), 0, "{n}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "123\n456\n", "{n}");
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn ps_lists_processes() {
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        assert_eq!(
            rt.quiet(&["run", "-d", "--bundle", &b, "p1"]),
            0,
            "{n}: run -d"
        );
        assert_eq!(rt.wait_status("p1", "running"), "running", "{n}");
        assert_eq!(
            rt.quiet(&["exec", "-d", "p1", "sleep", "1000"]),
            0,
            "{n}: exec -d"
        );
        // Pids: runc's are host pids, husk's the sandbox's (as runsc reports).
        let out = rt.out(&["ps", "--format", "json", "p1"]);
        assert_eq!(status_code(out.status), 0, "{n}: {out:?}");
        let pids: Vec<u64> = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{n}: ps json: {e}: {out:?}"));
        assert_eq!(pids.len(), 2, "{n}: {pids:?}");
        let out = rt.out(&["ps", "p1"]);
        assert_eq!(status_code(out.status), 0, "{n}: {out:?}");
        let table = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = table.lines();
        let header = lines.next().unwrap_or_default();
        assert!(
            header.split_whitespace().any(|w| w == "PID"),
            "{n}: {table}"
        );
        assert_eq!(
            lines.filter(|l| l.contains("sleep")).count(),
            2,
            "{n}: {table}"
        );
        assert_eq!(rt.quiet(&["delete", "-f", "p1"]), 0, "{n}: delete -f");
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn pause_and_resume() {
    let bundle = Bundle::new(&[
        "sh",
        "-c",
        "i=0; while true; do i=$((i+1)); echo $i; sleep 0.02; done",
    ]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        let out_path = rt.root.with_extension("out");
        let lines = || {
            std::fs::read_to_string(&out_path)
                .unwrap_or_default()
                .lines()
                .count()
        };
        let out_file = std::fs::File::create(&out_path).expect("output file");
        let child = rt
            .cmd(&["run", "-d", "--bundle", &b, "z1"])
            .stdin(Stdio::null())
            .stdout(out_file)
            .stderr(Stdio::null())
            .spawn()
            .expect("run -d");
        let out = wait_output(child, TIMEOUT).expect("run -d");
        assert_eq!(status_code(out.status), 0, "{n}: run -d");
        let deadline = Instant::now() + Duration::from_secs(20);
        while lines() < 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(lines() >= 3, "{n}: the counter does not run");

        assert_ne!(rt.quiet(&["resume", "z1"]), 0, "{n}: resume when running");
        assert_eq!(rt.quiet(&["pause", "z1"]), 0, "{n}: pause");
        assert_eq!(rt.status("z1"), "paused", "{n}");
        assert_ne!(rt.quiet(&["pause", "z1"]), 0, "{n}: pause twice");
        let at_pause = lines();
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(lines(), at_pause, "{n}: the counter advanced while paused");

        assert_eq!(rt.quiet(&["resume", "z1"]), 0, "{n}: resume");
        assert_eq!(rt.status("z1"), "running", "{n}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while lines() < at_pause + 3 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(lines() >= at_pause + 3, "{n}: the counter did not continue");

        // A paused container can still be force-deleted.
        assert_eq!(rt.quiet(&["pause", "z1"]), 0, "{n}: pause again");
        assert_eq!(rt.quiet(&["delete", "--force", "z1"]), 0, "{n}: delete -f");
        assert!(rt.ids().is_empty(), "{n}: left {:?}", rt.ids());
        let _ = std::fs::remove_file(&out_path);
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}
