//! Bad input and process hygiene of the `husk` CLI.
//!
//! Every scenario starts husk in a process group of its own and watches, while it runs,
//! the processes below it and those in that group (`/proc/*/stat`, every few ms); it
//! checks afterwards that none of them (gofer, stubs, application processes) is left.
//! C helpers live in `tests/cli/*.c` and are built with `gcc -static`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use husk_tests::{build_dir, compile_c, husk_bin, status_code, wait_output, workspace_root};

const TIMEOUT: Duration = Duration::from_secs(120);

/// Builds `tests/cli/<name>.c` (once per process) and returns the binary's path.
fn prog(name: &str) -> String {
    static LOCK: Mutex<()> = Mutex::new(());
    let _guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let src = workspace_root().join(format!("tests/cli/{name}.c"));
    let out = build_dir().join(format!("cli-{name}"));
    compile_c(&src, &out, &[]).unwrap_or_else(|e| panic!("building {name}: {e:#}"));
    out.to_string_lossy().into_owned()
}

fn husk() -> Command {
    let bin = husk_bin();
    assert!(
        bin.exists(),
        "husk binary not found at {} (cargo build --release, or set HUSK_BIN)",
        bin.display()
    );
    Command::new(bin)
}

fn husk_do(cmd: &[&str]) -> Command {
    let mut c = husk();
    c.arg("do").arg("--").args(cmd);
    c
}

// ---- process-tree tracking ----

/// `(state, ppid, pgid, starttime)` from `/proc/<pid>/stat`.
fn proc_stat(pid: i32) -> Option<(char, i32, i32, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((
        f.first()?.chars().next()?,
        f.get(1)?.parse().ok()?,
        f.get(2)?.parse().ok()?,
        f.get(19)?.parse().ok()?,
    ))
}

fn cmdline(pid: i32) -> String {
    std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| {
            String::from_utf8_lossy(&b)
                .replace('\0', " ")
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

/// All processes below `root` right now, and those in the process group `root` leads
/// (orphans that were reparented keep it), as pid -> starttime.
fn descendants(root: i32) -> HashMap<i32, u64> {
    let mut children: HashMap<i32, Vec<(i32, u64)>> = HashMap::new();
    let mut found = HashMap::new();
    if let Ok(rd) = std::fs::read_dir("/proc") {
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if let Some((_, ppid, pgid, start)) = proc_stat(pid) {
                children.entry(ppid).or_default().push((pid, start));
                if pgid == root && pid != root {
                    found.insert(pid, start);
                }
            }
        }
    }
    let mut todo: Vec<i32> = found.keys().copied().chain([root]).collect();
    while let Some(p) = todo.pop() {
        for &(c, start) in children.get(&p).map(Vec::as_slice).unwrap_or(&[]) {
            if found.insert(c, start).is_none() {
                todo.push(c);
            }
        }
    }
    found
}

/// Watches the process tree below a pid until stopped.
struct Tracker {
    root: i32,
    seen: Arc<Mutex<HashMap<i32, u64>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Tracker {
    fn start(root: i32) -> Tracker {
        let seen = Arc::new(Mutex::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (seen.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                let now = descendants(root);
                s.lock().unwrap_or_else(|e| e.into_inner()).extend(now);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Tracker {
            root,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// Processes seen so far.
    fn seen(&self) -> HashMap<i32, u64> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops watching (the husk process must have exited and been reaped) and asserts
    /// that every process seen is gone (or a zombie) within 3 s. Survivors are SIGKILLed.
    fn assert_no_leftovers(self, what: &str) {
        let left = self.leftovers();
        assert!(
            left.is_empty(),
            "{what}: processes left behind after husk exited: {}",
            left.join(", ")
        );
    }

    /// Stops watching; the processes seen that are still running 3 s later, SIGKILLed.
    fn leftovers(mut self) -> Vec<String> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let mut seen = self.seen();
        // A last look at the group, then at children of survivors.
        seen.extend(descendants(self.root));
        let mut all = seen.clone();
        for &pid in seen.keys() {
            all.extend(descendants(pid));
        }
        let alive = |pid: i32, start: u64| matches!(proc_stat(pid), Some((state, _, _, s)) if s == start && state != 'Z' && state != 'X');
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut left: Vec<(i32, u64)>;
        loop {
            left = all
                .iter()
                .map(|(&p, &s)| (p, s))
                .filter(|&(p, s)| alive(p, s))
                .collect();
            if left.is_empty() || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let desc: Vec<String> = left
            .iter()
            .map(|&(p, _)| format!("{p} [{}]", cmdline(p)))
            .collect();
        for &(p, _) in &left {
            let _ = Command::new("kill")
                .args(["-KILL", &p.to_string()])
                .status();
        }
        desc
    }
}

/// Runs `cmd` to completion (stdin from `/dev/null` unless `stdin` is given), tracking
/// its process tree, and asserts that nothing was left behind.
fn run_tracked(mut cmd: Command, stdin: Option<&[u8]>, what: &str) -> Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: spawn: {e}"));
    let tracker = Tracker::start(child.id() as i32);
    if let (Some(data), Some(mut w)) = (stdin, child.stdin.take()) {
        use std::io::Write;
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = w.write_all(&data);
        });
    }
    match wait_output(child, TIMEOUT) {
        Ok(out) => {
            tracker.assert_no_leftovers(what);
            out
        }
        Err(e) => {
            let left = tracker.leftovers();
            panic!("{what}: {e:#} (left behind: {left:?})")
        }
    }
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

/// Husk's stderr must not show that husk itself crashed.
fn assert_no_husk_crash(out: &Output) {
    let err = text(&out.stderr).to_lowercase();
    for bad in [
        "panicked",
        "rust_backtrace",
        "internal error",
        "stack overflow",
    ] {
        assert!(
            !err.contains(bad),
            "husk reported a crash ({bad:?}):\n{}",
            show(out)
        );
    }
}

// ---- bad input ----

#[test]
fn missing_program_in_path_exits_127() {
    let name = "husk-test-no-such-program";
    let out = run_tracked(husk_do(&[name]), None, "missing program");
    assert_eq!(status_code(out.status), 127, "{}", show(&out));
    let want = format!("husk: {name}: No such file or directory");
    assert!(
        text(&out.stderr).lines().any(|l| l == want),
        "want {want:?}\n{}",
        show(&out)
    );
}

#[test]
fn missing_program_by_path_exits_127() {
    let name = "/nonexistent-husk-dir/prog";
    let out = run_tracked(husk_do(&[name]), None, "missing program path");
    assert_eq!(status_code(out.status), 127, "{}", show(&out));
    let want = format!("husk: {name}: No such file or directory");
    assert!(
        text(&out.stderr).lines().any(|l| l == want),
        "want {want:?}\n{}",
        show(&out)
    );
}

#[test]
fn non_executable_file_exits_126() {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::temp_dir().join(format!("husk-cli-noexec-{}", std::process::id()));
    std::fs::write(&path, "#!/bin/sh\necho should not run\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let p = path.to_string_lossy().into_owned();
    let out = run_tracked(husk_do(&[&p]), None, "non-executable file");
    let _ = std::fs::remove_file(&path);
    assert_eq!(status_code(out.status), 126, "{}", show(&out));
    let want = format!("husk: {p}: Permission denied");
    assert!(
        text(&out.stderr).lines().any(|l| l == want),
        "want {want:?}\n{}",
        show(&out)
    );
    assert!(!text(&out.stdout).contains("should not run"));
}

#[test]
fn bad_flag_is_a_short_error() {
    let mut c = husk();
    c.args(["do", "--bogus", "--", "/bin/true"]);
    let out = run_tracked(c, None, "bad flag");
    assert_ne!(status_code(out.status), 0, "{}", show(&out));
    let err = text(&out.stderr);
    let first = err.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    assert!(
        first.contains("--bogus"),
        "first stderr line should name the flag:\n{}",
        show(&out)
    );
    assert!(out.stdout.is_empty(), "{}", show(&out));
    assert_no_husk_crash(&out);
}

#[test]
fn unknown_subcommand_errors() {
    let mut c = husk();
    c.arg("frobnicate");
    let out = run_tracked(c, None, "unknown subcommand");
    assert_ne!(status_code(out.status), 0, "{}", show(&out));
    assert!(text(&out.stderr).contains("frobnicate"), "{}", show(&out));
    assert_no_husk_crash(&out);
}

#[test]
fn syscalls_table_lists_read_and_getppid() {
    let mut c = husk();
    c.arg("syscalls");
    let out = run_tracked(c, None, "husk syscalls");
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    let table = text(&out.stdout);
    let has = |nr: &str, name: &str| {
        table.lines().any(|l| {
            let t: Vec<&str> = l.split(|c: char| c.is_whitespace() || c == '|').collect();
            t.contains(&nr) && t.contains(&name)
        })
    };
    assert!(has("0", "read"), "no line with 0 and read:\n{table}");
    assert!(
        has("110", "getppid"),
        "no line with 110 and getppid:\n{table}"
    );
}

// ---- exit status and crashes ----

/// Runs `cmd` natively and under husk; returns (native code, husk output).
fn native_and_husk(cmd: &[&str], what: &str) -> (i32, Output) {
    let mut n = Command::new(cmd[0]);
    n.args(&cmd[1..]);
    let native = run_tracked(n, None, &format!("{what} (native)"));
    let husk = run_tracked(husk_do(cmd), None, what);
    assert_no_husk_crash(&husk);
    (status_code(native.status), husk)
}

#[test]
fn exit_status_42_propagates() {
    let (native, out) = native_and_husk(&["/bin/sh", "-c", "exit 42"], "exit 42");
    assert_eq!(native, 42);
    assert_eq!(status_code(out.status), 42, "{}", show(&out));
}

#[test]
fn sigkill_of_program_gives_137() {
    let (native, out) = native_and_husk(&["/bin/sh", "-c", "kill -9 $$"], "kill -9 $$");
    assert_eq!(native, 137);
    assert_eq!(status_code(out.status), 137, "{}", show(&out));
}

fn crash(mode: &str, want: i32) {
    let p = prog("crash");
    let (native, out) = native_and_husk(&[&p, mode], &format!("crash {mode}"));
    assert_eq!(native, want, "native run of crash {mode}");
    assert_eq!(
        status_code(out.status),
        want,
        "crash {mode}: {}",
        show(&out)
    );
    assert!(!text(&out.stdout).contains("not reached"), "{}", show(&out));
}

#[test]
fn jump_to_garbage_gives_139() {
    crash("jump", 139);
}

#[test]
fn null_write_gives_139() {
    crash("null", 139);
}

#[test]
fn exec_of_nx_data_gives_139() {
    crash("nx", 139);
}

#[test]
fn ud2_gives_132() {
    crash("ud2", 132);
}

#[test]
fn int3_gives_133() {
    crash("int3", 133);
}

#[test]
fn divide_by_zero_gives_136() {
    crash("divzero", 136);
}

#[test]
fn fork_bomb_bounded_by_rlimit_nproc() {
    let p = prog("forkbomb");
    let (native, out) = native_and_husk(&[&p], "fork bomb");
    let want =
        "fork failed with EAGAIN\nmore than 10 children: yes, at most 50: yes\nreaped all: yes\n";
    assert_eq!(native, 0, "native fork bomb did not behave");
    assert_eq!(text(&out.stdout), want, "{}", show(&out));
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
}

// ---- stdio, environment, cwd ----

#[test]
fn stdin_and_stdout_are_the_callers() {
    let out = run_tracked(
        husk_do(&["/bin/cat"]),
        Some(b"line one\nline two\n"),
        "cat stdin",
    );
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_eq!(text(&out.stdout), "line one\nline two\n");
    let out = run_tracked(
        husk_do(&["/bin/sh", "-c", "echo out; echo err >&2"]),
        None,
        "stderr",
    );
    assert_eq!(text(&out.stdout), "out\n", "{}", show(&out));
    assert!(
        text(&out.stderr).lines().any(|l| l == "err"),
        "{}",
        show(&out)
    );
}

#[test]
fn env_and_cwd_flags() {
    let mut c = husk();
    c.args([
        "do",
        "--env",
        "HUSK_T1=one",
        "--env",
        "HUSK_T2=two words",
        "--cwd",
        "/usr/share",
    ])
    .args(["--", "/bin/sh", "-c", "echo \"$HUSK_T1/$HUSK_T2\"; pwd"]);
    let out = run_tracked(c, None, "--env/--cwd");
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert_eq!(
        text(&out.stdout),
        "one/two words\n/usr/share\n",
        "{}",
        show(&out)
    );
}

#[test]
fn caller_environment_and_cwd_pass_through() {
    let mut c = husk_do(&["/bin/sh", "-c", "echo \"$HUSK_PASSED\"; pwd"]);
    c.env("HUSK_PASSED", "from the caller")
        .current_dir("/usr/lib");
    let out = run_tracked(c, None, "env pass-through");
    assert_eq!(
        text(&out.stdout),
        "from the caller\n/usr/lib\n",
        "{}",
        show(&out)
    );
}

// ---- signals sent to the husk process ----

/// Starts `cmd` with piped stdout, waits for the line "ready", sends `sig` to the
/// process started (husk, or the program itself natively), and returns (code, stdout).
fn signal_after_ready(mut cmd: Command, sig: &str, what: &str) -> (i32, String) {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child: Child = cmd
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("{what}: spawn: {e}"));
    let pid = child.id() as i32;
    let tracker = Tracker::start(pid);
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take();
    std::thread::spawn(move || {
        if let Some(s) = stdout {
            for line in BufReader::new(s).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        }
    });
    let mut stderr = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut buf = String::new();
        if let Some(s) = stderr.as_mut() {
            let _ = s.read_to_string(&mut buf);
        }
        buf
    });
    let mut lines = Vec::new();
    match rx.recv_timeout(TIMEOUT) {
        Ok(l) if l == "ready" => lines.push(l),
        first => {
            let _ = child.kill();
            let status = child.wait().map(status_code);
            let err = err_thread.join().unwrap_or_default();
            panic!("{what}: no \"ready\" line (got {first:?}, status {status:?}), stderr:\n{err}");
        }
    }
    let st = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status();
    assert!(
        st.is_ok_and(|s| s.success()),
        "{what}: kill -{sig} {pid} failed"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: did not exit within 30 s of SIG{sig}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    while let Ok(l) = rx.recv_timeout(Duration::from_secs(5)) {
        lines.push(l);
    }
    tracker.assert_no_leftovers(what);
    let err = err_thread.join().unwrap_or_default();
    for bad in ["panicked", "RUST_BACKTRACE"] {
        assert!(!err.contains(bad), "{what}: husk crashed:\n{err}");
    }
    (status_code(status), lines.join("\n"))
}

fn forwarded(sig: &str, handle: bool, want_code: i32, want_out: &str) {
    let p = prog("waitsig");
    let args: Vec<&str> = if handle { vec![&p, "handle"] } else { vec![&p] };
    let what = format!("SIG{sig} {}", if handle { "handled" } else { "unhandled" });
    let mut native = Command::new(&p);
    native.args(&args[1..]);
    let n = signal_after_ready(native, sig, &format!("{what} (native)"));
    assert_eq!(n, (want_code, want_out.to_string()), "{what}: native run");
    let h = signal_after_ready(husk_do(&args), sig, &what);
    assert_eq!(h, (want_code, want_out.to_string()), "{what}: under husk");
}

#[test]
fn sigint_reaches_handler() {
    forwarded("INT", true, 3, "ready\ngot SIGINT");
}

#[test]
fn sigterm_reaches_handler() {
    forwarded("TERM", true, 3, "ready\ngot SIGTERM");
}

#[test]
fn sighup_reaches_handler() {
    forwarded("HUP", true, 3, "ready\ngot SIGHUP");
}

#[test]
fn unhandled_sigint_gives_130() {
    forwarded("INT", false, 130, "ready");
}

#[test]
fn unhandled_sigterm_gives_143() {
    forwarded("TERM", false, 143, "ready");
}

// ---- nothing outlives the sandbox ----

#[test]
fn background_job_dies_with_the_sandbox() {
    // The sandbox ends when its init exits (as with `runsc do`), taking the orphan along.
    let started = Instant::now();
    let cmd = husk_do(&["/bin/sh", "-c", "sleep 100 >/dev/null 2>&1 & echo started"]);
    let out = run_tracked(cmd, None, "orphaned background job");
    assert_eq!(text(&out.stdout), "started\n", "{}", show(&out));
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn sigkill_of_husk_leaves_nothing_behind() {
    let mut c = husk_do(&["/bin/sh", "-c", "sleep 100 & sleep 100"]);
    c.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = c.process_group(0).spawn().expect("spawn husk");
    let pid = child.id() as i32;
    let tracker = Tracker::start(pid);
    // Wait until the sandbox is up: something runs below husk for a while.
    let deadline = Instant::now() + Duration::from_secs(30);
    while tracker.seen().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let _ = child.kill();
    let _ = child.wait();
    tracker.assert_no_leftovers("SIGKILL of husk");
}

#[test]
fn unimplemented_syscall_is_enosys_and_logged_once_per_sandbox() {
    let p = prog("enosys");
    let mut cmd = husk_do(&[&p]);
    cmd.env("HUSK_LOG", "info");
    let out = run_tracked(cmd, None, "enosys");
    assert_eq!(status_code(out.status), 0, "{}", show(&out));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.matches("ENOSYS").count(), 6, "{}", show(&out));
    let stderr = text(&out.stderr);
    let shm = stderr
        .lines()
        .filter(|l| l.contains("unimplemented syscall 246 (kexec_load)"))
        .count();
    let unknown = stderr
        .lines()
        .filter(|l| l.contains("unimplemented syscall 1000 (unknown)"))
        .count();
    assert_eq!(
        (shm, unknown),
        (1, 1),
        "each unimplemented syscall is logged once: {}",
        show(&out)
    );
}
