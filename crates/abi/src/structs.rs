//! `#[repr(C)]` structures of the x86-64 Linux ABI with byte views.

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Derives the byte-view traits every ABI structure has.
macro_rules! abi_struct {
    ($(#[$m:meta])* pub struct $name:ident { $($(#[$fm:meta])* pub $f:ident : $t:ty),* $(,)? }) => {
        $(#[$m])*
        #[repr(C)]
        #[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, Immutable, KnownLayout)]
        pub struct $name { $($(#[$fm])* pub $f: $t),* }
    };
}

abi_struct!(
    /// The register file as `PTRACE_GETREGS` presents it (`struct user_regs_struct`).
    pub struct PtRegs {
        pub r15: u64,
        pub r14: u64,
        pub r13: u64,
        pub r12: u64,
        pub rbp: u64,
        pub rbx: u64,
        pub r11: u64,
        pub r10: u64,
        pub r9: u64,
        pub r8: u64,
        pub rax: u64,
        pub rcx: u64,
        pub rdx: u64,
        pub rsi: u64,
        pub rdi: u64,
        pub orig_rax: u64,
        pub rip: u64,
        pub cs: u64,
        pub eflags: u64,
        pub rsp: u64,
        pub ss: u64,
        pub fs_base: u64,
        pub gs_base: u64,
        pub ds: u64,
        pub es: u64,
        pub fs: u64,
        pub gs: u64,
    }
);

/// The legacy FXSAVE area (`struct user_fpregs_struct`), 512 bytes.
#[repr(C, align(16))]
#[derive(Clone, Copy, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct FpRegs(pub [u8; 512]);

impl Default for FpRegs {
    /// The state after `fninit` with the default MXCSR (0x1f80) and x87 control word 0x37f.
    fn default() -> Self {
        let mut b = [0u8; 512];
        b[0..2].copy_from_slice(&0x037fu16.to_le_bytes());
        b[24..28].copy_from_slice(&0x1f80u32.to_le_bytes());
        b[28..32].copy_from_slice(&0xffffu32.to_le_bytes());
        FpRegs(b)
    }
}

impl std::fmt::Debug for FpRegs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FpRegs")
    }
}

abi_struct!(
    /// `struct stat` (x86-64).
    pub struct Stat {
        pub st_dev: u64,
        pub st_ino: u64,
        pub st_nlink: u64,
        pub st_mode: u32,
        pub st_uid: u32,
        pub st_gid: u32,
        pub pad0: u32,
        pub st_rdev: u64,
        pub st_size: i64,
        pub st_blksize: i64,
        pub st_blocks: i64,
        pub st_atime: i64,
        pub st_atime_nsec: i64,
        pub st_mtime: i64,
        pub st_mtime_nsec: i64,
        pub st_ctime: i64,
        pub st_ctime_nsec: i64,
        pub unused: [i64; 3],
    }
);

abi_struct!(
    /// `struct statx_timestamp`.
    pub struct StatxTimestamp {
        pub tv_sec: i64,
        pub tv_nsec: u32,
        pub reserved: i32,
    }
);

abi_struct!(
    /// `struct statx`.
    pub struct Statx {
        pub stx_mask: u32,
        pub stx_blksize: u32,
        pub stx_attributes: u64,
        pub stx_nlink: u32,
        pub stx_uid: u32,
        pub stx_gid: u32,
        pub stx_mode: u16,
        pub spare0: u16,
        pub stx_ino: u64,
        pub stx_size: u64,
        pub stx_blocks: u64,
        pub stx_attributes_mask: u64,
        pub stx_atime: StatxTimestamp,
        pub stx_btime: StatxTimestamp,
        pub stx_ctime: StatxTimestamp,
        pub stx_mtime: StatxTimestamp,
        pub stx_rdev_major: u32,
        pub stx_rdev_minor: u32,
        pub stx_dev_major: u32,
        pub stx_dev_minor: u32,
        pub stx_mnt_id: u64,
        pub stx_dio_mem_align: u32,
        pub stx_dio_offset_align: u32,
        pub spare3: [u64; 12],
    }
);

abi_struct!(
    /// `struct timespec`.
    pub struct Timespec {
        pub tv_sec: i64,
        pub tv_nsec: i64,
    }
);

abi_struct!(
    /// `struct timeval`.
    pub struct Timeval {
        pub tv_sec: i64,
        pub tv_usec: i64,
    }
);

abi_struct!(
    /// `struct itimerval`.
    pub struct Itimerval {
        pub it_interval: Timeval,
        pub it_value: Timeval,
    }
);

abi_struct!(
    /// `struct rusage`.
    pub struct Rusage {
        pub ru_utime: Timeval,
        pub ru_stime: Timeval,
        pub ru_maxrss: i64,
        pub ru_ixrss: i64,
        pub ru_idrss: i64,
        pub ru_isrss: i64,
        pub ru_minflt: i64,
        pub ru_majflt: i64,
        pub ru_nswap: i64,
        pub ru_inblock: i64,
        pub ru_oublock: i64,
        pub ru_msgsnd: i64,
        pub ru_msgrcv: i64,
        pub ru_nsignals: i64,
        pub ru_nvcsw: i64,
        pub ru_nivcsw: i64,
    }
);

abi_struct!(
    /// `struct tms`.
    pub struct Tms {
        pub tms_utime: i64,
        pub tms_stime: i64,
        pub tms_cutime: i64,
        pub tms_cstime: i64,
    }
);

/// `struct new_utsname`.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
pub struct Utsname {
    pub sysname: [u8; 65],
    pub nodename: [u8; 65],
    pub release: [u8; 65],
    pub version: [u8; 65],
    pub machine: [u8; 65],
    pub domainname: [u8; 65],
}

abi_struct!(
    /// `struct sysinfo`.
    pub struct Sysinfo {
        pub uptime: i64,
        pub loads: [u64; 3],
        pub totalram: u64,
        pub freeram: u64,
        pub sharedram: u64,
        pub bufferram: u64,
        pub totalswap: u64,
        pub freeswap: u64,
        pub procs: u16,
        pub pad: u16,
        pub pad2: u32,
        pub totalhigh: u64,
        pub freehigh: u64,
        pub mem_unit: u32,
        pub pad3: u32,
    }
);

abi_struct!(
    /// The kernel's `struct sigaction` as `rt_sigaction` takes it.
    pub struct KSigaction {
        pub handler: u64,
        pub flags: u64,
        pub restorer: u64,
        pub mask: u64,
    }
);

abi_struct!(
    /// `stack_t`.
    pub struct StackT {
        pub ss_sp: u64,
        pub ss_flags: i32,
        pub pad: i32,
        pub ss_size: u64,
    }
);

abi_struct!(
    /// `struct rlimit64`.
    pub struct Rlimit {
        pub rlim_cur: u64,
        pub rlim_max: u64,
    }
);

abi_struct!(
    /// `struct iovec`.
    pub struct Iovec {
        pub iov_base: u64,
        pub iov_len: u64,
    }
);

abi_struct!(
    /// `struct pollfd`.
    pub struct PollFd {
        pub fd: i32,
        pub events: i16,
        pub revents: i16,
    }
);

abi_struct!(
    /// `siginfo_t`, 128 bytes: the common header and the union as words.
    pub struct SigInfo {
        pub si_signo: i32,
        pub si_errno: i32,
        pub si_code: i32,
        pub pad: i32,
        pub fields: [u64; 14],
    }
);

impl SigInfo {
    /// A siginfo for a signal sent by `kill`-like calls (SI_USER) from `pid`/`uid`.
    pub fn user(signo: i32, code: i32, pid: i32, uid: u32) -> Self {
        let mut si = SigInfo {
            si_signo: signo,
            si_code: code,
            ..Default::default()
        };
        si.set_pid_uid(pid, uid);
        si
    }

    /// Sets `si_pid` and `si_uid` (first two 32-bit words of the union).
    pub fn set_pid_uid(&mut self, pid: i32, uid: u32) {
        self.fields[0] = (pid as u32 as u64) | ((uid as u64) << 32);
    }

    /// `si_pid`.
    pub fn pid(&self) -> i32 {
        self.fields[0] as u32 as i32
    }

    /// Sets `si_status`, `si_utime`, `si_stime` for SIGCHLD.
    pub fn set_child(&mut self, status: i32, utime: i64, stime: i64) {
        self.fields[1] = status as u32 as u64;
        self.fields[2] = utime as u64;
        self.fields[3] = stime as u64;
    }

    /// `si_status` of SIGCHLD.
    pub fn status(&self) -> i32 {
        self.fields[1] as u32 as i32
    }

    /// `si_addr` of fault signals.
    pub fn addr(&self) -> u64 {
        self.fields[0]
    }

    /// Sets `si_addr`.
    pub fn set_addr(&mut self, addr: u64) {
        self.fields[0] = addr;
    }

    /// Sets the `sigval` of queued and timer signals (third word).
    pub fn set_value(&mut self, v: u64) {
        self.fields[1] = v;
    }
}

abi_struct!(
    /// `struct sigcontext` (x86-64), the register part of `ucontext`.
    pub struct SigContext {
        pub r8: u64,
        pub r9: u64,
        pub r10: u64,
        pub r11: u64,
        pub r12: u64,
        pub r13: u64,
        pub r14: u64,
        pub r15: u64,
        pub rdi: u64,
        pub rsi: u64,
        pub rbp: u64,
        pub rbx: u64,
        pub rdx: u64,
        pub rax: u64,
        pub rcx: u64,
        pub rsp: u64,
        pub rip: u64,
        pub eflags: u64,
        pub cs: u16,
        pub gs: u16,
        pub fs: u16,
        pub ss: u16,
        pub err: u64,
        pub trapno: u64,
        pub oldmask: u64,
        pub cr2: u64,
        pub fpstate: u64,
        pub reserved1: [u64; 8],
    }
);

abi_struct!(
    /// The kernel's `struct ucontext` (x86-64) with an 8-byte signal mask.
    pub struct UContext {
        pub uc_flags: u64,
        pub uc_link: u64,
        pub uc_stack: StackT,
        pub uc_mcontext: SigContext,
        pub uc_sigmask: u64,
    }
);

abi_struct!(
    /// `struct rt_sigframe` (x86-64) without the FP state that follows it.
    pub struct RtSigframe {
        pub pretcode: u64,
        pub uc: UContext,
        pub info: SigInfo,
    }
);

abi_struct!(
    /// `struct robust_list_head`.
    pub struct RobustListHead {
        pub list: u64,
        pub futex_offset: i64,
        pub list_op_pending: u64,
    }
);

abi_struct!(
    /// `struct winsize`.
    pub struct Winsize {
        pub ws_row: u16,
        pub ws_col: u16,
        pub ws_xpixel: u16,
        pub ws_ypixel: u16,
    }
);

abi_struct!(
    /// `struct clone_args` (clone3), the first 88 bytes.
    pub struct CloneArgs {
        pub flags: u64,
        pub pidfd: u64,
        pub child_tid: u64,
        pub parent_tid: u64,
        pub exit_signal: u64,
        pub stack: u64,
        pub stack_size: u64,
        pub tls: u64,
        pub set_tid: u64,
        pub set_tid_size: u64,
        pub cgroup: u64,
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_match_the_kernel() {
        assert_eq!(std::mem::size_of::<PtRegs>(), 27 * 8);
        assert_eq!(std::mem::size_of::<Stat>(), 144);
        assert_eq!(std::mem::size_of::<Statx>(), 256);
        assert_eq!(std::mem::size_of::<Rusage>(), 144);
        assert_eq!(std::mem::size_of::<Sysinfo>(), 112);
        assert_eq!(std::mem::size_of::<SigInfo>(), 128);
        assert_eq!(std::mem::size_of::<SigContext>(), 256);
        assert_eq!(std::mem::size_of::<UContext>(), 304);
        assert_eq!(std::mem::size_of::<RtSigframe>(), 440);
        assert_eq!(std::mem::size_of::<Utsname>(), 390);
        assert_eq!(std::mem::size_of::<StackT>(), 24);
    }
}
