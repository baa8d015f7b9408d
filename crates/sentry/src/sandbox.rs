//! Assembling a sandbox: memory file, platform, mount tree, kernel, first process.

use crate::fsimpl::{
    self,
    goferfs::GoferFs,
    memfs::MemFs,
    procfs::{HostInfo, ProcFs},
};
use crate::host::HostFd;
pub use crate::kernel::exec::ProcessAttrs;
use crate::kernel::exec::{start_init, start_process_in, LaunchError};
use crate::kernel::{default_rlimits, Creds, Kernel, KernelOptions, Tid};
use crate::memfile::MemoryFile;
use crate::vfs::{Dentry, Mount, MountFlags, NewNode, OpenFile, Vfs, WalkFlags, O_RDWR};
use husk_abi::Rlimit;
use husk_gofer::Client;
use std::sync::Arc;

/// Walks the absolute `path` from the root (following symlinks inside the sandbox).
fn walk(vfs: &Vfs, path: &[u8]) -> Result<Arc<Dentry>, husk_abi::Errno> {
    vfs.walk(&vfs.root, &vfs.root, path, WalkFlags { follow: true })
}

/// `path` if it exists and is the same inode at each walk (so that a mount on it is
/// found again); a path that exists but is not goes to `skipped`.
fn stable_walk(vfs: &Vfs, path: &[u8], skipped: &mut Vec<String>) -> Option<Arc<Dentry>> {
    let first = walk(vfs, path).ok()?;
    match walk(vfs, path) {
        Ok(again) if crate::vfs::walk_same(&first.inode, &again.inode) => Some(first),
        _ => {
            skipped.push(String::from_utf8_lossy(path).into_owned());
            None
        }
    }
}

/// The mount point `path`: its missing directories are created (mode 0755, root's),
/// and its last component as a directory (`dir`) or an empty file.
fn make_path(vfs: &Vfs, path: &[u8], dir: bool) -> Result<Arc<Dentry>, husk_abi::Errno> {
    let names: Vec<&[u8]> = path
        .split(|&c| c == b'/')
        .filter(|n| !n.is_empty())
        .collect();
    let mut at = vfs.root.clone();
    let mut prefix = Vec::new();
    for (i, name) in names.iter().enumerate() {
        prefix.push(b'/');
        prefix.extend_from_slice(name);
        at = match walk(vfs, &prefix) {
            Ok(d) => d,
            Err(husk_abi::Errno::ENOENT) => {
                let node = if dir || i + 1 < names.len() {
                    NewNode::Dir
                } else {
                    NewNode::File
                };
                let mode = if matches!(node, NewNode::Dir) {
                    0o755
                } else {
                    0o644
                };
                at.inode.create(name, node, mode, 0, 0)?;
                vfs.child(&at, name)?
            }
            Err(e) => return Err(e),
        };
    }
    Ok(at)
}

/// A regular file in a tmpfs of its own holding `data`, with permission bits `mode`.
fn memory_file(
    mf: &Arc<MemoryFile>,
    data: &[u8],
    mode: u32,
) -> Result<crate::vfs::InodeRef, husk_abi::Errno> {
    let dir = MemFs::new_tmpfs(mf.clone(), 0o755, 0, 0, None)?;
    let file = crate::vfs::Inode::create(&*dir, b"f", NewNode::File, mode & 0o7777, 0, 0)?;
    let ops = file.clone().open(O_RDWR)?;
    let mut off = 0;
    while off < data.len() {
        match ops.write(&data[off..], off as u64)? {
            0 => return Err(husk_abi::Errno::EIO),
            n => off += n,
        }
    }
    Ok(file)
}

/// Why a sandbox could not run its program.
#[derive(Debug)]
pub enum SandboxError {
    /// The command was not found (exit 127).
    NotFound,
    /// The command is not executable (exit 126).
    NotExecutable,
    /// Anything else: a setup failure.
    Setup(String),
}

impl std::fmt::Display for SandboxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SandboxError::NotFound => write!(f, "No such file or directory"),
            SandboxError::NotExecutable => write!(f, "Permission denied"),
            SandboxError::Setup(s) => write!(f, "{s}"),
        }
    }
}

/// How the rootfs the gofer serves is presented (runsc's `--overlay2`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RootfsMode {
    /// The host tree read-only under an in-memory layer: writes never reach the host.
    #[default]
    Memory,
    /// No overlay: writes go to the host tree through the gofer.
    None,
    /// The host tree under an in-memory layer, mounted read-only (OCI `root.readonly`).
    ReadOnly,
}

/// What an extra mount (an OCI config's `mounts`) mounts.
pub enum ExtraSource {
    /// A host directory served by a gofer of its own (confined to that directory);
    /// reads and writes go to the host, as through a bind mount.
    Gofer(Client),
    /// A host file's contents (and permission bits), copied into the Sentry's memory
    /// at start, as runsc does for /etc/hosts and friends: writes stay in the sandbox.
    File(Vec<u8>, u32),
    /// A new, empty tmpfs with this root mode.
    Tmpfs(u32),
}

/// One extra mount: `source` on the absolute path `dest` (created in the root if
/// missing, as runc creates mount points).
pub struct ExtraMount {
    pub dest: Vec<u8>,
    pub source: ExtraSource,
    pub flags: MountFlags,
}

/// Watches the connection to a gofer (the fds of `Client::watch`) on a thread of its
/// own: if the gofer goes while the sandbox runs (killed, crashed), the sandbox can no
/// longer reach `what`'s files, so it is stopped ([`Kernel::gofer_lost`]), as runsc
/// stops a sandbox whose gofer died, rather than left running on EIO. Once the client
/// is dropped (an unmount) the watch ends, so that the gofer sees its socket close.
/// Pod containers' gofers are not watched: their teardown ends them.
fn watch_gofer(
    k: &Arc<Kernel>,
    fds: Option<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)>,
    what: &str,
) {
    let Some((sock, dropped)) = fds else { return };
    let (k, what) = (Arc::downgrade(k), what.to_string());
    let spawned = std::thread::Builder::new()
        .name("gofer-watch".into())
        .spawn(move || {
            use rustix::event::{poll, PollFd, PollFlags};
            loop {
                let mut fds = [
                    PollFd::new(&sock, PollFlags::RDHUP),
                    PollFd::new(&dropped, PollFlags::IN),
                ];
                match poll(&mut fds, None) {
                    Ok(n) if n > 0 => {
                        if !fds[1].revents().is_empty() {
                            return;
                        }
                        break;
                    }
                    Ok(_) | Err(rustix::io::Errno::INTR) => continue,
                    Err(_) => return,
                }
            }
            if let Some(k) = k.upgrade() {
                k.gofer_lost(&what);
            }
        });
    if let Err(e) = spawned {
        tracing::debug!("gofer watch thread: {e}");
    }
}

/// Host fds as the open files of a process started from the host (fd 0, 1, 2, ...).
fn host_stdio(
    k: &Arc<Kernel>,
    vfs: &Arc<Vfs>,
    stdio: Vec<std::os::fd::OwnedFd>,
) -> Vec<Arc<OpenFile>> {
    stdio
        .into_iter()
        .enumerate()
        .map(|(i, fd)| {
            let tty = crate::fsimpl::hosttty::for_fd(k, std::os::fd::AsFd::as_fd(&fd), vfs);
            let mut host = HostFd::from_owned(fd);
            if let Some(t) = tty {
                host = host.with_tty(t);
            }
            stdio_file(vfs, host, format!("host:[{i}]"))
        })
        .collect()
}

/// The open file of a host stdio fd: a terminal is its /dev/pts/N node (so fstat,
/// ttyname and /proc/PID/fd name it as under runc), anything else an anonymous file
/// named `name`.
fn stdio_file(vfs: &Vfs, host: HostFd, name: String) -> Arc<OpenFile> {
    let node = host.tty().and_then(|t| {
        let root = vfs.root.clone();
        let path = format!("/dev/pts/{}", t.index()?);
        let d = vfs
            .walk(&root, &root, path.as_bytes(), WalkFlags { follow: true })
            .ok()?;
        // Only if the path leads to this terminal's node (a mount over /dev could put
        // anything there).
        crate::fsimpl::devpts::is_node_of(&d.inode, t).then_some(d)
    });
    match node {
        Some(d) => OpenFile::new(Arc::new(host), Some(d), O_RDWR),
        None => OpenFile::new_anon(Arc::new(host), O_RDWR, name),
    }
}

/// A container of a multi-container sandbox (see [`Sandbox::new_container`]).
#[derive(Clone)]
pub struct Container {
    placement: crate::kernel::exec::Placement,
}

impl Container {
    /// The pid process `global` (a sandbox-wide pid) has in the container (0 if the
    /// container does not see it).
    pub fn pid(&self, global: Tid) -> Tid {
        self.placement.pidns.local(global)
    }

    /// The sandbox-wide pid of the container's pid `local`.
    pub fn global_pid(&self, local: Tid) -> Option<Tid> {
        self.placement.pidns.global(local)
    }

    /// Whether the container has a PID namespace of its own.
    pub fn own_pids(&self) -> bool {
        !self.placement.pidns.is_root()
    }

    /// The container's PID namespace.
    pub fn pidns(&self) -> &Arc<crate::kernel::pidns::PidNs> {
        &self.placement.pidns
    }

    /// The container's live processes, with their pids in its PID namespace (in the
    /// sandbox's namespace, the processes of its mount namespace).
    pub fn processes(&self, k: &Kernel) -> Vec<crate::kernel::ProcessSummary> {
        k.processes_where(&self.placement.pidns, self.mnt_filter())
    }

    /// Kills every process of the container; a PID namespace of its own takes no new
    /// process after this.
    pub fn kill_all(&self, k: &Kernel) {
        k.kill_pidns(&self.placement.pidns, self.mnt_filter());
    }

    fn mnt_filter(&self) -> Option<&Arc<Vfs>> {
        (!self.own_pids()).then_some(&self.placement.ns.mnt)
    }
}

/// A booted sandbox (a handle: clones share the kernel).
#[derive(Clone)]
pub struct Sandbox {
    pub kernel: Arc<Kernel>,
}

/// What the sandbox runs.
pub struct Program {
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    pub cwd: Vec<u8>,
    pub creds: Creds,
    /// Resource limits as (resource number, soft, hard); the others keep the defaults.
    pub rlimits: Vec<(u32, u64, u64)>,
    /// no_new_privs and oom_score_adj.
    pub attrs: ProcessAttrs,
}

impl Program {
    fn rlimits(&self) -> [Rlimit; 16] {
        let mut r = default_rlimits();
        for &(n, cur, max) in &self.rlimits {
            if let Some(slot) = r.get_mut(n as usize) {
                *slot = Rlimit {
                    rlim_cur: cur,
                    rlim_max: max,
                };
            }
        }
        r
    }
}

fn launch_error(e: LaunchError) -> SandboxError {
    match e {
        LaunchError::NotFound => SandboxError::NotFound,
        LaunchError::NotExecutable => SandboxError::NotExecutable,
        LaunchError::Cwd(e) => SandboxError::Setup(format!("chdir to cwd: {e}")),
        LaunchError::Other(e) => setup(e),
    }
}

fn setup(e: impl std::fmt::Display) -> SandboxError {
    SandboxError::Setup(e.to_string())
}

/// The mount tree of a sandbox or container: the rootfs the gofer serves, as `rootfs`
/// says, and nothing on it yet.
fn root_vfs(
    mf: &Arc<MemoryFile>,
    gofer: Client,
    rootfs: RootfsMode,
) -> Result<Arc<Vfs>, SandboxError> {
    let gofer = Arc::new(gofer);
    let (root, fstype): (crate::vfs::InodeRef, &'static str) = match rootfs {
        RootfsMode::Memory | RootfsMode::ReadOnly => (
            MemFs::new_root(mf.clone(), Some(gofer), 0o755)
                .map_err(|e| setup(format!("rootfs: {e}")))?,
            "overlay",
        ),
        RootfsMode::None => (
            GoferFs::new_root(mf.clone(), gofer).map_err(|e| setup(format!("rootfs: {e}")))?,
            "9p",
        ),
    };
    Ok(Arc::new(Vfs::new(Arc::new(Mount {
        root,
        flags: MountFlags {
            readonly: rootfs == RootfsMode::ReadOnly,
            ..MountFlags::default()
        },
        fstype,
        source: if fstype == "9p" { "none" } else { "overlay" }.into(),
    }))))
}

/// Mounts one of the sandbox's own file systems (proc, dev, sys) on `/name`, which is
/// made if the rootfs lacks it.
fn mount_special(
    vfs: &Vfs,
    name: &[u8],
    inode: crate::vfs::InodeRef,
    fstype: &'static str,
) -> Result<(), SandboxError> {
    let at = match vfs.child(&vfs.root, name) {
        Ok(d) => d,
        Err(_) => {
            vfs.root
                .inode
                .create(name, NewNode::Dir, 0o755, 0, 0)
                .map_err(|e| setup(format!("mkdir /{}: {e}", String::from_utf8_lossy(name))))?;
            vfs.child(&vfs.root, name).map_err(setup)?
        }
    };
    let flags = MountFlags {
        nosuid: true,
        nodev: fstype != "devtmpfs",
        noexec: fstype != "devtmpfs",
        readonly: false,
    };
    vfs.mount(
        &at,
        Arc::new(Mount {
            root: inode,
            flags,
            fstype,
            source: fstype.into(),
        }),
    )
    .map_err(setup)
}

impl Sandbox {
    /// Creates the memory file and the platform (this forks the platform's template
    /// process: call it early, from the main thread), and mounts the file systems.
    pub fn new(
        platform: &str,
        gofer: Client,
        rootfs: RootfsMode,
        host: HostInfo,
        opts: KernelOptions,
    ) -> Result<Sandbox, SandboxError> {
        let _ = crate::kernel::NCPUS.set(host.ncpus);
        let mf = Arc::new(MemoryFile::new().map_err(|e| setup(format!("memory file: {e}")))?);
        let platform = husk_platform::new_platform(platform, mf.fd())
            .map_err(|e| setup(format!("platform: {e}")))?;
        let watch = gofer.watch().ok();
        let vfs = root_vfs(&mf, gofer, rootfs)?;
        let procfs = ProcFs::new(host.clone());
        let mounts: Vec<(&[u8], crate::vfs::InodeRef, &'static str)> = vec![
            (b"proc", procfs.root(), "proc"),
            (
                b"dev",
                fsimpl::devfs(mf.clone()).map_err(setup)?,
                "devtmpfs",
            ),
            (b"sys", fsimpl::sysfs(host.ncpus), "sysfs"),
        ];
        for (name, inode, fstype) in mounts {
            mount_special(&vfs, name, inode, fstype)?;
        }
        let kernel = Kernel::new(platform, mf, vfs, opts);
        watch_gofer(&kernel, watch, "/");
        let _ = procfs.kernel.set(Arc::downgrade(&kernel));
        fsimpl::devpts::attach_kernel(&kernel);
        Ok(Sandbox { kernel })
    }

    /// Makes the extra mounts of an OCI config, then `linux.maskedPaths` (a directory
    /// becomes an empty read-only tmpfs, anything else /dev/null) and
    /// `linux.readonlyPaths` (mounted again on itself, read-only). Missing masked and
    /// read-only paths are skipped, as runc skips them. Call before [`Sandbox::start`].
    ///
    /// Returns the masked and read-only paths that exist but cannot carry a mount: the
    /// mount table finds mounts by inode, and the Sentry's procfs keeps the same inode
    /// only for its entries outside /proc/PID (the root's files, /proc/sys); those
    /// of /proc/PID and /proc/self are made anew at each lookup.
    pub fn add_mounts(
        &self,
        mounts: Vec<ExtraMount>,
        masked: &[Vec<u8>],
        readonly: &[Vec<u8>],
    ) -> Result<Vec<String>, SandboxError> {
        self.watch_mount_gofers(&mounts);
        Self::mount_extras(&self.kernel.vfs, &self.kernel.mf, mounts, masked, readonly)
    }

    /// Mounts the Sentry's cgroupfs (cgroup2, the sandbox's cgroup as its root) on
    /// /sys/fs/cgroup with `limits`, read-only if `readonly` (an OCI config's `cgroup`
    /// mount there). Call before [`Sandbox::start`].
    pub fn mount_cgroupfs(
        &self,
        limits: fsimpl::cgroupfs::CgroupLimits,
        readonly: bool,
    ) -> Result<(), SandboxError> {
        self.mount_cgroupfs_in(&self.kernel.vfs, limits, readonly)
    }

    /// [`Sandbox::mount_cgroupfs`] in container `c` of a multi-container sandbox: it
    /// shows the container's own limits (what its config asks for; the sandbox's host
    /// cgroup bounds the whole pod) and the processes its PID namespace sees.
    pub fn mount_container_cgroupfs(
        &self,
        c: &Container,
        limits: fsimpl::cgroupfs::CgroupLimits,
        readonly: bool,
    ) -> Result<(), SandboxError> {
        self.mount_cgroupfs_in(&c.placement.ns.mnt, limits, readonly)
    }

    fn mount_cgroupfs_in(
        &self,
        vfs: &Vfs,
        limits: fsimpl::cgroupfs::CgroupLimits,
        readonly: bool,
    ) -> Result<(), SandboxError> {
        let err = |e: husk_abi::Errno| setup(format!("mount on /sys/fs/cgroup: {e}"));
        let at = make_path(vfs, b"/sys/fs/cgroup", true).map_err(err)?;
        let flags = MountFlags {
            readonly,
            nosuid: true,
            nodev: true,
            noexec: true,
        };
        let root = fsimpl::cgroupfs::new_root(&self.kernel, limits);
        vfs.mount(
            &at,
            Arc::new(Mount {
                root,
                flags,
                fstype: "cgroup2",
                source: "cgroup2".into(),
            }),
        )
        .map_err(err)
    }

    /// An error if a gofer the sandbox needs went away (nothing may start then).
    fn gofers_alive(&self) -> Result<(), SandboxError> {
        match self.kernel.lost_gofer() {
            Some(what) => Err(setup(format!("the gofer serving {what} exited"))),
            None => Ok(()),
        }
    }

    fn watch_mount_gofers(&self, mounts: &[ExtraMount]) {
        for m in mounts {
            if let ExtraSource::Gofer(client) = &m.source {
                let shown = String::from_utf8_lossy(&m.dest);
                watch_gofer(&self.kernel, client.watch().ok(), &shown);
            }
        }
    }

    /// [`Sandbox::add_mounts`] in the mount tree `vfs` (the sandbox's or a container's).
    fn mount_extras(
        vfs: &Vfs,
        mf: &Arc<MemoryFile>,
        mounts: Vec<ExtraMount>,
        masked: &[Vec<u8>],
        readonly: &[Vec<u8>],
    ) -> Result<Vec<String>, SandboxError> {
        for m in mounts {
            let shown = String::from_utf8_lossy(&m.dest).into_owned();
            let err = |e: &dyn std::fmt::Display| setup(format!("mount on {shown}: {e}"));
            let (root, fstype, source): (crate::vfs::InodeRef, &'static str, String) =
                match m.source {
                    ExtraSource::Gofer(client) => (
                        GoferFs::new_root(mf.clone(), Arc::new(client)).map_err(|e| err(&e))?,
                        "9p",
                        "none".into(),
                    ),
                    ExtraSource::Tmpfs(mode) => (
                        MemFs::new_tmpfs(mf.clone(), mode, 0, 0, None).map_err(|e| err(&e))?,
                        "tmpfs",
                        "tmpfs".into(),
                    ),
                    ExtraSource::File(data, mode) => (
                        memory_file(mf, &data, mode).map_err(|e| err(&e))?,
                        "tmpfs",
                        "tmpfs".into(),
                    ),
                };
            let is_dir =
                root.attr().map_err(|e| err(&e))?.mode & crate::vfs::S_IFMT == crate::vfs::S_IFDIR;
            let at = make_path(vfs, &m.dest, is_dir).map_err(|e| err(&e))?;
            // A directory only on a directory, anything else only on a non-directory.
            let at_dir = at.inode.attr().map_err(|e| err(&e))?.mode & crate::vfs::S_IFMT
                == crate::vfs::S_IFDIR;
            if at_dir != is_dir {
                let e = if is_dir {
                    husk_abi::Errno::ENOTDIR
                } else {
                    husk_abi::Errno::EISDIR
                };
                return Err(err(&e));
            }
            vfs.mount(
                &at,
                Arc::new(Mount {
                    root,
                    flags: m.flags,
                    fstype,
                    source,
                }),
            )
            .map_err(|e| err(&e))?;
        }
        let ro = MountFlags {
            readonly: true,
            nosuid: true,
            nodev: true,
            noexec: true,
        };
        let mut skipped = Vec::new();
        for path in masked {
            let Some(at) = stable_walk(vfs, path, &mut skipped) else {
                continue;
            };
            let is_dir = at
                .inode
                .attr()
                .is_ok_and(|a| a.mode & crate::vfs::S_IFMT == crate::vfs::S_IFDIR);
            let root = if is_dir {
                MemFs::new_tmpfs(mf.clone(), 0o755, 0, 0, Some(0)).map_err(setup)?
            } else {
                walk(vfs, b"/dev/null").map_err(setup)?.inode.clone()
            };
            vfs.mount(
                &at,
                Arc::new(Mount {
                    root,
                    flags: ro,
                    fstype: "tmpfs",
                    source: "tmpfs".into(),
                }),
            )
            .map_err(setup)?;
        }
        for path in readonly {
            let Some(at) = stable_walk(vfs, path, &mut skipped) else {
                continue;
            };
            let flags = MountFlags {
                readonly: true,
                ..at.mount.flags
            };
            let (fstype, source) = (at.mount.fstype, at.mount.source.clone());
            vfs.mount(
                &at,
                Arc::new(Mount {
                    root: at.inode.clone(),
                    flags,
                    fstype,
                    source,
                }),
            )
            .map_err(setup)?;
        }
        Ok(skipped)
    }

    /// Starts the first process with the caller's stdio.
    pub fn start(&self, prog: Program) -> Result<(), SandboxError> {
        self.gofers_alive()?;
        let mut stdio = Vec::new();
        for fd in 0..3 {
            let mut host =
                HostFd::new(fd).ok_or_else(|| setup(format!("stdio fd {fd} is not open")))?;
            let tty = crate::fsimpl::hosttty::for_fd(&self.kernel, host.as_fd(), &self.kernel.vfs);
            if let Some(t) = tty {
                if fd == 0 {
                    let _ = self.kernel.console.set(t.clone());
                }
                host = host.with_tty(t);
            }
            stdio.push(stdio_file(&self.kernel.vfs, host, format!("host:[{fd}]")));
        }
        let rlimits = prog.rlimits();
        start_init(
            &self.kernel,
            prog.argv,
            prog.envp,
            &prog.cwd,
            stdio,
            prog.creds,
            rlimits,
            prog.attrs,
        )
        .map_err(launch_error)
    }

    /// Starts another process in the running sandbox with the given host fds as its
    /// stdio (fd 0, 1, 2, ...); returns its pid in the sandbox. Wait for it with
    /// [`Sandbox::wait_process`].
    pub fn exec(
        &self,
        prog: Program,
        stdio: Vec<std::os::fd::OwnedFd>,
    ) -> Result<Tid, SandboxError> {
        self.exec_at(self.kernel.placement(), prog, stdio)
    }

    /// Starts a process from the host, placed in `at`.
    fn exec_at(
        &self,
        at: crate::kernel::exec::Placement,
        prog: Program,
        stdio: Vec<std::os::fd::OwnedFd>,
    ) -> Result<Tid, SandboxError> {
        self.gofers_alive()?;
        let rlimits = prog.rlimits();
        let files = host_stdio(&self.kernel, &at.ns.mnt, stdio);
        start_process_in(
            &self.kernel,
            at,
            prog.argv,
            prog.envp,
            &prog.cwd,
            files,
            prog.creds,
            rlimits,
            prog.attrs,
        )
        .map_err(launch_error)
    }

    /// A new container in this sandbox (a pod's second and later containers): its own
    /// root file system served by `gofer` as `rootfs` says, its own mount namespace
    /// with the sandbox's /dev and /sys and a /proc of its own PID namespace (a new
    /// one below the sandbox's unless `share_pids`), the sandbox's UTS and IPC
    /// namespaces. Add its mounts with [`Sandbox::add_container_mounts`], start its
    /// processes with [`Sandbox::exec_in`].
    pub fn new_container(
        &self,
        gofer: Client,
        rootfs: RootfsMode,
        share_pids: bool,
    ) -> Result<Container, SandboxError> {
        let k = &self.kernel;
        let vfs = root_vfs(&k.mf, gofer, rootfs)?;
        let base = k.placement();
        let pidns = if share_pids {
            base.pidns.clone()
        } else {
            crate::kernel::pidns::PidNs::new_child(&base.pidns, base.pidns.owner.clone())
                .map_err(setup)?
        };
        let sandbox_fs = |fstype: &str| {
            k.vfs
                .mounts()
                .into_iter()
                .find(|(_, m)| m.fstype == fstype)
                .map(|(_, m)| m.root.clone())
                .ok_or_else(|| setup(format!("the sandbox has no {fstype} mount")))
        };
        let proc_root = fsimpl::procfs::root_for(&sandbox_fs("proc")?, pidns.clone());
        mount_special(&vfs, b"proc", proc_root, "proc")?;
        mount_special(&vfs, b"dev", sandbox_fs("devtmpfs")?, "devtmpfs")?;
        mount_special(&vfs, b"sys", sandbox_fs("sysfs")?, "sysfs")?;
        let mut ns = base.ns.clone();
        ns.mnt = vfs;
        ns.mnt_id = crate::kernel::next_ns_id();
        ns.pid_for_children = pidns.clone();
        Ok(Container {
            placement: crate::kernel::exec::Placement { ns, pidns },
        })
    }

    /// [`Sandbox::add_mounts`] for a container made with [`Sandbox::new_container`].
    pub fn add_container_mounts(
        &self,
        c: &Container,
        mounts: Vec<ExtraMount>,
        masked: &[Vec<u8>],
        readonly: &[Vec<u8>],
    ) -> Result<Vec<String>, SandboxError> {
        Self::mount_extras(
            &c.placement.ns.mnt,
            &self.kernel.mf,
            mounts,
            masked,
            readonly,
        )
    }

    /// [`Sandbox::exec`] in container `c`: the first process started there is the init
    /// of its PID namespace. Returns the sandbox-wide pid (see [`Container::pid`]).
    pub fn exec_in(
        &self,
        c: &Container,
        prog: Program,
        stdio: Vec<std::os::fd::OwnedFd>,
    ) -> Result<Tid, SandboxError> {
        self.exec_at(c.placement.clone(), prog, stdio)
    }

    /// Waits for a process started with [`Sandbox::exec`]; returns its wait status.
    pub fn wait_process(&self, pid: Tid) -> Option<i32> {
        self.kernel.wait_external(pid)
    }

    /// Waits for the first process to exit; returns its wait status.
    pub fn wait(&self) -> i32 {
        self.kernel.wait_init()
    }

    /// Applies one `linux.sysctl` entry of an OCI config: root writes `value` into
    /// /proc/sys/`key` (dots as slashes) in the sandbox, as runc does before the first
    /// process starts (and before /proc/sys is read-only: the Sentry writes it itself).
    /// An entry the Sentry's procfs lacks or cannot change (e.g.
    /// net.ipv4.ping_group_range: no network stack) is logged and ignored; a value the
    /// entry refuses is an error naming the key.
    pub fn set_sysctl(&self, key: &str, value: &str) -> Result<(), SandboxError> {
        use husk_abi::Errno;
        let names: Vec<&str> = key.split('.').collect();
        if names
            .iter()
            .any(|n| n.is_empty() || n.contains(['/', '\0']))
        {
            return Err(setup(format!("{key:?}: not a sysctl name")));
        }
        let path = format!("/proc/sys/{}", names.join("/"));
        let ignored = || {
            tracing::warn!("sysctl {key}: not implemented by the sandbox, ignored");
            Ok(())
        };
        let inode = match walk(&self.kernel.vfs, path.as_bytes()) {
            Ok(d) => d.inode.clone(),
            Err(Errno::ENOENT | Errno::ENOTDIR) => return ignored(),
            Err(e) => return Err(setup(format!("{key:?}: {path}: {e}"))),
        };
        if inode.attr().is_ok_and(|a| a.is_dir()) {
            return Err(setup(format!("{key:?}: {path} is a directory")));
        }
        let file = match inode.open(crate::vfs::O_WRONLY) {
            Ok(f) => f,
            Err(Errno::EACCES | Errno::EPERM) => return ignored(),
            Err(e) => return Err(setup(format!("{key:?}: {path}: {e}"))),
        };
        match file.write(value.as_bytes(), 0) {
            Ok(_) => Ok(()),
            Err(Errno::EINVAL) => Err(setup(format!(
                "{key:?}: the value {value:?} is refused (EINVAL)"
            ))),
            Err(e) => Err(setup(format!("{key:?}: writing {path}: {e}"))),
        }
    }

    /// After init exited: waits (at most `grace`) for every task to finish, which ends
    /// their stub processes, then ends the platform's own processes.
    pub fn shutdown(&self, grace: std::time::Duration) {
        let deadline = std::time::Instant::now() + grace;
        while self
            .kernel
            .live_tasks
            .load(std::sync::atomic::Ordering::SeqCst)
            > 0
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        self.kernel.platform.shutdown();
    }
}
