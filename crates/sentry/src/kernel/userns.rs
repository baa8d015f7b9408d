//! User namespaces: id maps (/proc/PID/uid_map, gid_map, setgroups) and the
//! capability rules across namespaces.
//!
//! Credentials hold kernel ids (those of the sandbox's initial user namespace); system
//! calls translate at the boundary (getuid shows the id in the caller's namespace, or
//! 65534 when unmapped; setuid takes an id of the caller's namespace, EINVAL when
//! unmapped). stat's st_uid/st_gid, chown's arguments and /proc/PID/status are
//! translated too; not yet: si_uid, SCM_CREDENTIALS and the auxiliary vector (they
//! show kernel ids).

use super::Creds;
use husk_abi::Errno;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

/// The id shown for an unmapped id (/proc/sys/kernel/overflowuid).
pub const OVERFLOW_ID: u32 = 65534;
/// Nesting limit of user namespaces (Linux: 32; beyond it ENOSPC).
const MAX_LEVEL: u32 = 32;
/// Lines a map may have (Linux 4.15+: 340).
const MAX_EXTENTS: usize = 340;

/// One line of a map: `count` ids from `first` in the namespace are the kernel ids
/// from `lower`; `parent_lower` is the same range as the parent namespace sees it.
#[derive(Clone, Copy, Debug)]
pub struct IdExtent {
    pub first: u32,
    pub lower: u32,
    pub parent_lower: u32,
    pub count: u32,
}

#[derive(Debug)]
pub struct UserNs {
    pub id: u64,
    pub parent: Option<Arc<UserNs>>,
    pub level: u32,
    /// The kernel euid and egid of the creator.
    pub owner: u32,
    pub group: u32,
    uid_map: Mutex<Option<Vec<IdExtent>>>,
    gid_map: Mutex<Option<Vec<IdExtent>>>,
    setgroups_allowed: AtomicBool,
}

/// The sandbox's initial user namespace: the identity map of all ids.
pub static INIT_USERNS: LazyLock<Arc<UserNs>> = LazyLock::new(|| {
    let all = Some(vec![IdExtent {
        first: 0,
        lower: 0,
        parent_lower: 0,
        count: u32::MAX,
    }]);
    Arc::new(UserNs {
        id: 4026531837,
        parent: None,
        level: 0,
        owner: 0,
        group: 0,
        uid_map: Mutex::new(all.clone()),
        gid_map: Mutex::new(all),
        setgroups_allowed: AtomicBool::new(true),
    })
});

fn lookup(map: &Option<Vec<IdExtent>>, id: u32, down: bool) -> Option<u32> {
    for e in map.as_ref()? {
        let (from, to) = if down {
            (e.first, e.lower)
        } else {
            (e.lower, e.first)
        };
        if id >= from && id - from < e.count {
            return Some(to + (id - from));
        }
    }
    None
}

impl UserNs {
    /// A child of `parent` created by `creds`.
    pub fn new_child(creds: &Creds) -> Result<Arc<UserNs>, Errno> {
        let parent = creds.userns.clone();
        if parent.level + 1 > MAX_LEVEL {
            return Err(Errno::ENOSPC);
        }
        Ok(Arc::new(UserNs {
            id: super::next_ns_id(),
            level: parent.level + 1,
            parent: Some(parent),
            owner: creds.euid,
            group: creds.egid,
            uid_map: Mutex::new(None),
            gid_map: Mutex::new(None),
            setgroups_allowed: AtomicBool::new(true),
        }))
    }

    fn map(&self, uid: bool) -> std::sync::MutexGuard<'_, Option<Vec<IdExtent>>> {
        let m = if uid { &self.uid_map } else { &self.gid_map };
        m.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The kernel id of namespace id `id` (None: unmapped).
    pub fn to_kernel(&self, uid: bool, id: u32) -> Option<u32> {
        if id == u32::MAX {
            return None;
        }
        lookup(&self.map(uid), id, true)
    }

    /// The namespace id of kernel id `k` (None: unmapped).
    pub fn from_kernel(&self, uid: bool, k: u32) -> Option<u32> {
        lookup(&self.map(uid), k, false)
    }

    /// The namespace id of kernel id `k`, or the overflow id.
    pub fn show(&self, uid: bool, k: u32) -> u32 {
        self.from_kernel(uid, k).unwrap_or(OVERFLOW_ID)
    }

    /// Whether `self` is `other` or one of its ancestors.
    pub fn is_ancestor_of(self: &Arc<Self>, other: &Arc<UserNs>) -> bool {
        let mut ns = Some(other.clone());
        while let Some(n) = ns {
            if Arc::ptr_eq(&n, self) {
                return true;
            }
            ns = n.parent.clone();
        }
        false
    }

    /// Whether setgroups(2) may be used in the namespace (gid_map written, setgroups
    /// not denied).
    pub fn may_setgroups(&self) -> bool {
        self.map(false).is_some() && self.setgroups_allowed.load(Ordering::SeqCst)
    }

    /// The text of uid_map or gid_map for a reader in `reader`.
    pub fn map_text(&self, uid: bool, reader: &Arc<UserNs>) -> String {
        let same = std::ptr::eq(self, Arc::as_ptr(reader));
        let mut s = String::new();
        for e in self.map(uid).iter().flatten() {
            // Lower ids are shown as the parent sees them to a reader inside the
            // namespace, as the reader sees them otherwise.
            let lower = if same || self.parent.is_none() {
                e.parent_lower
            } else {
                reader.from_kernel(uid, e.lower).unwrap_or(OVERFLOW_ID)
            };
            s.push_str(&format!("{:>10} {:>10} {:>10}\n", e.first, lower, e.count));
        }
        s
    }

    pub fn setgroups_text(&self) -> &'static str {
        if self.setgroups_allowed.load(Ordering::SeqCst) {
            "allow\n"
        } else {
            "deny\n"
        }
    }

    /// A write to /proc/PID/setgroups by `writer`.
    pub fn write_setgroups(&self, data: &[u8], writer: &Creds) -> Result<usize, Errno> {
        let word = std::str::from_utf8(data)
            .map_err(|_| Errno::EINVAL)?
            .trim_end();
        let allow = match word {
            "allow" => true,
            "deny" => false,
            _ => return Err(Errno::EINVAL),
        };
        if !self.is_self_or_child_of(&writer.userns) {
            return Err(Errno::EPERM);
        }
        // "allow" cannot undo "deny", and nothing changes once gid_map is written.
        if allow && !self.setgroups_allowed.load(Ordering::SeqCst) {
            return Err(Errno::EPERM);
        }
        if self.map(false).is_some() {
            return Err(Errno::EPERM);
        }
        self.setgroups_allowed.store(allow, Ordering::SeqCst);
        Ok(data.len())
    }

    fn is_self_or_child_of(&self, ns: &Arc<UserNs>) -> bool {
        std::ptr::eq(self, Arc::as_ptr(ns))
            || self.parent.as_ref().is_some_and(|p| Arc::ptr_eq(p, ns))
    }

    /// A write to /proc/PID/uid_map (`uid`) or gid_map by `writer`, as Linux's
    /// map_write: once only, by a process in the namespace or its parent, ids mapped
    /// in the parent; without CAP_SETUID/CAP_SETGID over the parent only the writer's
    /// own effective id (and for gid_map only after setgroups was denied).
    pub fn write_map(
        self: &Arc<Self>,
        uid: bool,
        data: &[u8],
        writer: &Creds,
    ) -> Result<usize, Errno> {
        let parent = self.parent.clone().ok_or(Errno::EPERM)?;
        if !self.is_self_or_child_of(&writer.userns) {
            return Err(Errno::EPERM);
        }
        if self.map(uid).is_some() || !writer.capable_in(self, super::caps::CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        let text = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
        let mut ext: Vec<IdExtent> = Vec::new();
        for line in text.split('\n').filter(|l| !l.trim().is_empty()) {
            let v: Vec<&str> = line.split_whitespace().collect();
            if v.len() != 3 {
                return Err(Errno::EINVAL);
            }
            let num = |s: &str| s.parse::<u32>().map_err(|_| Errno::EINVAL);
            let (first, lower, count) = (num(v[0])?, num(v[1])?, num(v[2])?);
            if count == 0
                || first.checked_add(count).is_none()
                || lower.checked_add(count).is_none()
            {
                return Err(Errno::EINVAL);
            }
            let ov = |a: u32, ca: u32, b: u32, cb: u32| {
                (a as u64) < b as u64 + cb as u64 && (b as u64) < a as u64 + ca as u64
            };
            if ext.iter().any(|e| {
                ov(e.first, e.count, first, count) || ov(e.parent_lower, e.count, lower, count)
            }) {
                return Err(Errno::EINVAL);
            }
            // The range must be mapped (contiguously) in the parent.
            let k = parent.to_kernel(uid, lower).ok_or(Errno::EPERM)?;
            let last = parent
                .to_kernel(uid, lower + (count - 1))
                .ok_or(Errno::EPERM)?;
            if last.wrapping_sub(k) != count - 1 {
                return Err(Errno::EPERM);
            }
            ext.push(IdExtent {
                first,
                lower: k,
                parent_lower: lower,
                count,
            });
            if ext.len() > MAX_EXTENTS {
                return Err(Errno::EINVAL);
            }
        }
        if ext.is_empty() {
            return Err(Errno::EINVAL);
        }
        let cap = if uid {
            super::caps::CAP_SETUID
        } else {
            super::caps::CAP_SETGID
        };
        let own = if uid { writer.euid } else { writer.egid };
        let only_own =
            ext.len() == 1 && ext[0].count == 1 && ext[0].lower == own && self.owner == writer.euid;
        let gid_ok = uid || !self.setgroups_allowed.load(Ordering::SeqCst);
        if !(writer.capable_in(&parent, cap) || only_own && gid_ok) {
            return Err(Errno::EPERM);
        }
        let mut m = self.map(uid);
        if m.is_some() {
            return Err(Errno::EPERM);
        }
        *m = Some(ext);
        Ok(data.len())
    }
}

/// A file's owner as a reader in `ns` sees it (stat's st_uid/st_gid): the namespace
/// ids, or the overflow id for ids the namespace does not map.
pub fn shown_owner(ns: &UserNs, uid: u32, gid: u32) -> (u32, u32) {
    if ns.parent.is_none() {
        return (uid, gid);
    }
    (ns.show(true, uid), ns.show(false, gid))
}

/// An id argument of chown (`-1`: leave unchanged) as a kernel id; EINVAL when the
/// caller's namespace does not map it.
pub fn chown_id(ns: &UserNs, uid: bool, arg: u64) -> Result<Option<u32>, Errno> {
    let v = arg as u32;
    if v == u32::MAX {
        return Ok(None);
    }
    ns.to_kernel(uid, v).map(Some).ok_or(Errno::EINVAL)
}

impl Creds {
    /// Whether the credentials hold `cap` over user namespace `target` (Linux's
    /// cap_capable): in their own namespace by the effective set, in a namespace they
    /// (by euid) created from theirs, or any below it, with all capabilities.
    pub fn capable_in(&self, target: &Arc<UserNs>, cap: u32) -> bool {
        let mut ns = target.clone();
        loop {
            if Arc::ptr_eq(&ns, &self.userns) {
                return self.has_cap(cap);
            }
            if ns.level <= self.userns.level {
                return false;
            }
            let Some(parent) = ns.parent.clone() else {
                return false;
            };
            if Arc::ptr_eq(&parent, &self.userns) && ns.owner == self.euid {
                return true;
            }
            ns = parent;
        }
    }

    /// `cap` over the sandbox's initial user namespace (global resources).
    pub fn capable_init(&self, cap: u32) -> bool {
        self.capable_in(&INIT_USERNS, cap)
    }

    /// `cap` for a file owned by `uid`:`gid` (capable_wrt_inode_uidgid): the capability
    /// in the caller's namespace, and both ids mapped in it.
    pub fn capable_wrt_inode(&self, cap: u32, uid: u32, gid: u32) -> bool {
        self.has_cap(cap)
            && self.userns.from_kernel(true, uid).is_some()
            && self.userns.from_kernel(false, gid).is_some()
    }

    /// The kernel uid of root in the credentials' namespace.
    pub fn root_uid(&self) -> Option<u32> {
        self.userns.to_kernel(true, 0)
    }

    /// The credentials of a process that just entered a new user namespace.
    pub fn enter_userns(&mut self, ns: Arc<UserNs>) {
        self.userns = ns;
        self.securebits = 0;
        self.cap_inheritable = 0;
        self.cap_permitted = super::caps::CAP_FULL;
        self.cap_effective = super::caps::CAP_FULL;
        self.cap_bset = super::caps::CAP_FULL;
        self.cap_ambient = 0;
    }
}

/// An open /proc/PID/uid_map, gid_map or setgroups: reads show the map as the opener
/// sees it, a write (one, at offset 0) sets it.
pub struct IdMapFile {
    kernel: std::sync::Weak<super::Kernel>,
    tid: super::Tid,
    what: &'static str,
    text: Vec<u8>,
}

impl IdMapFile {
    pub fn open(
        k: &Arc<super::Kernel>,
        tid: super::Tid,
        what: &'static str,
    ) -> Result<IdMapFile, Errno> {
        let text = k.userns_file_text(tid, what)?.into_bytes();
        Ok(IdMapFile {
            kernel: Arc::downgrade(k),
            tid,
            what,
            text,
        })
    }
}

impl crate::vfs::FileOps for IdMapFile {
    fn read(&self, buf: &mut [u8], off: u64) -> Result<usize, Errno> {
        let off = (off as usize).min(self.text.len());
        let n = buf.len().min(self.text.len() - off);
        buf[..n].copy_from_slice(&self.text[off..off + n]);
        Ok(n)
    }
    fn write(&self, buf: &[u8], off: u64) -> Result<usize, Errno> {
        if off != 0 || buf.len() >= 4096 {
            return Err(Errno::EINVAL);
        }
        let k = self.kernel.upgrade().ok_or(Errno::ESRCH)?;
        k.write_userns_file(self.tid, self.what, buf)
    }
    fn size(&self) -> Option<u64> {
        Some(self.text.len() as u64)
    }
}

impl super::Kernel {
    fn creds_of(&self, tid: super::Tid) -> Option<Creds> {
        let st = self.lock();
        st.proc_of(tid)
            .or_else(|| st.procs.get(&tid))
            .map(|p| p.creds.clone())
    }

    fn current_creds(&self) -> Creds {
        let (tid, _) = super::CURRENT.with(|c| c.get());
        self.creds_of(tid).unwrap_or_default()
    }

    /// The content of /proc/PID/{uid_map,gid_map,setgroups} for the current reader.
    pub fn userns_file_text(&self, tid: super::Tid, what: &str) -> Result<String, Errno> {
        let ns = self.creds_of(tid).ok_or(Errno::ESRCH)?.userns;
        let reader = self.current_creds().userns;
        Ok(match what {
            "uid_map" => ns.map_text(true, &reader),
            "gid_map" => ns.map_text(false, &reader),
            _ => ns.setgroups_text().to_string(),
        })
    }

    /// A write to /proc/PID/{uid_map,gid_map,setgroups} by the current task.
    pub fn write_userns_file(
        &self,
        tid: super::Tid,
        what: &str,
        data: &[u8],
    ) -> Result<usize, Errno> {
        let ns = self.creds_of(tid).ok_or(Errno::ESRCH)?.userns;
        let writer = self.current_creds();
        match what {
            "uid_map" => ns.write_map(true, data, &writer),
            "gid_map" => ns.write_map(false, data, &writer),
            _ => ns.write_setgroups(data, &writer),
        }
    }
}
