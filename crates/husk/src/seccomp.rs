//! Seccomp policies of the Sentry and the gofer.
//!
//! Each policy is a file in `crates/husk/policy/` that lists every host system call the
//! process may make once it runs, one per line with the reason. The filter is an
//! allowlist built with `seccompiler`: any other system call kills the process (the
//! kernel logs the violation). With `HUSK_SECCOMP_AUDIT=1` in the environment a
//! violation is only logged (to the kernel log, as `audit: type=1326 ... syscall=N`),
//! which is how a missing entry is found.

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, SeccompRule, TargetArch};
use std::collections::BTreeMap;

/// The Sentry's policy.
pub const SENTRY_POLICY: &str = include_str!("../policy/sentry.policy");
/// The gofer's policy.
pub const GOFER_POLICY: &str = include_str!("../policy/gofer.policy");

/// An allowed system call: its number, name and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub nr: i64,
    pub name: String,
    pub reason: String,
}

/// The number of the x86-64 system call `name`.
fn number_of(name: &str) -> Option<i64> {
    (0..512u64)
        .find(|&nr| husk_sentry::syscalls::name_of(nr) == name)
        .map(|nr| nr as i64)
}

/// Parses a policy file: `name reason...` lines, `#` comments, blank lines. Every line
/// needs a reason; unknown and repeated names are errors.
pub fn parse(policy: &str) -> Result<Vec<Allowed>, String> {
    let mut out: Vec<Allowed> = Vec::new();
    for (i, line) in policy.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, reason) = line
            .split_once(char::is_whitespace)
            .map(|(n, r)| (n, r.trim()))
            .unwrap_or((line, ""));
        if reason.is_empty() {
            return Err(format!("line {}: {name} has no reason", i + 1));
        }
        let nr =
            number_of(name).ok_or_else(|| format!("line {}: unknown syscall {name}", i + 1))?;
        if out.iter().any(|a| a.nr == nr) {
            return Err(format!("line {}: {name} is listed twice", i + 1));
        }
        out.push(Allowed {
            nr,
            name: name.to_string(),
            reason: reason.to_string(),
        });
    }
    Ok(out)
}

/// Whether violations are only logged (HUSK_SECCOMP_AUDIT=1).
fn audit_only() -> bool {
    std::env::var_os("HUSK_SECCOMP_AUDIT").is_some_and(|v| v == "1")
}

/// Compiles `policy` into a BPF program.
fn compile(policy: &str) -> Result<BpfProgram, String> {
    let allowed = parse(policy).map_err(|e| format!("seccomp policy: {e}"))?;
    let rules: BTreeMap<i64, Vec<SeccompRule>> =
        allowed.iter().map(|a| (a.nr, Vec::new())).collect();
    let violation = if audit_only() {
        SeccompAction::Log
    } else {
        SeccompAction::KillProcess
    };
    let filter = SeccompFilter::new(rules, violation, SeccompAction::Allow, TargetArch::x86_64)
        .map_err(|e| format!("seccomp filter: {e}"))?;
    filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| format!("seccomp filter: {e}"))
}

/// Installs the Sentry's policy on every thread of the calling process.
pub fn install_sentry() -> Result<(), String> {
    let prog = compile(SENTRY_POLICY)?;
    seccompiler::apply_filter_all_threads(&prog).map_err(|e| format!("seccomp: {e}"))
}

/// Installs the gofer's policy (the gofer is single-threaded).
pub fn install_gofer() -> Result<(), String> {
    let prog = compile(GOFER_POLICY)?;
    seccompiler::apply_filter_all_threads(&prog).map_err(|e| format!("seccomp: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_compile() {
        for p in [SENTRY_POLICY, GOFER_POLICY] {
            let allowed = parse(p).expect("policy parses");
            assert!(allowed.iter().any(|a| a.name == "read"));
            compile(p).expect("policy compiles");
        }
    }

    #[test]
    fn the_sentry_never_opens_or_executes() {
        let allowed = parse(SENTRY_POLICY).expect("policy parses");
        for forbidden in ["open", "openat", "openat2", "creat", "execve", "execveat"] {
            assert!(
                !allowed.iter().any(|a| a.name == forbidden),
                "{forbidden} must not be in the Sentry's policy"
            );
        }
    }

    #[test]
    fn bad_policies_are_refused() {
        assert!(parse("read").is_err(), "missing reason");
        assert!(parse("nosuchcall because").is_err(), "unknown name");
        assert!(parse("read a\nread b").is_err(), "listed twice");
        assert_eq!(parse("# c\n\nread r\n").map(|v| v.len()), Ok(1));
    }
}
