//! Platforms: how application code runs, and how its system calls, faults and signals
//! come back to the Sentry. One trait, several implementations; nothing above this crate
//! knows which one runs (DESIGN.md section 3).

use std::any::Any;
use std::sync::Arc;

pub use husk_abi::{FpRegs, PtRegs as ArchRegs, SigInfo};

pub mod fake;
pub mod ptrace;

/// Errors of a platform operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("host system call {call} failed: {err}")]
    Host {
        call: &'static str,
        err: std::io::Error,
    },
    #[error("stub process {0} exited unexpectedly")]
    StubDied(i32),
    #[error("no thread of this address space is driven by the current host thread")]
    NotBound,
    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, Error>;

/// Access rights of a mapping or a fault.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Access {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Access {
    pub const NONE: Access = Access {
        read: false,
        write: false,
        exec: false,
    };
    pub const READ: Access = Access {
        read: true,
        write: false,
        exec: false,
    };
    pub const RW: Access = Access {
        read: true,
        write: true,
        exec: false,
    };

    /// From `PROT_*` bits.
    pub fn from_prot(prot: u64) -> Access {
        Access {
            read: prot & 1 != 0,
            write: prot & 2 != 0,
            exec: prot & 4 != 0,
        }
    }

    /// As `PROT_*` bits.
    pub fn prot(self) -> u64 {
        (self.read as u64) | ((self.write as u64) << 1) | ((self.exec as u64) << 2)
    }

    /// Whether every right of `other` is in `self`.
    pub fn contains(self, other: Access) -> bool {
        (self.read || !other.read) && (self.write || !other.write) && (self.exec || !other.exec)
    }
}

/// A range of the Sentry's memory file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileRange {
    pub offset: u64,
    pub len: u64,
}

/// Why `Context::switch` returned.
#[derive(Debug)]
pub enum Exit {
    /// The application made a system call; its number is in `orig_rax`.
    Syscall,
    /// The application touched memory that is not mapped (or not with the needed rights).
    Fault { addr: u64, info: SigInfo },
    /// A synchronous signal other than a memory fault (SIGFPE, SIGILL, SIGTRAP, SIGBUS).
    Signal(SigInfo),
    /// `Interrupter::interrupt` was called, or the host interrupted the stub.
    Interrupted,
}

/// A platform: makes address spaces and contexts.
pub trait Platform: Send + Sync {
    /// The platform's name as `--platform` spells it.
    fn name(&self) -> &'static str;
    /// The first address above the application's usable range.
    fn max_user_address(&self) -> u64;
    /// A new, empty address space.
    fn new_address_space(&self) -> Result<Arc<dyn AddressSpace>>;
    /// A new context; it runs application code on the host thread that calls `switch`.
    fn new_context(&self) -> Result<Box<dyn Context>>;
    /// Ends every host process the platform keeps for itself (the sandbox is over).
    fn shutdown(&self) {}
}

/// An application address space. Mappings are a cache of the Sentry's own page tables:
/// the Sentry may map lazily on faults, and `map_file` may decline (`Err`) when it cannot
/// act from the calling host thread; the Sentry then keeps the page unmapped.
pub trait AddressSpace: Send + Sync + Any {
    /// Maps `[file.offset, file.offset + file.len)` of the memory file at `addr`.
    fn map_file(&self, addr: u64, file: FileRange, access: Access) -> Result<()>;
    /// Removes mappings in `[addr, addr + len)`. Never fails: if it cannot act now it is
    /// applied before any thread of the address space runs again.
    fn unmap(&self, addr: u64, len: u64);
    /// For downcasting by the platform that made it.
    fn as_any(&self) -> &dyn Any;
}

/// Interrupts a context from another host thread.
pub trait Interrupter: Send + Sync {
    /// Makes a running (or about to run) `switch` return `Exit::Interrupted` soon.
    fn interrupt(&self);
}

/// The execution context of one application thread.
pub trait Context: Send {
    /// Runs application code in `aspace` with `regs` until it makes a syscall, faults,
    /// gets a synchronous signal or is interrupted. `regs` is updated.
    fn switch(&mut self, aspace: &Arc<dyn AddressSpace>, regs: &mut ArchRegs) -> Result<Exit>;
    /// A handle that interrupts this context from any host thread.
    fn interrupter(&self) -> Arc<dyn Interrupter>;
    /// The floating-point state of the application thread.
    fn fpregs(&mut self) -> Result<FpRegs>;
    /// Replaces the floating-point state (applied before the next run).
    fn set_fpregs(&mut self, fp: &FpRegs) -> Result<()>;
}

/// Builds the platform named `name`. `memfd` is the Sentry's memory file.
pub fn new_platform(name: &str, memfd: i32) -> Result<Arc<dyn Platform>> {
    match name {
        "ptrace" => Ok(Arc::new(ptrace::PtracePlatform::new(memfd)?)),
        "fake" => Ok(Arc::new(fake::FakePlatform)),
        other => Err(Error::Other(format!(
            "unknown platform {other:?} (supported: ptrace)"
        ))),
    }
}
