//! Command-line arguments (clap structs only; logic lives in the command modules).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "husk",
    version,
    about = "husk: a secure container runtime with an application kernel"
)]
pub struct Cli {
    /// Log at debug level (also: HUSK_LOG=filter).
    #[arg(long, global = true)]
    pub debug: bool,
    /// Directory for the state of containers (runc's --root).
    #[arg(long, global = true, value_name = "DIR", default_value = "/run/husk")]
    pub root: PathBuf,
    /// Write logs to FILE instead of stderr.
    #[arg(long, global = true, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Log format.
    #[arg(long = "log-format", global = true, value_name = "FORMAT", default_value = "text",
          value_parser = ["text", "json"])]
    pub log_format: String,
    /// Accepted for compatibility with runc: cgroups are managed through cgroupfs, a
    /// systemd "slice:prefix:name" cgroupsPath becomes /husk/NAME.
    #[arg(long = "systemd-cgroup", global = true)]
    pub systemd_cgroup: bool,
    /// Containers: platform that runs application code (before the command, as runsc's).
    #[arg(long, value_name = "PLATFORM", default_value = "ptrace", value_parser = ["ptrace"])]
    pub platform: String,
    /// Containers: "memory" keeps the rootfs read-only under an in-memory layer; "none"
    /// writes through to the bundle's rootfs (runsc's --overlay2).
    #[arg(long, value_name = "MODE", default_value = "memory", value_parser = ["memory", "none"])]
    pub overlay: String,
    /// Containers: the network ("none": husk has no network stack yet).
    #[arg(long, value_name = "NETWORK", default_value = "none")]
    pub network: String,
    /// Containers: log each system call of the application.
    #[arg(long)]
    pub strace: bool,
    /// Containers: write the sandbox process's debug log to DIR/ID.boot.log.
    #[arg(long = "debug-log", value_name = "DIR")]
    pub debug_log: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a command in a new sandbox, like `runsc do`.
    Do(DoArgs),
    /// Serve a root file system to a sandbox (started by husk itself).
    #[command(hide = true)]
    Gofer(GoferArgs),
    /// Print the system call support table.
    Syscalls,
    /// Write a default config.json (OCI runtime spec) into the bundle directory.
    Spec(SpecArgs),
    /// Create a container (its first process waits for `start`).
    Create(CreateArgs),
    /// Start the first process of a created container.
    Start(IdArgs),
    /// Print the state of a container (OCI state JSON).
    State(IdArgs),
    /// Send a signal to a container's first process.
    Kill(KillArgs),
    /// Delete a stopped container (running too with --force).
    Delete(DeleteArgs),
    /// Create and start a container; in the foreground, wait and exit with its status.
    Run(RunArgs),
    /// Run another process in a running container; wait and exit with its status.
    Exec(ExecArgs),
    /// List the processes of a container (pids as the sandbox sees them).
    Ps(PsArgs),
    /// Pause every process of a running container.
    Pause(IdArgs),
    /// Resume a paused container.
    Resume(IdArgs),
    /// List the containers under --root.
    List(ListArgs),
    /// Print the features this runtime supports (JSON).
    Features,
    /// Print resource statistics of a container (runc's JSON lines), once with --stats.
    Events(EventsArgs),
    /// Wait until a container stops; print its exit status (JSON, as runsc).
    Wait(IdArgs),
    /// The sandbox process of a container (started by `husk create`).
    #[command(hide = true)]
    Boot(BootArgs),
    /// The stand-in process of a container that joins a sandbox (started by `husk create`).
    #[command(hide = true)]
    Join(BootArgs),
}

#[derive(Args, Debug)]
pub struct SpecArgs {
    /// Directory to write config.json into.
    #[arg(long, short = 'b', value_name = "DIR", default_value = ".")]
    pub bundle: PathBuf,
    /// A configuration for a rootless container.
    #[arg(long)]
    pub rootless: bool,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The bundle directory (holds config.json).
    #[arg(long, short = 'b', value_name = "DIR", default_value = ".")]
    pub bundle: PathBuf,
    /// Write the sandbox process's pid to this file.
    #[arg(long = "pid-file", value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Unix socket to send the pseudo-terminal's master to (not supported yet).
    #[arg(long = "console-socket", value_name = "PATH")]
    pub console_socket: Option<PathBuf>,
    /// Accepted for compatibility with runc.
    #[arg(long = "no-pivot")]
    pub no_pivot: bool,
    /// Accepted for compatibility with runc.
    #[arg(long = "no-new-keyring")]
    pub no_new_keyring: bool,
    /// Container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub create: CreateArgs,
    /// Detach: return once the container has started.
    #[arg(long, short = 'd')]
    pub detach: bool,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// JSON file with an OCI `process` object (args, env, cwd, user) to run.
    #[arg(long, short = 'p', value_name = "FILE")]
    pub process: Option<PathBuf>,
    /// Set an environment variable (K=V); repeatable.
    #[arg(long = "env", short = 'e', value_name = "K=V")]
    pub env: Vec<String>,
    /// Working directory inside the container.
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// User (and group) to run as: UID[:GID].
    #[arg(long, short = 'u', value_name = "UID[:GID]")]
    pub user: Option<String>,
    /// Detach: return once the process has started.
    #[arg(long, short = 'd')]
    pub detach: bool,
    /// Write the process's pid (in the sandbox) to this file.
    #[arg(long = "pid-file", value_name = "FILE")]
    pub pid_file: Option<PathBuf>,
    /// Give the process a terminal (a host pty whose master goes to --console-socket).
    #[arg(long, short = 't')]
    pub tty: bool,
    /// Unix socket to send the terminal's master to (with --tty), as runc.
    #[arg(long = "console-socket", value_name = "PATH")]
    pub console_socket: Option<PathBuf>,
    /// Container id.
    pub id: String,
    /// The command and its arguments (not with --process).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub cmd: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Output format: a table, or a JSON array of pids.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Container id.
    pub id: String,
    /// Options for ps(1) (runc passes them on; not supported).
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "PS_ARGS"
    )]
    pub ps_args: Vec<String>,
}

#[derive(Args, Debug)]
pub struct IdArgs {
    /// Container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct EventsArgs {
    /// Print the statistics once and exit.
    #[arg(long)]
    pub stats: bool,
    /// How often to print statistics (a duration: 5s, 500ms).
    #[arg(long, default_value = "5s")]
    pub interval: String,
    /// Container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct KillArgs {
    /// Container id.
    pub id: String,
    /// Signal name (TERM, SIGTERM) or number (default: SIGTERM).
    #[arg(default_value = "SIGTERM")]
    pub signal: String,
    /// Send the signal to every process of the container, not only its first.
    #[arg(long, short = 'a')]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Kill the container first if it is still running.
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// Print only the container ids.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct BootArgs {
    /// The bundle directory (absolute).
    #[arg(long)]
    pub bundle: PathBuf,
    /// The container's state directory.
    #[arg(long)]
    pub state: PathBuf,
    /// Pipe fd to report readiness (or an error) to `husk create`.
    #[arg(long = "sync-fd")]
    pub sync_fd: i32,
    /// How the rootfs is presented ("memory" or "none").
    #[arg(long, default_value = "memory", value_parser = ["memory", "none"])]
    pub overlay: String,
    /// Log each system call of the application.
    #[arg(long)]
    pub strace: bool,
    /// `join`: the state directory of the sandbox's container.
    #[arg(long = "sandbox-state")]
    pub sandbox_state: Option<PathBuf>,
    /// Container id.
    pub id: String,
}

#[derive(Args, Debug)]
pub struct DoArgs {
    /// Root file system (default: the host's /, read-only under an in-memory layer).
    #[arg(long, value_name = "DIR")]
    pub rootfs: Option<PathBuf>,
    /// How the rootfs is presented: "memory" (default) keeps the host tree read-only
    /// under an in-memory layer; "none" writes through to the host tree (via the gofer).
    #[arg(long, value_name = "MODE", default_value = "memory", value_parser = ["memory", "none"])]
    pub overlay: String,
    /// Platform that runs application code.
    #[arg(long, default_value = "ptrace", value_parser = ["ptrace"])]
    pub platform: String,
    /// Print each system call of the application with its arguments and result.
    #[arg(long)]
    pub strace: bool,
    /// Set an environment variable (K=V); repeatable.
    #[arg(long = "env", value_name = "K=V")]
    pub env: Vec<String>,
    /// Working directory inside the sandbox (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub cwd: Option<String>,
    /// Host name inside the sandbox.
    #[arg(long, default_value = "husk")]
    pub hostname: String,
    /// The command and its arguments.
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "CMD"
    )]
    pub cmd: Vec<std::ffi::OsString>,
}

#[derive(Args, Debug)]
pub struct GoferArgs {
    /// Root directory to serve.
    #[arg(long)]
    pub root: PathBuf,
    /// The connected socket (inherited fd).
    #[arg(long)]
    pub fd: i32,
}
