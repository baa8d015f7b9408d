//! Futexes: wait queues keyed by address (private) or memory-file page (shared).

use super::task::TaskCtx;
use crate::mm::Mm;
use crate::waiter::Waker;
use husk_abi::{Errno, RobustListHead, SysResult};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

type Key = (u64, u64);

struct FutexWaiter {
    woken: AtomicBool,
    bitset: u32,
    waker: Arc<Waker>,
}

/// All futex waiters of the sandbox.
#[derive(Default)]
pub struct FutexTable {
    inner: Mutex<HashMap<Key, Vec<Arc<FutexWaiter>>>>,
}

impl FutexTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, Vec<Arc<FutexWaiter>>>> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// FUTEX_WAIT(_BITSET): sleeps if `*addr == val` until woken, a signal, or `deadline`.
    pub fn wait(
        &self,
        t: &mut TaskCtx,
        addr: u64,
        val: u32,
        bitset: u32,
        deadline: Option<Instant>,
        private: bool,
    ) -> SysResult {
        if !addr.is_multiple_of(4) {
            return Err(Errno::EINVAL);
        }
        if bitset == 0 {
            return Err(Errno::EINVAL);
        }
        let key = t.mm.futex_key(addr, private)?;
        let w = Arc::new(FutexWaiter {
            woken: AtomicBool::new(false),
            bitset,
            waker: t.handle.waker.clone(),
        });
        {
            let mut g = self.lock();
            let cur = t.mm.read_u32(addr)?;
            if cur != val {
                return Err(Errno::EAGAIN);
            }
            g.entry(key).or_default().push(w.clone());
        }
        let r = t.block_on(&[], deadline, |_| {
            w.woken.load(Ordering::SeqCst).then_some(())
        });
        if r.is_err() {
            let mut g = self.lock();
            for list in g.values_mut() {
                list.retain(|x| !Arc::ptr_eq(x, &w));
            }
            g.retain(|_, l| !l.is_empty());
            if w.woken.load(Ordering::SeqCst) {
                return Ok(0);
            }
        }
        match r {
            Ok(()) => Ok(0),
            Err(Errno::EINTR) => Err(Errno::ERESTARTSYS),
            Err(e) => Err(e),
        }
    }

    /// FUTEX_WAKE(_BITSET): wakes up to `n` waiters whose bitset matches.
    pub fn wake(&self, mm: &Mm, addr: u64, private: bool, n: u32, bitset: u32) -> SysResult {
        if bitset == 0 {
            return Err(Errno::EINVAL);
        }
        let key = mm.futex_key(addr, private)?;
        let mut g = self.lock();
        let mut woke = 0u32;
        if let Some(list) = g.get_mut(&key) {
            list.retain(|w| {
                if woke < n && w.bitset & bitset != 0 {
                    w.woken.store(true, Ordering::SeqCst);
                    w.waker.notify();
                    woke += 1;
                    false
                } else {
                    true
                }
            });
            if list.is_empty() {
                g.remove(&key);
            }
        }
        Ok(woke as u64)
    }

    /// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE.
    #[allow(clippy::too_many_arguments)]
    pub fn requeue(
        &self,
        mm: &Mm,
        addr: u64,
        addr2: u64,
        private: bool,
        n_wake: u32,
        n_requeue: u32,
        cmp: Option<u32>,
    ) -> SysResult {
        let key = mm.futex_key(addr, private)?;
        let key2 = mm.futex_key(addr2, private)?;
        let mut g = self.lock();
        if let Some(v) = cmp {
            if mm.read_u32(addr)? != v {
                return Err(Errno::EAGAIN);
            }
        }
        let mut list = g.remove(&key).unwrap_or_default();
        let mut count = 0u64;
        let wake_n = (n_wake as usize).min(list.len());
        for w in list.drain(..wake_n) {
            w.woken.store(true, Ordering::SeqCst);
            w.waker.notify();
            count += 1;
        }
        let req_n = (n_requeue as usize).min(list.len());
        let moved: Vec<_> = list.drain(..req_n).collect();
        count += moved.len() as u64;
        if !moved.is_empty() {
            g.entry(key2).or_default().extend(moved);
        }
        if !list.is_empty() {
            g.insert(key, list);
        }
        Ok(count)
    }

    /// FUTEX_WAKE_OP.
    #[allow(clippy::too_many_arguments)]
    pub fn wake_op(
        &self,
        mm: &Mm,
        addr: u64,
        addr2: u64,
        private: bool,
        n: u32,
        n2: u32,
        op: u32,
    ) -> SysResult {
        let opcode = (op >> 28) & 7;
        let cmp = (op >> 24) & 15;
        let mut oparg = (op >> 12) & 0xfff;
        let cmparg = op & 0xfff;
        if (op >> 31) & 1 != 0 {
            oparg = 1 << oparg.min(31);
        }
        let old = {
            let _g = self.lock();
            let old = mm.read_u32(addr2)?;
            let new = match opcode {
                0 => oparg,
                1 => old.wrapping_add(oparg),
                2 => old | oparg,
                3 => old & !oparg,
                4 => old ^ oparg,
                _ => return Err(Errno::ENOSYS),
            };
            mm.write_obj(addr2, &new)?;
            old
        };
        let mut r = self.wake(mm, addr, private, n, u32::MAX)?;
        let (o, c) = (old as i32, cmparg as i32);
        let hit = match cmp {
            0 => o == c,
            1 => o != c,
            2 => o < c,
            3 => o <= c,
            4 => o > c,
            5 => o >= c,
            _ => return Err(Errno::ENOSYS),
        };
        if hit {
            r += self.wake(mm, addr2, private, n2, u32::MAX)?;
        }
        Ok(r)
    }
}

const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

fn handle_robust_futex(t: &TaskCtx, uaddr: u64) {
    let Ok(val) = t.mm.read_u32(uaddr) else {
        return;
    };
    if val & FUTEX_TID_MASK != t.tid as u32 {
        return;
    }
    let new = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if t.mm.write_obj(uaddr, &new).is_err() {
        return;
    }
    if val & FUTEX_WAITERS != 0 {
        let _ = t.k.futexes.wake(&t.mm, uaddr, false, 1, u32::MAX);
        let _ = t.k.futexes.wake(&t.mm, uaddr, true, 1, u32::MAX);
    }
}

/// Marks the robust futexes the exiting task holds as owner-died and wakes a waiter.
pub fn exit_robust_list(t: &mut TaskCtx) {
    let head_addr = t.robust_list;
    t.robust_list = 0;
    let Ok(head) = t.mm.read_obj::<RobustListHead>(head_addr) else {
        return;
    };
    let mut entry = head.list & !1;
    let mut n = 0;
    while entry != head_addr && entry != 0 && n < 2048 {
        let next = t.mm.read_u64(entry).unwrap_or(0) & !1;
        if entry != head.list_op_pending {
            handle_robust_futex(t, entry.wrapping_add(head.futex_offset as u64));
        }
        entry = next;
        n += 1;
    }
    if head.list_op_pending != 0 {
        handle_robust_futex(
            t,
            (head.list_op_pending & !1).wrapping_add(head.futex_offset as u64),
        );
    }
}
