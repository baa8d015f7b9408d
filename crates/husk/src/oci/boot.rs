//! `husk boot`: a container's sandbox process (the Sentry), started detached by
//! `husk create`.
//!
//! It boots the sandbox (gofer over the bundle's rootfs, memory overlay), binds the
//! control socket and opens the exit-status file, installs the seccomp filter, then
//! reports "ok" (or "error MSG") on the sync pipe and waits. The container's first
//! process is started only when `start` arrives on the control socket. When it exits,
//! the wait status goes to the exit-status file and the process exits with the
//! container's exit code (128+N for signal N).
//!
//! Control protocol: one request line per connection, one answer line:
//! `status` -> `created|running|stopped`; `start` -> `ok` or `error MSG`;
//! `kill N` -> `ok` or `error MSG`.

use super::config::{self, Config};
use super::state::{CONTROL_SOCKET, EXIT_STATUS_FILE};
use crate::cli::BootArgs;
use husk_sentry::kernel::{Creds, KernelOptions};
use husk_sentry::{Program, RootfsMode, Sandbox, SandboxError};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Child;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    Created,
    Running,
    Stopped,
}

impl Phase {
    fn name(self) -> &'static str {
        match self {
            Phase::Created => "created",
            Phase::Running => "running",
            Phase::Stopped => "stopped",
        }
    }
}

enum Msg {
    Start(UnixStream),
    Kill(i32),
}

fn reply(mut s: &UnixStream, line: &str) {
    let _ = s.write_all(format!("{line}\n").as_bytes());
}

fn creds(cfg: &Config) -> Creds {
    let mut groups = cfg.additional_gids.clone();
    groups.sort_unstable();
    groups.dedup();
    Creds {
        ruid: cfg.uid,
        euid: cfg.uid,
        suid: cfg.uid,
        fsuid: cfg.uid,
        rgid: cfg.gid,
        egid: cfg.gid,
        sgid: cfg.gid,
        fsgid: cfg.gid,
        groups,
        ..Default::default()
    }
}

struct Booted {
    sandbox: Sandbox,
    gofer: Child,
    listener: UnixListener,
    exit_file: std::fs::File,
    cfg: Config,
}

fn boot(args: &BootArgs) -> Result<Booted, String> {
    let cfg = config::load(&args.bundle)?;
    if !cfg.rlimits.is_empty() {
        tracing::debug!("process.rlimits: not applied yet (the Sentry's defaults are used)");
    }
    let host = crate::do_cmd::host_info();
    let (mut gofer, sock) = crate::do_cmd::start_gofer(&cfg.rootfs)?;
    let result = (|| {
        let mode = if cfg.readonly {
            RootfsMode::ReadOnly
        } else {
            RootfsMode::Memory
        };
        let opts = KernelOptions {
            strace: false,
            hostname: if cfg.hostname.is_empty() {
                args.id.clone()
            } else {
                cfg.hostname.clone()
            },
        };
        let sandbox = Sandbox::new("ptrace", husk_gofer::Client::new(sock), mode, host, opts)
            .map_err(|e| e.to_string())?;
        let sock_path = args.state.join(CONTROL_SOCKET);
        let listener = UnixListener::bind(&sock_path)
            .map_err(|e| format!("control socket {}: {e}", sock_path.display()))?;
        let exit_path = args.state.join(EXIT_STATUS_FILE);
        let exit_file = std::fs::File::create(&exit_path)
            .map_err(|e| format!("{}: {e}", exit_path.display()))?;
        if std::env::var_os("HUSK_DEBUG_NO_SECCOMP").is_none() {
            crate::seccomp::install()?;
        }
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

/// Serves the control socket: `status` here, `start` and `kill` before start through
/// the main thread, `kill` after start straight to the kernel.
fn serve(
    listener: UnixListener,
    phase: Arc<Mutex<Phase>>,
    kernel: Arc<husk_sentry::kernel::Kernel>,
    tx: mpsc::Sender<Msg>,
) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let mut line = String::new();
        if BufReader::new(&conn).read_line(&mut line).is_err() {
            continue;
        }
        let now = *phase.lock().unwrap_or_else(|e| e.into_inner());
        let mut words = line.split_whitespace();
        match (words.next(), words.next()) {
            (Some("status"), None) => reply(&conn, now.name()),
            (Some("start"), None) => match now {
                Phase::Created => {
                    // The main thread answers once the first process runs.
                    let _ = tx.send(Msg::Start(conn));
                }
                Phase::Running => reply(&conn, "error cannot start an already running container"),
                Phase::Stopped => reply(&conn, "error cannot start a container that has stopped"),
            },
            (Some("kill"), Some(n)) => match (n.parse::<i32>(), now) {
                (Ok(sig), _) if !(1..=64).contains(&sig) => reply(&conn, "error invalid signal"),
                (Err(_), _) => reply(&conn, "error invalid signal"),
                (Ok(sig), Phase::Created) => {
                    let _ = tx.send(Msg::Kill(sig));
                    reply(&conn, "ok");
                }
                (Ok(sig), Phase::Running) => {
                    kernel.host_signal(sig);
                    reply(&conn, "ok");
                }
                (Ok(_), Phase::Stopped) => reply(&conn, "error container not running"),
            },
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
    let Booted {
        sandbox,
        mut gofer,
        listener,
        mut exit_file,
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
        let kernel = sandbox.kernel.clone();
        let spawned = std::thread::Builder::new()
            .name("control".into())
            .spawn(move || serve(listener, phase, kernel, tx));
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
    let mut finish = |status: i32, gofer: &mut Child| {
        set_phase(Phase::Stopped);
        let _ = exit_file.write_all(status.to_string().as_bytes());
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
    let prog = Program {
        argv: cfg.args.iter().map(|a| a.as_bytes().to_vec()).collect(),
        envp: cfg.env.iter().map(|e| e.as_bytes().to_vec()).collect(),
        cwd: cfg.cwd.as_bytes().to_vec(),
        creds: creds(&cfg),
    };
    if let Err(e) = sandbox.start(prog) {
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
    // Signals sent while created and start racing: deliver them now.
    while let Ok(msg) = rx.try_recv() {
        if let Msg::Kill(sig) = msg {
            sandbox.kernel.host_signal(sig);
        }
    }
    let status = sandbox.wait();
    set_phase(Phase::Stopped);
    sandbox.shutdown(std::time::Duration::from_secs(5));
    finish(status, &mut gofer)
}
