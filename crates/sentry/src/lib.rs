//! The Sentry: husk's application kernel. It implements the Linux system-call ABI for
//! applications that run on a platform (DESIGN.md section 2). Nothing an application
//! asks is passed through to the host kernel.

#![deny(unsafe_code)]

pub mod fsimpl;
pub mod host;
pub mod kernel;
pub mod loader;
pub mod memfile;
pub mod mm;
pub mod sandbox;
pub mod socket;
pub mod syscalls;
pub mod vfs;
pub mod waiter;

pub use sandbox::{Program, RootfsMode, Sandbox, SandboxError};
