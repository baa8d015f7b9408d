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
