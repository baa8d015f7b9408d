//! `husk do`: boot a sandbox for one command, forward signals, return its exit status.

use crate::cli::DoArgs;
use husk_sentry::fsimpl::procfs::HostInfo;
use husk_sentry::kernel::{Creds, KernelOptions};
use husk_sentry::{Program, RootfsMode, Sandbox, SandboxError};
use nix::sys::signal::{SigSet, Signal};
use rustix::net::{socketpair, AddressFamily, SocketFlags, SocketType};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

/// Signals `husk do` forwards to the sandbox's first process.
const FORWARDED: [Signal; 6] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
    Signal::SIGUSR1,
    Signal::SIGWINCH,
];

pub(crate) fn host_info() -> HostInfo {
    let cpuinfo = std::fs::read("/proc/cpuinfo").unwrap_or_default();
    let ncpus = rustix::thread::sched_getaffinity(None)
        .map(|s| s.count() as u64)
        .unwrap_or(1)
        .max(1);
    let mem_total_kb = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .next()
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0);
    HostInfo {
        cpuinfo,
        ncpus,
        mem_total_kb,
    }
}

pub(crate) fn start_gofer(root: &std::path::Path) -> Result<(Child, rustix::fd::OwnedFd), String> {
    let (ours, theirs) = socketpair(
        AddressFamily::UNIX,
        SocketType::STREAM,
        SocketFlags::empty(),
        None,
    )
    .map_err(|e| format!("socketpair: {e}"))?;
    rustix::io::fcntl_setfd(&ours, rustix::io::FdFlags::CLOEXEC)
        .map_err(|e| format!("fcntl: {e}"))?;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find the husk binary: {e}"))?;
    let child = Command::new(exe)
        .arg("gofer")
        .arg("--root")
        .arg(root)
        .arg("--fd")
        .arg(theirs.as_raw_fd().to_string())
        .stdin(Stdio::null())
        // A process group of its own: a ^C typed into a terminal the sandbox shares
        // (husk do) or owns (the console) is the application's, not the gofer's.
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start the gofer: {e}"))?;
    drop(theirs);
    Ok((child, ours))
}

pub(crate) fn exit_code(status: i32) -> i32 {
    if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        128 + (status & 0x7f)
    }
}

pub fn run(args: DoArgs, debug: bool) -> i32 {
    let cmd_name = args
        .cmd
        .first()
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_default();
    let root = args.rootfs.clone().unwrap_or_else(|| "/".into());
    match std::fs::metadata(&root) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            eprintln!("husk: rootfs {}: Not a directory", root.display());
            return 125;
        }
        Err(e) => {
            eprintln!("husk: rootfs {}: {e}", root.display());
            return 125;
        }
    }
    let mut env: Vec<Vec<u8>> = Vec::new();
    let mut set = |kv: Vec<u8>| {
        let key_len = kv.iter().position(|&c| c == b'=').unwrap_or(kv.len());
        env.retain(|e| !(e.len() > key_len && e[..key_len] == kv[..key_len] && e[key_len] == b'='));
        env.push(kv);
    };
    for (k, v) in std::env::vars_os() {
        let mut kv = k.as_bytes().to_vec();
        kv.push(b'=');
        kv.extend_from_slice(v.as_bytes());
        set(kv);
    }
    for e in &args.env {
        if !e.contains('=') {
            eprintln!("husk: --env {e}: expected K=V");
            return 125;
        }
        set(e.as_bytes().to_vec());
    }
    let cwd = match &args.cwd {
        Some(c) => c.as_bytes().to_vec(),
        None => std::env::current_dir()
            .map(|p| p.as_os_str().as_bytes().to_vec())
            .unwrap_or_else(|_| b"/".to_vec()),
    };
    let host = host_info();

    // Block the forwarded signals in every thread; one thread waits for them.
    let mut sigs = SigSet::empty();
    for s in FORWARDED {
        sigs.add(s);
    }
    if let Err(e) = sigs.thread_block() {
        eprintln!("husk: blocking signals: {e}");
        return 125;
    }
    // From here on this process waits; a child in new namespaces is the Sentry.
    let confined = std::env::var_os("HUSK_DEBUG_NO_CONFINE").is_none();
    if confined {
        match crate::confine::split(&sigs) {
            Ok(crate::confine::Role::Waiter(code)) => return code,
            Ok(crate::confine::Role::Sentry) => {}
            Err(e) => {
                eprintln!("husk: {e}");
                return 125;
            }
        }
    }

    let (mut gofer, sock) = match start_gofer(&root) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("husk: {e}");
            return 125;
        }
    };
    let cleanup = |gofer: &mut Child| {
        let _ = gofer.kill();
        let _ = gofer.wait();
    };
    // Everything that reads host files (getgroups reads /proc/sys/kernel/ngroups_max)
    // happens before the filter goes on.
    let creds = Creds {
        ruid: rustix::process::getuid().as_raw(),
        euid: rustix::process::geteuid().as_raw(),
        suid: rustix::process::geteuid().as_raw(),
        fsuid: rustix::process::geteuid().as_raw(),
        rgid: rustix::process::getgid().as_raw(),
        egid: rustix::process::getegid().as_raw(),
        sgid: rustix::process::getegid().as_raw(),
        fsgid: rustix::process::getegid().as_raw(),
        groups: nix::unistd::getgroups()
            .map(|g| g.iter().map(|x| x.as_raw()).collect())
            .unwrap_or_default(),
        ..Default::default()
    };
    // The gofer answers only once it has confined itself: until then it shares this
    // mount namespace, and pivoting now would pull its root away too.
    let gofer_client = husk_gofer::Client::new(sock);
    if let Err(e) = gofer_client.call(&husk_gofer::Request::Stat { path: Vec::new() }) {
        eprintln!("husk: the gofer did not start: {e}");
        cleanup(&mut gofer);
        return 125;
    }
    // The Sentry needs no host path from here on: empty root, no capabilities.
    if confined {
        if let Err(e) = crate::confine::lock_down() {
            eprintln!("husk: {e}");
            cleanup(&mut gofer);
            return 125;
        }
    }
    let opts = KernelOptions {
        strace: args.strace,
        hostname: args.hostname.clone(),
    };
    let rootfs = match args.overlay.as_str() {
        "none" => RootfsMode::None,
        _ => RootfsMode::Memory,
    };
    let sandbox = match Sandbox::new(&args.platform, gofer_client, rootfs, host, opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("husk: {e}");
            cleanup(&mut gofer);
            return 125;
        }
    };
    let filter = if std::env::var_os("HUSK_DEBUG_NO_SECCOMP").is_none() {
        crate::seccomp::install_sentry()
    } else {
        Ok(())
    };
    if let Err(e) = filter {
        eprintln!("husk: {e}");
        cleanup(&mut gofer);
        return 125;
    }
    crate::confine::forbidden_syscall_hook();
    if debug {
        tracing::debug!("sandbox booted; starting {cmd_name}");
    }
    let argv: Vec<Vec<u8>> = args.cmd.iter().map(|a| a.as_bytes().to_vec()).collect();
    let prog = Program {
        argv,
        envp: env,
        cwd,
        creds,
        rlimits: Vec::new(),
        attrs: Default::default(),
    };
    if let Err(e) = sandbox.start(prog) {
        eprintln!("husk: {cmd_name}: {e}");
        cleanup(&mut gofer);
        return match e {
            SandboxError::NotFound => 127,
            SandboxError::NotExecutable => 126,
            SandboxError::Setup(_) => 125,
        };
    }
    let kernel = sandbox.kernel.clone();
    let _ = std::thread::Builder::new().spawn(move || loop {
        match sigs.wait() {
            // What the terminal generates goes to the foreground process group of the
            // sandbox's terminal, as Linux's line discipline sends it; the rest (and
            // everything without a terminal) to the first process.
            Ok(sig) => {
                let tty = matches!(sig, Signal::SIGINT | Signal::SIGQUIT | Signal::SIGWINCH);
                if !(tty && kernel.terminal_signal(sig as i32)) {
                    kernel.host_signal(sig as i32)
                }
            }
            Err(_) => return,
        }
    });
    let status = sandbox.wait();
    if let Some(what) = sandbox.kernel.lost_gofer() {
        eprintln!("husk: the gofer serving {what} exited: the sandbox was stopped");
    }
    sandbox.shutdown(std::time::Duration::from_secs(5));
    cleanup(&mut gofer);
    exit_code(status)
}
