//! POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify,
//! mq_getsetattr. Queues live in the sandbox's IPC namespace (`kernel::ipc`); a
//! descriptor is an ordinary fd (pollable).

use super::TaskCtx;
use crate::kernel::ipc::*;
use crate::vfs::{OpenFile, O_ACCMODE, O_CLOEXEC, O_CREAT, O_EXCL, O_NONBLOCK, O_RDWR, O_WRONLY};
use husk_abi::{Errno, SigInfo, SysResult, Timespec};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const NAME_MAX: usize = 255;
const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD: i32 = 2;
const SI_MESGQ: i32 = -3;

fn caller(t: &TaskCtx) -> Caller {
    Caller::from_creds(&t.creds(), t.tgid)
}

/// The queue name argument (the kernel sees it without glibc's leading slash).
fn name_arg(t: &TaskCtx, addr: u64) -> Result<Vec<u8>, Errno> {
    let name = t.path_arg(addr)?;
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.contains(&b'/') || name == b"." || name == b".." {
        return Err(Errno::EACCES);
    }
    Ok(name)
}

/// `struct mq_attr`: flags, maxmsg, msgsize, curmsgs (and four reserved longs).
fn read_attr(t: &TaskCtx, addr: u64) -> Result<[i64; 4], Errno> {
    let mut b = [0u8; 64];
    t.mm.copy_in(addr, &mut b)?;
    let mut out = [0i64; 4];
    for (i, v) in out.iter_mut().enumerate() {
        *v = get_u64(&b, i * 8) as i64;
    }
    Ok(out)
}

/// An absolute CLOCK_REALTIME timeout as a deadline on the monotonic clock.
fn abs_deadline(t: &TaskCtx, addr: u64) -> Result<Option<Instant>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: Timespec = t.mm.read_obj(addr)?;
    if ts.tv_sec < 0 || !(0..1_000_000_000).contains(&ts.tv_nsec) {
        return Err(Errno::EINVAL);
    }
    let abs = Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let base = Instant::now();
    Ok(Some(base + abs.saturating_sub(now)))
}

fn mq_of(t: &TaskCtx, fd: u64) -> Result<(Arc<OpenFile>, Arc<MQueue>), Errno> {
    let f = t.files.get(fd as i32)?;
    let q = f
        .ops
        .as_any()
        .and_then(|a| a.downcast_ref::<MqFile>())
        .map(|m| m.q.clone())
        .ok_or(Errno::EBADF)?;
    Ok((f, q))
}

/// A blocked mq call interrupted by a signal restarts under SA_RESTART (signal(7)).
fn mq_wait<R>(r: Result<R, Errno>) -> Result<R, Errno> {
    match r {
        Err(Errno::EINTR) => Err(Errno::ERESTARTSYS),
        r => r,
    }
}

pub fn mq_open(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (oflag, mode, attr_addr) = (a[1] as u32, a[2] as u32, a[3]);
    let name = name_arg(t, a[0])?;
    let attr = if attr_addr != 0 && oflag & O_CREAT != 0 {
        Some(read_attr(t, attr_addr)?)
    } else {
        None
    };
    let c = caller(t);
    let acc = oflag & O_ACCMODE;
    let q = {
        let ipc_ns = t.ipc_ns();
        let mut names = ipc_ns.mqueues.lock().unwrap_or_else(|p| p.into_inner());
        match names.get(&name) {
            Some(q) => {
                if oflag & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL {
                    return Err(Errno::EEXIST);
                }
                if acc == O_ACCMODE {
                    return Err(Errno::EINVAL);
                }
                let want = match acc {
                    O_WRONLY => 2,
                    O_RDWR => 6,
                    _ => 4,
                };
                q.check(&c, want)?;
                q.clone()
            }
            None => {
                if oflag & O_CREAT == 0 {
                    return Err(Errno::ENOENT);
                }
                let (maxmsg, msgsize) = match attr {
                    Some([_, maxmsg, msgsize, _]) => {
                        if maxmsg <= 0 || msgsize <= 0 {
                            return Err(Errno::EINVAL);
                        }
                        let (mm, ms) = if c.privileged() {
                            (MQ_HARD_MSGMAX, MQ_HARD_MSGSIZEMAX)
                        } else {
                            (MQ_MSG_MAX, MQ_MSGSIZE_MAX)
                        };
                        if maxmsg > mm || msgsize > ms {
                            return Err(Errno::EINVAL);
                        }
                        (maxmsg, msgsize)
                    }
                    None => (MQ_MSG_DEFAULT, MQ_MSGSIZE_DEFAULT),
                };
                let umask = t.fs.lock().unwrap_or_else(|p| p.into_inner()).umask;
                let q = Arc::new(MQueue::new(
                    name.clone(),
                    maxmsg,
                    msgsize,
                    c.euid,
                    c.egid,
                    mode & !umask,
                ));
                names.insert(name.clone(), q.clone());
                q
            }
        }
    };
    let mut label = b"/".to_vec();
    label.extend_from_slice(&name);
    let f = OpenFile::new_anon(
        Arc::new(MqFile { q }),
        acc | (oflag & O_NONBLOCK),
        String::from_utf8_lossy(&label).into_owned(),
    );
    let limit = t.rlimit(7).rlim_cur;
    Ok(t.files.insert(f, oflag & O_CLOEXEC != 0, 0, limit)? as u64)
}

pub fn mq_unlink(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let name = name_arg(t, a[0])?;
    let c = caller(t);
    let ipc_ns = t.ipc_ns();
    let mut names = ipc_ns.mqueues.lock().unwrap_or_else(|p| p.into_inner());
    let q = names.get(&name).ok_or(Errno::ENOENT)?;
    // /dev/mqueue is sticky (1777): only the owner or a privileged caller may unlink.
    if !c.privileged() && q.lock().uid != c.euid {
        return Err(Errno::EACCES);
    }
    names.remove(&name);
    Ok(0)
}

/// Sends a notification that a message arrived on an empty queue.
fn deliver(t: &TaskCtx, n: MqNotify) {
    if n.notify != SIGEV_SIGNAL || n.signo == 0 {
        return;
    }
    let uid = t.creds().ruid;
    let mut si = SigInfo::user(n.signo, SI_MESGQ, t.tgid, uid);
    si.fields[1] = n.value;
    let k = t.k.clone();
    let mut st = k.lock();
    k.send_to_process(&mut st, n.tgid, si);
}

pub fn mq_timedsend(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (fd, ptr, len, prio, tmo) = (a[0], a[1], a[2], a[3], a[4]);
    let deadline = abs_deadline(t, tmo)?;
    if prio >= MQ_PRIO_MAX as u64 {
        return Err(Errno::EINVAL);
    }
    let (f, q) = mq_of(t, fd)?;
    if !f.writable() {
        return Err(Errno::EBADF);
    }
    if len > q.msgsize as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let mut msg = vec![0u8; len as usize];
    t.mm.copy_in(ptr, &mut msg)?;
    let prio = prio as u32;
    let note = match q.try_send(&msg, prio) {
        Some(n) => n,
        None => {
            if f.flags() & O_NONBLOCK != 0 {
                return Err(Errno::EAGAIN);
            }
            let wq = q.wq.clone();
            mq_wait(t.block_on(&[wq], deadline, |_| q.try_send(&msg, prio)))?
        }
    };
    if let Some(n) = note {
        deliver(t, n);
    }
    Ok(0)
}

pub fn mq_timedreceive(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (fd, ptr, len, prio_ptr, tmo) = (a[0], a[1], a[2], a[3], a[4]);
    let deadline = abs_deadline(t, tmo)?;
    let (f, q) = mq_of(t, fd)?;
    if !f.readable() {
        return Err(Errno::EBADF);
    }
    if len < q.msgsize as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let (msg, prio) = match q.try_receive() {
        Some(m) => m,
        None => {
            if f.flags() & O_NONBLOCK != 0 {
                return Err(Errno::EAGAIN);
            }
            q.lock().receivers += 1;
            let wq = q.wq.clone();
            let r = t.block_on(&[wq], deadline, |_| q.try_receive());
            q.lock().receivers -= 1;
            mq_wait(r)?
        }
    };
    t.mm.copy_out(ptr, &msg)?;
    if prio_ptr != 0 {
        t.mm.copy_out(prio_ptr, &prio.to_le_bytes())?;
    }
    Ok(msg.len() as u64)
}

pub fn mq_notify(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (fd, sevp) = (a[0], a[1]);
    let want = if sevp != 0 {
        let mut b = [0u8; 64];
        t.mm.copy_in(sevp, &mut b)?;
        let value = get_u64(&b, 0);
        let signo = get_u32(&b, 8) as i32;
        let notify = get_u32(&b, 12) as i32;
        match notify {
            SIGEV_NONE => {}
            SIGEV_SIGNAL if (0..=64).contains(&signo) => {}
            // SIGEV_THREAD needs a netlink notification socket, which the Sentry lacks.
            SIGEV_THREAD => return Err(Errno::EINVAL),
            _ => return Err(Errno::EINVAL),
        }
        Some(MqNotify {
            tgid: t.tgid,
            notify,
            signo,
            value,
        })
    } else {
        None
    };
    let (_f, q) = mq_of(t, fd)?;
    let mut g = q.lock();
    match want {
        Some(n) => {
            if g.notify.is_some() {
                return Err(Errno::EBUSY);
            }
            g.notify = Some(n);
        }
        None => {
            if g.notify.is_some_and(|n| n.tgid == t.tgid) {
                g.notify = None;
            }
        }
    }
    Ok(0)
}

pub fn mq_getsetattr(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (fd, new, old) = (a[0], a[1], a[2]);
    let newattr = if new != 0 {
        let at = read_attr(t, new)?;
        if at[0] as u64 & !(O_NONBLOCK as u64) != 0 {
            return Err(Errno::EINVAL);
        }
        Some(at)
    } else {
        None
    };
    let (f, q) = mq_of(t, fd)?;
    let cur = q.lock().count;
    let mut b = [0u8; 64];
    put_u64(&mut b, 0, (f.flags() & O_NONBLOCK) as u64);
    put_u64(&mut b, 8, q.maxmsg as u64);
    put_u64(&mut b, 16, q.msgsize as u64);
    put_u64(&mut b, 24, cur as u64);
    if let Some(at) = newattr {
        if at[0] as u64 & O_NONBLOCK as u64 != 0 {
            f.flags.fetch_or(O_NONBLOCK, Ordering::Relaxed);
        } else {
            f.flags.fetch_and(!O_NONBLOCK, Ordering::Relaxed);
        }
    }
    if old != 0 {
        t.mm.copy_out(old, &b)?;
    }
    Ok(0)
}
