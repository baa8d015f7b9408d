//! Pending signals and signal sets.

use husk_abi::SigInfo;

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGSEGV: i32 = 11;
pub const SIGUSR2: i32 = 12;
pub const SIGPIPE: i32 = 13;
pub const SIGALRM: i32 = 14;
pub const SIGTERM: i32 = 15;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGTTIN: i32 = 21;
pub const SIGTTOU: i32 = 22;
pub const SIGURG: i32 = 23;
pub const SIGXCPU: i32 = 24;
pub const SIGXFSZ: i32 = 25;
pub const SIGVTALRM: i32 = 26;
pub const SIGPROF: i32 = 27;
pub const SIGWINCH: i32 = 28;
pub const SIGSYS: i32 = 31;
pub const SIGRTMIN: i32 = 32;
pub const NSIG: i32 = 64;

/// si_code values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_TKILL: i32 = -6;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

/// The bit of signal `sig` in a signal set.
pub const fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can be neither blocked nor caught.
pub const UNBLOCKABLE: u64 = bit(SIGKILL) | bit(SIGSTOP);

/// Synchronous (fault) signals, delivered first.
pub const SYNCHRONOUS: u64 =
    bit(SIGSEGV) | bit(SIGBUS) | bit(SIGILL) | bit(SIGTRAP) | bit(SIGFPE) | bit(SIGSYS);

/// What a signal does by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    Core,
    Ignore,
    Stop,
    Continue,
}

pub fn default_action(sig: i32) -> DefaultAction {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ignore,
        SIGCONT => DefaultAction::Continue,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => DefaultAction::Core,
        _ => DefaultAction::Terminate,
    }
}

/// A queue of pending signals: one per standard signal, several per real-time signal.
#[derive(Clone, Default)]
pub struct SigQueue {
    list: Vec<SigInfo>,
}

impl SigQueue {
    /// The set of pending signals.
    pub fn set(&self) -> u64 {
        self.list.iter().fold(0, |s, i| s | bit(i.si_signo))
    }

    /// Queues `info`; a standard signal already pending is not queued again.
    pub fn push(&mut self, info: SigInfo) {
        if info.si_signo < SIGRTMIN && self.list.iter().any(|i| i.si_signo == info.si_signo) {
            return;
        }
        self.list.push(info);
    }

    /// Takes the signal to deliver among those not in `blocked`: synchronous first, then
    /// the lowest number, first queued first.
    pub fn take(&mut self, blocked: u64) -> Option<SigInfo> {
        let avail = self.set() & !blocked;
        if avail == 0 {
            return None;
        }
        let pick = if avail & SYNCHRONOUS != 0 {
            avail & SYNCHRONOUS
        } else {
            avail
        };
        let sig = pick.trailing_zeros() as i32 + 1;
        let i = self.list.iter().position(|i| i.si_signo == sig)?;
        Some(self.list.remove(i))
    }

    /// Takes a specific signal if pending.
    pub fn take_sig(&mut self, sig: i32) -> Option<SigInfo> {
        let i = self.list.iter().position(|i| i.si_signo == sig)?;
        Some(self.list.remove(i))
    }

    /// Removes all pending instances of the signals in `set`.
    pub fn remove(&mut self, set: u64) {
        self.list.retain(|i| bit(i.si_signo) & set == 0);
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The first queued signal matching `f`, for in-place updates (timer overruns).
    pub fn find_mut(&mut self, f: impl Fn(&SigInfo) -> bool) -> Option<&mut SigInfo> {
        self.list.iter_mut().find(|i| f(i))
    }

    /// Drops the queued signals matching `f` (a deleted timer's signal).
    pub fn remove_matching(&mut self, f: impl Fn(&SigInfo) -> bool) {
        self.list.retain(|i| !f(i));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn si(sig: i32) -> SigInfo {
        SigInfo {
            si_signo: sig,
            ..Default::default()
        }
    }

    #[test]
    fn standard_signals_coalesce_and_rt_queue() {
        let mut q = SigQueue::default();
        q.push(si(SIGUSR1));
        q.push(si(SIGUSR1));
        q.push(si(SIGRTMIN));
        q.push(si(SIGRTMIN));
        assert_eq!(q.list.len(), 3);
        assert_eq!(q.take(0).map(|i| i.si_signo), Some(SIGUSR1));
        assert!(q.take(bit(SIGRTMIN)).is_none());
        assert_eq!(q.take(0).map(|i| i.si_signo), Some(SIGRTMIN));
    }

    #[test]
    fn synchronous_signals_first() {
        let mut q = SigQueue::default();
        q.push(si(SIGINT));
        q.push(si(SIGSEGV));
        assert_eq!(q.take(0).map(|i| i.si_signo), Some(SIGSEGV));
    }
}
