//! Signal system calls.

use super::TaskCtx;
use crate::kernel::sigqueue::*;
use crate::kernel::{KState, ProcState, Tid};
use husk_abi::{Errno, KSigaction, SigInfo, StackT, SysResult};

fn valid_sig(sig: u64) -> Result<i32, Errno> {
    if sig == 0 || sig > NSIG as u64 {
        Err(Errno::EINVAL)
    } else {
        Ok(sig as i32)
    }
}

fn check_size(size: u64) -> Result<(), Errno> {
    if size != 8 {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

pub fn rt_sigaction(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    check_size(a[3])?;
    let sig = valid_sig(a[0])?;
    let new: Option<KSigaction> = if a[1] != 0 {
        Some(t.mm.read_obj(a[1])?)
    } else {
        None
    };
    if new.is_some() && (sig == SIGKILL || sig == SIGSTOP) {
        return Err(Errno::EINVAL);
    }
    let k = t.k.clone();
    let mut st = k.lock();
    let p = st.procs.get_mut(&t.tgid).ok_or(Errno::ESRCH)?;
    let old = p.actions[sig as usize];
    if let Some(mut n) = new {
        n.mask &= !UNBLOCKABLE;
        p.actions[sig as usize] = n;
        let ignored =
            n.handler == 1 || (n.handler == 0 && default_action(sig) == DefaultAction::Ignore);
        if ignored {
            p.shared_pending.remove(bit(sig));
            let threads = p.threads.clone();
            for tid in threads {
                if let Some(ti) = st.threads.get_mut(&tid) {
                    ti.pending.remove(bit(sig));
                }
            }
        }
    }
    drop(st);
    if a[2] != 0 {
        t.mm.write_obj(a[2], &old)?;
    }
    Ok(0)
}

pub fn rt_sigprocmask(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    check_size(a[3])?;
    let old = t.mask();
    if a[1] != 0 {
        let set: u64 = t.mm.read_obj(a[1])?;
        let new = match a[0] {
            0 => old | set,
            1 => old & !set,
            2 => set,
            _ => return Err(Errno::EINVAL),
        };
        t.set_mask(new);
    }
    if a[2] != 0 {
        t.mm.write_obj(a[2], &old)?;
    }
    Ok(0)
}

pub fn rt_sigreturn(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    t.sigreturn()
}

pub fn rt_sigpending(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[1] > 8 {
        return Err(Errno::EINVAL);
    }
    let set = {
        let st = t.k.lock();
        let tp = st.threads.get(&t.tid).map(|x| x.pending.set()).unwrap_or(0);
        let pp = st
            .procs
            .get(&t.tgid)
            .map(|p| p.shared_pending.set())
            .unwrap_or(0);
        tp | pp
    };
    t.mm.write_obj(a[0], &set)?;
    Ok(0)
}

pub fn rt_sigsuspend(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    check_size(a[1])?;
    let mask: u64 = t.mm.read_obj(a[0])?;
    let old = t.mask();
    t.saved_mask = Some(old);
    t.set_mask(mask);
    let _ = t.block_on(&[], None, |_| None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

pub fn pause(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    let _ = t.block_on(&[], None, |_| None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

pub fn rt_sigtimedwait(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    check_size(a[3])?;
    let set: u64 = t.mm.read_obj(a[0])?;
    let set = set & !UNBLOCKABLE;
    let deadline = if a[2] != 0 {
        super::futex::deadline_from(t, a[2], false, false)?
    } else {
        None
    };
    let (tid, tgid) = (t.tid, t.tgid);
    let k = t.k.clone();
    let take = |st: &mut KState| -> Option<SigInfo> {
        st.threads
            .get_mut(&tid)
            .and_then(|x| x.pending.take(!set))
            .or_else(|| {
                st.procs
                    .get_mut(&tgid)
                    .and_then(|p| p.shared_pending.take(!set))
            })
    };
    let got = {
        let mut st = k.lock();
        take(&mut st)
    };
    let info = match got {
        Some(i) => i,
        None => {
            if deadline.is_some_and(|d| d <= std::time::Instant::now()) {
                return Err(Errno::EAGAIN);
            }
            match t.block_on(&[], deadline, |_| {
                let mut st = k.lock();
                take(&mut st)
            }) {
                Ok(i) => i,
                Err(Errno::ETIMEDOUT) => return Err(Errno::EAGAIN),
                Err(_) => return Err(Errno::EINTR),
            }
        }
    };
    k.timers.delivered(tgid, &info);
    if a[1] != 0 {
        t.mm.write_obj(a[1], &info)?;
    }
    Ok(info.si_signo as u64)
}

/// Whether the caller may signal process `target`.
fn may_signal(st: &KState, sender: Tid, target: Tid, sig: i32) -> bool {
    let (Some(s), Some(p)) = (st.procs.get(&sender), st.procs.get(&target)) else {
        return false;
    };
    let c = &s.creds;
    let tc = &p.creds;
    if c.capable_in(&tc.userns, crate::kernel::caps::CAP_KILL) {
        return true;
    }
    if sig == SIGCONT && s.sid == p.sid {
        return true;
    }
    c.euid == tc.ruid || c.euid == tc.suid || c.ruid == tc.ruid || c.ruid == tc.suid
}

/// The init of a PID namespace ignores signals it has no handler for when they come
/// from inside its namespace; from a namespace above, SIGKILL and SIGSTOP still reach
/// it. (The sandbox's own init may signal itself, as before.)
fn init_protected(st: &KState, sender: Tid, target: Tid, sig: i32) -> bool {
    let Some(p) = st.procs.get(&target) else {
        return false;
    };
    if p.pidns.init() != Some(target) || p.actions[sig as usize].handler != 0 {
        return false;
    }
    // A blocked signal is never ignored (sig_ignored): it stays pending, e.g. for a
    // signalfd or sigwait.
    if sig > 0
        && st
            .threads
            .get(&target)
            .is_some_and(|t| t.mask & (1u64 << (sig - 1)) != 0)
    {
        return false;
    }
    if target == 1 {
        return sender != 1;
    }
    let from_inside = st
        .procs
        .get(&sender)
        .is_some_and(|s| p.pidns.is_ancestor_of(&s.pidns));
    from_inside || !(sig == SIGKILL || sig == SIGSTOP)
}

/// si_pid of a signal the task `t` sends to process `target`: as Linux does, the
/// sender's pid in its own namespace (not translated), or 0 when the target's namespace
/// cannot see the sender (a signal from an ancestor namespace).
fn sender_pid(st: &KState, t: &TaskCtx, target: Tid) -> Tid {
    match st.procs.get(&target) {
        Some(p) if !p.pidns.sees(t.tgid) => 0,
        _ => t.vpid(t.tgid),
    }
}

pub fn kill(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let pid = a[0] as i32;
    let sig = a[1] as i32;
    if !(0..=NSIG).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let k = t.k.clone();
    let mut st = k.lock();
    let uid = st.procs.get(&t.tgid).map(|p| p.creds.ruid).unwrap_or(0);
    let targets: Vec<Tid> = if pid > 0 {
        let g = t.gpid(pid).ok_or(Errno::ESRCH)?;
        let tgid = st
            .threads
            .get(&g)
            .map(|x| x.tgid)
            .or_else(|| st.procs.get(&g).map(|p| p.tgid));
        vec![tgid.ok_or(Errno::ESRCH)?]
    } else if pid == -1 {
        // Every process the caller can see but its namespace's init and itself.
        let ns_init = t.pidns.init();
        st.procs
            .values()
            .filter(|p| {
                p.tgid != 1
                    && Some(p.tgid) != ns_init
                    && p.tgid != t.tgid
                    && p.state == ProcState::Running
                    && t.pidns.sees(p.tgid)
            })
            .map(|p| p.tgid)
            .collect()
    } else {
        let pgid = if pid == 0 {
            st.procs.get(&t.tgid).map(|p| p.pgid).unwrap_or(0)
        } else {
            t.gpid(pid.wrapping_neg()).ok_or(Errno::ESRCH)?
        };
        st.procs
            .values()
            .filter(|p| p.pgid == pgid && p.state == ProcState::Running)
            .map(|p| p.tgid)
            .collect()
    };
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let mut sent = 0;
    for tg in targets {
        if !may_signal(&st, t.tgid, tg, sig) {
            continue;
        }
        sent += 1;
        if sig != 0 && !init_protected(&st, t.tgid, tg, sig) {
            let info = SigInfo::user(sig, SI_USER, sender_pid(&st, t, tg), uid);
            k.send_to_process(&mut st, tg, info);
        }
    }
    if sent == 0 {
        return Err(Errno::EPERM);
    }
    Ok(0)
}

fn thread_kill(t: &mut TaskCtx, tgid: Option<i32>, tid: i32, sig: i32) -> SysResult {
    if tid <= 0 || tgid.is_some_and(|g| g <= 0) || !(0..=NSIG).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let k = t.k.clone();
    let tid = t.gpid(tid).ok_or(Errno::ESRCH)?;
    let tgid = match tgid {
        Some(g) => Some(t.gpid(g).ok_or(Errno::ESRCH)?),
        None => None,
    };
    let mut st = k.lock();
    let target_tgid = st.threads.get(&tid).map(|x| x.tgid).ok_or(Errno::ESRCH)?;
    if tgid.is_some_and(|g| g != target_tgid) {
        return Err(Errno::ESRCH);
    }
    if !may_signal(&st, t.tgid, target_tgid, sig) {
        return Err(Errno::EPERM);
    }
    if sig != 0 {
        let uid = st.procs.get(&t.tgid).map(|p| p.creds.ruid).unwrap_or(0);
        let me = sender_pid(&st, t, target_tgid);
        k.send_to_thread(&mut st, tid, SigInfo::user(sig, SI_TKILL, me, uid));
    }
    Ok(0)
}

pub fn tkill(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    thread_kill(t, None, a[0] as i32, a[1] as i32)
}

pub fn tgkill(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    thread_kill(t, Some(a[0] as i32), a[1] as i32, a[2] as i32)
}

pub fn rt_sigqueueinfo(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let mut info: SigInfo = t.mm.read_obj(a[2])?;
    // Kernel-generated codes (and SI_TKILL) may only be forged for oneself.
    if (info.si_code >= 0 || info.si_code == SI_TKILL) && a[0] as i32 != t.vpid(t.tgid) {
        return Err(Errno::EPERM);
    }
    let target = t.gpid(a[0] as i32).ok_or(Errno::ESRCH)?;
    let k = t.k.clone();
    let mut st = k.lock();
    let tgid = st
        .threads
        .get(&target)
        .map(|x| x.tgid)
        .ok_or(Errno::ESRCH)?;
    let sig = queue_check(&st, t, tgid, a[1])?;
    if sig != 0 && !init_protected(&st, t.tgid, tgid, sig) {
        info.si_signo = sig;
        k.send_to_process(&mut st, tgid, info);
    }
    Ok(0)
}

/// Linux's check_kill_permission for the sigqueueinfo calls: the signal number (0 only
/// probes), then the sender's right to signal `tgid`.
fn queue_check(st: &KState, t: &TaskCtx, tgid: Tid, sig: u64) -> Result<i32, Errno> {
    if sig > NSIG as u64 {
        return Err(Errno::EINVAL);
    }
    let sig = sig as i32;
    if !may_signal(st, t.tgid, tgid, sig) {
        return Err(Errno::EPERM);
    }
    Ok(sig)
}

pub fn rt_tgsigqueueinfo(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let mut info: SigInfo = t.mm.read_obj(a[3])?;
    let (tgid, tid) = (a[0] as i32, a[1] as i32);
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    if (info.si_code >= 0 || info.si_code == SI_TKILL) && tid != t.vpid(t.tid) {
        return Err(Errno::EPERM);
    }
    let tid = t.gpid(tid).ok_or(Errno::ESRCH)?;
    let tgid = t.gpid(tgid).ok_or(Errno::ESRCH)?;
    let k = t.k.clone();
    let mut st = k.lock();
    let target_tgid = st.threads.get(&tid).map(|x| x.tgid).ok_or(Errno::ESRCH)?;
    if target_tgid != tgid {
        return Err(Errno::ESRCH);
    }
    let sig = queue_check(&st, t, tgid, a[2])?;
    if sig != 0 {
        info.si_signo = sig;
        k.send_to_thread(&mut st, tid, info);
    }
    Ok(0)
}

pub fn sigaltstack(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    const SS_AUTODISARM: i32 = 1 << 31;
    let on = t.on_altstack(t.regs.rsp);
    let old = StackT {
        ss_sp: t.altstack.ss_sp,
        ss_flags: if on { 1 } else { t.altstack.ss_flags & 2 },
        pad: 0,
        ss_size: t.altstack.ss_size,
    };
    if a[0] != 0 {
        let new: StackT = t.mm.read_obj(a[0])?;
        if on {
            return Err(Errno::EPERM);
        }
        let flags = new.ss_flags & !SS_AUTODISARM;
        if flags != 0 && flags != 2 {
            return Err(Errno::EINVAL);
        }
        if flags == 2 {
            t.altstack = StackT {
                ss_sp: 0,
                ss_flags: 2,
                pad: 0,
                ss_size: 0,
            };
        } else {
            if new.ss_size < 2048 {
                return Err(Errno::ENOMEM);
            }
            t.altstack = StackT {
                ss_sp: new.ss_sp,
                ss_flags: 0,
                pad: 0,
                ss_size: new.ss_size,
            };
        }
    }
    if a[1] != 0 {
        t.mm.write_obj(a[1], &old)?;
    }
    Ok(0)
}
