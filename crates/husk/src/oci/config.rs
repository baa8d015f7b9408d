//! Reading a bundle's `config.json` (with `oci-spec`) into what the sandbox needs, and
//! rejecting, with the field's name, what husk does not support yet.

use oci_spec::runtime::Spec;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A container's configuration, as far as husk uses it.
#[derive(Debug, Clone)]
pub struct Config {
    pub args: Vec<String>,
    pub env: Vec<String>,
    pub cwd: String,
    pub uid: u32,
    pub gid: u32,
    pub additional_gids: Vec<u32>,
    /// (resource number, soft, hard).
    pub rlimits: Vec<(u32, u64, u64)>,
    pub hostname: String,
    /// Absolute path of the root file system on the host.
    pub rootfs: PathBuf,
    pub readonly: bool,
    pub annotations: BTreeMap<String, String>,
    pub hooks: Hooks,
    /// `process.terminal`: the process's stdio is a pty whose master goes to
    /// `--console-socket`.
    pub terminal: bool,
    /// `process.consoleSize` (rows, columns), with a terminal only.
    pub console_size: Option<(u16, u16)>,
    /// The `mounts` husk makes itself (bind mounts and tmpfs outside /proc, /dev,
    /// /sys); the others are the Sentry's own file systems.
    pub mounts: Vec<ExtraMount>,
    /// `linux.maskedPaths`.
    pub masked_paths: Vec<String>,
    /// `linux.readonlyPaths`.
    pub readonly_paths: Vec<String>,
    /// `linux.sysctl` (key, value), sorted by key; checked by [`check_sysctl`].
    pub sysctl: Vec<(String, String)>,
    /// Set for a container that joins an existing sandbox (a pod's containers after
    /// its sandbox container), from containerd's or CRI-O's annotations.
    pub join: Option<JoinSandbox>,
    /// `process.capabilities` (None: not given, the process keeps root's full sets).
    pub caps: Option<CapSets>,
    /// `process.noNewPrivileges`.
    pub no_new_privs: bool,
    /// `process.oomScoreAdj`.
    pub oom_score_adj: i32,
    /// A `cgroup` (or `cgroup2`) mount on /sys/fs/cgroup: the Sentry mounts its
    /// cgroupfs there (see [`cgroup_mount`]).
    pub cgroup_mount: Option<CgroupMount>,
}

/// What the Sentry's cgroupfs on /sys/fs/cgroup shows: the limits of
/// `linux.resources` that husk applies to the sandbox's host cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CgroupMount {
    pub readonly: bool,
    pub limits: husk_sentry::fsimpl::cgroupfs::CgroupLimits,
}

/// A process's capability sets as bit masks (bit N: capability N).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CapSets {
    pub bounding: u64,
    pub effective: u64,
    pub inheritable: u64,
    pub permitted: u64,
    pub ambient: u64,
}

/// Linux's capability names, by number.
const CAP_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// The capability sets of a `capabilities` object (an OCI process's), None if there
/// is none. Names were checked by [`load`]; unknown ones count as absent.
pub fn cap_sets(caps: &Value) -> Option<CapSets> {
    caps.as_object()?;
    let mask = |set: &str| -> u64 {
        caps[set]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str())
            .filter_map(|c| CAP_NAMES.iter().position(|n| *n == c))
            .fold(0, |m, n| m | 1u64 << n)
    };
    Some(CapSets {
        bounding: mask("bounding"),
        effective: mask("effective"),
        inheritable: mask("inheritable"),
        permitted: mask("permitted"),
        ambient: mask("ambient"),
    })
}

/// The sandbox a container joins (see [`join_sandbox`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinSandbox {
    /// The id of the sandbox's own container (the pod's pause container).
    pub sandbox_id: String,
    /// The config gives the PID namespace as a path (the sandbox's: a pod with
    /// shareProcessNamespace) or not at all: the container's processes live in the
    /// sandbox's PID namespace. Otherwise the container gets one of its own.
    pub share_pids: bool,
}

/// Annotations (type key, sandbox id key) that put a container into a sandbox:
/// containerd's CRI plugin and CRI-O's.
const JOIN_ANNOTATIONS: [(&str, &str); 2] = [
    (
        "io.kubernetes.cri.container-type",
        "io.kubernetes.cri.sandbox-id",
    ),
    (
        "io.kubernetes.cri-o.ContainerType",
        "io.kubernetes.cri-o.SandboxID",
    ),
];

/// The sandbox the container in config `v` joins: its container type annotation says
/// "container" (not "sandbox") and its sandbox id annotation names the sandbox.
pub fn join_sandbox(v: &Value) -> Result<Option<JoinSandbox>, String> {
    for (type_key, id_key) in JOIN_ANNOTATIONS {
        let a = &v["annotations"];
        if a[type_key].as_str() != Some("container") {
            continue;
        }
        let id = a[id_key].as_str().unwrap_or_default();
        if id.is_empty() {
            return Err(format!(
                "annotations: {type_key:?} is \"container\" but {id_key:?} is missing"
            ));
        }
        let pid = v["linux"]["namespaces"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|n| n["type"].as_str() == Some("pid"));
        let share_pids = match pid {
            None => true,
            Some(n) => n["path"].as_str().is_some_and(|p| !p.is_empty()),
        };
        return Ok(Some(JoinSandbox {
            sandbox_id: id.to_string(),
            share_pids,
        }));
    }
    Ok(None)
}

/// What an extra mount mounts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountKind {
    /// A bind mount of this host file or directory (absolute).
    Bind(PathBuf),
    /// A new tmpfs with this root mode.
    Tmpfs(u32),
}

/// One mount of `mounts` that husk makes in the sandbox (see [`super::boot`]).
#[derive(Debug, Clone)]
pub struct ExtraMount {
    pub destination: String,
    pub kind: MountKind,
    pub readonly: bool,
    pub nosuid: bool,
    pub nodev: bool,
    pub noexec: bool,
}

/// Bind mounts on these destinations are replaced by the Sentry's own file system
/// (runsc does the same for /dev/shm: a host directory shared with the sandbox would
/// add nothing, the sandbox's shared memory lives in the Sentry).
const SENTRY_BIND_DESTINATIONS: [&str; 1] = ["/dev/shm"];

fn under(dest: &str, dir: &str) -> bool {
    dest == dir || dest.starts_with(&format!("{dir}/"))
}

fn under_sentry(dest: &str) -> bool {
    ["/proc", "/dev", "/sys"].iter().any(|d| under(dest, d))
}

fn is_bind(m: &Value) -> bool {
    m["type"].as_str() == Some("bind")
        || strs(m, "options").any(|(_, o)| o == "bind" || o == "rbind")
}

/// Whether `m` is a cgroup file system on /sys/fs/cgroup (podman and containerd add
/// one, `ro`).
fn is_cgroup_mount(m: &Value) -> bool {
    !is_bind(m)
        && matches!(m["type"].as_str(), Some("cgroup" | "cgroup2"))
        && m["destination"].as_str().map(|d| d.trim_end_matches('/')) == Some("/sys/fs/cgroup")
}

/// The config's cgroup mount on /sys/fs/cgroup, with the limits of `linux.resources`
/// as husk applies them ([`super::cgroup::Resources`]; `cpu.shares` becomes a weight
/// as runc converts it).
fn cgroup_mount(v: &Value) -> Option<CgroupMount> {
    let m = v["mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .rfind(|m| is_cgroup_mount(m))?;
    let r = super::cgroup::Resources::from_config(v, "");
    let bytes = |n: i64| u64::try_from(n).ok();
    let limits = husk_sentry::fsimpl::cgroupfs::CgroupLimits {
        memory_max: r.memory.and_then(bytes),
        memory_swap_max: match (r.memory, r.memory_swap) {
            (Some(m), Some(s)) => bytes((s - m).max(0)),
            _ => None,
        },
        cpu_quota: r.cpu_quota.and_then(bytes),
        cpu_period: r.cpu_quota.map(|_| r.cpu_period.unwrap_or(100_000)),
        cpu_weight: v["linux"]["resources"]["cpu"]["shares"]
            .as_u64()
            .filter(|&s| s > 0)
            .map(husk_sentry::fsimpl::cgroupfs::CgroupLimits::weight_from_shares),
        pids_max: r.pids.and_then(bytes),
    };
    Some(CgroupMount {
        readonly: strs(m, "options").any(|(_, o)| o == "ro"),
        limits,
    })
}

/// Destinations of the Sentry's own file systems that the config mounts read-only
/// (podman's `sysfs` on /sys with `ro`): they are remounted read-only as
/// `linux.readonlyPaths` are. A cgroup mount carries its own flag ([`cgroup_mount`]).
fn sentry_readonly_mounts(v: &Value) -> Vec<String> {
    v["mounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| !is_bind(m) && !is_cgroup_mount(m))
        .filter(|m| strs(m, "options").any(|(_, o)| o == "ro"))
        .filter_map(|m| m["destination"].as_str())
        .filter(|d| under_sentry(d))
        .map(str::to_string)
        .collect()
}

/// The mounts husk makes itself, from the checked `mounts` (bind sources relative to
/// the bundle, as the runtime spec says).
fn extra_mounts(v: &Value, bundle: &Path) -> Result<Vec<ExtraMount>, String> {
    let mut out = Vec::new();
    for (i, m) in v["mounts"].as_array().into_iter().flatten().enumerate() {
        let dest = m["destination"].as_str().unwrap_or_default();
        let bind = is_bind(m);
        if SENTRY_BIND_DESTINATIONS.contains(&dest) || (!bind && under_sentry(dest)) {
            continue;
        }
        let opts: Vec<&str> = strs(m, "options").map(|(_, o)| o).collect();
        let has = |o: &str| opts.contains(&o);
        let kind = if bind {
            let src = m["source"].as_str().unwrap_or_default();
            let path = bundle.join(src);
            let path = path
                .canonicalize()
                .map_err(|e| format!("mounts[{i}].source: {}: {e}", path.display()))?;
            MountKind::Bind(path)
        } else {
            let mut mode = 0o1777;
            for o in &opts {
                if let Some(m) = o.strip_prefix("mode=") {
                    mode = u32::from_str_radix(m, 8)
                        .map_err(|_| format!("mounts[{i}].options: {o:?} is not an octal mode"))?;
                }
            }
            MountKind::Tmpfs(mode)
        };
        out.push(ExtraMount {
            destination: dest.to_string(),
            kind,
            readonly: has("ro"),
            nosuid: has("nosuid"),
            nodev: has("nodev"),
            noexec: has("noexec"),
        });
    }
    Ok(out)
}

fn rlimit_number(name: &str) -> Option<u32> {
    Some(match name {
        "RLIMIT_CPU" => 0,
        "RLIMIT_FSIZE" => 1,
        "RLIMIT_DATA" => 2,
        "RLIMIT_STACK" => 3,
        "RLIMIT_CORE" => 4,
        "RLIMIT_RSS" => 5,
        "RLIMIT_NPROC" => 6,
        "RLIMIT_NOFILE" => 7,
        "RLIMIT_MEMLOCK" => 8,
        "RLIMIT_AS" => 9,
        "RLIMIT_LOCKS" => 10,
        "RLIMIT_SIGPENDING" => 11,
        "RLIMIT_MSGQUEUE" => 12,
        "RLIMIT_NICE" => 13,
        "RLIMIT_RTPRIO" => 14,
        "RLIMIT_RTTIME" => 15,
        _ => return None,
    })
}

/// One OCI hook (`hooks.<phase>[i]`), as husk runs it (see [`super::hooks`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    /// `None`: the hook inherits the runtime's environment (as runc's hooks do).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
    /// Seconds; `None`: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// The hooks of a container, by phase.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hooks {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prestart: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create_runtime: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create_container: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub start_container: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poststart: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poststop: Vec<Hook>,
}

impl Hooks {
    pub fn is_empty(&self) -> bool {
        *self == Hooks::default()
    }
}

/// The JSON type a field must have (the first check, so that errors name the field;
/// oci-spec's own errors do not).
#[derive(Clone, Copy)]
enum Ty {
    Str,
    Bool,
    U32,
    I32,
    U64,
    I64,
    Arr(&'static Ty),
    /// Fields: (name, type, required).
    Obj(&'static [(&'static str, Ty, bool)]),
    Map(&'static Ty),
    Any,
}

const STRS: Ty = Ty::Arr(&Ty::Str);
const HOOK: Ty = Ty::Obj(&[
    ("path", Ty::Str, true),
    ("args", STRS, false),
    ("env", STRS, false),
    ("timeout", Ty::I64, false),
]);
const HOOK_LIST: Ty = Ty::Arr(&HOOK);
const ID_MAP: Ty = Ty::Obj(&[
    ("containerID", Ty::U32, true),
    ("hostID", Ty::U32, true),
    ("size", Ty::U32, true),
]);
const PROCESS: Ty = Ty::Obj(&[
    ("terminal", Ty::Bool, false),
    (
        "consoleSize",
        Ty::Obj(&[("height", Ty::U32, true), ("width", Ty::U32, true)]),
        false,
    ),
    (
        "user",
        Ty::Obj(&[
            ("uid", Ty::U32, true),
            ("gid", Ty::U32, true),
            ("umask", Ty::U32, false),
            ("additionalGids", Ty::Arr(&Ty::U32), false),
            ("username", Ty::Str, false),
        ]),
        true,
    ),
    ("args", STRS, false),
    ("commandLine", Ty::Str, false),
    ("env", STRS, false),
    ("cwd", Ty::Str, true),
    (
        "capabilities",
        Ty::Obj(&[
            ("bounding", STRS, false),
            ("effective", STRS, false),
            ("inheritable", STRS, false),
            ("permitted", STRS, false),
            ("ambient", STRS, false),
        ]),
        false,
    ),
    (
        "rlimits",
        Ty::Arr(&Ty::Obj(&[
            ("type", Ty::Str, true),
            ("soft", Ty::U64, true),
            ("hard", Ty::U64, true),
        ])),
        false,
    ),
    ("noNewPrivileges", Ty::Bool, false),
    ("apparmorProfile", Ty::Str, false),
    ("oomScoreAdj", Ty::I32, false),
    ("selinuxLabel", Ty::Str, false),
]);
const SPEC: Ty = Ty::Obj(&[
    ("ociVersion", Ty::Str, true),
    ("hostname", Ty::Str, false),
    ("domainname", Ty::Str, false),
    (
        "root",
        Ty::Obj(&[("path", Ty::Str, true), ("readonly", Ty::Bool, false)]),
        true,
    ),
    ("process", PROCESS, true),
    (
        "mounts",
        Ty::Arr(&Ty::Obj(&[
            ("destination", Ty::Str, true),
            ("source", Ty::Str, false),
            ("type", Ty::Str, false),
            ("options", STRS, false),
        ])),
        false,
    ),
    (
        "hooks",
        Ty::Obj(&[
            ("prestart", HOOK_LIST, false),
            ("createRuntime", HOOK_LIST, false),
            ("createContainer", HOOK_LIST, false),
            ("startContainer", HOOK_LIST, false),
            ("poststart", HOOK_LIST, false),
            ("poststop", HOOK_LIST, false),
        ]),
        false,
    ),
    ("annotations", Ty::Map(&Ty::Str), false),
    (
        "linux",
        Ty::Obj(&[
            (
                "namespaces",
                Ty::Arr(&Ty::Obj(&[
                    ("type", Ty::Str, true),
                    ("path", Ty::Str, false),
                ])),
                false,
            ),
            ("uidMappings", Ty::Arr(&ID_MAP), false),
            ("gidMappings", Ty::Arr(&ID_MAP), false),
            ("sysctl", Ty::Map(&Ty::Str), false),
            ("maskedPaths", STRS, false),
            ("readonlyPaths", STRS, false),
            ("devices", Ty::Arr(&Ty::Any), false),
            ("resources", Ty::Any, false),
            ("seccomp", Ty::Any, false),
            ("cgroupsPath", Ty::Str, false),
            ("rootfsPropagation", Ty::Str, false),
            ("mountLabel", Ty::Str, false),
        ]),
        false,
    ),
]);

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

/// Checks `v` against `ty`; `path` names it in errors. `null` counts as absent.
fn check_type(v: &Value, ty: Ty, path: &str) -> Result<(), String> {
    let int = |lo: i128, hi: i128, what: &str| -> Result<(), String> {
        let n = v
            .as_u64()
            .map(i128::from)
            .or_else(|| v.as_i64().map(i128::from));
        match n {
            Some(n) if (lo..=hi).contains(&n) => Ok(()),
            _ => Err(format!(
                "{path}: {v} is not {what} (an integer in {lo}..={hi})"
            )),
        }
    };
    match ty {
        Ty::Any => Ok(()),
        Ty::Str if v.is_string() => Ok(()),
        Ty::Str => Err(format!("{path}: must be a string, not {v}")),
        Ty::Bool if v.is_boolean() => Ok(()),
        Ty::Bool => Err(format!("{path}: must be true or false, not {v}")),
        Ty::U32 => int(0, u32::MAX.into(), "a 32-bit unsigned value"),
        Ty::I32 => int(i32::MIN.into(), i32::MAX.into(), "a 32-bit signed value"),
        Ty::U64 => int(0, u64::MAX.into(), "a 64-bit unsigned value"),
        Ty::I64 => int(i64::MIN.into(), i64::MAX.into(), "a 64-bit signed value"),
        Ty::Arr(elem) => {
            let a = v
                .as_array()
                .ok_or_else(|| format!("{path}: must be an array, not {v}"))?;
            for (i, e) in a.iter().enumerate() {
                check_type(e, *elem, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        Ty::Map(elem) => {
            let o = v
                .as_object()
                .ok_or_else(|| format!("{path}: must be an object, not {v}"))?;
            for (k, e) in o {
                check_type(e, *elem, &format!("{path}[{k:?}]"))?;
            }
            Ok(())
        }
        Ty::Obj(fields) => {
            let o = v.as_object().ok_or_else(|| {
                if path.is_empty() {
                    "must be a JSON object".to_string()
                } else {
                    format!("{path}: must be an object, not {v}")
                }
            })?;
            for &(name, fty, required) in fields {
                match o.get(name) {
                    None | Some(Value::Null) if required => {
                        return Err(format!("{}: missing", join(path, name)))
                    }
                    None | Some(Value::Null) => {}
                    Some(f) => check_type(f, fty, &join(path, name))?,
                }
            }
            Ok(())
        }
    }
}

fn is_abs(p: &str) -> bool {
    p.starts_with('/')
}

/// `MAJOR.MINOR.PATCH` with optional `-pre` / `+build`, as the spec's semver.
fn semver_major(v: &str) -> Option<u64> {
    let core = v.split(['-', '+']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() != 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    parts[0].parse().ok()
}

fn strs<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = (usize, &'a str)> {
    v.get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, s)| s.as_str().map(|s| (i, s)))
}

/// Mount types the Sentry provides itself under `/proc`, `/dev` and `/sys` (runc's
/// default mounts); other mounts husk cannot make yet.
const SENTRY_MOUNT_TYPES: [&str; 8] = [
    "proc", "sysfs", "devpts", "tmpfs", "mqueue", "cgroup", "cgroup2", "devtmpfs",
];

const NAMESPACES: [&str; 8] = [
    "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time",
];

/// Checks of values (after the types): everything husk would otherwise misread or
/// silently ignore. Each error names its field.
fn check_values(v: &Value) -> Result<(), String> {
    let version = v["ociVersion"].as_str().unwrap_or_default();
    match semver_major(version) {
        Some(1) => {}
        Some(_) => {
            return Err(format!(
                "ociVersion: unsupported version {version:?} (husk supports 1.x)"
            ))
        }
        None => {
            return Err(format!(
                "ociVersion: {version:?} is not a version (MAJOR.MINOR.PATCH)"
            ))
        }
    }
    if let Some(h) = v["hostname"].as_str() {
        if h.len() > 64 {
            return Err(format!(
                "hostname: {} bytes, longer than the 64 Linux allows",
                h.len()
            ));
        }
    }
    let p = &v["process"];
    if strs(p, "args").next().is_none() {
        return Err("process.args: must name a program".into());
    }
    for key in ["args", "env"] {
        for (i, s) in strs(p, key) {
            if s.contains('\0') {
                return Err(format!("process.{key}[{i}]: contains a NUL byte"));
            }
        }
    }
    for (i, e) in strs(p, "env") {
        if !e.contains('=') || e.starts_with('=') {
            return Err(format!("process.env[{i}]: {e:?} is not KEY=VALUE"));
        }
    }
    let cwd = p["cwd"].as_str().unwrap_or_default();
    if !is_abs(cwd) {
        return Err(format!("process.cwd: {cwd:?} must be an absolute path"));
    }
    if let Some(n) = p["oomScoreAdj"].as_i64() {
        if !(-1000..=1000).contains(&n) {
            return Err(format!("process.oomScoreAdj: {n} is outside -1000..=1000"));
        }
    }
    if p["commandLine"].is_string() {
        return Err("process.commandLine: not supported (Windows only)".into());
    }
    if p["user"]["username"].is_string() {
        return Err("process.user.username: not supported (Windows only)".into());
    }
    // 0022 is the Sentry's umask for every process it starts (podman passes it).
    if let Some(m) = p["user"]["umask"].as_u64().filter(|&m| m != 0o022) {
        return Err(format!(
            "process.user.umask: {m:#o} is not supported yet (only 0o22, the default)"
        ));
    }
    if let Some(caps) = p["capabilities"].as_object() {
        for (set, list) in caps {
            for (i, c) in list.as_array().into_iter().flatten().enumerate() {
                if serde_json::from_value::<oci_spec::runtime::Capability>(c.clone()).is_err() {
                    return Err(format!(
                        "process.capabilities.{set}[{i}]: unknown capability {c}"
                    ));
                }
            }
        }
    }
    let mut seen = Vec::new();
    for (i, r) in p["rlimits"].as_array().into_iter().flatten().enumerate() {
        let name = r["type"].as_str().unwrap_or_default();
        let field = format!("process.rlimits[{i}]");
        if rlimit_number(name).is_none() {
            return Err(format!("{field}.type: unknown resource {name:?}"));
        }
        if seen.contains(&name) {
            return Err(format!("{field}.type: {name} is given twice"));
        }
        seen.push(name);
        let soft = r["soft"].as_u64().unwrap_or_default();
        let hard = r["hard"].as_u64().unwrap_or_default();
        if soft > hard {
            return Err(format!(
                "{field}: {name} soft limit {soft} is above the hard limit {hard}"
            ));
        }
    }
    for (i, m) in v["mounts"].as_array().into_iter().flatten().enumerate() {
        let dest = m["destination"].as_str().unwrap_or_default();
        let field = format!("mounts[{i}]");
        if !is_abs(dest) {
            return Err(format!(
                "{field}.destination: {dest:?} must be an absolute path"
            ));
        }
        let typ = m["type"].as_str().unwrap_or_default();
        if is_bind(m) {
            if under(dest, "/proc")
                || under(dest, "/sys")
                || (under(dest, "/dev") && !SENTRY_BIND_DESTINATIONS.contains(&dest))
            {
                return Err(format!(
                    "{field}: bind mount on {dest:?} is not supported (husk provides /proc, /dev and /sys itself)"
                ));
            }
            if m["source"].as_str().is_none_or(str::is_empty) {
                return Err(format!("{field}.source: a bind mount needs a source"));
            }
        } else if typ == "tmpfs" {
            // Under /proc, /dev, /sys: the Sentry's own; elsewhere a new tmpfs.
        } else if !SENTRY_MOUNT_TYPES.contains(&typ) || !under_sentry(dest) {
            return Err(format!(
                "{field}: {typ:?} mount on {dest:?} is not supported yet (husk provides /proc, /dev and /sys itself; it makes bind and tmpfs mounts)"
            ));
        }
    }
    let hooks = &v["hooks"];
    for phase in [
        "prestart",
        "createRuntime",
        "createContainer",
        "startContainer",
        "poststart",
        "poststop",
    ] {
        for (i, h) in hooks[phase].as_array().into_iter().flatten().enumerate() {
            let field = format!("hooks.{phase}[{i}]");
            let path = h["path"].as_str().unwrap_or_default();
            if !is_abs(path) {
                return Err(format!("{field}.path: {path:?} must be an absolute path"));
            }
            if let Some(t) = h["timeout"].as_i64() {
                if t <= 0 {
                    return Err(format!("{field}.timeout: {t} must be greater than zero"));
                }
            }
            for (j, e) in strs(h, "env") {
                if !e.contains('=') {
                    return Err(format!("{field}.env[{j}]: {e:?} is not KEY=VALUE"));
                }
            }
        }
    }
    let linux = &v["linux"];
    let joins = join_sandbox(v)?.is_some();
    let mut kinds = Vec::new();
    for (i, ns) in linux["namespaces"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let field = format!("linux.namespaces[{i}]");
        let typ = ns["type"].as_str().unwrap_or_default();
        if !NAMESPACES.contains(&typ) {
            return Err(format!("{field}.type: unknown namespace type {typ:?}"));
        }
        if kinds.contains(&typ) {
            return Err(format!("{field}.type: namespace {typ:?} is given twice"));
        }
        kinds.push(typ);
        // podman gives the network namespace it prepared for the container; the
        // sandbox has its own network stack (the Sentry's) whatever the host namespace,
        // so that path is not joined. Joining any other namespace is refused.
        // A container that joins a sandbox names the sandbox's namespaces: it gets
        // the sandbox's (the Sentry's) instead.
        if typ != "network" && !joins && ns["path"].as_str().is_some_and(|p| !p.is_empty()) {
            return Err(format!(
                "{field}.path: joining an existing namespace is not supported (the sandbox has its own)"
            ));
        }
    }
    let userns = kinds.contains(&"user");
    for key in ["uidMappings", "gidMappings"] {
        let maps = linux[key].as_array().map(Vec::as_slice).unwrap_or_default();
        if !maps.is_empty() && !userns {
            return Err(format!(
                "linux.{key}: mappings need a \"user\" entry in linux.namespaces"
            ));
        }
        if maps.is_empty() && userns {
            return Err(format!(
                "linux.{key}: a user namespace needs at least one mapping"
            ));
        }
        let mut ranges: Vec<(u64, u64)> = Vec::new();
        for (i, m) in maps.iter().enumerate() {
            let field = format!("linux.{key}[{i}]");
            let size = m["size"].as_u64().unwrap_or_default();
            if size == 0 {
                return Err(format!("{field}.size: must be at least 1"));
            }
            for id in ["containerID", "hostID"] {
                let start = m[id].as_u64().unwrap_or_default();
                if start + size > 1 << 32 {
                    return Err(format!(
                        "{field}: {id} {start} + size {size} goes past 4294967295"
                    ));
                }
            }
            let start = m["containerID"].as_u64().unwrap_or_default();
            if ranges
                .iter()
                .any(|&(s, n)| start < s + n && s < start + size)
            {
                return Err(format!("{field}: overlaps an earlier mapping"));
            }
            ranges.push((start, size));
        }
    }
    for key in ["maskedPaths", "readonlyPaths"] {
        for (i, s) in strs(linux, key) {
            if !is_abs(s) {
                return Err(format!("linux.{key}[{i}]: {s:?} must be an absolute path"));
            }
        }
    }
    check_sysctl(linux)?;
    if linux["devices"].as_array().is_some_and(|d| !d.is_empty()) {
        return Err("linux.devices: extra device nodes are not supported yet".into());
    }
    Ok(())
}

/// The IPC namespace's sysctls besides `fs.mqueue.*` (runc's list).
const IPC_SYSCTLS: &[&str] = &[
    "kernel.msgmax",
    "kernel.msgmnb",
    "kernel.msgmni",
    "kernel.sem",
    "kernel.shmall",
    "kernel.shmmax",
    "kernel.shmmni",
    "kernel.shm_rmid_forced",
];

/// `linux.sysctl`: as runc, only sysctls of a namespace the container has its own of
/// (the sandbox always has its own IPC and UTS namespaces and network stack): IPC ones,
/// `kernel.domainname` (`kernel.hostname` conflicts with the `hostname` field), `net.*`.
fn check_sysctl(linux: &Value) -> Result<(), String> {
    for key in linux["sysctl"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, _)| k)
    {
        if key
            .split('.')
            .any(|n| n.is_empty() || n.contains(['/', '\0']))
        {
            return Err(format!("linux.sysctl: {key:?} is not a sysctl name"));
        }
        if key == "kernel.hostname" {
            return Err(format!(
                "linux.sysctl: {key:?} is not allowed as it conflicts with the OCI \"hostname\" field"
            ));
        }
        let namespaced = IPC_SYSCTLS.contains(&key.as_str())
            || key.starts_with("fs.mqueue.")
            || key.starts_with("net.")
            || key == "kernel.domainname";
        if !namespaced {
            return Err(format!(
                "linux.sysctl: {key:?} is not in a separate kernel namespace"
            ));
        }
    }
    Ok(())
}

/// Loads and checks `<bundle>/config.json`; `bundle` must be absolute. Errors are one
/// line, `<path>: <field>: <problem>`.
pub fn load(bundle: &Path) -> Result<Config, String> {
    let path = bundle.join("config.json");
    let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    // Parse through serde_json first: its errors say line and column.
    let value: Value = serde_json::from_slice(&data)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    check_type(&value, SPEC, "")
        .and_then(|()| check_values(&value))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mounts = extra_mounts(&value, bundle).map_err(|e| format!("{}: {e}", path.display()))?;
    let sentry_ro = sentry_readonly_mounts(&value);
    let cgroup = cgroup_mount(&value);
    let join = join_sandbox(&value).map_err(|e| format!("{}: {e}", path.display()))?;
    let caps = cap_sets(&value["process"]["capabilities"]);
    let spec: Spec = serde_json::from_value(value)
        .map_err(|e| format!("{}: invalid configuration: {e}", path.display()))?;
    let mut cfg = from_spec(&spec, bundle).map_err(|e| format!("{}: {e}", path.display()))?;
    cfg.mounts = mounts;
    cfg.readonly_paths.extend(sentry_ro);
    cfg.cgroup_mount = cgroup;
    cfg.join = join;
    cfg.caps = caps;
    Ok(cfg)
}

fn hook_list(list: &Option<Vec<oci_spec::runtime::Hook>>) -> Vec<Hook> {
    list.iter()
        .flatten()
        .map(|h| Hook {
            path: h.path().to_string_lossy().into_owned(),
            args: h.args().clone().unwrap_or_default(),
            env: h.env().clone(),
            timeout: h.timeout().and_then(|t| u64::try_from(t).ok()),
        })
        .collect()
}

fn from_spec(spec: &Spec, bundle: &Path) -> Result<Config, String> {
    let process = spec
        .process()
        .as_ref()
        .ok_or("process: missing (husk needs a process to run)")?;
    let terminal = process.terminal().unwrap_or(false);
    // consoleSize counts only with a terminal (runtime spec).
    let console_size = process
        .console_size()
        .as_ref()
        .filter(|_| terminal)
        .map(|b| (b.height(), b.width()));
    let console_size = match console_size {
        Some((h, w)) => Some((
            u16::try_from(h)
                .map_err(|_| format!("process.consoleSize.height: {h} is above 65535"))?,
            u16::try_from(w)
                .map_err(|_| format!("process.consoleSize.width: {w} is above 65535"))?,
        )),
        None => None,
    };
    let args = process.args().clone().unwrap_or_default();
    let env = process.env().clone().unwrap_or_default();
    let user = process.user();
    let mut rlimits = Vec::new();
    for r in process.rlimits().clone().unwrap_or_default() {
        let name = r.typ().to_string();
        let n = rlimit_number(&name)
            .ok_or_else(|| format!("process.rlimits: unknown type {name:?}"))?;
        rlimits.push((n, r.soft(), r.hard()));
    }
    let root = spec.root().as_ref().ok_or("root: missing")?;
    let rootfs = if root.path().is_absolute() {
        root.path().clone()
    } else {
        bundle.join(root.path())
    };
    match std::fs::metadata(&rootfs) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => return Err(format!("root.path: {}: not a directory", rootfs.display())),
        Err(e) => return Err(format!("root.path: {}: {e}", rootfs.display())),
    }
    let rootfs = rootfs
        .canonicalize()
        .map_err(|e| format!("root.path: {}: {e}", rootfs.display()))?;
    let hooks = spec
        .hooks()
        .as_ref()
        .map(|h| Hooks {
            prestart: hook_list(h.prestart()),
            create_runtime: hook_list(h.create_runtime()),
            create_container: hook_list(h.create_container()),
            start_container: hook_list(h.start_container()),
            poststart: hook_list(h.poststart()),
            poststop: hook_list(h.poststop()),
        })
        .unwrap_or_default();
    Ok(Config {
        args,
        env,
        cwd: process.cwd().to_string_lossy().into_owned(),
        uid: user.uid(),
        gid: user.gid(),
        additional_gids: user.additional_gids().clone().unwrap_or_default(),
        rlimits,
        hostname: spec.hostname().clone().unwrap_or_default(),
        rootfs,
        readonly: root.readonly().unwrap_or(false),
        annotations: spec
            .annotations()
            .clone()
            .map(|a| a.into_iter().collect())
            .unwrap_or_default(),
        hooks,
        terminal,
        console_size,
        mounts: Vec::new(),
        masked_paths: spec
            .linux()
            .as_ref()
            .and_then(|l| l.masked_paths().clone())
            .unwrap_or_default(),
        readonly_paths: spec
            .linux()
            .as_ref()
            .and_then(|l| l.readonly_paths().clone())
            .unwrap_or_default(),
        sysctl: {
            let map = spec.linux().as_ref().and_then(|l| l.sysctl().clone());
            let mut list: Vec<(String, String)> = map.into_iter().flatten().collect();
            list.sort();
            list
        },
        join: None,
        caps: None,
        no_new_privs: process.no_new_privileges().unwrap_or(false),
        oom_score_adj: process.oom_score_adj().unwrap_or(0),
        cgroup_mount: None,
    })
}

/// The default configuration `husk spec` writes: runc's, with `sh` as the program.
pub fn default_spec(rootless: bool) -> Result<String, String> {
    let spec = if rootless {
        Spec::rootless(
            rustix::process::getuid().as_raw(),
            rustix::process::getgid().as_raw(),
        )
    } else {
        Spec::default()
    };
    serde_json::to_string_pretty(&spec).map_err(|e| format!("encoding the spec: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(config: &str) -> (PathBuf, Result<Config, String>) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("husk-config-test-{}-{n}", std::process::id()));
        let _ = std::fs::create_dir_all(dir.join("rootfs"));
        let _ = std::fs::write(dir.join("config.json"), config);
        let r = load(&dir);
        let _ = std::fs::remove_dir_all(&dir);
        (dir, r)
    }

    fn default_with(f: impl FnOnce(&mut serde_json::Value)) -> String {
        let mut v: serde_json::Value =
            serde_json::from_str(&default_spec(false).expect("spec")).expect("json");
        v["process"]["terminal"] = false.into();
        f(&mut v);
        v.to_string()
    }

    #[test]
    fn default_config_loads() {
        let (dir, r) = bundle(&default_with(|_| {}));
        let c = r.expect("config");
        assert_eq!(c.args, vec!["sh".to_string()]);
        assert_eq!(c.cwd, "/");
        assert!(c.readonly);
        assert!(c.rlimits.iter().any(|r| r.0 == 7));
        assert!(c.rootfs.ends_with("rootfs"), "{:?} in {dir:?}", c.rootfs);
    }

    #[test]
    fn cgroup_mount_with_limits() {
        use husk_sentry::fsimpl::cgroupfs::CgroupLimits;
        // runc's default spec mounts cgroup on /sys/fs/cgroup read-only.
        let (_, r) = bundle(&default_with(|_| {}));
        let c = r.expect("config");
        let m = c.cgroup_mount.expect("cgroup mount");
        assert!(m.readonly);
        assert_eq!(m.limits, CgroupLimits::default());
        assert!(!c.readonly_paths.iter().any(|p| p.starts_with("/sys/fs")));
        let (_, r) = bundle(&default_with(|v| {
            v["linux"]["resources"] = serde_json::json!({
                "memory": {"limit": 64 << 20, "swap": 96 << 20},
                "cpu": {"quota": 50000, "shares": 512}, "pids": {"limit": 100}});
            let mounts = v["mounts"].as_array_mut().expect("mounts");
            mounts.retain(|m| m["type"] != "cgroup");
            mounts.push(serde_json::json!({"destination": "/sys/fs/cgroup/",
                "type": "cgroup2", "source": "cgroup2", "options": ["nosuid"]}));
        }));
        let m = r.expect("config").cgroup_mount.expect("cgroup2 mount");
        assert!(!m.readonly);
        assert_eq!(
            m.limits,
            CgroupLimits {
                memory_max: Some(64 << 20),
                memory_swap_max: Some(32 << 20),
                cpu_quota: Some(50000),
                cpu_period: Some(100_000),
                cpu_weight: Some(20),
                pids_max: Some(100),
            }
        );
        let (_, r) = bundle(&default_with(|v| {
            let mounts = v["mounts"].as_array_mut().expect("mounts");
            mounts.retain(|m| m["type"] != "cgroup");
        }));
        assert!(r.expect("config").cgroup_mount.is_none());
    }

    #[test]
    fn podman_mounts() {
        let src = std::env::temp_dir();
        let src = src.to_string_lossy().into_owned();
        let (_, r) = bundle(&default_with(|v| {
            v["process"]["user"]["umask"] = 18.into();
            v["linux"]["namespaces"][1] =
                serde_json::json!({"type": "network", "path": "/run/netns/x"});
            let mounts = v["mounts"].as_array_mut().expect("mounts");
            mounts.push(serde_json::json!({"destination": "/mnt", "type": "bind",
                "source": src, "options": ["rbind", "ro", "nosuid"]}));
            mounts.push(
                serde_json::json!({"destination": "/dev/shm", "type": "bind",
                "source": src, "options": ["bind"]}),
            );
            mounts.push(
                serde_json::json!({"destination": "/scratch", "type": "tmpfs",
                "source": "tmpfs", "options": ["mode=1700"]}),
            );
            mounts.push(serde_json::json!({"destination": "/sys", "type": "sysfs",
                "source": "sysfs", "options": ["ro"]}));
        }));
        let c = r.expect("config");
        assert_eq!(c.mounts.len(), 2, "{:?}", c.mounts);
        assert_eq!(c.mounts[0].destination, "/mnt");
        assert!(matches!(&c.mounts[0].kind, MountKind::Bind(p) if p.is_absolute()));
        assert!(c.mounts[0].readonly && c.mounts[0].nosuid && !c.mounts[0].noexec);
        assert_eq!(c.mounts[1].kind, MountKind::Tmpfs(0o1700));
        assert!(c.readonly_paths.iter().any(|p| p == "/sys"));
        assert!(c.masked_paths.iter().any(|p| p == "/proc/kcore"));
        for (patch, field) in [
            (
                serde_json::json!({"destination": "/proc/x", "type": "bind", "source": "/tmp"}),
                "bind mount on \"/proc/x\"",
            ),
            (
                serde_json::json!({"destination": "/x", "type": "bind", "source": "/no/such"}),
                "mounts[7].source: /no/such",
            ),
            (
                serde_json::json!({"destination": "/x", "type": "proc", "source": "proc"}),
                "\"proc\" mount on \"/x\"",
            ),
        ] {
            let (_, r) = bundle(&default_with(|v| {
                v["mounts"].as_array_mut().expect("mounts").push(patch);
            }));
            let e = r.expect_err(field);
            assert!(e.contains(field), "{field}: {e}");
        }
    }

    #[test]
    fn bad_configs_name_the_field() {
        let cases: Vec<(String, &str)> = vec![
            ("{bad".into(), "invalid JSON"),
            (
                default_with(|v| v["process"]["terminal"] = "yes".into()),
                "process.terminal",
            ),
            (
                default_with(|v| v["process"]["args"] = serde_json::json!([])),
                "process.args",
            ),
            (
                default_with(|v| v["process"]["cwd"] = "rel".into()),
                "process.cwd",
            ),
            (
                default_with(|v| v["root"]["path"] = "nope".into()),
                "root.path",
            ),
            (
                default_with(|v| v["ociVersion"] = "0.9".into()),
                "ociVersion",
            ),
            (
                default_with(|v| v["process"]["rlimits"][0]["type"] = "RLIMIT_BOGUS".into()),
                "RLIMIT_BOGUS",
            ),
        ];
        for (cfg, field) in cases {
            let (_, r) = bundle(&cfg);
            let e = r.expect_err(field);
            assert!(e.contains(field), "{field}: {e}");
        }
    }
}
