//! The mount table and path walks.

use super::{Attr, Dentry, InodeRef, Mount, S_IFDIR};
use husk_abi::Errno;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Decides whether a directory may be searched (MAY_EXEC) by the walking task.
type SearchCheck = Box<dyn Fn(&Attr) -> bool>;

thread_local! {
    /// The search-permission check of the walks this host thread makes for its task
    /// (None: no check, for the Sentry's own walks).
    static SEARCH: RefCell<Option<SearchCheck>> = const { RefCell::new(None) };
}

/// Restores the previous search check when dropped.
pub struct SearchGuard(Option<SearchCheck>);

impl Drop for SearchGuard {
    fn drop(&mut self) {
        let prev = self.0.take();
        SEARCH.with(|s| *s.borrow_mut() = prev);
    }
}

/// Makes the walks of this thread check search permission on every directory they
/// look a name up in with `check` (EACCES if it says no), until the guard is dropped.
pub fn search_as(check: impl Fn(&Attr) -> bool + 'static) -> SearchGuard {
    SearchGuard(SEARCH.with(|s| s.borrow_mut().replace(Box::new(check))))
}

fn may_search(dir: &Attr) -> Result<(), Errno> {
    SEARCH.with(|s| match &*s.borrow() {
        Some(check) if !check(dir) => Err(Errno::EACCES),
        _ => Ok(()),
    })
}

/// How a walk treats its last component.
#[derive(Clone, Copy, Debug, Default)]
pub struct WalkFlags {
    /// Follow a symlink in the last component.
    pub follow: bool,
}

/// openat2's RESOLVE_* restrictions on a walk.
#[derive(Clone, Copy, Debug, Default)]
pub struct Resolve {
    /// RESOLVE_NO_XDEV: no mount crossing (EXDEV).
    pub no_xdev: bool,
    /// RESOLVE_NO_MAGICLINKS: no /proc/PID/fd-style links (ELOOP).
    pub no_magiclinks: bool,
    /// RESOLVE_NO_SYMLINKS: no symlinks at all (ELOOP).
    pub no_symlinks: bool,
    /// RESOLVE_BENEATH: never leave the starting directory (EXDEV).
    pub beneath: bool,
    /// RESOLVE_IN_ROOT: the starting directory is the root (the caller passes it as such).
    pub in_root: bool,
}

/// Symlinks followed in one walk at most (ELOOP beyond).
const MAX_SYMLINKS: u32 = 40;

fn inode_key(i: &InodeRef) -> usize {
    Arc::as_ptr(i) as *const () as usize
}

/// Whether two inodes are the same object.
pub fn same_inode(a: &InodeRef, b: &InodeRef) -> bool {
    inode_key(a) == inode_key(b)
}

/// Mount points by the key of the inode mounted on, with the mount point and the mount.
type MountMap = HashMap<usize, (Arc<Dentry>, Arc<Mount>)>;

/// The sandbox's mount tree.
pub struct Vfs {
    pub root: Arc<Dentry>,
    mounts: RwLock<MountMap>,
    order: RwLock<Vec<(Arc<Dentry>, Arc<Mount>)>>,
}

impl Vfs {
    pub fn new(root: Arc<Mount>) -> Vfs {
        let dentry = Arc::new(Dentry {
            name: Vec::new(),
            parent: None,
            inode: root.root.clone(),
            mount: root.clone(),
        });
        Vfs {
            root: dentry.clone(),
            mounts: RwLock::new(HashMap::new()),
            order: RwLock::new(vec![(dentry, root)]),
        }
    }

    /// Mounts `m` on `at` (a directory, or a file for a bind mount of a file: the
    /// caller checks that the kinds match).
    pub fn mount(&self, at: &Arc<Dentry>, m: Arc<Mount>) -> Result<(), Errno> {
        let key = inode_key(&at.inode);
        self.mounts
            .write()
            .map_err(|_| Errno::EIO)?
            .insert(key, (at.clone(), m.clone()));
        self.order
            .write()
            .map_err(|_| Errno::EIO)?
            .push((at.clone(), m));
        Ok(())
    }

    /// A copy of the mount table for a new mount namespace: the same mounts (and file
    /// systems) now, but mounts and unmounts made afterwards in either stay private.
    pub fn copy(&self) -> Vfs {
        Vfs {
            root: self.root.clone(),
            mounts: RwLock::new(self.mounts.read().map(|m| m.clone()).unwrap_or_default()),
            order: RwLock::new(self.order.read().map(|o| o.clone()).unwrap_or_default()),
        }
    }

    /// Whether `d` is the root of a mount other than the namespace's root mount.
    pub fn is_mount_root(&self, d: &Arc<Dentry>) -> bool {
        same_inode(&d.inode, &d.mount.root)
            && self
                .mounts
                .read()
                .is_ok_and(|m| m.values().any(|(_, mm)| Arc::ptr_eq(mm, &d.mount)))
    }

    /// Unmounts the mount whose root is `d` (lazily: open files keep working).
    pub fn umount(&self, d: &Arc<Dentry>) -> Result<(), Errno> {
        let mut map = self.mounts.write().map_err(|_| Errno::EIO)?;
        let key = map
            .iter()
            .find(|(_, (_, m))| Arc::ptr_eq(m, &d.mount))
            .map(|(k, _)| *k)
            .ok_or(Errno::EINVAL)?;
        map.remove(&key);
        self.order
            .write()
            .map_err(|_| Errno::EIO)?
            .retain(|(_, m)| !Arc::ptr_eq(m, &d.mount));
        Ok(())
    }

    /// Replaces mount `old` by `new` (a remount with other flags).
    pub fn replace_mount(&self, old: &Arc<Mount>, new: Arc<Mount>) -> Result<(), Errno> {
        let mut map = self.mounts.write().map_err(|_| Errno::EIO)?;
        let entry = map
            .values_mut()
            .find(|(_, m)| Arc::ptr_eq(m, old))
            .ok_or(Errno::EINVAL)?;
        entry.1 = new.clone();
        for e in self.order.write().map_err(|_| Errno::EIO)?.iter_mut() {
            if Arc::ptr_eq(&e.1, old) {
                e.1 = new.clone();
            }
        }
        Ok(())
    }

    /// All mounts with their mount points, in mount order.
    pub fn mounts(&self) -> Vec<(String, Arc<Mount>)> {
        self.order
            .read()
            .map(|o| {
                o.iter()
                    .map(|(d, m)| (d.path_string(), m.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Replaces `d` by the root of what is mounted on it, if anything.
    fn cross(&self, mut d: Arc<Dentry>) -> Arc<Dentry> {
        for _ in 0..8 {
            let m = self
                .mounts
                .read()
                .ok()
                .and_then(|m| m.get(&inode_key(&d.inode)).map(|(_, m)| m.clone()));
            match m {
                Some(m) => {
                    d = Arc::new(Dentry {
                        name: d.name.clone(),
                        parent: d.parent.clone(),
                        inode: m.root.clone(),
                        mount: m,
                    })
                }
                None => break,
            }
        }
        d
    }

    /// The child `name` of directory `dir`.
    pub fn child(&self, dir: &Arc<Dentry>, name: &[u8]) -> Result<Arc<Dentry>, Errno> {
        if name.len() > 255 {
            return Err(Errno::ENAMETOOLONG);
        }
        let inode = dir.inode.lookup(name)?;
        Ok(self.cross(Arc::new(Dentry {
            name: name.to_vec(),
            parent: Some(dir.clone()),
            inode,
            mount: dir.mount.clone(),
        })))
    }

    /// Walks `path` from `start` (or `root` if absolute).
    pub fn walk(
        &self,
        root: &Arc<Dentry>,
        start: &Arc<Dentry>,
        path: &[u8],
        flags: WalkFlags,
    ) -> Result<Arc<Dentry>, Errno> {
        let mut budget = MAX_SYMLINKS;
        self.walk_inner(root, start, path, flags.follow, &mut budget, None)
    }

    /// Walks `path` from `start` under openat2 restrictions `r`. `root` is where absolute
    /// paths and `..` stop (the start itself for RESOLVE_IN_ROOT).
    pub fn walk_resolve(
        &self,
        root: &Arc<Dentry>,
        start: &Arc<Dentry>,
        path: &[u8],
        follow: bool,
        r: Resolve,
    ) -> Result<Arc<Dentry>, Errno> {
        let mut budget = MAX_SYMLINKS;
        self.walk_inner(root, start, path, follow, &mut budget, Some((&r, start)))
    }

    fn walk_inner(
        &self,
        root: &Arc<Dentry>,
        start: &Arc<Dentry>,
        path: &[u8],
        follow_last: bool,
        budget: &mut u32,
        res: Option<(&Resolve, &Arc<Dentry>)>,
    ) -> Result<Arc<Dentry>, Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= 4096 {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut cur = if path[0] == b'/' {
            if let Some((r, _)) = res {
                if r.beneath {
                    return Err(Errno::EXDEV);
                }
                if r.no_xdev && !Arc::ptr_eq(&root.mount, &start.mount) {
                    return Err(Errno::EXDEV);
                }
            }
            root.clone()
        } else {
            start.clone()
        };
        let trailing_slash = path.ends_with(b"/");
        let comps: Vec<&[u8]> = path
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        let n = comps.len();
        for (i, c) in comps.into_iter().enumerate() {
            let last = i + 1 == n;
            let dir_attr = cur.inode.attr()?;
            if !dir_attr.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            may_search(&dir_attr)?;
            if c == b"." {
                continue;
            }
            if c == b".." {
                if let Some((r, scope)) = res {
                    if r.beneath && same_inode(&cur.inode, &scope.inode) {
                        return Err(Errno::EXDEV);
                    }
                }
                if !same_inode(&cur.inode, &root.inode) {
                    if let Some(p) = cur.parent.clone() {
                        if res.is_some_and(|(r, _)| r.no_xdev) && !Arc::ptr_eq(&p.mount, &cur.mount)
                        {
                            return Err(Errno::EXDEV);
                        }
                        cur = p;
                    }
                }
                continue;
            }
            let child = self.child(&cur, c)?;
            if res.is_some_and(|(r, _)| r.no_xdev) && !Arc::ptr_eq(&child.mount, &cur.mount) {
                return Err(Errno::EXDEV);
            }
            let attr = child.inode.attr()?;
            if attr.is_symlink() && (!last || follow_last || trailing_slash) {
                if let Some((r, _)) = res {
                    if r.no_symlinks {
                        return Err(Errno::ELOOP);
                    }
                }
                if let Some(m) = child.inode.follow_magic() {
                    if let Some((r, _)) = res {
                        if r.no_magiclinks {
                            return Err(Errno::ELOOP);
                        }
                        let m = m?;
                        if r.no_xdev && !Arc::ptr_eq(&m.mount, &cur.mount) {
                            return Err(Errno::EXDEV);
                        }
                        // Root-relative scopes (BENEATH and IN_ROOT) refuse magic links.
                        if r.beneath || r.in_root {
                            return Err(Errno::EXDEV);
                        }
                        cur = m;
                        continue;
                    }
                    cur = m?;
                    continue;
                }
                if *budget == 0 {
                    return Err(Errno::ELOOP);
                }
                *budget -= 1;
                let target = child.inode.readlink()?;
                cur = self.walk_inner(root, &cur, &target, true, budget, res)?;
                continue;
            }
            cur = child;
        }
        if trailing_slash && cur.inode.attr()?.mode & super::S_IFMT != S_IFDIR {
            return Err(Errno::ENOTDIR);
        }
        Ok(cur)
    }

    /// Walks to the parent of `path`'s last component; returns it and the last name.
    /// Paths ending in `.` or `..` give EEXIST-style handling to the caller via the name.
    pub fn walk_parent(
        &self,
        root: &Arc<Dentry>,
        start: &Arc<Dentry>,
        path: &[u8],
    ) -> Result<(Arc<Dentry>, Vec<u8>), Errno> {
        self.walk_parent_resolve(root, start, path, None)
    }

    /// `walk_parent` under openat2 restrictions (None: none).
    pub fn walk_parent_resolve(
        &self,
        root: &Arc<Dentry>,
        start: &Arc<Dentry>,
        path: &[u8],
        r: Option<Resolve>,
    ) -> Result<(Arc<Dentry>, Vec<u8>), Errno> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        let trimmed: &[u8] = {
            let mut p = path;
            while p.len() > 1 && p.ends_with(b"/") {
                p = &p[..p.len() - 1];
            }
            p
        };
        if trimmed == b"/" {
            if r.is_some_and(|r| r.beneath) {
                return Err(Errno::EXDEV);
            }
            return Ok((root.clone(), b".".to_vec()));
        }
        let (dir, name) = match trimmed.iter().rposition(|&c| c == b'/') {
            Some(0) => (&b"/"[..], &trimmed[1..]),
            Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
            None => (&b"."[..], trimmed),
        };
        let parent = match r {
            Some(r) => self.walk_resolve(root, start, dir, true, r)?,
            None => self.walk(root, start, dir, WalkFlags { follow: true })?,
        };
        let pattr = parent.inode.attr()?;
        if !pattr.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        may_search(&pattr)?;
        if name.len() > 255 {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok((parent, name.to_vec()))
    }
}
