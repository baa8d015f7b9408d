//! Namespace files: /proc/PID/ns/* (magic links `uts:[N]` to namespace inodes) and
//! setns(2) on them.
//!
//! The PID, network, cgroup and time namespaces exist once per sandbox: their files are
//! there (a setns to them changes nothing, which is what it means with one of each).

use super::userns::{UserNs, INIT_USERNS};
use super::{ipc::IpcNs, Kernel, Namespaces, Tid, UtsNs};
use crate::vfs::{Attr, Dentry, DirEnt, FileOps, Inode, InodeRef, Vfs, S_IFDIR, S_IFLNK, S_IFREG};
use husk_abi::Errno;
use std::any::Any;
use std::sync::{Arc, Weak};

/// Inode numbers of the sandbox-wide namespaces.
const PID_NS_ID: u64 = 4026531836;
const NET_NS_ID: u64 = 4026531833;
const CGROUP_NS_ID: u64 = 4026531835;
const TIME_NS_ID: u64 = 4026531834;
/// The device of namespace files (nsfs).
const NSFS_DEV: u64 = 0x4;

const NAMES: &[&str] = &[
    "cgroup",
    "ipc",
    "mnt",
    "net",
    "pid",
    "pid_for_children",
    "time",
    "time_for_children",
    "user",
    "uts",
];

/// What a namespace file refers to.
#[derive(Clone)]
pub enum NsRef {
    Uts(Arc<UtsNs>),
    Ipc(Arc<IpcNs>),
    Mnt(Arc<Vfs>, Arc<UserNs>, u64),
    User(Arc<UserNs>),
    Pid(Arc<super::pidns::PidNs>),
    Net,
    Cgroup,
    Time,
}

impl NsRef {
    fn of(
        ns: &Namespaces,
        user: &Arc<UserNs>,
        pidns: &Arc<super::pidns::PidNs>,
        name: &str,
    ) -> Option<NsRef> {
        Some(match name {
            "uts" => NsRef::Uts(ns.uts.clone()),
            "ipc" => NsRef::Ipc(ns.ipc.clone()),
            "mnt" => NsRef::Mnt(ns.mnt.clone(), ns.mnt_owner.clone(), ns.mnt_id),
            "user" => NsRef::User(user.clone()),
            "pid" => NsRef::Pid(pidns.clone()),
            // Unreadable (ENOENT) until the namespace's first process exists, as on Linux.
            "pid_for_children" if ns.pid_for_children.init().is_none() => return None,
            "pid_for_children" => NsRef::Pid(ns.pid_for_children.clone()),
            "net" => NsRef::Net,
            "cgroup" => NsRef::Cgroup,
            "time" | "time_for_children" => NsRef::Time,
            _ => return None,
        })
    }

    fn kind(&self) -> &'static str {
        match self {
            NsRef::Uts(_) => "uts",
            NsRef::Ipc(_) => "ipc",
            NsRef::Mnt(..) => "mnt",
            NsRef::User(_) => "user",
            NsRef::Pid(_) => "pid",
            NsRef::Net => "net",
            NsRef::Cgroup => "cgroup",
            NsRef::Time => "time",
        }
    }

    pub fn id(&self) -> u64 {
        match self {
            NsRef::Uts(u) => u.id,
            NsRef::Ipc(i) => i.id,
            NsRef::Mnt(_, _, id) => *id,
            NsRef::User(u) => u.id,
            // The sandbox's root PID namespace shows Linux's initial inode number.
            NsRef::Pid(p) if p.is_root() => PID_NS_ID,
            NsRef::Pid(p) => p.id,
            NsRef::Net => NET_NS_ID,
            NsRef::Cgroup => CGROUP_NS_ID,
            NsRef::Time => TIME_NS_ID,
        }
    }

    /// The CLONE_NEW* flag of the namespace type.
    pub fn clone_flag(&self) -> u64 {
        use super::task::*;
        match self {
            NsRef::Uts(_) => CLONE_NEWUTS,
            NsRef::Ipc(_) => CLONE_NEWIPC,
            NsRef::Mnt(..) => CLONE_NEWNS,
            NsRef::User(_) => CLONE_NEWUSER,
            NsRef::Pid(_) => CLONE_NEWPID,
            NsRef::Net => CLONE_NEWNET,
            NsRef::Cgroup => CLONE_NEWCGROUP,
            NsRef::Time => 0x80,
        }
    }

    /// The user namespace that owns the namespace.
    pub fn owner(&self) -> Arc<UserNs> {
        match self {
            NsRef::Uts(u) => u.owner.clone(),
            NsRef::Mnt(_, o, _) => o.clone(),
            NsRef::User(u) => u.parent.clone().unwrap_or_else(|| INIT_USERNS.clone()),
            NsRef::Pid(p) => p.owner.clone(),
            _ => INIT_USERNS.clone(),
        }
    }
}

fn attr(ino: u64, mode: u32) -> Attr {
    Attr {
        dev: NSFS_DEV,
        ino,
        mode,
        nlink: 1,
        blksize: 4096,
        ..Default::default()
    }
}

/// /proc/PID/ns.
pub struct NsDir {
    k: Weak<Kernel>,
    pid: Tid,
    ino: u64,
}

/// The directory /proc/PID/ns of process (or thread) `pid`.
pub fn ns_dir(k: &Arc<Kernel>, pid: Tid, ino: u64) -> InodeRef {
    Arc::new(NsDir {
        k: Arc::downgrade(k),
        pid,
        ino,
    })
}

impl Inode for NsDir {
    fn attr(&self) -> Result<Attr, Errno> {
        let mut a = attr(self.ino, S_IFDIR | 0o511);
        a.dev = 0x16;
        a.nlink = 2;
        Ok(a)
    }
    fn lookup(&self, name: &[u8]) -> Result<InodeRef, Errno> {
        let name = NAMES
            .iter()
            .find(|n| n.as_bytes() == name)
            .ok_or(Errno::ENOENT)?;
        Ok(Arc::new(NsLink {
            k: self.k.clone(),
            pid: self.pid,
            name,
            ino: self.ino * 16 + 1 + NAMES.iter().position(|n| n == name).unwrap_or(0) as u64,
        }))
    }
    fn readdir(&self) -> Result<Vec<DirEnt>, Errno> {
        Ok(NAMES
            .iter()
            .enumerate()
            .map(|(i, n)| DirEnt {
                name: n.as_bytes().to_vec(),
                ino: self.ino * 16 + 1 + i as u64,
                dtype: 10,
            })
            .collect())
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(NsFile))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// /proc/PID/ns/NAME: a magic link to the namespace.
struct NsLink {
    k: Weak<Kernel>,
    pid: Tid,
    name: &'static str,
    ino: u64,
}

impl NsLink {
    fn target(&self) -> Result<(Arc<Kernel>, NsRef), Errno> {
        let k = self.k.upgrade().ok_or(Errno::ENOENT)?;
        let ns = {
            let st = k.lock();
            let p = st
                .proc_of(self.pid)
                .or_else(|| st.procs.get(&self.pid))
                .ok_or(Errno::ENOENT)?;
            (p.ns.clone(), p.creds.userns.clone(), p.pidns.clone())
        };
        let (ns, user, pidns) = ns;
        let r = NsRef::of(&ns, &user, &pidns, self.name).ok_or(Errno::ENOENT)?;
        Ok((k, r))
    }
}

impl Inode for NsLink {
    fn attr(&self) -> Result<Attr, Errno> {
        let mut a = attr(self.ino, S_IFLNK | 0o777);
        a.dev = 0x16;
        Ok(a)
    }
    fn readlink(&self) -> Result<Vec<u8>, Errno> {
        let (_, r) = self.target()?;
        Ok(format!("{}:[{}]", r.kind(), r.id()).into_bytes())
    }
    fn follow_magic(&self) -> Option<Result<Arc<Dentry>, Errno>> {
        Some(self.target().map(|(k, r)| {
            Arc::new(Dentry {
                name: format!("{}:[{}]", r.kind(), r.id()).into_bytes(),
                parent: None,
                inode: Arc::new(NsInode { ns: r }),
                mount: k.vfs.root.mount.clone(),
            })
        }))
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Err(Errno::ELOOP)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A namespace as an inode (what an open /proc/PID/ns/NAME refers to).
pub struct NsInode {
    pub ns: NsRef,
}

impl Inode for NsInode {
    fn attr(&self) -> Result<Attr, Errno> {
        Ok(attr(self.ns.id(), S_IFREG | 0o444))
    }
    fn open(self: Arc<Self>, _flags: u32) -> Result<Arc<dyn FileOps>, Errno> {
        Ok(Arc::new(NsFile))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// An open namespace file: no data (read fails with EINVAL as on Linux).
struct NsFile;

impl FileOps for NsFile {
    fn read(&self, _buf: &mut [u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _buf: &[u8], _off: u64) -> Result<usize, Errno> {
        Err(Errno::EINVAL)
    }
}
