//! Taking ownership of a file descriptor inherited from the parent process.
#![allow(unsafe_code)]

use rustix::fd::{FromRawFd, OwnedFd};

/// Takes ownership of inherited fd `fd` after checking it is open.
pub fn take_inherited(fd: i32) -> Option<OwnedFd> {
    if fd < 3
        || rustix::io::fcntl_getfd(
            // SAFETY: borrowing the raw fd only for the duration of this check.
            unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) },
        )
        .is_err()
    {
        return None;
    }
    // SAFETY: the parent passed us this fd number on our command line; nothing else in
    // this process owns it (it was inherited across exec and is not stdio).
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Fixes glibc malloc's arena limit now, so that it never reads
/// /sys/devices/system/cpu/online later (the Sentry's seccomp filter forbids opens).
pub fn fix_malloc_arenas() {
    let n = rustix::thread::sched_getaffinity(None)
        .map(|s| s.count())
        .unwrap_or(1)
        .clamp(1, 64)
        * 8;
    // SAFETY: mallopt only sets a malloc tunable; M_ARENA_MAX takes an int.
    unsafe { libc::mallopt(libc::M_ARENA_MAX, n as libc::c_int) };
}

/// glibc reads /proc/sys/vm/overcommit_memory (once, then caches it) the first time the
/// heap of a thread arena shrinks (`check_may_shrink_heap`). Make that happen now, before
/// the Sentry's seccomp filter forbids opens: a fresh thread gets its own arena, fills it
/// past the trim threshold and frees it all, which shrinks the arena's heap.
pub fn prime_malloc_heap_shrink() {
    let _ = std::thread::Builder::new()
        .name("malloc-prime".into())
        .spawn(|| {
            let bufs: Vec<Vec<u8>> = (0..8).map(|i| vec![i as u8 + 1; 96 * 1024]).collect();
            std::hint::black_box(&bufs);
            drop(bufs);
        })
        .map(|h| h.join());
}

/// Points fds 0, 1 and 2 at /dev/null (a process that stands in for one in the
/// sandbox, which has its own copies of the caller's stdio: their readers then see EOF
/// when that process closes them, not when we exit).
pub fn null_stdio() {
    if let Ok(null) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
    {
        for fd in 0..3 {
            // SAFETY: fds 0-2 are ours; dup2 replaces them atomically, and nothing in
            // this process holds them as owned descriptors.
            let _ = unsafe { libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), fd) };
        }
    }
}

/// In a forked helper that never returns (it ends with `std::process::exit`): keeps
/// fds 0-2 and those in `keep`, moved to 3, 4, ... in order, and closes every other fd
/// it inherited, so that it holds nothing of its parent's open (sockets, pipes, a pty's
/// master). Returns the new numbers.
pub fn close_inherited_except(keep: &[i32]) -> Option<Vec<i32>> {
    let first = 3 + keep.len() as i32;
    let mut moved = Vec::new();
    for &fd in keep {
        // SAFETY: F_DUPFD on an fd of ours gives a new fd at or above `first`, above
        // the numbers the kept fds move to.
        let d = unsafe { libc::fcntl(fd, libc::F_DUPFD, first) };
        if d < 0 {
            return None;
        }
        moved.push(d);
    }
    let mut kept = Vec::new();
    for (i, &d) in moved.iter().enumerate() {
        let want = 3 + i as i32;
        // SAFETY: dup2 onto fd `want` (replacing whatever it was): the helper never
        // returns, so no owner of the old fd closes it later.
        if unsafe { libc::dup2(d, want) } < 0 {
            return None;
        }
        kept.push(want);
    }
    // SAFETY: close_range on the fds above the kept ones, for the same reason: their
    // owners in this forked copy are never dropped.
    unsafe { libc::syscall(libc::SYS_close_range, first as u32, u32::MAX, 0u32) };
    Some(kept)
}

/// TIOCSCTTY on fd `fd` (a number [`close_inherited_except`] returned).
pub fn make_controlling_terminal(fd: i32) -> bool {
    // SAFETY: borrowing the raw fd only for the ioctl; it stays open.
    let tty = unsafe { rustix::fd::BorrowedFd::borrow_raw(fd) };
    rustix::process::ioctl_tiocsctty(tty).is_ok()
}
