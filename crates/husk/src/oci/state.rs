//! The state a container keeps under `--root`: `<root>/<id>/state.json` (written
//! atomically), `control.sock` (the sandbox process's control socket) and `exit-status`
//! (written by the sandbox process when the container's first process exits).

use super::config::Hooks;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const OCI_VERSION: &str = "1.0.2";
pub const STATE_FILE: &str = "state.json";
pub const CONTROL_SOCKET: &str = "control.sock";
pub const EXIT_STATUS_FILE: &str = "exit-status";

/// `state.json`, a superset of the OCI state (runc's fields plus husk's own).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct State {
    #[serde(rename = "ociVersion")]
    pub oci_version: String,
    pub id: String,
    pub status: String,
    pub pid: i32,
    pub bundle: String,
    pub rootfs: String,
    pub created: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Start time of the sandbox process (field 22 of /proc/PID/stat), so a reused pid
    /// is never taken for the container's.
    #[serde(rename = "huskStartTime", default)]
    pub start_time: u64,
    /// The config's hooks: `start` and `delete` run theirs from here, as runc keeps
    /// its config in its state (the bundle may change or go away after create).
    #[serde(rename = "huskHooks", default, skip_serializing_if = "Hooks::is_empty")]
    pub hooks: Hooks,
    /// For a container that joined a sandbox: the sandbox's container id.
    #[serde(
        rename = "huskSandbox",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub sandbox: Option<String>,
}

impl State {
    /// The state a hook gets on its stdin, with `status` (and no pid once stopped).
    pub fn hook_state(&self, status: &str) -> String {
        let pid = (status != "stopped").then_some(self.pid);
        super::hooks::state_json(&self.id, status, pid, &self.bundle, &self.annotations)
    }
}

/// The OCI state as `husk state` prints it.
#[derive(Serialize, Debug)]
pub struct OciState<'a> {
    #[serde(rename = "ociVersion")]
    pub oci_version: &'a str,
    pub id: &'a str,
    pub pid: i32,
    pub status: &'a str,
    pub bundle: &'a str,
    pub rootfs: &'a str,
    pub created: &'a str,
    pub owner: &'a str,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: &'a BTreeMap<String, String>,
}

impl State {
    pub fn oci(&self) -> OciState<'_> {
        OciState {
            oci_version: &self.oci_version,
            id: &self.id,
            pid: self.pid,
            status: &self.status,
            bundle: &self.bundle,
            rootfs: &self.rootfs,
            created: &self.created,
            owner: &self.owner,
            annotations: &self.annotations,
        }
    }
}

/// Container ids as runc accepts them: `[A-Za-z0-9_+.-]+`, not `.` or `..`.
pub fn validate_id(id: &str) -> Result<(), String> {
    if id.is_empty()
        || id == "."
        || id == ".."
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+-.".contains(c))
    {
        return Err(format!("invalid container id format: {id:?}"));
    }
    Ok(())
}

pub fn container_dir(root: &Path, id: &str) -> Result<PathBuf, String> {
    validate_id(id)?;
    Ok(root.join(id))
}

/// Writes `data` to `path` atomically: a temporary file in the same directory, then rename.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<(), String> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp{}", std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("writing {}: {e}", path.display()));
    }
    Ok(())
}

pub fn save(dir: &Path, st: &State) -> Result<(), String> {
    let data = serde_json::to_vec(st).map_err(|e| format!("encoding state: {e}"))?;
    write_atomic(&dir.join(STATE_FILE), &data)
}

/// Loads the state of container `id`; "container does not exist" when there is none.
pub fn load(root: &Path, id: &str) -> Result<(PathBuf, State), String> {
    let dir = container_dir(root, id)?;
    let data = match std::fs::read(dir.join(STATE_FILE)) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("container does not exist".into())
        }
        Err(e) => return Err(format!("reading the state of {id}: {e}")),
    };
    let st: State =
        serde_json::from_slice(&data).map_err(|e| format!("the state of {id} is corrupt: {e}"))?;
    Ok((dir, st))
}

/// `(state letter, starttime)` of a host process.
pub fn proc_stat(pid: i32) -> Option<(char, u64)> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = s.get(s.rfind(')')? + 2..)?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some((f.first()?.chars().next()?, f.get(19)?.parse().ok()?))
}

/// Whether the sandbox process recorded in `st` is still alive (not a zombie, not a
/// different process that reuses the pid).
pub fn sandbox_alive(st: &State) -> bool {
    if st.pid <= 0 {
        return false;
    }
    match proc_stat(st.pid) {
        Some((state, start)) => state != 'Z' && state != 'X' && start == st.start_time,
        None => false,
    }
}

/// The control socket of the container in `dir` as a path that fits in a socket
/// address (108 bytes): the path itself when short enough, else the same file reached
/// through `/proc/self/fd/N` of an O_PATH descriptor of `dir`, kept open by this value
/// (Docker's state directories have 64-character ids in them).
pub struct ControlSocket {
    pub path: PathBuf,
    _dir: Option<std::os::fd::OwnedFd>,
}

/// Longest socket path that fits in `sockaddr_un.sun_path` with its NUL.
const SUN_PATH_MAX: usize = 107;

impl ControlSocket {
    /// The directory fd a long path goes through (`/proc/self/fd/N/control.sock`).
    pub fn dir_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        self._dir.as_ref().map(|d| d.as_fd())
    }
}

pub fn control_socket(dir: &Path) -> Result<ControlSocket, String> {
    let path = dir.join(CONTROL_SOCKET);
    if path.as_os_str().len() <= SUN_PATH_MAX {
        return Ok(ControlSocket { path, _dir: None });
    }
    let fd = rustix::fs::open(
        dir,
        rustix::fs::OFlags::PATH | rustix::fs::OFlags::DIRECTORY | rustix::fs::OFlags::CLOEXEC,
        rustix::fs::Mode::empty(),
    )
    .map_err(|e| format!("{}: {e}", dir.display()))?;
    use std::os::fd::AsRawFd;
    let path = PathBuf::from(format!("/proc/self/fd/{}/{CONTROL_SOCKET}", fd.as_raw_fd()));
    Ok(ControlSocket {
        path,
        _dir: Some(fd),
    })
}

/// Sends one request line to the sandbox and returns its one-line answer.
pub fn request(dir: &Path, line: &str, timeout: Duration) -> Result<String, String> {
    let sock = control_socket(dir)?;
    let mut s =
        UnixStream::connect(&sock.path).map_err(|e| format!("connecting to the sandbox: {e}"))?;
    let _ = s.set_read_timeout(Some(timeout));
    let _ = s.set_write_timeout(Some(timeout));
    s.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| format!("talking to the sandbox: {e}"))?;
    let mut answer = String::new();
    BufReader::new(&s)
        .read_line(&mut answer)
        .map_err(|e| format!("talking to the sandbox: {e}"))?;
    let answer = answer.trim_end().to_string();
    if answer.is_empty() {
        return Err("the sandbox closed the control connection".into());
    }
    match answer.strip_prefix("error ") {
        Some(e) => Err(e.to_string()),
        None => Ok(answer),
    }
}

/// The current status of a container: "stopped" once its sandbox is gone or its first
/// process has exited, else what the sandbox says ("created" or "running").
pub fn status(dir: &Path, st: &State) -> String {
    if !sandbox_alive(st) {
        return "stopped".into();
    }
    let written = || std::fs::metadata(dir.join(EXIT_STATUS_FILE)).is_ok_and(|m| m.len() > 0);
    if written() {
        return "stopped".into();
    }
    match request(dir, "status", Duration::from_secs(5)) {
        Ok(s) if s == "stopped" => {
            // The container's first process is gone but its exit status may not be
            // written yet (a pod member's stand-in writes it after the sandbox says so):
            // whoever reads "stopped" next reads the status, so wait for it briefly.
            let deadline = std::time::Instant::now() + Duration::from_secs(2);
            while !written() && sandbox_alive(st) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(2));
            }
            s
        }
        Ok(s) if ["created", "running", "paused"].contains(&s.as_str()) => s,
        // Alive but not answering (starting up or shutting down): what was recorded.
        _ => st.status.clone(),
    }
}

/// RFC 3339 UTC time with nanoseconds, as runc writes `created`.
pub fn rfc3339_now() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        now.subsec_nanos()
    )
}

/// Parses a signal name (`KILL`, `SIGKILL`, `kill`) or number.
pub fn parse_signal(s: &str) -> Result<i32, String> {
    if let Ok(n) = s.parse::<i32>() {
        if (1..=64).contains(&n) {
            return Ok(n);
        }
        return Err(format!("invalid signal: {s}"));
    }
    let up = s.to_ascii_uppercase();
    let name = up.strip_prefix("SIG").unwrap_or(&up);
    let full = format!("SIG{name}");
    if let Ok(sig) = full.parse::<nix::sys::signal::Signal>() {
        return Ok(sig as i32);
    }
    if let Some(off) = name.strip_prefix("RTMIN") {
        let base = libc::SIGRTMIN();
        let n = if off.is_empty() {
            Some(0)
        } else {
            off.strip_prefix('+').and_then(|o| o.parse::<i32>().ok())
        };
        if let Some(n) = n.filter(|n| base + n <= libc::SIGRTMAX()) {
            return Ok(base + n);
        }
    }
    if let Some(off) = name.strip_prefix("RTMAX") {
        let top = libc::SIGRTMAX();
        let n = if off.is_empty() {
            Some(0)
        } else {
            off.strip_prefix('-').and_then(|o| o.parse::<i32>().ok())
        };
        if let Some(n) = n.filter(|n| top - n >= libc::SIGRTMIN()) {
            return Ok(top - n);
        }
    }
    Err(format!("invalid signal: {s}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        assert_eq!(parse_signal("KILL"), Ok(9));
        assert_eq!(parse_signal("sigterm"), Ok(15));
        assert_eq!(parse_signal("SIGUSR1"), Ok(10));
        assert_eq!(parse_signal("2"), Ok(2));
        assert!(parse_signal("0").is_err());
        assert!(parse_signal("NOPE").is_err());
    }

    #[test]
    fn ids() {
        assert!(validate_id("abc-1_2.x+y").is_ok());
        for bad in ["", ".", "..", "a/b", "a b"] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_format() {
        let t = rfc3339_now();
        assert_eq!(t.len(), 30, "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
