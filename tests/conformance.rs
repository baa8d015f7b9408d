//! Differential conformance tests: every `tests/conformance/NAME.c` is compiled (static,
//! and dynamic for the names in `dynamic.txt`), run natively and under
//! `husk do --platform ptrace`, and the two runs must agree on stdout and exit status.
//!
//! Trials are named `static::NAME` and `dynamic::NAME`; the usual libtest arguments
//! (filters, `--exact`, `--ignored`, `--include-ignored`, `--test-threads`) apply.
//! Expected failures on the ptrace platform are listed in `xfail-ptrace.txt` and show
//! up as ignored trials (run them with `--include-ignored` to see whether they pass now).
//!
//! Binaries are built into `husk_tests::build_dir()` on demand, at most two `gcc` at a
//! time, and only when the source (or a shared header next to it) is newer than the binary.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use libtest_mimic::{Arguments, Failed, Trial};

/// Wall-clock limit for one run of one program (natively or under husk).
const RUN_TIMEOUT: Duration = Duration::from_secs(30);
/// How many `gcc` processes may run at once.
const MAX_COMPILERS: usize = 2;
/// How much of husk's stderr a failure message shows.
const STDERR_SHOWN: usize = 6000;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Static,
    Dynamic,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Static => "static",
            Kind::Dynamic => "dynamic",
        }
    }
}

/// A counting semaphore bounding concurrent compilations.
struct Semaphore {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Semaphore {
    fn new(n: usize) -> Self {
        Semaphore {
            free: Mutex::new(n),
            cv: Condvar::new(),
        }
    }

    fn run<T>(&self, f: impl FnOnce() -> T) -> T {
        {
            let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
            while *free == 0 {
                free = self.cv.wait(free).unwrap_or_else(|e| e.into_inner());
            }
            *free -= 1;
        }
        let out = f();
        *self.free.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.cv.notify_one();
        out
    }
}

/// Everything a trial needs, shared between trials.
struct Ctx {
    src_dir: PathBuf,
    build_dir: PathBuf,
    husk: PathBuf,
    compilers: Semaphore,
}

fn main() {
    let args = Arguments::from_args();
    let src_dir = husk_tests::workspace_root().join("tests/conformance");
    let ctx = Arc::new(Ctx {
        src_dir: src_dir.clone(),
        build_dir: husk_tests::build_dir(),
        husk: husk_tests::husk_bin(),
        compilers: Semaphore::new(MAX_COMPILERS),
    });

    let names = match program_names(&src_dir) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("conformance: cannot list {}: {e}", src_dir.display());
            std::process::exit(101);
        }
    };
    let dynamic = read_list(&src_dir.join("dynamic.txt"));
    let xfail = read_list(&src_dir.join("xfail-ptrace.txt"));

    let mut trials = Vec::new();
    for (kind, list) in [
        (Kind::Static, names.clone()),
        (Kind::Dynamic, dynamic.keys().cloned().collect()),
    ] {
        for name in list {
            let trial_name = format!("{}::{}", kind.name(), name);
            if kind == Kind::Dynamic && !names.contains(&name) {
                let msg = format!(
                    "dynamic.txt names `{name}` but tests/conformance/{name}.c does not exist"
                );
                trials.push(Trial::test(trial_name, move || Err(msg.into())));
                continue;
            }
            // An xfail entry is either a bare NAME (both builds) or KIND::NAME.
            let reason = xfail.get(&trial_name).or_else(|| xfail.get(&name)).cloned();
            let ctx = Arc::clone(&ctx);
            let n = name.clone();
            let mut trial = Trial::test(trial_name.clone(), move || run_trial(&ctx, kind, &n));
            if let Some(reason) = reason {
                if args.ignored || args.include_ignored {
                    eprintln!(
                        "conformance: {trial_name} is an expected failure on ptrace: {reason}"
                    );
                }
                trial = trial.with_ignored_flag(true);
            }
            trials.push(trial);
        }
    }
    for entry in xfail.keys() {
        let bare = entry.rsplit("::").next().unwrap_or(entry);
        if !names.iter().any(|n| n == bare) {
            eprintln!(
                "conformance: warning: xfail-ptrace.txt names `{entry}`, which is not a program"
            );
        }
    }
    libtest_mimic::run(&args, trials).exit();
}

/// Names (without `.c`) of the programs in `dir`, sorted.
fn program_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) == Some("c") {
            if let Some(stem) = path.file_stem().and_then(|s| s.to_str()) {
                names.push(stem.to_string());
            }
        }
    }
    names.sort();
    Ok(names)
}

/// Reads a list file: one entry per line, `#` starts a comment (the text after it is the
/// entry's note), blank lines are skipped. Returns entry -> note.
fn read_list(path: &Path) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let Ok(text) = fs::read_to_string(path) else {
        return out;
    };
    for line in text.lines() {
        let (entry, note) = match line.split_once('#') {
            Some((e, n)) => (e.trim(), n.trim()),
            None => (line.trim(), ""),
        };
        if !entry.is_empty() {
            out.insert(entry.to_string(), note.to_string());
        }
    }
    out
}

fn run_trial(ctx: &Ctx, kind: Kind, name: &str) -> Result<(), Failed> {
    if !ctx.husk.exists() {
        return Err(format!(
            "the husk binary is not at {} (build it with `cargo build -p husk`, or set HUSK_BIN)",
            ctx.husk.display()
        )
        .into());
    }
    let bin = ctx
        .compilers
        .run(|| build(ctx, kind, name))
        .map_err(Failed::from)?;
    let bin_str = bin.to_str().ok_or("non-UTF-8 build path")?;

    let native = run_with_timeout(Command::new(&bin), RUN_TIMEOUT)
        .map_err(|e| format!("running {} natively: {e}", bin.display()))?;
    if native.timed_out {
        return Err(format!(
            "the native run timed out after {:?}: the program itself is broken\nstdout:\n{}",
            RUN_TIMEOUT,
            String::from_utf8_lossy(&native.stdout)
        )
        .into());
    }
    let mut husk_cmd = Command::new(&ctx.husk);
    husk_cmd.args(["do", "--platform", "ptrace", "--", bin_str]);
    let sandboxed = run_with_timeout(husk_cmd, RUN_TIMEOUT)
        .map_err(|e| format!("running {}: {e}", ctx.husk.display()))?;

    let same_out = native.stdout == sandboxed.stdout;
    let same_status = native.code == sandboxed.code && !sandboxed.timed_out;
    if same_out && same_status {
        return Ok(());
    }
    Err(describe_mismatch(name, &native, &sandboxed).into())
}

/// Compiles `NAME.c` for `kind` unless an up-to-date binary exists. Returns its path.
fn build(ctx: &Ctx, kind: Kind, name: &str) -> Result<PathBuf, String> {
    let src = ctx.src_dir.join(format!("{name}.c"));
    let out_dir = ctx.build_dir.join(kind.name());
    fs::create_dir_all(&out_dir).map_err(|e| format!("creating {}: {e}", out_dir.display()))?;
    let out = out_dir.join(name);

    // The program and every shared header next to it (common.h, pty.h, ...).
    let headers = fs::read_dir(&ctx.src_dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "h"));
    let newest_input = std::iter::once(src.clone())
        .chain(headers)
        .filter_map(|p| fs::metadata(&p).and_then(|m| m.modified()).ok())
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    if let Ok(built) = fs::metadata(&out).and_then(|m| m.modified()) {
        if built > newest_input {
            return Ok(out);
        }
    }

    let tmp = out_dir.join(format!(".{name}.tmp{}", std::process::id()));
    let mut cmd = Command::new("gcc");
    if kind == Kind::Static {
        cmd.arg("-static");
    }
    cmd.args(["-O1", "-pthread", "-o"]).arg(&tmp).arg(&src);
    let result = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running gcc: {e}"))?;
    if !result.status.success() {
        let _ = fs::remove_file(&tmp);
        return Err(format!(
            "gcc failed for {} ({}):\n{}",
            src.display(),
            kind.name(),
            String::from_utf8_lossy(&result.stderr)
        ));
    }
    fs::rename(&tmp, &out)
        .map_err(|e| format!("renaming {} to {}: {e}", tmp.display(), out.display()))?;
    Ok(out)
}

/// The outcome of one run.
struct RunOutput {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Exit code, or 128+N when killed by signal N (husk's convention for its own exit).
    code: i32,
    timed_out: bool,
    /// Set when output could not be collected completely (a leftover process kept a
    /// pipe open after the program exited).
    note: Option<String>,
}

fn normalize(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// Kills a whole process group (the program and anything it left behind).
fn kill_group(pgid: u32) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{pgid}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Runs `cmd` with stdin from /dev/null and stdout/stderr captured, in a process group of
/// its own, killing the group after `timeout`.
fn run_with_timeout(mut cmd: Command, timeout: Duration) -> std::io::Result<RunOutput> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn()?;
    let pgid = child.id();
    let deadline = Instant::now() + timeout;

    let (tx, rx) = mpsc::channel::<(bool, Vec<u8>)>();
    for (is_out, pipe) in [
        (
            true,
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
        (
            false,
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ),
    ] {
        let tx = tx.clone();
        thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut buf);
            }
            let _ = tx.send((is_out, buf));
        });
    }
    drop(tx);

    let mut timed_out = false;
    let status = loop {
        if let Some(st) = child.try_wait()? {
            break st;
        }
        if Instant::now() >= deadline {
            timed_out = true;
            kill_group(pgid);
            break child.wait()?;
        }
        thread::sleep(Duration::from_millis(5));
    };

    // Collect both pipes. Leftover processes in the group may hold them open: give them
    // until the deadline (at least two seconds), then kill the group.
    let mut stdout = None;
    let mut stderr = None;
    let mut note = None;
    let mut killed = timed_out;
    while stdout.is_none() || stderr.is_none() {
        let wait = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_secs(2));
        match rx.recv_timeout(wait) {
            Ok((true, b)) => stdout = Some(b),
            Ok((false, b)) => stderr = Some(b),
            Err(mpsc::RecvTimeoutError::Timeout) if !killed => {
                kill_group(pgid);
                killed = true;
                note = Some(
                    "processes left behind by the program kept its output open; killed them".into(),
                );
            }
            Err(_) => {
                note = Some("output could not be collected completely".into());
                break;
            }
        }
    }
    Ok(RunOutput {
        stdout: stdout.unwrap_or_default(),
        stderr: stderr.unwrap_or_default(),
        code: normalize(status),
        timed_out,
        note,
    })
}

fn describe_status(r: &RunOutput) -> String {
    let mut s = if r.timed_out {
        format!("timed out after {:?} (killed)", RUN_TIMEOUT)
    } else if r.code > 128 {
        format!("{} (signal {}?)", r.code, r.code - 128)
    } else {
        r.code.to_string()
    };
    if let Some(n) = &r.note {
        s.push_str(&format!(" [{n}]"));
    }
    s
}

fn tail(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    if text.len() <= max {
        return text.into_owned();
    }
    let mut start = text.len() - max;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    format!("[... {} bytes cut ...]{}", start, &text[start..])
}

/// A readable account of how the husk run differed from the native one.
fn describe_mismatch(name: &str, native: &RunOutput, husk: &RunOutput) -> String {
    let mut msg = format!("{name}: husk's run differs from the native run\n");
    msg.push_str(&format!(
        "  exit status: native {}, husk {}\n",
        describe_status(native),
        describe_status(husk)
    ));
    if native.stdout == husk.stdout {
        msg.push_str("  stdout: identical\n");
    } else {
        let a = String::from_utf8_lossy(&native.stdout);
        let b = String::from_utf8_lossy(&husk.stdout);
        let la: Vec<&str> = a.lines().collect();
        let lb: Vec<&str> = b.lines().collect();
        let first = (0..la.len().max(lb.len()))
            .find(|&i| la.get(i) != lb.get(i))
            .unwrap_or(0);
        msg.push_str(&format!(
            "  stdout: {} lines native, {} lines under husk; first difference at line {}:\n",
            la.len(),
            lb.len(),
            first + 1
        ));
        msg.push_str(&format!(
            "    native: {}\n",
            la.get(first)
                .map_or("<end of output>".to_string(), |l| format!("{l:?}"))
        ));
        msg.push_str(&format!(
            "    husk:   {}\n",
            lb.get(first)
                .map_or("<end of output>".to_string(), |l| format!("{l:?}"))
        ));
        if first > 0 {
            msg.push_str(&format!(
                "    (line before, same in both: {:?})\n",
                la[first - 1]
            ));
        }
        msg.push_str("  full native stdout:\n");
        for l in &la {
            msg.push_str(&format!("    | {l}\n"));
        }
        msg.push_str("  full husk stdout:\n");
        for l in &lb {
            msg.push_str(&format!("    | {l}\n"));
        }
    }
    if !native.stderr.is_empty() {
        msg.push_str(&format!(
            "  native stderr:\n{}\n",
            tail(&native.stderr, 2000)
        ));
    }
    if husk.stderr.is_empty() {
        msg.push_str("  husk stderr: (empty)\n");
    } else {
        msg.push_str(&format!(
            "  husk stderr:\n{}\n",
            tail(&husk.stderr, STDERR_SHOWN)
        ));
    }
    msg
}
