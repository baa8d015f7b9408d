//! procfs: the sandbox's processes (never the host's), and a few system files.

use super::simple::{next_ino, Symlink};
use crate::kernel::{Kernel, ProcState, Tid, CURRENT};
use crate::vfs::*;
use husk_abi::Errno;
use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

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
    /// The sandbox's boot id (random per sandbox).
    boot_id: [u8; 16],
    root_ino: u64,
    /// The PID namespace of a proc mounted inside a nested one (its processes are
    /// listed, with their IDs there); `None` for the sandbox's root namespace.
    pidns: Option<Arc<crate::kernel::pidns::PidNs>>,
    /// The entries outside /proc/PID (the root, its files, /proc/sys), by path ("" for
    /// the root, "sys/kernel" for /proc/sys/kernel): each lookup gives the same inode
    /// while one is in use, so that a mount on it (an OCI config's masked and read-only
    /// paths, a bind mount) is found again by walks, which find mounts by inode.
    fixed: Mutex<HashMap<String, Weak<dyn Inode>>>,
}

impl ProcFs {
    pub fn new(host: HostInfo) -> Arc<ProcFs> {
        Arc::new(ProcFs {
            kernel: OnceLock::new(),
            host,
            root_ino: next_ino(),
            boot_id: {
                let mut b = [0u8; 16];
                crate::host::random(&mut b);
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                b
            },
            pidns: None,
            fixed: Mutex::new(HashMap::new()),
        })
    }

    /// The same procfs seen from PID namespace `ns` (a proc mount made inside it).
    pub fn view(self: &Arc<Self>, ns: Arc<crate::kernel::pidns::PidNs>) -> Arc<ProcFs> {
        let kernel = OnceLock::new();
        if let Some(k) = self.kernel.get() {
            let _ = kernel.set(k.clone());
        }
        Arc::new(ProcFs {
            kernel,
            host: self.host.clone(),
            boot_id: self.boot_id,
            root_ino: next_ino(),
            pidns: if ns.is_root() { None } else { Some(ns) },
            fixed: Mutex::new(HashMap::new()),
        })
    }

    /// Global ID `id` as this mount shows it (0: not in its namespace).
    fn local(&self, id: Tid) -> Tid {
        self.pidns.as_ref().map_or(id, |n| n.local(id))
    }

    /// The global ID of `id` as named in this mount, if its namespace has it.
    fn global(&self, id: Tid) -> Option<Tid> {
        match &self.pidns {
            None => Some(id),
            Some(n) => n.global(id),
        }
    }
}

/// The root of a proc mount made from PID namespace `ns`, given the sandbox's proc root.
pub fn root_for(sandbox_root: &InodeRef, ns: Arc<crate::kernel::pidns::PidNs>) -> InodeRef {
    match sandbox_root.as_any().downcast_ref::<ProcDir>() {
        Some(d) if !ns.is_root() => d.fs.view(ns).root(),
        _ => sandbox_root.clone(),
    }
}

impl ProcFs {
    fn k(&self) -> Result<Arc<Kernel>, Errno> {
        self.kernel
            .get()
            .and_then(|w| w.upgrade())
            .ok_or(Errno::ENOENT)
    }

    /// The root directory inode.
    pub fn root(self: &Arc<Self>) -> InodeRef {
        self.fixed("", || {
            Arc::new(ProcDir {
                fs: self.clone(),
                kind: DirKind::Root,
                ino: self.root_ino,
            })
        })
    }

    /// The entry at `path` (see [`ProcFs::fixed`]): the one in use, else a new one.
    fn fixed(&self, path: &str, make: impl FnOnce() -> InodeRef) -> InodeRef {
        let mut map = self.fixed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = map.get(path).and_then(Weak::upgrade) {
            return i;
        }
        let i = make();
        map.insert(path.to_string(), Arc::downgrade(&i));
        i
    }
}

fn uuid_text(b: &[u8; 16]) -> String {
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}\n",
        h[0..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..16].concat()
    )
}

/// The fd table of thread `pid` (ENOENT if it is gone).
fn files_of(k: &Kernel, pid: Tid) -> Result<Arc<crate::vfs::FdTable>, Errno> {
    k.lock()
        .threads
        .get(&pid)
        .map(|t| t.files.clone())
        .ok_or(Errno::ENOENT)
}

/// The owner of /proc/PID entries (Linux's task_dump_owner): the process's effective
/// ids while it is dumpable, else root of its user namespace (or the sandbox's root).
fn task_owner(k: &Kernel, tid: Tid) -> (u32, u32) {
    let st = k.lock();
    let p = st
        .threads
        .get(&tid)
        .and_then(|t| st.procs.get(&t.tgid))
        .or_else(|| st.procs.get(&tid));
    match p {
        Some(p) if p.dumpable => (p.creds.euid, p.creds.egid),
        Some(p) => (
            p.creds.userns.to_kernel(true, 0).unwrap_or(0),
            p.creds.userns.to_kernel(false, 0).unwrap_or(0),
        ),
        None => (0, 0),
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
    FdInfo(Tid),
    /// A directory of /proc/sys, by its path below it ("" for /proc/sys itself).
    Sys(&'static str),
    Net,
}

/// The files of /proc/sys, by path.
const SYS_FILES: &[&str] = &[
    "fs/file-max",
    "fs/nr_open",
    "fs/pipe-max-size",
    "kernel/cap_last_cap",
    "kernel/domainname",
    "kernel/hostname",
    "kernel/msgmax",
    "kernel/msgmnb",
    "kernel/msgmni",
    "kernel/ngroups_max",
    "kernel/osrelease",
    "kernel/ostype",
    "kernel/overflowgid",
    "kernel/overflowuid",
    "kernel/pid_max",
    "kernel/random/boot_id",
    "kernel/random/uuid",
    "kernel/sem",
    "kernel/shmall",
    "kernel/shmmax",
    "kernel/shmmni",
    "kernel/threads-max",
    "net/core/somaxconn",
    "vm/max_map_count",
    "vm/mmap_min_addr",
    "vm/overcommit_memory",
];
/// The directories of /proc/sys, by path.
const SYS_DIRS: &[&str] = &["", "fs", "kernel", "kernel/random", "net", "net/core", "vm"];
/// The files of /proc/net.
const NET_FILES: &[&str] = &["dev", "tcp", "tcp6", "udp", "udp6", "unix"];

fn sys_join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The entries of /proc/sys directory `dir`: (name, is_dir).
fn sys_entries(dir: &str) -> Vec<(String, bool)> {
    let prefix = if dir.is_empty() {
        String::new()
    } else {
        format!("{dir}/")
    };
    let mut out: Vec<(String, bool)> = Vec::new();
    for (list, is_dir) in [(SYS_DIRS, true), (SYS_FILES, false)] {
        for p in list.iter() {
            if let Some(rest) = p.strip_prefix(prefix.as_str()) {
                if !rest.is_empty() && !rest.contains('/') {
                    out.push((rest.to_string(), is_dir));
                }
            }
        }
    }
    out.sort();
    out
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

/// A file of /proc/PID opened: reads fail with ESRCH once the task is gone (reaped).
struct PidContent {
    fs: Arc<ProcFs>,
    tid: Tid,
    data: Content,
}

impl FileOps for PidContent {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let k = self.fs.k()?;
        {
            let st = k.lock();
            if !st.threads.contains_key(&self.tid) && !st.procs.contains_key(&self.tid) {
                return Err(Errno::ESRCH);
            }
        }
        self.data.read(buf, off)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EACCES)
    }
    fn size(&self) -> Option<u64> {
        self.data.size()
    }
}

/// /proc/PID/oom_score_adj opened for writing: a number in -1000..=1000 (any base, as
/// kstrtoint); going below the process's minimum needs CAP_SYS_RESOURCE, and a
/// privileged writer sets that minimum (Linux's __set_oom_adj).
struct OomAdjFile {
    fs: Arc<ProcFs>,
    tid: Tid,
    data: Content,
}

/// An integer as kstrtoint(s, 0) reads it: optional sign, 0x for hex, 0 for octal.
fn parse_kint(s: &str) -> Option<i64> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(h, 16).ok()?
    } else if t.len() > 1 && t.starts_with('0') {
        i64::from_str_radix(&t[1..], 8).ok()?
    } else {
        t.parse::<i64>().ok()?
    };
    Some(if neg { -v } else { v })
}

impl FileOps for OomAdjFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        self.data.read(buf, off)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        let text = std::str::from_utf8(&buf[..buf.len().min(23)]).map_err(|_| Errno::EINVAL)?;
        let v = parse_kint(text.trim()).ok_or(Errno::EINVAL)?;
        if !(-1000..=1000).contains(&v) {
            return Err(Errno::EINVAL);
        }
        let v = v as i32;
        let k = self.fs.k()?;
        let (me, _) = CURRENT.with(|c| c.get());
        let mut st = k.lock();
        let privileged = st
            .proc_of(me)
            .is_some_and(|p| p.creds.capable_init(crate::kernel::caps::CAP_SYS_RESOURCE));
        let tg = st
            .threads
            .get(&self.tid)
            .map(|t| t.tgid)
            .unwrap_or(self.tid);
        let p = st.procs.get_mut(&tg).ok_or(Errno::ESRCH)?;
        if v < p.oom_score_adj.1 && !privileged {
            return Err(Errno::EACCES);
        }
        p.oom_score_adj.0 = v;
        if privileged {
            p.oom_score_adj.1 = v;
        }
        Ok(buf.len())
    }
    fn size(&self) -> Option<u64> {
        self.data.size()
    }
}

/// /proc/sys/kernel/hostname or domainname opened for writing: sets the name of the
/// writer's UTS namespace (Linux's proc_do_uts_string: the text up to the first newline
/// or NUL, at most 64 bytes).
struct UtsNameFile {
    fs: Arc<ProcFs>,
    domain: bool,
    data: Content,
}

impl FileOps for UtsNameFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        self.data.read(buf, off)
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        if off != 0 {
            return Ok(buf.len());
        }
        let k = self.fs.k()?;
        let (_, me) = CURRENT.with(|c| c.get());
        let n = buf.len().min(64);
        let end = buf[..n]
            .iter()
            .position(|&b| b == 0 || b == b'\n')
            .unwrap_or(n);
        let name = String::from_utf8_lossy(&buf[..end]).into_owned();
        let uts = k.ns_of(me).uts;
        let slot = if self.domain {
            &uts.domainname
        } else {
            &uts.hostname
        };
        *slot.lock().unwrap_or_else(|p| p.into_inner()) = name;
        Ok(buf.len())
    }
    fn size(&self) -> Option<u64> {
        self.data.size()
    }
}

/// The IPC namespace's tunables in /proc/sys (see [`crate::kernel::ipc::IpcLimits`]).
const IPC_SYSCTLS: &[&str] = &[
    "kernel/msgmax",
    "kernel/msgmnb",
    "kernel/msgmni",
    "kernel/sem",
    "kernel/shmall",
    "kernel/shmmax",
    "kernel/shmmni",
];

/// The IPC namespace of the reading (or writing) task; the sandbox's for the Sentry.
fn reader_ipc(k: &Kernel) -> Arc<crate::kernel::ipc::IpcNs> {
    k.ns_of(CURRENT.with(|c| c.get().1)).ipc
}

fn ipc_sysctl_text(l: &crate::kernel::ipc::IpcLimits, what: &str) -> String {
    match what {
        "kernel/msgmax" => format!("{}\n", l.msgmax),
        "kernel/msgmnb" => format!("{}\n", l.msgmnb),
        "kernel/msgmni" => format!("{}\n", l.msgmni),
        "kernel/sem" => format!("{}\t{}\t{}\t{}\n", l.sem[0], l.sem[1], l.sem[2], l.sem[3]),
        "kernel/shmall" => format!("{}\n", l.shmall),
        "kernel/shmmax" => format!("{}\n", l.shmmax),
        _ => format!("{}\n", l.shmmni),
    }
}

/// An unsigned long as the kernel's sysctl parser reads it (base 0, no sign).
fn parse_kulong(s: &str) -> Option<u64> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()
    } else if s.starts_with(['+', '-']) {
        None
    } else {
        s.parse().ok()
    }
}

/// A kernel/{shm,msg}* or kernel/sem file opened for writing: sets the writer's IPC
/// namespace's limit (Linux's ipc_sysctl.c: proc_doulongvec_minmax for shmmax and
/// shmall, ints in 0..=INT_MAX for msgmax and msgmnb, 0..=IPCMNI for msgmni, shmmni
/// and SEMMNI; anything else is EINVAL and changes nothing).
struct IpcSysctlFile {
    fs: Arc<ProcFs>,
    what: &'static str,
    data: Content,
}

impl FileOps for IpcSysctlFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        self.data.read(buf, off)
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        if off != 0 {
            return Ok(buf.len());
        }
        use crate::kernel::ipc::IPCMNI;
        let text = std::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
        let words: Vec<&str> = text.split_ascii_whitespace().collect();
        if words.is_empty() {
            return Ok(buf.len());
        }
        let int = |w: &str, max: i32| {
            parse_kint(w)
                .filter(|v| (0..=i64::from(max)).contains(v))
                .map(|v| v as i32)
                .ok_or(Errno::EINVAL)
        };
        let k = self.fs.k()?;
        let ipc = reader_ipc(&k);
        let mut st = ipc.lock();
        let mut l = st.limits;
        match self.what {
            "kernel/shmmax" | "kernel/shmall" => {
                let v = parse_kulong(words[0]).ok_or(Errno::EINVAL)?;
                if self.what == "kernel/shmmax" {
                    l.shmmax = v;
                } else {
                    l.shmall = v;
                }
            }
            "kernel/shmmni" => l.shmmni = int(words[0], IPCMNI)?,
            "kernel/msgmni" => l.msgmni = int(words[0], IPCMNI)?,
            "kernel/msgmax" => l.msgmax = int(words[0], i32::MAX)?,
            "kernel/msgmnb" => l.msgmnb = int(words[0], i32::MAX)?,
            _ => {
                // Up to four ints. A SEMMNI outside 0..=IPCMNI is ERANGE and keeps its
                // old value, while the other three are set (Linux's
                // proc_ipc_sem_dointvec).
                for (i, w) in words.iter().take(4).enumerate() {
                    l.sem[i] = parse_kint(w)
                        .and_then(|v| i32::try_from(v).ok())
                        .ok_or(Errno::EINVAL)?;
                }
                if !(0..=IPCMNI).contains(&l.sem[3]) {
                    l.sem[3] = st.limits.sem[3];
                    st.limits = l;
                    return Err(Errno::ERANGE);
                }
            }
        }
        st.limits = l;
        Ok(buf.len())
    }
    fn size(&self) -> Option<u64> {
        self.data.size()
    }
}

/// /proc/PID/comm opened: reads the name as it was at open, writes rename the thread
/// (only threads of the writer's own process; Linux's comm_write).
struct CommFile {
    fs: Arc<ProcFs>,
    tid: Tid,
    data: Content,
}

impl FileOps for CommFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        self.data.read(buf, off)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        let k = self.fs.k()?;
        let (_, me) = CURRENT.with(|c| c.get());
        let n = buf.len().min(15);
        let end = buf[..n].iter().position(|&b| b == 0).unwrap_or(n);
        let name = String::from_utf8_lossy(&buf[..end]).into_owned();
        let mut st = k.lock();
        let t = st.threads.get_mut(&self.tid).ok_or(Errno::ESRCH)?;
        if t.tgid != me {
            return Err(Errno::EINVAL);
        }
        t.comm = name;
        Ok(buf.len())
    }
    fn size(&self) -> Option<u64> {
        self.data.size()
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
    "smaps",
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
    "uid_map",
    "gid_map",
    "setgroups",
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
        let mut a = dir_attr(self.ino);
        if let DirKind::Pid(t) | DirKind::Fd(t) | DirKind::Task(t) | DirKind::FdInfo(t) = self.kind
        {
            (a.uid, a.gid) = task_owner(&*self.fs.k()?, t);
        }
        Ok(a)
    }

    fn lookup(&self, name: &[u8]) -> Result<InodeRef, Errno> {
        let k = self.fs.k()?;
        let name_s = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        match self.kind {
            DirKind::Root => {
                if let Ok(pid) = name_s.parse::<Tid>() {
                    let pid = self.fs.global(pid).ok_or(Errno::ENOENT)?;
                    let st = k.lock();
                    if st.procs.contains_key(&pid) || st.threads.contains_key(&pid) {
                        return Ok(self.child(DirKind::Pid(pid), stable_ino(pid as u64, 0)));
                    }
                    return Err(Errno::ENOENT);
                }
                let (tid, tgid) = CURRENT.with(|c| c.get());
                let (tid, tgid) = (self.fs.local(tid), self.fs.local(tgid));
                match name_s {
                    "self" | "thread-self" if tgid == 0 => Err(Errno::ENOENT),
                    "self" => Ok(Symlink::new(&tgid.to_string())),
                    "thread-self" => Ok(Symlink::new(&format!("{tgid}/task/{tid}"))),
                    "sys" => Ok(self
                        .fs
                        .fixed("sys", || self.child(DirKind::Sys(""), stable_ino(0, 7)))),
                    "net" => Ok(self
                        .fs
                        .fixed("net", || Symlink::new("self/net") as InodeRef)),
                    "mounts" => Ok(self
                        .fs
                        .fixed("mounts", || Symlink::new("self/mounts") as InodeRef)),
                    f => ROOT_FILES
                        .iter()
                        .find(|x| **x == f)
                        .map(|w| self.fs.fixed(w, || self.file(0, w)))
                        .ok_or(Errno::ENOENT),
                }
            }
            DirKind::Pid(pid) => match name_s {
                "fd" => Ok(self.child(DirKind::Fd(pid), stable_ino(pid as u64, 1))),
                "fdinfo" => Ok(self.child(DirKind::FdInfo(pid), stable_ino(pid as u64, 4))),
                "net" => Ok(self.child(DirKind::Net, stable_ino(pid as u64, 5))),
                "task" => Ok(self.child(DirKind::Task(pid), stable_ino(pid as u64, 2))),
                "ns" => Ok(crate::kernel::nsfs::ns_dir(
                    &k,
                    pid,
                    stable_ino(pid as u64, 6),
                )),
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
                let files = files_of(&k, pid)?;
                files.get(fd).map_err(|_| Errno::ENOENT)?;
                Ok(self.link(pid, "fd", fd))
            }
            DirKind::Task(pid) => {
                let tid: Tid = name_s.parse().map_err(|_| Errno::ENOENT)?;
                let tid = self.fs.global(tid).ok_or(Errno::ENOENT)?;
                let st = k.lock();
                if st.threads.get(&tid).is_some_and(|t| t.tgid == pid) {
                    return Ok(self.child(DirKind::Pid(tid), stable_ino(tid as u64, 3)));
                }
                Err(Errno::ENOENT)
            }
            DirKind::FdInfo(pid) => {
                let fd: i32 = name_s.parse().map_err(|_| Errno::ENOENT)?;
                let files = files_of(&k, pid)?;
                files.get(fd).map_err(|_| Errno::ENOENT)?;
                Ok(Arc::new(ProcFile {
                    fs: self.fs.clone(),
                    tid: pid,
                    what: "fdinfo",
                    ino: next_ino() + ((fd as u64) << 40),
                }))
            }
            DirKind::Sys(dir) => {
                let path = sys_join(dir, name_s);
                let key = format!("sys/{path}");
                if let Some(d) = SYS_DIRS.iter().find(|d| **d == path) {
                    return Ok(self.fs.fixed(&key, || {
                        self.child(DirKind::Sys(d), stable_ino(0, 100 + path.len() as u64))
                    }));
                }
                SYS_FILES
                    .iter()
                    .find(|f| **f == path)
                    .map(|w| self.fs.fixed(&key, || self.file(0, w)))
                    .ok_or(Errno::ENOENT)
            }
            DirKind::Net => NET_FILES
                .iter()
                .find(|f| **f == name_s)
                .map(|w| self.file(-1, w))
                .ok_or(Errno::ENOENT),
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
                out.push(ent("net", next_ino(), 10));
                out.push(ent("mounts", next_ino(), 10));
                let st = k.lock();
                for p in st.procs.keys() {
                    let local = self.fs.local(*p);
                    if local > 0 {
                        out.push(ent(&local.to_string(), stable_ino(*p as u64, 0), 4));
                    }
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
                out.push(ent("fdinfo", stable_ino(pid as u64, 4), 4));
                out.push(ent("net", stable_ino(pid as u64, 5), 4));
                out.push(ent("task", stable_ino(pid as u64, 2), 4));
                out.push(ent("ns", stable_ino(pid as u64, 6), 4));
            }
            DirKind::Fd(pid) | DirKind::FdInfo(pid) => {
                // fd/ holds links, fdinfo/ regular files.
                let dtype = if matches!(self.kind, DirKind::Fd(_)) {
                    10
                } else {
                    8
                };
                for (fd, _) in files_of(&k, pid)?.list() {
                    out.push(ent(&fd.to_string(), next_ino(), dtype));
                }
            }
            DirKind::Task(pid) => {
                let st = k.lock();
                if let Some(p) = st.procs.get(&pid) {
                    for t in &p.threads {
                        let local = self.fs.local(*t);
                        out.push(ent(&local.to_string(), stable_ino(*t as u64, 3), 4));
                    }
                }
            }
            DirKind::Sys(dir) => {
                for (name, is_dir) in sys_entries(dir) {
                    out.push(ent(&name, next_ino(), if is_dir { 4 } else { 8 }));
                }
            }
            DirKind::Net => {
                for f in NET_FILES {
                    out.push(ent(f, next_ino(), 8));
                }
            }
        }
        Ok(out)
    }

    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        super::simple::open_dir(flags)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn state_char(k: &Kernel, pid: Tid) -> char {
    let st = k.lock();
    let (_, me) = CURRENT.with(|c| c.get());
    match st.procs.get(&pid) {
        Some(p) if matches!(p.state, ProcState::Zombie(_)) => 'Z',
        Some(p) if p.stopped => 'T',
        // Running: the reader itself, or a thread executing application code.
        Some(p)
            if p.tgid == me
                || p.threads.iter().any(|t| {
                    st.threads.get(t).is_some_and(|ti| {
                        ti.handle.in_app.load(std::sync::atomic::Ordering::Relaxed)
                    })
                }) =>
        {
            'R'
        }
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
            "uid_map" | "gid_map" | "setgroups" => k.userns_file_text(pid, self.what)?,
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
                for (path, m) in k.ns_of(tgid_of(pid)).mnt.mounts() {
                    let ro = if m.flags.readonly { "ro" } else { "rw" };
                    s.push_str(&format!("{} {} {} {},relatime 0 0\n", m.source, path, m.fstype, ro));
                }
                s
            }
            "mountinfo" => {
                let mut s = String::new();
                for (i, (path, m)) in k.ns_of(tgid_of(pid)).mnt.mounts().into_iter().enumerate() {
                    let ro = if m.flags.readonly { "ro" } else { "rw" };
                    s.push_str(&format!("{} {} 0:{} / {} {},relatime - {} {} {}\n", i + 1, if i == 0 { 0 } else { 1 }, 30 + i, path, ro, m.fstype, m.source, ro));
                }
                s
            }
            "kernel/hostname" => format!("{}\n", k.ns_of(crate::kernel::CURRENT.with(|c| c.get().1)).uts.hostname()),
            "kernel/domainname" => format!("{}\n", k.ns_of(crate::kernel::CURRENT.with(|c| c.get().1)).uts.domainname()),
            "kernel/pid_max" => format!("{}\n", crate::kernel::PID_MAX),
            "kernel/ngroups_max" => "65536\n".into(),
            "kernel/osrelease" => format!("{}\n", crate::syscalls::RELEASE),
            "kernel/random/uuid" => {
                let mut b = [0u8; 16];
                crate::host::random(&mut b);
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                uuid_text(&b)
            }
            "kernel/random/boot_id" => uuid_text(&self.fs.boot_id),
            "kernel/cap_last_cap" => "40\n".into(),
            w if IPC_SYSCTLS.contains(&w) => ipc_sysctl_text(&reader_ipc(&k).lock().limits, w),
            "kernel/threads-max" => "32768\n".into(),
            "kernel/overflowuid" | "kernel/overflowgid" => "65534\n".into(),
            "fs/file-max" => "9223372036854775807\n".into(),
            "fs/nr_open" => "1048576\n".into(),
            "fs/pipe-max-size" => "1048576\n".into(),
            "net/core/somaxconn" => "4096\n".into(),
            "vm/overcommit_memory" => "0\n".into(),
            "vm/max_map_count" => "65530\n".into(),
            "vm/mmap_min_addr" => "65536\n".into(),
            "unix" if pid == -1 => "Num       RefCount Protocol Flags    Type St Inode Path\n".into(),
            "dev" if pid == -1 => "Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n".into(),
            "tcp" | "udp" if pid == -1 => "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n".into(),
            "tcp6" | "udp6" if pid == -1 => "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n".into(),
            "smaps" => thread().ok_or(Errno::ESRCH)?.0.smaps_text(),
            "fdinfo" => {
                let (_, files, _) = thread().ok_or(Errno::ESRCH)?;
                let fd = (self.ino >> 40) as i32;
                let f = files.get(fd).map_err(|_| Errno::ENOENT)?;
                let pos = *f.offset.lock().unwrap_or_else(|p| p.into_inner());
                let ino = crate::syscalls::file_attr_of(&f).map(|a| a.ino).unwrap_or(0);
                let cloexec = files.entry(fd).map(|e| e.cloexec).unwrap_or(false);
                // Open-time-only flags are not kept in the description (Linux).
                let flags = (f.flags() & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC))
                    | if cloexec { O_CLOEXEC } else { 0 };
                format!("pos:\t{pos}\nflags:\t0{flags:o}\nmnt_id:\t1\nino:\t{ino}\n")
            }
            "kernel/ostype" => "Linux\n".into(),
            "cmdline" => {
                let tg = tgid_of(pid);
                let st = k.lock();
                let p = st.procs.get(&tg).ok_or(Errno::ESRCH)?;
                if matches!(p.state, ProcState::Zombie(_)) {
                    return Ok(Vec::new());
                }
                let mm = p
                    .threads
                    .iter()
                    .find_map(|t| st.threads.get(t))
                    .map(|t| t.mm.clone());
                drop(st);
                let Some(mm) = mm else {
                    return Ok(Vec::new());
                };
                // The argument area as it is now in memory (programs edit it in place,
                // as setproctitle does); if its final NUL was overwritten, the string
                // runs on into the environment like Linux's get_mm_cmdline.
                let (a0, a1, e1) = {
                    let l = &mm.lock().layout;
                    (l.arg_start, l.arg_end, l.env_end)
                };
                let mut out = mm.copy_in_partial(a0, a1.saturating_sub(a0) as usize);
                if out.last().is_some_and(|&b| b != 0) {
                    if let Some(i) = out.iter().position(|&b| b == 0) {
                        out.truncate(i);
                    } else {
                        let more = mm.copy_in_partial(a1, e1.saturating_sub(a1) as usize);
                        let end = more.iter().position(|&b| b == 0).unwrap_or(more.len());
                        out.extend_from_slice(&more[..end]);
                    }
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
            "oom_score_adj" => {
                let tg = tgid_of(pid);
                let st = k.lock();
                let p = st.procs.get(&tg).ok_or(Errno::ESRCH)?;
                format!("{}\n", p.oom_score_adj.0)
            }
            "stat" => {
                let tg = tgid_of(pid);
                let state = state_char(&k, tg);
                let st = k.lock();
                let p = st.procs.get(&tg).ok_or(Errno::ESRCH)?;
                let comm = st.threads.get(&pid).or_else(|| st.threads.get(&tg)).map(|t| t.comm.clone()).unwrap_or_default();
                let (vsz, rss) = st.threads.get(&pid).or_else(|| st.threads.get(&tg)).map(|t| (t.mm.vm_bytes(), t.mm.rss_bytes() / 4096)).unwrap_or((0, 0));
                let ticks = |d: std::time::Duration| d.as_millis() / 10;
                let start = ticks(p.start.duration_since(k.boot));
                let l = |id: Tid| self.fs.local(id);
                // The controlling terminal (/dev/pts/N: major 136) and its foreground
                // group, as ps shows them.
                let (tty_nr, tpgid) = match k.ttys.get().and_then(|d| d.ctty_info(&k, p.sid, tg)) {
                    Some((n, fg)) => (
                        (136 << 8) | (n & 0xff) | ((n & !0xff) << 12),
                        // 0 without a foreground group (or one not in our namespace).
                        fg.map_or(0, |g| l(g) as i64),
                    ),
                    None => (0, -1),
                };
                format!(
                    "{} ({comm}) {state} {} {} {} {tty_nr} {tpgid} 4194560 0 0 0 0 {} {} {} {} {} {} {} 0 {start} {vsz} {rss} 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
                    l(pid),
                    l(p.parent),
                    l(p.pgid),
                    l(p.sid),
                    ticks(p.usage.utime),
                    ticks(p.usage.stime),
                    ticks(p.child_usage.utime),
                    ticks(p.child_usage.stime),
                    20 + p.nice,
                    p.nice,
                    p.threads.len().max(1),
                )
            }
            "status" => {
                let tg = tgid_of(pid);
                let state = match state_char(&k, tg) {
                    'Z' => "Z (zombie)",
                    'T' => "T (stopped)",
                    'R' => "R (running)",
                    _ => "S (sleeping)",
                };
                let fs = {
                    let st = k.lock();
                    let t = st.threads.get(&pid).or_else(|| st.threads.get(&tg));
                    t.map(|t| t.fs.clone())
                };
                let umask = fs.map(|f| f.lock().unwrap_or_else(|p| p.into_inner()).umask).unwrap_or(0o022);
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
                let (ci, cp, ce, cb, ca) = (c.cap_inheritable, c.cap_permitted, c.cap_effective, c.cap_bset, c.cap_ambient);
                // Ids as the reader's user namespace sees them.
                let rns = st.proc_of(CURRENT.with(|x| x.get().0)).map(|r| r.creds.userns.clone()).unwrap_or_else(|| c.userns.clone());
                format!(
                    "Name:\t{comm}\nUmask:\t{umask:04o}\nState:\t{state}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\nTracerPid:\t0\nUid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t64\nGroups:\t{}\nVmPeak:\t{vsz:>8} kB\nVmSize:\t{vsz:>8} kB\nVmRSS:\t{rss:>8} kB\nThreads:\t{}\nNStgid:\t{}\nNSpid:\t{}\nSigQ:\t0/63000\nSigPnd:\t{tpend:016x}\nShdPnd:\t{:016x}\nSigBlk:\t{mask:016x}\nSigIgn:\t{ign:016x}\nSigCgt:\t{cgt:016x}\nCapInh:\t{ci:016x}\nCapPrm:\t{cp:016x}\nCapEff:\t{ce:016x}\nCapBnd:\t{cb:016x}\nCapAmb:\t{ca:016x}\nNoNewPrivs:\t{}\nSeccomp:\t0\nCpus_allowed_list:\t0-{}\n",
                    self.fs.local(tg),
                    self.fs.local(pid),
                    self.fs.local(p.parent),
                    rns.show(true, c.ruid),
                    rns.show(true, c.euid),
                    rns.show(true, c.suid),
                    rns.show(true, c.fsuid),
                    rns.show(false, c.rgid),
                    rns.show(false, c.egid),
                    rns.show(false, c.sgid),
                    rns.show(false, c.fsgid),
                    c.groups.iter().map(|g| rns.show(false, *g).to_string()).collect::<Vec<_>>().join(" ") + " ",
                    p.threads.len().max(1),
                    ns_ids(&p.pidns, self.fs.pidns.as_deref(), tg),
                    ns_ids(&p.pidns, self.fs.pidns.as_deref(), pid),
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
        let (uid, gid) = if self.tid > 0 {
            task_owner(&*self.fs.k()?, self.tid)
        } else {
            (0, 0)
        };
        Ok(Attr {
            uid,
            gid,
            dev: 0x16,
            ino: self.ino,
            mode: S_IFREG
                | if matches!(
                    self.what,
                    "uid_map"
                        | "gid_map"
                        | "setgroups"
                        | "comm"
                        | "oom_score_adj"
                        | "kernel/hostname"
                        | "kernel/domainname"
                ) || IPC_SYSCTLS.contains(&self.what)
                {
                    0o644
                } else {
                    0o444
                },
            nlink: 1,
            blksize: 4096,
            atime: now(),
            mtime: now(),
            ctime: now(),
            ..Default::default()
        })
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        if matches!(self.what, "uid_map" | "gid_map" | "setgroups") {
            let k = self.fs.k()?;
            return Ok(Arc::new(crate::kernel::userns::IdMapFile::open(
                &k, self.tid, self.what,
            )?));
        }
        if self.what == "oom_score_adj" && flags & O_ACCMODE != O_RDONLY {
            return Ok(Arc::new(OomAdjFile {
                fs: self.fs.clone(),
                tid: self.tid,
                data: Content(self.generate()?),
            }));
        }
        if matches!(self.what, "kernel/hostname" | "kernel/domainname")
            && flags & O_ACCMODE != O_RDONLY
        {
            // Writable by root only (the sysctl's mode 0644, owner root); no current
            // task (tid 0) is the Sentry itself applying an OCI config's linux.sysctl.
            let k = self.fs.k()?;
            let (me, _) = CURRENT.with(|c| c.get());
            if me != 0 && k.lock().proc_of(me).is_none_or(|p| p.creds.euid != 0) {
                return Err(Errno::EACCES);
            }
            return Ok(Arc::new(UtsNameFile {
                fs: self.fs.clone(),
                domain: self.what == "kernel/domainname",
                data: Content(self.generate()?),
            }));
        }
        if IPC_SYSCTLS.contains(&self.what) && flags & O_ACCMODE != O_RDONLY {
            // As the UTS names: root only; no current task is the Sentry itself.
            let k = self.fs.k()?;
            let (me, _) = CURRENT.with(|c| c.get());
            if me != 0 && k.lock().proc_of(me).is_none_or(|p| p.creds.euid != 0) {
                return Err(Errno::EACCES);
            }
            return Ok(Arc::new(IpcSysctlFile {
                fs: self.fs.clone(),
                what: self.what,
                data: Content(self.generate()?),
            }));
        }
        if self.what == "comm" {
            let data = if flags & O_ACCMODE == O_WRONLY {
                Vec::new()
            } else {
                self.generate()?
            };
            return Ok(Arc::new(CommFile {
                fs: self.fs.clone(),
                tid: self.tid,
                data: Content(data),
            }));
        }
        if flags & O_ACCMODE != O_RDONLY {
            return Err(Errno::EACCES);
        }
        if self.tid > 0 {
            return Ok(Arc::new(PidContent {
                fs: self.fs.clone(),
                tid: self.tid,
                data: Content(self.generate()?),
            }));
        }
        Ok(Arc::new(Content(self.generate()?)))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The path of `d` as the reading task sees it: relative to its root (after chroot),
/// or the full path when `d` is outside that root (Linux's d_path).
fn path_for_reader(k: &Kernel, d: &Arc<Dentry>) -> Vec<u8> {
    let (tid, _) = CURRENT.with(|c| c.get());
    let root = {
        let st = k.lock();
        st.threads.get(&tid).map(|t| t.fs.clone())
    }
    .map(|f| f.lock().unwrap_or_else(|p| p.into_inner()).root.clone());
    let Some(root) = root else {
        return d.path();
    };
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut cur = Some(d.as_ref());
    while let Some(c) = cur {
        if Arc::ptr_eq(&c.inode, &root.inode) {
            let mut out = Vec::new();
            for p in parts.iter().rev() {
                out.push(b'/');
                out.extend_from_slice(p);
            }
            if out.is_empty() {
                out.push(b'/');
            }
            return out;
        }
        if c.parent.is_some() {
            parts.push(&c.name);
        }
        cur = c.parent.as_deref();
    }
    d.path()
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
                let mut p = path_for_reader(&k, &d);
                if d.inode.is_unlinked() {
                    p.extend_from_slice(b" (deleted)");
                }
                Ok((p, Some(d)))
            }
            "root" => {
                let d = fs.lock().unwrap_or_else(|p| p.into_inner()).root.clone();
                Ok((path_for_reader(&k, &d), Some(d)))
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
        // fd links carry the descriptor's access mode (r-x, -wx, rwx for the owner).
        let perm = if self.what == "fd" {
            let k = self.fs.k()?;
            let f = files_of(&k, self.tid)?
                .get(self.fd)
                .map_err(|_| Errno::ENOENT)?;
            match f.flags() & O_ACCMODE {
                O_RDONLY => 0o500,
                O_WRONLY => 0o300,
                _ => 0o700,
            }
        } else {
            0o777
        };
        let (uid, gid) = task_owner(&*self.fs.k()?, self.tid);
        Ok(Attr {
            uid,
            gid,
            dev: 0x16,
            ino: self.ino,
            mode: S_IFLNK | perm,
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

/// NSpid/NStgid: the IDs of `id` in the namespace of the mount (`from`, None for the
/// root) and each one below it down to the task's own namespace `own`.
fn ns_ids(
    own: &crate::kernel::pidns::PidNs,
    from: Option<&crate::kernel::pidns::PidNs>,
    id: Tid,
) -> String {
    let mut chain = Vec::new();
    let mut ns = Some(own);
    while let Some(n) = ns {
        chain.push(n.local(id));
        if from.is_some_and(|f| std::ptr::eq(f, n)) || (from.is_none() && n.is_root()) {
            break;
        }
        ns = n.parent.as_deref();
    }
    chain.reverse();
    chain
        .iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join("\t")
}
