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

/// A bundle whose hooks append `PHASE <state JSON>` to `<bundle>/rootfs/hooks.log`.
/// runc runs startContainer hooks inside the container (after pivot_root): there the
/// log's host path resolves through `rootfs/<bundle>/rootfs -> /` to the same file.
fn hook_bundle(extra: impl FnOnce(&mut serde_json::Value)) -> (Bundle, PathBuf) {
    let bundle = Bundle::new(&["true"]);
    let rootfs = bundle.dir.join("rootfs");
    let inner = rootfs.join(bundle.dir.strip_prefix("/").expect("absolute bundle"));
    std::fs::create_dir_all(&inner).expect("mkdir");
    std::os::unix::fs::symlink("/", inner.join("rootfs")).expect("symlink");
    let log = rootfs.join("hooks.log");
    let l = log.to_string_lossy().into_owned();
    bundle.edit(|c| {
        c["root"]["readonly"] = false.into();
        let hook = |name: &str| {
            serde_json::json!([{
                "path": "/bin/sh",
                "args": ["sh", "-c", format!("echo {name} $(cat) >> {l}")],
                "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                "timeout": 10
            }])
        };
        let mut hooks = serde_json::Map::new();
        for p in [
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop",
        ] {
            hooks.insert(p.into(), hook(p));
        }
        c["hooks"] = hooks.into();
        extra(c);
    });
    (bundle, log)
}

/// The hooks' log: (phase, state) in the order they ran.
fn hook_log(log: &Path) -> Vec<(String, serde_json::Value)> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let (name, json) = l.split_once(' ').unwrap_or((l, "null"));
            let v = serde_json::from_str(json).unwrap_or_else(|e| panic!("{l}: {e}"));
            (name.to_string(), v)
        })
        .collect()
}

fn append_hook(c: &mut serde_json::Value, phase: &str, script: &str) {
    let list = c["hooks"][phase].as_array_mut().expect("hook list");
    list.push(serde_json::json!({"path": "/bin/sh", "args": ["sh", "-c", script]}));
}

#[test]
fn hooks_run_in_runc_order() {
    // A failing poststop hook after the logging one: delete still succeeds.
    let (bundle, log) = hook_bundle(|c| append_hook(c, "poststop", "echo no >&2; exit 5"));
    let b = bundle.dir.to_string_lossy().into_owned();
    let mut orders = Vec::new();
    for rt in Runtime::all() {
        let n = rt.name;
        let _ = std::fs::remove_file(&log);
        assert_eq!(
            rt.quiet(&["create", "--bundle", &b, "h1"]),
            0,
            "{n}: create"
        );
        assert_eq!(rt.quiet(&["start", "h1"]), 0, "{n}: start");
        assert_eq!(rt.wait_status("h1", "stopped"), "stopped", "{n}");
        let out = rt.out(&["delete", "h1"]);
        assert_eq!(status_code(out.status), 0, "{n}: delete: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("exit status: 5")
                || String::from_utf8_lossy(&out.stderr).contains("exit status 5"),
            "{n}: the failing poststop hook is not reported: {out:?}"
        );
        assert!(rt.ids().is_empty(), "{n}: left {:?}", rt.ids());
        let ran = hook_log(&log);
        for (phase, st) in &ran {
            assert_eq!(st["id"], "h1", "{n} {phase}: {st}");
            assert_eq!(st["bundle"].as_str(), Some(b.as_str()), "{n} {phase}: {st}");
            assert!(st["ociVersion"].is_string(), "{n} {phase}: {st}");
            assert_eq!(
                st["pid"].is_null(),
                phase == "poststop",
                "{n} {phase}: {st}"
            );
        }
        // runc 1.1 runs poststart hooks at create; the runtime spec (and husk) after
        // the process started, before `start` returns: compared apart.
        let (post, rest): (Vec<_>, Vec<_>) = ran.into_iter().partition(|(p, _)| p == "poststart");
        assert_eq!(post.len(), 1, "{n}: poststart ran {} times", post.len());
        let order: Vec<(String, String)> = rest
            .into_iter()
            .map(|(p, st)| (p, st["status"].as_str().unwrap_or_default().to_string()))
            .collect();
        if n == "husk" {
            assert_eq!(post[0].1["status"], "running", "husk poststart");
            let all: Vec<String> = hook_log(&log).into_iter().map(|(p, _)| p).collect();
            let at = |p: &str| all.iter().position(|x| x == p);
            assert!(
                at("startContainer") < at("poststart") && at("poststart") < at("poststop"),
                "husk: poststart out of place: {all:?}"
            );
            assert_no_sandbox_left(&rt);
        }
        orders.push((n, order));
    }
    let want: Vec<(String, String)> = [
        ("prestart", "creating"),
        ("createRuntime", "creating"),
        ("createContainer", "creating"),
        ("startContainer", "created"),
        ("poststop", "stopped"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    for (n, order) in orders {
        assert_eq!(order, want, "{n}");
    }
}

#[test]
fn failing_hooks() {
    for rt in Runtime::all() {
        let n = rt.name;
        // createRuntime fails: create fails, poststop runs, nothing is left.
        let (bundle, log) =
            hook_bundle(|c| append_hook(c, "createRuntime", "echo oops >&2; exit 3"));
        let b = bundle.dir.to_string_lossy().into_owned();
        let out = rt.out(&["create", "--bundle", &b, "f1"]);
        assert_eq!(status_code(out.status), 1, "{n}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("oops"), "{n}: {err}");
        if n == "husk" {
            assert!(
                err.starts_with("husk: ") && err.contains("hooks.createRuntime[1]"),
                "{err}"
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            assert_no_sandbox_left(&rt);
        }
        assert!(rt.ids().is_empty(), "{n}: left {:?}", rt.ids());
        let ran: Vec<String> = hook_log(&log).into_iter().map(|(p, _)| p).collect();
        let ran: Vec<&str> = ran
            .iter()
            .map(String::as_str)
            .filter(|p| *p != "poststart")
            .collect();
        assert_eq!(ran, ["prestart", "createRuntime", "poststop"], "{n}");

        // A hook past its timeout fails create too.
        let (bundle, _log) = hook_bundle(|c| {
            c["hooks"]["prestart"] =
                serde_json::json!([{"path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1}]);
        });
        let b = bundle.dir.to_string_lossy().into_owned();
        let t0 = Instant::now();
        let out = rt.out(&["create", "--bundle", &b, "f2"]);
        assert_eq!(status_code(out.status), 1, "{n}: {out:?}");
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "{n}: timeout not applied"
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("timeout"),
            "{n}: {out:?}"
        );
        assert!(rt.ids().is_empty(), "{n}: left {:?}", rt.ids());

        // startContainer fails: the container stops without running (runc's start
        // returns 0 there, husk's fails as the runtime spec asks).
        let (bundle, log) = hook_bundle(|c| append_hook(c, "startContainer", "exit 4"));
        let b = bundle.dir.to_string_lossy().into_owned();
        assert_eq!(
            rt.quiet(&["create", "--bundle", &b, "f3"]),
            0,
            "{n}: create"
        );
        let code = rt.quiet(&["start", "f3"]);
        if n == "husk" {
            assert_eq!(code, 1, "husk: start with a failing startContainer hook");
        }
        assert_eq!(rt.wait_status("f3", "stopped"), "stopped", "{n}");
        assert_eq!(rt.quiet(&["delete", "f3"]), 0, "{n}: delete");
        let ran: Vec<String> = hook_log(&log).into_iter().map(|(p, _)| p).collect();
        assert_eq!(
            ran.last().map(String::as_str),
            Some("poststop"),
            "{n}: {ran:?}"
        );
        assert!(rt.ids().is_empty(), "{n}: left {:?}", rt.ids());
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
    // A failing poststart hook only warns (runtime spec; runc 1.1 fails create).
    let rt = Runtime::husk();
    let (bundle, _log) = hook_bundle(|c| append_hook(c, "poststart", "exit 6"));
    let b = bundle.dir.to_string_lossy().into_owned();
    assert_eq!(rt.quiet(&["create", "--bundle", &b, "f4"]), 0, "create");
    let out = rt.out(&["start", "f4"]);
    assert_eq!(status_code(out.status), 0, "start: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: hooks.poststart[1]"), "{err}");
    assert_eq!(rt.wait_status("f4", "stopped"), "stopped");
    assert_eq!(rt.quiet(&["delete", "f4"]), 0, "delete");
    assert_no_sandbox_left(&rt);
}

/// Receives the pty master a runtime sends over its console socket.
fn receive_master(listener: &std::os::unix::net::UnixListener) -> std::os::fd::OwnedFd {
    use rustix::net::{recvmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    use std::mem::MaybeUninit;
    let (conn, _) = listener.accept().expect("accept on the console socket");
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut anc = RecvAncillaryBuffer::new(&mut space);
    let mut buf = [0u8; 256];
    recvmsg(
        &conn,
        &mut [std::io::IoSliceMut::new(&mut buf)],
        &mut anc,
        RecvFlags::CMSG_CLOEXEC,
    )
    .expect("recvmsg on the console socket");
    let mut fds = Vec::new();
    for m in anc.drain() {
        if let RecvAncillaryMessage::ScmRights(got) = m {
            fds.extend(got);
        }
    }
    fds.pop().expect("no fd on the console socket")
}

fn set_size(master: &std::os::fd::OwnedFd, rows: u16, cols: u16) {
    let ws = rustix::termios::Winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    rustix::termios::tcsetwinsize(master, ws).expect("TIOCSWINSZ on the master");
}

#[test]
fn terminal_over_console_socket() {
    let bundle = Bundle::new(&[
        "sh",
        "-c",
        "test -t 0 && echo in-tty; test -t 1 && echo out-tty; stty size; read x; echo got $x; stty size",
    ]);
    bundle.edit(|c| c["process"]["terminal"] = true.into());
    let b = bundle.dir.to_string_lossy().into_owned();
    let mut outputs = Vec::new();
    for rt in Runtime::all() {
        let n = rt.name;
        std::fs::create_dir_all(&rt.root).expect("mkdir root");
        let sock = rt.root.join("console.sock");
        let listener = std::os::unix::net::UnixListener::bind(&sock).expect("bind");
        let s = sock.to_string_lossy().into_owned();
        // No console socket with a terminal, or one without: errors, nothing left.
        let out = rt.out(&["create", "--bundle", &b, "t0"]);
        assert_eq!(
            status_code(out.status),
            1,
            "{n}: terminal without socket: {out:?}"
        );
        assert_eq!(
            rt.quiet(&["create", "--console-socket", &s, "--bundle", &b, "t1"]),
            0,
            "{n}: create"
        );
        let master = receive_master(&listener);
        set_size(&master, 30, 100);
        let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let reader = {
            let text = text.clone();
            let mut f = std::fs::File::from(master.try_clone().expect("dup master"));
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                // EIO once every slave fd is closed.
                while let Ok(k @ 1..) = std::io::Read::read(&mut f, &mut buf) {
                    let mut t = text.lock().unwrap_or_else(|e| e.into_inner());
                    t.push_str(&String::from_utf8_lossy(&buf[..k]));
                }
            })
        };
        assert_eq!(rt.quiet(&["start", "t1"]), 0, "{n}: start");
        let wait_for = |needle: &str| {
            let deadline = Instant::now() + Duration::from_secs(20);
            while !text
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(needle)
            {
                assert!(
                    Instant::now() < deadline,
                    "{n}: no {needle:?} in {:?}",
                    text.lock().unwrap_or_else(|e| e.into_inner())
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        };
        wait_for("30 100");
        // `exec -t -d` with a console socket, while init waits on its read (runc takes
        // a console socket only with -d).
        let exec = rt
            .cmd(&[
                "exec",
                "-t",
                "-d",
                "--console-socket",
                &s,
                "t1",
                "sh",
                "-c",
                "read y; test -t 0 && echo exec-tty $y; stty size",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("exec -t");
        let emaster = receive_master(&listener);
        let eout = wait_output(exec, TIMEOUT).expect("exec -t -d");
        assert_eq!(status_code(eout.status), 0, "{n}: exec -t -d: {eout:?}");
        set_size(&emaster, 20, 60);
        std::io::Write::write_all(
            &mut std::fs::File::from(emaster.try_clone().expect("dup")),
            b"there\n",
        )
        .expect("type into the exec terminal");
        rustix::fs::fcntl_setfl(&emaster, rustix::fs::OFlags::NONBLOCK).expect("nonblock");
        let mut etext = String::new();
        let mut ef = std::fs::File::from(emaster);
        let mut buf = [0u8; 1024];
        let deadline = Instant::now() + Duration::from_secs(10);
        while !etext.ends_with("20 60\r\n") && Instant::now() < deadline {
            match std::io::Read::read(&mut ef, &mut buf) {
                Ok(k @ 1..) => etext.push_str(&String::from_utf8_lossy(&buf[..k])),
                _ => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        assert_eq!(
            etext, "there\r\nexec-tty there\r\n20 60\r\n",
            "{n}: exec -t"
        );
        // A resize on the console is what the application sees next.
        set_size(&master, 40, 120);
        std::io::Write::write_all(
            &mut std::fs::File::from(master.try_clone().expect("dup")),
            b"hello\n",
        )
        .expect("type into the terminal");
        wait_for("40 120");
        assert_eq!(rt.wait_status("t1", "stopped"), "stopped", "{n}");
        assert_eq!(rt.quiet(&["delete", "t1"]), 0, "{n}: delete");
        drop(master);
        let _ = reader.join();
        let got = text.lock().unwrap_or_else(|e| e.into_inner()).clone();
        assert!(
            rt.ids().iter().all(|i| i == "console.sock"),
            "{n}: left {:?}",
            rt.ids()
        );
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
        outputs.push((n, got));
    }
    let want = "in-tty\r\nout-tty\r\n30 100\r\nhello\r\ngot hello\r\n40 120\r\n";
    for (n, got) in outputs {
        assert_eq!(got, want, "{n}");
    }
}

#[test]
fn container_sentry_is_confined() {
    // The pid in state.json is the waiter; its child is the Sentry, pid 1 of its own
    // namespaces, under seccomp, with no_new_privs and no capabilities.
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    let rt = Runtime::husk();
    assert_eq!(
        rt.quiet(&["run", "-d", "--bundle", &b, "conf1"]),
        0,
        "run -d"
    );
    assert_eq!(rt.wait_status("conf1", "running"), "running");
    let out = rt.out(&["state", "conf1"]);
    let state: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("state json: {e}: {out:?}"));
    let pid = state["pid"].as_u64().unwrap_or(0);
    let children =
        std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
    let sentry: u64 = children
        .split_whitespace()
        .next()
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let status = std::fs::read_to_string(format!("/proc/{sentry}/status")).unwrap_or_default();
    let ns = |p: u64, n: &str| std::fs::read_link(format!("/proc/{p}/ns/{n}")).ok();
    let pid_ns_differs = ns(sentry, "pid").is_some() && ns(sentry, "pid") != ns(pid as u64, "pid");
    assert_eq!(
        rt.quiet(&["delete", "--force", "conf1"]),
        0,
        "delete --force"
    );
    assert_no_sandbox_left(&rt);
    for want in ["Seccomp:\t2", "NoNewPrivs:\t1", "CapEff:\t0000000000000000"] {
        assert!(
            status.lines().any(|l| l == want),
            "the container's Sentry (pid {sentry}, child of {pid}) lacks {want:?}:\n{status}"
        );
    }
    assert!(
        pid_ns_differs,
        "the Sentry is not in a PID namespace of its own"
    );
}

#[test]
fn exec_forwards_signals() {
    // A signal sent to the `exec` command reaches the process it started (as runc's).
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        assert_eq!(
            rt.quiet(&["run", "-d", "--bundle", &b, "sig1"]),
            0,
            "{n}: run -d"
        );
        assert_eq!(rt.wait_status("sig1", "running"), "running", "{n}");
        let script = "trap 'echo got TERM; exit 3' TERM; echo ready; while :; do sleep 0.1; done";
        let mut child = rt
            .cmd(&["exec", "sig1", "sh", "-c", script])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn exec");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                let _ = tx.send(line);
            }
        });
        let ready = rx.recv_timeout(Duration::from_secs(30));
        assert_eq!(ready.as_deref(), Ok("ready"), "{n}: no ready line");
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "{n}: kill failed");
        let status = husk_tests::wait_output(child, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{n}: {e:#}"))
            .status;
        let _ = reader.join();
        let rest: Vec<String> = rx.try_iter().collect();
        assert_eq!(rest, vec!["got TERM".to_string()], "{n}");
        assert_eq!(status_code(status), 3, "{n}");
        assert_eq!(rt.quiet(&["delete", "--force", "sig1"]), 0, "{n}: delete");
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn exec_into_created_container() {
    // runc runs exec'd processes in a created container; its init stays pid 1.
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        assert_eq!(
            rt.quiet(&["create", "--bundle", &b, "ec1"]),
            0,
            "{n}: create"
        );
        let out = rt.out(&["exec", "ec1", "sh", "-c", "echo hi; exit 4"]);
        assert_eq!(status_code(out.status), 4, "{n}: {out:?}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n", "{n}");
        assert_eq!(rt.status("ec1"), "created", "{n}");
        assert_eq!(rt.quiet(&["start", "ec1"]), 0, "{n}: start");
        assert_eq!(rt.wait_status("ec1", "running"), "running", "{n}");
        let out = rt.out(&["exec", "ec1", "cat", "/proc/1/cmdline"]);
        assert_eq!(status_code(out.status), 0, "{n}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "sleep\u{0}1000\u{0}",
            "{n}"
        );
        assert_eq!(rt.quiet(&["delete", "--force", "ec1"]), 0, "{n}: delete");
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn long_state_paths_work() {
    // Docker's state directories hold 64-character ids: the control socket's path is
    // then longer than a socket address can hold.
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    let mut rt = Runtime::husk();
    let base = rt.root.clone();
    rt.root = rt.root.join("a".repeat(60)).join("b".repeat(60));
    let id = "c".repeat(64);
    assert_eq!(rt.quiet(&["create", "--bundle", &b, &id]), 0, "create");
    assert_eq!(rt.quiet(&["start", &id]), 0, "start");
    assert_eq!(rt.wait_status(&id, "running"), "running");
    let out = rt.out(&["exec", &id, "echo", "hi"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n", "{out:?}");
    assert_eq!(rt.quiet(&["kill", &id, "KILL"]), 0, "kill");
    assert_eq!(rt.wait_status(&id, "stopped"), "stopped");
    assert_eq!(rt.quiet(&["delete", &id]), 0, "delete");
    assert_no_sandbox_left(&rt);
    // Runtime's drop removes rt.root, the deepest directory; the rest goes here.
    let _ = std::fs::remove_dir_all(&base);
}

/// Two `start`s racing: one starts the container, the other is refused, and neither
/// hangs. (Not compared with runc: there the loser of the race can block for good on
/// the exec fifo, about one time in fifteen here.)
#[test]
fn racing_starts_start_once() {
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    // A few rounds: which start wins varies.
    let rt = Runtime::husk();
    for n in 0..5 {
        assert_eq!(
            rt.quiet(&["create", "--bundle", &b, "race1"]),
            0,
            "{n}: create"
        );
        let starts: Vec<_> = (0..2)
            .map(|_| {
                rt.cmd(&["start", "race1"])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("start")
            })
            .collect();
        let mut codes: Vec<i32> = starts
            .into_iter()
            .map(|c| status_code(wait_output(c, TIMEOUT).expect("start").status))
            .collect();
        codes.sort();
        assert_eq!(codes[0], 0, "{n}: one start succeeds");
        assert_ne!(codes[1], 0, "{n}: the other is refused");
        assert_eq!(rt.wait_status("race1", "running"), "running", "{n}");
        assert_eq!(rt.quiet(&["delete", "--force", "race1"]), 0, "{n}: delete");
    }
}

/// A container whose gofer dies (killed here) stops with 137, the log says why in one
/// line, and delete leaves nothing behind.
#[test]
fn killed_gofer_stops_the_container() {
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    let rt = Runtime::husk();
    let log = rt.root.join("gofer.log");
    let l = log.to_string_lossy().into_owned();
    let logged = |args: &[&str]| {
        let mut all = vec!["--log", &l, "--log-format", "json"];
        all.extend(args);
        rt.quiet(&all)
    };
    assert_eq!(logged(&["run", "-d", "--bundle", &b, "gk1"]), 0, "run -d");
    assert_eq!(rt.wait_status("gk1", "running"), "running");
    let gofer = format!("gofer --root {}", bundle.dir.join("rootfs").display());
    let pid = processes_mentioning(&gofer)
        .first()
        .and_then(|p| p.split(':').next().and_then(|n| n.parse::<u32>().ok()))
        .expect("the container's gofer runs");
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status();
    assert!(killed.is_ok_and(|s| s.success()), "kill the gofer");
    assert_eq!(rt.wait_status("gk1", "stopped"), "stopped");
    let out = rt.out(&["wait", "gk1"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        r#"{"exitStatus":137,"id":"gk1"}"#
    );
    let text = wait_log(&log, "the gofer serving / exited");
    assert!(
        text.contains("the gofer serving / exited: the container was stopped"),
        "{text}"
    );
    assert_eq!(rt.quiet(&["delete", "gk1"]), 0, "delete");
    assert_no_sandbox_left(&rt);
}

/// The control socket serves one request at a time: a client that connects and says
/// nothing must not stop `exec` and `kill` from being served (it is dropped after a while).
#[test]
fn silent_control_client_does_not_block_the_sandbox() {
    let bundle = Bundle::new(&["sleep", "1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    let rt = Runtime::husk();
    assert_eq!(
        rt.quiet(&["run", "-d", "--bundle", &b, "sil1"]),
        0,
        "run -d"
    );
    let silent = std::os::unix::net::UnixStream::connect(rt.root.join("sil1/control.sock"))
        .expect("connect to the control socket");
    let out = rt.out(&["exec", "sil1", "echo", "hi"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n", "{out:?}");
    drop(silent);
    assert_eq!(rt.quiet(&["delete", "--force", "sil1"]), 0, "delete");
    assert_no_sandbox_left(&rt);
}

#[test]
fn events_stats_and_wait() {
    let bundle = Bundle::new(&["sh", "-c", "sleep 1000"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    for rt in Runtime::all() {
        let n = rt.name;
        assert_eq!(
            rt.quiet(&["run", "-d", "--bundle", &b, "ev1"]),
            0,
            "{n}: run -d"
        );
        assert_eq!(rt.wait_status("ev1", "running"), "running", "{n}");
        let out = rt.out(&["events", "--stats", "ev1"]);
        assert_eq!(status_code(out.status), 0, "{n}: {out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{n}: events json: {e}: {out:?}"));
        assert_eq!(v["type"], "stats", "{n}: {v}");
        assert_eq!(v["id"], "ev1", "{n}: {v}");
        let pids = v["data"]["pids"]["current"].as_u64().unwrap_or(0);
        assert!(pids >= 1, "{n}: pids.current {pids}: {v}");
        assert!(
            v["data"]["memory"]["usage"]["usage"].as_u64().unwrap_or(0) > 0,
            "{n}: {v}"
        );
        if n == "husk" {
            // runsc's `wait`: blocks until the container stops, prints its status.
            let waiter = rt
                .cmd(&["wait", "ev1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn wait");
            assert_eq!(rt.quiet(&["kill", "ev1", "KILL"]), 0, "kill");
            let out = husk_tests::wait_output(waiter, Duration::from_secs(30))
                .unwrap_or_else(|e| panic!("{e:#}"));
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                "{\"exitStatus\":137,\"id\":\"ev1\"}\n",
                "{out:?}"
            );
        }
        assert_eq!(rt.quiet(&["delete", "--force", "ev1"]), 0, "{n}: delete");
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

#[test]
fn runtime_flags_overlay_network_debug_log() {
    let bundle = Bundle::new(&["sh", "-c", "echo written > /out.txt"]);
    bundle.edit(|c| c["root"]["readonly"] = serde_json::json!(false));
    let b = bundle.dir.to_string_lossy().into_owned();
    let out_file = bundle.dir.join("rootfs/out.txt");
    let rt = Runtime::husk();
    // Default: the rootfs stays untouched (in-memory layer).
    let out = rt.out(&["run", "--bundle", &b, "fl1"]);
    assert_eq!(status_code(out.status), 0, "{out:?}");
    assert!(
        !out_file.exists(),
        "the default overlay wrote to the bundle"
    );
    // --overlay none: writes reach the bundle's rootfs; --debug-log DIR gets a log.
    let logs = rt.root.with_extension("debug-logs");
    let l = logs.to_string_lossy().into_owned();
    let out = rt.out(&[
        "--overlay",
        "none",
        "--debug-log",
        &l,
        "run",
        "--bundle",
        &b,
        "fl2",
    ]);
    assert_eq!(status_code(out.status), 0, "{out:?}");
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap_or_default(),
        "written\n"
    );
    let log = std::fs::read_to_string(logs.join("fl2.boot.log")).unwrap_or_default();
    assert!(!log.is_empty(), "no debug log in {}", logs.display());
    let _ = std::fs::remove_dir_all(&logs);
    // A network husk cannot provide: one clear line, exit 2, nothing created.
    let out = rt.out(&["--network", "host", "run", "--bundle", &b, "fl3"]);
    assert_eq!(status_code(out.status), 2, "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--network host"), "{err}");
    assert_no_sandbox_left(&rt);
}

#[test]
fn container_cannot_reach_host_files_processes_or_pids() {
    // From inside a container: a host file outside the rootfs and its bind mounts (also
    // through planted symlinks), a host process (signal) and host pids are out of reach,
    // with husk as with runc.
    let bundle = Bundle::new(&["sh", "-c", "true"]);
    let secret = bundle.dir.join("secret.txt");
    std::fs::write(&secret, "host secret\n").expect("write secret");
    let vol = bundle.dir.join("vol");
    std::fs::create_dir_all(&vol).expect("mkdir vol");
    std::fs::write(vol.join("in.txt"), "shared\n").expect("write vol");
    let rootfs = bundle.dir.join("rootfs");
    std::os::unix::fs::symlink("../secret.txt", rootfs.join("up")).expect("symlink");
    std::os::unix::fs::symlink(&secret, rootfs.join("abs")).expect("symlink");
    std::fs::create_dir_all(rootfs.join("vol")).expect("mkdir");
    let mut sleeper = Command::new("sleep")
        .arg("100")
        .stdin(Stdio::null())
        .spawn()
        .expect("spawn sleeper");
    let host_pid = sleeper.id();
    let script = format!(
        "cat /up 2>/dev/null || echo no-up; cat /abs 2>/dev/null || echo no-abs; \
         cat /../secret.txt 2>/dev/null || echo no-dotdot; cat /vol/in.txt; \
         cat /vol/../../secret.txt 2>/dev/null || echo no-vol-escape; \
         kill -0 {host_pid} 2>/dev/null && echo signalled || echo no-signal; \
         test -e /proc/{host_pid} && echo host-pid-visible || echo host-pid-hidden"
    );
    let vol_s = vol.to_string_lossy().into_owned();
    bundle.edit(|c| {
        c["process"]["args"] = serde_json::json!(["sh", "-c", script]);
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(serde_json::json!({
            "destination": "/vol", "type": "bind", "source": vol_s, "options": ["rbind", "ro"]
        }));
    });
    let b = bundle.dir.to_string_lossy().into_owned();
    let mut outputs = Vec::new();
    for rt in Runtime::all() {
        let n = rt.name;
        let out = rt.out(&["run", "--bundle", &b, "iso1"]);
        assert_eq!(status_code(out.status), 0, "{n}: {out:?}");
        outputs.push((n, String::from_utf8_lossy(&out.stdout).into_owned()));
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
    let alive = sleeper.try_wait().map(|s| s.is_none()).unwrap_or(false);
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(alive, "the host process was killed");
    let want = "no-up\nno-abs\nno-dotdot\nshared\nno-vol-escape\nno-signal\nhost-pid-hidden\n";
    for (n, out) in outputs {
        assert_eq!(out, want, "{n}");
    }
}

/// `linux.sysctl` is applied before the first process (namespaced ones; what the
/// Sentry lacks, such as net.ipv4.ping_group_range, is ignored with a warning), and
/// runc's default masked and read-only paths hold under /proc: /proc/sys is read-only
/// (EROFS, also through a relative walk below it), masked entries read as empty.
#[test]
fn sysctl_masked_and_readonly_proc() {
    let script = "cd /proc/sys/kernel && cat hostname domainname shmmax msgmax sem; \
        { echo x > hostname; } 2>&1; echo \"hostname write: $?\"; \
        { echo 1 > /proc/sys/kernel/shmmni; } 2>&1; echo \"shmmni write: $?\"; \
        cat hostname; \
        echo \"kcore: $(cat /proc/kcore 2>/dev/null | wc -c)\"; \
        echo \"keys: $(cat /proc/keys 2>/dev/null | wc -c)\"; \
        echo \"random: $(ls /proc/sys/kernel/random | wc -l)\"; \
        echo \"ostype: $(cat /proc/sys/kernel/ostype | wc -c)\"; \
        echo \"uptime: $(cat /proc/uptime | wc -c)\"";
    let bundle = Bundle::new(&["sh", "-c", script]);
    std::os::unix::fs::symlink("busybox", bundle.dir.join("rootfs/bin/wc")).expect("symlink");
    bundle.edit(|c| {
        // runc's default lists (`husk spec`), plus entries the Sentry's procfs has: a
        // top-level file, a file and a directory below /proc/sys.
        let masked = c["linux"]["maskedPaths"]
            .as_array_mut()
            .expect("maskedPaths");
        assert!(masked.iter().any(|p| p == "/proc/kcore"), "{masked:?}");
        masked.extend(
            [
                "/proc/uptime",
                "/proc/sys/kernel/ostype",
                "/proc/sys/kernel/random",
            ]
            .map(serde_json::Value::from),
        );
        let ro = &c["linux"]["readonlyPaths"];
        assert!(
            ro.as_array()
                .is_some_and(|r| r.iter().any(|p| p == "/proc/sys")),
            "{ro}"
        );
        c["hostname"] = "box".into();
        c["linux"]["sysctl"] = serde_json::json!({
            "kernel.domainname": "example.org",
            "kernel.shmmax": "123456",
            "kernel.msgmax": "9000",
            "kernel.sem": "250 32000 32 128",
            "net.ipv4.ping_group_range": "0 2147483647",
        });
    });
    let b = bundle.dir.to_string_lossy().into_owned();
    let want = "box\nexample.org\n123456\n9000\n250\t32000\t32\t128\n\
        sh: can't create hostname: Read-only file system\nhostname write: 1\n\
        sh: can't create /proc/sys/kernel/shmmni: Read-only file system\nshmmni write: 1\n\
        box\nkcore: 0\nkeys: 0\nrandom: 0\nostype: 0\nuptime: 0\n";
    for rt in Runtime::all() {
        let n = rt.name;
        let out = rt.out(&["run", "--bundle", &b, "sysctl1"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(status_code(out.status), 0, "{n}: {stderr}");
        assert_eq!(String::from_utf8_lossy(&out.stdout), want, "{n}: {stderr}");
        if n == "husk" {
            assert!(
                stderr.contains(
                    "sysctl net.ipv4.ping_group_range: not implemented by the sandbox, ignored"
                ),
                "{stderr}"
            );
            assert_no_sandbox_left(&rt);
        }
    }
}

/// Writes a pod's two bundles (a pause container and an app container carrying
/// containerd's CRI annotations, with a marker file only in the app's rootfs).
fn pod_bundles(sandbox_id: &str, app_args: &[&str]) -> (Bundle, Bundle) {
    let pause = Bundle::new(&["sleep", "1000"]);
    let app = Bundle::new(app_args);
    std::fs::write(app.dir.join("rootfs/marker"), "app rootfs\n").expect("marker");
    pause.edit(|c| {
        c["hostname"] = "pod1".into();
        c["annotations"] = serde_json::json!({
            "io.kubernetes.cri.container-type": "sandbox",
            "io.kubernetes.cri.sandbox-id": sandbox_id,
        });
    });
    app.edit(|c| {
        c["hostname"] = "pod1".into();
        c["annotations"] = serde_json::json!({
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.sandbox-id": sandbox_id,
        });
    });
    (pause, app)
}

/// A pod as containerd's CRI plugin makes it: the pause container, then an app
/// container whose annotations name the pause container's sandbox. Under husk the app
/// runs in that sandbox (its host process is a `husk join` stand-in, not a sandbox of
/// its own), with its own rootfs and PID namespace; what it prints, its exit code and
/// the lifecycle (state, exec, ps, kill, delete) are runc's. Deleting the sandbox ends
/// the containers in it.
#[test]
fn pod_container_joins_the_sandbox() {
    // The sleep lives as long as the shell, so that ps always lists two processes.
    let script = "echo hello; cat /marker; hostname; echo pid $$; \
        trap 'echo got TERM; exit 7' TERM; sleep 1000 & wait";
    let (pause, app) = pod_bundles("pod-sb", &["sh", "-c", script]);
    let (p, a) = (
        pause.dir.to_string_lossy().into_owned(),
        app.dir.to_string_lossy().into_owned(),
    );
    let mut results = Vec::new();
    for rt in Runtime::all() {
        let n = rt.name;
        assert_eq!(rt.quiet(&["run", "-d", "--bundle", &p, "pod-sb"]), 0, "{n}");
        assert_eq!(rt.status("pod-sb"), "running", "{n}");
        let log = rt.root.with_extension("app.log");
        let created = run_logged(&rt, &["create", "--bundle", &a, "app1"], &log);
        assert!(
            created.status.success(),
            "{n}: create: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        assert_eq!(rt.status("app1"), "created", "{n}");
        let st = rt.state("app1").expect("state");
        let pid = st["pid"].as_i64().expect("pid");
        if n == "husk" {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            assert!(cmd.contains(" join "), "{cmd}");
        }
        assert_eq!(rt.quiet(&["start", "app1"]), 0, "{n}");
        assert_eq!(rt.status("app1"), "running", "{n}");
        wait_log(&log, "pid ");
        let exec = rt.out(&[
            "exec",
            "app1",
            "sh",
            "-c",
            "cat /marker; echo exec $$; test -e /proc/1 && echo has-pid-1",
        ]);
        assert_eq!(status_code(exec.status), 0, "{n}: {exec:?}");
        let exec_out = String::from_utf8_lossy(&exec.stdout).into_owned();
        let ps = rt.out(&["ps", "--format", "json", "app1"]);
        assert!(ps.status.success(), "{n}: {ps:?}");
        let pids: Vec<i64> = serde_json::from_slice(&ps.stdout).expect("ps json");
        // The pause container's root does not have the app's marker.
        let pause_marker = rt.out(&["exec", "pod-sb", "cat", "/marker"]);
        assert_ne!(status_code(pause_marker.status), 0, "{n}: {pause_marker:?}");
        assert_eq!(rt.quiet(&["kill", "app1", "TERM"]), 0, "{n}");
        assert_eq!(rt.wait_status("app1", "stopped"), "stopped", "{n}");
        let printed = std::fs::read_to_string(&log).unwrap_or_default();
        assert_eq!(rt.quiet(&["delete", "app1"]), 0, "{n}");
        assert!(rt.state("app1").is_none(), "{n}");
        results.push((n, printed, exec_out, pids.len() >= 2));
        // A second app container: deleting the sandbox ends it.
        let child = rt
            .cmd(&["create", "--bundle", &a, "app2"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("create");
        assert!(
            wait_output(child, TIMEOUT)
                .expect("create")
                .status
                .success(),
            "{n}"
        );
        assert_eq!(rt.quiet(&["start", "app2"]), 0, "{n}");
        if n == "husk" {
            assert_eq!(rt.quiet(&["delete", "--force", "pod-sb"]), 0, "{n}");
            assert_eq!(rt.wait_status("app2", "stopped"), "stopped", "{n}");
            assert_eq!(rt.quiet(&["delete", "app2"]), 0, "{n}");
            assert_no_sandbox_left(&rt);
        } else {
            assert_eq!(rt.quiet(&["delete", "--force", "app2"]), 0, "{n}");
            assert_eq!(rt.quiet(&["delete", "--force", "pod-sb"]), 0, "{n}");
        }
        let _ = std::fs::remove_file(&log);
    }
    let want = "hello\napp rootfs\npod1\npid 1\ngot TERM\n";
    for (n, printed, exec_out, ps_ok) in results {
        assert_eq!(printed, want, "{n}");
        assert!(exec_out.starts_with("app rootfs\nexec "), "{n}: {exec_out}");
        assert!(exec_out.ends_with("has-pid-1\n"), "{n}: {exec_out}");
        assert!(ps_ok, "{n}: ps lists the init and the sleep");
    }
}

/// A container naming a sandbox that does not exist (or is not running) fails at
/// create with one line naming the annotation, and leaves no state behind.
#[test]
fn pod_container_needs_a_running_sandbox() {
    let (pause, app) = pod_bundles("pod-none", &["true"]);
    let a = app.dir.to_string_lossy().into_owned();
    let rt = Runtime::husk();
    let out = rt.out(&["create", "--bundle", &a, "app1"]);
    assert_eq!(status_code(out.status), 1, "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        err,
        "husk: annotations: sandbox \"pod-none\" (io.kubernetes.cri.sandbox-id) does not exist\n"
    );
    assert!(rt.ids().is_empty(), "{:?}", rt.ids());
    // Created but not started: not running yet.
    let p = pause.dir.to_string_lossy().into_owned();
    assert_eq!(rt.quiet(&["create", "--bundle", &p, "pod-none"]), 0);
    let out = rt.out(&["create", "--bundle", &a, "app1"]);
    assert_eq!(status_code(out.status), 1, "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is created, not running"),
        "{out:?}"
    );
    assert_eq!(rt.ids(), ["pod-none"]);
    assert_eq!(rt.quiet(&["delete", "--force", "pod-none"]), 0);
    assert_no_sandbox_left(&rt);
}

/// `kill --all` signals every process of the container: the children die of SIGTERM
/// while the container's init (a PID namespace's init, which ignores it) waits for
/// them and exits; for a container of its own and one that joined a pod's sandbox.
#[test]
fn kill_all_signals_every_process() {
    let script = "sleep 1000 & sleep 1000 & echo up; wait; echo waited; exit 5";
    let (pause, app) = pod_bundles("pod-ka", &["sh", "-c", script]);
    pause.edit(|c| c["process"]["args"] = serde_json::json!(["sh", "-c", script]));
    let (p, a) = (
        pause.dir.to_string_lossy().into_owned(),
        app.dir.to_string_lossy().into_owned(),
    );
    for rt in Runtime::all() {
        let n = rt.name;
        let logs = ["pod-ka", "app-ka"].map(|id| rt.root.with_extension(format!("{id}.log")));
        for ((id, bundle), log) in [("pod-ka", &p), ("app-ka", &a)].into_iter().zip(&logs) {
            let ran = run_logged(&rt, &["run", "-d", "--bundle", bundle, id], log);
            assert!(ran.status.success(), "{n} {id}");
            wait_log(log, "up");
        }
        // The app first: the pod's sandbox must outlive it.
        for (id, log) in [("app-ka", &logs[1]), ("pod-ka", &logs[0])] {
            assert_eq!(rt.quiet(&["kill", "--all", id, "TERM"]), 0, "{n} {id}");
            assert_eq!(rt.wait_status(id, "stopped"), "stopped", "{n} {id}");
            let printed = std::fs::read_to_string(log).unwrap_or_default();
            assert_eq!(printed, "up\nwaited\n", "{n} {id}");
            let _ = std::fs::remove_file(log);
        }
        assert_eq!(rt.quiet(&["delete", "app-ka"]), 0, "{n}");
        assert_eq!(rt.quiet(&["delete", "pod-ka"]), 0, "{n}");
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
    }
}

/// Compiles `tests/oci_progs/NAME.c` (static) into the bundle's rootfs as `/NAME`.
fn add_probe(bundle: &Bundle, name: &str) {
    let src = husk_tests::workspace_root().join(format!("tests/oci_progs/{name}.c"));
    let built = husk_tests::build_dir().join(format!("oci-{name}"));
    husk_tests::compile_c(&src, &built, &[]).unwrap_or_else(|e| panic!("{e:#}"));
    std::fs::copy(&built, bundle.dir.join("rootfs").join(name)).expect("copy probe");
}

/// Waits until `log` contains `needle` (10 s at most); returns its contents.
fn wait_log(log: &Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.contains(needle) || Instant::now() > deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `args` with stdout and stderr to the file `log` (the container keeps them when
/// detached), no stdin; waits for the runtime command itself.
fn run_logged(rt: &Runtime, args: &[&str], log: &Path) -> Output {
    let out = std::fs::File::create(log).expect("log");
    let child = rt
        .cmd(args)
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .spawn()
        .expect("spawn");
    wait_output(child, TIMEOUT).expect("wait")
}

/// The first child of host process `pid` (a husk container's Sentry, for its waiter).
fn first_child(pid: i64) -> Option<i64> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// PTRACE_ATTACH from a container's init to itself (pid 1), to pid 2 (absent), to host
/// pids (the test process; under husk the Sentry and its waiter, under runc the
/// container's own host pid) fails, with runc as with husk. runc gives Linux's errors
/// (EPERM for its own thread group, ESRCH for pids outside its PID namespace); husk
/// offers no ptrace to applications (ENOSYS). PTRACE_TRACEME fails under husk (under
/// runc it names the host parent, which Linux allows: not compared). Afterwards no
/// host process of the scenario has a tracer.
#[test]
fn ptrace_from_a_container_fails() {
    let bundle = Bundle::new(&["/ptrace_probe"]);
    add_probe(&bundle, "ptrace_probe");
    // The pids go through a bind-mounted directory: husk's rootfs overlay has read the
    // root directory by the time create returns.
    let input = bundle.dir.join("in");
    std::fs::create_dir_all(&input).expect("mkdir in");
    std::fs::create_dir_all(bundle.dir.join("rootfs/in")).expect("mkdir rootfs/in");
    let in_s = input.to_string_lossy().into_owned();
    bundle.edit(|c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.push(serde_json::json!({
            "destination": "/in", "type": "bind", "source": in_s, "options": ["rbind", "ro"]
        }));
    });
    let b = bundle.dir.to_string_lossy().into_owned();
    let me = i64::from(std::process::id());
    let tracer = |pid: i64| {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("TracerPid:\t").map(str::to_string))
            .unwrap_or_else(|| "(gone)".into())
    };
    for rt in Runtime::all() {
        let n = rt.name;
        let log = rt.root.with_extension("ptrace.log");
        let created = run_logged(&rt, &["create", "--bundle", &b, "pt1"], &log);
        assert!(
            created.status.success(),
            "{n}: create: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        let pid = rt.state("pt1").expect("state")["pid"]
            .as_i64()
            .expect("pid");
        let mut host = vec![("test", me)];
        if n == "husk" {
            let sentry = first_child(pid).expect("the Sentry (child of the state pid)");
            host.extend([("sentry", sentry), ("waiter", pid)]);
        } else {
            host.push(("init", pid));
        }
        let pids: String = host.iter().map(|(k, p)| format!("{k} {p}\n")).collect();
        std::fs::write(input.join("pids"), pids).expect("write pids");
        assert_eq!(rt.quiet(&["start", "pt1"]), 0, "{n}");
        let printed = wait_log(&log, "done\n");
        let tracers: Vec<(&str, String)> = host.iter().map(|&(k, p)| (k, tracer(p))).collect();
        assert_eq!(rt.quiet(&["delete", "--force", "pt1"]), 0, "{n}");
        let _ = std::fs::remove_file(&log);
        let _ = std::fs::remove_file(input.join("pids"));
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
        let lines: Vec<&str> = printed.lines().collect();
        let want_attach = 2 + host.len();
        assert_eq!(lines.len(), want_attach + 2, "{n}: {printed}");
        assert_eq!(lines.last(), Some(&"done"), "{n}: {printed}");
        for (i, who) in ["1", "2"]
            .into_iter()
            .chain(host.iter().map(|(k, _)| *k))
            .enumerate()
        {
            let want = match (n, who) {
                ("runc", "1") => "failed EPERM",
                ("runc", _) => "failed ESRCH",
                _ => "failed ENOSYS",
            };
            assert_eq!(lines[i], format!("attach {who}: {want}"), "{n}: {printed}");
        }
        if n == "husk" {
            assert_eq!(lines[want_attach], "traceme: failed ENOSYS", "{printed}");
        }
        for (who, t) in tracers {
            // runc's init asked for a tracer itself (PTRACE_TRACEME: its host parent).
            if (n, who) != ("runc", "init") {
                assert_eq!(t, "0", "{n}: the {who} process has a tracer");
            }
        }
    }
}

/// `process.capabilities`, `noNewPrivileges` and `oomScoreAdj` as runc applies them: the
/// sets /proc/self/status shows for root and for another user (whose permitted and
/// effective sets are its ambient set after execve), what they allow (chown without
/// CAP_CHOWN fails), and the same for a process `exec` starts from the config.
#[test]
fn capabilities_no_new_privs_and_oom_score_adj() {
    let script = "grep -E '^(Cap|NoNewPrivs)' /proc/self/status; cat /proc/self/oom_score_adj; \
        touch /tmp/f; chown 5 /tmp/f 2>/dev/null && echo chown-ok || echo chown-denied; \
        sleep 1000";
    let bundle = Bundle::new(&["sh", "-c", script]);
    for name in ["grep", "touch", "chown"] {
        std::os::unix::fs::symlink("busybox", bundle.dir.join("rootfs/bin").join(name))
            .expect("symlink");
    }
    std::fs::create_dir_all(bundle.dir.join("rootfs/tmp")).expect("mkdir tmp");
    bundle.edit(|c| c["root"]["readonly"] = false.into());
    let b = bundle.dir.to_string_lossy().into_owned();
    let caps = |l: &[&str]| serde_json::json!(l);
    type Edit = Box<dyn Fn(&mut serde_json::Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("default", Box::new(|_c: &mut serde_json::Value| {})),
        (
            "root-narrow",
            Box::new(move |c: &mut serde_json::Value| {
                let set = caps(&["CAP_KILL", "CAP_NET_BIND_SERVICE"]);
                c["process"]["capabilities"] = serde_json::json!({
                    "bounding": set, "effective": set, "permitted": set,
                    "inheritable": [], "ambient": []
                });
                c["process"]["noNewPrivileges"] = true.into();
                c["process"]["oomScoreAdj"] = 200.into();
            }),
        ),
        (
            "user-ambient",
            Box::new(move |c: &mut serde_json::Value| {
                let set = caps(&["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]);
                c["process"]["user"] = serde_json::json!({"uid": 1000, "gid": 1000});
                c["process"]["capabilities"] = serde_json::json!({
                    "bounding": caps(&["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]),
                    "effective": set, "permitted": set, "inheritable": set,
                    "ambient": caps(&["CAP_CHOWN"])
                });
                c["process"]["noNewPrivileges"] = false.into();
                c["process"]["oomScoreAdj"] = 0.into();
            }),
        ),
    ];
    let mut seen: Vec<(String, String)> = Vec::new();
    for (case, edit) in &cases {
        bundle.edit(|c| edit(c));
        for rt in Runtime::all() {
            let n = rt.name;
            let log = rt.root.with_extension("caps.log");
            let ran = run_logged(&rt, &["run", "-d", "--bundle", &b, "caps1"], &log);
            assert!(ran.status.success(), "{n} {case}");
            wait_log(&log, "chown-");
            let exec = rt.out(&[
                "exec",
                "caps1",
                "grep",
                "-E",
                "^(Cap|NoNewPrivs)",
                "/proc/self/status",
            ]);
            assert_eq!(status_code(exec.status), 0, "{n} {case}: {exec:?}");
            assert_eq!(rt.quiet(&["delete", "--force", "caps1"]), 0, "{n} {case}");
            let printed = std::fs::read_to_string(&log).unwrap_or_default();
            let _ = std::fs::remove_file(&log);
            seen.push((
                format!("{n} {case}"),
                format!(
                    "{printed}--- exec\n{}",
                    String::from_utf8_lossy(&exec.stdout)
                ),
            ));
            if n == "husk" {
                assert_no_sandbox_left(&rt);
            }
        }
    }
    // husk's output for each case is runc's (when runc is there, it ran first).
    for pair in seen.chunks(2) {
        if let [(a, out_a), (b, out_b)] = pair {
            assert_eq!(out_a, out_b, "{a} vs {b}");
        }
    }
    let husk: Vec<&(String, String)> = seen.iter().filter(|(k, _)| k.starts_with("husk")).collect();
    assert!(
        husk[1].1.contains("CapEff:\t0000000000000420\n"),
        "{}",
        husk[1].1
    );
    assert!(
        husk[1].1.contains("NoNewPrivs:\t1\n200\nchown-denied\n"),
        "{}",
        husk[1].1
    );
    assert!(
        husk[2].1.contains("CapAmb:\t0000000000000001\n"),
        "{}",
        husk[2].1
    );
}

/// The test hook `HUSK_TEST_FORBIDDEN_SYSCALL=1` (inherited by the sandbox process)
/// makes a container's Sentry issue a host system call its seccomp policy does not list,
/// right after installing the policy: the kernel kills it with SIGSYS, `run` fails as a
/// failed create does (exit code 1), says so, and leaves nothing behind.
#[test]
fn container_sentry_dies_on_a_syscall_outside_its_policy() {
    let bundle = Bundle::new(&["true"]);
    let b = bundle.dir.to_string_lossy().into_owned();
    let rt = Runtime::husk();
    let child = rt
        .cmd(&["run", "--bundle", &b, "sys1"])
        .env("HUSK_TEST_FORBIDDEN_SYSCALL", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run");
    let out = wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("run: {e:#}"));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(status_code(out.status), 1, "{out:?}");
    assert!(out.stdout.is_empty(), "{out:?}");
    // One line naming the cause.
    assert_eq!(
        err,
        "husk: the Sentry was killed by SIGSYS (a host system call outside its seccomp policy)\n"
    );
    assert!(rt.ids().is_empty(), "state left: {:?}", rt.ids());
    assert_no_sandbox_left(&rt);
    // Without the hook the same bundle runs.
    assert_eq!(rt.quiet(&["run", "--bundle", &b, "sys2"]), 0);
    assert_no_sandbox_left(&rt);
}

/// A container joined to a pod's sandbox is kept apart from the pod's other container
/// (husk only: under runc these are separate containers anyway): the pause container's
/// rootfs is out of reach (`..` walks, /proc/PID/root of every pid it sees and of the
/// pause container's pids in the sandbox), and it can neither see nor signal a process
/// of the pause container (kill -0 and kill -9 on pids 1..50 outside its own PID
/// namespace fail; the pause container keeps running). What the stand-in process
/// (`husk join`) holds on the host is printed, not asserted.
/// A pod container's terminal is its own: it is /dev/pts/0 inside that container, and
/// the pod's other containers (which share the sandbox's devpts) do not see it.
#[test]
fn pod_container_terminal_is_not_visible_to_the_others() {
    if !husk_tests::have_script() {
        return;
    }
    let (pause, app) = pod_bundles("pod-tty", &["sh", "-c", "tty; ls /dev/pts; sleep 3"]);
    app.edit(|c| c["process"]["terminal"] = true.into());
    for b in [&pause, &app] {
        std::os::unix::fs::symlink("busybox", b.dir.join("rootfs/bin/tty")).expect("symlink");
    }
    let (p, a) = (
        pause.dir.to_string_lossy().into_owned(),
        app.dir.to_string_lossy().into_owned(),
    );
    let rt = Runtime::husk();
    assert_eq!(
        rt.quiet(&["run", "-d", "--bundle", &p, "pod-tty"]),
        0,
        "sandbox"
    );
    let cmd = format!(
        "{} --root {} run --bundle {a} pod-tty-app",
        rt.bin.display(),
        rt.root.display()
    );
    let app_run = std::thread::spawn(move || on_a_terminal(&cmd, "", "0"));
    // While the app runs (its sleep): the sandbox's container lists no terminal.
    std::thread::sleep(Duration::from_millis(1500));
    let seen = rt.out(&["exec", "pod-tty", "ls", "/dev/pts"]);
    let app_out = app_run.join().expect("app run");
    assert_eq!(String::from_utf8_lossy(&seen.stdout), "ptmx\n", "{seen:?}");
    assert!(
        app_out
            .trim_start_matches('\0')
            .starts_with("/dev/pts/0\r\n0     ptmx\r\n"),
        "{app_out:?}"
    );
    let _ = rt.quiet(&["delete", "--force", "pod-tty-app"]);
    assert_eq!(rt.quiet(&["delete", "--force", "pod-tty"]), 0, "delete");
    assert_no_sandbox_left(&rt);
}

#[test]
fn pod_container_cannot_reach_the_other_container() {
    let script = "sleep 1000 & sleep 1000 & echo up; wait";
    let (pause, app) = pod_bundles("pod-iso", &["true"]);
    pause.edit(|c| c["process"]["args"] = serde_json::json!(["sh", "-c", script]));
    std::fs::write(pause.dir.join("rootfs/pause-secret"), "pause secret\n").expect("secret");
    let (p, a) = (
        pause.dir.to_string_lossy().into_owned(),
        app.dir.to_string_lossy().into_owned(),
    );
    let rt = Runtime::husk();
    let plog = rt.root.with_extension("pause.log");
    assert!(
        run_logged(&rt, &["run", "-d", "--bundle", &p, "pod-iso"], &plog)
            .status
            .success()
    );
    assert_eq!(wait_log(&plog, "up\n"), "up\n");
    // The pause container's pids as the sandbox numbers them, and a positive control:
    // its marker is there for its own processes.
    let ps = rt.out(&["ps", "--format", "json", "pod-iso"]);
    let pause_pids: Vec<i64> = serde_json::from_slice(&ps.stdout).expect("ps json");
    assert_eq!(pause_pids.len(), 3, "{ps:?}");
    let own = rt.out(&["exec", "pod-iso", "cat", "/pause-secret"]);
    assert_eq!(
        String::from_utf8_lossy(&own.stdout),
        "pause secret\n",
        "{own:?}"
    );
    let roots: String = pause_pids
        .iter()
        .map(|p| {
            format!(
                "cat /proc/{p}/root/pause-secret 2>/dev/null && echo LEAK-sandbox-pid-{p}; \
                 cat /proc/{p}/cwd/pause-secret 2>/dev/null && echo LEAK-sandbox-cwd-{p}; "
            )
        })
        .collect();
    let app_script = format!(
        "cat /../pause-secret 2>/dev/null && echo LEAK-dotdot; \
         cd / && cat ../../../pause-secret 2>/dev/null && echo LEAK-cd; \
         cat /proc/self/root/../pause-secret 2>/dev/null && echo LEAK-self-root; \
         {roots}\
         own=' '; for d in /proc/[0-9]*; do own=\"$own${{d#/proc/}} \"; \
           cat $d/root/pause-secret 2>/dev/null && echo LEAK-root-$d; done; \
         echo \"own$own\"; \
         i=1; while [ $i -le 50 ]; do case \"$own\" in *\" $i \"*) ;; *) \
           kill -0 $i 2>/dev/null && echo seen-$i; \
           kill -9 $i 2>/dev/null && echo killed-$i;; esac; i=$((i+1)); done; \
         echo done"
    );
    app.edit(|c| c["process"]["args"] = serde_json::json!(["sh", "-c", app_script]));
    let alog = rt.root.with_extension("app.log");
    let out = std::fs::File::create(&alog).expect("log");
    let child = rt
        .cmd(&["create", "--bundle", &a, "app-iso"])
        .stdin(Stdio::null())
        .stdout(out.try_clone().expect("dup"))
        .stderr(out)
        .spawn()
        .expect("create");
    assert!(
        wait_output(child, TIMEOUT)
            .expect("create")
            .status
            .success(),
        "create: {}",
        std::fs::read_to_string(&alog).unwrap_or_default()
    );
    let stand_in = rt.state("app-iso").expect("state")["pid"]
        .as_i64()
        .expect("pid");
    let status = std::fs::read_to_string(format!("/proc/{stand_in}/status")).unwrap_or_default();
    let shown: Vec<&str> = status
        .lines()
        .filter(|l| {
            ["Uid:", "Cap", "NoNewPrivs:", "Seccomp:"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .collect();
    eprintln!("the stand-in (husk join, pid {stand_in}): {shown:?}");
    assert_eq!(rt.quiet(&["start", "app-iso"]), 0);
    let printed = wait_log(&alog, "done\n");
    assert_eq!(rt.wait_status("app-iso", "stopped"), "stopped", "{printed}");
    let pause_after = rt.status("pod-iso");
    let ps_after = rt.out(&["ps", "--format", "json", "pod-iso"]);
    assert_eq!(rt.quiet(&["delete", "app-iso"]), 0);
    assert_eq!(rt.quiet(&["delete", "--force", "pod-iso"]), 0);
    let _ = std::fs::remove_file(&plog);
    let _ = std::fs::remove_file(&alog);
    assert_no_sandbox_left(&rt);
    assert_eq!(printed, "own 1 \ndone\n", "the joined container");
    assert_eq!(pause_after, "running");
    let after: Vec<i64> = serde_json::from_slice(&ps_after.stdout).expect("ps json");
    assert_eq!(after, pause_pids, "the pause container's processes");
}

/// The Sentry's cgroupfs on /sys/fs/cgroup (the `cgroup` mount podman and containerd
/// add): cgroup2 with the container's cgroup as its root, as runc shows it on a
/// cgroup v2 host with a cgroup namespace. husk only: this host is a v1/v2 hybrid,
/// where runc mounts the v1 hierarchies instead.
#[test]
fn cgroupfs_shows_the_container_limits() {
    let script = "cd /sys/fs/cgroup || exit 9; \
        for f in cgroup.controllers cgroup.type cgroup.subtree_control memory.max \
            memory.swap.max cpu.max cpu.weight pids.max; do echo \"$f: $(cat $f)\"; done; \
        printf 'procs:'; while read p; do printf ' %s' $p; done < cgroup.procs; echo; \
        read n < pids.current; [ \"$n\" -ge 1 ] && echo pids.current ok; \
        read m < memory.current; [ \"$m\" -gt 0 ] && echo memory.current ok; \
        read u x < cpu.stat; [ \"$u\" = usage_usec ] && [ \"$x\" -gt 0 ] && echo cpu.stat ok; \
        busybox grep cgroup2 /proc/self/mounts; \
        busybox stat -f -c %t /sys/fs/cgroup; \
        { echo 1000000 > memory.max; } 2>&1; echo \"write: $?\"; \
        { echo +memory > cgroup.subtree_control; } 2>&1; \
        { echo 1 > cgroup.procs; } 2>&1; echo \"procs write: $?\"; \
        cat memory.max";
    let cases = [
        // podman's and containerd's mount, with limits.
        (
            true,
            serde_json::json!({"memory": {"limit": 64 << 20},
                "cpu": {"quota": 50000, "period": 100000, "shares": 1024},
                "pids": {"limit": 100}}),
            "cgroup.controllers: cpu memory pids\ncgroup.type: domain\n\
             cgroup.subtree_control: \nmemory.max: 67108864\nmemory.swap.max: max\n\
             cpu.max: 50000 100000\ncpu.weight: 39\npids.max: 100\nprocs: 1\n\
             pids.current ok\nmemory.current ok\ncpu.stat ok\n\
             cgroup2 /sys/fs/cgroup cgroup2 ro,relatime 0 0\n63677270\n\
             sh: can't create memory.max: Read-only file system\nwrite: 1\n\
             sh: can't create cgroup.subtree_control: Read-only file system\n\
             sh: can't create cgroup.procs: Read-only file system\nprocs write: 1\n\
             67108864\n",
        ),
        // No limits, a writable mount: the root of a cgroup namespace refuses writes
        // to its interface files but for the delegatable ones.
        (
            false,
            serde_json::Value::Null,
            "cgroup.controllers: cpu memory pids\ncgroup.type: domain\n\
             cgroup.subtree_control: \nmemory.max: max\nmemory.swap.max: max\n\
             cpu.max: max 100000\ncpu.weight: 100\npids.max: max\nprocs: 1\n\
             pids.current ok\nmemory.current ok\ncpu.stat ok\n\
             cgroup2 /sys/fs/cgroup cgroup2 rw,relatime 0 0\n63677270\n\
             sh: write error: Operation not permitted\nwrite: 1\n\
             sh: write error: Device or resource busy\nprocs write: 0\nmax\n",
        ),
    ];
    for (i, (ro, resources, want)) in cases.into_iter().enumerate() {
        let bundle = Bundle::new(&["sh", "-c", script]);
        bundle.edit(|c| {
            let opts = if ro {
                serde_json::json!(["nosuid", "noexec", "nodev", "relatime", "ro"])
            } else {
                serde_json::json!(["nosuid", "noexec", "nodev", "relatime"])
            };
            // `husk spec` (as runc's) has the cgroup mount already, read-only.
            let mounts = c["mounts"].as_array_mut().expect("mounts");
            mounts.retain(|m| m["type"] != "cgroup");
            mounts.push(
                serde_json::json!({"destination": "/sys/fs/cgroup", "type": "cgroup",
                "source": "cgroup", "options": opts}),
            );
            if !resources.is_null() {
                c["linux"]["resources"] = resources;
            }
        });
        let b = bundle.dir.to_string_lossy().into_owned();
        let rt = Runtime::husk();
        let out = rt.out(&["run", "--bundle", &b, &format!("cg{i}")]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(status_code(out.status), 0, "case {i}: {stderr}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            want,
            "case {i}: {stderr}"
        );
        assert_no_sandbox_left(&rt);
    }
    // Without a cgroup mount, /sys/fs/cgroup is an empty directory of sysfs.
    let bundle = Bundle::new(&["sh", "-c", "ls -a /sys/fs/cgroup | busybox wc -l"]);
    bundle.edit(|c| {
        let mounts = c["mounts"].as_array_mut().expect("mounts");
        mounts.retain(|m| m["type"] != "cgroup");
    });
    let b = bundle.dir.to_string_lossy().into_owned();
    let rt = Runtime::husk();
    let out = rt.out(&["run", "--bundle", &b, "cg-none"]);
    assert_eq!(status_code(out.status), 0, "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2\n");
    assert_no_sandbox_left(&rt);
}

/// A pod's container sees a cgroupfs of its own at /sys/fs/cgroup (its config asks for
/// the cgroup mount): its own memory limit, and only the processes of its PID
/// namespace in cgroup.procs.
#[test]
fn pod_container_has_its_own_cgroupfs() {
    let (pause, app) = pod_bundles(
        "pod-cg",
        &[
            "sh",
            "-c",
            "cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/cgroup.procs",
        ],
    );
    app.edit(|c| c["linux"]["resources"] = serde_json::json!({"memory": {"limit": 67108864}}));
    let (p, a) = (
        pause.dir.to_string_lossy().into_owned(),
        app.dir.to_string_lossy().into_owned(),
    );
    let rt = Runtime::husk();
    assert_eq!(rt.quiet(&["run", "-d", "--bundle", &p, "pod-cg"]), 0);
    let out = rt.out(&["run", "--bundle", &a, "app-cg"]);
    assert_eq!(status_code(out.status), 0, "{out:?}");
    // Only cat (pid 1: the shell execs its last command), not the pause's sleep.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "67108864\n1\n");
    assert_eq!(rt.quiet(&["delete", "--force", "pod-cg"]), 0);
    assert_no_sandbox_left(&rt);
}

/// `cmd` on a terminal of its own (see husk_tests::on_a_terminal), typing `input`
/// (printf escapes) after `delay` seconds.
fn on_a_terminal(cmd: &str, input: &str, delay: &str) -> String {
    husk_tests::on_a_terminal(
        cmd,
        &format!("sleep {delay}; printf '{input}'; sleep 1"),
        TIMEOUT,
    )
}

/// The container's terminal is /dev/pts/N of its own devpts, as under runc: `tty`
/// names it, it is listed in /dev/pts, and ps shows it as the processes' terminal
/// (for `run` with a terminal and for `exec -t`).
#[test]
fn terminal_is_a_dev_pts_node() {
    if !husk_tests::have_script() {
        return;
    }
    let bundle = Bundle::new(&["true"]);
    for name in ["tty", "ps"] {
        std::os::unix::fs::symlink("busybox", bundle.dir.join("rootfs/bin").join(name))
            .expect("symlink");
    }
    let b = bundle.dir.to_string_lossy().into_owned();
    let probe = "tty; ls /dev/pts; ps -o tty,comm; echo x > /dev/tty";
    let mut results = Vec::new();
    for rt in Runtime::all() {
        let base = format!("{} --root {}", rt.bin.display(), rt.root.display());
        bundle.edit(|c| {
            c["process"]["terminal"] = true.into();
            c["process"]["args"] = serde_json::json!(["sh", "-c", probe]);
        });
        let run = on_a_terminal(&format!("{base} run --bundle {b} pts1"), "", "0");
        let _ = rt.quiet(&["delete", "--force", "pts1"]);
        bundle.edit(|c| {
            c["process"]["terminal"] = false.into();
            c["process"]["args"] = serde_json::json!(["sleep", "1000"]);
        });
        assert_eq!(
            rt.quiet(&["run", "-d", "--bundle", &b, "pts2"]),
            0,
            "{}",
            rt.name
        );
        let exec = on_a_terminal(&format!("{base} exec -t pts2 sh -c '{probe}'"), "", "0");
        assert_eq!(rt.quiet(&["delete", "--force", "pts2"]), 0, "{}", rt.name);
        // runc's console sometimes starts with a NUL byte.
        let clean = |s: String| s.trim_start_matches('\0').to_string();
        results.push((rt.name, clean(run), clean(exec)));
    }
    let (_, run, exec) = results.last().expect("husk ran");
    assert!(run.starts_with("/dev/pts/0\r\n0     ptmx\r\n"), "{run:?}");
    assert!(
        run.contains("136,0  sh\r\n") && run.ends_with("x\r\nrc=0\r\n"),
        "{run:?}"
    );
    assert!(exec.contains("?      sleep\r\n"), "{exec:?}");
    if let [(_, r1, e1), (_, r2, e2)] = &results[..] {
        assert_eq!((r2, e2), (r1, e1), "husk (left) and runc (right)");
    }
}

/// An interactive shell on the container's terminal (`run` with process.terminal, and
/// `exec -t`) has job control, as under runc: ^C interrupts the foreground job, ^Z
/// stops it, `jobs` and `fg` work (the Sentry keeps the terminal's session and
/// foreground group, and what the host's line discipline generates is passed on).
#[test]
fn interactive_shell_has_job_control_on_the_console() {
    if !husk_tests::have_script() {
        return;
    }
    let bundle = Bundle::new(&["sh", "-i"]);
    std::os::unix::fs::symlink("busybox", bundle.dir.join("rootfs/bin/stty")).expect("symlink");
    let b = bundle.dir.to_string_lossy().into_owned();
    // Each step waits long enough for the previous one to take effect. At the end, with
    // TOSTOP a background job that writes is stopped (SIGTTOU) until `fg`.
    let steps = "sleep 2; printf 'sleep 30\\n'; sleep 1.5; printf '\\003'; sleep 1; \
        printf 'echo after $?\\nsleep 40\\n'; sleep 1.5; printf '\\032'; sleep 1; \
        printf 'jobs\\nfg\\n'; sleep 1.5; printf '\\003'; sleep 1; \
        printf 'echo again $?\\nstty tostop\\n(sleep 0.3; echo bg-out) &\\n'; sleep 1.5; \
        printf 'jobs\\nstty -tostop\\nfg\\n'; sleep 1.5; printf 'exit 7\\n'; sleep 1";
    let interact = |cmd: &str| husk_tests::on_a_terminal(cmd, steps, TIMEOUT);
    let mut outputs = Vec::new();
    for rt in Runtime::all() {
        let base = format!("{} --root {}", rt.bin.display(), rt.root.display());
        bundle.edit(|c| {
            c["process"]["terminal"] = true.into();
            c["process"]["args"] = serde_json::json!(["sh", "-i"]);
        });
        let run = interact(&format!("{base} run --bundle {b} job1"));
        let _ = rt.quiet(&["delete", "--force", "job1"]);
        bundle.edit(|c| {
            c["process"]["terminal"] = false.into();
            c["process"]["args"] = serde_json::json!(["sleep", "1000"]);
        });
        assert_eq!(
            rt.quiet(&["run", "-d", "--bundle", &b, "job2"]),
            0,
            "{}",
            rt.name
        );
        let exec = interact(&format!("{base} exec -t job2 sh -i"));
        assert_eq!(rt.quiet(&["delete", "--force", "job2"]), 0, "{}", rt.name);
        outputs.push((rt.name, [run, exec]));
    }
    for husk in &outputs.last().expect("husk ran").1 {
        for want in [
            "after 130\r\n",
            "Stopped",
            "again 130\r\n",
            "Stopped (tty output)",
            "bg-out\r\n",
            "rc=7\r\n",
        ] {
            assert!(husk.contains(want), "{want:?} in {husk:?}");
        }
    }
    // runc sizes its pty after the shell started: the shell may redraw its first prompt
    // on that SIGWINCH ("\r/ # ESC[J"). Compare without such redraws.
    let redraws = |o: &[String; 2]| o.clone().map(|s| s.replace("\r/ # \u{1b}[J", ""));
    if let [(_, runc), (_, husk)] = &outputs[..] {
        assert_eq!(redraws(husk), redraws(runc), "husk (left) and runc (right)");
    }
}

/// In the foreground, as runc: `run` with `process.terminal` relays a pty of the
/// container's own to ours (raw mode, our size), `run` without one on our terminal
/// passes stdio through pipes (so ^C reaches us and is forwarded), and `exec -t`
/// relays a pty too.
#[test]
fn foreground_terminal_run_and_exec() {
    if !husk_tests::have_script() {
        return;
    }
    let bundle = Bundle::new(&["true"]);
    for name in ["test", "stty"] {
        std::os::unix::fs::symlink("busybox", bundle.dir.join("rootfs/bin").join(name))
            .expect("symlink");
    }
    let b = bundle.dir.to_string_lossy().into_owned();
    let reader = "test -t 0 && echo tty-in; test -t 1 && echo tty-out; stty size; \
        read line; echo got $line; exit 3";
    let trap = "trap 'echo got INT; exit 5' INT; echo ready; while :; do sleep 0.05; done";
    let mut results = Vec::new();
    for rt in Runtime::all() {
        let n = rt.name;
        let base = format!("{} --root {}", rt.bin.display(), rt.root.display());
        let mut seen = Vec::new();
        for (terminal, script, input) in [
            (true, reader, "hello\\n"),
            (false, reader, "hello\\n"),
            (false, trap, "\\003"),
        ] {
            bundle.edit(|c| {
                c["process"]["terminal"] = terminal.into();
                c["process"]["args"] = serde_json::json!(["sh", "-c", script]);
            });
            seen.push(on_a_terminal(
                &format!("{base} run --bundle {b} fg1"),
                input,
                "2",
            ));
            let _ = rt.quiet(&["delete", "--force", "fg1"]);
        }
        bundle.edit(|c| {
            c["process"]["terminal"] = false.into();
            c["process"]["args"] = serde_json::json!(["sleep", "1000"]);
        });
        assert_eq!(rt.quiet(&["run", "-d", "--bundle", &b, "fg2"]), 0, "{n}");
        let exec = format!(
            "{base} exec -t fg2 sh -c '{}'",
            reader.replace("$line", "\\$line")
        );
        seen.push(on_a_terminal(&exec, "hello\\n", "2"));
        // A background process keeps the pty open: exec -t still ends with its process.
        let background = format!("{base} exec -t fg2 sh -c 'sleep 100 & echo bg; exit 4'");
        seen.push(on_a_terminal(&background, "", "0"));
        assert_eq!(rt.quiet(&["delete", "--force", "fg2"]), 0, "{n}");
        if n == "husk" {
            assert_no_sandbox_left(&rt);
        }
        results.push((n, seen));
    }
    let husk = &results.last().expect("husk ran").1;
    assert_eq!(
        husk[0], "tty-in\r\ntty-out\r\n30 100\r\nhello\r\ngot hello\r\nrc=3\r\n",
        "run with a terminal"
    );
    assert_eq!(
        husk[4], "bg\r\nrc=4\r\n",
        "exec -t with a background process"
    );
    assert!(
        husk[2].ends_with("got INT\r\nrc=5\r\n"),
        "^C: {:?}",
        husk[2]
    );
    // runc sizes its pty only after the process started: `stty size` may run before
    // (then 0 0, which busybox reports as an error). Compare without that line.
    let unsized_ = |v: &Vec<String>| -> Vec<String> {
        v.iter()
            .map(|o| {
                o.split_inclusive('\n')
                    .filter(|l| !l.starts_with("stty") && *l != "30 100\r\n")
                    .collect()
            })
            .collect()
    };
    if let [(_, runc), (_, husk)] = &results[..] {
        assert_eq!(
            unsized_(husk),
            unsized_(runc),
            "husk (left) and runc (right)"
        );
    }
}
