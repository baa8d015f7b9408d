//! `husk exec`: runs another process in a running container's sandbox.
//!
//! The request goes over the control socket with this process's fds 0, 1 and 2
//! attached (SCM_RIGHTS), so the new process writes straight to our stdio. Defaults
//! (env, cwd, user) come from the container's config.json, as runc takes them; `-e`
//! adds or replaces variables, `--process FILE` replaces the whole process.
//!
//! Exit status: the process's (128+N if signal N ended it). As runc, a process that
//! could not be started (missing program, bad cwd, container not running) gives an
//! error and 255. Unlike runc, exec into a created (not yet started) container is
//! refused: the sandbox's pid 1 must be the container's init. Signals sent to
//! `husk exec` are not forwarded yet.

use super::boot::ExecRequest;
use super::state;
use super::{config, Global, Res};
use crate::cli::ExecArgs;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

/// Exit status when the process could not be started (runc's).
const EXEC_FAILED: i32 = 255;

fn set_env(env: &mut Vec<String>, kv: &str) -> Res<()> {
    let Some((k, _)) = kv.split_once('=') else {
        return Err(format!("--env {kv:?}: not KEY=VALUE"));
    };
    let prefix = format!("{k}=");
    match env.iter_mut().find(|e| e.starts_with(&prefix)) {
        Some(e) => *e = kv.to_string(),
        None => env.push(kv.to_string()),
    }
    Ok(())
}

fn parse_user(u: &str) -> Res<(u32, Option<u32>)> {
    let bad = || format!("--user {u:?}: expected UID[:GID] (numbers)");
    let (uid, gid) = match u.split_once(':') {
        Some((a, b)) => (a, Some(b)),
        None => (u, None),
    };
    let uid = uid.parse().map_err(|_| bad())?;
    let gid = match gid {
        Some(g) => Some(g.parse().map_err(|_| bad())?),
        None => None,
    };
    Ok((uid, gid))
}

/// The process a `--process` file describes (an OCI `process` object).
fn from_process_file(path: &std::path::Path) -> Res<ExecRequest> {
    let data = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value = serde_json::from_slice(&data)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    let strings = |key: &str| -> Res<Vec<String>> {
        match &v[key] {
            serde_json::Value::Null => Ok(Vec::new()),
            serde_json::Value::Array(a) => a
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_string)
                        .ok_or_else(|| format!("{}: {key}: not a string array", path.display()))
                })
                .collect(),
            _ => Err(format!("{}: {key}: not a string array", path.display())),
        }
    };
    let num = |x: &serde_json::Value, key: &str| -> Res<u32> {
        match x {
            serde_json::Value::Null => Ok(0),
            x => x
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(|| format!("{}: user.{key}: not a number", path.display())),
        }
    };
    let user = &v["user"];
    let mut additional_gids = Vec::new();
    if let Some(a) = user["additionalGids"].as_array() {
        for g in a {
            additional_gids.push(num(g, "additionalGids")?);
        }
    }
    // `terminal` is read by exec_inner (process_terminal): it asks for --console-socket.
    Ok(ExecRequest {
        args: strings("args")?,
        env: strings("env")?,
        cwd: v["cwd"].as_str().unwrap_or("/").to_string(),
        uid: num(&user["uid"], "uid")?,
        gid: num(&user["gid"], "gid")?,
        additional_gids,
        rlimits: Vec::new(),
        caps: config::cap_sets(&v["capabilities"]),
        no_new_privs: v["noNewPrivileges"].as_bool().unwrap_or(false),
        oom_score_adj: 0,
    })
}

/// Whether a `--process` file asks for a terminal (`"terminal": true`).
fn process_terminal(path: &std::path::Path) -> bool {
    std::fs::read(path)
        .ok()
        .and_then(|d| serde_json::from_slice::<serde_json::Value>(&d).ok())
        .is_some_and(|v| v["terminal"].as_bool() == Some(true))
}

fn request_for(args: &ExecArgs, cfg: Option<&config::Config>) -> Res<ExecRequest> {
    let mut req = match (&args.process, cfg) {
        (Some(p), _) => {
            if !args.cmd.is_empty() {
                return Err("--process and a command cannot both be given".into());
            }
            let mut req = from_process_file(p)?;
            // What the file leaves out comes from the container's config, as in runc.
            if let Some(c) = cfg {
                req.rlimits = c.rlimits.clone();
                req.caps = req.caps.or(c.caps);
                req.oom_score_adj = c.oom_score_adj;
            }
            req
        }
        (None, Some(cfg)) => ExecRequest {
            args: args.cmd.clone(),
            ..ExecRequest::of_config(cfg)
        },
        (None, None) => ExecRequest {
            args: args.cmd.clone(),
            env: Vec::new(),
            cwd: "/".into(),
            uid: 0,
            gid: 0,
            additional_gids: Vec::new(),
            rlimits: Vec::new(),
            caps: None,
            no_new_privs: false,
            oom_score_adj: 0,
        },
    };
    if req.args.is_empty() {
        return Err("exec: no command given (or process.args is empty)".into());
    }
    for kv in &args.env {
        set_env(&mut req.env, kv)?;
    }
    if let Some(cwd) = &args.cwd {
        req.cwd = cwd.clone();
    }
    if !req.cwd.starts_with('/') {
        return Err(format!("--cwd {:?}: must be an absolute path", req.cwd));
    }
    if let Some(u) = &args.user {
        let (uid, gid) = parse_user(u)?;
        req.uid = uid;
        req.gid = gid.unwrap_or(0);
        req.additional_gids.clear();
    }
    Ok(req)
}

/// Sends `line` with our stdio fds attached.
fn send_with_stdio(sock: &UnixStream, line: &str, tty: Option<&OwnedFd>) -> Res<()> {
    use std::os::fd::AsFd;
    let (i, o, e) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    let fds = match tty {
        // With a terminal, the process's stdio is the pty's slave.
        Some(t) => [t.as_fd(), t.as_fd(), t.as_fd()],
        None => [i.as_fd(), o.as_fd(), e.as_fd()],
    };
    for (n, fd) in fds.iter().enumerate() {
        if rustix::io::fcntl_getfd(fd).is_err() {
            return Err(format!("stdio fd {n} is not open"));
        }
    }
    super::pod::send_with_fds(sock, line, &fds)
}

/// Signals `husk exec` passes on to the process it started, as runc's exec does.
const FORWARDED: [nix::sys::signal::Signal; 6] = [
    nix::sys::signal::Signal::SIGINT,
    nix::sys::signal::Signal::SIGTERM,
    nix::sys::signal::Signal::SIGHUP,
    nix::sys::signal::Signal::SIGQUIT,
    nix::sys::signal::Signal::SIGUSR1,
    nix::sys::signal::Signal::SIGUSR2,
];

/// Blocks the forwarded signals and starts a thread that sends each one that arrives
/// to process `pid` of the sandbox (`signal PID SIG` on the control socket).
/// With `resize` (a relayed pty's master), SIGWINCH resizes it to our terminal.
fn forward_signals(control: state::ControlSocket, pid: i32, resize: Option<OwnedFd>) {
    let mut set = nix::sys::signal::SigSet::empty();
    for s in FORWARDED {
        set.add(s);
    }
    if resize.is_some() {
        set.add(nix::sys::signal::Signal::SIGWINCH);
    }
    if set.thread_block().is_err() {
        return;
    }
    let _ = std::thread::Builder::new()
        .name("forward".into())
        .spawn(move || loop {
            let Ok(sig) = set.wait() else { return };
            if sig == nix::sys::signal::Signal::SIGWINCH {
                if let (Some(m), Ok(ws)) =
                    (&resize, rustix::termios::tcgetwinsize(std::io::stdin()))
                {
                    let _ = rustix::termios::tcsetwinsize(m, ws);
                }
                continue;
            }
            let Ok(conn) = UnixStream::connect(&control.path) else {
                return;
            };
            let _ = (&conn).write_all(format!("signal {pid} {}\n", sig as i32).as_bytes());
            let mut answer = String::new();
            let _ = BufReader::new(&conn).read_line(&mut answer);
        });
}

/// The exit code for wait status `status` (128+N for signal N).
fn exit_code(status: i32) -> i32 {
    if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        128 + (status & 0x7f)
    }
}

/// `husk exec`. Every failure to start the process exits with 255 (runc's status).
pub fn exec(g: &Global, args: ExecArgs) -> Res<i32> {
    exec_inner(g, args).or_else(|e| {
        eprintln!("husk: exec failed: {e}");
        Ok(EXEC_FAILED)
    })
}

fn exec_inner(g: &Global, args: ExecArgs) -> Res<i32> {
    // runc's rules: a console socket goes with --tty and --detach; --tty without one
    // in the foreground: the terminal is relayed to ours (see tty::Relay).
    // With --process, the file's `terminal` says whether there is one (runc's rule).
    let tty = args.tty || args.process.as_deref().is_some_and(process_terminal);
    let console = match (&args.console_socket, tty, args.detach) {
        (Some(p), true, true) => Some(super::tty::connect(p)?),
        (Some(_), _, _) => {
            return Err("--console-socket: only with --tty and --detach".into());
        }
        (None, true, true) => return Err("--tty: needs --console-socket PATH".into()),
        (None, _, _) => None,
    };
    let relay_tty = tty && console.is_none();
    let (dir, st) = state::load(&g.root, &args.id)?;
    match state::status(&dir, &st).as_str() {
        "running" | "created" => {}
        s => return Err(format!("cannot exec in a {s} container")),
    }
    let cfg = config::load(std::path::Path::new(&st.bundle)).ok();
    let req = request_for(&args, cfg.as_ref())?;
    let json = serde_json::to_string(&req).map_err(|e| format!("encoding: {e}"))?;
    let control = state::control_socket(&dir)?;
    let sock = UnixStream::connect(&control.path)
        .map_err(|e| format!("connecting to the sandbox: {e}"))?;
    let pty = if console.is_some() || relay_tty {
        Some(super::tty::open(None)?)
    } else {
        None
    };
    send_with_stdio(
        &sock,
        &format!("exec {json}"),
        pty.as_ref().map(|p| &p.slave),
    )?;
    let mut lines = BufReader::new(&sock).lines();
    let first = match lines.next() {
        Some(Ok(l)) => l,
        Some(Err(e)) => return Err(format!("talking to the sandbox: {e}")),
        None => return Err("the sandbox closed the control connection".into()),
    };
    if let Some(e) = first.strip_prefix("error ") {
        return Err(e.strip_prefix("exec failed: ").unwrap_or(e).to_string());
    }
    let pid = first
        .strip_prefix("ok ")
        .and_then(|p| p.trim().parse::<i32>().ok())
        .ok_or_else(|| format!("unexpected answer from the sandbox: {first:?}"))?;
    if let (Some(sock), Some(p)) = (&console, &pty) {
        super::tty::send_master(sock, &p.master)?;
    }
    let slave = pty.as_ref().and_then(|p| p.slave.try_clone().ok());
    let master = pty.filter(|_| relay_tty).map(|p| p.master);
    if args.detach {
        return detach(&args, control, pid, slave, &mut lines);
    }
    if let Some(pf) = &args.pid_file {
        state::write_atomic(pf, pid.to_string().as_bytes())?;
    }
    if let Some(s) = &slave {
        super::tty::signal_helper(&control, pid, s);
    }
    // Before the relay's threads start, so that they inherit the blocked signals.
    forward_signals(
        control,
        pid,
        master.as_ref().and_then(|m| m.try_clone().ok()),
    );
    let relay = match master {
        Some(m) => Some(super::tty::Relay::start(super::tty::Attach::Pty(m))?),
        None => None,
    };
    let exit = lines.next();
    if let Some(r) = relay {
        r.finish();
    }
    match exit {
        Some(Ok(l)) => l
            .strip_prefix("exit ")
            .and_then(|s| s.trim().parse::<i32>().ok())
            .map(exit_code)
            .ok_or_else(|| format!("unexpected answer from the sandbox: {l:?}")),
        // The sandbox ended (the container was killed) before the process did.
        _ => Ok(128 + libc::SIGKILL),
    }
}

/// `exec --detach`: the process lives in the sandbox, so a host process stands in
/// for it (as runsc does): a forked child of ours that keeps the control connection,
/// forwards signals to the process and exits with its exit code. Its host pid goes to
/// `--pid-file`, so a caller that waits for that pid (podman's conmon, a subreaper)
/// gets the process's exit code.
fn detach(
    args: &ExecArgs,
    control: state::ControlSocket,
    pid: i32,
    slave: Option<OwnedFd>,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
) -> Res<i32> {
    let single = std::fs::read_dir("/proc/self/task").is_ok_and(|d| d.count() == 1);
    if !single {
        return Err("exec --detach: cannot fork a multi-threaded process".into());
    }
    // SAFETY: the process is single-threaded (checked above), so the child may run
    // arbitrary code after fork.
    match unsafe { nix::unistd::fork() }.map_err(|e| format!("fork: {e}"))? {
        nix::unistd::ForkResult::Parent { child } => {
            if let Some(pf) = &args.pid_file {
                state::write_atomic(pf, child.as_raw().to_string().as_bytes())?;
            }
            Ok(0)
        }
        nix::unistd::ForkResult::Child => {
            // The process has its own copies of our stdio: let the caller see EOF
            // when it closes them, not when we exit.
            crate::hostfd::null_stdio();
            if let Some(s) = &slave {
                super::tty::signal_helper(&control, pid, s);
            }
            forward_signals(control, pid, None);
            let code = match lines.next() {
                Some(Ok(l)) => l
                    .strip_prefix("exit ")
                    .and_then(|s| s.trim().parse::<i32>().ok())
                    .map(exit_code)
                    .unwrap_or(EXEC_FAILED),
                _ => 128 + libc::SIGKILL,
            };
            std::process::exit(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_and_user() {
        let mut env = vec!["A=1".to_string(), "B=2".to_string()];
        set_env(&mut env, "A=3").expect("set");
        set_env(&mut env, "C=4").expect("set");
        assert_eq!(env, ["A=3", "B=2", "C=4"]);
        assert!(set_env(&mut env, "novalue").is_err());
        assert_eq!(parse_user("5"), Ok((5, None)));
        assert_eq!(parse_user("5:6"), Ok((5, Some(6))));
        assert!(parse_user("x").is_err());
        assert_eq!(exit_code(3 << 8), 3);
        assert_eq!(exit_code(9), 137);
    }
}
