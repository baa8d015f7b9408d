//! `linux.resources` applied to the sandbox's host processes through cgroups.
//!
//! `husk boot` joins the container's cgroup (`linux.cgroupsPath`) before it splits
//! into waiter and Sentry, so the waiter, the Sentry, the gofers and every stub process
//! are in it: the memory the sandbox uses (the Sentry's memory file is charged to the
//! processes that fault its pages in) counts against the limit, and an allocation past
//! it makes the kernel's OOM killer end a process of the sandbox. The waiter removes the
//! cgroup when the Sentry is gone.
//!
//! cgroup v2 (a unified hierarchy at /sys/fs/cgroup with the controllers enabled):
//! `memory.max`, `memory.swap.max`, `pids.max`, `cpu.max`. cgroup v1 (or hybrid, where
//! the controllers are on v1 hierarchies): `memory.limit_in_bytes`,
//! `memory.memsw.limit_in_bytes`, `pids.max`, `cpu.cfs_quota_us`/`cpu.cfs_period_us`.
//! Without cgroups (no writable hierarchy) a limit is an error, not ignored.

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The resources husk applies, from `linux.resources`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// The cgroup's path (`linux.cgroupsPath`, or `/husk/<id>`).
    pub path: String,
    pub memory: Option<i64>,
    /// memory + swap (`memory.swap`, runc's meaning).
    pub memory_swap: Option<i64>,
    pub pids: Option<i64>,
    pub cpu_quota: Option<i64>,
    pub cpu_period: Option<u64>,
}

impl Resources {
    /// Reads `linux.resources` and `linux.cgroupsPath` from a config.json value.
    pub fn from_config(v: &Value, id: &str) -> Resources {
        let r = &v["linux"]["resources"];
        let positive = |x: &Value| x.as_i64().filter(|&n| n > 0);
        let path = match v["linux"]["cgroupsPath"].as_str() {
            // systemd's "slice:prefix:name": husk manages cgroupfs paths only.
            Some(p) if p.contains(':') => {
                let name = p.rsplit(':').next().unwrap_or(id);
                format!("/husk/{name}")
            }
            Some(p) if !p.is_empty() => p.to_string(),
            _ => format!("/husk/{id}"),
        };
        Resources {
            path,
            memory: positive(&r["memory"]["limit"]),
            memory_swap: positive(&r["memory"]["swap"]),
            pids: positive(&r["pids"]["limit"]),
            cpu_quota: positive(&r["cpu"]["quota"]),
            cpu_period: r["cpu"]["period"].as_u64().filter(|&n| n > 0),
        }
    }

    fn any(&self) -> bool {
        self.memory.is_some() || self.pids.is_some() || self.cpu_quota.is_some()
    }
}

const ROOT: &str = "/sys/fs/cgroup";

/// The cgroup directories this process was put in (to remove them later).
#[derive(Debug, Default)]
pub struct Joined(Vec<PathBuf>);

/// The directory of cgroup `path` in the hierarchy mounted at `mount`: an absolute path
/// is from the hierarchy's root, a relative one from this process's cgroup there.
fn dir_in(mount: &Path, path: &str, own: &str) -> PathBuf {
    let rel = if path.starts_with('/') {
        path.trim_start_matches('/').to_string()
    } else {
        format!("{}/{path}", own.trim_matches('/'))
    };
    mount.join(rel.trim_start_matches('/'))
}

/// This process's cgroup in the v1 hierarchy of `controller` ("" for v2).
fn own_cgroup(controller: &str) -> String {
    let text = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, ctrls, path) = (parts.next(), parts.next(), parts.next());
        let (Some(ctrls), Some(path)) = (ctrls, path) else {
            continue;
        };
        if ctrls.split(',').any(|c| c == controller) {
            return path.to_string();
        }
    }
    "/".into()
}

fn write(dir: &Path, file: &str, value: &str) -> Result<(), String> {
    let p = dir.join(file);
    std::fs::write(&p, value).map_err(|e| format!("cgroup {}: {value}: {e}", p.display()))
}

/// Whether cgroup v2 has `controller` enabled at its root.
fn v2_has(controller: &str) -> bool {
    std::fs::read_to_string(format!("{ROOT}/cgroup.controllers"))
        .is_ok_and(|c| c.split_whitespace().any(|x| x == controller))
}

/// Creates the container's cgroup, sets the limits and moves this process into it.
/// Nothing to do (Ok) without limits.
pub fn join(res: &Resources) -> Result<Joined, String> {
    let mut joined = Joined::default();
    if !res.any() {
        return Ok(joined);
    }
    let r = join_inner(res, &mut joined);
    if r.is_err() {
        leave(&joined);
    }
    r.map(|()| joined)
}

fn join_inner(res: &Resources, joined: &mut Joined) -> Result<(), String> {
    let wanted: Vec<&str> = [
        res.memory.map(|_| "memory"),
        res.pids.map(|_| "pids"),
        res.cpu_quota.map(|_| "cpu"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if wanted.iter().all(|c| v2_has(c)) {
        let dir = dir_in(Path::new(ROOT), &res.path, &own_cgroup(""));
        // Enable the controllers down to the new cgroup (v2's no-internal-process
        // rule: its ancestors other than the root hold no processes of ours).
        let mut at = PathBuf::from(ROOT);
        for comp in dir
            .strip_prefix(ROOT)
            .into_iter()
            .flat_map(|p| p.components())
        {
            for c in &wanted {
                let _ = std::fs::write(at.join("cgroup.subtree_control"), format!("+{c}"));
            }
            at.push(comp);
            std::fs::create_dir_all(&at).map_err(|e| format!("cgroup {}: {e}", at.display()))?;
        }
        joined.0.push(dir.clone());
        if let Some(m) = res.memory {
            write(&dir, "memory.max", &m.to_string())?;
            if let Some(s) = res.memory_swap {
                write(&dir, "memory.swap.max", &(s - m).max(0).to_string())?;
            }
        }
        if let Some(p) = res.pids {
            write(&dir, "pids.max", &p.to_string())?;
        }
        if let Some(q) = res.cpu_quota {
            let period = res.cpu_period.unwrap_or(100_000);
            write(&dir, "cpu.max", &format!("{q} {period}"))?;
        }
        return write(&dir, "cgroup.procs", "0");
    }
    for c in &wanted {
        let mount = Path::new(ROOT).join(c);
        if !mount.join("cgroup.procs").exists() {
            return Err(format!(
                "linux.resources: the {c} controller is not available (no cgroup v2 controller, no v1 hierarchy at {})",
                mount.display()
            ));
        }
        let dir = dir_in(&mount, &res.path, &own_cgroup(c));
        std::fs::create_dir_all(&dir).map_err(|e| format!("cgroup {}: {e}", dir.display()))?;
        joined.0.push(dir.clone());
        match *c {
            "memory" => {
                if let Some(m) = res.memory {
                    write(&dir, "memory.limit_in_bytes", &m.to_string())?;
                }
                if let Some(s) = res.memory_swap {
                    // Absent without swap accounting: then only memory is limited.
                    if dir.join("memory.memsw.limit_in_bytes").exists() {
                        write(&dir, "memory.memsw.limit_in_bytes", &s.to_string())?;
                    }
                }
            }
            "pids" => {
                if let Some(p) = res.pids {
                    write(&dir, "pids.max", &p.to_string())?;
                }
            }
            _ => {
                if let Some(q) = res.cpu_quota {
                    if let Some(p) = res.cpu_period {
                        write(&dir, "cpu.cfs_period_us", &p.to_string())?;
                    }
                    write(&dir, "cpu.cfs_quota_us", &q.to_string())?;
                }
            }
        }
        write(&dir, "cgroup.procs", "0")?;
    }
    Ok(())
}

/// Moves this process back to its parent cgroups and removes the container's (once
/// every other process of the sandbox is gone).
pub fn leave(joined: &Joined) {
    for dir in &joined.0 {
        if let Some(parent) = dir.parent() {
            let _ = std::fs::write(parent.join("cgroup.procs"), "0");
        }
        // The stubs and the gofer leave the cgroup a moment after the Sentry: poll
        // finely, this is on the path of every `run`.
        for _ in 0..500 {
            match std::fs::remove_dir(dir) {
                Err(e) if e.raw_os_error() == Some(libc::EBUSY) => {
                    std::thread::sleep(std::time::Duration::from_millis(1))
                }
                _ => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_from_config() {
        let v = serde_json::json!({"linux": {"cgroupsPath": "/a/b",
            "resources": {"memory": {"limit": 67108864, "swap": 67108864}, "pids": {"limit": 2048}}}});
        let r = Resources::from_config(&v, "c1");
        assert_eq!(r.path, "/a/b");
        assert_eq!(r.memory, Some(64 << 20));
        assert_eq!(r.pids, Some(2048));
        assert_eq!(r.cpu_quota, None);
        let r = Resources::from_config(&serde_json::json!({}), "c1");
        assert_eq!(r.path, "/husk/c1");
        assert!(!r.any());
        assert_eq!(
            dir_in(Path::new("/sys/fs/cgroup/memory"), "x/y", "/own"),
            PathBuf::from("/sys/fs/cgroup/memory/own/x/y")
        );
    }
}
