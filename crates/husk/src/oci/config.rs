//! Reading a bundle's `config.json` (with `oci-spec`) into what the sandbox needs, and
//! rejecting, with the field's name, what husk does not support yet.

use oci_spec::runtime::Spec;
use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
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

/// Loads and checks `<bundle>/config.json`; `bundle` must be absolute.
pub fn load(bundle: &Path) -> Result<Config, String> {
    let path = bundle.join("config.json");
    let data = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    // Parse through serde_json first: its errors say line and column.
    let value: serde_json::Value = serde_json::from_slice(&data)
        .map_err(|e| format!("{}: invalid JSON: {e}", path.display()))?;
    let spec: Spec = serde_json::from_value(value)
        .map_err(|e| format!("{}: invalid configuration: {e}", path.display()))?;
    from_spec(&spec, bundle).map_err(|e| format!("{}: {e}", path.display()))
}

fn from_spec(spec: &Spec, bundle: &Path) -> Result<Config, String> {
    if !spec.version().starts_with("1.") {
        return Err(format!(
            "ociVersion: unsupported version {:?} (husk supports 1.x)",
            spec.version()
        ));
    }
    let process = spec
        .process()
        .as_ref()
        .ok_or("process: missing (husk needs a process to run)")?;
    if process.terminal().unwrap_or(false) {
        return Err("process.terminal: true is not supported yet (set it to false)".into());
    }
    let args = process.args().clone().unwrap_or_default();
    if args.is_empty() {
        return Err("process.args: must name a program".into());
    }
    if process.command_line().is_some() {
        return Err("process.commandLine: not supported (Windows only)".into());
    }
    let cwd = process.cwd().as_os_str().as_bytes();
    if cwd.first() != Some(&b'/') {
        return Err(format!(
            "process.cwd: must be an absolute path, not {:?}",
            process.cwd()
        ));
    }
    let env = process.env().clone().unwrap_or_default();
    for e in &env {
        if !e.contains('=') {
            return Err(format!("process.env: {e:?} is not KEY=VALUE"));
        }
    }
    let user = process.user();
    if user.umask().is_some() {
        return Err("process.user.umask: not supported yet".into());
    }
    if user.username().is_some() {
        return Err("process.user.username: not supported (Windows only)".into());
    }
    let mut rlimits = Vec::new();
    for r in process.rlimits().clone().unwrap_or_default() {
        let name = r.typ().to_string();
        let n = rlimit_number(&name)
            .ok_or_else(|| format!("process.rlimits: unknown type {name:?}"))?;
        if r.soft() > r.hard() {
            return Err(format!(
                "process.rlimits: {name}: soft limit {} is above the hard limit {}",
                r.soft(),
                r.hard()
            ));
        }
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
    if let Some(h) = spec.hooks() {
        let any = [
            h.prestart(),
            h.create_runtime(),
            h.create_container(),
            h.start_container(),
            h.poststart(),
            h.poststop(),
        ]
        .iter()
        .any(|x| x.as_ref().is_some_and(|v| !v.is_empty()));
        if any {
            return Err("hooks: not supported yet".into());
        }
    }
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
    fn bad_configs_name_the_field() {
        let cases: Vec<(String, &str)> = vec![
            ("{bad".into(), "invalid JSON"),
            (
                default_with(|v| v["process"]["terminal"] = true.into()),
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
