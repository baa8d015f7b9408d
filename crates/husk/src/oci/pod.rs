//! Multi-container sandboxes (Kubernetes pods): a container whose config carries
//! containerd's `io.kubernetes.cri.container-type: container` and
//! `io.kubernetes.cri.sandbox-id: ID` annotations (or CRI-O's) runs in the sandbox of
//! container ID (the pod's pause container) instead of a sandbox of its own: the same
//! Sentry, network stack and memory, the sandbox's UTS and IPC namespaces, and its own
//! root file system (served by a gofer of its own), mount namespace and PID namespace.
//!
//! On the host such a container is a *stand-in* process (`husk join`, started detached
//! by `husk create` as `husk boot` is for a sandbox): it starts the container's gofers
//! (rootfs and bind mounts), sends the container to the sandbox's control socket
//! (`container JSON` with the container's stdio and the gofers' sockets attached),
//! serves the container's own control socket by relaying each request to the
//! sandbox's as `in ID REQUEST`, and exits with the container's exit code when the
//! sandbox reports it (`exit STATUS` on the first connection), or with 137 when the
//! sandbox goes away. Its pid is the container's pid in `state` and in `--pid-file`, so
//! that a containerd shim, which waits for that pid, gets the container's exit code.
//! Killing it kills the container.
//!
//! In the sandbox process, [`serve_create`] makes the container and [`serve_in`] answers
//! the relayed requests (`status`, `start`, `kill N`, `exec JSON`, `signal PID SIG`,
//! `tty-signal PID SIG`, `ps`); pause and resume apply to whole sandboxes only.

use super::boot::{self, ExecRequest, Phase};
use super::config::{Config, MountKind};
use super::state::{self, CONTROL_SOCKET, EXIT_STATUS_FILE};
use crate::cli::BootArgs;
use husk_sentry::kernel::Tid;
use husk_sentry::sandbox::{Container, ExtraMount, ExtraSource};
use husk_sentry::vfs::MountFlags;
use husk_sentry::{RootfsMode, Sandbox, SandboxError};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Child;
use std::sync::{Arc, Mutex};

/// What `husk join` asks the sandbox to make.
#[derive(Serialize, Deserialize, Debug)]
pub struct ContainerRequest {
    pub id: String,
    pub process: ExecRequest,
    /// "memory", "none" or "readonly" (see [`RootfsMode`]).
    pub rootfs: String,
    pub share_pids: bool,
    pub mounts: Vec<MountSpec>,
    pub masked_paths: Vec<String>,
    pub readonly_paths: Vec<String>,
    /// The config's cgroup mount: read-only, and the limits its cgroupfs shows.
    #[serde(default)]
    pub cgroup: Option<CgroupSpec>,
}

/// A cgroup mount as it crosses the control socket (see [`super::config::CgroupMount`]).
#[derive(Serialize, Deserialize, Debug, Clone, Copy)]
pub struct CgroupSpec {
    pub readonly: bool,
    pub memory_max: Option<u64>,
    pub memory_swap_max: Option<u64>,
    pub cpu_quota: Option<u64>,
    pub cpu_period: Option<u64>,
    pub cpu_weight: Option<u64>,
    pub pids_max: Option<u64>,
}

impl CgroupSpec {
    fn of(m: &super::config::CgroupMount) -> CgroupSpec {
        let l = &m.limits;
        CgroupSpec {
            readonly: m.readonly,
            memory_max: l.memory_max,
            memory_swap_max: l.memory_swap_max,
            cpu_quota: l.cpu_quota,
            cpu_period: l.cpu_period,
            cpu_weight: l.cpu_weight,
            pids_max: l.pids_max,
        }
    }

    fn limits(&self) -> husk_sentry::fsimpl::cgroupfs::CgroupLimits {
        husk_sentry::fsimpl::cgroupfs::CgroupLimits {
            memory_max: self.memory_max,
            memory_swap_max: self.memory_swap_max,
            cpu_quota: self.cpu_quota,
            cpu_period: self.cpu_period,
            cpu_weight: self.cpu_weight,
            pids_max: self.pids_max,
        }
    }
}

/// One extra mount as it crosses the control socket.
#[derive(Serialize, Deserialize, Debug)]
pub struct MountSpec {
    pub dest: String,
    pub source: MountSource,
    pub readonly: bool,
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
}

#[derive(Serialize, Deserialize, Debug)]
pub enum MountSource {
    /// A host directory: the next gofer socket attached to the request.
    Gofer,
    /// A host file's contents and permission bits.
    File { data: Vec<u8>, mode: u32 },
    /// A new tmpfs with this root mode.
    Tmpfs { mode: u32 },
}

/// The host side of a config's extra mounts: their descriptions, the sockets of the
/// gofers serving the bind-mounted directories (in order) and those gofers.
pub struct HostMounts {
    pub specs: Vec<MountSpec>,
    pub socks: Vec<OwnedFd>,
    pub gofers: Vec<Child>,
}

/// Largest file a bind mount of a single file copies into the sandbox.
const MAX_BIND_FILE: u64 = 1 << 20;

/// Asks a gofer a first question: it answers once it has left this mount namespace.
fn ping_gofer(sock: &OwnedFd, what: &std::path::Path) -> Result<(), String> {
    let dup = sock
        .try_clone()
        .map_err(|e| format!("the gofer for {}: {e}", what.display()))?;
    husk_gofer::Client::new(dup)
        .call(&husk_gofer::Request::Stat { path: Vec::new() })
        .map(drop)
        .map_err(|e| format!("the gofer for {} did not start: {e}", what.display()))
}

/// Everything the config's extra mounts need from the host, gathered while the caller
/// still sees it: a gofer of its own for each bind-mounted directory (confined to that
/// directory, as the rootfs's gofer is to the rootfs; it exits when its socket's other
/// end is closed), the contents of each bind-mounted file (copied into the sandbox's
/// memory, as runsc does for /etc/hosts and friends).
pub fn host_mounts(cfg: &Config) -> Result<HostMounts, String> {
    let mut out = HostMounts {
        specs: Vec::new(),
        socks: Vec::new(),
        gofers: Vec::new(),
    };
    let res = (|| {
        for m in &cfg.mounts {
            let source = match &m.kind {
                MountKind::Tmpfs(mode) => MountSource::Tmpfs { mode: *mode },
                MountKind::Bind(path) => {
                    let meta = std::fs::metadata(path)
                        .map_err(|e| format!("bind mount {}: {e}", path.display()))?;
                    if meta.is_dir() {
                        let (child, sock) = crate::do_cmd::start_gofer(path)?;
                        out.gofers.push(child);
                        ping_gofer(&sock, path)?;
                        out.socks.push(sock);
                        MountSource::Gofer
                    } else if meta.is_file() && meta.len() <= MAX_BIND_FILE {
                        let data = std::fs::read(path)
                            .map_err(|e| format!("bind mount {}: {e}", path.display()))?;
                        MountSource::File {
                            data,
                            mode: meta.permissions().mode(),
                        }
                    } else {
                        return Err(format!(
                            "bind mount {}: only directories and regular files up to {MAX_BIND_FILE} bytes can be bind-mounted",
                            path.display()
                        ));
                    }
                }
            };
            out.specs.push(MountSpec {
                dest: m.destination.clone(),
                source,
                readonly: m.readonly,
                nosuid: m.nosuid,
                nodev: m.nodev,
                noexec: m.noexec,
            });
        }
        Ok(())
    })();
    if let Err(e) = res {
        end_gofers(&mut out.gofers);
        return Err(e);
    }
    Ok(out)
}

/// Ends and reaps gofer processes.
pub fn end_gofers(gofers: &mut Vec<Child>) {
    for g in gofers.iter_mut() {
        let _ = g.kill();
        let _ = g.wait();
    }
    gofers.clear();
}

/// The Sentry's mounts for `specs`, taking the gofer sockets from `socks` in order.
pub fn extra_mounts(
    specs: Vec<MountSpec>,
    socks: impl IntoIterator<Item = OwnedFd>,
) -> Result<Vec<ExtraMount>, String> {
    let mut socks = socks.into_iter();
    let mut out = Vec::new();
    for m in specs {
        let source = match m.source {
            MountSource::Gofer => {
                let sock = socks
                    .next()
                    .ok_or_else(|| format!("mount on {}: no gofer socket was sent", m.dest))?;
                ExtraSource::Gofer(husk_gofer::Client::new(sock))
            }
            MountSource::File { data, mode } => ExtraSource::File(data, mode),
            MountSource::Tmpfs { mode } => ExtraSource::Tmpfs(mode),
        };
        out.push(ExtraMount {
            dest: m.dest.into_bytes(),
            source,
            flags: MountFlags {
                readonly: m.readonly,
                nosuid: m.nosuid,
                nodev: m.nodev,
                noexec: m.noexec,
            },
        });
    }
    Ok(out)
}

/// Sends `line` (newline added) with `fds` attached.
pub fn send_with_fds(sock: &UnixStream, line: &str, fds: &[BorrowedFd<'_>]) -> Result<(), String> {
    use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    use std::mem::MaybeUninit;
    let mut space = vec![MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(fds.len().max(1)))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    if !fds.is_empty() && !anc.push(SendAncillaryMessage::ScmRights(fds)) {
        return Err("too many descriptors for one message".into());
    }
    let data = format!("{line}\n");
    let bytes = data.as_bytes();
    let mut sent = sendmsg(
        sock,
        &[std::io::IoSlice::new(bytes)],
        &mut anc,
        SendFlags::NOSIGNAL,
    )
    .map_err(|e| format!("talking to the sandbox: {e}"))?;
    while sent < bytes.len() {
        sent += rustix::net::send(sock, &bytes[sent..], SendFlags::NOSIGNAL)
            .map_err(|e| format!("talking to the sandbox: {e}"))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// The host side: `husk join`.

/// `husk join`: the stand-in process of a container that joins a sandbox.
pub fn run_join(args: BootArgs) -> i32 {
    let Some(sync) = crate::hostfd::take_inherited(args.sync_fd) else {
        eprintln!(
            "husk join: --sync-fd {} is not an open descriptor",
            args.sync_fd
        );
        return 125;
    };
    let _ = rustix::io::fcntl_setfd(&sync, rustix::io::FdFlags::CLOEXEC);
    let mut sync = std::fs::File::from(sync);
    let mut gofers = Vec::new();
    let joined = match join(&args, &mut gofers) {
        Ok(j) => j,
        Err(e) => {
            end_gofers(&mut gofers);
            let _ = sync.write_all(format!("error {e}\n").as_bytes());
            return 125;
        }
    };
    if sync.write_all(b"ok\n").is_err() {
        // `husk create` is gone: nobody will ever start this container. Closing the
        // connection removes it from the sandbox.
        end_gofers(&mut gofers);
        return 125;
    }
    drop(sync);
    let Joined {
        conn,
        mut exit_file,
    } = joined;
    // The sandbox answers `exit STATUS` when the container's first process exits; EOF
    // means the sandbox is gone (its container was deleted or killed).
    let mut line = String::new();
    let status = match BufReader::new(&conn).read_line(&mut line) {
        Ok(n) if n > 0 => line
            .trim()
            .strip_prefix("exit ")
            .and_then(|s| s.parse::<i32>().ok())
            .unwrap_or(libc::SIGKILL),
        _ => libc::SIGKILL,
    };
    let _ = exit_file.write_all(status.to_string().as_bytes());
    end_gofers(&mut gofers);
    crate::do_cmd::exit_code(status)
}

struct Joined {
    conn: UnixStream,
    exit_file: std::fs::File,
}

fn join(args: &BootArgs, gofers: &mut Vec<Child>) -> Result<Joined, String> {
    let sandbox_dir = args
        .sandbox_state
        .as_ref()
        .ok_or("husk join: --sandbox-state is missing")?;
    let cfg = super::config::load(&args.bundle)?;
    let join = cfg
        .join
        .clone()
        .ok_or("husk join: the config does not join a sandbox")?;
    // The container's stdio (the shim's pipes or FIFOs) goes to the sandbox; neither we
    // nor the gofers keep it, so that its readers see EOF when the container closes it.
    let stdio = [
        std::io::stdin().as_fd(),
        std::io::stdout().as_fd(),
        std::io::stderr().as_fd(),
    ]
    .map(|fd| fd.try_clone_to_owned());
    let [Ok(stdin), Ok(stdout), Ok(stderr)] = stdio else {
        return Err("husk join: stdio fds 0-2 must be open".into());
    };
    crate::hostfd::null_stdio();
    let (gofer, rootfs_sock) = crate::do_cmd::start_gofer(&cfg.rootfs)?;
    gofers.push(gofer);
    ping_gofer(&rootfs_sock, &cfg.rootfs)?;
    let mut mounts = host_mounts(&cfg)?;
    gofers.append(&mut mounts.gofers);
    let req = ContainerRequest {
        id: args.id.clone(),
        process: ExecRequest::of_config(&cfg),
        rootfs: if cfg.readonly {
            "readonly"
        } else {
            args.overlay.as_str()
        }
        .to_string(),
        share_pids: join.share_pids,
        mounts: mounts.specs,
        masked_paths: cfg.masked_paths.clone(),
        readonly_paths: cfg.readonly_paths.clone(),
        cgroup: cfg.cgroup_mount.as_ref().map(CgroupSpec::of),
    };
    let json = serde_json::to_string(&req).map_err(|e| format!("encoding: {e}"))?;
    let control = state::control_socket(sandbox_dir)?;
    let conn = UnixStream::connect(&control.path).map_err(|e| {
        format!(
            "sandbox {}: cannot reach its control socket: {e}",
            join.sandbox_id
        )
    })?;
    let mut fds = vec![
        stdin.as_fd(),
        stdout.as_fd(),
        stderr.as_fd(),
        rootfs_sock.as_fd(),
    ];
    fds.extend(mounts.socks.iter().map(|s| s.as_fd()));
    send_with_fds(&conn, &format!("container {json}"), &fds)?;
    let mut answer = String::new();
    BufReader::new(&conn)
        .read_line(&mut answer)
        .map_err(|e| format!("talking to the sandbox: {e}"))?;
    match answer.trim_end() {
        "ok" => {}
        "" => {
            return Err(format!(
                "sandbox {}: it closed the connection",
                join.sandbox_id
            ))
        }
        a => return Err(a.strip_prefix("error ").unwrap_or(a).to_string()),
    }
    // The sandbox holds the gofer sockets now.
    drop(rootfs_sock);
    drop(mounts.socks);
    let own = state::control_socket(&args.state)?;
    let listener = UnixListener::bind(&own.path).map_err(|e| {
        format!(
            "control socket {}: {e}",
            args.state.join(CONTROL_SOCKET).display()
        )
    })?;
    let exit_path = args.state.join(EXIT_STATUS_FILE);
    let exit_file =
        std::fs::File::create(&exit_path).map_err(|e| format!("{}: {e}", exit_path.display()))?;
    // Everything that needs privilege is done (the gofers run, the sockets are bound):
    // the stand-in keeps none (still single-threaded, so this covers its threads).
    rustix::thread::set_no_new_privs(true).map_err(|e| format!("no_new_privs: {e}"))?;
    crate::confine::drop_capabilities()?;
    // With a terminal, what its line discipline generates goes to the container's
    // foreground group (see tty::signal_helper; 0: the container's first process).
    if rustix::termios::isatty(&stdin) {
        super::tty::signal_helper(&own, 0, &stdin);
    }
    // Signals sent to the stand-in go to the container's first process (as to runc's
    // container init); blocked before any thread starts.
    forward_signals(sandbox_dir, &args.id);
    let id = args.id.clone();
    let sandbox_dir = sandbox_dir.clone();
    std::thread::Builder::new()
        .name("relay".into())
        .spawn(move || relay(listener, &sandbox_dir, &id))
        .map_err(|e| format!("relay thread: {e}"))?;
    Ok(Joined { conn, exit_file })
}

/// Passes the signals a caller may send to the stand-in (SIGINT, SIGTERM, SIGHUP,
/// SIGQUIT, SIGUSR1, SIGUSR2) on to container `id` as `kill N`.
fn forward_signals(sandbox_dir: &std::path::Path, id: &str) {
    use nix::sys::signal::Signal;
    let mut set = nix::sys::signal::SigSet::empty();
    for s in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        set.add(s);
    }
    if set.thread_block().is_err() {
        return;
    }
    let (dir, id) = (sandbox_dir.to_path_buf(), id.to_string());
    let _ = std::thread::Builder::new()
        .name("forward".into())
        .spawn(move || loop {
            let Ok(sig) = set.wait() else { return };
            let _ = state::request(
                &dir,
                &format!("in {id} kill {}", sig as i32),
                std::time::Duration::from_secs(5),
            );
        });
}

/// Serves the container's control socket: each request goes to the sandbox's as
/// `in ID REQUEST` (with the fds sent with it), each answer back until the sandbox
/// closes the connection.
fn relay(listener: UnixListener, sandbox_dir: &std::path::Path, id: &str) {
    for conn in listener.incoming() {
        let Ok(conn) = conn else { continue };
        let Some((line, fds)) = boot::read_request(&conn) else {
            continue;
        };
        let up = match state::control_socket(sandbox_dir)
            .and_then(|c| UnixStream::connect(&c.path).map_err(|e| e.to_string()))
        {
            Ok(s) => s,
            Err(_) => {
                let _ = (&conn).write_all(b"error the sandbox is gone\n");
                continue;
            }
        };
        let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|f| f.as_fd()).collect();
        if send_with_fds(&up, &format!("in {id} {line}"), &borrowed).is_err() {
            let _ = (&conn).write_all(b"error the sandbox is gone\n");
            continue;
        }
        drop(fds);
        let _ = std::thread::Builder::new()
            .name("relay-answer".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match (&up).read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if (&conn).write_all(&buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
    }
}

// ---------------------------------------------------------------------------------
// The sandbox side.

/// A container that joined this sandbox.
struct Member {
    container: Container,
    phase: Mutex<Phase>,
    /// Its first process's sandbox-wide pid, once started.
    init: Mutex<Option<Tid>>,
    /// What `start` runs, with the stand-in's stdio, until then.
    pending: Mutex<Option<(husk_sentry::Program, Vec<OwnedFd>)>>,
    /// The stand-in's connection: `exit STATUS` goes there.
    conn: UnixStream,
}

impl Member {
    fn phase(&self) -> Phase {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn set_phase(&self, p: Phase) {
        *self.phase.lock().unwrap_or_else(|e| e.into_inner()) = p;
    }

    /// Reports the container's end to its stand-in (once).
    fn finish(&self, status: i32) {
        let mut p = self.phase.lock().unwrap_or_else(|e| e.into_inner());
        if *p != Phase::Stopped {
            *p = Phase::Stopped;
            boot::reply(&self.conn, &format!("exit {status}"));
        }
    }
}

/// The containers that joined the sandbox, by id.
#[derive(Clone, Default)]
pub struct Members(Arc<Mutex<HashMap<String, Arc<Member>>>>);

impl Members {
    /// Whether sandbox-wide pid `pid` belongs to a container that joined the sandbox
    /// with a PID namespace of its own (the sandbox's own `ps` leaves those out).
    pub fn owns(&self, pid: Tid) -> bool {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .any(|m| m.container.own_pids() && m.container.pidns().sees(pid))
    }

    fn get(&self, id: &str) -> Option<Arc<Member>> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(id)
            .cloned()
    }
}

/// `container JSON` from a stand-in: makes the container (not started yet).
pub fn serve_create(
    sandbox: &Sandbox,
    members: &Members,
    conn: UnixStream,
    json: &str,
    fds: Vec<OwnedFd>,
) {
    let req: ContainerRequest = match serde_json::from_str(json) {
        Ok(r) => r,
        Err(e) => return boot::reply(&conn, &format!("error bad container request: {e}")),
    };
    let id = req.id.clone();
    let member = match make_member(sandbox, req, fds, &conn) {
        Ok(m) => Arc::new(m),
        Err(e) => return boot::reply(&conn, &format!("error {e}")),
    };
    {
        // Checked and added under one lock; a stopped one (its stand-in is going) may
        // be replaced.
        let mut all = members.0.lock().unwrap_or_else(|e| e.into_inner());
        if all.get(&id).is_some_and(|m| m.phase() != Phase::Stopped) {
            drop(all);
            member.container.kill_all(&sandbox.kernel);
            return boot::reply(&conn, &format!("error container {id} exists"));
        }
        all.insert(id.clone(), member.clone());
    }
    boot::reply(&conn, "ok");
    // The stand-in keeps the connection open as long as the container lives: when it
    // closes it (it exited, or was killed), the container goes.
    let mut byte = [0u8; 1];
    // read(2), not std's recv (recvfrom, which the Sentry's seccomp policy lacks).
    while matches!(rustix::io::read(&conn, &mut byte), Ok(n) if n > 0) {}
    // Every process of the container goes (also those exec'd into a container that
    // was never started), and its PID namespace takes no new one.
    member.set_phase(Phase::Stopped);
    member.container.kill_all(&sandbox.kernel);
    let mut all = members.0.lock().unwrap_or_else(|e| e.into_inner());
    if all.get(&id).is_some_and(|m| Arc::ptr_eq(m, &member)) {
        all.remove(&id);
    }
}

fn make_member(
    sandbox: &Sandbox,
    req: ContainerRequest,
    fds: Vec<OwnedFd>,
    conn: &UnixStream,
) -> Result<Member, String> {
    if fds.len() < 4 {
        return Err(format!(
            "container: expected stdio and gofer fds, got {} fds",
            fds.len()
        ));
    }
    let mut fds = fds.into_iter();
    let stdio: Vec<OwnedFd> = fds.by_ref().take(3).collect();
    let rootfs_sock = fds.next().ok_or("container: no rootfs gofer")?;
    let mode = match req.rootfs.as_str() {
        "memory" => RootfsMode::Memory,
        "none" => RootfsMode::None,
        "readonly" => RootfsMode::ReadOnly,
        m => return Err(format!("container: unknown rootfs mode {m:?}")),
    };
    let container = sandbox
        .new_container(husk_gofer::Client::new(rootfs_sock), mode, req.share_pids)
        .map_err(|e| e.to_string())?;
    let extra = extra_mounts(req.mounts, fds)?;
    let bytes = |v: &[String]| v.iter().map(|p| p.as_bytes().to_vec()).collect::<Vec<_>>();
    sandbox
        .add_container_mounts(
            &container,
            extra,
            &bytes(&req.masked_paths),
            &bytes(&req.readonly_paths),
        )
        .map_err(|e| e.to_string())?;
    if let Some(cg) = &req.cgroup {
        sandbox
            .mount_container_cgroupfs(&container, cg.limits(), cg.readonly)
            .map_err(|e| e.to_string())?;
    }
    let conn = conn.try_clone().map_err(|e| format!("container: {e}"))?;
    Ok(Member {
        container,
        phase: Mutex::new(Phase::Created),
        init: Mutex::new(None),
        pending: Mutex::new(Some((boot::program(&req.process), stdio))),
        conn,
    })
}

/// `in ID REQUEST` relayed by a container's stand-in.
pub fn serve_in(
    sandbox: &Sandbox,
    members: &Members,
    conn: UnixStream,
    id: &str,
    line: &str,
    fds: Vec<OwnedFd>,
) {
    let Some(m) = members.get(id) else {
        return boot::reply(&conn, "error container is not running");
    };
    let now = m.phase();
    if let Some(json) = line.strip_prefix("exec ") {
        // Unlike a sandbox's own container, pid 1 of a pod container's PID namespace
        // goes to the first process started there: its init must come first.
        if now != Phase::Running {
            return boot::reply(
                &conn,
                &format!("error cannot exec in a {} container", now.name()),
            );
        }
        let (sandbox, json) = (sandbox.clone(), json.to_string());
        let container = m.container.clone();
        let _ = std::thread::Builder::new()
            .name("exec".into())
            .spawn(move || boot::exec(&sandbox, Some(&container), conn, &json, fds));
        return;
    }
    drop(fds);
    let kernel = &sandbox.kernel;
    let init = *m.init.lock().unwrap_or_else(|e| e.into_inner());
    let signal = line
        .strip_prefix("signal ")
        .map(|r| (r, false))
        .or_else(|| line.strip_prefix("tty-signal ").map(|r| (r, true)));
    if let Some((rest, from_tty)) = signal {
        let mut w = rest.split_whitespace().map(|x| x.parse::<i32>());
        let send = |g: i32, sig: i32| {
            if from_tty {
                kernel.terminal_signal_of(g, sig)
            } else {
                kernel.host_signal_to(g, sig)
            }
        };
        return match (w.next(), w.next(), now) {
            (Some(Ok(pid)), Some(Ok(sig)), Phase::Running) if (1..=64).contains(&sig) => {
                // 0: the container's first process (its terminal's signals).
                let g = if pid == 0 {
                    init
                } else {
                    m.container.global_pid(pid)
                };
                match g {
                    Some(g) if send(g, sig) => boot::reply(&conn, "ok"),
                    _ => boot::reply(&conn, "error no such process"),
                }
            }
            (_, _, Phase::Running) => boot::reply(&conn, "error invalid request"),
            _ => boot::reply(&conn, "error container not running"),
        };
    }
    let mut words = line.split_whitespace();
    match (words.next(), words.next()) {
        (Some("status"), None) => boot::reply(&conn, now.name()),
        (Some("ps"), None) => match (now, init) {
            (Phase::Created, _) => boot::reply(&conn, "ok []"),
            (Phase::Running, Some(_)) => {
                boot::reply(&conn, &boot::ps_answer(m.container.processes(kernel)))
            }
            _ => boot::reply(&conn, "error container is not running"),
        },
        (Some("start"), None) => match now {
            Phase::Created => start(sandbox, &m, &conn),
            Phase::Stopped => boot::reply(&conn, "error cannot start a container that has stopped"),
            _ => boot::reply(&conn, "error cannot start an already running container"),
        },
        (Some("kill"), Some(n)) => match (n.parse::<i32>(), now, init) {
            (Ok(sig), _, _) if !(1..=64).contains(&sig) => {
                boot::reply(&conn, "error invalid signal")
            }
            (Err(_), _, _) => boot::reply(&conn, "error invalid signal"),
            (Ok(sig), Phase::Created, _) => {
                // Never started: it ends as if killed by the signal.
                m.pending.lock().unwrap_or_else(|e| e.into_inner()).take();
                m.finish(sig & 0x7f);
                boot::reply(&conn, "ok")
            }
            (Ok(sig), Phase::Running, Some(init)) => {
                // The init of a PID namespace of its own ignores what it has no
                // handler for, as under runc.
                let ignored =
                    m.container.own_pids() && kernel.ns_init_ignores_host_signal(init, sig);
                if !ignored {
                    kernel.host_signal_to(init, sig);
                }
                boot::reply(&conn, "ok")
            }
            _ => boot::reply(&conn, "error container not running"),
        },
        (Some("killall"), Some(n)) => match (n.parse::<i32>(), now) {
            (Ok(sig), Phase::Running) if (1..=64).contains(&sig) => {
                for p in m.container.processes(kernel) {
                    let Some(g) = m.container.global_pid(p.pid) else {
                        continue;
                    };
                    // A PID namespace's init takes only what it handles.
                    let ignored = m.container.own_pids()
                        && p.pid == 1
                        && kernel.ns_init_ignores_host_signal(g, sig);
                    if !ignored {
                        kernel.host_signal_to(g, sig);
                    }
                }
                boot::reply(&conn, "ok")
            }
            (Ok(sig), Phase::Created) if (1..=64).contains(&sig) => {
                m.pending.lock().unwrap_or_else(|e| e.into_inner()).take();
                m.finish(sig & 0x7f);
                boot::reply(&conn, "ok")
            }
            (Ok(sig), _) if (1..=64).contains(&sig) => {
                boot::reply(&conn, "error container not running")
            }
            _ => boot::reply(&conn, "error invalid signal"),
        },
        (Some("pause" | "resume"), None) => boot::reply(
            &conn,
            "error pause and resume apply to whole sandboxes: pause the sandbox's container",
        ),
        _ => boot::reply(&conn, "error unknown request"),
    }
}

/// Starts a member's first process and, on a thread, reports its exit.
fn start(sandbox: &Sandbox, m: &Arc<Member>, conn: &UnixStream) {
    let Some((prog, stdio)) = m.pending.lock().unwrap_or_else(|e| e.into_inner()).take() else {
        return boot::reply(conn, "error container is not running");
    };
    let cmd = String::from_utf8_lossy(prog.argv.first().map(Vec::as_slice).unwrap_or_default())
        .into_owned();
    let tid = match sandbox.exec_in(&m.container, prog, stdio) {
        Ok(t) => t,
        Err(e) => {
            boot::reply(conn, &format!("error {cmd}: {e}"));
            let code = match e {
                SandboxError::NotFound => 127,
                SandboxError::NotExecutable => 126,
                SandboxError::Setup(_) => 125,
            };
            m.finish(code << 8);
            return;
        }
    };
    *m.init.lock().unwrap_or_else(|e| e.into_inner()) = Some(tid);
    m.set_phase(Phase::Running);
    boot::reply(conn, "ok");
    let (sandbox, m) = (sandbox.clone(), m.clone());
    let _ = std::thread::Builder::new()
        .name("member-wait".into())
        .spawn(move || {
            let status = sandbox.wait_process(tid).unwrap_or(libc::SIGKILL);
            m.finish(status);
        });
}
