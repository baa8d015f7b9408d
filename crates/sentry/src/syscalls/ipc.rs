//! System V IPC: shmget/shmat/shmdt/shmctl, semget/semop/semtimedop/semctl,
//! msgget/msgsnd/msgrcv/msgctl. State lives in `kernel::ipc`.

use super::TaskCtx;
use crate::kernel::ipc::*;
use crate::mm::{Backing, Vma, VmaFlags};
use husk_abi::{page_up, Errno, SysResult, Timespec, PAGE_SIZE};
use husk_platform::Access;
use std::time::{Duration, Instant};

const SHM_RDONLY: u32 = 0o10000;
const SHM_RND: u32 = 0o20000;
const SHM_REMAP: u32 = 0o40000;
const SHM_EXEC: u32 = 0o100000;
const SHMLBA: u64 = PAGE_SIZE;

const SHM_LOCK: u32 = 11;
const SHM_UNLOCK: u32 = 12;
const SHM_STAT: u32 = 13;
const SHM_INFO: u32 = 14;
const SHM_STAT_ANY: u32 = 15;

const GETPID: u32 = 11;
const GETVAL: u32 = 12;
const GETALL: u32 = 13;
const GETNCNT: u32 = 14;
const GETZCNT: u32 = 15;
const SETVAL: u32 = 16;
const SETALL: u32 = 17;
const SEM_STAT: u32 = 18;
const SEM_INFO: u32 = 19;
const SEM_STAT_ANY: u32 = 20;

const MSG_STAT: u32 = 11;
const MSG_INFO: u32 = 12;
const MSG_STAT_ANY: u32 = 13;

const S_IRUGO: u32 = 0o444;
const S_IWUGO: u32 = 0o222;
const S_IXUGO: u32 = 0o111;

fn caller(t: &TaskCtx) -> Caller {
    Caller::from_creds(&t.creds(), t.tgid)
}

/// Maps the result of a System V wait: these calls are never restarted (signal(7)).
fn sysv_wait<R>(r: Result<Result<R, Errno>, Errno>) -> Result<R, Errno> {
    match r {
        Ok(r) => r,
        Err(Errno::ETIMEDOUT) => Err(Errno::EAGAIN),
        Err(e) => Err(e),
    }
}

/// The id's table lookup for the *_STAT commands (which take an index) and the others.
fn stat_id<T>(t: &Table<T>, id: i32, by_index: bool) -> Result<i32, Errno> {
    if by_index {
        t.by_index(id).ok_or(Errno::EINVAL)
    } else if t.objs.contains_key(&id) {
        Ok(id)
    } else {
        Err(Errno::EINVAL)
    }
}

/// IPC_STAT (by id) and the *_STAT / *_STAT_ANY commands (by index, `any` skipping the
/// read permission check): the return value and the encoded `*id64_ds`.
fn stat_of<T: IpcObject>(
    table: &Table<T>,
    id: i32,
    by_index: bool,
    any: bool,
    c: &Caller,
) -> Result<(i32, Vec<u8>), Errno> {
    let id = stat_id(table, id, by_index)?;
    let o = table.objs.get(&id).ok_or(Errno::EINVAL)?;
    if !any {
        o.perm().check(c, S_IRUGO)?;
    }
    Ok((if by_index { id } else { 0 }, o.encode()))
}

// ---- shared memory ----

pub fn shmget(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let c = caller(t);
    let mf = t.mm.mf.clone();
    let ipc_ns = t.ipc_ns();
    let mut st = ipc_ns.lock();
    Ok(st.shmget(&mf, a[0] as i32, a[1], a[2] as u32, &c)? as u64)
}

pub fn shmat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (id, mut addr, flg) = (a[0] as i32, a[1], a[2] as u32);
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    if addr != 0 {
        if addr & (SHMLBA - 1) != 0 {
            if flg & SHM_RND == 0 {
                return Err(Errno::EINVAL);
            }
            addr &= !(SHMLBA - 1);
            if addr == 0 && flg & SHM_REMAP != 0 {
                return Err(Errno::EINVAL);
            }
        }
    } else if flg & SHM_REMAP != 0 {
        return Err(Errno::EINVAL);
    }
    let rdonly = flg & SHM_RDONLY != 0;
    let exec = flg & SHM_EXEC != 0;
    let c = caller(t);
    let (seg, key) = {
        let ipc_ns = t.ipc_ns();
        let mut st = ipc_ns.lock();
        st.purge_shm();
        let shm = st.shm.objs.get(&id).ok_or(Errno::EINVAL)?;
        let mut acc = if rdonly { S_IRUGO } else { S_IRUGO | S_IWUGO };
        if exec {
            acc |= S_IXUGO;
        }
        shm.perm.check(&c, acc)?;
        (shm.seg.clone(), shm.perm.key)
    };
    let len = page_up(seg.size);
    let start = if addr != 0 {
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        if end > t.mm.max_addr {
            return Err(Errno::EINVAL);
        }
        if flg & SHM_REMAP == 0 && t.mm.overlaps(addr, end) {
            return Err(Errno::EINVAL);
        }
        addr
    } else {
        t.mm.find_free(len, 0)?
    };
    t.mm.insert_vma(Vma {
        start,
        end: start + len,
        prot: Access {
            read: true,
            write: !rdonly,
            exec,
        },
        shared: true,
        growsdown: false,
        backing: Backing::File {
            obj: seg,
            offset: 0,
            path: format!("/SYSV{:08x} (deleted)", key as u32),
        },
        name: "",
        flags: VmaFlags {
            deny_write: rdonly,
            ..Default::default()
        },
    });
    let ipc_ns = t.ipc_ns();
    let mut st = ipc_ns.lock();
    if let Some(s) = st.shm.objs.get_mut(&id) {
        s.atime = now_secs();
        s.lpid = t.tgid;
    }
    Ok(start)
}

pub fn shmdt(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let addr = a[0];
    if !addr.is_multiple_of(PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    // The file-backed VMAs at or above addr: (start, end, ident, offset).
    let vmas: Vec<(u64, u64, (u64, u64), u64)> = {
        let inner = t.mm.lock();
        inner
            .vmas()
            .filter(|v| v.start >= addr)
            .filter_map(|v| match &v.backing {
                Backing::File { obj, offset, .. } => Some((v.start, v.end, obj.ident(), *offset)),
                Backing::Anon => None,
            })
            .collect()
    };
    // The attachment starts where the segment's offset 0 would be at addr.
    let Some(&(_, _, ident, _)) = vmas
        .iter()
        .find(|(s, _, id, off)| id.0 == SHM_MAP_DEV && s - addr == *off)
    else {
        return Err(Errno::EINVAL);
    };
    let id = ident.1 as i32;
    let size = {
        let ipc_ns = t.ipc_ns();
        let st = ipc_ns.lock();
        match st.shm.objs.get(&id) {
            Some(s) => page_up(s.seg.size),
            None => return Err(Errno::EINVAL),
        }
    };
    for &(s, e, i, _) in &vmas {
        if i == ident && e - addr <= size {
            t.mm.munmap(s, e - s)?;
        }
    }
    let ipc_ns = t.ipc_ns();
    let mut st = ipc_ns.lock();
    if let Some(s) = st.shm.objs.get_mut(&id) {
        s.dtime = now_secs();
        s.lpid = t.tgid;
    }
    st.purge_shm();
    Ok(0)
}

pub fn shmctl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (id, cmd, buf) = (a[0] as i32, a[1] as u32, a[2]);
    if id < 0 || (a[1] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let c = caller(t);
    match cmd {
        IPC_INFO => {
            let mut b = vec![0u8; 72];
            let r = {
                let ipc_ns = t.ipc_ns();
                let mut st = ipc_ns.lock();
                let l = st.limits;
                put_u64(&mut b, 0, l.shmmax);
                put_u64(&mut b, 8, SHMMIN);
                put_u64(&mut b, 16, l.shmmni as u64);
                put_u64(&mut b, 24, l.shmmni as u64);
                put_u64(&mut b, 32, l.shmall);
                st.purge_shm();
                st.shm.max_idx()
            };
            t.mm.copy_out(buf, &b)?;
            Ok(r as u64)
        }
        SHM_INFO => {
            let (r, b) = {
                let ipc_ns = t.ipc_ns();
                let mut st = ipc_ns.lock();
                st.purge_shm();
                let mut b = vec![0u8; 48];
                put_u32(&mut b, 0, st.shm.objs.len() as u32);
                let tot: u64 = st
                    .shm
                    .objs
                    .values()
                    .map(|s| page_up(s.seg.size) / PAGE_SIZE)
                    .sum();
                let rss: u64 = st
                    .shm
                    .objs
                    .values()
                    .map(|s| s.seg.data.blocks() / (PAGE_SIZE / 512))
                    .sum();
                put_u64(&mut b, 8, tot);
                put_u64(&mut b, 16, rss);
                (st.shm.max_idx(), b)
            };
            t.mm.copy_out(buf, &b)?;
            Ok(r as u64)
        }
        IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
            let (r, b) = {
                let ipc_ns = t.ipc_ns();
                let mut st = ipc_ns.lock();
                st.purge_shm();
                stat_of(&st.shm, id, cmd != IPC_STAT, cmd == SHM_STAT_ANY, &c)?
            };
            t.mm.copy_out(buf, &b)?;
            Ok(r as u64)
        }
        IPC_SET => {
            let mut b = vec![0u8; 112];
            t.mm.copy_in(buf, &mut b)?;
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            st.purge_shm();
            let s = st.shm.objs.get_mut(&id).ok_or(Errno::EINVAL)?;
            s.perm.check_owner(&c)?;
            s.perm.set_from(&b);
            s.ctime = now_secs();
            Ok(0)
        }
        IPC_RMID => {
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            st.purge_shm();
            let s = st.shm.objs.get_mut(&id).ok_or(Errno::EINVAL)?;
            s.perm.check_owner(&c)?;
            s.perm.mode |= SHM_DEST;
            s.perm.key = IPC_PRIVATE;
            s.ctime = now_secs();
            st.purge_shm();
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => {
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            st.purge_shm();
            let s = st.shm.objs.get_mut(&id).ok_or(Errno::EINVAL)?;
            s.perm.check_owner(&c)?;
            if cmd == SHM_LOCK {
                s.perm.mode |= SHM_LOCKED;
            } else {
                s.perm.mode &= !SHM_LOCKED;
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

// ---- semaphores ----

pub fn semget(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let c = caller(t);
    let ipc_ns = t.ipc_ns();
    let mut st = ipc_ns.lock();
    Ok(st.semget(a[0] as i32, a[1] as i32, a[2] as u32, &c)? as u64)
}

pub fn semop(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    semtimedop(t, &[a[0], a[1], a[2], 0, 0, 0])
}

pub fn semtimedop(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (id, sops_addr, nsops, timeout) = (a[0] as i32, a[1], a[2], a[3]);
    if nsops == 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if nsops > t.ipc_ns().lock().limits.sem[2].max(0) as u64 {
        return Err(Errno::E2BIG);
    }
    let mut raw = vec![0u8; nsops as usize * 6];
    t.mm.copy_in(sops_addr, &mut raw)?;
    let sops: Vec<SemBuf> = raw
        .chunks_exact(6)
        .map(|c| SemBuf {
            num: u16::from_le_bytes([c[0], c[1]]),
            op: i16::from_le_bytes([c[2], c[3]]),
            flg: i16::from_le_bytes([c[4], c[5]]),
        })
        .collect();
    let deadline = if timeout != 0 {
        let ts: Timespec = t.mm.read_obj(timeout)?;
        if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
            return Err(Errno::EINVAL);
        }
        Some(Instant::now() + Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    } else {
        None
    };
    let c = caller(t);
    let tgid = t.tgid;
    let (serial, wq) = {
        let ipc_ns = t.ipc_ns();
        let st = ipc_ns.lock();
        let set = st.sem.objs.get(&id).ok_or(Errno::EINVAL)?;
        let max = sops.iter().map(|s| s.num as usize).max().unwrap_or(0);
        if max >= set.sems.len() {
            return Err(Errno::EFBIG);
        }
        let alter = sops.iter().any(|s| s.op != 0);
        set.perm.check(&c, if alter { S_IWUGO } else { S_IRUGO })?;
        (set.serial, set.wq.clone())
    };
    let waiter = new_waiter();
    let attempt = |t: &mut TaskCtx| -> Option<Result<u64, Errno>> {
        let ipc_ns = t.ipc_ns();
        let mut st = ipc_ns.lock();
        if st.sem.objs.get(&id).is_none_or(|s| s.serial != serial) {
            return Some(Err(Errno::EIDRM));
        }
        let r = st.semop_try(id, &sops, tgid);
        let set = st.sem.objs.get_mut(&id)?;
        match r {
            Ok(SemTry::Done) => {
                set.waiters.remove(&waiter);
                Some(Ok(0))
            }
            Ok(SemTry::Block(n, zero)) => {
                set.waiters.insert(waiter, (n, zero));
                None
            }
            Err(e) => {
                set.waiters.remove(&waiter);
                Some(Err(e))
            }
        }
    };
    let r = t.block_on(&[wq], deadline, attempt);
    let ipc_ns = t.ipc_ns();
    let mut st = ipc_ns.lock();
    if let Some(set) = st.sem.objs.get_mut(&id) {
        if set.serial == serial {
            set.waiters.remove(&waiter);
        }
    }
    sysv_wait(r)
}

pub fn semctl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (id, num, cmd, arg) = (a[0] as i32, a[1] as i32, a[2] as u32, a[3]);
    if id < 0 || (a[2] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let c = caller(t);
    match cmd {
        IPC_INFO | SEM_INFO => {
            let (r, b) = {
                let ipc_ns = t.ipc_ns();
                let st = ipc_ns.lock();
                let mut b = vec![0u8; 40];
                let sets = st.sem.objs.len() as u32;
                let sems: usize = st.sem.objs.values().map(|s| s.sems.len()).sum();
                let [msl, mns, opm, mni] = st.limits.sem.map(|v| v as u32);
                let vals: [u32; 10] = [
                    mns,
                    mni,
                    mns,
                    mns,
                    msl,
                    opm,
                    opm,
                    if cmd == SEM_INFO { sets } else { 20 },
                    SEMVMX as u32,
                    if cmd == SEM_INFO {
                        sems as u32
                    } else {
                        SEMAEM as u32
                    },
                ];
                for (i, v) in vals.iter().enumerate() {
                    put_u32(&mut b, i * 4, *v);
                }
                (st.sem.max_idx(), b)
            };
            t.mm.copy_out(arg, &b)?;
            Ok(r as u64)
        }
        IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
            let (r, b) = {
                let ipc_ns = t.ipc_ns();
                let st = ipc_ns.lock();
                stat_of(&st.sem, id, cmd != IPC_STAT, cmd == SEM_STAT_ANY, &c)?
            };
            t.mm.copy_out(arg, &b)?;
            Ok(r as u64)
        }
        IPC_SET => {
            let mut b = vec![0u8; 104];
            t.mm.copy_in(arg, &mut b)?;
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            let s = st.sem.objs.get_mut(&id).ok_or(Errno::EINVAL)?;
            s.perm.check_owner(&c)?;
            s.perm.set_from(&b);
            s.ctime = now_secs();
            Ok(0)
        }
        IPC_RMID => {
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            let s = st.sem.objs.get(&id).ok_or(Errno::EINVAL)?;
            s.perm.check_owner(&c)?;
            st.sem_remove(id);
            Ok(0)
        }
        GETVAL | GETPID | GETNCNT | GETZCNT => {
            let ipc_ns = t.ipc_ns();
            let st = ipc_ns.lock();
            let s = st.sem.objs.get(&id).ok_or(Errno::EINVAL)?;
            s.perm.check(&c, S_IRUGO)?;
            let n = usize::try_from(num).map_err(|_| Errno::EINVAL)?;
            let sem = s.sems.get(n).ok_or(Errno::EINVAL)?;
            Ok(match cmd {
                GETVAL => sem.val as u64,
                GETPID => sem.pid as u64,
                GETNCNT => s.count(n, false) as u64,
                _ => s.count(n, true) as u64,
            })
        }
        GETALL => {
            let b: Vec<u8> = {
                let ipc_ns = t.ipc_ns();
                let st = ipc_ns.lock();
                let s = st.sem.objs.get(&id).ok_or(Errno::EINVAL)?;
                s.perm.check(&c, S_IRUGO)?;
                s.sems
                    .iter()
                    .flat_map(|x| (x.val as u16).to_le_bytes())
                    .collect()
            };
            t.mm.copy_out(arg, &b)?;
            Ok(0)
        }
        SETVAL => {
            let val = arg as i32;
            if !(0..=SEMVMX).contains(&val) {
                return Err(Errno::ERANGE);
            }
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            let s = st.sem.objs.get_mut(&id).ok_or(Errno::EINVAL)?;
            let n = usize::try_from(num).map_err(|_| Errno::EINVAL)?;
            if n >= s.sems.len() {
                return Err(Errno::EINVAL);
            }
            s.perm.check(&c, S_IWUGO)?;
            s.sems[n] = Sem { val, pid: t.tgid };
            s.ctime = now_secs();
            s.wq.notify_all();
            st.sem_clear_undo(id, Some(n));
            Ok(0)
        }
        SETALL => {
            let n = {
                let ipc_ns = t.ipc_ns();
                let st = ipc_ns.lock();
                let s = st.sem.objs.get(&id).ok_or(Errno::EINVAL)?;
                s.perm.check(&c, S_IWUGO)?;
                s.sems.len()
            };
            let mut b = vec![0u8; n * 2];
            t.mm.copy_in(arg, &mut b)?;
            let vals: Vec<i32> = b
                .chunks_exact(2)
                .map(|x| u16::from_le_bytes([x[0], x[1]]) as i32)
                .collect();
            if vals.iter().any(|&v| v > SEMVMX) {
                return Err(Errno::ERANGE);
            }
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            let s = st.sem.objs.get_mut(&id).ok_or(Errno::EIDRM)?;
            if s.sems.len() != vals.len() {
                return Err(Errno::EIDRM);
            }
            for (sem, v) in s.sems.iter_mut().zip(vals) {
                *sem = Sem {
                    val: v,
                    pid: t.tgid,
                };
            }
            s.ctime = now_secs();
            s.wq.notify_all();
            st.sem_clear_undo(id, None);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

// ---- message queues ----

pub fn msgget(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let c = caller(t);
    let ipc_ns = t.ipc_ns();
    let mut st = ipc_ns.lock();
    Ok(st.msgget(a[0] as i32, a[1] as u32, &c)? as u64)
}

pub fn msgsnd(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (id, msgp, msgsz, flg) = (a[0] as i32, a[1], a[2] as i64, a[3] as u32);
    let mtype = t.mm.read_u64(msgp)? as i64;
    if msgsz > t.ipc_ns().lock().limits.msgmax as i64 || msgsz < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if mtype < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = vec![0u8; msgsz as usize];
    t.mm.copy_in(msgp.wrapping_add(8), &mut text)?;
    let c = caller(t);
    let (serial, wq) = {
        let ipc_ns = t.ipc_ns();
        let st = ipc_ns.lock();
        let q = st.msg.objs.get(&id).ok_or(Errno::EINVAL)?;
        q.perm.check(&c, S_IWUGO)?;
        (q.serial, q.wq.clone())
    };
    let tgid = t.tgid;
    let mut msg = Some(Msg { mtype, text });
    let attempt = |t: &mut TaskCtx| -> Option<Result<u64, Errno>> {
        let ipc_ns = t.ipc_ns();
        let mut st = ipc_ns.lock();
        let q = match st.msg.objs.get_mut(&id) {
            Some(q) if q.serial == serial => q,
            _ => return Some(Err(Errno::EIDRM)),
        };
        let len = msg.as_ref().map(|m| m.text.len() as u64).unwrap_or(0);
        if q.cbytes + len <= q.qbytes && (q.msgs.len() as u64) < q.qbytes {
            let m = msg.take()?;
            q.msgs.push_back(m);
            q.cbytes += len;
            q.lspid = tgid;
            q.stime = now_secs();
            q.wq.notify_all();
            return Some(Ok(0));
        }
        if flg & IPC_NOWAIT != 0 {
            return Some(Err(Errno::EAGAIN));
        }
        None
    };
    sysv_wait(t.block_on(&[wq], None, attempt))
}

pub fn msgrcv(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (id, msgp, msgsz, msgtyp, flg) = (a[0] as i32, a[1], a[2] as i64, a[3] as i64, a[4] as u32);
    if msgsz < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if flg & MSG_COPY != 0 && (flg & MSG_EXCEPT != 0 || flg & IPC_NOWAIT == 0) {
        return Err(Errno::EINVAL);
    }
    let c = caller(t);
    let (serial, wq) = {
        let ipc_ns = t.ipc_ns();
        let st = ipc_ns.lock();
        let q = st.msg.objs.get(&id).ok_or(Errno::EINVAL)?;
        q.perm.check(&c, S_IRUGO)?;
        (q.serial, q.wq.clone())
    };
    let tgid = t.tgid;
    let attempt = |t: &mut TaskCtx| -> Option<Result<Msg, Errno>> {
        let ipc_ns = t.ipc_ns();
        let mut st = ipc_ns.lock();
        let q = match st.msg.objs.get_mut(&id) {
            Some(q) if q.serial == serial => q,
            _ => return Some(Err(Errno::EIDRM)),
        };
        match msg_select(&q.msgs, msgtyp, flg) {
            Some(i) => {
                let len = q.msgs.get(i).map(|m| m.text.len()).unwrap_or(0);
                if (msgsz as u64) < len as u64 && flg & MSG_NOERROR == 0 {
                    return Some(Err(Errno::E2BIG));
                }
                if flg & MSG_COPY != 0 {
                    let m = q.msgs.get(i)?;
                    return Some(Ok(Msg {
                        mtype: m.mtype,
                        text: m.text.clone(),
                    }));
                }
                let m = q.msgs.remove(i)?;
                q.cbytes -= m.text.len() as u64;
                q.lrpid = tgid;
                q.rtime = now_secs();
                q.wq.notify_all();
                Some(Ok(m))
            }
            None if flg & IPC_NOWAIT != 0 => Some(Err(Errno::ENOMSG)),
            None => None,
        }
    };
    let m = sysv_wait(t.block_on(&[wq], None, attempt))?;
    let n = m.text.len().min(msgsz as usize);
    t.mm.copy_out(msgp, &m.mtype.to_le_bytes())?;
    t.mm.copy_out(msgp.wrapping_add(8), &m.text[..n])?;
    Ok(n as u64)
}

pub fn msgctl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (id, cmd, buf) = (a[0] as i32, a[1] as u32, a[2]);
    if id < 0 || (a[1] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let c = caller(t);
    match cmd {
        IPC_INFO | MSG_INFO => {
            let (r, b) = {
                let ipc_ns = t.ipc_ns();
                let st = ipc_ns.lock();
                let mut b = vec![0u8; 32];
                let msgs: usize = st.msg.objs.values().map(|q| q.msgs.len()).sum();
                let bytes: u64 = st.msg.objs.values().map(|q| q.cbytes).sum();
                let info = cmd == MSG_INFO;
                put_u32(
                    &mut b,
                    0,
                    if info {
                        st.msg.objs.len() as u32
                    } else {
                        16384
                    },
                );
                let l = st.limits;
                let mnb = l.msgmnb as u32;
                put_u32(&mut b, 4, if info { msgs as u32 } else { mnb });
                put_u32(&mut b, 8, l.msgmax as u32);
                put_u32(&mut b, 12, mnb);
                put_u32(&mut b, 16, l.msgmni as u32);
                put_u32(&mut b, 20, 16);
                put_u32(&mut b, 24, if info { bytes as u32 } else { mnb });
                b[28..30].copy_from_slice(&0xffffu16.to_le_bytes());
                (st.msg.max_idx(), b)
            };
            t.mm.copy_out(buf, &b)?;
            Ok(r as u64)
        }
        IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
            let (r, b) = {
                let ipc_ns = t.ipc_ns();
                let st = ipc_ns.lock();
                stat_of(&st.msg, id, cmd != IPC_STAT, cmd == MSG_STAT_ANY, &c)?
            };
            t.mm.copy_out(buf, &b)?;
            Ok(r as u64)
        }
        IPC_SET => {
            let mut b = vec![0u8; 120];
            t.mm.copy_in(buf, &mut b)?;
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            let msgmnb = st.limits.msgmnb.max(0) as u64;
            let q = st.msg.objs.get_mut(&id).ok_or(Errno::EINVAL)?;
            q.perm.check_owner(&c)?;
            let qbytes = get_u64(&b, 88);
            if qbytes > msgmnb && !c.privileged() {
                return Err(Errno::EPERM);
            }
            q.qbytes = qbytes;
            q.perm.set_from(&b);
            q.ctime = now_secs();
            q.wq.notify_all();
            Ok(0)
        }
        IPC_RMID => {
            let ipc_ns = t.ipc_ns();
            let mut st = ipc_ns.lock();
            let q = st.msg.objs.get(&id).ok_or(Errno::EINVAL)?;
            q.perm.check_owner(&c)?;
            if let Some(q) = st.msg.objs.remove(&id) {
                q.wq.notify_all();
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
