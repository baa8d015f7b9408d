//! Workloads in a Debian bookworm rootfs, run natively (`chroot DIR CMD`) and under
//! `husk do --rootfs DIR -- CMD`: stdout and exit status must match.
//!
//! The rootfs is built once by `tests/rootfs-setup.sh` (called by `tests/setup.sh`) under
//! `/var/cache/husk-tests/bookworm`, or `$HUSK_TEST_ROOTFS`. Without it, or without root
//! (chroot needs it), every trial is ignored with a note saying why.
//!
//! Both runs start in `/` with the environment `PATH=/usr/sbin:/usr/bin:/sbin:/bin`,
//! `HOME=/root`, `LANG=C` and nothing else. Each workload (`tests/debian_rootfs/*`) runs
//! in `/tmp/work` and writes only under `/tmp`. The native run happens in private mount and
//! PID namespaces (`unshare`) with fresh `/proc`, `/dev/pts` and tmpfs on `/tmp` and
//! `/dev/shm` mounted over the rootfs, so it leaves nothing behind; under husk, `/tmp` is
//! the in-memory upper layer. Stderr is shown on failure but not compared.
//! `HUSK_TEST_TIMEOUT` (seconds, default 180) bounds each run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use husk_tests::{first_difference, husk_bin, status_code, tail, test_timeout, wait_output};
use libtest_mimic::{Arguments, Failed, Trial};

const ENV: &[(&str, &str)] = &[
    ("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
    ("HOME", "/root"),
    ("LANG", "C"),
];

/// Runs `"$@"` in a fresh /tmp/work.
const PRELUDE: &str = "mkdir -p /tmp/work && cd /tmp/work && exec \"$@\"";

struct Workload {
    name: &'static str,
    /// `sh` for a dash script, `py` for a python3 program.
    kind: &'static str,
    src: &'static str,
    /// Why the trial is ignored (a Sentry bug or missing feature), if it is.
    ignore: Option<&'static str>,
}

macro_rules! w {
    ($name:literal, sh) => {
        w!($name, "sh", concat!("debian_rootfs/", $name, ".sh"), None)
    };
    ($name:literal, py) => {
        w!($name, "py", concat!("debian_rootfs/", $name, ".py"), None)
    };
    ($name:literal, sh, ignore = $why:literal) => {
        w!(
            $name,
            "sh",
            concat!("debian_rootfs/", $name, ".sh"),
            Some($why)
        )
    };
    ($name:literal, py, ignore = $why:literal) => {
        w!(
            $name,
            "py",
            concat!("debian_rootfs/", $name, ".py"),
            Some($why)
        )
    };
    ($name:literal, $kind:literal, $path:expr, $ignore:expr) => {
        Workload {
            name: $name,
            kind: $kind,
            src: include_str!($path),
            ignore: $ignore,
        }
    };
}

fn workloads() -> Vec<Workload> {
    vec![
        w!("python_threads", py),
        w!("python_subprocess", py),
        w!("python_multiprocessing", py),
        w!("python_asyncio_unix", py),
        w!("python_tempfile_shutil", py),
        w!("perl_regex", sh),
        w!("sqlite3", sh),
        w!("gcc_pthreads", sh),
        w!("git", sh),
        w!("tar_xz", sh),
        w!("sort_50mb", sh),
        w!("find_so", sh),
        w!("ps_aux", sh),
        w!("top", sh),
        w!("flock", sh),
        w!("pty_script", sh),
        w!("python_pty", py),
    ]
}

fn rootfs() -> PathBuf {
    std::env::var_os("HUSK_TEST_ROOTFS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/cache/husk-tests/bookworm"))
}

/// Why the trials cannot run here, if they cannot.
fn unavailable(root: &Path) -> Option<String> {
    let stamp = PathBuf::from(format!("{}.stamp", root.display()));
    if !stamp.exists() || !root.join("bin/sh").exists() {
        return Some(format!(
            "no Debian rootfs at {} (built by `bash tests/setup.sh` as root; needs the Debian \
             mirror; see {}.log)",
            root.display(),
            root.display()
        ));
    }
    if rustix_uid() != 0 {
        return Some("not root (the native runs use chroot and unshare)".into());
    }
    None
}

fn rustix_uid() -> u32 {
    // Without a libc dependency: the owner of /proc/self is the effective uid.
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(u32::MAX)
}

fn timeout() -> Duration {
    test_timeout(180)
}

/// The command run inside the rootfs, both natively and under husk.
fn command(w: &Workload) -> Vec<String> {
    let mut v: Vec<String> = ["/bin/sh", "-c", PRELUDE, "sh"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    match w.kind {
        "py" => v.extend(["python3".into(), "-c".into(), w.src.to_string()]),
        _ => v.extend(["/bin/sh".into(), "-c".into(), w.src.to_string()]),
    }
    v
}

/// Natively: private mount and PID namespaces, fresh /proc, /dev/pts, /dev/shm and /tmp
/// over the rootfs, then `chroot DIR CMD`.
const NATIVE_WRAPPER: &str = r#"r=$1; shift
mount -t proc proc "$r/proc" &&
mount -t tmpfs -o mode=1777 tmpfs "$r/tmp" &&
mount -t tmpfs -o mode=1777 tmpfs "$r/dev/shm" &&
mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$r/dev/pts" &&
mount --bind "$r/dev/pts/ptmx" "$r/dev/ptmx" || exit 125
exec /usr/bin/env -u PWD -u OLDPWD /usr/sbin/chroot "$r" "$@""#;

/// Runs `cmd` in `root` natively or under husk; returns (exit code, stdout, stderr).
fn run(root: &Path, cmd: &[String], under_husk: bool) -> anyhow::Result<(i32, Vec<u8>, Vec<u8>)> {
    let mut c = if under_husk {
        let mut c = Command::new(husk_bin());
        c.arg("do")
            .arg("--rootfs")
            .arg(root)
            .arg("--cwd")
            .arg("/")
            .arg("--")
            .args(cmd);
        c
    } else {
        let mut c = Command::new("/usr/bin/unshare");
        c.args([
            "--mount",
            "--propagation",
            "private",
            "--pid",
            "--fork",
            "--kill-child",
            "--",
            "/bin/sh",
            "-c",
            NATIVE_WRAPPER,
            "sh",
        ])
        .arg(root)
        .args(cmd);
        c
    };
    c.env_clear().envs(ENV.iter().copied()).current_dir("/");
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = wait_output(child, timeout())?;
    Ok((status_code(out.status), out.stdout, out.stderr))
}

fn compare(root: &Path, w: &Workload) -> Result<(), Failed> {
    let husk = husk_bin();
    if !husk.exists() {
        return Err(format!(
            "husk binary not found at {} (cargo build --release, or set HUSK_BIN)",
            husk.display()
        )
        .into());
    }
    let cmd = command(w);
    let (ncode, nout, nerr) = run(root, &cmd, false).map_err(|e| format!("native run: {e:#}"))?;
    if ncode == 125 {
        return Err(format!(
            "native run could not set up its namespaces:\n{}",
            String::from_utf8_lossy(&nerr)
        )
        .into());
    }
    if nout.is_empty() || ncode == 126 || ncode == 127 {
        return Err(format!(
            "native run did not run the workload (exit {ncode}, no output):\n{}",
            String::from_utf8_lossy(&nerr)
        )
        .into());
    }
    let (hcode, hout, herr) = run(root, &cmd, true).map_err(|e| format!("husk run: {e:#}"))?;
    let (nout, hout) = (
        String::from_utf8_lossy(&nout).into_owned(),
        String::from_utf8_lossy(&hout).into_owned(),
    );
    if ncode == hcode && nout == hout {
        return Ok(());
    }
    let mut msg = String::new();
    if ncode != hcode {
        msg += &format!("exit status: native {ncode}, husk {hcode}\n");
    }
    if nout != hout {
        msg += &first_difference(&nout, &hout);
        msg += &format!(
            "\n--- native stdout (end) ---\n{}\n--- husk stdout (end) ---\n{}\n",
            tail(&nout, 1500),
            tail(&hout, 1500)
        );
    }
    msg += &format!(
        "--- native stderr (end) ---\n{}\n--- husk stderr (end) ---\n{}",
        tail(&String::from_utf8_lossy(&nerr), 1500),
        tail(&String::from_utf8_lossy(&herr), 3000)
    );
    Err(msg.into())
}

fn main() {
    let args = Arguments::from_args();
    let root = rootfs();
    let why_not = unavailable(&root);
    if let Some(why) = &why_not {
        if !args.list {
            eprintln!("note: debian_rootfs trials skipped: {why}");
        }
    }
    let trials = workloads()
        .into_iter()
        .map(|w| {
            let ignored = why_not.is_some() || w.ignore.is_some();
            if let (Some(why), false, None) = (w.ignore, args.list, &why_not) {
                eprintln!("note: {} ignored: {why}", w.name);
            }
            let root = root.clone();
            Trial::test(w.name, move || compare(&root, &w)).with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
