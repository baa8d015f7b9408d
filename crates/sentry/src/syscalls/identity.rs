//! Identity and system information: uname, credentials, limits, randomness, sysinfo.

use super::TaskCtx;
use crate::kernel::Creds;
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
    let host =
        t.k.hostname
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
    let u = Utsname {
        sysname: field("Linux"),
        nodename: field(&host),
        release: field(RELEASE),
        version: field(VERSION),
        machine: field("x86_64"),
        domainname: field("(none)"),
    };
    t.mm.write_obj(a[0], &u)?;
    Ok(0)
}

pub fn sethostname(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    if t.creds().euid != 0 {
        return Err(Errno::EPERM);
    }
    if a[1] > 64 {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; a[1] as usize];
    t.mm.copy_in(a[0], &mut b)?;
    *t.k.hostname.lock().unwrap_or_else(|p| p.into_inner()) =
        String::from_utf8_lossy(&b).into_owned();
    Ok(0)
}

fn with_creds<R>(t: &TaskCtx, f: impl FnOnce(&mut Creds) -> Result<R, Errno>) -> Result<R, Errno> {
    let mut st = t.k.lock();
    let p = st.procs.get_mut(&t.tgid).ok_or(Errno::ESRCH)?;
    f(&mut p.creds)
}

pub fn getuid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Ok(t.creds().ruid as u64)
}
pub fn geteuid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Ok(t.creds().euid as u64)
}
pub fn getgid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Ok(t.creds().rgid as u64)
}
pub fn getegid(t: &mut TaskCtx, _a: &[u64; 6]) -> SysResult {
    Ok(t.creds().egid as u64)
}

pub fn getresuid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    t.mm.write_obj(a[0], &c.ruid)?;
    t.mm.write_obj(a[1], &c.euid)?;
    t.mm.write_obj(a[2], &c.suid)?;
    Ok(0)
}

pub fn getresgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let c = t.creds();
    t.mm.write_obj(a[0], &c.rgid)?;
    t.mm.write_obj(a[1], &c.egid)?;
    t.mm.write_obj(a[2], &c.sgid)?;
    Ok(0)
}

fn opt(v: u64) -> Option<u32> {
    let v = v as u32;
    (v != u32::MAX).then_some(v)
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
    with_creds(t, |c| {
        let p = c.euid == 0;
        set_res(
            (&mut c.ruid, &mut c.euid, &mut c.suid, &mut c.fsuid),
            p,
            opt(a[0]),
            opt(a[1]),
            opt(a[2]),
        )
    })?;
    Ok(0)
}

pub fn setresgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    with_creds(t, |c| {
        let p = c.euid == 0;
        set_res(
            (&mut c.rgid, &mut c.egid, &mut c.sgid, &mut c.fsgid),
            p,
            opt(a[0]),
            opt(a[1]),
            opt(a[2]),
        )
    })?;
    Ok(0)
}

pub fn setuid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let u = a[0] as u32;
    if u == u32::MAX {
        return Err(Errno::EINVAL);
    }
    with_creds(t, |c| {
        if c.euid == 0 {
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
    let g = a[0] as u32;
    if g == u32::MAX {
        return Err(Errno::EINVAL);
    }
    with_creds(t, |c| {
        if c.euid == 0 {
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
    let (r, e) = (opt(a[0]), opt(a[1]));
    with_creds(t, |c| {
        let p = c.euid == 0;
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
    let (r, e) = (opt(a[0]), opt(a[1]));
    with_creds(t, |c| {
        let p = c.euid == 0;
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
    let u = a[0] as u32;
    with_creds(t, |c| {
        let old = c.fsuid;
        if c.euid == 0 || [c.ruid, c.euid, c.suid, c.fsuid].contains(&u) {
            c.fsuid = u;
        }
        Ok(old as u64)
    })
}

pub fn setfsgid(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let g = a[0] as u32;
    with_creds(t, |c| {
        let old = c.fsgid;
        if c.euid == 0 || [c.rgid, c.egid, c.sgid, c.fsgid].contains(&g) {
            c.fsgid = g;
        }
        Ok(old as u64)
    })
}

pub fn getgroups(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let g = t.creds().groups;
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
    let groups: Vec<u32> = b
        .chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    with_creds(t, |c| {
        if c.euid != 0 {
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
            st.threads.get(&pid).map(|x| x.tgid).ok_or(Errno::ESRCH)?
        };
        let euid = st.procs.get(&t.tgid).map(|p| p.creds.euid).unwrap_or(0);
        let p = st.procs.get_mut(&tg).ok_or(Errno::ESRCH)?;
        let old = p.rlimits[res];
        if let Some(n) = new {
            if n.rlim_cur > n.rlim_max {
                return Err(Errno::EINVAL);
            }
            if n.rlim_max > old.rlim_max && euid != 0 {
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

pub fn capget(t: &mut TaskCtx, a: &[u64; 6]) -> SysResult {
    let version: u32 = t.mm.read_obj(a[0])?;
    const V1: u32 = 0x1998_0330;
    const V2: u32 = 0x2007_1026;
    const V3: u32 = 0x2008_0522;
    if ![V1, V2, V3].contains(&version) {
        t.mm.write_obj(a[0], &V3)?;
        return Err(Errno::EINVAL);
    }
    if a[1] == 0 {
        return Ok(0);
    }
    let root = t.creds().euid == 0;
    let (lo, hi) = if root {
        (0xffff_ffffu32, 0x1ffu32)
    } else {
        (0, 0)
    };
    if version == V1 {
        t.mm.write_obj(a[1], &[lo, lo, 0u32])?;
    } else {
        t.mm.write_obj(a[1], &[lo, lo, 0u32, hi, hi, 0u32])?;
    }
    Ok(0)
}
