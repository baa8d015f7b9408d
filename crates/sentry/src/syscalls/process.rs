//! Process and thread system calls: clone, exec, exit, wait, ids, sessions, prctl.

use super::TaskCtx;
use crate::kernel::sigqueue::*;
use crate::kernel::task::{CloneArgs, ExitKind, CLONE_VFORK, CLONE_VM};
use crate::kernel::{ProcState, Tid, Usage};
use husk_abi::{Errno, RobustListHead, Rusage, SigInfo, SysResult, Timeval};
use std::time::{Duration, Instant};

pub fn clone(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    t.do_clone(CloneArgs {
        flags: a[0] & !0xff,
        stack: a[1],
        parent_tid: a[2],
        child_tid: a[3],
        tls: a[4],
        exit_signal: (a[0] & 0xff) as i32,
    })
}

pub fn clone3(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[1] < 64 || a[1] > 4096 {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; 88];
    let n = (a[1] as usize).min(88);
    t.mm.copy_in(a[0], &mut raw[..n])?;
    let ca = <husk_abi::CloneArgs as zerocopy::FromBytes>::read_from_bytes(&raw)
        .map_err(|_| Errno::EFAULT)?;
    if ca.exit_signal > 64 || ca.set_tid != 0 || ca.cgroup != 0 {
        return Err(Errno::EINVAL);
    }
    t.do_clone(CloneArgs {
        flags: ca.flags,
        stack: if ca.stack != 0 {
            ca.stack + ca.stack_size
        } else {
            0
        },
        parent_tid: ca.parent_tid,
        child_tid: ca.child_tid,
        tls: ca.tls,
        exit_signal: ca.exit_signal as i32,
    })
}

/// unshare: the file table, file-system context, System V semaphore undo list, and
/// user, UTS, IPC and mount namespaces. Namespaces are per process in husk (Linux: per thread), so
/// in a multi-threaded process a new UTS or IPC namespace applies to all its threads.
pub fn unshare(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    use crate::kernel::caps::CAP_SYS_ADMIN;
    use crate::kernel::task::*;
    const CLONE_NEWTIME: u64 = 0x80;
    let mut f = a[0];
    // A new user namespace implies an unshared thread group and file-system context.
    if f & CLONE_NEWUSER != 0 {
        f |= CLONE_THREAD | CLONE_FS;
    }
    let allowed = CLONE_THREAD
        | CLONE_FS
        | CLONE_NEWNS
        | CLONE_SIGHAND
        | CLONE_VM
        | CLONE_FILES
        | CLONE_SYSVSEM
        | CLONE_NEWUTS
        | CLONE_NEWIPC
        | CLONE_NEWNET
        | CLONE_NEWUSER
        | CLONE_NEWPID
        | CLONE_NEWCGROUP
        | CLONE_NEWTIME;
    if f & !allowed != 0 {
        return Err(Errno::EINVAL);
    }
    if f & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM) != 0 {
        let threads =
            t.k.lock()
                .procs
                .get(&t.tgid)
                .map(|p| p.threads.len())
                .unwrap_or(1);
        if threads > 1 {
            return Err(Errno::EINVAL);
        }
    }
    if f & (UNSUPPORTED_NS | CLONE_NEWTIME) != 0 {
        return Err(Errno::EINVAL);
    }
    let mut creds = t.creds();
    if f & CLONE_NEWUSER != 0 {
        // Not from a chroot (the new namespace's root could escape it).
        let root = t.fs.lock().unwrap_or_else(|p| p.into_inner()).root.clone();
        let vfs = t.vfs();
        if !std::sync::Arc::ptr_eq(&root.mount, &vfs.root.mount)
            || !crate::vfs::walk_same(&root.inode, &vfs.root.inode)
        {
            return Err(Errno::EPERM);
        }
        let ns = crate::kernel::userns::UserNs::new_child(&creds)?;
        creds.enter_userns(ns);
    }
    let new_ns = f & (CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS);
    if (new_ns != 0 || f & CLONE_NEWPID != 0) && !creds.has_cap(CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    // A new PID namespace is for the caller's children; the caller stays where it is,
    // and may do this only while its children still go to its own namespace.
    let new_pidns = if f & CLONE_NEWPID != 0 {
        let st = t.k.lock();
        let p = st.procs.get(&t.tgid).ok_or(Errno::ESRCH)?;
        if !std::sync::Arc::ptr_eq(&p.ns.pid_for_children, &p.pidns) {
            return Err(Errno::EINVAL);
        }
        Some(crate::kernel::pidns::PidNs::new_child(
            &p.pidns,
            creds.userns.clone(),
        )?)
    } else {
        None
    };
    // A new mount namespace needs a file-system context of its own.
    if f & (CLONE_FS | CLONE_NEWNS) != 0 {
        let copy = t.fs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        t.fs = std::sync::Arc::new(std::sync::Mutex::new(copy));
    }
    if f & CLONE_FILES != 0 {
        t.files = std::sync::Arc::new(t.files.fork_copy());
    }
    if f & (CLONE_SYSVSEM | CLONE_NEWIPC) != 0 {
        // The undo list is left: its adjustments are applied now, as at exit.
        t.ipc_ns().exit_process(t.tgid);
    }
    let mut st = t.k.lock();
    if let Some(ti) = st.threads.get_mut(&t.tid) {
        ti.fs = t.fs.clone();
        ti.files = t.files.clone();
    }
    if let Some(p) = st.procs.get_mut(&t.tgid) {
        if new_ns != 0 {
            p.ns = p.ns.copy_for(new_ns, &creds.userns);
        }
        if let Some(ns) = new_pidns {
            p.ns.pid_for_children = ns;
        }
        if f & CLONE_NEWUSER != 0 {
            p.creds = creds;
        }
    }
    Ok(0)
}

/// setns: joins the namespace an open /proc/PID/ns/* file refers to. Needs
/// CAP_SYS_ADMIN over the namespace's owner and in the caller's own user namespace
/// (joining a mount namespace also CAP_SYS_CHROOT; root and working directory become
/// its root). A user namespace gives all capabilities in it.
pub fn setns(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    use crate::kernel::caps::{CAP_SYS_ADMIN, CAP_SYS_CHROOT};
    use crate::kernel::nsfs::{NsInode, NsRef};
    let f = t.files.get(a[0] as i32)?;
    let nstype = a[1];
    let ns = f
        .dentry
        .as_ref()
        .and_then(|d| {
            d.inode
                .as_any()
                .downcast_ref::<NsInode>()
                .map(|n| n.ns.clone())
        })
        .ok_or(Errno::EINVAL)?;
    if nstype != 0 && nstype != ns.clone_flag() {
        return Err(Errno::EINVAL);
    }
    let creds = t.creds();
    if let NsRef::User(u) = &ns {
        if std::sync::Arc::ptr_eq(u, &creds.userns) {
            return Err(Errno::EINVAL);
        }
        let threads =
            t.k.lock()
                .procs
                .get(&t.tgid)
                .map(|p| p.threads.len())
                .unwrap_or(1);
        if threads > 1 {
            return Err(Errno::EINVAL);
        }
        if !creds.capable_in(u, CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        let mut new = creds;
        new.enter_userns(u.clone());
        if let Some(p) = t.k.lock().procs.get_mut(&t.tgid) {
            p.creds = new;
        }
        return Ok(0);
    }
    if !creds.capable_in(&ns.owner(), CAP_SYS_ADMIN) || !creds.has_cap(CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    // A PID namespace is for the caller's children, and only its own or one below it.
    if let NsRef::Pid(target) = &ns {
        let st = t.k.lock();
        let p = st.procs.get(&t.tgid).ok_or(Errno::ESRCH)?;
        if !p.pidns.is_ancestor_of(target) {
            return Err(Errno::EINVAL);
        }
    }
    if let NsRef::Mnt(vfs, _, _) = &ns {
        if !creds.has_cap(CAP_SYS_CHROOT) {
            return Err(Errno::EPERM);
        }
        let mut fs = t.fs.lock().unwrap_or_else(|p| p.into_inner());
        fs.root = vfs.root.clone();
        fs.cwd = vfs.root.clone();
    }
    let mut st = t.k.lock();
    let p = st.procs.get_mut(&t.tgid).ok_or(Errno::ESRCH)?;
    match ns {
        NsRef::Uts(u) => p.ns.uts = u,
        NsRef::Ipc(i) => p.ns.ipc = i,
        NsRef::Mnt(vfs, owner, id) => {
            p.ns.mnt = vfs;
            p.ns.mnt_owner = owner;
            p.ns.mnt_id = id;
        }
        NsRef::Pid(pidns) => p.ns.pid_for_children = pidns,
        // One of each per sandbox: the caller is in it already.
        _ => {}
    }
    Ok(0)
}

pub fn fork(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    t.do_clone(CloneArgs {
        flags: 0,
        stack: 0,
        parent_tid: 0,
        child_tid: 0,
        tls: 0,
        exit_signal: SIGCHLD,
    })
}

pub fn vfork(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    t.do_clone(CloneArgs {
        flags: CLONE_VM | CLONE_VFORK,
        stack: 0,
        parent_tid: 0,
        child_tid: 0,
        tls: 0,
        exit_signal: SIGCHLD,
    })
}

pub fn execve(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    execveat(t, &[(-100i64) as u64, a[0], a[1], a[2], 0, 0])
}

pub fn execveat(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let path = t.path_arg(a[1])?;
    let argv = t.mm.read_string_array(a[2])?;
    let envp = t.mm.read_string_array(a[3])?;
    const AT_EMPTY_PATH: u64 = 0x1000;
    if path.is_empty() {
        if a[4] & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        let f = t.files.get(a[0] as i32)?;
        let d = f.dentry.clone().ok_or(Errno::EACCES)?;
        let p = d.path();
        let root = t.fs.lock().unwrap_or_else(|p| p.into_inner()).root.clone();
        return t.execve(root, p, argv, envp);
    }
    let start = if path[0] == b'/' {
        t.fs.lock().unwrap_or_else(|p| p.into_inner()).root.clone()
    } else {
        t.at_start(a[0])?
    };
    t.execve(start, path, argv, envp)
}

pub fn exit(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    t.exit = Some(ExitKind::Thread(a[0] as i32));
    Ok(0)
}

pub fn exit_group(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    t.exit = Some(ExitKind::Group(crate::kernel::task::exit_status(
        a[0] as i32,
    )));
    Ok(0)
}

enum Sel {
    Pid(Tid),
    Pgid(Tid),
    Any,
}

struct WaitOpts {
    exited: bool,
    stopped: bool,
    continued: bool,
    nohang: bool,
    nowait: bool,
}

struct Waited {
    /// The child's ID in the waiter's namespace.
    pid: Tid,
    status: i32,
    code: i32,
    uid: u32,
    usage: Usage,
}

fn code_of(status: i32) -> (i32, i32) {
    if status & 0x7f == 0 {
        (CLD_EXITED, (status >> 8) & 0xff)
    } else if status & 0x80 != 0 {
        (CLD_DUMPED, status & 0x7f)
    } else {
        (CLD_KILLED, status & 0x7f)
    }
}

fn do_wait(t: &mut TaskCtx, sel: Sel, o: WaitOpts) -> Result<Option<Waited>, Errno> {
    let k = t.k.clone();
    let wq = k
        .lock()
        .procs
        .get(&t.tgid)
        .map(|p| p.child_wq.clone())
        .ok_or(Errno::ECHILD)?;
    let w = t.handle.waker.clone();
    wq.register(&w);
    let res = loop {
        let r = (|| {
            let mut st = k.lock();
            let me = st.procs.get(&t.tgid).ok_or(Errno::ECHILD)?;
            let children: Vec<Tid> = me
                .children
                .iter()
                .copied()
                .filter(|c| match sel {
                    Sel::Any => true,
                    Sel::Pid(p) => *c == p,
                    Sel::Pgid(g) => st.procs.get(c).is_some_and(|cp| cp.pgid == g),
                })
                .collect();
            if children.is_empty() {
                return Err(Errno::ECHILD);
            }
            for c in children {
                let Some(cp) = st.procs.get_mut(&c) else {
                    continue;
                };
                let uid = cp.creds.ruid;
                if let ProcState::Zombie(status) = cp.state {
                    if !o.exited {
                        continue;
                    }
                    let mut usage = cp.usage;
                    usage.utime += cp.child_usage.utime;
                    usage.stime += cp.child_usage.stime;
                    let (code, _) = code_of(status);
                    let local = t.vpid(c);
                    if !o.nowait {
                        if let Some(gone) = st.procs.remove(&c) {
                            st.release_id(c, &gone.pidns);
                        }
                        if let Some(me) = st.procs.get_mut(&t.tgid) {
                            me.children.remove(&c);
                            me.child_usage.utime += usage.utime;
                            me.child_usage.stime += usage.stime;
                            me.child_usage.maxrss_kb =
                                me.child_usage.maxrss_kb.max(usage.maxrss_kb);
                        }
                    }
                    return Ok(Some(Waited {
                        pid: local,
                        status,
                        code,
                        uid,
                        usage,
                    }));
                }
                if cp.stopped && cp.stop_report && o.stopped {
                    if !o.nowait {
                        cp.stop_report = false;
                    }
                    let sig = cp.stop_sig;
                    return Ok(Some(Waited {
                        pid: t.vpid(c),
                        status: 0x7f | (sig << 8),
                        code: CLD_STOPPED,
                        uid,
                        usage: Usage::default(),
                    }));
                }
                if cp.cont_report && o.continued {
                    if !o.nowait {
                        cp.cont_report = false;
                    }
                    return Ok(Some(Waited {
                        pid: t.vpid(c),
                        status: 0xffff,
                        code: CLD_CONTINUED,
                        uid,
                        usage: Usage::default(),
                    }));
                }
            }
            Ok(None)
        })();
        match r {
            Ok(Some(x)) => break Ok(Some(x)),
            Err(e) => break Err(e),
            Ok(None) if o.nohang => break Ok(None),
            Ok(None) => {}
        }
        if t.interrupted() {
            break Err(Errno::ERESTARTSYS);
        }
        w.wait(Some(Instant::now() + Duration::from_millis(500)));
    };
    wq.unregister(&w);
    res
}

fn tv(d: Duration) -> Timeval {
    Timeval {
        tv_sec: d.as_secs() as i64,
        tv_usec: d.subsec_micros() as i64,
    }
}

pub fn wait4(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let pid = a[0] as i32;
    let opts = a[2];
    if opts & !(1 | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000) != 0 {
        return Err(Errno::EINVAL);
    }
    // IDs from the caller's PID namespace; one it cannot see matches no child.
    let sel = if pid > 0 {
        Sel::Pid(t.gpid(pid).unwrap_or(0))
    } else if pid == -1 {
        Sel::Any
    } else if pid == 0 {
        Sel::Pgid(t.k.lock().procs.get(&t.tgid).map(|p| p.pgid).unwrap_or(0))
    } else {
        Sel::Pgid(t.gpid(pid.wrapping_neg()).unwrap_or(0))
    };
    let o = WaitOpts {
        exited: true,
        stopped: opts & 2 != 0,
        continued: opts & 8 != 0,
        nohang: opts & 1 != 0,
        nowait: false,
    };
    match do_wait(t, sel, o)? {
        None => Ok(0),
        Some(w) => {
            if a[1] != 0 {
                t.mm.write_obj(a[1], &w.status)?;
            }
            if a[3] != 0 {
                let r = Rusage {
                    ru_utime: tv(w.usage.utime),
                    ru_stime: tv(w.usage.stime),
                    ru_maxrss: w.usage.maxrss_kb as i64,
                    ..Default::default()
                };
                t.mm.write_obj(a[3], &r)?;
            }
            Ok(w.pid as u64)
        }
    }
}

pub fn waitid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (idtype, id, infop, opts) = (a[0], a[1] as i32, a[2], a[3]);
    if opts & !(1 | 2 | 4 | 8 | 0x0100_0000 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000) != 0
        || opts & (2 | 4 | 8) == 0
    {
        return Err(Errno::EINVAL);
    }
    let sel = match idtype {
        0 => Sel::Any,
        1 => Sel::Pid(t.gpid(id).unwrap_or(0)),
        2 => Sel::Pgid(if id == 0 {
            t.k.lock().procs.get(&t.tgid).map(|p| p.pgid).unwrap_or(0)
        } else {
            t.gpid(id).unwrap_or(0)
        }),
        _ => return Err(Errno::EINVAL),
    };
    let o = WaitOpts {
        exited: opts & 4 != 0,
        stopped: opts & 2 != 0,
        continued: opts & 8 != 0,
        nohang: opts & 1 != 0,
        nowait: opts & 0x0100_0000 != 0,
    };
    let r = do_wait(t, sel, o)?;
    if infop != 0 {
        let info = match &r {
            None => SigInfo::default(),
            Some(w) => {
                let mut si = SigInfo::user(SIGCHLD, w.code, w.pid, w.uid);
                let status = match w.code {
                    CLD_EXITED => (w.status >> 8) & 0xff,
                    CLD_STOPPED => (w.status >> 8) & 0xff,
                    CLD_CONTINUED => SIGCONT,
                    _ => w.status & 0x7f,
                };
                si.set_child(status, 0, 0);
                si
            }
        };
        t.mm.write_obj(infop, &info)?;
    }
    if a[4] != 0 {
        let u = r.as_ref().map(|w| w.usage).unwrap_or_default();
        let ru = Rusage {
            ru_utime: tv(u.utime),
            ru_stime: tv(u.stime),
            ..Default::default()
        };
        t.mm.write_obj(a[4], &ru)?;
    }
    Ok(0)
}

pub fn getpid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Ok(t.vpid(t.tgid) as u64)
}

pub fn gettid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Ok(t.vpid(t.tid) as u64)
}

/// The parent's ID in the caller's namespace: 0 for a namespace's init, whose parent
/// is outside it.
pub fn getppid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    let parent = t.k.lock().procs.get(&t.tgid).map(|p| p.parent).unwrap_or(0);
    Ok(t.vpid(parent) as u64)
}

pub fn set_tid_address(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    t.clear_child_tid = a[0];
    Ok(t.vpid(t.tid) as u64)
}

pub fn set_robust_list(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[1] != std::mem::size_of::<RobustListHead>() as u64 {
        return Err(Errno::EINVAL);
    }
    t.robust_list = a[0];
    Ok(0)
}

pub fn get_robust_list(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] != 0 && t.gpid(a[0] as i32) != Some(t.tid) {
        let st = t.k.lock();
        if !t
            .gpid(a[0] as i32)
            .is_some_and(|g| st.threads.contains_key(&g))
        {
            return Err(Errno::ESRCH);
        }
        return Err(Errno::EPERM);
    }
    t.mm.write_obj(a[1], &t.robust_list)?;
    t.mm.write_obj(a[2], &(std::mem::size_of::<RobustListHead>() as u64))?;
    Ok(0)
}

/// The global ID of `pid` from the caller's namespace, the caller for 0; -1 (no such
/// task) for an ID the caller cannot see.
fn target_proc(t: &TaskCtx, pid: i32) -> Tid {
    if pid == 0 {
        t.tgid
    } else {
        t.gpid(pid).unwrap_or(-1)
    }
}

pub fn setpgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let pid = target_proc(t, a[0] as i32);
    let pgid = a[1] as i32;
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let pgid = if pgid == 0 {
        pid
    } else {
        t.gpid(pgid).ok_or(Errno::EPERM)?
    };
    let k = t.k.clone();
    let mut st = k.lock();
    let me_sid = st.procs.get(&t.tgid).map(|p| p.sid).unwrap_or(0);
    let Some(target) = st.procs.get(&pid) else {
        // A thread that is not a group leader: EINVAL; nothing: ESRCH.
        return Err(if st.threads.contains_key(&pid) {
            Errno::EINVAL
        } else {
            Errno::ESRCH
        });
    };
    if target.parent == t.tgid && pid != t.tgid {
        if target.sid != me_sid {
            return Err(Errno::EPERM);
        }
        if target.did_exec {
            return Err(Errno::EACCES);
        }
    } else if pid != t.tgid {
        return Err(Errno::ESRCH);
    }
    if target.sid == pid {
        return Err(Errno::EPERM);
    }
    if pgid != pid && !st.procs.values().any(|p| p.pgid == pgid && p.sid == me_sid) {
        return Err(Errno::EPERM);
    }
    if let Some(p) = st.procs.get_mut(&pid) {
        p.pgid = pgid;
    }
    Ok(0)
}

pub fn getpgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let pid = target_proc(t, a[0] as i32);
    let st = t.k.lock();
    let tg = st.threads.get(&pid).map(|x| x.tgid).unwrap_or(pid);
    let pgid = st.procs.get(&tg).map(|p| p.pgid).ok_or(Errno::ESRCH)?;
    Ok(t.vpid(pgid) as u64)
}

pub fn getpgrp(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    getpgid(t, &[0; 6])
}

pub fn getsid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let pid = target_proc(t, a[0] as i32);
    let st = t.k.lock();
    let tg = st.threads.get(&pid).map(|x| x.tgid).unwrap_or(pid);
    let sid = st.procs.get(&tg).map(|p| p.sid).ok_or(Errno::ESRCH)?;
    Ok(t.vpid(sid) as u64)
}

pub fn setsid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    let mut st = t.k.lock();
    let me = t.tgid;
    if st.procs.values().any(|p| p.pgid == me) {
        return Err(Errno::EPERM);
    }
    let p = st.procs.get_mut(&me).ok_or(Errno::ESRCH)?;
    p.sid = me;
    p.pgid = me;
    Ok(t.vpid(me) as u64)
}

pub fn sched_yield(_t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    std::thread::yield_now();
    Ok(0)
}

fn ncpus() -> u64 {
    crate::kernel::NCPUS
        .get()
        .copied()
        .unwrap_or(1)
        .clamp(1, 64)
}

fn all_cpus() -> u64 {
    let n = ncpus();
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

fn check_task(t: &TaskCtx, pid: i32) -> Result<(), Errno> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid != 0
        && !t
            .gpid(pid)
            .is_some_and(|g| t.k.lock().threads.contains_key(&g))
    {
        return Err(Errno::ESRCH);
    }
    Ok(())
}

pub fn sched_getaffinity(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    check_task(t, a[0] as i32)?;
    if a[1] < 8 || !a[1].is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    let mask = if a[0] == 0 || t.gpid(a[0] as i32) == Some(t.tid) {
        t.affinity & all_cpus()
    } else {
        all_cpus()
    };
    t.mm.write_obj(a[2], &mask)?;
    Ok(8)
}

pub fn sched_setaffinity(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    check_task(t, a[0] as i32)?;
    let mut b = [0u8; 8];
    let n = (a[1] as usize).min(8);
    t.mm.copy_in(a[2], &mut b[..n])?;
    let mask = u64::from_le_bytes(b) & all_cpus();
    if mask == 0 {
        return Err(Errno::EINVAL);
    }
    if a[0] == 0 || t.gpid(a[0] as i32) == Some(t.tid) {
        t.affinity = mask;
    }
    Ok(0)
}

pub fn getcpu(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let cpu = (t.affinity & all_cpus()).trailing_zeros();
    if a[0] != 0 {
        t.mm.write_obj(a[0], &cpu)?;
    }
    if a[1] != 0 {
        t.mm.write_obj(a[1], &0u32)?;
    }
    Ok(0)
}

pub fn getpriority(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] > 2 {
        return Err(Errno::EINVAL);
    }
    let st = t.k.lock();
    let who = if a[1] == 0 {
        t.tgid
    } else {
        t.gpid(a[1] as i32).unwrap_or(-1)
    };
    let nice = match a[0] {
        0 => st
            .threads
            .get(&who)
            .and_then(|x| st.procs.get(&x.tgid))
            .or_else(|| st.procs.get(&who))
            .map(|p| p.nice)
            .ok_or(Errno::ESRCH)?,
        _ => st.procs.get(&t.tgid).map(|p| p.nice).unwrap_or(0),
    };
    Ok((20 - nice) as u64)
}

pub fn setpriority(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] > 2 {
        return Err(Errno::EINVAL);
    }
    let nice = (a[2] as i32).clamp(-20, 19);
    let mut st = t.k.lock();
    let who = if a[1] == 0 {
        t.tgid
    } else {
        t.gpid(a[1] as i32).unwrap_or(-1)
    };
    let nice_cap = st
        .procs
        .get(&t.tgid)
        .is_some_and(|p| p.creds.capable_init(crate::kernel::caps::CAP_SYS_NICE));
    let tg = st.threads.get(&who).map(|x| x.tgid).unwrap_or(who);
    let p = st.procs.get_mut(&tg).ok_or(Errno::ESRCH)?;
    if nice < p.nice && !nice_cap {
        return Err(Errno::EACCES);
    }
    p.nice = nice;
    Ok(0)
}

/// The scheduling policy of thread `pid` (0: the caller).
fn sched_policy_of(t: &TaskCtx, pid: i32) -> Result<i32, Errno> {
    let st = t.k.lock();
    let tid = if pid == 0 {
        t.tid
    } else {
        t.gpid(pid).unwrap_or(-1)
    };
    st.threads
        .get(&tid)
        .map(|ti| ti.sched_policy)
        .ok_or(Errno::ESRCH)
}

const SCHED_OTHER: i32 = 0;
const SCHED_FIFO: i32 = 1;
const SCHED_RR: i32 = 2;
const SCHED_BATCH: i32 = 3;
const SCHED_IDLE: i32 = 5;
const SCHED_DEADLINE: i32 = 6;

/// Validates and applies a policy/priority change (sched_setscheduler, sched_setparam).
/// `policy == None` keeps the thread's policy. Real-time policies are refused with EPERM:
/// the Sentry does not schedule, and the sandbox holds no CAP_SYS_NICE.
fn set_sched(t: &TaskCtx, pid: i32, policy: Option<i32>, param: u64) -> SysResult {
    if param == 0 || pid < 0 {
        return Err(Errno::EINVAL);
    }
    let prio: i32 = t.mm.read_obj(param)?;
    let cur = sched_policy_of(t, pid)?;
    let (policy, reset) = match policy {
        Some(p) => (
            p & !crate::kernel::task::SCHED_RESET_ON_FORK,
            p & crate::kernel::task::SCHED_RESET_ON_FORK,
        ),
        None => (
            cur & !crate::kernel::task::SCHED_RESET_ON_FORK,
            cur & crate::kernel::task::SCHED_RESET_ON_FORK,
        ),
    };
    if !matches!(
        policy,
        SCHED_OTHER | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE
    ) {
        return Err(Errno::EINVAL);
    }
    let rt = matches!(policy, SCHED_FIFO | SCHED_RR);
    if !(0..=99).contains(&prio) || policy == SCHED_DEADLINE || rt != (prio != 0) {
        return Err(Errno::EINVAL);
    }
    if rt {
        return Err(Errno::EPERM);
    }
    let mut st = t.k.lock();
    let tid = if pid == 0 {
        t.tid
    } else {
        t.gpid(pid).unwrap_or(-1)
    };
    let ti = st.threads.get_mut(&tid).ok_or(Errno::ESRCH)?;
    ti.sched_policy = policy | reset;
    Ok(0)
}

pub fn sched_setscheduler(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let policy = a[1] as i32;
    if policy < 0 {
        return Err(Errno::EINVAL);
    }
    set_sched(t, a[0] as i32, Some(policy), a[2])
}

pub fn sched_setparam(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    set_sched(t, a[0] as i32, None, a[1])
}

pub fn sched_getparam(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[1] == 0 || (a[0] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    sched_policy_of(t, a[0] as i32)?;
    // Only non-real-time policies exist here: the static priority is always 0.
    t.mm.write_obj(a[1], &0i32)?;
    Ok(0)
}

pub fn sched_getscheduler(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[0] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(sched_policy_of(t, a[0] as i32)? as u32 as u64)
}

pub fn sched_rr_get_interval(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if (a[0] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    sched_policy_of(t, a[0] as i32)?;
    // The time slice of a lone SCHED_OTHER task on Linux (sched_latency of 12 ms).
    let ts = husk_abi::Timespec {
        tv_sec: 0,
        tv_nsec: 12_000_000,
    };
    t.mm.write_obj(a[1], &ts)?;
    Ok(0)
}

pub fn sched_get_priority_max(_t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    match a[0] {
        1 | 2 => Ok(99),
        0 | 3 | 5 => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sched_get_priority_min(_t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    match a[0] {
        1 | 2 => Ok(1),
        0 | 3 | 5 => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn personality(_t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[0] == 0xffff_ffff || a[0] == 0 {
        Ok(0)
    } else {
        Err(Errno::EINVAL)
    }
}

pub fn arch_prctl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    const CANONICAL: u64 = 0x0000_8000_0000_0000;
    match a[0] {
        0x1001 => {
            if a[1] >= CANONICAL {
                return Err(Errno::EPERM);
            }
            t.regs.gs_base = a[1];
            Ok(0)
        }
        0x1002 => {
            if a[1] >= CANONICAL {
                return Err(Errno::EPERM);
            }
            t.regs.fs_base = a[1];
            Ok(0)
        }
        0x1003 => {
            t.mm.write_obj(a[1], &t.regs.fs_base)?;
            Ok(0)
        }
        0x1004 => {
            t.mm.write_obj(a[1], &t.regs.gs_base)?;
            Ok(0)
        }
        // ARCH_GET_CPUID: cpuid is not faulting.
        0x1011 => Ok(1),
        _ => Err(Errno::EINVAL),
    }
}

/// The capability and securebits options of prctl.
fn cap_prctl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    use crate::kernel::caps::*;
    let mut st = t.k.lock();
    let c = &mut st.procs.get_mut(&t.tgid).ok_or(Errno::ESRCH)?.creds;
    match a[0] {
        7 => Ok((c.securebits & SECBIT_KEEP_CAPS != 0) as u64),
        8 => {
            if a[1] > 1 {
                return Err(Errno::EINVAL);
            }
            if c.securebits & SECBIT_KEEP_CAPS_LOCKED != 0 {
                return Err(Errno::EPERM);
            }
            if a[1] == 1 {
                c.securebits |= SECBIT_KEEP_CAPS;
            } else {
                c.securebits &= !SECBIT_KEEP_CAPS;
            }
            Ok(0)
        }
        23 => {
            if !valid(a[1]) {
                return Err(Errno::EINVAL);
            }
            Ok((c.cap_bset >> a[1]) & 1)
        }
        24 => {
            if !c.has_cap(CAP_SETPCAP) {
                return Err(Errno::EPERM);
            }
            if !valid(a[1]) {
                return Err(Errno::EINVAL);
            }
            c.cap_bset &= !(1u64 << a[1]);
            Ok(0)
        }
        27 => Ok(c.securebits as u64),
        28 => {
            let old = c.securebits as u64;
            let locks = (SECURE_ALL_LOCKS | SECURE_ALL_BITS) as u64;
            if ((old & SECURE_ALL_LOCKS as u64) >> 1) & (old ^ a[1]) != 0
                || old & SECURE_ALL_LOCKS as u64 & !a[1] != 0
                || a[1] & !locks != 0
                || !c.has_cap(CAP_SETPCAP)
            {
                return Err(Errno::EPERM);
            }
            c.securebits = a[1] as u32;
            Ok(0)
        }
        _ => {
            // PR_CAP_AMBIENT
            const IS_SET: u64 = 1;
            const RAISE: u64 = 2;
            const LOWER: u64 = 3;
            const CLEAR_ALL: u64 = 4;
            if a[1] == CLEAR_ALL {
                if a[2] != 0 || a[3] != 0 || a[4] != 0 {
                    return Err(Errno::EINVAL);
                }
                c.cap_ambient = 0;
                return Ok(0);
            }
            if !valid(a[2]) || a[3] != 0 || a[4] != 0 {
                return Err(Errno::EINVAL);
            }
            let bit = 1u64 << a[2];
            match a[1] {
                IS_SET => Ok((c.cap_ambient & bit != 0) as u64),
                RAISE => {
                    if c.cap_permitted & bit == 0
                        || c.cap_inheritable & bit == 0
                        || c.securebits & SECBIT_NO_CAP_AMBIENT_RAISE != 0
                    {
                        return Err(Errno::EPERM);
                    }
                    c.cap_ambient |= bit;
                    Ok(0)
                }
                LOWER => {
                    c.cap_ambient &= !bit;
                    Ok(0)
                }
                _ => Err(Errno::EINVAL),
            }
        }
    }
}

pub fn prctl(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let k = t.k.clone();
    match a[0] {
        1 => {
            if a[1] > 64 {
                return Err(Errno::EINVAL);
            }
            k.lock()
                .procs
                .get_mut(&t.tgid)
                .ok_or(Errno::ESRCH)?
                .pdeathsig = a[1] as i32;
            Ok(0)
        }
        2 => {
            let v = k
                .lock()
                .procs
                .get(&t.tgid)
                .map(|p| p.pdeathsig)
                .unwrap_or(0);
            t.mm.write_obj(a[1], &v)?;
            Ok(0)
        }
        3 => Ok(k
            .lock()
            .procs
            .get(&t.tgid)
            .map(|p| p.dumpable as u64)
            .unwrap_or(0)),
        4 => {
            if a[1] > 1 {
                return Err(Errno::EINVAL);
            }
            k.lock()
                .procs
                .get_mut(&t.tgid)
                .ok_or(Errno::ESRCH)?
                .dumpable = a[1] == 1;
            Ok(0)
        }
        15 => {
            let mut b = [0u8; 16];
            let s = t.mm.copy_in_partial(a[1], 16);
            if s.is_empty() {
                return Err(Errno::EFAULT);
            }
            let n = s.iter().position(|&c| c == 0).unwrap_or(s.len()).min(15);
            b[..n].copy_from_slice(&s[..n]);
            let name = String::from_utf8_lossy(&b[..n]).into_owned();
            if let Some(ti) = k.lock().threads.get_mut(&t.tid) {
                ti.comm = name;
            }
            Ok(0)
        }
        16 => {
            let name = k
                .lock()
                .threads
                .get(&t.tid)
                .map(|x| x.comm.clone())
                .unwrap_or_default();
            let mut b = [0u8; 16];
            let n = name.len().min(15);
            b[..n].copy_from_slice(&name.as_bytes()[..n]);
            t.mm.copy_out(a[1], &b)?;
            Ok(0)
        }
        // PR_GET_SECCOMP
        21 => Ok(0),
        // PR_GET_KEEPCAPS, PR_SET_KEEPCAPS, PR_CAPBSET_READ, PR_CAPBSET_DROP,
        // PR_GET_SECUREBITS, PR_SET_SECUREBITS, PR_CAP_AMBIENT
        7 | 8 | 23 | 24 | 27 | 28 | 47 => cap_prctl(t, a),
        // PR_GET_TIMERSLACK
        30 => Ok(50_000),
        36 => {
            k.lock()
                .procs
                .get_mut(&t.tgid)
                .ok_or(Errno::ESRCH)?
                .subreaper = a[1] != 0;
            Ok(0)
        }
        37 => {
            let v = k
                .lock()
                .procs
                .get(&t.tgid)
                .map(|p| p.subreaper as i32)
                .unwrap_or(0);
            t.mm.write_obj(a[1], &v)?;
            Ok(0)
        }
        38 => {
            if a[1] != 1 || a[2] != 0 || a[3] != 0 || a[4] != 0 {
                return Err(Errno::EINVAL);
            }
            k.lock()
                .procs
                .get_mut(&t.tgid)
                .ok_or(Errno::ESRCH)?
                .no_new_privs = true;
            Ok(0)
        }
        39 if a[1..5].iter().any(|&x| x != 0) => Err(Errno::EINVAL),
        39 => Ok(k
            .lock()
            .procs
            .get(&t.tgid)
            .map(|p| p.no_new_privs as u64)
            .unwrap_or(0)),
        _ => Err(Errno::EINVAL),
    }
}
