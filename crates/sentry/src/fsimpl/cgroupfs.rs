//! cgroupfs: the sandbox's cgroup as a container on a cgroup v2 host sees it at
//! /sys/fs/cgroup with a cgroup namespace (runc's `cgroup` mount there): a `cgroup2`
//! file system whose root is the container's own cgroup, holding every process of the
//! sandbox.
//!
//! The limits shown are those the runtime applied to the sandbox's host cgroup
//! (`linux.resources`), which enforces them; the usage files are the Sentry's own
//! accounting: `memory.current` is the memory file in use (application memory, tmpfs
//! and the page cache, which Linux charges too; memory.stat splits it into `anon`, the
//! private pages of the address spaces, and `file`, the rest), `cpu.stat` the CPU time of the
//! sandbox's processes (live ones, zombies, and those reaped by a process of the
//! sandbox), `pids.current` its tasks.
//!
//! Writes follow Linux's rules at the root of a cgroup namespace on a hierarchy
//! mounted with `nsdelegate` (what systemd mounts): the interface files there are not
//! writable from inside the namespace (EPERM, `cgroup_file_write`), except the
//! delegatable `cgroup.procs`, `cgroup.threads` and `cgroup.subtree_control`. Moving a
//! task of the sandbox into the cgroup it is already in succeeds (it changes nothing),
//! enabling a controller for children fails with EBUSY as Linux's "no internal
//! processes" rule answers for a cgroup that has processes, and disabling one that is
//! not enabled succeeds. Child cgroups cannot be made (mkdir fails). Files without a
//! write operation refuse opening for writing (EACCES, as kernfs).

use super::simple::{next_ino, StaticDir};
use crate::kernel::{Kernel, ProcState, Tid, CURRENT};
use crate::vfs::*;
use husk_abi::Errno;
use std::any::Any;
use std::collections::HashSet;
use std::sync::{Arc, Weak};

/// Device number of the cgroup2 mount.
const DEV: u64 = 0x1b;
/// The controllers the cgroup has (cgroup.controllers).
const CONTROLLERS: &str = "cpu memory pids";
/// The default CFS period (cpu.max), in microseconds.
const DEFAULT_PERIOD: u64 = 100_000;

/// The sandbox's limits (None: "max", no limit). The runtime passes what it applied to
/// the host cgroup.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CgroupLimits {
    /// memory.max in bytes.
    pub memory_max: Option<u64>,
    /// memory.swap.max in bytes (swap only, not memory plus swap).
    pub memory_swap_max: Option<u64>,
    /// cpu.max's quota, in microseconds per period.
    pub cpu_quota: Option<u64>,
    /// cpu.max's period in microseconds (None: 100000).
    pub cpu_period: Option<u64>,
    /// cpu.weight (1..=10000; None: 100).
    pub cpu_weight: Option<u64>,
    /// pids.max.
    pub pids_max: Option<u64>,
}

impl CgroupLimits {
    /// cpu.weight from a cgroup v1 cpu.shares value, as runc converts it.
    pub fn weight_from_shares(shares: u64) -> u64 {
        if shares == 0 {
            return 100;
        }
        let shares = shares.clamp(2, 262_144);
        1 + ((shares - 2) * 9999) / 262_142
    }
}

/// The interface files: name and whether it can be opened for writing (mode 0644;
/// the others are 0444).
const FILES: &[(&str, bool)] = &[
    ("cgroup.controllers", false),
    ("cgroup.events", false),
    ("cgroup.freeze", true),
    ("cgroup.max.depth", true),
    ("cgroup.max.descendants", true),
    ("cgroup.procs", true),
    ("cgroup.stat", false),
    ("cgroup.subtree_control", true),
    ("cgroup.threads", true),
    ("cgroup.type", true),
    ("cpu.max", true),
    ("cpu.stat", false),
    ("cpu.weight", true),
    ("memory.current", false),
    ("memory.high", true),
    ("memory.low", true),
    ("memory.max", true),
    ("memory.min", true),
    ("memory.stat", false),
    ("memory.swap.max", true),
    ("pids.current", false),
    ("pids.max", true),
];

/// One cgroup2 instance (the sandbox's cgroup).
pub struct CgroupFs {
    kernel: Weak<Kernel>,
    limits: CgroupLimits,
}

/// The root directory of a new cgroupfs for `kernel` with `limits`.
pub fn new_root(kernel: &Arc<Kernel>, limits: CgroupLimits) -> InodeRef {
    let fs = Arc::new(CgroupFs {
        kernel: Arc::downgrade(kernel),
        limits,
    });
    let root = StaticDir::new(DEV, 0o755);
    for (name, writable) in FILES {
        root.add(
            name,
            Arc::new(CgFile {
                fs: fs.clone(),
                what: name,
                writable: *writable,
                ino: next_ino(),
            }),
        );
    }
    root
}

fn max_or(v: Option<u64>) -> String {
    v.map_or_else(|| "max".to_string(), |n| n.to_string())
}

impl CgroupFs {
    fn k(&self) -> Result<Arc<Kernel>, Errno> {
        self.kernel.upgrade().ok_or(Errno::ENODEV)
    }

    /// The content of file `what`.
    fn generate(&self, what: &str) -> Result<String, Errno> {
        let k = self.k()?;
        let l = &self.limits;
        Ok(match what {
            "cgroup.controllers" => format!("{CONTROLLERS}\n"),
            "cgroup.subtree_control" => "\n".into(),
            "cgroup.type" => "domain\n".into(),
            "cgroup.freeze" => "0\n".into(),
            "cgroup.max.depth" | "cgroup.max.descendants" => "max\n".into(),
            "cgroup.stat" => "nr_descendants 0\nnr_dying_descendants 0\n".into(),
            "cgroup.events" => {
                let populated = k.lock().live_procs() > 0;
                format!("populated {}\nfrozen 0\n", populated as u8)
            }
            "cgroup.procs" | "cgroup.threads" => {
                let st = k.lock();
                let (_, me) = CURRENT.with(|c| c.get());
                let ns = st.procs.get(&me).map(|p| p.pidns.clone());
                let local = |id: Tid| ns.as_ref().map_or(id, |n| n.local(id));
                let mut ids: Vec<Tid> = if what == "cgroup.procs" {
                    st.procs
                        .values()
                        .filter(|p| p.state == ProcState::Running)
                        .map(|p| local(p.tgid))
                        .collect()
                } else {
                    st.threads.keys().map(|t| local(*t)).collect()
                };
                // Tasks outside the reader's PID namespace (Linux shows them as 0)
                // are left out: they are other containers of a pod.
                ids.retain(|&i| i > 0);
                ids.sort_unstable();
                ids.iter().map(|i| format!("{i}\n")).collect()
            }
            "cpu.max" => format!(
                "{} {}\n",
                max_or(l.cpu_quota),
                l.cpu_period.unwrap_or(DEFAULT_PERIOD)
            ),
            "cpu.weight" => format!("{}\n", l.cpu_weight.unwrap_or(100)),
            "cpu.stat" => {
                let (user, system) = cpu_time(&k);
                format!(
                    "usage_usec {}\nuser_usec {}\nsystem_usec {}\n",
                    (user + system).as_micros(),
                    user.as_micros(),
                    system.as_micros()
                )
            }
            "memory.current" => format!("{}\n", k.mf.used_bytes()),
            "memory.max" => format!("{}\n", max_or(l.memory_max)),
            "memory.high" => "max\n".into(),
            "memory.low" | "memory.min" => "0\n".into(),
            "memory.swap.max" => format!("{}\n", max_or(l.memory_swap_max)),
            "memory.stat" => {
                let used = k.mf.used_bytes();
                let anon = anon_bytes(&k).min(used);
                format!("anon {anon}\nfile {}\n", used - anon)
            }
            "pids.current" => {
                let st = k.lock();
                let zombies = st
                    .procs
                    .values()
                    .filter(|p| p.state != ProcState::Running && p.threads.is_empty())
                    .count();
                format!("{}\n", st.threads.len() + zombies)
            }
            "pids.max" => format!("{}\n", max_or(l.pids_max)),
            _ => return Err(Errno::ENOENT),
        })
    }
}

/// User and system CPU time of the sandbox's processes: live ones and zombies, plus
/// what their reaped children used.
fn cpu_time(k: &Kernel) -> (std::time::Duration, std::time::Duration) {
    let st = k.lock();
    let (mut user, mut system) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
    for p in st.procs.values() {
        let (u, s) = st.process_cpu(p.tgid).unwrap_or_default();
        user += u + p.child_usage.utime;
        system += s + p.child_usage.stime;
    }
    (user, system)
}

/// Private pages (anonymous or copied on write) of the sandbox's address spaces, each
/// counted once, in bytes.
fn anon_bytes(k: &Kernel) -> u64 {
    let mms: Vec<Arc<crate::mm::Mm>> = {
        let st = k.lock();
        let mut seen = HashSet::new();
        st.threads
            .values()
            .filter(|t| seen.insert(t.mm.id))
            .map(|t| t.mm.clone())
            .collect()
    };
    let mut frames = HashSet::new();
    for m in &mms {
        m.private_frames(&mut frames);
    }
    frames.len() as u64 * 4096
}

/// An interface file.
struct CgFile {
    fs: Arc<CgroupFs>,
    what: &'static str,
    writable: bool,
    ino: u64,
}

impl Inode for CgFile {
    fn attr(&self) -> Result<Attr, Errno> {
        let t = now();
        Ok(Attr {
            dev: DEV,
            ino: self.ino,
            mode: S_IFREG | if self.writable { 0o644 } else { 0o444 },
            nlink: 1,
            blksize: 4096,
            atime: t,
            mtime: t,
            ctime: t,
            ..Default::default()
        })
    }
    fn open(self: Arc<Self>, flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        let writing = flags & O_ACCMODE != O_RDONLY;
        if writing && !self.writable {
            return Err(Errno::EACCES);
        }
        // O_WRONLY opens read nothing: no need to generate.
        let data = if flags & O_ACCMODE == O_WRONLY {
            Vec::new()
        } else {
            self.fs.generate(self.what)?.into_bytes()
        };
        Ok(Arc::new(CgOpen {
            fs: self.fs.clone(),
            what: self.what,
            data,
        }))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open interface file: the content as it was at open.
struct CgOpen {
    fs: Arc<CgroupFs>,
    what: &'static str,
    data: Vec<u8>,
}

impl FileOps for CgOpen {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let off = usize::try_from(off).unwrap_or(usize::MAX);
        if off >= self.data.len() {
            return Ok(0);
        }
        let n = buf.len().min(self.data.len() - off);
        buf[..n].copy_from_slice(&self.data[off..off + n]);
        Ok(n)
    }
    fn write(&self, buf: &[u8], _off: u64) -> Result<usize, Errno> {
        let text = std::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
        match self.what {
            "cgroup.procs" | "cgroup.threads" => {
                self.move_task(text.trim(), self.what == "cgroup.procs")?
            }
            "cgroup.subtree_control" => subtree_control(text)?,
            // Not delegatable: the root of the cgroup namespace (Linux's nsdelegate).
            _ => return Err(Errno::EPERM),
        }
        Ok(buf.len())
    }
    fn size(&self) -> Option<u64> {
        Some(self.data.len() as u64)
    }
}

impl CgOpen {
    /// A write of `text` to cgroup.procs (`process`) or cgroup.threads: the task must
    /// exist in the writer's PID namespace (0: the writer); it is already in this
    /// cgroup, the only one, so nothing changes.
    fn move_task(&self, text: &str, process: bool) -> Result<(), Errno> {
        let id: Tid = text.parse().map_err(|_| Errno::EINVAL)?;
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        if id == 0 {
            return Ok(());
        }
        let k = self.fs.k()?;
        let st = k.lock();
        let (_, me) = CURRENT.with(|c| c.get());
        let global = match st.procs.get(&me) {
            Some(p) => p.pidns.global(id).ok_or(Errno::ESRCH)?,
            None => id,
        };
        let exists = if process {
            st.threads.get(&global).is_some_and(|t| {
                st.procs
                    .get(&t.tgid)
                    .is_some_and(|p| p.state == ProcState::Running)
            })
        } else {
            st.threads.contains_key(&global)
        };
        if exists {
            Ok(())
        } else {
            Err(Errno::ESRCH)
        }
    }
}

/// A write to cgroup.subtree_control: space-separated "+NAME" / "-NAME" of the
/// cgroup's controllers. Enabling one is EBUSY (the cgroup has processes, and child
/// cgroups cannot be made); disabling one is a no-op (none is enabled).
fn subtree_control(text: &str) -> Result<(), Errno> {
    let mut enable = false;
    for tok in text.split_ascii_whitespace() {
        let (on, name) = match (tok.strip_prefix('+'), tok.strip_prefix('-')) {
            (Some(n), _) => (true, n),
            (_, Some(n)) => (false, n),
            _ => return Err(Errno::EINVAL),
        };
        if !CONTROLLERS.split(' ').any(|c| c == name) {
            return Err(Errno::EINVAL);
        }
        enable |= on;
    }
    if enable {
        Err(Errno::EBUSY)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_from_shares_as_runc() {
        assert_eq!(CgroupLimits::weight_from_shares(2), 1);
        assert_eq!(CgroupLimits::weight_from_shares(1024), 39);
        assert_eq!(CgroupLimits::weight_from_shares(262_144), 10_000);
        assert_eq!(CgroupLimits::weight_from_shares(0), 100);
    }

    #[test]
    fn subtree_control_writes() {
        assert_eq!(subtree_control(""), Ok(()));
        assert_eq!(subtree_control("-memory -pids\n"), Ok(()));
        assert_eq!(subtree_control("+memory"), Err(Errno::EBUSY));
        assert_eq!(subtree_control("-cpu +pids"), Err(Errno::EBUSY));
        assert_eq!(subtree_control("+io"), Err(Errno::EINVAL));
        assert_eq!(subtree_control("memory"), Err(Errno::EINVAL));
        assert_eq!(subtree_control("+"), Err(Errno::EINVAL));
    }
}
