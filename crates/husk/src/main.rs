//! `husk`: a secure container runtime. `husk do CMD` sandboxes a command at once; `husk
//! gofer` is the file server a sandbox starts; `husk syscalls` prints the support table.

mod cli;
mod do_cmd;
mod gofer_cmd;
mod hostfd;
mod seccomp;

use clap::Parser;

fn main() {
    hostfd::fix_malloc_arenas();
    hostfd::prime_malloc_heap_shrink();
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                std::process::exit(0);
            }
            let msg = e.to_string();
            let first = msg
                .lines()
                .next()
                .unwrap_or("invalid arguments")
                .trim_start_matches("error: ");
            eprintln!("husk: {first}");
            std::process::exit(2);
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("HUSK_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if cli.debug { "debug" } else { "warn" })
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .with_target(false)
        .init();
    let code = match cli.command {
        cli::Command::Do(args) => do_cmd::run(args, cli.debug),
        cli::Command::Gofer(args) => gofer_cmd::run(args),
        cli::Command::Syscalls => {
            print!("{}", husk_sentry::syscalls::support_table());
            0
        }
    };
    std::process::exit(code);
}
