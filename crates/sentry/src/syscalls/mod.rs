//! The system call table (x86-64): number -> name, handler and argument kinds. It drives
//! the dispatcher, the strace formatter (`--strace`) and `husk syscalls`. One file per
//! syscall family.

mod epoll;
mod file;
mod futex;
mod identity;
mod inotify;
mod ipc;
mod mmap;
mod mount;
mod mqueue;
mod poll;
mod process;
mod process_vm;
mod signal;
mod socket;
mod splice;
mod time;
mod xattr;

use crate::kernel::task::TaskCtx;
use crate::vfs::{Dentry, WalkFlags};
use husk_abi::{Errno, SysResult};
use linux_raw_sys::general as nr;

pub use file::file_attr as file_attr_of;
pub use identity::{RELEASE, VERSION};
use std::sync::{Arc, LazyLock};

/// A syscall handler: typed access to the task, raw argument registers.
pub type Handler = fn(&mut TaskCtx, &[u64; 6]) -> SysResult;

/// How `--strace` prints an argument.
#[derive(Clone, Copy, Debug)]
pub enum A {
    /// Signed integer.
    I,
    /// Unsigned integer.
    U,
    /// Hexadecimal (flags, pointers).
    X,
    /// File descriptor (or AT_FDCWD).
    F,
    /// NUL-terminated path.
    P,
}

/// One syscall of the table.
pub struct Def {
    pub nr: u32,
    pub name: &'static str,
    pub handler: Option<Handler>,
    pub args: &'static [A],
}

macro_rules! table {
    ($($nr:ident $name:literal $h:expr, [$($a:ident),*];)*) => {
        fn build() -> Vec<Def> {
            use A::*;
            vec![$(Def { nr: nr::$nr, name: $name, handler: $h, args: &[$($a),*] }),*]
        }
    };
}

table! {
    __NR_read "read" Some(file::read), [F, X, U];
    __NR_write "write" Some(file::write), [F, X, U];
    __NR_open "open" Some(file::open), [P, X, X];
    __NR_close "close" Some(file::close), [F];
    __NR_stat "stat" Some(file::stat), [P, X];
    __NR_fstat "fstat" Some(file::fstat), [F, X];
    __NR_lstat "lstat" Some(file::lstat), [P, X];
    __NR_poll "poll" Some(poll::poll), [X, U, I];
    __NR_lseek "lseek" Some(file::lseek), [F, I, U];
    __NR_mmap "mmap" Some(mmap::mmap), [X, U, X, X, F, X];
    __NR_mprotect "mprotect" Some(mmap::mprotect), [X, U, X];
    __NR_munmap "munmap" Some(mmap::munmap), [X, U];
    __NR_brk "brk" Some(mmap::brk), [X];
    __NR_rt_sigaction "rt_sigaction" Some(signal::rt_sigaction), [I, X, X, U];
    __NR_rt_sigprocmask "rt_sigprocmask" Some(signal::rt_sigprocmask), [I, X, X, U];
    __NR_rt_sigreturn "rt_sigreturn" Some(signal::rt_sigreturn), [];
    __NR_ioctl "ioctl" Some(file::ioctl), [F, X, X];
    __NR_pread64 "pread64" Some(file::pread64), [F, X, U, I];
    __NR_pwrite64 "pwrite64" Some(file::pwrite64), [F, X, U, I];
    __NR_readv "readv" Some(file::readv), [F, X, U];
    __NR_writev "writev" Some(file::writev), [F, X, U];
    __NR_access "access" Some(file::access), [P, X];
    __NR_pipe "pipe" Some(file::pipe), [X];
    __NR_select "select" Some(poll::select), [I, X, X, X, X];
    __NR_sched_yield "sched_yield" Some(process::sched_yield), [];
    __NR_mremap "mremap" Some(mmap::mremap), [X, U, U, X, X];
    __NR_msync "msync" Some(mmap::msync), [X, U, X];
    __NR_mincore "mincore" Some(mmap::mincore), [X, U, X];
    __NR_madvise "madvise" Some(mmap::madvise), [X, U, I];
    __NR_shmget "shmget" Some(ipc::shmget), [I, U, X];
    __NR_shmat "shmat" Some(ipc::shmat), [I, X, X];
    __NR_shmctl "shmctl" Some(ipc::shmctl), [I, I, X];
    __NR_dup "dup" Some(file::dup), [F];
    __NR_dup2 "dup2" Some(file::dup2), [F, F];
    __NR_pause "pause" Some(signal::pause), [];
    __NR_nanosleep "nanosleep" Some(time::nanosleep), [X, X];
    __NR_getitimer "getitimer" Some(time::getitimer), [I, X];
    __NR_alarm "alarm" Some(time::alarm), [U];
    __NR_setitimer "setitimer" Some(time::setitimer), [I, X, X];
    __NR_getpid "getpid" Some(process::getpid), [];
    __NR_sendfile "sendfile" Some(splice::sendfile), [F, F, X, U];
    __NR_socket "socket" Some(socket::socket), [I, I, I];
    __NR_connect "connect" Some(socket::connect), [F, X, U];
    __NR_accept "accept" Some(socket::accept), [F, X, X];
    __NR_sendto "sendto" Some(socket::sendto), [F, X, U, X, X, U];
    __NR_recvfrom "recvfrom" Some(socket::recvfrom), [F, X, U, X, X, X];
    __NR_sendmsg "sendmsg" Some(socket::sendmsg), [F, X, X];
    __NR_recvmsg "recvmsg" Some(socket::recvmsg), [F, X, X];
    __NR_shutdown "shutdown" Some(socket::shutdown), [F, I];
    __NR_bind "bind" Some(socket::bind), [F, X, U];
    __NR_listen "listen" Some(socket::listen), [F, I];
    __NR_getsockname "getsockname" Some(socket::getsockname), [F, X, X];
    __NR_getpeername "getpeername" Some(socket::getpeername), [F, X, X];
    __NR_socketpair "socketpair" Some(socket::socketpair), [I, I, I, X];
    __NR_setsockopt "setsockopt" Some(socket::setsockopt), [F, I, I, X, U];
    __NR_getsockopt "getsockopt" Some(socket::getsockopt), [F, I, I, X, X];
    __NR_clone "clone" Some(process::clone), [X, X, X, X, X];
    __NR_fork "fork" Some(process::fork), [];
    __NR_vfork "vfork" Some(process::vfork), [];
    __NR_execve "execve" Some(process::execve), [P, X, X];
    __NR_exit "exit" Some(process::exit), [I];
    __NR_wait4 "wait4" Some(process::wait4), [I, X, X, X];
    __NR_kill "kill" Some(signal::kill), [I, I];
    __NR_uname "uname" Some(identity::uname), [X];
    __NR_semget "semget" Some(ipc::semget), [I, I, X];
    __NR_semop "semop" Some(ipc::semop), [I, X, U];
    __NR_semctl "semctl" Some(ipc::semctl), [I, I, I, X];
    __NR_shmdt "shmdt" Some(ipc::shmdt), [X];
    __NR_msgget "msgget" Some(ipc::msgget), [I, X];
    __NR_msgsnd "msgsnd" Some(ipc::msgsnd), [I, X, U, X];
    __NR_msgrcv "msgrcv" Some(ipc::msgrcv), [I, X, U, I, X];
    __NR_msgctl "msgctl" Some(ipc::msgctl), [I, I, X];
    __NR_fcntl "fcntl" Some(file::fcntl), [F, I, X];
    __NR_flock "flock" Some(file::flock), [F, X];
    __NR_fsync "fsync" Some(file::fsync), [F];
    __NR_fdatasync "fdatasync" Some(file::fsync), [F];
    __NR_truncate "truncate" Some(file::truncate), [P, I];
    __NR_ftruncate "ftruncate" Some(file::ftruncate), [F, I];
    __NR_getdents "getdents" None, [F, X, U];
    __NR_getcwd "getcwd" Some(file::getcwd), [X, U];
    __NR_chdir "chdir" Some(file::chdir), [P];
    __NR_fchdir "fchdir" Some(file::fchdir), [F];
    __NR_rename "rename" Some(file::rename), [P, P];
    __NR_mkdir "mkdir" Some(file::mkdir), [P, X];
    __NR_rmdir "rmdir" Some(file::rmdir), [P];
    __NR_creat "creat" Some(file::creat), [P, X];
    __NR_link "link" Some(file::link), [P, P];
    __NR_unlink "unlink" Some(file::unlink), [P];
    __NR_symlink "symlink" Some(file::symlink), [P, P];
    __NR_readlink "readlink" Some(file::readlink), [P, X, U];
    __NR_chmod "chmod" Some(file::chmod), [P, X];
    __NR_fchmod "fchmod" Some(file::fchmod), [F, X];
    __NR_chown "chown" Some(file::chown), [P, I, I];
    __NR_fchown "fchown" Some(file::fchown), [F, I, I];
    __NR_lchown "lchown" Some(file::lchown), [P, I, I];
    __NR_umask "umask" Some(file::umask), [X];
    __NR_gettimeofday "gettimeofday" Some(time::gettimeofday), [X, X];
    __NR_getrlimit "getrlimit" Some(identity::getrlimit), [I, X];
    __NR_getrusage "getrusage" Some(time::getrusage), [I, X];
    __NR_sysinfo "sysinfo" Some(identity::sysinfo), [X];
    __NR_times "times" Some(time::times), [X];
    __NR_ptrace "ptrace" None, [I, I, X, X];
    __NR_getuid "getuid" Some(identity::getuid), [];
    __NR_syslog "syslog" None, [I, X, I];
    __NR_getgid "getgid" Some(identity::getgid), [];
    __NR_setuid "setuid" Some(identity::setuid), [I];
    __NR_setgid "setgid" Some(identity::setgid), [I];
    __NR_geteuid "geteuid" Some(identity::geteuid), [];
    __NR_getegid "getegid" Some(identity::getegid), [];
    __NR_setpgid "setpgid" Some(process::setpgid), [I, I];
    __NR_getppid "getppid" Some(process::getppid), [];
    __NR_getpgrp "getpgrp" Some(process::getpgrp), [];
    __NR_setsid "setsid" Some(process::setsid), [];
    __NR_setreuid "setreuid" Some(identity::setreuid), [I, I];
    __NR_setregid "setregid" Some(identity::setregid), [I, I];
    __NR_getgroups "getgroups" Some(identity::getgroups), [I, X];
    __NR_setgroups "setgroups" Some(identity::setgroups), [I, X];
    __NR_setresuid "setresuid" Some(identity::setresuid), [I, I, I];
    __NR_getresuid "getresuid" Some(identity::getresuid), [X, X, X];
    __NR_setresgid "setresgid" Some(identity::setresgid), [I, I, I];
    __NR_getresgid "getresgid" Some(identity::getresgid), [X, X, X];
    __NR_getpgid "getpgid" Some(process::getpgid), [I];
    __NR_setfsuid "setfsuid" Some(identity::setfsuid), [I];
    __NR_setfsgid "setfsgid" Some(identity::setfsgid), [I];
    __NR_getsid "getsid" Some(process::getsid), [I];
    __NR_capget "capget" Some(identity::capget), [X, X];
    __NR_capset "capset" Some(identity::capset), [X, X];
    __NR_rt_sigpending "rt_sigpending" Some(signal::rt_sigpending), [X, U];
    __NR_rt_sigtimedwait "rt_sigtimedwait" Some(signal::rt_sigtimedwait), [X, X, X, U];
    __NR_rt_sigqueueinfo "rt_sigqueueinfo" Some(signal::rt_sigqueueinfo), [I, I, X];
    __NR_rt_sigsuspend "rt_sigsuspend" Some(signal::rt_sigsuspend), [X, U];
    __NR_sigaltstack "sigaltstack" Some(signal::sigaltstack), [X, X];
    __NR_utime "utime" Some(file::utime), [P, X];
    __NR_mknod "mknod" Some(file::mknod), [P, X, X];
    __NR_uselib "uselib" None, [P];
    __NR_personality "personality" Some(process::personality), [X];
    __NR_ustat "ustat" None, [X, X];
    __NR_statfs "statfs" Some(file::statfs), [P, X];
    __NR_fstatfs "fstatfs" Some(file::fstatfs), [F, X];
    __NR_sysfs "sysfs" None, [I, X, X];
    __NR_getpriority "getpriority" Some(process::getpriority), [I, I];
    __NR_setpriority "setpriority" Some(process::setpriority), [I, I, I];
    __NR_sched_setparam "sched_setparam" Some(process::sched_setparam), [I, X];
    __NR_sched_getparam "sched_getparam" Some(process::sched_getparam), [I, X];
    __NR_sched_setscheduler "sched_setscheduler" Some(process::sched_setscheduler), [I, I, X];
    __NR_sched_getscheduler "sched_getscheduler" Some(process::sched_getscheduler), [I];
    __NR_sched_get_priority_max "sched_get_priority_max" Some(process::sched_get_priority_max), [I];
    __NR_sched_get_priority_min "sched_get_priority_min" Some(process::sched_get_priority_min), [I];
    __NR_sched_rr_get_interval "sched_rr_get_interval" Some(process::sched_rr_get_interval), [I, X];
    __NR_mlock "mlock" Some(mmap::mlock), [X, U];
    __NR_munlock "munlock" Some(mmap::munlock), [X, U];
    __NR_mlockall "mlockall" Some(mmap::mlockall), [X];
    __NR_munlockall "munlockall" Some(mmap::munlockall), [];
    __NR_vhangup "vhangup" None, [];
    __NR_modify_ldt "modify_ldt" None, [I, X, U];
    __NR_pivot_root "pivot_root" None, [P, P];
    __NR_prctl "prctl" Some(process::prctl), [I, X, X, X, X];
    __NR_arch_prctl "arch_prctl" Some(process::arch_prctl), [X, X];
    __NR_adjtimex "adjtimex" None, [X];
    __NR_setrlimit "setrlimit" Some(identity::setrlimit), [I, X];
    __NR_chroot "chroot" Some(file::chroot), [P];
    __NR_sync "sync" Some(file::sync), [];
    __NR_acct "acct" None, [P];
    __NR_settimeofday "settimeofday" Some(time::settimeofday), [X, X];
    __NR_mount "mount" Some(mount::mount), [P, P, P, X, X];
    __NR_umount2 "umount2" Some(mount::umount2), [P, X];
    __NR_swapon "swapon" None, [P, X];
    __NR_swapoff "swapoff" None, [P];
    __NR_reboot "reboot" None, [X, X, X, X];
    __NR_sethostname "sethostname" Some(identity::sethostname), [X, U];
    __NR_setdomainname "setdomainname" Some(identity::setdomainname), [X, U];
    __NR_iopl "iopl" None, [I];
    __NR_ioperm "ioperm" None, [X, U, I];
    __NR_init_module "init_module" None, [X, U, X];
    __NR_delete_module "delete_module" None, [X, X];
    __NR_quotactl "quotactl" None, [X, X, I, X];
    __NR_gettid "gettid" Some(process::gettid), [];
    __NR_readahead "readahead" Some(splice::readahead), [F, I, U];
    __NR_setxattr "setxattr" Some(xattr::setxattr), [P, X, X, U, X];
    __NR_lsetxattr "lsetxattr" Some(xattr::lsetxattr), [P, X, X, U, X];
    __NR_fsetxattr "fsetxattr" Some(xattr::fsetxattr), [F, X, X, U, X];
    __NR_getxattr "getxattr" Some(xattr::getxattr), [P, X, X, U];
    __NR_lgetxattr "lgetxattr" Some(xattr::lgetxattr), [P, X, X, U];
    __NR_fgetxattr "fgetxattr" Some(xattr::fgetxattr), [F, X, X, U];
    __NR_listxattr "listxattr" Some(xattr::listxattr), [P, X, U];
    __NR_llistxattr "llistxattr" Some(xattr::llistxattr), [P, X, U];
    __NR_flistxattr "flistxattr" Some(xattr::flistxattr), [F, X, U];
    __NR_removexattr "removexattr" Some(xattr::removexattr), [P, X];
    __NR_lremovexattr "lremovexattr" Some(xattr::lremovexattr), [P, X];
    __NR_fremovexattr "fremovexattr" Some(xattr::fremovexattr), [F, X];
    __NR_tkill "tkill" Some(signal::tkill), [I, I];
    __NR_time "time" Some(time::time), [X];
    __NR_futex "futex" Some(futex::futex), [X, X, U, X, X, U];
    __NR_sched_setaffinity "sched_setaffinity" Some(process::sched_setaffinity), [I, U, X];
    __NR_sched_getaffinity "sched_getaffinity" Some(process::sched_getaffinity), [I, U, X];
    __NR_io_setup "io_setup" None, [U, X];
    __NR_io_destroy "io_destroy" None, [X];
    __NR_io_getevents "io_getevents" None, [X, I, I, X, X];
    __NR_io_submit "io_submit" None, [X, I, X];
    __NR_io_cancel "io_cancel" None, [X, X, X];
    __NR_lookup_dcookie "lookup_dcookie" None, [X, X, U];
    __NR_epoll_create "epoll_create" Some(epoll::epoll_create), [I];
    __NR_remap_file_pages "remap_file_pages" None, [X, U, X, U, X];
    __NR_getdents64 "getdents64" Some(file::getdents64), [F, X, U];
    __NR_set_tid_address "set_tid_address" Some(process::set_tid_address), [X];
    __NR_restart_syscall "restart_syscall" None, [];
    __NR_semtimedop "semtimedop" Some(ipc::semtimedop), [I, X, U, X];
    __NR_fadvise64 "fadvise64" Some(file::fadvise64), [F, I, I, I];
    __NR_timer_create "timer_create" Some(time::timer_create), [I, X, X];
    __NR_timer_settime "timer_settime" Some(time::timer_settime), [I, X, X, X];
    __NR_timer_gettime "timer_gettime" Some(time::timer_gettime), [I, X];
    __NR_timer_getoverrun "timer_getoverrun" Some(time::timer_getoverrun), [I];
    __NR_timer_delete "timer_delete" Some(time::timer_delete), [I];
    __NR_clock_settime "clock_settime" Some(time::clock_settime), [I, X];
    __NR_clock_gettime "clock_gettime" Some(time::clock_gettime), [I, X];
    __NR_clock_getres "clock_getres" Some(time::clock_getres), [I, X];
    __NR_clock_nanosleep "clock_nanosleep" Some(time::clock_nanosleep), [I, X, X, X];
    __NR_exit_group "exit_group" Some(process::exit_group), [I];
    __NR_epoll_wait "epoll_wait" Some(epoll::epoll_wait), [F, X, I, I];
    __NR_epoll_ctl "epoll_ctl" Some(epoll::epoll_ctl), [F, I, F, X];
    __NR_tgkill "tgkill" Some(signal::tgkill), [I, I, I];
    __NR_utimes "utimes" Some(file::utimes), [P, X];
    __NR_mbind "mbind" None, [X, U, I, X, U, X];
    __NR_set_mempolicy "set_mempolicy" None, [I, X, U];
    __NR_get_mempolicy "get_mempolicy" None, [X, X, U, X, X];
    __NR_mq_open "mq_open" Some(mqueue::mq_open), [P, X, X, X];
    __NR_mq_unlink "mq_unlink" Some(mqueue::mq_unlink), [P];
    __NR_mq_timedsend "mq_timedsend" Some(mqueue::mq_timedsend), [I, X, U, U, X];
    __NR_mq_timedreceive "mq_timedreceive" Some(mqueue::mq_timedreceive), [I, X, U, X, X];
    __NR_mq_notify "mq_notify" Some(mqueue::mq_notify), [I, X];
    __NR_mq_getsetattr "mq_getsetattr" Some(mqueue::mq_getsetattr), [I, X, X];
    __NR_kexec_load "kexec_load" None, [X, U, X, X];
    __NR_waitid "waitid" Some(process::waitid), [I, I, X, X, X];
    __NR_add_key "add_key" None, [X, X, X, U, I];
    __NR_request_key "request_key" None, [X, X, X, I];
    __NR_keyctl "keyctl" None, [I, X, X, X, X];
    __NR_ioprio_set "ioprio_set" None, [I, I, I];
    __NR_ioprio_get "ioprio_get" None, [I, I];
    __NR_inotify_init "inotify_init" Some(inotify::inotify_init), [];
    __NR_inotify_add_watch "inotify_add_watch" Some(inotify::inotify_add_watch), [F, P, X];
    __NR_inotify_rm_watch "inotify_rm_watch" Some(inotify::inotify_rm_watch), [F, I];
    __NR_migrate_pages "migrate_pages" None, [I, U, X, X];
    __NR_openat "openat" Some(file::openat), [F, P, X, X];
    __NR_mkdirat "mkdirat" Some(file::mkdirat), [F, P, X];
    __NR_mknodat "mknodat" Some(file::mknodat), [F, P, X, X];
    __NR_fchownat "fchownat" Some(file::fchownat), [F, P, I, I, X];
    __NR_futimesat "futimesat" Some(file::futimesat), [F, P, X];
    __NR_newfstatat "newfstatat" Some(file::newfstatat), [F, P, X, X];
    __NR_unlinkat "unlinkat" Some(file::unlinkat), [F, P, X];
    __NR_renameat "renameat" Some(file::renameat), [F, P, F, P];
    __NR_linkat "linkat" Some(file::linkat), [F, P, F, P, X];
    __NR_symlinkat "symlinkat" Some(file::symlinkat), [P, F, P];
    __NR_readlinkat "readlinkat" Some(file::readlinkat), [F, P, X, U];
    __NR_fchmodat "fchmodat" Some(file::fchmodat), [F, P, X];
    __NR_faccessat "faccessat" Some(file::faccessat), [F, P, X];
    __NR_pselect6 "pselect6" Some(poll::pselect6), [I, X, X, X, X, X];
    __NR_ppoll "ppoll" Some(poll::ppoll), [X, U, X, X, U];
    __NR_unshare "unshare" Some(process::unshare), [X];
    __NR_set_robust_list "set_robust_list" Some(process::set_robust_list), [X, U];
    __NR_get_robust_list "get_robust_list" Some(process::get_robust_list), [I, X, X];
    __NR_splice "splice" Some(splice::splice), [F, X, F, X, U, X];
    __NR_tee "tee" Some(splice::tee), [F, F, U, X];
    __NR_sync_file_range "sync_file_range" Some(splice::sync_file_range), [F, I, I, X];
    __NR_vmsplice "vmsplice" Some(splice::vmsplice), [F, X, U, X];
    __NR_move_pages "move_pages" None, [I, U, X, X, X, X];
    __NR_utimensat "utimensat" Some(file::utimensat), [F, P, X, X];
    __NR_epoll_pwait "epoll_pwait" Some(epoll::epoll_pwait), [F, X, I, I, X, U];
    __NR_signalfd "signalfd" Some(epoll::signalfd), [F, X, U];
    __NR_timerfd_create "timerfd_create" Some(epoll::timerfd_create), [I, X];
    __NR_eventfd "eventfd" Some(epoll::eventfd), [U];
    __NR_fallocate "fallocate" Some(splice::fallocate), [F, X, I, I];
    __NR_timerfd_settime "timerfd_settime" Some(epoll::timerfd_settime), [F, X, X, X];
    __NR_timerfd_gettime "timerfd_gettime" Some(epoll::timerfd_gettime), [F, X];
    __NR_accept4 "accept4" Some(socket::accept4), [F, X, X, X];
    __NR_signalfd4 "signalfd4" Some(epoll::signalfd4), [F, X, U, X];
    __NR_eventfd2 "eventfd2" Some(epoll::eventfd2), [U, X];
    __NR_epoll_create1 "epoll_create1" Some(epoll::epoll_create1), [X];
    __NR_dup3 "dup3" Some(file::dup3), [F, F, X];
    __NR_pipe2 "pipe2" Some(file::pipe2), [X, X];
    __NR_inotify_init1 "inotify_init1" Some(inotify::inotify_init1), [X];
    __NR_preadv "preadv" Some(file::preadv), [F, X, U, I];
    __NR_pwritev "pwritev" Some(file::pwritev), [F, X, U, I];
    __NR_rt_tgsigqueueinfo "rt_tgsigqueueinfo" Some(signal::rt_tgsigqueueinfo), [I, I, I, X];
    __NR_perf_event_open "perf_event_open" None, [X, I, I, I, X];
    __NR_recvmmsg "recvmmsg" Some(socket::recvmmsg), [F, X, U, X, X];
    __NR_fanotify_init "fanotify_init" None, [X, X];
    __NR_fanotify_mark "fanotify_mark" None, [F, X, X, F, P];
    __NR_prlimit64 "prlimit64" Some(identity::prlimit64), [I, I, X, X];
    __NR_name_to_handle_at "name_to_handle_at" Some(file::file_handle_unsupported), [F, P, X, X, X];
    __NR_open_by_handle_at "open_by_handle_at" Some(file::file_handle_unsupported), [F, X, X];
    __NR_clock_adjtime "clock_adjtime" None, [I, X];
    __NR_syncfs "syncfs" Some(file::fsync), [F];
    __NR_sendmmsg "sendmmsg" Some(socket::sendmmsg), [F, X, U, X];
    __NR_setns "setns" Some(process::setns), [F, X];
    __NR_getcpu "getcpu" Some(process::getcpu), [X, X, X];
    __NR_process_vm_readv "process_vm_readv" Some(process_vm::process_vm_readv), [I, X, U, X, U, X];
    __NR_process_vm_writev "process_vm_writev" Some(process_vm::process_vm_writev), [I, X, U, X, U, X];
    __NR_kcmp "kcmp" None, [I, I, I, X, X];
    __NR_finit_module "finit_module" None, [F, X, X];
    __NR_sched_setattr "sched_setattr" None, [I, X, X];
    __NR_sched_getattr "sched_getattr" None, [I, X, U, X];
    __NR_renameat2 "renameat2" Some(file::renameat2), [F, P, F, P, X];
    __NR_seccomp "seccomp" None, [I, X, X];
    __NR_getrandom "getrandom" Some(identity::getrandom), [X, U, X];
    __NR_memfd_create "memfd_create" Some(file::memfd_create), [P, X];
    __NR_kexec_file_load "kexec_file_load" None, [F, F, U, X, X];
    __NR_bpf "bpf" None, [I, X, U];
    __NR_execveat "execveat" Some(process::execveat), [F, P, X, X, X];
    __NR_userfaultfd "userfaultfd" None, [X];
    __NR_membarrier "membarrier" None, [I, X, I];
    __NR_mlock2 "mlock2" Some(mmap::mlock2), [X, U, X];
    __NR_copy_file_range "copy_file_range" Some(splice::copy_file_range), [F, X, F, X, U, X];
    __NR_preadv2 "preadv2" Some(file::preadv), [F, X, U, I, I, X];
    __NR_pwritev2 "pwritev2" Some(file::pwritev), [F, X, U, I, I, X];
    __NR_pkey_mprotect "pkey_mprotect" None, [X, U, X, I];
    __NR_pkey_alloc "pkey_alloc" None, [X, X];
    __NR_pkey_free "pkey_free" None, [I];
    __NR_statx "statx" Some(file::statx), [F, P, X, X, X];
    __NR_io_pgetevents "io_pgetevents" None, [X, I, I, X, X, X];
    __NR_rseq "rseq" None, [X, U, X, X];
    __NR_pidfd_send_signal "pidfd_send_signal" None, [F, I, X, X];
    __NR_io_uring_setup "io_uring_setup" None, [U, X];
    __NR_io_uring_enter "io_uring_enter" None, [F, U, U, X, X, U];
    __NR_io_uring_register "io_uring_register" None, [F, U, X, U];
    __NR_open_tree "open_tree" None, [F, P, X];
    __NR_move_mount "move_mount" None, [F, P, F, P, X];
    __NR_fsopen "fsopen" None, [P, X];
    __NR_fsconfig "fsconfig" None, [F, U, P, X, I];
    __NR_fsmount "fsmount" None, [F, X, X];
    __NR_fspick "fspick" None, [F, P, X];
    __NR_pidfd_open "pidfd_open" None, [I, X];
    __NR_clone3 "clone3" Some(process::clone3), [X, U];
    __NR_close_range "close_range" Some(file::close_range), [U, U, X];
    __NR_openat2 "openat2" Some(file::openat2), [F, P, X, U];
    __NR_pidfd_getfd "pidfd_getfd" None, [F, F, X];
    __NR_faccessat2 "faccessat2" Some(file::faccessat2), [F, P, X, X];
    __NR_process_madvise "process_madvise" None, [F, X, U, I, X];
    __NR_epoll_pwait2 "epoll_pwait2" Some(epoll::epoll_pwait2), [F, X, I, X, X, U];
    __NR_mount_setattr "mount_setattr" None, [F, P, X, X, U];
    __NR_landlock_create_ruleset "landlock_create_ruleset" None, [X, U, X];
    __NR_landlock_add_rule "landlock_add_rule" None, [F, I, X, X];
    __NR_landlock_restrict_self "landlock_restrict_self" None, [F, X];
    __NR_memfd_secret "memfd_secret" None, [X];
    __NR_process_mrelease "process_mrelease" None, [F, X];
    __NR_futex_waitv "futex_waitv" None, [X, U, X, X, I];
    __NR_set_mempolicy_home_node "set_mempolicy_home_node" None, [X, U, U, X];
}

/// The table indexed by number.
static TABLE: LazyLock<Vec<Option<Def>>> = LazyLock::new(|| {
    let defs = build();
    let max = defs.iter().map(|d| d.nr).max().unwrap_or(0) as usize;
    let mut t: Vec<Option<Def>> = (0..=max).map(|_| None).collect();
    for d in defs {
        let i = d.nr as usize;
        t[i] = Some(d);
    }
    t
});

/// The name of syscall `nr`.
pub fn name_of(nr: u64) -> &'static str {
    TABLE
        .get(nr as usize)
        .and_then(|d| d.as_ref())
        .map(|d| d.name)
        .unwrap_or("unknown")
}

/// The support table printed by `husk syscalls`.
pub fn support_table() -> String {
    let mut s = String::from("NR   NAME                         SUPPORT\n");
    for d in TABLE.iter().flatten() {
        let level = if d.handler.is_some() {
            "implemented"
        } else {
            "unimplemented (ENOSYS)"
        };
        s.push_str(&format!("{:<4} {:<28} {}\n", d.nr, d.name, level));
    }
    let n = TABLE.iter().flatten().count();
    let imp = TABLE
        .iter()
        .flatten()
        .filter(|d| d.handler.is_some())
        .count();
    s.push_str(&format!("{imp} of {n} system calls implemented\n"));
    s
}

fn format_args(t: &TaskCtx, d: &Def, args: &[u64; 6]) -> String {
    let mut out = Vec::new();
    for (i, k) in d.args.iter().enumerate() {
        let v = args[i];
        out.push(match k {
            A::I => (v as i64).to_string(),
            A::U => v.to_string(),
            A::X => format!("{v:#x}"),
            A::F => {
                if v as i32 == -100 {
                    "AT_FDCWD".into()
                } else {
                    (v as i32).to_string()
                }
            }
            A::P => match t.mm.read_cstring(v, 4096) {
                Ok(s) => format!("{:?}", String::from_utf8_lossy(&s)),
                Err(_) => format!("{v:#x}"),
            },
        });
    }
    out.join(", ")
}

/// Runs the syscall the task stopped at and stores its result.
pub fn dispatch(t: &mut TaskCtx) {
    let nr = t.regs.orig_rax;
    let r = t.regs;
    let args = [r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9];
    t.regs_replaced = false;
    let def = TABLE.get(nr as usize).and_then(|d| d.as_ref());
    let strace = t.k.opts.strace;
    let before = if strace {
        def.map(|d| format_args(t, d, &args))
    } else {
        None
    };
    let res = match def.and_then(|d| d.handler) {
        Some(h) => h(t, &args),
        None => {
            if t.k.note_unimplemented(nr as u32) {
                // Like gVisor's unimplemented-syscall events: in the sandbox's log (shown
                // with --debug or HUSK_LOG=info), not mixed into the application's output.
                tracing::info!(
                    "unimplemented syscall {} ({}) called: returning ENOSYS",
                    nr,
                    name_of(nr)
                );
            }
            Err(Errno::ENOSYS)
        }
    };
    if strace {
        let name = def.map(|d| d.name).unwrap_or("unknown");
        let ret = match res {
            Ok(v) => format!("{v:#x}"),
            Err(e) => format!("-1 {}", e.name()),
        };
        eprintln!(
            "[{:>5}] {}({}) = {}",
            t.tid,
            name,
            before.unwrap_or_else(|| format!("nr={nr}")),
            ret
        );
    }
    if t.regs_replaced {
        return;
    }
    match res {
        Ok(v) => t.regs.rax = v,
        Err(e) if e.is_restart() => {
            t.pending_restart = Some(e);
            t.regs.rax = Errno::EINTR.as_return();
            t.handle
                .attention
                .store(true, std::sync::atomic::Ordering::SeqCst);
        }
        Err(e) => t.regs.rax = e.as_return(),
    }
}

/// Helpers shared by handlers.
impl TaskCtx {
    /// Reads a path argument (ENAMETOOLONG beyond PATH_MAX, ENOENT if empty unless allowed).
    pub fn path_arg(&self, addr: u64) -> Result<Vec<u8>, Errno> {
        let p = self.mm.read_cstring(addr, 4096)?;
        if p.len() >= 4096 {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(p)
    }

    /// The directory a `*at` call starts from.
    pub fn at_start(&self, dirfd: u64) -> Result<Arc<Dentry>, Errno> {
        let dirfd = dirfd as i32;
        if dirfd == -100 {
            return Ok(self
                .fs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .cwd
                .clone());
        }
        let f = self.files.get(dirfd)?;
        let d = f.dentry.clone().ok_or(Errno::ENOTDIR)?;
        if !d.inode.attr()?.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(d)
    }

    /// Walks `path` relative to `dirfd`.
    pub fn walk_at(&self, dirfd: u64, path: &[u8], follow: bool) -> Result<Arc<Dentry>, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let root = self
            .fs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .root
            .clone();
        let start = if path.first() == Some(&b'/') {
            root.clone()
        } else {
            self.at_start(dirfd)?
        };
        let _search = self.search_guard();
        self.vfs().walk(&root, &start, path, WalkFlags { follow })
    }

    /// Walks to the parent of `path`'s last component relative to `dirfd`.
    pub fn walk_parent_at(&self, dirfd: u64, path: &[u8]) -> Result<(Arc<Dentry>, Vec<u8>), Errno> {
        let root = self
            .fs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .root
            .clone();
        let start = if path.first() == Some(&b'/') {
            root.clone()
        } else {
            self.at_start(dirfd)?
        };
        let _search = self.search_guard();
        self.vfs().walk_parent(&root, &start, path)
    }

    /// Makes this thread's walks check search permission as this task.
    pub fn search_guard(&self) -> crate::vfs::SearchGuard {
        let c = self.creds();
        crate::vfs::search_as(move |a| crate::syscalls::file::may_access_as(&c, a, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_numbers_and_names_are_unique() {
        let defs = build();
        let mut nrs: Vec<u32> = defs.iter().map(|d| d.nr).collect();
        nrs.sort_unstable();
        nrs.dedup();
        assert_eq!(nrs.len(), defs.len(), "duplicate syscall numbers");
        let mut names: Vec<&str> = defs.iter().map(|d| d.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), defs.len(), "duplicate syscall names");
        assert!(defs.iter().all(|d| d.args.len() <= 6));
    }

    #[test]
    fn well_known_numbers() {
        assert_eq!(name_of(0), "read");
        assert_eq!(name_of(39), "getpid");
        assert_eq!(name_of(110), "getppid");
        assert_eq!(name_of(231), "exit_group");
        assert_eq!(name_of(100_000), "unknown");
    }

    #[test]
    fn support_table_lists_every_call() {
        let t = support_table();
        assert!(t.contains("getppid"));
        assert!(t.contains("implemented"));
        assert!(t
            .lines()
            .last()
            .is_some_and(|l| l.contains("system calls implemented")));
    }
}
