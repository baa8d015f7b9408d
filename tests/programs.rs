//! Real programs run natively and under `husk do`: stdout and exit status must match.
//!
//! - `busybox_<topic>`: static busybox (Debian's busybox-static) runs each
//!   `tests/programs/<topic>.sh` with `busybox sh`.
//! - dynamic Debian programs: `ls -la`, dash scripts, coreutils, python3, perl.
//!
//! A trial whose program is not installed is ignored, with a note on stderr
//! (`bash tests/setup.sh` installs them). Stderr is shown on failure but not compared.
//! `HUSK_TEST_TIMEOUT` (seconds, default 120) bounds each run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use husk_tests::{
    first_difference, husk_bin, status_code, tail, test_timeout, wait_output, workspace_root,
};
use libtest_mimic::{Arguments, Failed, Trial};

/// How stdout is normalised before the comparison.
#[derive(Clone, Copy)]
enum Filter {
    /// Compared byte for byte.
    Exact,
    /// Lines sorted; lines starting with `_=` (set by the calling shell) dropped.
    Env,
}

#[derive(Clone)]
struct Case {
    name: String,
    cmd: Vec<String>,
    filter: Filter,
    /// Paths that must exist for the trial to run.
    needs: Vec<&'static str>,
}

fn case(name: &str, cmd: &[&str], needs: &[&'static str]) -> Case {
    Case {
        name: name.to_string(),
        cmd: cmd.iter().map(|s| s.to_string()).collect(),
        filter: Filter::Exact,
        needs: needs.to_vec(),
    }
}

const BUSYBOX: &str = "/bin/busybox";
const PYTHON: &str = "/usr/bin/python3";
const PERL: &str = "/usr/bin/perl";

/// Threads, locks, a queue, an event and a condition; results printed in a fixed order.
const PY_THREADS: &str = r#"
import threading, queue, hashlib
results = {}
lock = threading.Lock()
def work(n):
    h = hashlib.sha256()
    for i in range(2000):
        h.update(str(i * n).encode())
    with lock:
        results[n] = h.hexdigest()[:16]
threads = [threading.Thread(target=work, args=(n,)) for n in range(1, 9)]
for t in threads: t.start()
for t in threads: t.join()
for n in sorted(results): print(n, results[n])
q = queue.Queue()
def producer():
    for i in range(100): q.put(i)
    q.put(None)
total = 0
def consumer():
    global total
    while True:
        item = q.get()
        if item is None: break
        total += item
p = threading.Thread(target=producer); c = threading.Thread(target=consumer)
p.start(); c.start(); p.join(); c.join()
print("queue total", total)
ev = threading.Event(); seen = []
def waiter():
    ev.wait(); seen.append("woken")
w = threading.Thread(target=waiter); w.start(); ev.set(); w.join()
print(seen)
cond = threading.Condition(); box = []
def notifier():
    with cond:
        box.append(42); cond.notify_all()
nt = threading.Thread(target=notifier)
with cond:
    nt.start()
    cond.wait_for(lambda: box)
nt.join()
print("condition", box)
counter = 0
def incr():
    global counter
    for _ in range(10000):
        with lock:
            counter += 1
ts = [threading.Thread(target=incr) for _ in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print("counter", counter, "threads alive", threading.active_count())
"#;

/// A tour of the standard library that touches files, time-free computation and codecs.
const PY_STDLIB: &str = r#"
import json, re, os, zlib, struct, tempfile, decimal, fractions, collections, itertools, math
print(json.dumps({"b": [1, 2, {"c": None}], "a": True}, sort_keys=True))
print(re.findall(r"(\w+)@(\w+)\.org", "x@y.org, foo@bar.org"))
data = b"husk " * 1000
print(len(zlib.compress(data)), zlib.crc32(data))
print(struct.pack("<IHb", 1, 2, -3).hex())
print(decimal.Decimal(1) / decimal.Decimal(7), fractions.Fraction(3, 12))
print(collections.Counter("mississippi").most_common(2))
print(list(itertools.permutations("abc", 2))[:4], math.factorial(25), math.isqrt(10**20))
with tempfile.TemporaryDirectory() as d:
    p = os.path.join(d, "f.txt")
    with open(p, "w") as f:
        f.write("line\n" * 10)
    os.rename(p, p + ".moved")
    print(sorted(os.listdir(d)), os.path.getsize(p + ".moved"))
print(sorted(os.listdir("/usr/share/doc"))[:3], len(os.listdir("/usr/bin")) > 10)
print(os.path.exists("/etc/passwd"), os.path.isdir("/usr"))
print(sum(i * i for i in range(100000)))
"#;

/// dash scripts: the system `/bin/sh`.
const DASH_BASICS: &str = r#"
i=0; s=""
while [ $i -lt 20 ]; do i=$((i + 1)); s="$s$i,"; done
echo "$s"
f() { echo "args: $#, first: $1"; return 3; }
f a b c; echo "status $?"
for w in $(echo "c b a" | tr ' ' '\n' | sort); do printf '%s.' "$w"; done; echo
case "$(uname -s)" in Linux) echo linux ;; *) echo other ;; esac
x=$(cat <<EOF
here $i
EOF
)
echo "$x"
"#;

const DASH_PIPES: &str = r#"
seq 1 5000 | awk '{ s += $1 } END { print s }'
printf 'b\na\nc\n' | sort | tr '\n' ' '; echo
echo hello | (read v; echo "read $v")
ls /usr/bin | head -n 3 | wc -l
(sleep 0.1; echo bg) & wait; echo waited
trap 'echo trapped' EXIT
exit 9
"#;

const DASH_FILES: &str = r#"
d=$(mktemp -d /tmp/husk-prog-dash.XXXXXX) || exit 1
cd "$d" && echo abc > f && cat f >> f2 && cat f >> f2 && wc -l < f2
mkdir -p a/b/c && touch a/b/c/x a/y && find . | sort
ln -s f2 l && cat l | head -n 1
cd / && rm -rf "$d" && test ! -e "$d" && echo removed
"#;

const PERL_SCRIPT: &str = r#"
my %h; $h{$_ % 7}++ for 1..1000;
print join(",", map { "$_=$h{$_}" } sort keys %h), "\n";
my @w = sort { length($a) <=> length($b) or $a cmp $b } qw(pear fig banana kiwi apple);
print "@w\n";
(my $s = "Hello, World") =~ tr/a-z/A-Z/; print "$s\n";
printf "%.5f %d %s\n", 355/113, 2**40, scalar reverse "husk";
open(my $fh, "<", "/etc/passwd") or die; my $n = 0; $n++ while <$fh>; close $fh;
print $n > 0 ? "read passwd\n" : "empty\n";
"#;

fn cases() -> Vec<Case> {
    let mut v = Vec::new();

    // (a) busybox scripts, one per topic.
    let dir = workspace_root().join("tests/programs");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    scripts.retain(|p| p.extension().is_some_and(|e| e == "sh"));
    scripts.sort();
    for s in scripts {
        let stem = s
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let path = s.to_string_lossy().into_owned();
        v.push(case(
            &format!("busybox_{stem}"),
            &[BUSYBOX, "sh", &path],
            &[BUSYBOX],
        ));
    }

    // (a2) Debian tools driven by dash scripts (python3, sqlite3, gcc, git, tar, xz, ...).
    let dir = workspace_root().join("tests/programs/debian");
    let mut scripts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    scripts.retain(|p| p.extension().is_some_and(|e| e == "sh"));
    scripts.sort();
    for s in scripts {
        let stem = s
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let path = s.to_string_lossy().into_owned();
        v.push(case(&format!("debian_{stem}"), &["/bin/sh", &path], &[]));
    }

    // (b) dynamically linked Debian programs.
    // `ls -la /` is not used: /tmp, /proc, /dev and /sys legitimately differ in the sandbox.
    v.push(case("ls_la_usr_bin", &["/bin/ls", "-la", "/usr/bin"], &[]));
    v.push(case(
        "ls_lan_full_iso_usr_lib",
        &["/bin/ls", "-lan", "--time-style=full-iso", "/usr/lib"],
        &[],
    ));
    v.push(case("dash_basics", &["/bin/sh", "-c", DASH_BASICS], &[]));
    v.push(case("dash_pipes", &["/bin/sh", "-c", DASH_PIPES], &[]));
    v.push(case("dash_files", &["/bin/sh", "-c", DASH_FILES], &[]));
    v.push(case(
        "coreutils_sort",
        &["/usr/bin/sort", "-t:", "-k3,3n", "-k1,1", "/etc/passwd"],
        &[],
    ));
    v.push(case(
        "coreutils_sha256sum",
        &[
            "/usr/bin/sha256sum",
            "/usr/bin/ls",
            "/etc/passwd",
            "/usr/bin/sha256sum",
        ],
        &[],
    ));
    v.push(case(
        "coreutils_seq_paste",
        &["/bin/sh", "-c", "seq 1 30 | paste - - - && seq -s, 0 0.5 3"],
        &[],
    ));
    v.push(case(
        "coreutils_date_epoch",
        &["/bin/date", "-d", "@0", "-u"],
        &[],
    ));
    v.push(case(
        "coreutils_stat",
        &[
            "/usr/bin/stat",
            "-c",
            "%n %s %a %F %U %G %h %Y",
            "/usr/bin/ls",
            "/etc/passwd",
            "/usr/bin",
            "/bin",
        ],
        &[],
    ));
    v.push(case(
        "coreutils_wc_od_cmp",
        &[
            "/bin/sh",
            "-c",
            "wc -lwc /etc/passwd /etc/group; head -c 64 /usr/bin/ls | od -An -c; \
             cmp /usr/bin/ls /usr/bin/ls && echo same; cat /etc/os-release | md5sum",
        ],
        &[],
    ));
    let mut env = case("coreutils_env", &["/usr/bin/env"], &[]);
    env.filter = Filter::Env;
    v.push(env);
    v.push(case(
        "python3_threads",
        &[PYTHON, "-c", PY_THREADS],
        &[PYTHON],
    ));
    v.push(case(
        "python3_stdlib",
        &[PYTHON, "-c", PY_STDLIB],
        &[PYTHON],
    ));
    v.push(case("perl_basics", &[PERL, "-e", PERL_SCRIPT], &[PERL]));
    v
}

fn timeout() -> Duration {
    test_timeout(120)
}

/// Runs `cmd` (optionally under `husk do`) and returns (exit code, stdout, stderr).
fn run(cmd: &[String], under_husk: bool) -> anyhow::Result<(i32, Vec<u8>, Vec<u8>)> {
    let mut c = if under_husk {
        let mut c = Command::new(husk_bin());
        c.arg("do").arg("--").args(cmd);
        c
    } else {
        let mut c = Command::new(&cmd[0]);
        c.args(&cmd[1..]);
        c
    };
    let child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let out = wait_output(child, timeout())?;
    Ok((status_code(out.status), out.stdout, out.stderr))
}

fn normalise(filter: Filter, out: &[u8]) -> String {
    let s = String::from_utf8_lossy(out).into_owned();
    match filter {
        Filter::Exact => s,
        Filter::Env => {
            let mut lines: Vec<&str> = s.lines().filter(|l| !l.starts_with("_=")).collect();
            lines.sort_unstable();
            lines.join("\n")
        }
    }
}

fn compare(c: &Case) -> Result<(), Failed> {
    let husk = husk_bin();
    if !husk.exists() {
        return Err(format!(
            "husk binary not found at {} (cargo build --release, or set HUSK_BIN)",
            husk.display()
        )
        .into());
    }
    for n in &c.needs {
        if !Path::new(n).exists() {
            return Err(format!("{n} is not installed (bash tests/setup.sh)").into());
        }
    }
    let (ncode, nout, nerr) = run(&c.cmd, false).map_err(|e| format!("native run: {e:#}"))?;
    let (hcode, hout, herr) = run(&c.cmd, true).map_err(|e| format!("husk run: {e:#}"))?;
    let (nout, hout) = (normalise(c.filter, &nout), normalise(c.filter, &hout));
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
    let trials = cases()
        .into_iter()
        .map(|c| {
            let missing: Vec<&str> = c
                .needs
                .iter()
                .copied()
                .filter(|n| !Path::new(n).exists())
                .collect();
            let ignored = !missing.is_empty();
            if ignored && !args.list {
                eprintln!(
                    "note: {} skipped: {} not installed (run: bash tests/setup.sh)",
                    c.name,
                    missing.join(", ")
                );
            }
            let name = c.name.clone();
            Trial::test(name, move || compare(&c)).with_ignored_flag(ignored)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
