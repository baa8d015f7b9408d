//! The Linux x86-64 ABI as husk's Sentry sees it: errno values, syscall numbers and the
//! `#[repr(C)]` structures exchanged with applications, with zerocopy byte views.

#![forbid(unsafe_code)]

pub mod errno;
pub mod structs;

pub use errno::{Errno, SysResult};
pub use linux_raw_sys::general as consts;
pub use structs::*;

/// Page size of the x86-64 ABI.
pub const PAGE_SIZE: u64 = 4096;

/// Rounds `x` down to a page boundary.
pub const fn page_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}

/// Rounds `x` up to a page boundary (saturating at the last page).
pub const fn page_up(x: u64) -> u64 {
    match x.checked_add(PAGE_SIZE - 1) {
        Some(v) => v & !(PAGE_SIZE - 1),
        None => !(PAGE_SIZE - 1),
    }
}
