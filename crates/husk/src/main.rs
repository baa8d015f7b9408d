//! `husk`: a secure container runtime. `husk do CMD` sandboxes a command at once; `husk
//! gofer` is the file server a sandbox starts; `husk syscalls` prints the support table.

mod cli;
mod confine;
mod do_cmd;
mod gofer_cmd;
mod hostfd;
mod log;
mod oci;
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
    if matches!(cli.command, cli::Command::Exec(_)) {
        oci::close_inherited();
    }
    let filter = tracing_subscriber::EnvFilter::try_from_env("HUSK_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if cli.debug { "debug" } else { "warn" })
    });
    // --log FILE (runc's flag): logs go there instead of stderr, in runc's (logrus's)
    // line format; containerd's shim reads the last "error" line of its log.json.
    let log_file = cli.log.as_ref().and_then(|p| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .ok()
    });
    let json = cli.log_format == "json";
    let fmt = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    oci::LOG_TO_FILE.store(log_file.is_some(), std::sync::atomic::Ordering::Relaxed);
    match log_file {
        Some(f) => fmt
            .with_writer(std::sync::Mutex::new(f))
            .with_ansi(false)
            .event_format(log::Logrus { json })
            .init(),
        None if json => fmt
            .with_writer(std::io::stderr)
            .with_ansi(false)
            .event_format(log::Logrus { json })
            .init(),
        // Colours only on a terminal (not in a pipe or a test's captured stderr).
        None => fmt
            .with_writer(std::io::stderr)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .without_time()
            .init(),
    }
    if cli.network != "none" {
        eprintln!(
            "husk: --network {}: not supported (husk has no network stack yet; use --network none)",
            cli.network
        );
        std::process::exit(2);
    }
    let g = oci::Global {
        root: cli.root.clone(),
        log: cli.log.clone(),
        log_format: cli.log_format.clone(),
        debug: cli.debug,
        overlay: cli.overlay.clone(),
        strace: cli.strace,
        debug_log: cli.debug_log.clone(),
    };
    let code = match cli.command {
        cli::Command::Do(args) => do_cmd::run(args, cli.debug),
        cli::Command::Gofer(args) => gofer_cmd::run(args),
        cli::Command::Spec(a) => oci::report(oci::spec(a)),
        cli::Command::Create(a) => oci::report(oci::create(&g, a)),
        cli::Command::Start(a) => oci::report(oci::start(&g, a)),
        cli::Command::State(a) => oci::report(oci::state_cmd(&g, a)),
        cli::Command::Kill(a) => oci::report(oci::kill(&g, a)),
        cli::Command::Delete(a) => oci::report(oci::delete(&g, a)),
        cli::Command::Run(a) => oci::report(oci::run(&g, a)),
        cli::Command::Exec(a) => oci::report(oci::exec::exec(&g, a)),
        cli::Command::Ps(a) => oci::report(oci::ps(&g, a)),
        cli::Command::Pause(a) => oci::report(oci::pause(&g, a, true)),
        cli::Command::Resume(a) => oci::report(oci::pause(&g, a, false)),
        cli::Command::List(a) => oci::report(oci::list(&g, a)),
        cli::Command::Features => oci::report(oci::features()),
        cli::Command::Events(a) => oci::report(
            oci::events::parse_interval(&a.interval)
                .and_then(|d| oci::events::events(&g, &a.id, a.stats, d)),
        ),
        cli::Command::Wait(a) => oci::report(oci::events::wait(&g, &a.id)),
        cli::Command::Boot(a) => oci::boot::run(a),
        cli::Command::Join(a) => oci::pod::run_join(a),
        cli::Command::Syscalls => {
            print!("{}", husk_sentry::syscalls::support_table());
            0
        }
    };
    std::process::exit(code);
}
