//! `husk gofer`: serves the rootfs to one sandbox.
//!
//! Before it serves anything the gofer confines itself: it enters a mount namespace of
//! its own (and a user namespace first when it lacks CAP_SYS_ADMIN), stops mount events
//! from propagating back to the host, and pivots into the rootfs, so that the host tree
//! outside the rootfs is no longer reachable from the gofer at all, whatever path a
//! request names. It also sets no_new_privs and, once the root is open, installs its
//! seccomp policy (crates/husk/policy/gofer.policy).

use crate::cli::GoferArgs;
use nix::mount::{mount, umount2, MntFlags, MsFlags};
use nix::sched::{unshare, CloneFlags};
use rustix::fs::{Mode, OFlags};
use std::path::Path;

pub fn run(args: GoferArgs) -> i32 {
    // Leave the caller's session so terminal signals (Ctrl-C) reach only the Sentry,
    // and die with the Sentry.
    let _ = rustix::process::setsid();
    // "husk-gofer" in ps and in seccomp violation logs.
    let _ = rustix::thread::set_name(c"husk-gofer");
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL));
    let Some(sock) = crate::hostfd::take_inherited(args.fd) else {
        eprintln!("husk gofer: fd {} is not an open socket", args.fd);
        return 2;
    };
    if let Err(e) = confine(&args.root) {
        eprintln!("husk gofer: cannot confine to {}: {e}", args.root.display());
        return 2;
    }
    let root = match rustix::fs::open(
        "/",
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("husk gofer: {}: {e}", args.root.display());
            return 2;
        }
    };
    if std::env::var_os("HUSK_DEBUG_NO_SECCOMP").is_none() {
        if let Err(e) = crate::seccomp::install_gofer() {
            eprintln!("husk gofer: {e}");
            return 2;
        }
    }
    match husk_gofer::serve(root, sock) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("husk gofer: {e}");
            1
        }
    }
}

/// Makes `root` the gofer's `/` in a private mount namespace.
fn confine(root: &Path) -> Result<(), String> {
    let root = std::fs::canonicalize(root).map_err(|e| format!("{e}"))?;
    if !root.is_dir() {
        return Err("not a directory".into());
    }
    enter_mount_namespace()?;
    // Mounts made from here on stay in this namespace.
    mount(
        None::<&str>,
        "/",
        None::<&str>,
        MsFlags::MS_REC | MsFlags::MS_SLAVE,
        None::<&str>,
    )
    .map_err(|e| format!("making / a slave mount: {e}"))?;
    // pivot_root needs the new root to be a mount point other than the current root:
    // bind the rootfs, with the mounts below it (it may span several file systems), onto
    // /proc, which every host has and which this namespace no longer needs (runsc's gofer
    // does the same). This also works when the rootfs is the host's `/`.
    let staging = Path::new("/proc");
    mount(
        Some(&root),
        staging,
        None::<&str>,
        MsFlags::MS_BIND | MsFlags::MS_REC,
        None::<&str>,
    )
    .map_err(|e| format!("bind mount: {e}"))?;
    std::env::set_current_dir(staging).map_err(|e| format!("chdir: {e}"))?;
    // pivot_root(".", ".") stacks the old root on top of the new one; detaching it
    // leaves the rootfs as the only tree this process can reach.
    nix::unistd::pivot_root(".", ".").map_err(|e| format!("pivot_root: {e}"))?;
    umount2(".", MntFlags::MNT_DETACH).map_err(|e| format!("detaching the old root: {e}"))?;
    std::env::set_current_dir("/").map_err(|e| format!("chdir /: {e}"))?;
    rustix::thread::set_no_new_privs(true).map_err(|e| format!("no_new_privs: {e}"))?;
    Ok(())
}

/// Unshares the mount namespace; without the privilege for that, a user namespace
/// that maps the caller's own ids comes first.
fn enter_mount_namespace() -> Result<(), String> {
    match unshare(CloneFlags::CLONE_NEWNS) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EPERM) => {
            let uid = rustix::process::getuid().as_raw();
            let gid = rustix::process::getgid().as_raw();
            unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNS)
                .map_err(|e| format!("unshare: {e}"))?;
            let write = |file: &str, text: String| {
                std::fs::write(file, text).map_err(|e| format!("{file}: {e}"))
            };
            write("/proc/self/setgroups", "deny".into())?;
            write("/proc/self/uid_map", format!("{uid} {uid} 1"))?;
            write("/proc/self/gid_map", format!("{gid} {gid} 1"))?;
            Ok(())
        }
        Err(e) => Err(format!("unshare: {e}")),
    }
}
