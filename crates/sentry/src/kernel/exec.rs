//! execve, and starting the sandbox's first process.

use super::sigqueue::*;
use super::task::TaskCtx;
use super::*;
use crate::loader;
use crate::vfs::{Dentry, OpenFile, WalkFlags};
use husk_abi::{Errno, PtRegs, SysResult};

/// Why the first process could not start.
#[derive(Debug)]
pub enum LaunchError {
    NotFound,
    NotExecutable,
    /// The working directory cannot be reached (only for [`start_process_in`]).
    Cwd(Errno),
    Other(Errno),
}

const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn basename(p: &[u8]) -> String {
    let b = p.rsplit(|&c| c == b'/').next().unwrap_or(p);
    String::from_utf8_lossy(&b[..b.len().min(15)]).into_owned()
}

/// Finds `cmd` in `PATH` (from `envp`) unless it has a slash.
fn resolve_command(
    vfs: &Vfs,
    fs: &FsContext,
    cmd: &[u8],
    envp: &[Vec<u8>],
) -> Result<Vec<u8>, LaunchError> {
    if cmd.contains(&b'/') {
        return Ok(cmd.to_vec());
    }
    let path = envp
        .iter()
        .find_map(|e| e.strip_prefix(b"PATH="))
        .unwrap_or(DEFAULT_PATH);
    let mut saw_eacces = false;
    for dir in path.split(|&c| c == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let mut full = dir.to_vec();
        full.push(b'/');
        full.extend_from_slice(cmd);
        match loader::open_exec(vfs, fs, &fs.cwd, &full) {
            Ok(_) => return Ok(full),
            Err(Errno::EACCES) => {
                if vfs
                    .walk(&fs.root, &fs.cwd, &full, WalkFlags { follow: true })
                    .is_ok()
                {
                    saw_eacces = true;
                }
            }
            Err(_) => {}
        }
    }
    Err(if saw_eacces {
        LaunchError::NotExecutable
    } else {
        LaunchError::NotFound
    })
}

/// Starts the sandbox's init process (pid 1) running `argv` with `envp`.
#[allow(clippy::too_many_arguments)]
pub fn start_init(
    k: &Arc<Kernel>,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    cwd: &[u8],
    stdio: Vec<Arc<OpenFile>>,
    creds: Creds,
    rlimits: [Rlimit; 16],
    attrs: ProcessAttrs,
) -> Result<(), LaunchError> {
    launch(k, argv, envp, cwd, stdio, creds, rlimits, attrs, None).map(|_| ())
}

/// Process attributes a process started from the host gets (an OCI config's
/// `process.noNewPrivileges` and `process.oomScoreAdj`).
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessAttrs {
    pub no_new_privs: bool,
    /// -1000..=1000.
    pub oom_score_adj: i32,
}

/// Where a process started from the host lives: its namespaces (the mount namespace
/// is its root and working directory's) and the PID namespace it gets its ID in.
#[derive(Clone)]
pub struct Placement {
    pub ns: Namespaces,
    pub pidns: Arc<pidns::PidNs>,
}

impl Kernel {
    /// The placement of init and of processes `husk exec` starts: the initial
    /// namespaces.
    pub fn placement(&self) -> Placement {
        Placement {
            ns: self.root_ns.clone(),
            pidns: self.root_ns.pid_for_children.clone(),
        }
    }
}

/// Starts another process in the running sandbox (`husk exec`), placed in `at` (the
/// initial namespaces, [`Kernel::placement`], or a container of a multi-container
/// sandbox, whose first process is the init of its own PID namespace: local ID 1): a
/// new thread group and session whose parent is the host; [`Kernel::wait_external`]
/// waits for it. Unlike init's, a working directory that does not exist is an error.
/// Returns its (sandbox-wide) pid.
#[allow(clippy::too_many_arguments)]
pub fn start_process_in(
    k: &Arc<Kernel>,
    at: Placement,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    cwd: &[u8],
    stdio: Vec<Arc<OpenFile>>,
    creds: Creds,
    rlimits: [Rlimit; 16],
    attrs: ProcessAttrs,
) -> Result<Tid, LaunchError> {
    if k.init_exited() {
        return Err(LaunchError::Other(Errno::ESRCH));
    }
    launch(k, argv, envp, cwd, stdio, creds, rlimits, attrs, Some(at))
}

#[allow(clippy::too_many_arguments)]
fn launch(
    k: &Arc<Kernel>,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    cwd: &[u8],
    stdio: Vec<Arc<OpenFile>>,
    mut creds: Creds,
    rlimits: [Rlimit; 16],
    attrs: ProcessAttrs,
    external: Option<Placement>,
) -> Result<Tid, LaunchError> {
    creds.exec_transform();
    let at = external.clone().unwrap_or_else(|| k.placement());
    let external = external.is_some();
    let vfs = at.ns.mnt.clone();
    let root = vfs.root.clone();
    let cwd_d = match vfs.walk(&root, &root, cwd, WalkFlags { follow: true }) {
        Ok(d) => d,
        Err(e) if external => return Err(LaunchError::Cwd(e)),
        Err(_) => root.clone(),
    };
    let fsctx = FsContext {
        root: root.clone(),
        cwd: cwd_d,
        umask: 0o022,
    };
    let cmd = argv.first().cloned().ok_or(LaunchError::NotFound)?;
    let path = resolve_command(&vfs, &fsctx, &cmd, &envp)?;
    let space = k
        .platform
        .new_address_space()
        .map_err(|_| LaunchError::Other(Errno::ENOMEM))?;
    let mm = Mm::arc(Mm::new(space, k.mf.clone(), k.platform.max_user_address()));
    let start = fsctx.cwd.clone();
    let img =
        loader::load(&vfs, &mm, &fsctx, &start, &path, argv, envp, &creds).map_err(
            |e| match e {
                Errno::ENOENT | Errno::ENOTDIR => LaunchError::NotFound,
                Errno::EACCES | Errno::ENOEXEC => LaunchError::NotExecutable,
                e => LaunchError::Other(e),
            },
        )?;
    set_exe(&vfs, &fsctx, &mm, &img.exe);
    // A terminal as stdin becomes the new session's controlling terminal (runc's
    // setsid + TIOCSCTTY for process.terminal).
    let ctty = stdio.first().and_then(|f| {
        f.ops
            .as_any()
            .and_then(|a| a.downcast_ref::<crate::host::HostFd>())
            .and_then(|h| h.tty().cloned())
    });
    let files = Arc::new(FdTable::default());
    for (i, f) in stdio.into_iter().enumerate() {
        files.insert_at(i as i32, f, false);
    }
    let ctx = k
        .platform
        .new_context()
        .map_err(|_| LaunchError::Other(Errno::ENOMEM))?;
    let regs = PtRegs {
        rip: img.entry,
        rsp: img.sp,
        cs: 0x33,
        ss: 0x2b,
        eflags: 0x202,
        ..Default::default()
    };
    let mut st = k.lock();
    // Pid 1 is the container's init even when `husk exec` starts a process before it
    // (exec into a created container).
    let tid = if !external && !st.procs.contains_key(&1) && !st.threads.contains_key(&1) {
        1
    } else {
        st.reserve_init_id();
        st.alloc_tid()
    };
    // In a nested PID namespace the process gets its ID there too (the first one is
    // the namespace's init); ENOMEM once that init has exited.
    if let Err(e) = at.pidns.assign(tid) {
        return Err(LaunchError::Other(e));
    }
    let mut task = TaskCtx::new(
        k.clone(),
        tid,
        tid,
        ctx,
        regs,
        mm,
        files,
        Arc::new(Mutex::new(fsctx)),
    );
    task.pidns = at.pidns.clone();
    st.threads
        .insert(tid, task.thread_info(0, basename(&img.exe)));
    st.procs.insert(
        tid,
        ProcessInfo {
            tgid: tid,
            parent: 0,
            children: BTreeSet::new(),
            threads: vec![tid],
            pgid: tid,
            sid: tid,
            actions: [KSigaction::default(); 65],
            shared_pending: SigQueue::default(),
            exit_signal: SIGCHLD,
            state: ProcState::Running,
            group_exit: None,
            stopped: false,
            stop_sig: 0,
            stop_report: false,
            cont_report: false,
            rlimits,
            creds,
            child_wq: WaitQueue::new(),
            usage: Usage::default(),
            child_usage: Usage::default(),
            start: Instant::now(),
            subreaper: false,
            pdeathsig: 0,
            parent_thread: 0,
            oom_score_adj: (attrs.oom_score_adj, attrs.oom_score_adj),
            no_new_privs: attrs.no_new_privs,
            dumpable: true,
            cmdline: img.argv.clone(),
            exited_threads_time: Duration::ZERO,
            nice: 0,
            did_exec: false,
            ns: at.ns.clone(),
            pidns: at.pidns.clone(),
        },
    );
    if external {
        st.external.insert(tid, None);
    }
    if let Some(t) = ctty {
        t.attach(&st, tid);
    }
    drop(st);
    match task.spawn() {
        Ok(()) => Ok(tid),
        Err(_) => {
            let mut st = k.lock();
            if external {
                st.external.remove(&tid);
            }
            st.threads.remove(&tid);
            if let Some(gone) = st.procs.remove(&tid) {
                st.release_id(tid, &gone.pidns);
            }
            Err(LaunchError::Other(Errno::EAGAIN))
        }
    }
}

/// Records the absolute path of the executable for /proc/PID/exe.
fn set_exe(vfs: &Vfs, fs: &FsContext, mm: &Mm, exe: &[u8]) {
    if let Ok(d) = vfs.walk(&fs.root, &fs.cwd, exe, WalkFlags { follow: true }) {
        mm.lock().layout.exe = d.path_string();
    }
}

impl TaskCtx {
    /// Kills the other threads of the process and waits for them to go (exec).
    fn de_thread(&mut self) -> Result<(), Errno> {
        let k = self.k.clone();
        {
            let mut st = k.lock();
            let others: Vec<Tid> = st
                .procs
                .get(&self.tgid)
                .map(|p| p.threads.clone())
                .unwrap_or_default();
            let others: Vec<Tid> = others.into_iter().filter(|&t| t != self.tid).collect();
            if others.is_empty() {
                return Ok(());
            }
            for t in &others {
                if let Some(ti) = st.threads.get_mut(t) {
                    ti.killed_by_exec = true;
                    ti.handle.kick();
                }
            }
        }
        loop {
            {
                let st = k.lock();
                let p = st.procs.get(&self.tgid).ok_or(Errno::ESRCH)?;
                if p.group_exit.is_some() {
                    return Err(Errno::EINTR);
                }
                if p.threads.len() == 1 {
                    break;
                }
            }
            self.handle
                .waker
                .wait(Some(Instant::now() + Duration::from_millis(20)));
        }
        if self.tid != self.tgid {
            let mut st = k.lock();
            if let Some(mut info) = st.threads.remove(&self.tid) {
                info.tid = self.tgid;
                st.threads.insert(self.tgid, info);
            }
            st.release_id(self.tid, &self.pidns);
            if let Some(p) = st.procs.get_mut(&self.tgid) {
                p.threads = vec![self.tgid];
            }
            self.tid = self.tgid;
            self.handle.tid.store(self.tgid, Ordering::SeqCst);
            CURRENT.with(|c| c.set((self.tid, self.tgid)));
        }
        Ok(())
    }

    /// execve / execveat.
    pub fn execve(
        &mut self,
        start: Arc<Dentry>,
        path: Vec<u8>,
        argv: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
    ) -> SysResult {
        let k = self.k.clone();
        let space = k.platform.new_address_space().map_err(|_| Errno::ENOMEM)?;
        let mm = Mm::arc(Mm::new(space, k.mf.clone(), k.platform.max_user_address()));
        let fsctx = self.fs.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let creds = self.creds();
        let vfs = self.vfs();
        let img = loader::load(&vfs, &mm, &fsctx, &start, &path, argv, envp, &creds)?;
        set_exe(&vfs, &fsctx, &mm, &img.exe);
        self.de_thread()?;
        // Point of no return.
        self.files = Arc::new(self.files.exec_copy());
        self.files.close_on_exec();
        self.mm = mm;
        self.altstack = husk_abi::StackT {
            ss_flags: super::signal::SS_DISABLE,
            ..Default::default()
        };
        self.robust_list = 0;
        self.clear_child_tid = 0;
        {
            let mut st = k.lock();
            if let Some(p) = st.procs.get_mut(&self.tgid) {
                for a in p.actions.iter_mut() {
                    if a.handler > 1 {
                        *a = KSigaction::default();
                    }
                }
                p.cmdline = img.argv.clone();
                p.did_exec = true;
                p.creds.exec_transform();
                // Linux's begin_new_exec: dumpable again unless the ids differ.
                p.dumpable = p.creds.ruid == p.creds.euid && p.creds.rgid == p.creds.egid;
                // POSIX timers do not survive exec (interval timers do).
                k.timers.clear_posix(self.tgid);
            }
            if let Some(t) = st.threads.get_mut(&self.tid) {
                t.mm = self.mm.clone();
                t.files = self.files.clone();
                t.comm = basename(&path);
            }
        }
        self.regs = PtRegs {
            rip: img.entry,
            rsp: img.sp,
            cs: self.regs.cs,
            ss: self.regs.ss,
            eflags: 0x202,
            ..Default::default()
        };
        self.reset_fp();
        if let Some(v) = self.vfork_done.take() {
            v.complete();
        }
        self.regs_replaced = true;
        Ok(0)
    }
}
