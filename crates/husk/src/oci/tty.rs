//! `process.terminal`: as runsc does, the runtime makes a HOST pty pair, sends the
//! master over `--console-socket` (SCM_RIGHTS with the name `/dev/ptmx`, as runc) and
//! gives the slave to the sandbox process as its stdin, stdout and stderr. The Sentry
//! wraps those as host fds and forwards terminal ioctls (TCGETS/TCSETS*, TIOCGWINSZ,
//! TIOCSWINSZ) to the host pty, so the application sees a terminal whose size follows
//! the console's.

use rustix::fd::{AsFd, OwnedFd};
use rustix::fs::{Mode, OFlags};
use rustix::pty::OpenptFlags;
use std::os::unix::net::UnixStream;
use std::path::Path;

pub struct Pty {
    pub master: OwnedFd,
    pub slave: OwnedFd,
}

/// Opens a pty pair (neither becomes our controlling terminal), of `size` (rows,
/// columns) if given.
pub fn open(size: Option<(u16, u16)>) -> Result<Pty, String> {
    let err = |what: &str, e: rustix::io::Errno| format!("terminal: {what}: {e}");
    let master = rustix::pty::openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY)
        .map_err(|e| err("opening /dev/ptmx", e))?;
    rustix::io::fcntl_setfd(&master, rustix::io::FdFlags::CLOEXEC).map_err(|e| err("fcntl", e))?;
    rustix::pty::grantpt(&master).map_err(|e| err("grantpt", e))?;
    rustix::pty::unlockpt(&master).map_err(|e| err("unlockpt", e))?;
    let name = rustix::pty::ptsname(&master, Vec::new()).map_err(|e| err("ptsname", e))?;
    let slave = rustix::fs::open(
        name.as_c_str(),
        OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| err(&format!("opening {}", name.to_string_lossy()), e))?;
    if let Some((rows, cols)) = size {
        let ws = rustix::termios::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        rustix::termios::tcsetwinsize(&slave, ws).map_err(|e| err("TIOCSWINSZ", e))?;
    }
    Ok(Pty { master, slave })
}

/// Connects to the console socket (early, so that a bad path fails before anything
/// is created).
pub fn connect(path: &Path) -> Result<UnixStream, String> {
    UnixStream::connect(path).map_err(|e| format!("--console-socket {}: {e}", path.display()))
}

/// Sends the pty master over the console socket, as runc's `utils.SendFile`.
pub fn send_master(sock: &UnixStream, master: &OwnedFd) -> Result<(), String> {
    use rustix::net::{sendmsg, SendAncillaryBuffer, SendAncillaryMessage, SendFlags};
    use std::mem::MaybeUninit;
    let fds = [master.as_fd()];
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut anc = SendAncillaryBuffer::new(&mut space);
    if !anc.push(SendAncillaryMessage::ScmRights(&fds)) {
        return Err("--console-socket: control message too large".into());
    }
    sendmsg(
        sock,
        &[std::io::IoSlice::new(b"/dev/ptmx")],
        &mut anc,
        SendFlags::empty(),
    )
    .map_err(|e| format!("--console-socket: sending the terminal: {e}"))?;
    Ok(())
}

/// How a foreground `run` attaches the container's stdio.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Foreground {
    /// Through a pty of its own (`process.terminal`), relayed to ours.
    Pty,
    /// Through pipes, relayed to our stdio (our stdin is a terminal the container
    /// must not read from its own process group).
    Pipes,
}

/// What [`Relay`] copies: a pty's master, or our ends of the stdin, stdout and stderr
/// pipes.
pub enum Attach {
    Pty(OwnedFd),
    Pipes([OwnedFd; 3]),
}

/// Three pipes for a child's stdio: the child's ends (taken one by one) and ours.
pub struct Pipes {
    child: [Option<OwnedFd>; 3],
    pub ours: [OwnedFd; 3],
}

impl Pipes {
    pub fn new() -> Result<Pipes, String> {
        let err = |e: rustix::io::Errno| format!("pipe: {e}");
        let (in_r, in_w) = rustix::pipe::pipe().map_err(err)?;
        let (out_r, out_w) = rustix::pipe::pipe().map_err(err)?;
        let (err_r, err_w) = rustix::pipe::pipe().map_err(err)?;
        for fd in [&in_w, &out_r, &err_r] {
            rustix::io::fcntl_setfd(fd, rustix::io::FdFlags::CLOEXEC).map_err(err)?;
        }
        Ok(Pipes {
            child: [Some(in_r), Some(out_w), Some(err_w)],
            ours: [in_w, out_r, err_r],
        })
    }

    /// The child's end for its fd `n`.
    pub fn take_child(&mut self, n: usize) -> Result<OwnedFd, String> {
        self.child
            .get_mut(n)
            .and_then(Option::take)
            .ok_or_else(|| format!("stdio pipe {n} already given"))
    }
}

/// A foreground terminal (`husk run` or `husk exec -t` without a console socket, as
/// runc relays its own): what the caller types goes to the pty's master, what the
/// container writes comes back to the caller's stdout. If the caller's stdin is a
/// terminal it is put in raw mode until [`Relay::finish`] (the container's pty does
/// the line editing and echo) and the pty takes its size.
pub struct Relay {
    saved: Option<rustix::termios::Termios>,
    output: Option<std::thread::JoinHandle<()>>,
    /// The stderr copy (pipes only).
    errors: Option<std::thread::JoinHandle<()>>,
    /// Set by [`Relay::finish`]: the pty relay stops once the output pauses (pty only).
    exited: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

impl Relay {
    /// Starts relaying between our stdio and the container's.
    pub fn start(attach: Attach) -> Result<Relay, String> {
        match attach {
            Attach::Pty(master) => Relay::start_pty(master),
            Attach::Pipes([stdin, stdout, stderr]) => {
                let err = |e: std::io::Error| format!("stdio relay: {e}");
                spawn_copy(
                    "stdin",
                    std::io::stdin().as_fd().try_clone_to_owned().map_err(err)?,
                    stdin,
                )
                .map_err(err)?;
                let out = spawn_copy(
                    "stdout",
                    stdout,
                    std::io::stdout()
                        .as_fd()
                        .try_clone_to_owned()
                        .map_err(err)?,
                )
                .map_err(err)?;
                let errs = spawn_copy(
                    "stderr",
                    stderr,
                    std::io::stderr()
                        .as_fd()
                        .try_clone_to_owned()
                        .map_err(err)?,
                )
                .map_err(err)?;
                Ok(Relay {
                    saved: None,
                    output: Some(out),
                    errors: Some(errs),
                    exited: None,
                })
            }
        }
    }

    fn start_pty(master: OwnedFd) -> Result<Relay, String> {
        use rustix::termios::{tcgetattr, tcgetwinsize, tcsetattr, tcsetwinsize, OptionalActions};
        let stdin = std::io::stdin();
        let saved = match tcgetattr(&stdin) {
            Ok(t) => {
                if let Ok(ws) = tcgetwinsize(&stdin) {
                    let _ = tcsetwinsize(&master, ws);
                }
                let mut raw = t.clone();
                raw.make_raw();
                tcsetattr(&stdin, OptionalActions::Now, &raw)
                    .map_err(|e| format!("terminal: raw mode: {e}"))?;
                Some(t)
            }
            Err(_) => None,
        };
        let input = master.try_clone().map_err(|e| format!("terminal: {e}"))?;
        // Input: ends when our stdin does (or the pty goes); not waited for.
        let spawned = std::thread::Builder::new()
            .name("tty-in".into())
            .spawn(move || {
                let mut buf = [0u8; 4096];
                loop {
                    match rustix::io::read(std::io::stdin(), &mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => {
                            if write_all(&input, &buf[..n]).is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        if let Err(e) = spawned {
            restore(&saved);
            return Err(format!("terminal: {e}"));
        }
        // Output: ends when every slave is closed (EIO), or, once the process we ran
        // is gone ([`Relay::finish`]), when nothing more comes for a moment: a
        // background process of an `exec -t` may keep the slave open (runc too stops
        // relaying when its process exits).
        let exited = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = exited.clone();
        let output = std::thread::Builder::new()
            .name("tty-out".into())
            .spawn(move || {
                use rustix::event::{poll, PollFd, PollFlags, Timespec};
                let pause = Timespec {
                    tv_sec: 0,
                    tv_nsec: 50_000_000,
                };
                let mut buf = [0u8; 4096];
                loop {
                    let mut fds = [PollFd::new(&master, PollFlags::IN)];
                    match poll(&mut fds, Some(&pause)) {
                        Ok(0) => {
                            if done.load(std::sync::atomic::Ordering::Acquire) {
                                return;
                            }
                            continue;
                        }
                        Ok(_) | Err(rustix::io::Errno::INTR) => {}
                        Err(_) => return,
                    }
                    match rustix::io::read(&master, &mut buf) {
                        Ok(0) => return,
                        Ok(n) => {
                            if write_all(std::io::stdout(), &buf[..n]).is_err() {
                                return;
                            }
                        }
                        Err(rustix::io::Errno::INTR) => {}
                        Err(_) => return,
                    }
                }
            });
        match output {
            Ok(h) => Ok(Relay {
                saved,
                output: Some(h),
                errors: None,
                exited: Some(exited),
            }),
            Err(e) => {
                restore(&saved);
                Err(format!("terminal: {e}"))
            }
        }
    }

    /// Called once the process is gone: waits until its output is all written, then
    /// restores our terminal.
    pub fn finish(mut self) {
        if let Some(e) = &self.exited {
            e.store(true, std::sync::atomic::Ordering::Release);
        }
        for h in [self.output.take(), self.errors.take()]
            .into_iter()
            .flatten()
        {
            let _ = h.join();
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        restore(&self.saved);
    }
}

fn restore(saved: &Option<rustix::termios::Termios>) {
    if let Some(t) = saved {
        let _ =
            rustix::termios::tcsetattr(std::io::stdin(), rustix::termios::OptionalActions::Now, t);
    }
}

fn write_all(fd: impl AsFd, mut data: &[u8]) -> rustix::io::Result<()> {
    while !data.is_empty() {
        match rustix::io::write(&fd, data) {
            Ok(0) => return Err(rustix::io::Errno::IO),
            Ok(n) => data = &data[n..],
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Copies `from` to `to` on a thread until `from` ends (or `to` fails); both are closed
/// then (closing a pipe's write end gives its reader EOF).
fn spawn_copy(
    name: &str,
    from: OwnedFd,
    to: OwnedFd,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(format!("copy-{name}"))
        .spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match rustix::io::read(&from, &mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if write_all(&to, &buf[..n]).is_err() {
                            return;
                        }
                    }
                    Err(rustix::io::Errno::INTR) => {}
                    Err(_) => return,
                }
            }
        })
}

/// Signals the host's terminal generates for a pty (^C, ^\, ^Z, a resize, a hangup).
pub const TERMINAL_SIGNALS: [nix::sys::signal::Signal; 5] = [
    nix::sys::signal::Signal::SIGINT,
    nix::sys::signal::Signal::SIGQUIT,
    nix::sys::signal::Signal::SIGTSTP,
    nix::sys::signal::Signal::SIGWINCH,
    nix::sys::signal::Signal::SIGHUP,
];

/// What the host's line discipline generates for a pty goes to the processes that
/// have it as controlling terminal; for a pty the sandbox holds (an `exec -t`, a pod
/// container's terminal) that is a small helper forked here: a session of its own
/// with `tty` as its controlling terminal, which passes each such signal to the
/// sandbox as `tty-signal PID SIG` on `control` (for the foreground group of the
/// terminal of process PID, the container's first process if 0). It ends with us
/// (PR_SET_PDEATHSIG) or after a hangup. Call while single-threaded.
pub fn signal_helper(control: &super::state::ControlSocket, pid: i32, tty: &OwnedFd) {
    let single = std::fs::read_dir("/proc/self/task").is_ok_and(|d| d.count() == 1);
    if !single {
        tracing::debug!("terminal signal helper: not single-threaded");
        return;
    }
    let parent = rustix::process::getpid();
    // SAFETY: the process is single-threaded (checked above), so the child may run
    // arbitrary code after fork.
    match unsafe { nix::unistd::fork() } {
        Ok(nix::unistd::ForkResult::Child) => {
            run_signal_helper(control, pid, tty, parent);
            std::process::exit(0)
        }
        Ok(nix::unistd::ForkResult::Parent { .. }) => {}
        Err(e) => tracing::debug!("terminal signal helper: fork: {e}"),
    }
}

fn run_signal_helper(
    control: &super::state::ControlSocket,
    pid: i32,
    tty: &OwnedFd,
    parent: rustix::process::Pid,
) {
    use std::io::{BufRead, Write};
    use std::os::fd::AsRawFd;
    let death = rustix::process::Signal::KILL;
    if rustix::process::set_parent_process_death_signal(Some(death)).is_err()
        || rustix::process::getppid() != Some(parent)
    {
        return;
    }
    crate::hostfd::null_stdio();
    // Only the pty and (for a long path) the state directory stay open.
    let mut keep = vec![tty.as_raw_fd()];
    keep.extend(control.dir_fd().map(|d| d.as_raw_fd()));
    let Some(kept) = crate::hostfd::close_inherited_except(&keep) else {
        return;
    };
    let control = match kept.get(1) {
        Some(dir) => std::path::PathBuf::from(format!(
            "/proc/self/fd/{dir}/{}",
            super::state::CONTROL_SOCKET
        )),
        None => control.path.clone(),
    };
    let tty = kept[0];
    let mut set = nix::sys::signal::SigSet::empty();
    for s in TERMINAL_SIGNALS {
        set.add(s);
    }
    if set.thread_block().is_err()
        || rustix::process::setsid().is_err()
        || !crate::hostfd::make_controlling_terminal(tty)
    {
        return;
    }
    loop {
        let Ok(sig) = set.wait() else { return };
        if let Ok(conn) = UnixStream::connect(&control) {
            let _ = conn.set_read_timeout(Some(std::time::Duration::from_secs(5)));
            let _ = (&conn).write_all(format!("tty-signal {pid} {}\n", sig as i32).as_bytes());
            let mut answer = String::new();
            let _ = std::io::BufReader::new(&conn).read_line(&mut answer);
        }
        if sig == nix::sys::signal::Signal::SIGHUP {
            return;
        }
    }
}
