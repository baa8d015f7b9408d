//! procfs: the sandbox's processes (never the host's), and a few system files.

use super::simple::{next_ino, NoData, Symlink};
use crate::kernel::{Kernel, ProcState, Tid, CURRENT};
use crate::vfs::*;
use husk_abi::Errno;
use std::any::Any;
use std::sync::{Arc, OnceLock, Weak};

/// Facts about the host captured at start-up (the Sentry opens no host file later).
#[derive(Clone, Default)]
pub struct HostInfo {
    pub cpuinfo: Vec<u8>,
    pub ncpus: u64,
    pub mem_total_kb: u64,
}

/// The procfs instance.
pub struct ProcFs {
    pub kernel: OnceLock<Weak<Kernel>>,
    pub host: HostInfo,
    root_ino: u64,
}

impl ProcFs {
    pub fn new(host: HostInfo) -> Arc<ProcFs> {
        Arc::new(ProcFs {
            kernel: OnceLock::new(),
            host,
            root_ino: next_ino(),
        })
    }

    fn k(&self) -> Result<Arc<Kernel>, Errno> {
        self.kernel
            .get()
            .and_then(|w| w.upgrade())
            .ok_or(Errno::ENOENT)
    }

    /// The root directory inode.
    pub fn root(self: &Arc<Self>) -> InodeRef {
        Arc::new(ProcDir {
            fs: self.clone(),
            kind: DirKind::Root,
            ino: self.root_ino,
        })
    }
}

fn dir_attr(ino: u64) -> Attr {
    Attr {
        dev: 0x16,
        ino,
        mode: S_IFDIR | 0o555,
        nlink: 2,
        blksize: 4096,
        atime: now(),
        mtime: now(),
        ctime: now(),
        ..Default::default()
    }
}

#[derive(Clone, Copy)]
enum DirKind {
    Root,
    Pid(Tid),
    Fd(Tid),
    Task(Tid),
    Sys,
    SysKernel,
}

struct ProcDir {
    fs: Arc<ProcFs>,
    kind: DirKind,
    ino: u64,
}

/// A generated file: its content is computed at open.
struct ProcFile {
    fs: Arc<ProcFs>,
    tid: Tid,
    what: &'static str,
    ino: u64,
}

struct Content(Vec<u8>);

impl FileOps for Content {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let off = off as usize;
        if off >= self.0.len() {
            return Ok(0);
        }
        let n = buf.len().min(self.0.len() - off);
        buf[..n].copy_from_slice(&self.0[off..off + n]);
        Ok(n)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EACCES)
    }
    fn size(&self) -> Option<u64> {
        Some(self.0.len() as u64)
    }
}

/// A link of /proc/PID: exe, cwd, root, fd/N.
struct ProcLink {
    fs: Arc<ProcFs>,
    tid: Tid,
    what: &'static str,
    fd: i32,
    ino: u64,
}

fn stable_ino(a: u64, b: u64) -> u64 {
    0x1000_0000 + a * 1024 + b
}

const PID_FILES: &[&str] = &[
    "cmdline",
    "comm",
    "environ",
    "maps",
    "mounts",
    "stat",
    "statm",
    "status",
    "limits",
    "cgroup",
    "oom_score_adj",
    "mountinfo",
];
const PID_LINKS: &[&str] = &["cwd", "exe", "root"];
const ROOT_FILES: &[&str] = &[
    "cpuinfo",
    "meminfo",
    "uptime",
    "version",
    "loadavg",
    "stat",
    "filesystems",
    "mounts",
];

impl ProcDir {
    fn child(&self, kind: DirKind, ino: u64) -> InodeRef {
        Arc::new(ProcDir {
            fs: self.fs.clone(),
            kind,
            ino,
        })
    }
    fn file(&self, tid: Tid, what: &'static str) -> InodeRef {
        Arc::new(ProcFile {
            fs: self.fs.clone(),
            tid,
            what,
            ino: stable_ino(
                tid as u64,
                what.len() as u64 * 31 + what.as_bytes()[0] as u64,
            ),
        })
    }
    fn link(&self, tid: Tid, what: &'static str, fd: i32) -> InodeRef {
        Arc::new(ProcLink {
            fs: self.fs.clone(),
            tid,
            what,
            fd,
            ino: next_ino(),
        })
    }
}

impl Inode for ProcDir {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(dir_attr(self.ino))
    }

    fn lookup(&self, name: &[u8]) -> Result<InodeRef, Errno> {
        let k = self.fs.k()?;
        let name_s = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        match self.kind {
            DirKind::Root => {
                if let Ok(pid) = name_s.parse::<Tid>() {
                    let st = k.lock();
                    if st.procs.contains_key(&pid) || st.threads.contains_key(&pid) {
                        return Ok(self.child(DirKind::Pid(pid), stable_ino(pid as u64, 0)));
                    }
                    return Err(Errno::ENOENT);
                }
                let (tid, tgid) = CURRENT.with(|c| c.get());
                match name_s {
                    "self" => Ok(Symlink::new(&tgid.to_string())),
                    "thread-self" => Ok(Symlink::new(&format!("{tgid}/task/{tid}"))),
                    "sys" => Ok(self.child(DirKind::Sys, stable_ino(0, 7))),
                    f => ROOT_FILES
                        .iter()
                        .find(|x| **x == f)
                        .map(|w| self.file(0, w))
                        .ok_or(Errno::ENOENT),
                }
            }
            DirKind::Pid(pid) => match name_s {
                "fd" => Ok(self.child(DirKind::Fd(pid), stable_ino(pid as u64, 1))),
                "task" => Ok(self.child(DirKind::Task(pid), stable_ino(pid as u64, 2))),
                f => {
                    if let Some(w) = PID_FILES.iter().find(|x| **x == f) {
                        return Ok(self.file(pid, w));
                    }
                    if let Some(w) = PID_LINKS.iter().find(|x| **x == f) {
                        return Ok(self.link(pid, w, -1));
                    }
                    Err(Errno::ENOENT)
                }
            },
            DirKind::Fd(pid) => {
                let fd: i32 = name_s.parse().map_err(|_| Errno::ENOENT)?;
                let files = k
                    .lock()
                    .threads
                    .get(&pid)
                    .map(|t| t.files.clone())
                    .ok_or(Errno::ENOENT)?;
                files.get(fd).map_err(|_| Errno::ENOENT)?;
                Ok(self.link(pid, "fd", fd))
            }
            DirKind::Task(pid) => {
                let tid: Tid = name_s.parse().map_err(|_| Errno::ENOENT)?;
                let st = k.lock();
                if st.threads.get(&tid).is_some_and(|t| t.tgid == pid) {
                    return Ok(self.child(DirKind::Pid(tid), stable_ino(tid as u64, 3)));
                }
                Err(Errno::ENOENT)
            }
            DirKind::Sys => match name_s {
                "kernel" => Ok(self.child(DirKind::SysKernel, stable_ino(0, 8))),
                _ => Err(Errno::ENOENT),
            },
            DirKind::SysKernel => match name_s {
                "hostname" | "pid_max" | "ngroups_max" | "osrelease" | "ostype" => {
                    let w: &'static str = match name_s {
                        "hostname" => "sys_hostname",
                        "pid_max" => "sys_pid_max",
                        "ngroups_max" => "sys_ngroups_max",
                        "osrelease" => "sys_osrelease",
                        _ => "sys_ostype",
                    };
                    Ok(self.file(0, w))
                }
                _ => Err(Errno::ENOENT),
            },
        }
    }

    fn readdir(&self) -> Result<Vec<DirEnt>, Errno> {
        let k = self.fs.k()?;
        let mut out = Vec::new();
        let ent = |n: &str, ino: u64, dtype: u8| DirEnt {
            name: n.as_bytes().to_vec(),
            ino,
            dtype,
        };
        match self.kind {
            DirKind::Root => {
                for f in ROOT_FILES {
                    out.push(ent(f, next_ino(), 8));
                }
                out.push(ent("self", next_ino(), 10));
                out.push(ent("thread-self", next_ino(), 10));
                out.push(ent("sys", stable_ino(0, 7), 4));
                let st = k.lock();
                for p in st.procs.keys() {
                    out.push(ent(&p.to_string(), stable_ino(*p as u64, 0), 4));
                }
            }
            DirKind::Pid(pid) => {
                for f in PID_FILES {
                    out.push(ent(f, next_ino(), 8));
                }
                for f in PID_LINKS {
                    out.push(ent(f, next_ino(), 10));
                }
                out.push(ent("fd", stable_ino(pid as u64, 1), 4));
                out.push(ent("task", stable_ino(pid as u64, 2), 4));
            }
            DirKind::Fd(pid) => {
                let files = k
                    .lock()
                    .threads
                    .get(&pid)
                    .map(|t| t.files.clone())
                    .ok_or(Errno::ENOENT)?;
                for (fd, _) in files.list() {
                    out.push(ent(&fd.to_string(), next_ino(), 10));
                }
            }
            DirKind::Task(pid) => {
                let st = k.lock();
                if let Some(p) = st.procs.get(&pid) {
                    for t in &p.threads {
                        out.push(ent(&t.to_string(), stable_ino(*t as u64, 3), 4));
                    }
                }
            }
            DirKind::Sys => out.push(ent("kernel", stable_ino(0, 8), 4)),
            DirKind::SysKernel => {
                for f in ["hostname", "ngroups_max", "osrelease", "ostype", "pid_max"] {
                    out.push(ent(f, next_ino(), 8));
                }
            }
        }
        Ok(out)
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        if flags & O_ACCMODE != O_RDONLY {
            return Err(Errno::EISDIR);
        }
        Ok(Arc::new(NoData))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn state_char(k: &Kernel, pid: Tid) -> char {
    let st = k.lock();
    match st.procs.get(&pid) {
        Some(p) if matches!(p.state, ProcState::Zombie(_)) => 'Z',
        Some(p) if p.stopped => 'T',
        _ => 'S',
    }
}

impl ProcFile {
    fn generate(&self) -> Result<Vec<u8>, Errno> {
        let k = self.fs.k()?;
        let pid = self.tid;
        let thread = || {
            k.lock()
                .threads
                .get(&pid)
                .map(|t| (t.mm.clone(), t.files.clone(), t.comm.clone()))
        };
        let tgid_of = |p: Tid| k.lock().threads.get(&p).map(|t| t.tgid).unwrap_or(p);
        let s = match self.what {
            "cpuinfo" => return Ok(self.fs.host.cpuinfo.clone()),
            "meminfo" => {
                let total = self.fs.host.mem_total_kb;
                let used = k.mf.used_bytes() / 1024;
                let free = total.saturating_sub(used);
                format!(
                    "MemTotal:       {total:>8} kB\nMemFree:        {free:>8} kB\nMemAvailable:   {free:>8} kB\nBuffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\nShmem:                 0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n"
                )
            }
            "uptime" => {
                let u = k.boot.elapsed().as_secs_f64();
                format!("{u:.2} {:.2}\n", u * self.fs.host.ncpus as f64)
            }
            "version" => format!("Linux version {} (husk) {}\n", crate::syscalls::RELEASE, crate::syscalls::VERSION),
            "loadavg" => {
                let n = k.thread_count();
                format!("0.00 0.00 0.00 1/{n} {}\n", n)
            }
            "stat" if pid == 0 => {
                let mut s = String::from("cpu  0 0 0 0 0 0 0 0 0 0\n");
                for c in 0..self.fs.host.ncpus {
                    s.push_str(&format!("cpu{c} 0 0 0 0 0 0 0 0 0 0\n"));
                }
                let boot = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs()
                    .saturating_sub(k.boot.elapsed().as_secs());
                s.push_str(&format!("intr 0\nctxt 0\nbtime {boot}\nprocesses {}\nprocs_running 1\nprocs_blocked 0\n", k.thread_count()));
                s
            }
            "filesystems" => "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tdevpts\nnodev\toverlay\n".into(),
            "mounts" => {
                let mut s = String::new();
                for (path, m) in k.vfs.mounts() {
                    let ro = if m.flags.readonly { "ro" } else { "rw" };
                    s.push_str(&format!("{} {} {} {},relatime 0 0\n", m.source, path, m.fstype, ro));
                }
                s
            }
            "mountinfo" => {
                let mut s = String::new();
                for (i, (path, m)) in k.vfs.mounts().into_iter().enumerate() {
                    let ro = if m.flags.readonly { "ro" } else { "rw" };
                    s.push_str(&format!("{} {} 0:{} / {} {},relatime - {} {} {}\n", i + 1, if i == 0 { 0 } else { 1 }, 30 + i, path, ro, m.fstype, m.source, ro));
                }
                s
            }
            "sys_hostname" => format!("{}\n", k.hostname.lock().unwrap_or_else(|p| p.into_inner())),
            "sys_pid_max" => format!("{}\n", crate::kernel::PID_MAX),
            "sys_ngroups_max" => "65536\n".into(),
            "sys_osrelease" => format!("{}\n", crate::syscalls::RELEASE),
            "sys_ostype" => "Linux\n".into(),
            "cmdline" => {
                let tg = tgid_of(pid);
                let st = k.lock();
                let p = st.procs.get(&tg).ok_or(Errno::ESRCH)?;
                if matches!(p.state, ProcState::Zombie(_)) {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                for a in &p.cmdline {
                    out.extend_from_slice(a);
                    out.push(0);
                }
                return Ok(out);
            }
            "environ" => {
                let (mm, _, _) = thread().ok_or(Errno::ESRCH)?;
                let (s, e) = {
                    let l = &mm.lock().layout;
                    (l.env_start, l.env_end)
                };
                return Ok(mm.copy_in_partial(s, (e - s) as usize));
            }
            "comm" => {
                let tg = tgid_of(pid);
                let st = k.lock();
                let t = st.threads.get(&pid).or_else(|| st.threads.get(&tg)).ok_or(Errno::ESRCH)?;
                format!("{}\n", t.comm)
            }
            "maps" => thread().ok_or(Errno::ESRCH)?.0.maps_text(),
            "statm" => {
                let (mm, _, _) = thread().ok_or(Errno::ESRCH)?;
                format!("{} {} 0 0 0 0 0\n", mm.vm_bytes() / 4096, mm.rss_bytes() / 4096)
            }
            "limits" => {
                let tg = tgid_of(pid);
                let st = k.lock();
                let p = st.procs.get(&tg).ok_or(Errno::ESRCH)?;
                let names = [
                    ("Max cpu time", "seconds"),
                    ("Max file size", "bytes"),
                    ("Max data size", "bytes"),
                    ("Max stack size", "bytes"),
                    ("Max core file size", "bytes"),
                    ("Max resident set", "bytes"),
                    ("Max processes", "processes"),
                    ("Max open files", "files"),
                    ("Max locked memory", "bytes"),
                    ("Max address space", "bytes"),
                    ("Max file locks", "locks"),
                    ("Max pending signals", "signals"),
                    ("Max msgqueue size", "bytes"),
                    ("Max nice priority", ""),
                    ("Max realtime priority", ""),
                    ("Max realtime timeout", "us"),
                ];
                let v = |x: u64| if x == u64::MAX { "unlimited".to_string() } else { x.to_string() };
                let mut s = format!("{:<25} {:<20} {:<20} {:<10}\n", "Limit", "Soft Limit", "Hard Limit", "Units");
                for (i, (n, u)) in names.iter().enumerate() {
                    s.push_str(&format!("{:<25} {:<20} {:<20} {:<10}\n", n, v(p.rlimits[i].rlim_cur), v(p.rlimits[i].rlim_max), u));
                }
                s
            }
            "cgroup" => "0::/\n".into(),
            "oom_score_adj" => "0\n".into(),
            "stat" => {
                let tg = tgid_of(pid);
                let state = state_char(&k, tg);
                let st = k.lock();
                let p = st.procs.get(&tg).ok_or(Errno::ESRCH)?;
                let comm = st.threads.get(&pid).or_else(|| st.threads.get(&tg)).map(|t| t.comm.clone()).unwrap_or_default();
                let (vsz, rss) = st.threads.get(&pid).or_else(|| st.threads.get(&tg)).map(|t| (t.mm.vm_bytes(), t.mm.rss_bytes() / 4096)).unwrap_or((0, 0));
                let ticks = |d: std::time::Duration| d.as_millis() / 10;
                let start = ticks(p.start.duration_since(k.boot));
                format!(
                    "{pid} ({comm}) {state} {} {} {} 0 -1 4194560 0 0 0 0 {} {} {} {} 20 {} {} 0 {start} {vsz} {rss} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                    p.parent,
                    p.pgid,
                    p.sid,
                    ticks(p.usage.utime),
                    ticks(p.usage.stime),
                    ticks(p.child_usage.utime),
                    ticks(p.child_usage.stime),
                    p.nice,
                    p.threads.len().max(1),
                )
            }
            "status" => {
                let tg = tgid_of(pid);
                let state = match state_char(&k, tg) {
                    'Z' => "Z (zombie)",
                    'T' => "T (stopped)",
                    _ => "S (sleeping)",
                };
                let st = k.lock();
                let p = st.procs.get(&tg).ok_or(Errno::ESRCH)?;
                let t = st.threads.get(&pid).or_else(|| st.threads.get(&tg));
                let comm = t.map(|t| t.comm.clone()).unwrap_or_default();
                let mask = t.map(|t| t.mask).unwrap_or(0);
                let tpend = t.map(|t| t.pending.set()).unwrap_or(0);
                let (vsz, rss) = t.map(|t| (t.mm.vm_bytes() / 1024, t.mm.rss_bytes() / 1024)).unwrap_or((0, 0));
                let ign = (1..=64).filter(|&s| p.actions[s].handler == 1).fold(0u64, |m, s| m | 1 << (s - 1));
                let cgt = (1..=64).filter(|&s| p.actions[s].handler > 1).fold(0u64, |m, s| m | 1 << (s - 1));
                let c = &p.creds;
                let caps = if c.euid == 0 { "000001ffffffffff" } else { "0000000000000000" };
                format!(
                    "Name:\t{comm}\nUmask:\t0022\nState:\t{state}\nTgid:\t{tg}\nNgid:\t0\nPid:\t{pid}\nPPid:\t{}\nTracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nGroups:\t{}\nVmPeak:\t{vsz:>8} kB\nVmSize:\t{vsz:>8} kB\nVmRSS:\t{rss:>8} kB\nThreads:\t{}\nSigQ:\t0/63000\nSigPnd:\t{tpend:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{mask:016x}\nSigIgn:\t{ign:016x}\nSigCgt:\t{cgt:016x}\nCapInh:\t0000000000000000\nCapPrm:\t{caps}\nCapEff:\t{caps}\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t{}\nSeccomp:\t0\nCpus_allowed_list:\t0-{}\n",
                    p.parent,
                    c.ruid,
                    c.euid,
                    c.suid,
                    c.fsuid,
                    c.rgid,
                    c.egid,
                    c.sgid,
                    c.fsgid,
                    c.groups.iter().map(|g| g.to_string()).collect::<Vec<_>>().join(" "),
                    p.threads.len().max(1),
                    p.shared_pending.set(),
                    p.no_new_privs as u8,
                    self.fs.host.ncpus.saturating_sub(1),
                )
            }
            _ => return Err(Errno::ENOENT),
        };
        Ok(s.into_bytes())
    }
}

impl Inode for ProcFile {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            dev: 0x16,
            ino: self.ino,
            mode: S_IFREG | 0o444,
            nlink: 1,
            blksize: 4096,
            atime: now(),
            mtime: now(),
            ctime: now(),
            ..Default::default()
        })
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        if flags & O_ACCMODE != O_RDONLY {
            return Err(Errno::EACCES);
        }
        Ok(Arc::new(Content(self.generate()?)))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl ProcLink {
    fn target(&self) -> Result<(Vec<u8>, Option<Arc<Dentry>>), Errno> {
        let k = self.fs.k()?;
        let (mm, files, fs) = {
            let st = k.lock();
            let t = st
                .threads
                .get(&self.tid)
                .or_else(|| {
                    st.procs
                        .get(&self.tid)
                        .and_then(|p| p.threads.first())
                        .and_then(|t| st.threads.get(t))
                })
                .ok_or(Errno::ENOENT)?;
            (t.mm.clone(), t.files.clone(), t.fs.clone())
        };
        match self.what {
            "exe" => {
                let exe = mm.lock().layout.exe.clone();
                let root = k.vfs.root.clone();
                let d = k
                    .vfs
                    .walk(&root, &root, exe.as_bytes(), WalkFlags { follow: true })
                    .ok();
                Ok((exe.into_bytes(), d))
            }
            "cwd" => {
                let d = fs.lock().unwrap_or_else(|p| p.into_inner()).cwd.clone();
                Ok((d.path(), Some(d)))
            }
            "root" => {
                let d = fs.lock().unwrap_or_else(|p| p.into_inner()).root.clone();
                Ok((d.path(), Some(d)))
            }
            _ => {
                let f = files.get(self.fd).map_err(|_| Errno::ENOENT)?;
                let d = match &f.dentry {
                    Some(d) => d.clone(),
                    None => Arc::new(Dentry {
                        name: f.anon_name.as_bytes().to_vec(),
                        parent: None,
                        inode: Arc::new(OpenFileInode { file: f.clone() }),
                        mount: k.vfs.root.mount.clone(),
                    }),
                };
                Ok((f.display_name().into_bytes(), Some(d)))
            }
        }
    }
}

impl Inode for ProcLink {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(Attr {
            dev: 0x16,
            ino: self.ino,
            mode: S_IFLNK | 0o777,
            nlink: 1,
            blksize: 4096,
            atime: now(),
            mtime: now(),
            ctime: now(),
            ..Default::default()
        })
    }
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        Ok(self.target()?.0)
    }
    fn follow_magic(&self) -> Option<Result<Arc<Dentry>, Errno>> {
        Some(self.target().and_then(|(_, d)| d.ok_or(Errno::ENOENT)))
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
