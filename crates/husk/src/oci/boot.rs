//! `husk boot`: a container's sandbox process (the Sentry), started detached by
//! `husk create`.
//!
//! It splits into a waiter and the Sentry as `husk do` does (crate::confine), boots the
//! sandbox (gofer over the bundle's rootfs, memory overlay), binds the control socket
//! and opens the exit-status file, gives up the host (empty root, no capabilities),
//! installs the seccomp filter, then
//! reports "ok" (or "error MSG") on the sync pipe and waits. The container's first
//! process is started only when `start` arrives on the control socket. When it exits,
//! the wait status goes to the exit-status file and the process exits with the
//! container's exit code (128+N for signal N).
//!
//! Control protocol: one request line per connection, one answer line:
//! `status` -> `created|running|stopped`; `start` -> `ok` or `error MSG`;
//! `kill N` -> `ok` or `error MSG`;
//! `exec JSON` ([`ExecRequest`], with the caller's stdio fds attached as SCM_RIGHTS to
//! the request) -> `ok PID` (the pid in the sandbox) or `error MSG`, then, when the
//! process exits, `exit STATUS` (its wait status);
//! `ps` -> `ok JSON` (an array of [`PsEntry`]) or `error MSG`;
//! `pause` / `resume` -> `ok` or `error MSG` (status `paused` in between).

use super::config::{self, Config};
use super::state::{CONTROL_SOCKET, EXIT_STATUS_FILE};
use crate::cli::BootArgs;
use husk_sentry::kernel::{Creds, KernelOptions};
use husk_sentry::sandbox::{Container, ExtraMount};
use husk_sentry::{Program, RootfsMode, Sandbox, SandboxError};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::os::fd::OwnedFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Child;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Phase {
    Created,
    Running,
    Paused,
    Stopped,
}

impl Phase {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Phase::Created => "created",
            Phase::Running => "running",
            Phase::Paused => "paused",
            Phase::Stopped => "stopped",
        }
    }
}

enum Msg {
    Start(UnixStream),
    Kill(i32),
}

pub(crate) fn reply(mut s: &UnixStream, line: &str) {
    let _ = s.write_all(format!("{line}\n").as_bytes());
}

/// What `husk exec` asks the sandbox to run.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct ExecRequest {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    #[serde(default)]
    pub additional_gids: Vec<u32>,
    /// (resource number, soft, hard), as in [`Config::rlimits`].
    #[serde(default)]
    pub rlimits: Vec<(u32, u64, u64)>,
    /// Capability sets (None: root's full sets).
    #[serde(default)]
    pub caps: Option<config::CapSets>,
    #[serde(default)]
    pub no_new_privs: bool,
    #[serde(default)]
    pub oom_score_adj: i32,
}

impl ExecRequest {
    /// The container's own process, as its config describes it.
    pub fn of_config(cfg: &Config) -> ExecRequest {
        ExecRequest {
            args: cfg.args.clone(),
            env: cfg.env.clone(),
            cwd: cfg.cwd.clone(),
            uid: cfg.uid,
            gid: cfg.gid,
            additional_gids: cfg.additional_gids.clone(),
            rlimits: cfg.rlimits.clone(),
            caps: cfg.caps,
            no_new_privs: cfg.no_new_privs,
            oom_score_adj: cfg.oom_score_adj,
        }
    }
}

/// The credentials a process starts with. With `caps`, its bounding, inheritable and
/// ambient sets are those (and its permitted and effective sets the config's, before
/// execve recomputes them: for root, bounding plus inheritable; for another user,
/// ambient only), as runc sets them before it executes the process.
fn creds(uid: u32, gid: u32, additional: &[u32], caps: Option<config::CapSets>) -> Creds {
    let mut groups = additional.to_vec();
    groups.sort_unstable();
    groups.dedup();
    let mut c = Creds {
        ruid: uid,
        euid: uid,
        suid: uid,
        fsuid: uid,
        rgid: gid,
        egid: gid,
        sgid: gid,
        fsgid: gid,
        groups,
        ..Default::default()
    };
    if let Some(k) = caps {
        c.cap_bset = k.bounding;
        c.cap_inheritable = k.inheritable;
        c.cap_permitted = k.permitted;
        c.cap_effective = k.effective & k.permitted;
        // Linux keeps ambient within permitted and inheritable.
        c.cap_ambient = k.ambient & k.permitted & k.inheritable;
    }
    c
}

/// One process in the answer to `ps`.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct PsEntry {
    /// The pid in the sandbox.
    pub pid: i32,
    pub ppid: i32,
    pub uid: u32,
    /// CPU time in milliseconds.
    pub cpu_ms: u64,
    /// Start time in seconds since the Unix epoch.
    pub started: u64,
    pub cmd: String,
}

/// The answer to `ps` for these processes.
pub(crate) fn ps_answer(procs: Vec<husk_sentry::kernel::ProcessSummary>) -> String {
    let list: Vec<PsEntry> = procs
        .into_iter()
        .map(|p| PsEntry {
            pid: p.pid,
            ppid: p.ppid,
            uid: p.uid,
            cpu_ms: p.cpu.as_millis() as u64,
            started: p.started.as_secs(),
            cmd: p.cmd,
        })
        .collect();
    match serde_json::to_string(&list) {
        Ok(j) => format!("ok {j}"),
        Err(e) => format!("error encoding: {e}"),
    }
}

/// Most descriptors one request carries (stdio, a container's gofers).
const MAX_FDS: usize = 64;

/// Longest request line accepted.
const MAX_REQUEST: usize = 1 << 20;

/// Reads one request line and the fds sent with it.
pub(crate) fn read_request(conn: &UnixStream) -> Option<(String, Vec<OwnedFd>)> {
    use rustix::net::{recvmsg, RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
    use std::mem::MaybeUninit;
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
    let mut anc = RecvAncillaryBuffer::new(&mut space);
    let mut buf = vec![0u8; 4096];
    // One request at a time is served: a client that does not send its request line
    // within 5 s (at all, or byte by byte) must not hold up the others for longer.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let readable = || {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let limit = Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let mut fds = [PollFd::new(conn, PollFlags::IN)];
        !left.is_zero() && matches!(poll(&mut fds, Some(&limit)), Ok(n) if n > 0)
    };
    if !readable() {
        return None;
    }
    let r = recvmsg(
        conn,
        &mut [std::io::IoSliceMut::new(&mut buf)],
        &mut anc,
        RecvFlags::CMSG_CLOEXEC,
    )
    .ok()?;
    let mut fds = Vec::new();
    for msg in anc.drain() {
        if let RecvAncillaryMessage::ScmRights(got) = msg {
            fds.extend(got);
        }
    }
    buf.truncate(r.bytes);
    let mut byte = [0u8; 1];
    while !buf.contains(&b'\n') && buf.len() < MAX_REQUEST && readable() {
        // read(2), not std's recv: the seccomp policy allows read on any fd.
        match rustix::io::read(conn, &mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    let end = buf.iter().position(|&c| c == b'\n').unwrap_or(buf.len());
    let line = String::from_utf8(buf[..end].to_vec()).ok()?;
    Some((line, fds))
}

/// What an exec request runs.
pub(crate) fn program(req: &ExecRequest) -> Program {
    Program {
        argv: req.args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        envp: req.env.iter().map(|e| e.as_bytes().to_vec()).collect(),
        cwd: req.cwd.as_bytes().to_vec(),
        creds: creds(req.uid, req.gid, &req.additional_gids, req.caps),
        rlimits: req.rlimits.clone(),
        attrs: husk_sentry::sandbox::ProcessAttrs {
            no_new_privs: req.no_new_privs,
            oom_score_adj: req.oom_score_adj,
        },
    }
}

/// Runs an `exec` request (on a thread of its own: it answers when the process exits),
/// in `container` if it is one that joined the sandbox.
pub(crate) fn exec(
    sandbox: &Sandbox,
    container: Option<&Container>,
    conn: UnixStream,
    json: &str,
    fds: Vec<OwnedFd>,
) {
    let req: ExecRequest = match serde_json::from_str(json) {
        Ok(r) => r,
        Err(e) => return reply(&conn, &format!("error bad exec request: {e}")),
    };
    if req.args.is_empty() {
        return reply(&conn, "error exec: no command");
    }
    if fds.len() != 3 {
        return reply(
            &conn,
            &format!("error exec: expected 3 stdio fds, got {}", fds.len()),
        );
    }
    let started = match container {
        Some(c) => sandbox.exec_in(c, program(&req), fds),
        None => sandbox.exec(program(&req), fds),
    };
    let pid = match started {
        Ok(pid) => pid,
        Err(e) => return reply(&conn, &format!("error exec failed: {}: {e}", req.args[0])),
    };
    // The caller names the process with its pid in the container.
    let shown = container.map_or(pid, |c| c.pid(pid));
    reply(&conn, &format!("ok {shown}"));
    if let Some(status) = sandbox.wait_process(pid) {
        reply(&conn, &format!("exit {status}"));
    }
}

struct Booted {
    sandbox: Sandbox,
    gofer: Child,
    listener: UnixListener,
    exit_file: std::fs::File,
    cfg: Config,
}

/// Whether the sandbox process confines itself (`HUSK_DEBUG_NO_CONFINE` turns it off).
fn confined() -> bool {
    std::env::var_os("HUSK_DEBUG_NO_CONFINE").is_none()
}

fn boot(args: &BootArgs) -> Result<Booted, String> {
    let cfg = config::load(&args.bundle)?;
    let host = crate::do_cmd::host_info();
    let (mut gofer, sock) = crate::do_cmd::start_gofer(&cfg.rootfs)?;
    let result = (|| {
        let mode = if cfg.readonly {
            RootfsMode::ReadOnly
        } else if args.overlay == "none" {
            RootfsMode::None
        } else {
            RootfsMode::Memory
        };
        let opts = KernelOptions {
            strace: args.strace,
            hostname: if cfg.hostname.is_empty() {
                args.id.clone()
            } else {
                cfg.hostname.clone()
            },
        };
        // Everything on the host path side first: the control socket, the exit-status
        // file, and a first answer from the gofer (it answers only once it has left
        // this mount namespace).
        let control = super::state::control_socket(&args.state)?;
        let listener = UnixListener::bind(&control.path).map_err(|e| {
            format!(
                "control socket {}: {e}",
                args.state.join(CONTROL_SOCKET).display()
            )
        })?;
        let exit_path = args.state.join(EXIT_STATUS_FILE);
        let exit_file = std::fs::File::create(&exit_path)
            .map_err(|e| format!("{}: {e}", exit_path.display()))?;
        let extra = prepare_mounts(&cfg)?;
        let client = husk_gofer::Client::new(sock);
        client
            .call(&husk_gofer::Request::Stat { path: Vec::new() })
            .map_err(|e| format!("the gofer did not start: {e}"))?;
        // Then the Sentry gives up the host: empty root, no capabilities.
        if confined() {
            crate::confine::lock_down()?;
        }
        let sandbox =
            Sandbox::new("ptrace", client, mode, host, opts).map_err(|e| e.to_string())?;
        add_mounts(&sandbox, extra, &cfg)?;
        if let Some(m) = &cfg.cgroup_mount {
            sandbox
                .mount_cgroupfs(m.limits, m.readonly)
                .map_err(|e| e.to_string())?;
        }
        for (key, value) in &cfg.sysctl {
            sandbox
                .set_sysctl(key, value)
                .map_err(|e| format!("linux.sysctl: {e}"))?;
        }
        if std::env::var_os("HUSK_DEBUG_NO_SECCOMP").is_none() {
            crate::seccomp::install_sentry()?;
        }
        crate::confine::forbidden_syscall_hook();
        Ok((sandbox, listener, exit_file))
    })();
    match result {
        Ok((sandbox, listener, exit_file)) => Ok(Booted {
            sandbox,
            gofer,
            listener,
            exit_file,
            cfg,
        }),
        Err(e) => {
            let _ = gofer.kill();
            let _ = gofer.wait();
            Err(e)
        }
    }
}

/// The config's extra mounts (see [`super::pod::host_mounts`]). The bind mounts'
/// gofers exit when the Sentry closes their sockets.
fn prepare_mounts(cfg: &Config) -> Result<Vec<ExtraMount>, String> {
    let m = super::pod::host_mounts(cfg)?;
    super::pod::extra_mounts(m.specs, m.socks)
}

/// Makes the extra mounts, masked and read-only paths in the Sentry's VFS.
fn add_mounts(sandbox: &Sandbox, extra: Vec<ExtraMount>, cfg: &Config) -> Result<(), String> {
    let bytes = |v: &[String]| v.iter().map(|p| p.as_bytes().to_vec()).collect::<Vec<_>>();
    let skipped = sandbox
        .add_mounts(
            extra,
            &bytes(&cfg.masked_paths),
            &bytes(&cfg.readonly_paths),
        )
        .map_err(|e| e.to_string())?;
    for p in skipped {
        tracing::debug!(
            "{p}: a per-process procfs entry, not remounted (writes there change only the sandbox's own kernel)"
        );
    }
    Ok(())
}

/// Puts this process (and so every process of the sandbox) into the container's
/// cgroup with `linux.resources`' limits (see [`super::cgroup`]).
fn join_cgroup(args: &BootArgs) -> Result<super::cgroup::Joined, String> {
    let path = args.bundle.join("config.json");
    let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value = serde_json::from_slice(&data)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    super::cgroup::join(&super::cgroup::Resources::from_config(&v, &args.id))
}

/// With a terminal (our stdin is the container's pty, as runc's init gets it), the
/// Sentry makes it the controlling terminal of a session of its own (the stub
/// processes have sessions of their own too), so that what the host's line discipline
/// generates for it (^C typed into `husk run -t` or `podman run -t`, a resize) reaches
/// us: those signals are blocked here and passed on to the sandbox's foreground
/// process group by [`forward_terminal_signals`]. Call before any thread starts.
fn take_console() -> Option<nix::sys::signal::SigSet> {
    let stdin = std::io::stdin();
    if !rustix::termios::isatty(&stdin) {
        return None;
    }
    // Blocked first: from the moment the terminal is ours its signals are for the
    // sandbox, never for a default action here.
    let mut set = nix::sys::signal::SigSet::empty();
    for s in super::tty::TERMINAL_SIGNALS {
        set.add(s);
    }
    set.thread_block().ok()?;
    let taken = rustix::process::setsid().and_then(|_| rustix::process::ioctl_tiocsctty(&stdin));
    if let Err(e) = taken {
        tracing::debug!("the console as controlling terminal: {e}");
        let _ = set.thread_unblock();
        return None;
    }
    Some(set)
}

/// Passes the terminal's signals on: to the foreground process group of the
/// sandbox's console (a hangup to its session).
fn forward_terminal_signals(
    set: nix::sys::signal::SigSet,
    kernel: Arc<husk_sentry::kernel::Kernel>,
) {
    let spawned = std::thread::Builder::new()
        .name("terminal".into())
        .spawn(move || loop {
            match set.wait() {
                Ok(nix::sys::signal::Signal::SIGHUP) => kernel.terminal_hangup(),
                Ok(sig) => {
                    kernel.terminal_signal(sig as i32);
                }
                Err(_) => return,
            }
        });
    if let Err(e) = spawned {
        tracing::debug!("terminal signal thread: {e}");
    }
}

/// Serves the control socket: `status` here, `start` and `kill` before start through
/// the main thread, `kill` after start straight to the kernel.
fn serve(
    listener: UnixListener,
    phase: Arc<Mutex<Phase>>,
    sandbox: Sandbox,
    tx: mpsc::Sender<Msg>,
) {
    let kernel = sandbox.kernel.clone();
    let members = super::pod::Members::default();
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let Some((line, fds)) = read_request(&conn) else {
            continue;
        };
        let now = *phase.lock().unwrap_or_else(|e| e.into_inner());
        // A container joining the sandbox (see super::pod): it lives as long as its
        // stand-in's connection, on a thread of its own.
        if let Some(json) = line.strip_prefix("container ") {
            if now != Phase::Running {
                reply(
                    &conn,
                    &format!("error the sandbox is {}, not running", now.name()),
                );
                continue;
            }
            let (sandbox, members, json) = (sandbox.clone(), members.clone(), json.to_string());
            let spawned = std::thread::Builder::new()
                .name("member".into())
                .spawn(move || super::pod::serve_create(&sandbox, &members, conn, &json, fds));
            if let Err(e) = spawned {
                tracing::debug!("member thread: {e}");
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("in ") {
            let (id, req) = rest.split_once(' ').unwrap_or((rest, ""));
            super::pod::serve_in(&sandbox, &members, conn, id, req, fds);
            continue;
        }
        if let Some(json) = line.strip_prefix("exec ") {
            match now {
                // As runc, a created container takes exec'd processes too (they get
                // pids from 2: pid 1 stays for the container's init).
                Phase::Running | Phase::Created => {
                    let sandbox = sandbox.clone();
                    let json = json.to_string();
                    let spawned = std::thread::Builder::new()
                        .name("exec".into())
                        .spawn(move || exec(&sandbox, None, conn, &json, fds));
                    if let Err(e) = spawned {
                        tracing::debug!("exec thread: {e}");
                    }
                }
                Phase::Paused => reply(&conn, "error cannot exec in a paused container"),
                Phase::Stopped => reply(&conn, "error cannot exec in a stopped container"),
            }
            continue;
        }
        drop(fds);
        // `signal PID SIG`: a signal `husk exec` forwards to the process it started;
        // `tty-signal PID SIG`: one the host's terminal generated on its pty (for the
        // terminal's foreground group).
        let signal = line
            .strip_prefix("signal ")
            .map(|r| (r, false))
            .or_else(|| line.strip_prefix("tty-signal ").map(|r| (r, true)));
        if let Some((rest, from_tty)) = signal {
            let mut w = rest.split_whitespace().map(|x| x.parse::<i32>());
            // (A process exec'd into a created container runs already.)
            let live = now != Phase::Stopped;
            match (w.next(), w.next(), live) {
                (Some(Ok(pid)), Some(Ok(sig)), true) if (1..=64).contains(&sig) => {
                    let sent = if from_tty {
                        kernel.terminal_signal_of(pid, sig)
                    } else {
                        kernel.host_signal_to(pid, sig)
                    };
                    if sent {
                        reply(&conn, "ok");
                    } else {
                        reply(&conn, "error no such process");
                    }
                }
                (_, _, true) => reply(&conn, "error invalid request"),
                _ => reply(&conn, "error container not running"),
            }
            continue;
        }
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("status"), None) => reply(&conn, now.name()),
            (Some("ps"), None) => match now {
                Phase::Created => reply(&conn, "ok []"),
                Phase::Running | Phase::Paused => {
                    let mut list = kernel.processes();
                    list.retain(|p| !members.owns(p.pid));
                    reply(&conn, &ps_answer(list))
                }
                Phase::Stopped => reply(&conn, "error container is not running"),
            },
            (Some("start"), None) => match now {
                Phase::Created => {
                    // The main thread answers once the first process runs.
                    let _ = tx.send(Msg::Start(conn));
                }
                Phase::Running | Phase::Paused => {
                    reply(&conn, "error cannot start an already running container")
                }
                Phase::Stopped => reply(&conn, "error cannot start a container that has stopped"),
            },
            (Some("killall"), Some(n)) => match (n.parse::<i32>(), now) {
                (Ok(sig), Phase::Running | Phase::Paused) if (1..=64).contains(&sig) => {
                    for p in kernel.processes() {
                        // Init takes only what it handles, as from an ancestor PID
                        // namespace (runc's init is in a namespace of its own too).
                        let ignored = p.pid == 1 && kernel.init_ignores_host_signal(sig);
                        if !members.owns(p.pid) && !ignored {
                            kernel.host_signal_to(p.pid, sig);
                        }
                    }
                    reply(&conn, "ok");
                }
                (Ok(sig), Phase::Created) if (1..=64).contains(&sig) => {
                    let _ = tx.send(Msg::Kill(sig));
                    reply(&conn, "ok");
                }
                (Ok(sig), Phase::Stopped) if (1..=64).contains(&sig) => {
                    reply(&conn, "error container not running")
                }
                _ => reply(&conn, "error invalid signal"),
            },
            (Some("kill"), Some(n)) => match (n.parse::<i32>(), now) {
                (Ok(sig), _) if !(1..=64).contains(&sig) => reply(&conn, "error invalid signal"),
                (Err(_), _) => reply(&conn, "error invalid signal"),
                (Ok(sig), Phase::Created) => {
                    let _ = tx.send(Msg::Kill(sig));
                    reply(&conn, "ok");
                }
                (Ok(sig), Phase::Running | Phase::Paused) => {
                    if !kernel.init_ignores_host_signal(sig) {
                        kernel.host_signal(sig);
                    }
                    reply(&conn, "ok");
                }
                (Ok(_), Phase::Stopped) => reply(&conn, "error container not running"),
            },
            (Some("pause"), None) => {
                let mut p = phase.lock().unwrap_or_else(|e| e.into_inner());
                match *p {
                    Phase::Running => {
                        if kernel.freeze(std::time::Duration::from_secs(5)) {
                            *p = Phase::Paused;
                            reply(&conn, "ok");
                        } else {
                            kernel.thaw();
                            reply(&conn, "error tasks did not stop in time");
                        }
                    }
                    Phase::Paused => reply(&conn, "error container already paused"),
                    _ => reply(&conn, "error container not running"),
                }
            }
            (Some("resume"), None) => {
                let mut p = phase.lock().unwrap_or_else(|e| e.into_inner());
                if *p == Phase::Paused {
                    kernel.thaw();
                    *p = Phase::Running;
                    reply(&conn, "ok");
                } else {
                    reply(&conn, "error container not paused");
                }
            }
            _ => reply(&conn, "error unknown request"),
        }
    }
}

pub fn run(args: BootArgs) -> i32 {
    let Some(sync) = crate::hostfd::take_inherited(args.sync_fd) else {
        eprintln!(
            "husk boot: --sync-fd {} is not an open descriptor",
            args.sync_fd
        );
        return 125;
    };
    // Not for the gofer and the stubs: `husk create` waits for this pipe's answer.
    let _ = rustix::io::fcntl_setfd(&sync, rustix::io::FdFlags::CLOEXEC);
    let mut sync = std::fs::File::from(sync);
    // This process stays as the waiter whose exit status is the container's; a child in
    // new namespaces is the Sentry (see crate::confine). Signals are not forwarded:
    // `husk kill` goes through the control socket, and a signal that ends the waiter
    // ends the Sentry with it.
    let cgroup = match join_cgroup(&args) {
        Ok(j) => j,
        Err(e) => {
            let _ = sync.write_all(format!("error {e}\n").as_bytes());
            return 125;
        }
    };
    if confined() {
        // If the Sentry dies of a signal before it reported, `husk create` gets why
        // (it is still reading this pipe, which the waiter holds open too).
        if let Ok(copy) = sync.try_clone() {
            let copy = Mutex::new(copy);
            let _ = crate::confine::SENTRY_DEATH.set(Box::new(move |msg: &str| {
                let mut f = copy.lock().unwrap_or_else(|e| e.into_inner());
                if f.write_all(format!("error {msg}\n").as_bytes()).is_err() {
                    eprintln!("husk: {msg}");
                }
            }));
        }
        match crate::confine::split(&nix::sys::signal::SigSet::empty()) {
            Ok(crate::confine::Role::Waiter(code)) => {
                super::cgroup::leave(&cgroup);
                return code;
            }
            Ok(crate::confine::Role::Sentry) => {}
            Err(e) => {
                let _ = sync.write_all(format!("error {e}\n").as_bytes());
                return 125;
            }
        }
    }
    // Before any thread starts (they inherit the mask).
    let console = take_console();
    let Booted {
        sandbox,
        mut gofer,
        listener,
        exit_file,
        cfg,
    } = match boot(&args) {
        Ok(b) => b,
        Err(e) => {
            let _ = sync.write_all(format!("error {e}\n").as_bytes());
            return 125;
        }
    };
    let phase = Arc::new(Mutex::new(Phase::Created));
    let (tx, rx) = mpsc::channel();
    {
        let phase = phase.clone();
        let sb = sandbox.clone();
        let spawned = std::thread::Builder::new()
            .name("control".into())
            .spawn(move || serve(listener, phase, sb, tx));
        if let Err(e) = spawned {
            let _ = sync.write_all(format!("error control thread: {e}\n").as_bytes());
            let _ = gofer.kill();
            let _ = gofer.wait();
            return 125;
        }
    }
    if sync.write_all(b"ok\n").is_err() {
        // `husk create` is gone: nobody will ever start this container.
        let _ = gofer.kill();
        let _ = gofer.wait();
        return 125;
    }
    drop(sync);

    let set_phase = |p: Phase| *phase.lock().unwrap_or_else(|e| e.into_inner()) = p;
    // The exit status is on disk before anyone is told "stopped" (`husk wait` reads it
    // as soon as the status says so).
    let exit_file = Mutex::new(Some(exit_file));
    let stop = |status: i32| {
        if let Some(mut f) = exit_file.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = f.write_all(status.to_string().as_bytes());
        }
        set_phase(Phase::Stopped);
    };
    let finish = |status: i32, gofer: &mut Child| {
        stop(status);
        let _ = gofer.kill();
        let _ = gofer.wait();
        crate::do_cmd::exit_code(status)
    };
    // Created: wait for `start` (or a signal, which ends the container before it ran).
    let conn = match rx.recv() {
        Ok(Msg::Start(conn)) => conn,
        Ok(Msg::Kill(sig)) => {
            sandbox.kernel.platform.shutdown();
            return finish(sig & 0x7f, &mut gofer);
        }
        Err(_) => {
            sandbox.kernel.platform.shutdown();
            return finish(libc::SIGKILL, &mut gofer);
        }
    };
    let prog = program(&ExecRequest::of_config(&cfg));
    let started = sandbox.start(prog);
    if let (Some(sigs), Ok(())) = (console, &started) {
        forward_terminal_signals(sigs, sandbox.kernel.clone());
    }
    if let Err(e) = started {
        let cmd = cfg.args.first().map(String::as_str).unwrap_or_default();
        reply(&conn, &format!("error {cmd}: {e}"));
        drop(conn);
        let code = match e {
            SandboxError::NotFound => 127,
            SandboxError::NotExecutable => 126,
            SandboxError::Setup(_) => 125,
        };
        sandbox.kernel.platform.shutdown();
        return finish(code << 8, &mut gofer);
    }
    set_phase(Phase::Running);
    reply(&conn, "ok");
    drop(conn);
    // Requests the control thread queued while it still saw the container as created
    // (they race with this start): signals are delivered, a second start refused.
    let kernel = sandbox.kernel.clone();
    let late = std::thread::Builder::new()
        .name("late".into())
        .spawn(move || {
            for msg in rx {
                match msg {
                    Msg::Kill(sig) if !kernel.init_ignores_host_signal(sig) => {
                        kernel.host_signal(sig)
                    }
                    Msg::Kill(_) => {}
                    Msg::Start(conn) => {
                        reply(&conn, "error cannot start an already running container")
                    }
                }
            }
        });
    if let Err(e) = late {
        tracing::debug!("late request thread: {e}");
    }
    let status = sandbox.wait();
    if let Some(what) = sandbox.kernel.lost_gofer() {
        tracing::error!("the gofer serving {what} exited: the container was stopped");
    }
    stop(status);
    sandbox.shutdown(std::time::Duration::from_secs(5));
    finish(status, &mut gofer)
}
