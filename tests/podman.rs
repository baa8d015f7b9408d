//! podman with husk as its OCI runtime (`podman --runtime husk`), compared with runc:
//! each scenario runs with `--runtime runc` and with `--runtime husk` and the outputs
//! and exit codes must be the same.
//!
//! The image is a static busybox rootfs imported with `podman import` (no registry).
//! Every test has a podman store of its own (`--root`, `--runroot`, `--tmpdir` under a
//! temporary directory, vfs storage, cgroupfs), so nothing reaches the system's store;
//! its containers and the directory are removed when it ends. Skipped, with the reason
//! printed, only when podman is not installed (tests/setup.sh installs it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use husk_tests::{husk_bin, status_code, wait_output};

const TIMEOUT: Duration = Duration::from_secs(30);

/// podman's containers share the host's network set-up (bridge, netns names): one
/// scenario at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// The limits podman must set here (no CAP_SYS_RESOURCE, hard nofile limit 20000).
const ULIMITS: [&str; 4] = [
    "--ulimit",
    "nofile=20000:20000",
    "--ulimit",
    "nproc=32768:32768",
];

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A private podman store with a busybox image in it.
struct Podman {
    dir: PathBuf,
    image: String,
}

impl Podman {
    /// None (after printing why) when podman or runc is missing.
    fn new(tag: &str) -> Option<(Podman, std::sync::MutexGuard<'static, ()>)> {
        for cmd in ["podman", "runc"] {
            if !have(cmd) {
                println!("skipped: {cmd} is not installed (tests/setup.sh installs it)");
                return None;
            }
        }
        let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("husk-podman-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let p = Podman {
            image: format!("localhost/husk-test-{tag}-{}-{n}", std::process::id()),
            dir,
        };
        let rootfs = p.dir.join("rootfs");
        let bin = rootfs.join("bin");
        std::fs::create_dir_all(&bin).expect("mkdir rootfs");
        for d in ["etc", "tmp", "root", "var/tmp", "mnt"] {
            std::fs::create_dir_all(rootfs.join(d)).expect("mkdir");
        }
        for d in ["tmp", "var/tmp"] {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(rootfs.join(d), std::fs::Permissions::from_mode(0o1777))
                .expect("chmod");
        }
        let busybox = ["/usr/bin/busybox", "/bin/busybox"]
            .into_iter()
            .find(|p| Path::new(p).exists())
            .expect("static busybox is needed (tests/setup.sh installs busybox-static)");
        std::fs::copy(busybox, bin.join("busybox")).expect("copy busybox");
        for name in [
            "sh", "echo", "cat", "ls", "id", "pwd", "sleep", "touch", "head", "tail", "test",
            "true", "env",
        ] {
            std::os::unix::fs::symlink("busybox", bin.join(name)).expect("symlink");
        }
        std::fs::write(rootfs.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
            .expect("passwd");
        std::fs::write(rootfs.join("etc/group"), "root:x:0:\n").expect("group");
        let tar = p.dir.join("rootfs.tar");
        let st = Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .expect("tar");
        assert!(st.success(), "tar failed");
        let out = p.podman(&["import", tar.to_str().unwrap_or_default(), &p.image]);
        assert!(
            out.status.success(),
            "podman import: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some((p, guard))
    }

    /// `podman` with this store's global flags.
    fn podman(&self, args: &[&str]) -> Output {
        let d = |s: &str| self.dir.join(s).to_string_lossy().into_owned();
        let child = Command::new("podman")
            .args([
                "--root",
                &d("store"),
                "--runroot",
                &d("run"),
                "--tmpdir",
                &d("tmp"),
            ])
            .args(["--storage-driver", "vfs", "--cgroup-manager", "cgroupfs"])
            .args(["--events-backend", "file"])
            .args(args)
            .envs(
                Some(self.dir.join("containers.conf"))
                    .filter(|c| c.exists())
                    .map(|c| ("CONTAINERS_CONF", c)),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn podman");
        wait_output(child, TIMEOUT).expect("podman")
    }

    /// `podman --runtime RT run --rm ULIMITS <opts> IMAGE <cmd>`.
    fn run(&self, runtime: &str, opts: &[&str], cmd: &[&str]) -> Output {
        let mut args = vec!["--runtime", runtime, "run", "--rm"];
        args.extend(ULIMITS);
        args.extend(opts);
        args.push(&self.image);
        args.extend(cmd);
        self.podman(&args)
    }
}

impl Drop for Podman {
    fn drop(&mut self) {
        if std::env::var_os("HUSK_PODMAN_KEEP").is_some() {
            return;
        }
        let _ = self.podman(&["rm", "--all", "--force", "--time", "0"]);
        let _ = self.podman(&["rmi", "--all", "--force"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The husk binary podman runs (`HUSK_PODMAN_RUNTIME` overrides it, e.g. for a
/// wrapper script that sets debugging variables: podman does not pass its environment
/// on to the runtime).
fn husk() -> String {
    std::env::var("HUSK_PODMAN_RUNTIME")
        .unwrap_or_else(|_| husk_bin().to_string_lossy().into_owned())
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs `f` with runc and with husk and checks that both give the same result.
fn same<T: PartialEq + std::fmt::Debug>(what: &str, f: impl Fn(&str) -> T) -> T {
    let want = f("runc");
    let got = f(&husk());
    assert_eq!(got, want, "{what}: husk (left) differs from runc (right)");
    got
}

/// stdout and exit code of a `run --rm`.
fn run_result(p: &Podman, rt: &str, opts: &[&str], cmd: &[&str]) -> (String, i32) {
    let out = p.run(rt, opts, cmd);
    (text(&out.stdout), status_code(out.status))
}

#[test]
fn echo_and_exit_code() {
    let Some((p, _g)) = Podman::new("echo") else {
        return;
    };
    let r = same("echo hi", |rt| run_result(&p, rt, &[], &["echo", "hi"]));
    assert_eq!(r, ("hi\n".to_string(), 0));
    let r = same("exit 3", |rt| {
        run_result(&p, rt, &[], &["sh", "-c", "echo out; exit 3"])
    });
    assert_eq!(r.1, 3);
    // podman's bind-mounted files are there (copied into the sandbox).
    same("hostname, hosts, containerenv", |rt| {
        run_result(
            &p,
            rt,
            &["--hostname", "box"],
            &[
                "sh",
                "-c",
                "cat /etc/hostname; grep -c box /etc/hosts; test -f /run/.containerenv && echo env",
            ],
        )
    });
}

#[test]
fn env_workdir_user() {
    let Some((p, _g)) = Podman::new("env") else {
        return;
    };
    let r = same("-e -w --user", |rt| {
        run_result(
            &p,
            rt,
            &["-e", "FOO=bar baz", "-w", "/tmp", "--user", "1000"],
            &[
                "sh",
                "-c",
                "echo \"$FOO\"; pwd; id -u; id -g; touch /tmp/x && echo wrote; touch /x",
            ],
        )
    });
    assert_eq!(r, ("bar baz\n/tmp\n1000\n0\nwrote\n".to_string(), 1));
}

#[test]
fn detached_exec_logs_stop() {
    let Some((p, _g)) = Podman::new("detach") else {
        return;
    };
    let script = "echo started; while true; do sleep 0.1; done";
    same("run -d, exec, logs, stop", |rt| {
        let mut args = vec!["--runtime", rt, "run", "-d", "--log-driver", "k8s-file"];
        args.extend(ULIMITS);
        args.extend([p.image.as_str(), "sh", "-c", script]);
        let out = p.podman(&args);
        assert!(out.status.success(), "{rt}: run -d: {}", text(&out.stderr));
        let id = text(&out.stdout).trim().to_string();
        // The first line of the log says the container runs.
        for _ in 0..100 {
            if text(&p.podman(&["logs", &id]).stdout).contains("started") {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let e1 = p.podman(&["exec", &id, "sh", "-c", "echo in-exec; exit 4"]);
        let e2 = p.podman(&[
            "exec",
            "-e",
            "X=1",
            "-w",
            "/tmp",
            "-u",
            "1000",
            &id,
            "sh",
            "-c",
            "echo $X; pwd; id -u",
        ]);
        let logs = p.podman(&["logs", &id]);
        // sh as init ignores SIGTERM (no handler): stop ends it with SIGKILL.
        let stop = p.podman(&["stop", "-t", "1", &id]);
        let code = p.podman(&["inspect", "-f", "{{.State.ExitCode}}", &id]);
        let _ = p.podman(&["rm", "-f", &id]);
        (
            (text(&e1.stdout), status_code(e1.status)),
            (text(&e2.stdout), status_code(e2.status)),
            text(&logs.stdout),
            status_code(stop.status),
            text(&code.stdout),
        )
    });
}

#[test]
fn bind_mount_read_write_and_ro() {
    let Some((p, _g)) = Podman::new("bind") else {
        return;
    };
    let vol = p.dir.join("vol");
    std::fs::create_dir_all(&vol).expect("mkdir vol");
    std::fs::write(vol.join("in"), "from the host\n").expect("write");
    let rw = format!("{}:/mnt/vol", vol.display());
    let ro = format!("{}:/data:ro", vol.display());
    same("-v rw", |rt| {
        let _ = std::fs::remove_file(vol.join("out"));
        let r = run_result(
            &p,
            rt,
            &["-v", &rw],
            &[
                "sh",
                "-c",
                "cat /mnt/vol/in; echo from the container > /mnt/vol/out; ls /mnt/vol",
            ],
        );
        (
            r,
            std::fs::read_to_string(vol.join("out")).unwrap_or_default(),
        )
    });
    same("-v ro", |rt| {
        let out = p.run(
            rt,
            &["-v", &ro],
            &["sh", "-c", "cat /data/in; touch /data/new; echo $?"],
        );
        (
            text(&out.stdout),
            status_code(out.status),
            vol.join("new").exists(),
        )
    });
}

#[test]
fn read_only_root() {
    let Some((p, _g)) = Podman::new("ro") else {
        return;
    };
    let r = same("--read-only", |rt| {
        run_result(
            &p,
            rt,
            &["--read-only"],
            &[
                "sh",
                "-c",
                "touch /x 2>/dev/null; echo root $?; touch /tmp/y; echo tmp $?",
            ],
        )
    });
    assert_eq!(r.0, "root 1\ntmp 0\n");
}

#[test]
fn terminal() {
    let Some((p, _g)) = Podman::new("tty") else {
        return;
    };
    let r = same("run -t", |rt| {
        run_result(
            &p,
            rt,
            &["-t"],
            &["sh", "-c", "test -t 0 && test -t 1 && echo tty"],
        )
    });
    assert_eq!(r, ("tty\r\n".to_string(), 0));
    // exec -t: `exec --process F` with "terminal": true and a console socket.
    let r = same("exec -t", |rt| {
        let mut args = vec!["--runtime", rt, "run", "-d"];
        args.extend(ULIMITS);
        args.extend([
            p.image.as_str(),
            "sh",
            "-c",
            "while true; do sleep 0.1; done",
        ]);
        let out = p.podman(&args);
        assert!(out.status.success(), "{rt}: run -d: {}", text(&out.stderr));
        let id = text(&out.stdout).trim().to_string();
        let e = p.podman(&[
            "exec",
            "-t",
            &id,
            "sh",
            "-c",
            "test -t 1 && echo tty; exit 5",
        ]);
        let _ = p.podman(&["rm", "-f", "-t", "0", &id]);
        (text(&e.stdout), status_code(e.status))
    });
    assert_eq!(r, ("tty\r\n".to_string(), 5));
}

/// ^C typed into `podman run -it` and `podman exec -it` interrupts the shell's
/// foreground job, as with runc (the terminal's signals reach the container's
/// foreground process group).
#[test]
fn interrupt_on_the_terminal() {
    if !husk_tests::have_script() {
        return;
    }
    let Some((p, _g)) = Podman::new("intr") else {
        return;
    };
    // The podman command line as script(1) runs it (same store, same limits).
    let d = |s: &str| p.dir.join(s).to_string_lossy().into_owned();
    let conf = p.dir.join("containers.conf");
    let env = if conf.exists() {
        format!("CONTAINERS_CONF={} ", conf.display())
    } else {
        String::new()
    };
    let podman = format!(
        "{env}podman --root {} --runroot {} --tmpdir {} --storage-driver vfs \
         --cgroup-manager cgroupfs --events-backend file",
        d("store"),
        d("run"),
        d("tmp")
    );
    let steps = "sleep 3; printf 'sleep 30\\n'; sleep 2; printf '\\003'; sleep 1; \
        printf 'echo after $?\\nexit 7\\n'; sleep 1";
    let interact = |cmd: &str| {
        // What the shell printed from the first command on (podman may print its
        // own lines first).
        let all = husk_tests::on_a_terminal(cmd, steps, TIMEOUT);
        all.find("sleep 30")
            .map_or(all.clone(), |i| all[i..].to_string())
    };
    let ulimits = ULIMITS.join(" ");
    let r = same("run -it", |rt| {
        interact(&format!(
            "{podman} --runtime {rt} run --rm -it {ulimits} {} sh -i",
            p.image
        ))
    });
    assert!(
        r.contains("after 130\r\n") && r.ends_with("rc=7\r\n"),
        "{r:?}"
    );
    let r = same("exec -it", |rt| {
        let mut args = vec!["--runtime", rt, "run", "-d"];
        args.extend(ULIMITS);
        args.extend([p.image.as_str(), "sleep", "1000"]);
        let out = p.podman(&args);
        assert!(out.status.success(), "{rt}: run -d: {}", text(&out.stderr));
        let id = text(&out.stdout).trim().to_string();
        let r = interact(&format!("{podman} exec -it {id} sh -i"));
        let _ = p.podman(&["rm", "-f", "-t", "0", &id]);
        r
    });
    assert!(
        r.contains("after 130\r\n") && r.ends_with("rc=7\r\n"),
        "{r:?}"
    );
}

/// Whether a memory limit can be set here (cgroup v2 with the memory controller, or
/// a v1 memory hierarchy).
fn memory_cgroup() -> bool {
    std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
        .is_ok_and(|c| c.split_whitespace().any(|x| x == "memory"))
        || Path::new("/sys/fs/cgroup/memory/cgroup.procs").exists()
}

#[test]
fn memory_limit() {
    if !memory_cgroup() {
        println!("skipped: no memory cgroup controller here");
        return;
    }
    let Some((p, _g)) = Podman::new("mem") else {
        return;
    };
    // Within the limit: fine. Past it: the OOM killer ends the container (under runc
    // the allocating process, here the container's init; under husk the sandbox).
    let r = same("--memory 64m, 10 MB", |rt| {
        run_result(
            &p,
            rt,
            &["--memory", "64m"],
            &[
                "sh",
                "-c",
                "head -c 10000000 /dev/zero | tail -c 9000000 >/dev/null; echo ok $?",
            ],
        )
    });
    assert_eq!(r, ("ok 0\n".to_string(), 0));
    let r = same("--memory 64m, 150 MB", |rt| {
        status_code(
            p.run(
                rt,
                &["--memory", "64m"],
                &[
                    "sh",
                    "-c",
                    "head -c 200000000 /dev/zero | tail -c 150000000 >/dev/null",
                ],
            )
            .status,
        )
    });
    assert_eq!(r, 137);
}

/// A podman pod (`pod create` with an infra container, `run --pod`): podman marks the
/// pod's containers with CRI-O's sandbox annotations, so under husk they join the infra
/// container's sandbox. The pod's containers share the hostname and IPC (/dev/shm), as
/// under runc.
#[test]
fn pod_containers_share_the_infra_sandbox() {
    let Some((p, _g)) = Podman::new("pod") else {
        return;
    };
    // The infra container takes no --ulimit: the machine's limits come from
    // containers.conf (runc needs them here, see ULIMITS).
    std::fs::write(
        p.dir.join("containers.conf"),
        "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n",
    )
    .expect("containers.conf");
    let pause = format!("{}-pause", p.image);
    let tar = p.dir.join("rootfs.tar");
    let out = p.podman(&[
        "import",
        "--change",
        r#"CMD ["sleep","100000"]"#,
        tar.to_str().unwrap_or_default(),
        &pause,
    ]);
    assert!(out.status.success(), "import: {}", text(&out.stderr));
    same("pod", |rt| {
        let pod = if rt == "runc" { "pod-runc" } else { "pod-husk" };
        let out = p.podman(&[
            "--runtime",
            rt,
            "pod",
            "create",
            "--name",
            pod,
            "--hostname",
            "podhost",
            "--infra-image",
            &pause,
            "--share",
            "ipc,uts",
        ]);
        assert!(
            out.status.success(),
            "{rt}: pod create: {}",
            text(&out.stderr)
        );
        let mut args = vec!["--runtime", rt, "run", "-d", "--pod", pod];
        args.extend(ULIMITS);
        args.extend([
            p.image.as_str(),
            "sh",
            "-c",
            "echo from-first > /dev/shm/note; sleep 1000",
        ]);
        let out = p.podman(&args);
        assert!(out.status.success(), "{rt}: run -d: {}", text(&out.stderr));
        let first = text(&out.stdout).trim().to_string();
        if rt != "runc" {
            // The container is not a sandbox of its own: its pid is a `husk join`
            // stand-in (husk's default state root, where podman's husk keeps it).
            let st = Command::new(rt)
                .args(["state", &first])
                .output()
                .expect("husk state");
            let st: serde_json::Value = serde_json::from_slice(&st.stdout).expect("state json");
            let pid = st["pid"].as_i64().unwrap_or_default();
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let cmd = text(&cmd).replace('\0', " ");
            assert!(cmd.contains(" join "), "{rt}: pid {pid}: {cmd}");
        }
        let mut args = vec!["--runtime", rt, "run", "--rm", "--pod", pod];
        args.extend(ULIMITS);
        args.extend([
            p.image.as_str(),
            "sh",
            "-c",
            "hostname; sleep 0.2; cat /dev/shm/note; exit 4",
        ]);
        let second = p.podman(&args);
        let exec = p.podman(&["exec", &first, "sh", "-c", "echo exec-in-pod; hostname"]);
        let rm = p.podman(&["pod", "rm", "--force", "--time", "0", pod]);
        assert!(rm.status.success(), "{rt}: pod rm: {}", text(&rm.stderr));
        (
            text(&second.stdout),
            status_code(second.status),
            text(&exec.stdout),
            status_code(exec.status),
        )
    });
}
