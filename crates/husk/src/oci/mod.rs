//! The OCI runtime commands, with runc's command line: spec, create, start, state, kill,
//! delete, run, list, features, exec, ps, pause, resume (and the hidden `boot`, the
//! sandbox process).
//!
//! A container is one sandbox process (`husk boot`, the Sentry) started detached by
//! `create`; its pid is the container's pid in `state`, as runsc reports. The CLI
//! keeps `<root>/<id>/state.json` and talks to the sandbox over `<root>/<id>/control.sock`.

pub mod boot;
pub mod cgroup;
pub mod config;
pub mod events;
pub mod exec;
pub mod hooks;
pub mod lookup;
pub mod pod;
pub mod state;
pub mod tty;

use crate::cli::{CreateArgs, DeleteArgs, IdArgs, KillArgs, ListArgs, PsArgs, RunArgs, SpecArgs};
use state::State;
use std::io::BufRead;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Global flags the OCI commands use.
pub struct Global {
    pub root: PathBuf,
    /// `--log FILE`, `--log-format` and `--debug`: passed on to the sandbox process, so
    /// that its messages go to the log and not to the container's stdio.
    pub log: Option<PathBuf>,
    pub log_format: String,
    pub debug: bool,
    /// `--overlay`, `--strace`, `--debug-log DIR`: how containers' sandboxes run.
    pub overlay: String,
    pub strace: bool,
    pub debug_log: Option<PathBuf>,
}

/// Whether logs go to a `--log` file: errors are then written there too (runc's
/// `fatal`), where containerd's shim looks for the reason a command failed.
pub static LOG_TO_FILE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

type Res<T> = Result<T, String>;

/// Prints `err` like runc does (one line on stderr) and returns the exit code.
pub fn report(res: Res<i32>) -> i32 {
    match res {
        Ok(code) => code,
        Err(e) => {
            if LOG_TO_FILE.load(std::sync::atomic::Ordering::Relaxed) {
                tracing::error!("{e}");
            }
            eprintln!("husk: {e}");
            1
        }
    }
}

pub fn spec(args: SpecArgs) -> Res<i32> {
    let path = args.bundle.join("config.json");
    if path.exists() {
        return Err(format!("File {} exists. Remove it first", path.display()));
    }
    let json = config::default_spec(args.rootless)?;
    std::fs::write(&path, json).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(0)
}

/// Creates the container; returns the sandbox process (a child of ours) and its state.
/// `detached`: the caller returns once the container runs (`create`, `run -d`).
/// In the foreground (`run` without `-d`), what the caller relays comes back too: with
/// a terminal (and no console socket) the pty's master (runc's own terminal), without
/// one, if our stdin is a terminal, pipes (as runc's: the sandbox, in a process group
/// of its own, must not read our terminal).
fn create_container(
    g: &Global,
    args: &CreateArgs,
    detached: bool,
) -> Res<(Child, PathBuf, State, Option<tty::Attach>)> {
    state::validate_id(&args.id)?;
    let bundle = args
        .bundle
        .canonicalize()
        .map_err(|e| format!("bundle {}: {e}", args.bundle.display()))?;
    let cfg = config::load(&bundle)?;
    // runc's rules: a console socket goes with a terminal and a detached container; a
    // foreground `run` with a terminal relays it itself.
    let relay = if detached || args.console_socket.is_some() {
        None
    } else if cfg.terminal {
        Some(tty::Foreground::Pty)
    } else if rustix::termios::isatty(std::io::stdin()) {
        Some(tty::Foreground::Pipes)
    } else {
        None
    };
    let console = match (&args.console_socket, cfg.terminal, detached) {
        (Some(path), true, true) => Some(tty::connect(path)?),
        (Some(_), false, _) => {
            return Err(
                "--console-socket: process.terminal is false, there is no terminal to send".into(),
            )
        }
        (Some(_), true, false) => {
            return Err("--console-socket: only with a detached container (run -d)".into())
        }
        (None, true, true) => {
            return Err("process.terminal: true needs --console-socket PATH".into());
        }
        (None, true, false) | (None, false, _) => None,
    };
    // A pod's container joins its sandbox, which must be running (see pod.rs).
    let sandbox_dir = match &cfg.join {
        Some(j) => {
            let bad = |why: &str| {
                format!(
                    "annotations: sandbox {:?} (io.kubernetes.cri.sandbox-id) {why}",
                    j.sandbox_id
                )
            };
            let (sdir, sst) = state::load(&g.root, &j.sandbox_id).map_err(|e| {
                bad(match e.as_str() {
                    "container does not exist" => "does not exist",
                    e => e,
                })
            })?;
            if sst.sandbox.is_some() {
                return Err(bad("is itself a container in a sandbox"));
            }
            match state::status(&sdir, &sst).as_str() {
                "running" => Some(sdir),
                s => return Err(bad(&format!("is {s}, not running"))),
            }
        }
        None => None,
    };
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o711)
        .create(&g.root)
        .map_err(|e| format!("--root {}: {e}", g.root.display()))?;
    let dir = state::container_dir(&g.root, &args.id)?;
    match std::fs::DirBuilder::new().mode(0o711).create(&dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(format!("container with id exists: {}", args.id))
        }
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    }
    let spawned = spawn_sandbox(
        g,
        &bundle,
        &dir,
        &cfg,
        args,
        console.as_ref(),
        relay,
        sandbox_dir.as_deref(),
    );
    let (mut child, st, master) = match spawned {
        Ok(x) => x,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
    };
    // The sandbox is up and its first process not started: runc's prestart,
    // createRuntime and createContainer point. A failure ends the container (with its
    // poststop hooks, as runc) and fails create.
    let creating = st.hook_state("creating");
    let h = &cfg.hooks;
    for (phase, list) in [
        ("prestart", &h.prestart),
        ("createRuntime", &h.create_runtime),
        ("createContainer", &h.create_container),
    ] {
        if let Err(e) = hooks::run(phase, list, &creating) {
            let _ = destroy(&dir, &st);
            let _ = child.wait();
            if let Some(pf) = &args.pid_file {
                let _ = std::fs::remove_file(pf);
            }
            return Err(e);
        }
    }
    // The program must exist once the hooks have run (runc looks it up there too), so
    // that a missing one fails create and not start.
    let mounts: Vec<String> = cfg.mounts.iter().map(|m| m.destination.clone()).collect();
    let prog = cfg.args.first().map(String::as_str).unwrap_or_default();
    if let Err(e) = lookup::check_program(&cfg.rootfs, prog, &cfg.env, &cfg.cwd, &mounts) {
        let _ = destroy(&dir, &st);
        let _ = child.wait();
        if let Some(pf) = &args.pid_file {
            let _ = std::fs::remove_file(pf);
        }
        return Err(e);
    }
    Ok((child, dir, st, master))
}

/// The open descriptors above stderr (the directory stream's own is among them, and
/// closed by the time the list is returned).
fn inherited_fds() -> Vec<i32> {
    let Ok(rd) = std::fs::read_dir("/proc/self/fd") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse().ok())
        .filter(|&fd| fd > 2)
        .collect()
}

/// Marks every descriptor above stderr close-on-exec: what our caller left open (a
/// containerd shim's listening socket, for one) must not reach the sandbox process,
/// the gofer or the Sentry, which would keep it open for the container's lifetime.
fn cloexec_inherited() {
    for fd in inherited_fds() {
        // SAFETY: F_GETFD/F_SETFD change only the close-on-exec flag of a descriptor
        // number (EBADF for the directory's own, already closed); no memory and no
        // ownership is involved.
        unsafe {
            let flags = libc::fcntl(fd, libc::F_GETFD);
            if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
                libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
            }
        }
    }
}

/// Closes every descriptor above stderr that this process inherited. For `exec`: its
/// `--detach` stand-in is a fork that lives as long as the process, and would keep
/// what the caller left open (a containerd shim's listening socket). Only at start-up,
/// single-threaded, before this process opens anything of its own.
pub fn close_inherited() {
    for fd in inherited_fds() {
        // SAFETY: at start-up nothing in this process owns a descriptor above 2 (the
        // directory stream's own is closed already: EBADF), so no owner is left with a
        // closed or reused descriptor.
        unsafe { libc::close(fd) };
    }
}

#[allow(clippy::too_many_arguments)]
fn spawn_sandbox(
    g: &Global,
    bundle: &Path,
    dir: &Path,
    cfg: &config::Config,
    args: &CreateArgs,
    console: Option<&std::os::unix::net::UnixStream>,
    relay: Option<tty::Foreground>,
    sandbox_dir: Option<&Path>,
) -> Res<(Child, State, Option<tty::Attach>)> {
    // With a terminal, the sandbox's stdio (the application's) is a host pty's slave.
    let pty = if console.is_some() || relay == Some(tty::Foreground::Pty) {
        Some(tty::open(cfg.console_size)?)
    } else {
        None
    };
    let mut pipes = match relay {
        Some(tty::Foreground::Pipes) => Some(tty::Pipes::new()?),
        _ => None,
    };
    let child_stdio = |pty: &Option<tty::Pty>,
                       pipes: &mut Option<tty::Pipes>,
                       n: usize|
     -> Res<std::process::Stdio> {
        if let Some(p) = pipes {
            return p.take_child(n).map(std::process::Stdio::from);
        }
        match pty {
            Some(p) => p
                .slave
                .try_clone()
                .map(std::process::Stdio::from)
                .map_err(|e| format!("terminal: {e}")),
            None => Ok(std::process::Stdio::inherit()),
        }
    };
    cloexec_inherited();
    let (rd, wr) = rustix::pipe::pipe().map_err(|e| format!("pipe: {e}"))?;
    rustix::io::fcntl_setfd(&rd, rustix::io::FdFlags::CLOEXEC)
        .map_err(|e| format!("fcntl: {e}"))?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the husk binary: {e}"))?;
    let mut cmd = Command::new(exe);
    // --debug-log DIR: the sandbox process logs at debug level to DIR/ID.boot.log.
    let debug_log = match &g.debug_log {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| format!("--debug-log {}: {e}", d.display()))?;
            Some(d.join(format!("{}.boot.log", args.id)))
        }
        None => None,
    };
    if let Some(log) = debug_log.as_ref().or(g.log.as_ref()) {
        cmd.arg("--log").arg(log);
    }
    cmd.arg("--log-format").arg(&g.log_format);
    if g.debug || debug_log.is_some() {
        cmd.arg("--debug");
    }
    // A container that joins a sandbox has a stand-in process instead (pod.rs).
    match sandbox_dir {
        Some(sdir) => cmd.arg("join").arg("--sandbox-state").arg(sdir),
        None => cmd.arg("boot"),
    };
    let mut child = cmd
        .arg("--bundle")
        .arg(bundle)
        .arg("--state")
        .arg(dir)
        .arg("--sync-fd")
        .arg(wr.as_raw_fd().to_string())
        .arg("--overlay")
        .arg(&g.overlay)
        .args(g.strace.then_some("--strace"))
        .arg("--")
        .arg(&args.id)
        .process_group(0)
        .stdin(child_stdio(&pty, &mut pipes, 0)?)
        .stdout(child_stdio(&pty, &mut pipes, 1)?)
        .stderr(child_stdio(&pty, &mut pipes, 2)?)
        .spawn()
        .map_err(|e| format!("cannot start the sandbox: {e}"))?;
    drop(wr);
    let mut msg = String::new();
    // One line: "ok" or "error MSG" (EOF if the sandbox died).
    let read = std::io::BufReader::new(std::fs::File::from(rd)).read_line(&mut msg);
    let fail = |child: &mut Child, e: String| {
        let _ = child.kill();
        let _ = child.wait();
        Err(e)
    };
    match (read, msg.lines().next()) {
        (Ok(_), Some("ok")) => {}
        (Ok(_), Some(line)) => {
            let e = line.strip_prefix("error ").unwrap_or(line).to_string();
            return fail(&mut child, e);
        }
        (Ok(_), None) => {
            return fail(
                &mut child,
                "the sandbox process exited during start-up".into(),
            )
        }
        (Err(e), _) => return fail(&mut child, format!("reading from the sandbox: {e}")),
    }
    if let (Some(sock), Some(p)) = (console, &pty) {
        if let Err(e) = tty::send_master(sock, &p.master) {
            return fail(&mut child, e);
        }
    }
    // Our copy of the slave goes: the relay's master sees EIO once the sandbox is gone.
    let master = match (relay, pty, pipes) {
        (Some(tty::Foreground::Pty), Some(p), _) => Some(tty::Attach::Pty(p.master)),
        (Some(tty::Foreground::Pipes), _, Some(p)) => Some(tty::Attach::Pipes(p.ours)),
        _ => None,
    };
    let pid = child.id() as i32;
    let Some((_, start_time)) = state::proc_stat(pid) else {
        return fail(
            &mut child,
            "the sandbox process exited during start-up".into(),
        );
    };
    let st = State {
        oci_version: state::OCI_VERSION.into(),
        id: args.id.clone(),
        status: "created".into(),
        pid,
        bundle: bundle.to_string_lossy().into_owned(),
        rootfs: cfg.rootfs.to_string_lossy().into_owned(),
        created: state::rfc3339_now(),
        owner: String::new(),
        annotations: cfg.annotations.clone(),
        start_time,
        hooks: cfg.hooks.clone(),
        sandbox: cfg.join.as_ref().map(|j| j.sandbox_id.clone()),
    };
    if let Err(e) = state::save(dir, &st) {
        return fail(&mut child, e);
    }
    if let Some(pf) = &args.pid_file {
        if let Err(e) = state::write_atomic(pf, pid.to_string().as_bytes()) {
            return fail(&mut child, e);
        }
    }
    Ok((child, st, master))
}

pub fn create(g: &Global, args: CreateArgs) -> Res<i32> {
    // The sandbox outlives us; it is reparented when we exit.
    create_container(g, &args, true).map(|_| 0)
}

fn start_container(dir: &Path, st: &mut State) -> Res<()> {
    match state::status(dir, st).as_str() {
        "created" => {}
        "running" => return Err("cannot start an already running container".into()),
        _ => return Err("cannot start a container that has stopped".into()),
    }
    // startContainer: before the first process runs. A failure stops the container
    // (it keeps its state until delete, as runc's) and fails start (runc's start
    // returns 0 there; the runtime spec asks for an error).
    if let Err(e) = hooks::run(
        "startContainer",
        &st.hooks.start_container,
        &st.hook_state("created"),
    ) {
        let _ = state::request(dir, "kill 9", Duration::from_secs(5));
        let deadline = Instant::now() + Duration::from_secs(10);
        while state::status(dir, st) != "stopped" && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        return Err(e);
    }
    state::request(dir, "start", Duration::from_secs(60))?;
    st.status = "running".into();
    state::save(dir, st)?;
    // poststart: after the process started, before start returns; failures only warn
    // (runtime spec; runc 1.1 runs these at create instead).
    hooks::run_warn("poststart", &st.hooks.poststart, &st.hook_state("running"));
    Ok(())
}

pub fn start(g: &Global, args: IdArgs) -> Res<i32> {
    let (dir, mut st) = state::load(&g.root, &args.id)?;
    start_container(&dir, &mut st).map(|_| 0)
}

pub fn state_cmd(g: &Global, args: IdArgs) -> Res<i32> {
    let (dir, mut st) = state::load(&g.root, &args.id)?;
    st.status = state::status(&dir, &st);
    let json =
        serde_json::to_string_pretty(&st.oci()).map_err(|e| format!("encoding state: {e}"))?;
    println!("{json}");
    Ok(0)
}

pub fn kill(g: &Global, args: KillArgs) -> Res<i32> {
    let sig = state::parse_signal(&args.signal)?;
    let (dir, st) = state::load(&g.root, &args.id)?;
    if state::status(&dir, &st) == "stopped" {
        return Err("container not running".into());
    }
    // --all: every process of the container (runc's), else its first process.
    let req = if args.all { "killall" } else { "kill" };
    match state::request(&dir, &format!("{req} {sig}"), Duration::from_secs(10)) {
        Ok(_) => Ok(0),
        // The container stopped while we asked (its sandbox went away mid-request): say
        // so as runc does, so that callers treat it as done.
        Err(_) if state::status(&dir, &st) == "stopped" => Err("container not running".into()),
        Err(e) => Err(e),
    }
}

/// Waits until the sandbox process is gone, at most `limit`.
fn wait_gone(st: &State, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while state::sandbox_alive(st) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Ends the sandbox (SIGKILL to the container, then to the sandbox process itself if it
/// does not exit) and removes the state directory.
fn destroy(dir: &Path, st: &State) -> Res<()> {
    if state::sandbox_alive(st) {
        let _ = state::request(dir, "kill 9", Duration::from_secs(5));
        if !wait_gone(st, Duration::from_secs(10)) {
            // Still the same process (checked by its start time): end it.
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(st.pid),
                nix::sys::signal::Signal::SIGKILL,
            );
            if !wait_gone(st, Duration::from_secs(5)) {
                return Err(format!("the sandbox process {} does not exit", st.pid));
            }
        }
    }
    // poststop: the container is gone; failures only warn (runtime spec, runc).
    hooks::run_warn("poststop", &st.hooks.poststop, &st.hook_state("stopped"));
    std::fs::remove_dir_all(dir).map_err(|e| format!("removing {}: {e}", dir.display()))
}

pub fn delete(g: &Global, args: DeleteArgs) -> Res<i32> {
    let (dir, st) = match state::load(&g.root, &args.id) {
        Ok(x) => x,
        Err(e) if args.force && e == "container does not exist" => {
            // runc: --force on a missing container is not an error.
            state::validate_id(&args.id)?;
            return Ok(0);
        }
        Err(e) => return Err(e),
    };
    match state::status(&dir, &st).as_str() {
        "stopped" | "created" => {}
        s if !args.force => {
            return Err(format!(
                "cannot delete container {} that is not stopped: {s}",
                args.id
            ))
        }
        _ => {}
    }
    destroy(&dir, &st).map(|_| 0)
}

/// Signals `husk run` passes on to the container, as runc does.
const FORWARDED: [nix::sys::signal::Signal; 6] = [
    nix::sys::signal::Signal::SIGINT,
    nix::sys::signal::Signal::SIGTERM,
    nix::sys::signal::Signal::SIGHUP,
    nix::sys::signal::Signal::SIGQUIT,
    nix::sys::signal::Signal::SIGUSR1,
    nix::sys::signal::Signal::SIGUSR2,
];

pub fn run(g: &Global, args: RunArgs) -> Res<i32> {
    let (mut child, dir, mut st, master) = create_container(g, &args.create, args.detach)?;
    if !args.detach {
        // Before any thread starts (they inherit the mask): the forwarded signals go
        // to the container, never to a default action here.
        // With a relayed pty, SIGWINCH resizes it to our terminal.
        let resize = match &master {
            Some(tty::Attach::Pty(m)) => m.try_clone().ok(),
            _ => None,
        };
        forward_signals(&dir, resize);
    }
    let relay = match master.map(tty::Relay::start).transpose() {
        Ok(r) => r,
        Err(e) => {
            let _ = destroy(&dir, &st);
            let _ = child.wait();
            return Err(e);
        }
    };
    if let Err(e) = start_container(&dir, &mut st) {
        let _ = destroy(&dir, &st);
        let _ = child.wait();
        return Err(e);
    }
    if args.detach {
        return Ok(0);
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the sandbox: {e}"))?;
    if let Some(r) = relay {
        r.finish();
    }
    use std::os::unix::process::ExitStatusExt;
    let code = match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => 125,
    };
    destroy(&dir, &st)?;
    Ok(code)
}

/// Blocks the signals `husk run` forwards and passes each one that arrives on to the
/// container in `dir` (`kill N` on its control socket), as runc does.
fn forward_signals(dir: &Path, resize: Option<rustix::fd::OwnedFd>) {
    let mut sigs = nix::sys::signal::SigSet::empty();
    for s in FORWARDED {
        sigs.add(s);
    }
    if resize.is_some() {
        sigs.add(nix::sys::signal::Signal::SIGWINCH);
    }
    if sigs.thread_block().is_err() {
        return;
    }
    let fdir = dir.to_path_buf();
    let _ = std::thread::Builder::new().spawn(move || loop {
        match sigs.wait() {
            Ok(nix::sys::signal::Signal::SIGWINCH) => {
                if let (Some(m), Ok(ws)) =
                    (&resize, rustix::termios::tcgetwinsize(std::io::stdin()))
                {
                    let _ = rustix::termios::tcsetwinsize(m, ws);
                }
            }
            Ok(sig) => {
                let _ = state::request(
                    &fdir,
                    &format!("kill {}", sig as i32),
                    Duration::from_secs(5),
                );
            }
            Err(_) => return,
        }
    });
}

/// `husk pause` (`pause` true) and `husk resume`.
pub fn pause(g: &Global, args: IdArgs, pause: bool) -> Res<i32> {
    let (dir, mut st) = state::load(&g.root, &args.id)?;
    match (state::status(&dir, &st).as_str(), pause) {
        ("running", true) | ("paused", false) => {}
        ("paused", true) => return Err("container already paused".into()),
        (_, true) => return Err("container not running".into()),
        (_, false) => return Err("container not paused".into()),
    }
    let req = if pause { "pause" } else { "resume" };
    state::request(&dir, req, Duration::from_secs(10))?;
    st.status = if pause { "paused" } else { "running" }.into();
    state::save(&dir, &st)?;
    Ok(0)
}

/// `HH:MM` (UTC) of a time in seconds since the epoch.
fn clock_time(secs: u64) -> String {
    format!("{:02}:{:02}", secs / 3600 % 24, secs / 60 % 60)
}

/// `husk ps`: the container's processes with the pids the sandbox gives them (as runsc
/// reports; the ptrace platform's host processes are not the container's processes).
pub fn ps(g: &Global, args: PsArgs) -> Res<i32> {
    if !args.ps_args.is_empty() {
        return Err("ps options are not supported (husk prints its own table)".into());
    }
    let (dir, st) = state::load(&g.root, &args.id)?;
    if state::status(&dir, &st) == "stopped" {
        return Err("container is not running".into());
    }
    let answer = state::request(&dir, "ps", Duration::from_secs(10))?;
    let json = answer.strip_prefix("ok ").unwrap_or(&answer);
    let list: Vec<boot::PsEntry> = serde_json::from_str(json)
        .map_err(|e| format!("unexpected answer from the sandbox: {e}"))?;
    if args.format == "json" {
        let pids: Vec<i32> = list.iter().map(|p| p.pid).collect();
        println!("{}", serde_json::Value::from(pids));
        return Ok(0);
    }
    println!("UID        PID  PPID  C STIME TTY          TIME CMD");
    for p in &list {
        let t = p.cpu_ms / 1000;
        println!(
            "{:<8} {:>5} {:>5}  0 {:<5} ?        {:02}:{:02}:{:02} {}",
            p.uid,
            p.pid,
            p.ppid,
            clock_time(p.started),
            t / 3600,
            t / 60 % 60,
            t % 60,
            p.cmd
        );
    }
    Ok(0)
}

fn containers(g: &Global) -> Vec<(PathBuf, State)> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(&g.root) else {
        return out;
    };
    for e in rd.flatten() {
        let Some(id) = e.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if let Ok((dir, mut st)) = state::load(&g.root, &id) {
            st.status = state::status(&dir, &st);
            out.push((dir, st));
        }
    }
    out.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    out
}

fn owner_name(dir: &Path) -> String {
    let uid = std::fs::metadata(dir.join(state::STATE_FILE))
        .map(|m| m.uid())
        .unwrap_or(0);
    nix::unistd::User::from_uid(nix::unistd::Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| format!("#{uid}"))
}

pub fn list(g: &Global, args: ListArgs) -> Res<i32> {
    let items = containers(g);
    if args.quiet {
        for (_, st) in &items {
            println!("{}", st.id);
        }
        return Ok(0);
    }
    let rows: Vec<(State, String)> = items
        .into_iter()
        .map(|(dir, st)| {
            let owner = owner_name(&dir);
            (st, owner)
        })
        .collect();
    if args.format == "json" {
        if rows.is_empty() {
            println!("null");
            return Ok(0);
        }
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(st, owner)| {
                let mut o = st.oci();
                o.owner = owner;
                serde_json::to_value(o).unwrap_or_default()
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
        return Ok(0);
    }
    // runc's tabwriter: minimum width 12, padding 3.
    let mut table = vec![["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from)];
    for (st, owner) in &rows {
        table.push([
            st.id.clone(),
            st.pid.to_string(),
            st.status.clone(),
            st.bundle.clone(),
            st.created.clone(),
            owner.clone(),
        ]);
    }
    let mut widths = [12usize; 6];
    for row in &table {
        for (i, c) in row.iter().enumerate() {
            widths[i] = widths[i].max(c.len() + 3);
        }
    }
    for row in &table {
        let mut line = String::new();
        for (i, c) in row.iter().enumerate() {
            if i + 1 == row.len() {
                line.push_str(c);
            } else {
                line.push_str(&format!("{c:<w$}", w = widths[i]));
            }
        }
        println!("{line}");
    }
    Ok(0)
}

pub fn features() -> Res<i32> {
    let v = serde_json::json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": state::OCI_VERSION,
        "hooks": [
            "prestart",
            "createRuntime",
            "createContainer",
            "startContainer",
            "poststart",
            "poststop"
        ],
        "mountOptions": [],
        "linux": {
            "namespaces": [],
            "capabilities": [],
            "cgroup": { "v1": false, "v2": false, "systemd": false, "systemdUser": false },
            "seccomp": { "enabled": false },
            "apparmor": { "enabled": false },
            "selinux": { "enabled": false }
        },
        "annotations": {
            "io.github.husk.version": env!("CARGO_PKG_VERSION"),
            "io.github.husk.platform": "ptrace"
        }
    });
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    serde::Serialize::serialize(&v, &mut ser).map_err(|e| format!("encoding: {e}"))?;
    println!("{}", String::from_utf8_lossy(&out));
    Ok(0)
}
