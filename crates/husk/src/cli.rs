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
