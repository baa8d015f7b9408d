//! Identity and system information: uname, credentials, limits, randomness, sysinfo.

use super::TaskCtx;
use crate::kernel::{caps, Creds};
use husk_abi::{Errno, Rlimit, SysResult, Sysinfo, Utsname};

/// The kernel release husk reports (numeric first, as glibc parses it).
pub const RELEASE: &str = "6.1.0-husk";
pub const VERSION: &str = "#1 SMP husk application kernel";

fn field(s: &str) -> [u8; 65] {
    let mut b = [0u8; 65];
    let n = s.len().min(64);
    b[..n].copy_from_slice(&s.as_bytes()[..n]);
    b
}

pub fn uname(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let uts = t.k.ns_of(t.tgid).uts;
    let u = Utsname {
        sysname: field("Linux"),
        nodename: field(&uts.hostname()),
        release: field(RELEASE),
        version: field(VERSION),
        machine: field("x86_64"),
        domainname: field(&uts.domainname()),
    };
    t.mm.write_obj(a[0], &u)?;
    Ok(0)
}

/// sethostname / setdomainname: CAP_SYS_ADMIN, at most 64 bytes, into the caller's UTS
/// namespace.
fn set_uts_name(t: &mut TaskCtx, a: &[u64; 6], domain: bool) -> SysResult {
    let owner = t.k.ns_of(t.tgid).uts.owner.clone();
    if !t.creds().capable_in(&owner, caps::CAP_SYS_ADMIN) {
        return Err(Errno::EPERM);
    }
    if a[1] > 64 {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; a[1] as usize];
    t.mm.copy_in(a[0], &mut b)?;
    let uts = t.k.ns_of(t.tgid).uts;
    let slot = if domain {
        &uts.domainname
    } else {
        &uts.hostname
    };
    *slot.lock().unwrap_or_else(|p| p.into_inner()) = String::from_utf8_lossy(&b).into_owned();
    Ok(0)
}

pub fn sethostname(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    set_uts_name(t, a, false)
}

pub fn setdomainname(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    set_uts_name(t, a, true)
}

/// Changes the process's credentials with `f`, then applies the capability fix-ups of a
/// uid change (Linux's cap_emulate_setxuid) when `uid_change`.
fn with_creds<R>(
    t: &TaskCtx,
    uid_change: bool,
    f: impl FnOnce(&mut Creds) -> Result<R, Errno>,
) -> Result<R, Errno> {
    let mut st = t.k.lock();
    let p = st.procs.get_mut(&t.tgid).ok_or(Errno::ESRCH)?;
    let old = p.creds.clone();
    let mut new = old.clone();
    let r = f(&mut new)?;
    if uid_change {
        new.fixup_setxuid(&old);
    }
    // Linux's commit_creds: a change of the effective or filesystem ids makes the
    // process non-dumpable (its /proc/PID files then belong to root).
    if (old.euid, old.egid, old.fsuid, old.fsgid) != (new.euid, new.egid, new.fsuid, new.fsgid) {
        p.dumpable = false;
    }
    p.creds = new;
    Ok(r)
}

pub fn getuid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    Ok(c.userns.show(true, c.ruid) as u64)
}
pub fn geteuid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    Ok(c.userns.show(true, c.euid) as u64)
}
pub fn getgid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    Ok(c.userns.show(false, c.rgid) as u64)
}
pub fn getegid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    Ok(c.userns.show(false, c.egid) as u64)
}

pub fn getresuid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    let ns = &c.userns;
    t.mm.write_obj(a[0], &ns.show(true, c.ruid))?;
    t.mm.write_obj(a[1], &ns.show(true, c.euid))?;
    t.mm.write_obj(a[2], &ns.show(true, c.suid))?;
    Ok(0)
}

pub fn getresgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    let ns = &c.userns;
    t.mm.write_obj(a[0], &ns.show(false, c.rgid))?;
    t.mm.write_obj(a[1], &ns.show(false, c.egid))?;
    t.mm.write_obj(a[2], &ns.show(false, c.sgid))?;
    Ok(0)
}

/// An id argument: None for -1, else the kernel id of the caller's namespace id
/// (EINVAL when it has no mapping).
fn id_arg(t: &TaskCtx, uid: bool, v: u64) -> Result<Option<u32>, Errno> {
    let v = v as u32;
    if v == u32::MAX {
        return Ok(None);
    }
    t.creds()
        .userns
        .to_kernel(uid, v)
        .map(Some)
        .ok_or(Errno::EINVAL)
}

/// setresuid/setresgid core: `ids` is (real, effective, saved, fs).
fn set_res(
    ids: (&mut u32, &mut u32, &mut u32, &mut u32),
    privileged: bool,
    r: Option<u32>,
    e: Option<u32>,
    s: Option<u32>,
) -> Result<(), Errno> {
    let cur = [*ids.0, *ids.1, *ids.2];
    if !privileged {
        for v in [r, e, s].into_iter().flatten() {
            if !cur.contains(&v) {
                return Err(Errno::EPERM);
            }
        }
    }
    if let Some(v) = r {
        *ids.0 = v;
    }
    if let Some(v) = e {
        *ids.1 = v;
    }
    if let Some(v) = s {
        *ids.2 = v;
    }
    *ids.3 = *ids.1;
    Ok(())
}

pub fn setresuid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (r, e, s) = (
        id_arg(t, true, a[0])?,
        id_arg(t, true, a[1])?,
        id_arg(t, true, a[2])?,
    );
    with_creds(t, true, |c| {
        let p = c.has_cap(caps::CAP_SETUID);
        set_res(
            (&mut c.ruid, &mut c.euid, &mut c.suid, &mut c.fsuid),
            p,
            r,
            e,
            s,
        )
    })?;
    Ok(0)
}

pub fn setresgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (r, e, s) = (
        id_arg(t, false, a[0])?,
        id_arg(t, false, a[1])?,
        id_arg(t, false, a[2])?,
    );
    with_creds(t, false, |c| {
        let p = c.has_cap(caps::CAP_SETGID);
        set_res(
            (&mut c.rgid, &mut c.egid, &mut c.sgid, &mut c.fsgid),
            p,
            r,
            e,
            s,
        )
    })?;
    Ok(0)
}

pub fn setuid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let u = id_arg(t, true, a[0])?.ok_or(Errno::EINVAL)?;
    with_creds(t, true, |c| {
        if c.has_cap(caps::CAP_SETUID) {
            c.ruid = u;
            c.euid = u;
            c.suid = u;
        } else if u == c.ruid || u == c.suid {
            c.euid = u;
        } else {
            return Err(Errno::EPERM);
        }
        c.fsuid = c.euid;
        Ok(0)
    })
}

pub fn setgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let g = id_arg(t, false, a[0])?.ok_or(Errno::EINVAL)?;
    with_creds(t, false, |c| {
        if c.has_cap(caps::CAP_SETGID) {
            c.rgid = g;
            c.egid = g;
            c.sgid = g;
        } else if g == c.rgid || g == c.sgid {
            c.egid = g;
        } else {
            return Err(Errno::EPERM);
        }
        c.fsgid = c.egid;
        Ok(0)
    })
}

pub fn setreuid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (r, e) = (id_arg(t, true, a[0])?, id_arg(t, true, a[1])?);
    with_creds(t, true, |c| {
        let p = c.has_cap(caps::CAP_SETUID);
        if !p
            && (r.is_some_and(|v| v != c.ruid && v != c.euid)
                || e.is_some_and(|v| v != c.ruid && v != c.euid && v != c.suid))
        {
            return Err(Errno::EPERM);
        }
        let old_r = c.ruid;
        if let Some(v) = r {
            c.ruid = v;
        }
        if let Some(v) = e {
            c.euid = v;
        }
        if r.is_some() || e.is_some_and(|v| v != old_r) {
            c.suid = c.euid;
        }
        c.fsuid = c.euid;
        Ok(0)
    })
}

pub fn setregid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (r, e) = (id_arg(t, false, a[0])?, id_arg(t, false, a[1])?);
    with_creds(t, false, |c| {
        let p = c.has_cap(caps::CAP_SETGID);
        if !p
            && (r.is_some_and(|v| v != c.rgid && v != c.egid)
                || e.is_some_and(|v| v != c.rgid && v != c.egid && v != c.sgid))
        {
            return Err(Errno::EPERM);
        }
        let old_r = c.rgid;
        if let Some(v) = r {
            c.rgid = v;
        }
        if let Some(v) = e {
            c.egid = v;
        }
        if r.is_some() || e.is_some_and(|v| v != old_r) {
            c.sgid = c.egid;
        }
        c.fsgid = c.egid;
        Ok(0)
    })
}

pub fn setfsuid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    // An unmapped id changes nothing; the old fsuid is returned either way.
    let u = id_arg(t, true, a[0]).ok().flatten();
    with_creds(t, false, |c| {
        let old = c.fsuid;
        if let Some(u) = u {
            if c.has_cap(caps::CAP_SETUID) || [c.ruid, c.euid, c.suid, c.fsuid].contains(&u) {
                c.fsuid = u;
                c.fixup_setfsuid(old);
            }
        }
        Ok(c.userns.show(true, old) as u64)
    })
}

pub fn setfsgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let g = id_arg(t, false, a[0]).ok().flatten();
    with_creds(t, false, |c| {
        let old = c.fsgid;
        if let Some(g) = g {
            if c.has_cap(caps::CAP_SETGID) || [c.rgid, c.egid, c.sgid, c.fsgid].contains(&g) {
                c.fsgid = g;
            }
        }
        Ok(c.userns.show(false, old) as u64)
    })
}

pub fn getgroups(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    let g: Vec<u32> = c.groups.iter().map(|&k| c.userns.show(false, k)).collect();
    let size = a[0] as i32;
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    if size == 0 {
        return Ok(g.len() as u64);
    }
    if (size as usize) < g.len() {
        return Err(Errno::EINVAL);
    }
    let bytes: Vec<u8> = g.iter().flat_map(|x| x.to_le_bytes()).collect();
    t.mm.copy_out(a[1], &bytes)?;
    Ok(g.len() as u64)
}

pub fn setgroups(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let n = a[0] as usize;
    if n > 65536 {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; n * 4];
    t.mm.copy_in(a[1], &mut b)?;
    let ns = t.creds().userns;
    let mut groups = Vec::with_capacity(n);
    for c in b.chunks(4) {
        let g = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        groups.push(ns.to_kernel(false, g).ok_or(Errno::EINVAL)?);
    }
    with_creds(t, false, |c| {
        // In a user namespace also: gid_map written and setgroups not denied.
        let ns_ok = c.userns.parent.is_none() || c.userns.may_setgroups();
        if !c.has_cap(caps::CAP_SETGID) || !ns_ok {
            return Err(Errno::EPERM);
        }
        c.groups = groups;
        Ok(0)
    })
}

pub fn getrandom(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if a[2] & !7 != 0 || a[2] & 6 == 6 {
        return Err(Errno::EINVAL);
    }
    let n = (a[1] as usize).min(33_554_431);
    let mut buf = vec![0u8; n];
    crate::host::random(&mut buf);
    t.mm.copy_out(a[0], &buf)?;
    Ok(n as u64)
}

pub fn sysinfo(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let host = rustix::system::sysinfo();
    let procs = t.k.thread_count() as u16;
    let s = Sysinfo {
        uptime: t.k.boot.elapsed().as_secs() as i64,
        loads: [0; 3],
        totalram: host.totalram as u64 * host.mem_unit as u64,
        freeram: host.freeram as u64 * host.mem_unit as u64,
        sharedram: 0,
        bufferram: 0,
        totalswap: 0,
        freeswap: 0,
        procs,
        mem_unit: 1,
        ..Default::default()
    };
    t.mm.write_obj(a[0], &s)?;
    Ok(0)
}

pub fn prlimit64(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let res = a[1] as usize;
    if res >= 16 {
        return Err(Errno::EINVAL);
    }
    let pid = a[0] as i32;
    let new: Option<Rlimit> = if a[2] != 0 {
        Some(t.mm.read_obj(a[2])?)
    } else {
        None
    };
    let old = {
        let mut st = t.k.lock();
        let tg = if pid == 0 {
            t.tgid
        } else {
            t.gpid(pid)
                .and_then(|g| st.threads.get(&g))
                .map(|x| x.tgid)
                .ok_or(Errno::ESRCH)?
        };
        let res_cap = st
            .procs
            .get(&t.tgid)
            .is_some_and(|p| p.creds.capable_init(caps::CAP_SYS_RESOURCE));
        let p = st.procs.get_mut(&tg).ok_or(Errno::ESRCH)?;
        let old = p.rlimits[res];
        if let Some(n) = new {
            if n.rlim_cur > n.rlim_max {
                return Err(Errno::EINVAL);
            }
            if n.rlim_max > old.rlim_max && !res_cap {
                return Err(Errno::EPERM);
            }
            if res == 7 && n.rlim_max > 1_048_576 {
                return Err(Errno::EPERM);
            }
            p.rlimits[res] = n;
        }
        old
    };
    if a[3] != 0 {
        t.mm.write_obj(a[3], &old)?;
    }
    Ok(0)
}

pub fn getrlimit(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    prlimit64(t, &[0, a[0], 0, a[1], 0, 0])
}

pub fn setrlimit(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    prlimit64(t, &[0, a[0], a[1], 0, 0, 0])
}

const CAP_V1: u32 = 0x1998_0330;
const CAP_V2: u32 = 0x2007_1026;
const CAP_V3: u32 = 0x2008_0522;

/// Reads and checks a capability header (version, pid). A bad version is replaced by
/// the preferred one in the header: EINVAL. Returns (version, pid).
fn cap_header(t: &mut TaskCtx, hdr: u64) -> Result<(u32, i32), Errno> {
    let h: [u32; 2] = t.mm.read_obj(hdr)?;
    if ![CAP_V1, CAP_V2, CAP_V3].contains(&h[0]) {
        t.mm.write_obj(hdr, &CAP_V3)?;
        return Err(Errno::EINVAL);
    }
    Ok((h[0], h[1] as i32))
}

pub fn capget(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (version, pid) = cap_header(t, a[0])?;
    if a[1] == 0 {
        return Ok(0);
    }
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let c = if pid == 0 {
        t.creds()
    } else {
        let g = t.gpid(pid).ok_or(Errno::ESRCH)?;
        let st = t.k.lock();
        st.proc_of(g).ok_or(Errno::ESRCH)?.creds.clone()
    };
    let (e, p, i) = (c.cap_effective, c.cap_permitted, c.cap_inheritable);
    let lo = |v: u64| v as u32;
    let hi = |v: u64| (v >> 32) as u32;
    if version == CAP_V1 {
        t.mm.write_obj(a[1], &[lo(e), lo(p), lo(i)])?;
    } else {
        t.mm.write_obj(a[1], &[lo(e), lo(p), lo(i), hi(e), hi(p), hi(i)])?;
    }
    Ok(0)
}

pub fn capset(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let (version, pid) = cap_header(t, a[0])?;
    if pid != 0 && t.gpid(pid) != Some(t.tgid) && t.gpid(pid) != Some(t.tid) {
        return Err(Errno::EPERM);
    }
    let d: [u32; 6] = if version == CAP_V1 {
        let v: [u32; 3] = t.mm.read_obj(a[1])?;
        [v[0], v[1], v[2], 0, 0, 0]
    } else {
        t.mm.read_obj(a[1])?
    };
    let join = |lo: u32, hi: u32| ((hi as u64) << 32 | lo as u64) & caps::CAP_FULL;
    let (e, p, i) = (join(d[0], d[3]), join(d[1], d[4]), join(d[2], d[5]));
    with_creds(t, false, |c| {
        // Without CAP_SETPCAP, new inheritable capabilities must be permitted ones.
        if !c.has_cap(caps::CAP_SETPCAP) && i & !(c.cap_inheritable | c.cap_permitted) != 0 {
            return Err(Errno::EPERM);
        }
        if i & !(c.cap_inheritable | c.cap_bset) != 0 {
            return Err(Errno::EPERM);
        }
        if p & !c.cap_permitted != 0 || e & !p != 0 {
            return Err(Errno::EPERM);
        }
        c.cap_effective = e;
        c.cap_permitted = p;
        c.cap_inheritable = i;
        c.cap_ambient &= p & i;
        Ok(0)
    })
}
