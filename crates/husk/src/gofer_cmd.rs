//! `husk gofer`: serves the rootfs to one sandbox.

use crate::cli::GoferArgs;
use rustix::fs::{Mode, OFlags};

pub fn run(args: GoferArgs) -> i32 {
    // Leave the caller's session so terminal signals (Ctrl-C) reach only the Sentry,
    // and die with the Sentry.
    let _ = rustix::process::setsid();
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let Some(sock) = crate::hostfd::take_inherited(args.fd) else {
        eprintln!("husk gofer: fd {} is not an open socket", args.fd);
        return 2;
    };
    let root = match rustix::fs::open(
        &args.root,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("husk gofer: {}: {e}", args.root.display());
            return 2;
        }
    };
    match husk_gofer::serve(root, sock) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("husk gofer: {e}");
            1
        }
    }
}
