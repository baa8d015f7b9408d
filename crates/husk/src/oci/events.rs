//! `husk events` and `husk wait`.
//!
//! `events` prints runc-style `{"type":"stats","id":ID,"data":{...}}` lines: once with
//! `--stats`, else every `--interval` until the container stops. The figures come from
//! the sandbox (processes and their CPU time, through the control socket's `ps`) and
//! from the host (the resident memory of the sandbox's host processes: the Sentry, its
//! stubs and gofer). `wait` blocks until the container has stopped and prints runsc's
//! `{"id":ID,"exitStatus":N}`.

use super::boot::PsEntry;
use super::state::{self, EXIT_STATUS_FILE};
use super::{Global, Res};
use std::path::Path;
use std::time::Duration;

/// Resident memory of `pid` and its descendants, in bytes (host view).
fn tree_rss(pid: u32) -> u64 {
    let rss = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        })
        .unwrap_or(0)
        * 1024;
    let mut total = rss;
    if let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) {
        for t in tasks.flatten() {
            let children = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
            for c in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                total += tree_rss(c);
            }
        }
    }
    total
}

/// One stats line for the container in `dir`.
fn stats(dir: &Path, st: &state::State) -> Res<String> {
    let answer = state::request(dir, "ps", Duration::from_secs(10))?;
    let json = answer
        .strip_prefix("ok ")
        .ok_or_else(|| answer.strip_prefix("error ").unwrap_or(&answer).to_string())?;
    let procs: Vec<PsEntry> = serde_json::from_str(json)
        .map_err(|e| format!("unexpected answer from the sandbox: {e}"))?;
    let cpu_ns: u64 = procs.iter().map(|p| p.cpu_ms * 1_000_000).sum();
    let memory = tree_rss(st.pid.max(0) as u32);
    let line = serde_json::json!({
        "type": "stats",
        "id": st.id,
        "data": {
            "cpu": { "usage": { "total": cpu_ns } },
            "memory": { "usage": { "usage": memory } },
            "pids": { "current": procs.len() },
        }
    });
    Ok(line.to_string())
}

/// `husk events [--stats] [--interval D] ID`.
pub fn events(g: &Global, id: &str, once: bool, interval: Duration) -> Res<i32> {
    let (dir, st) = state::load(&g.root, id)?;
    loop {
        match state::status(&dir, &st).as_str() {
            "running" | "paused" | "created" => {}
            _ if once => return Err("container is not running".into()),
            _ => return Ok(0),
        }
        println!("{}", stats(&dir, &st)?);
        if once {
            return Ok(0);
        }
        std::thread::sleep(interval);
    }
}

/// `husk wait ID`: waits for the container to stop; prints its exit status as runsc.
pub fn wait(g: &Global, id: &str) -> Res<i32> {
    let (dir, st) = state::load(&g.root, id)?;
    // Stopped once the exit status is written (by the sandbox process, or a pod
    // container's stand-in) or the process is gone.
    let written = || std::fs::metadata(dir.join(EXIT_STATUS_FILE)).is_ok_and(|m| m.len() > 0);
    while state::sandbox_alive(&st) && !written() {
        std::thread::sleep(Duration::from_millis(5));
    }
    let status: i32 = std::fs::read_to_string(dir.join(EXIT_STATUS_FILE))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .ok_or("the container's exit status is unknown")?;
    let code = crate::do_cmd::exit_code(status);
    println!("{}", serde_json::json!({ "id": st.id, "exitStatus": code }));
    Ok(0)
}

/// Parses runc's `--interval` (Go durations: "5s", "500ms", "1m"; plain seconds too).
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let bad = || format!("--interval {s:?}: expected a duration such as 5s or 500ms");
    let (num, unit) = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map(|i| s.split_at(i))
        .unwrap_or((s, "s"));
    let v: f64 = num.parse().map_err(|_| bad())?;
    let secs = match unit {
        "ms" => v / 1000.0,
        "s" => v,
        "m" => v * 60.0,
        _ => return Err(bad()),
    };
    if !(0.001..=86_400.0).contains(&secs) {
        return Err(bad());
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_interval("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_interval("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_interval("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_interval("x").is_err());
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("5h").is_err());
    }
}
