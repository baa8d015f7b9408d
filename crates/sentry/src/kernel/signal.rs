//! Signal delivery: dequeueing, default actions, group stop, signal frames (x86-64) and
//! rt_sigreturn, and the syscall restart rules.

use super::sigqueue::*;
use super::task::{signal_status, ExitKind, TaskCtx};
use super::*;
use husk_abi::{Errno, FpRegs, RtSigframe, SigContext, StackT, SysResult, UContext};
use zerocopy::FromBytes;

pub const SA_NOCLDSTOP: u64 = 1;
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_SIGINFO: u64 = 4;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;

impl TaskCtx {
    /// Whether `sp` is on the alternate signal stack.
    pub fn on_altstack(&self, sp: u64) -> bool {
        let a = &self.altstack;
        a.ss_flags & SS_DISABLE == 0 && sp > a.ss_sp && sp - a.ss_sp <= a.ss_size
    }

    fn restart_syscall(&mut self) {
        self.regs.rax = self.regs.orig_rax;
        self.regs.rip -= 2;
    }

    /// Resolves a pending restart code now that a handler runs (or not).
    fn resolve_restart(&mut self, handler: Option<u64>) {
        let Some(code) = self.pending_restart.take() else {
            return;
        };
        match handler {
            None => self.restart_syscall(),
            Some(flags) => {
                if code == Errno::ERESTARTNOINTR
                    || (code == Errno::ERESTARTSYS && flags & SA_RESTART != 0)
                {
                    self.restart_syscall();
                } else {
                    self.regs.rax = Errno::EINTR.as_return();
                }
            }
        }
    }

    /// Handles exits, stops and pending signals before returning to the application.
    pub fn check_signals(&mut self) {
        loop {
            let k = self.k.clone();
            let mut st = k.lock();
            if st.threads.get(&self.tid).is_none_or(|t| t.killed_by_exec) {
                self.exit = Some(ExitKind::Thread(0));
                return;
            }
            let Some(p) = st.procs.get(&self.tgid) else {
                self.exit = Some(ExitKind::Thread(0));
                return;
            };
            if let Some(g) = p.group_exit {
                self.exit = Some(ExitKind::Group(g));
                return;
            }
            if p.stopped {
                drop(st);
                self.handle
                    .waker
                    .wait(Some(Instant::now() + Duration::from_millis(200)));
                continue;
            }
            let mask = st.threads.get(&self.tid).map(|t| t.mask).unwrap_or(0);
            let info = st
                .threads
                .get_mut(&self.tid)
                .and_then(|t| t.pending.take(mask))
                .or_else(|| {
                    st.procs
                        .get_mut(&self.tgid)
                        .and_then(|p| p.shared_pending.take(mask))
                });
            if let Some(i) = &info {
                k.timers.delivered(self.tgid, i);
            }
            let Some(info) = info else {
                drop(st);
                self.resolve_restart(None);
                if let Some(m) = self.saved_mask.take() {
                    self.set_mask(m);
                }
                return;
            };
            let sig = info.si_signo;
            // Linux discards the job-control stops (not SIGSTOP) of orphaned groups.
            let orphan_stop = sig != SIGSTOP
                && default_action(sig) == DefaultAction::Stop
                && st
                    .procs
                    .get(&self.tgid)
                    .is_some_and(|p| st.is_orphaned_pgrp(p.pgid));
            let Some(p) = st.procs.get_mut(&self.tgid) else {
                return;
            };
            let act = p.actions[sig as usize];
            match act.handler {
                1 => continue,
                0 => match default_action(sig) {
                    DefaultAction::Ignore | DefaultAction::Continue => continue,
                    DefaultAction::Stop if orphan_stop => continue,
                    DefaultAction::Stop => {
                        p.stopped = true;
                        p.stop_sig = sig;
                        p.stop_report = true;
                        p.cont_report = false;
                        let (parent, uid, threads) = (p.parent, p.creds.ruid, p.threads.clone());
                        for t in threads {
                            if let Some(ti) = st.threads.get(&t) {
                                ti.handle.kick();
                            }
                        }
                        k.notify_parent(&mut st, parent, self.tgid, uid, CLD_STOPPED, sig, true);
                        continue;
                    }
                    DefaultAction::Terminate | DefaultAction::Core => {
                        let status = signal_status(sig, default_action(sig) == DefaultAction::Core);
                        p.group_exit = Some(status);
                        for t in p.threads.clone() {
                            if let Some(ti) = st.threads.get(&t) {
                                ti.handle.kick();
                            }
                        }
                        self.exit = Some(ExitKind::Group(status));
                        return;
                    }
                },
                _ => {
                    if act.flags & SA_RESETHAND != 0 {
                        p.actions[sig as usize].handler = 0;
                        p.actions[sig as usize].flags &= !SA_SIGINFO;
                    }
                    drop(st);
                    self.resolve_restart(Some(act.flags));
                    let old_mask = self.saved_mask.take().unwrap_or(mask);
                    self.sync_stack_limit();
                    if self.setup_frame(&info, &act, old_mask).is_err() {
                        // The stack is unusable: the process dies of SIGSEGV.
                        let mut st = k.lock();
                        if let Some(p) = st.procs.get_mut(&self.tgid) {
                            p.group_exit = Some(signal_status(SIGSEGV, true));
                        }
                        self.exit = Some(ExitKind::Group(signal_status(SIGSEGV, true)));
                        return;
                    }
                    let mut new_mask = mask | act.mask;
                    if act.flags & SA_NODEFER == 0 {
                        new_mask |= bit(sig);
                    }
                    self.set_mask(new_mask);
                    // More may be pending: look again before running.
                    self.handle.attention.store(true, Ordering::SeqCst);
                    return;
                }
            }
        }
    }

    /// Sets the blocked mask (SIGKILL and SIGSTOP cannot be blocked).
    pub fn set_mask(&mut self, mask: u64) {
        let mut st = self.k.lock();
        if let Some(t) = st.threads.get_mut(&self.tid) {
            t.mask = mask & !UNBLOCKABLE;
        }
        self.handle.attention.store(true, Ordering::SeqCst);
    }

    pub fn mask(&self) -> u64 {
        self.k
            .lock()
            .threads
            .get(&self.tid)
            .map(|t| t.mask)
            .unwrap_or(0)
    }

    /// Builds an rt_sigframe on the application stack and points the registers at the
    /// handler.
    fn setup_frame(
        &mut self,
        info: &SigInfo,
        act: &KSigaction,
        old_mask: u64,
    ) -> Result<(), Errno> {
        let r = self.regs;
        let on_alt = self.on_altstack(r.rsp);
        let mut sp =
            if act.flags & SA_ONSTACK != 0 && self.altstack.ss_flags & SS_DISABLE == 0 && !on_alt {
                self.altstack.ss_sp + self.altstack.ss_size
            } else {
                r.rsp - 128
            };
        let fp = self.ctx.fpregs().unwrap_or_default();
        sp = (sp - 512) & !63;
        let fpstate = sp;
        sp -= std::mem::size_of::<RtSigframe>() as u64;
        sp = ((sp + 8) & !15) - 8;
        let ss_flags = if self.altstack.ss_flags & SS_DISABLE != 0 {
            SS_DISABLE
        } else if on_alt {
            SS_ONSTACK
        } else {
            0
        };
        let mc = SigContext {
            r8: r.r8,
            r9: r.r9,
            r10: r.r10,
            r11: r.r11,
            r12: r.r12,
            r13: r.r13,
            r14: r.r14,
            r15: r.r15,
            rdi: r.rdi,
            rsi: r.rsi,
            rbp: r.rbp,
            rbx: r.rbx,
            rdx: r.rdx,
            rax: r.rax,
            rcx: r.rcx,
            rsp: r.rsp,
            rip: r.rip,
            eflags: r.eflags,
            cs: r.cs as u16,
            ss: r.ss as u16,
            trapno: if matches!(info.si_signo, SIGSEGV | SIGBUS) {
                14
            } else {
                0
            },
            oldmask: old_mask,
            cr2: if matches!(info.si_signo, SIGSEGV | SIGBUS) {
                info.addr()
            } else {
                0
            },
            fpstate,
            ..Default::default()
        };
        let frame = RtSigframe {
            pretcode: act.restorer,
            uc: UContext {
                uc_flags: 0x6,
                uc_link: 0,
                uc_stack: StackT {
                    ss_sp: self.altstack.ss_sp,
                    ss_flags,
                    pad: 0,
                    ss_size: self.altstack.ss_size,
                },
                uc_mcontext: mc,
                uc_sigmask: old_mask,
            },
            info: *info,
        };
        self.mm.copy_out(fpstate, &fp.0)?;
        self.mm.write_obj(sp, &frame)?;
        self.regs.rsp = sp;
        self.regs.rip = act.handler;
        self.regs.rdi = info.si_signo as u64;
        self.regs.rsi = sp + 8 + std::mem::size_of::<UContext>() as u64;
        self.regs.rdx = sp + 8;
        self.regs.rax = 0;
        self.regs.eflags &= !(0x400 | 0x100 | 0x10000);
        Ok(())
    }

    /// rt_sigreturn.
    pub fn sigreturn(&mut self) -> SysResult {
        let addr = self.regs.rsp.wrapping_sub(8);
        let frame: RtSigframe = match self.mm.read_obj(addr) {
            Ok(f) => f,
            Err(_) => {
                let k = self.k.clone();
                let mut st = k.lock();
                let si = SigInfo {
                    si_signo: SIGSEGV,
                    si_code: SI_KERNEL,
                    ..Default::default()
                };
                self.force_signal(&mut st, si);
                self.regs_replaced = true;
                return Ok(0);
            }
        };
        let m = frame.uc.uc_mcontext;
        let r = &mut self.regs;
        r.r8 = m.r8;
        r.r9 = m.r9;
        r.r10 = m.r10;
        r.r11 = m.r11;
        r.r12 = m.r12;
        r.r13 = m.r13;
        r.r14 = m.r14;
        r.r15 = m.r15;
        r.rdi = m.rdi;
        r.rsi = m.rsi;
        r.rbp = m.rbp;
        r.rbx = m.rbx;
        r.rdx = m.rdx;
        r.rax = m.rax;
        r.rcx = m.rcx;
        r.rsp = m.rsp;
        r.rip = m.rip;
        const FIX_EFLAGS: u64 = 0x40dd5;
        r.eflags = (r.eflags & !FIX_EFLAGS) | (m.eflags & FIX_EFLAGS);
        r.orig_rax = u64::MAX;
        if m.fpstate != 0 {
            let mut b = [0u8; 512];
            if self.mm.copy_in(m.fpstate, &mut b).is_ok() {
                if let Ok(fp) = FpRegs::read_from_bytes(&b) {
                    let _ = self.ctx.set_fpregs(&fp);
                }
            }
        }
        let us = frame.uc.uc_stack;
        if us.ss_flags & SS_DISABLE != 0 {
            self.altstack = StackT {
                ss_flags: SS_DISABLE,
                ..Default::default()
            };
        } else if !self.on_altstack(self.regs.rsp) {
            self.altstack = StackT {
                ss_sp: us.ss_sp,
                ss_flags: 0,
                pad: 0,
                ss_size: us.ss_size,
            };
        }
        self.set_mask(frame.uc.uc_sigmask);
        self.regs_replaced = true;
        Ok(self.regs.rax)
    }
}
