//! Shared helpers for husk's integration tests: where the `husk` binary is, where test
//! programs are built, and how to run a command natively and under husk.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The `husk` binary under test: `$HUSK_BIN`, else `target/release/husk`, else
/// `target/debug/husk`.
pub fn husk_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("HUSK_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"));
    let release = target.join("release/husk");
    if release.exists() {
        return release;
    }
    target.join("debug/husk")
}

/// A directory for build products of the tests (compiled C programs and so on).
pub fn build_dir() -> PathBuf {
    let d = workspace_root().join("tests/.build");
    let _ = std::fs::create_dir_all(&d);
    d
}

/// Runs `cmd` natively with no stdin, capturing stdout and stderr.
pub fn run_native(cmd: &[&str]) -> std::io::Result<Output> {
    Command::new(cmd[0])
        .args(&cmd[1..])
        .stdin(Stdio::null())
        .output()
}

/// Runs `cmd` under `husk do` (extra husk flags first), capturing stdout and stderr.
pub fn run_husk(husk_flags: &[&str], cmd: &[&str]) -> std::io::Result<Output> {
    Command::new(husk_bin())
        .arg("do")
        .args(husk_flags)
        .arg("--")
        .args(cmd)
        .stdin(Stdio::null())
        .output()
}

// ---- helpers for the programs, cli and security tests ----

/// Compiles the C file `src` with `gcc -static -O1 -Wall` (plus `extra` flags) into `out`,
/// unless `out` is already newer than `src`. Writes to a temporary name first, so
/// concurrent test processes never see a half-written binary.
pub fn compile_c(src: &Path, out: &Path, extra: &[&str]) -> anyhow::Result<()> {
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if let (Some(s), Some(o)) = (mtime(src), mtime(out)) {
        if o >= s {
            return Ok(());
        }
    }
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = out.with_extension(format!("tmp{}-{seq}", std::process::id()));
    let res = Command::new("gcc")
        .args(["-static", "-O1", "-Wall", "-o"])
        .arg(&tmp)
        .arg(src)
        .args(extra)
        .output()
        .map_err(|e| anyhow::anyhow!("running gcc (is it installed? see tests/setup.sh): {e}"))?;
    if !res.status.success() {
        let _ = std::fs::remove_file(&tmp);
        anyhow::bail!(
            "gcc failed on {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&res.stderr)
        );
    }
    std::fs::rename(&tmp, out)?;
    Ok(())
}

/// The shell's view of an exit status: the exit code, or 128+N when signal N killed it.
pub fn status_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Waits for `child` (spawned with piped stdout and stderr) for at most `timeout`,
/// reading both pipes; SIGKILLs it when time runs out. Errs on timeout, and when the
/// pipes stay open 5 s after the child exited (a process left behind still holds them).
pub fn wait_output(
    mut child: std::process::Child,
    timeout: std::time::Duration,
) -> anyhow::Result<Output> {
    use std::io::Read;
    use std::time::{Duration, Instant};
    fn reader<R: Read + Send + 'static>(r: Option<R>) -> std::sync::mpsc::Receiver<Vec<u8>> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            let _ = tx.send(buf);
        });
        rx
    }
    let out_rx = reader(child.stdout.take());
    let err_rx = reader(child.stderr.take());
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!("timed out after {timeout:?} (killed)");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let grace = Duration::from_secs(5);
    let stdout = out_rx.recv_timeout(grace).map_err(|_| {
        anyhow::anyhow!("stdout still open 5 s after exit: a process was left behind")
    })?;
    let stderr = err_rx.recv_timeout(grace).map_err(|_| {
        anyhow::anyhow!("stderr still open 5 s after exit: a process was left behind")
    })?;
    Ok(Output {
        status,
        stdout,
        stderr,
    })
}

/// Runs shell command `cmd` on a fresh terminal of its own, script(1)'s pty sized 30x100,
/// feeding it what shell commands `input` print (`sleep 1; printf 'ls\\n'`, paced as a
/// person types), and returns what the terminal showed, ending with `rc=N` (`cmd`'s
/// exit status). script(1) runs `cmd` with $SHELL: bash, which (unlike dash) survives a
/// ^C that its foreground child handles, so `rc=` is printed whatever the caller's SHELL.
pub fn on_a_terminal(cmd: &str, input: &str, timeout: std::time::Duration) -> String {
    let pipeline =
        format!("({input}) | script -qec \"stty rows 30 cols 100; {cmd}; echo rc=\\$?\" /dev/null");
    let child = std::process::Command::new("sh")
        .args(["-c", &pipeline])
        .env("SHELL", "/bin/bash")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn script(1)");
    let out = wait_output(child, timeout).expect("script(1)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether script(1) (util-linux) is installed, for the tests that need a terminal.
pub fn have_script() -> bool {
    let found = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok();
    if !found {
        eprintln!("script(1) not installed: skipped");
    }
    found
}

/// `HUSK_TEST_TIMEOUT` seconds, else `default`.
pub fn test_timeout(default: u64) -> std::time::Duration {
    let secs = std::env::var("HUSK_TEST_TIMEOUT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default);
    std::time::Duration::from_secs(secs)
}

/// The first differing line of `a` (native) and `b` (husk), with its 1-based number.
pub fn first_difference(a: &str, b: &str) -> String {
    let (mut la, mut lb) = (a.lines(), b.lines());
    let mut n = 0;
    loop {
        n += 1;
        match (la.next(), lb.next()) {
            (None, None) => return "outputs differ only in line endings".into(),
            (x, y) if x == y => continue,
            (x, y) => {
                return format!("first difference at line {n}:\n  native: {x:?}\n  husk:   {y:?}")
            }
        }
    }
}

/// The last `max` bytes of `s` (on a character boundary).
pub fn tail(s: &str, max: usize) -> &str {
    let mut start = s.len().saturating_sub(max);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}
pub mod oci_image;
