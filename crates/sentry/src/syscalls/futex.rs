//! futex(2).

use super::TaskCtx;
use husk_abi::{Errno, SysResult, Timespec};
use std::time::{Duration, Instant};

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

/// Converts a timespec to a deadline: relative, or absolute on the given clock.
pub fn deadline_from(
    t: &TaskCtx,
    addr: u64,
    absolute: bool,
    realtime: bool,
) -> Result<Option<Instant>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: Timespec = t.mm.read_obj(addr)?;
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let d = Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
    if !absolute {
        return Ok(Instant::now().checked_add(d));
    }
    let now = if realtime {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
    } else {
        super::time::monotonic_now(t)
    };
    Ok(Some(Instant::now() + d.saturating_sub(now)))
}

pub fn futex(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (addr, op, val) = (a[0], a[1], a[2] as u32);
    let private = op & FUTEX_PRIVATE != 0;
    let realtime = op & FUTEX_CLOCK_REALTIME != 0;
    let cmd = op & !(FUTEX_PRIVATE | FUTEX_CLOCK_REALTIME);
    let k = t.k.clone();
    match cmd {
        FUTEX_WAIT => {
            let dl = deadline_from(t, a[3], false, false)?;
            k.futexes.wait(t, addr, val, u32::MAX, dl, private)
        }
        FUTEX_WAIT_BITSET => {
            let dl = deadline_from(t, a[3], true, realtime)?;
            k.futexes.wait(t, addr, val, a[5] as u32, dl, private)
        }
        FUTEX_WAKE => k.futexes.wake(&t.mm, addr, private, val, u32::MAX),
        FUTEX_WAKE_BITSET => k.futexes.wake(&t.mm, addr, private, val, a[5] as u32),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE if (val as i32) < 0 || (a[3] as i32) < 0 => {
            Err(Errno::EINVAL)
        }
        FUTEX_REQUEUE => k
            .futexes
            .requeue(&t.mm, addr, a[4], private, val, a[3] as u32, None),
        FUTEX_CMP_REQUEUE => k.futexes.requeue(
            &t.mm,
            addr,
            a[4],
            private,
            val,
            a[3] as u32,
            Some(a[5] as u32),
        ),
        FUTEX_WAKE_OP => {
            k.futexes
                .wake_op(&t.mm, addr, a[4], private, val, a[3] as u32, a[5] as u32)
        }
        _ => Err(Errno::ENOSYS),
    }
}
