//! Running OCI hooks as runc does: each hook is `path` with `args` (argv, `args[0]`
//! included) and `env` (the runtime's environment when absent), the container's state
//! JSON on its stdin, its stdout and stderr captured for the error message, killed after
//! `timeout` seconds. A hook fails if it cannot start, exits non-zero or times out.
//!
//! All hooks run on the host from the runtime process (`husk create`, `start`,
//! `delete`), including createContainer and startContainer, which runc runs in the
//! container's namespaces: husk's container has no host namespaces to enter (as runsc).

use super::config::Hook;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The state a hook gets on stdin (the OCI state; no `pid` once stopped, as runc).
pub fn state_json(
    id: &str,
    status: &str,
    pid: Option<i32>,
    bundle: &str,
    annotations: &std::collections::BTreeMap<String, String>,
) -> String {
    let mut v = serde_json::json!({
        "ociVersion": super::state::OCI_VERSION,
        "id": id,
        "status": status,
        "bundle": bundle,
    });
    if let Some(pid) = pid {
        v["pid"] = pid.into();
    }
    if !annotations.is_empty() {
        v["annotations"] = serde_json::json!(annotations);
    }
    v.to_string()
}

/// Reads a pipe to its end on a thread; the text arrives on the returned channel.
fn drain(r: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut r) = r {
        let _ = std::thread::Builder::new()
            .name("hook-output".into())
            .spawn(move || {
                let mut buf = Vec::new();
                let _ = r.read_to_end(&mut buf);
                let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
            });
    }
    rx
}

/// One line of captured output, for an error message.
fn one_line(s: &str) -> String {
    let s = s.trim().replace('\n', "\\n");
    if s.len() > 500 {
        let mut end = 500;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s
    }
}

/// Runs one hook with `state` on its stdin.
pub fn run_one(hook: &Hook, state: &str) -> Result<(), String> {
    let mut cmd = Command::new(&hook.path);
    if let Some((argv0, rest)) = hook.args.split_first() {
        cmd.arg0(argv0).args(rest);
    }
    if let Some(env) = &hook.env {
        cmd.env_clear();
        for e in env {
            if let Some((k, v)) = e.split_once('=') {
                cmd.env(k, v);
            }
        }
    }
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", hook.path))?;
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    if let Some(mut stdin) = child.stdin.take() {
        // A hook need not read its stdin (EPIPE is fine).
        let _ = stdin.write_all(state.as_bytes());
    }
    let deadline = hook
        .timeout
        .map(|t| Instant::now() + Duration::from_secs(t));
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => return Err(format!("{}: waiting: {e}", hook.path)),
        }
        if deadline.is_some_and(|d| Instant::now() > d) {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!(
                "{}: ran past its timeout of {}s",
                hook.path,
                hook.timeout.unwrap_or_default()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    if status.success() {
        return Ok(());
    }
    // Output a hook's own children still hold is not waited for long.
    let grace = Duration::from_millis(500);
    let stdout = out.recv_timeout(grace).unwrap_or_default();
    let stderr = err.recv_timeout(grace).unwrap_or_default();
    Err(format!(
        "{}: {status}, stdout: {:?}, stderr: {:?}",
        hook.path,
        one_line(&stdout),
        one_line(&stderr)
    ))
}

/// Runs a phase's hooks in order; the first failure stops it. `phase` is the config's
/// name (`createRuntime`), used in the error.
pub fn run(phase: &str, hooks: &[Hook], state: &str) -> Result<(), String> {
    for (i, h) in hooks.iter().enumerate() {
        run_one(h, state).map_err(|e| format!("hooks.{phase}[{i}]: {e}"))?;
    }
    Ok(())
}

/// Runs a phase whose failures only warn (poststart, poststop): every hook runs, each
/// failure is one `husk: warning:` line on stderr.
pub fn run_warn(phase: &str, hooks: &[Hook], state: &str) {
    for (i, h) in hooks.iter().enumerate() {
        if let Err(e) = run_one(h, state) {
            tracing::debug!("hook failed: {e}");
            eprintln!("husk: warning: hooks.{phase}[{i}]: {e}");
        }
    }
}
