//! process_vm_readv and process_vm_writev: copying between the caller's memory and
//! another process's, as Linux's mm/process_vm_access.c.

use super::TaskCtx;
use crate::kernel::{KState, ProcState, Tid};
use crate::mm::{IoVec, Mm};
use husk_abi::{Errno, SysResult, PAGE_SIZE};
use std::sync::Arc;

const CAP_SYS_PTRACE: u32 = 19;

/// Linux's __ptrace_may_access in PTRACE_MODE_ATTACH_REALCREDS mode: the caller's real
/// ids must match all of the target's, and the target must be dumpable, unless the
/// caller has CAP_SYS_PTRACE over the target's user namespace.
fn may_access(st: &KState, me: Tid, target: Tid) -> bool {
    if me == target {
        return true;
    }
    let (Some(c), Some(p)) = (st.procs.get(&me), st.procs.get(&target)) else {
        return false;
    };
    let (cc, tc) = (&c.creds, &p.creds);
    if cc.capable_in(&tc.userns, CAP_SYS_PTRACE) {
        return true;
    }
    let ids_match = [tc.ruid, tc.euid, tc.suid].iter().all(|&u| u == cc.ruid)
        && [tc.rgid, tc.egid, tc.sgid].iter().all(|&g| g == cc.rgid);
    ids_match && p.dumpable
}

/// Copies `buf` to (`write`) or from the caller's iovecs `vecs`, starting `off` bytes
/// into them.
fn local_io(mm: &Mm, vecs: &[IoVec], mut off: u64, buf: &mut [u8], write: bool) -> bool {
    let mut done = 0usize;
    for v in vecs {
        if done == buf.len() {
            break;
        }
        if off >= v.len {
            off -= v.len;
            continue;
        }
        let n = ((v.len - off) as usize).min(buf.len() - done);
        let at = v.addr.wrapping_add(off);
        let piece = &mut buf[done..done + n];
        let ok = if write {
            mm.copy_out(at, piece).is_ok()
        } else {
            mm.copy_in(at, piece).is_ok()
        };
        if !ok {
            return false;
        }
        done += n;
        off = 0;
    }
    true
}

fn process_vm_rw(t: &mut TaskCtx, a: &[u64; 6], to_remote: bool) -> SysResult {
    if a[5] != 0 {
        return Err(Errno::EINVAL);
    }
    let local = t.mm.read_iovecs(a[1], a[2])?;
    let local_total: u64 = local.iter().map(|v| v.len).sum();
    if local_total == 0 {
        return Ok(0);
    }
    let remote = t.mm.read_iovecs(a[3], a[4])?;
    let target = t.gpid(a[0] as i32).ok_or(Errno::ESRCH)?;
    let rmm: Arc<Mm> = {
        let st = t.k.lock();
        let th = st.threads.get(&target).ok_or(Errno::ESRCH)?;
        let tgid = th.tgid;
        if st
            .procs
            .get(&tgid)
            .is_none_or(|p| matches!(p.state, ProcState::Zombie(_)))
        {
            return Err(Errno::ESRCH);
        }
        if !may_access(&st, t.tgid, tgid) {
            return Err(Errno::EPERM);
        }
        th.mm.clone()
    };
    let mut copied: u64 = 0;
    let mut fault = false;
    let mut page = vec![0u8; PAGE_SIZE as usize];
    'vecs: for rv in &remote {
        let mut pos = rv.addr;
        let mut left = rv.len.min(local_total - copied);
        while left > 0 {
            let n = (((pos | (PAGE_SIZE - 1)) + 1) - pos).min(left) as usize;
            let buf = &mut page[..n];
            let ok = if to_remote {
                local_io(&t.mm, &local, copied, buf, false) && rmm.copy_out(pos, buf).is_ok()
            } else {
                rmm.copy_in(pos, buf).is_ok() && local_io(&t.mm, &local, copied, buf, true)
            };
            if !ok {
                fault = true;
                break 'vecs;
            }
            copied += n as u64;
            pos += n as u64;
            left -= n as u64;
        }
        if copied == local_total {
            break;
        }
    }
    if copied == 0 && fault {
        return Err(Errno::EFAULT);
    }
    Ok(copied)
}

pub fn process_vm_readv(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    process_vm_rw(t, a, false)
}

pub fn process_vm_writev(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    process_vm_rw(t, a, true)
}
