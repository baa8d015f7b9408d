//! Seccomp policies of the Sentry and the gofer.
//!
//! Each policy is a file in `crates/husk/policy/` that lists every host system call the
//! process may make once it runs, one per line with the reason. The filter is an
//! allowlist built with `seccompiler`: any other system call kills the process (the
//! kernel logs the violation). With `HUSK_SECCOMP_AUDIT=1` in the environment a
//! violation is only logged (to the kernel log, as `audit: type=1326 ... syscall=N`),
//! which is how a missing entry is found.

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::BTreeMap;

/// The Sentry's policy.
pub const SENTRY_POLICY: &str = include_str!("../policy/sentry.policy");
/// The gofer's policy.
pub const GOFER_POLICY: &str = include_str!("../policy/gofer.policy");

/// A condition on an argument, compared as a 32-bit value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cond {
    pub arg: u8,
    pub op: SeccompCmpOp,
    pub value: u64,
}

/// A policy entry: a system call allowed (when all its conditions hold), or made to
/// fail with an errno instead of running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    pub nr: i64,
    pub name: String,
    pub conds: Vec<Cond>,
    /// `name -> ERRNO`: the call fails with this errno.
    pub errno: Option<u32>,
    pub reason: String,
}

/// The number of the x86-64 system call `name`.
fn number_of(name: &str) -> Option<i64> {
    (0..512u64)
        .find(|&nr| husk_sentry::syscalls::name_of(nr) == name)
        .map(|nr| nr as i64)
}

fn number(v: &str) -> Option<u64> {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

/// `argN OP VALUE` (OP one of == != < <= > >=) or `argN&MASK==VALUE`, no spaces.
fn parse_cond(c: &str) -> Option<Cond> {
    let rest = c.strip_prefix("arg")?;
    let arg = rest.get(..1)?.parse::<u8>().ok().filter(|a| *a < 6)?;
    let rest = &rest[1..];
    if let Some(m) = rest.strip_prefix('&') {
        let (mask, value) = m.split_once("==")?;
        return Some(Cond {
            arg,
            op: SeccompCmpOp::MaskedEq(number(mask)?),
            value: number(value)?,
        });
    }
    for (text, op) in [
        ("==", SeccompCmpOp::Eq),
        ("!=", SeccompCmpOp::Ne),
        ("<=", SeccompCmpOp::Le),
        (">=", SeccompCmpOp::Ge),
        ("<", SeccompCmpOp::Lt),
        (">", SeccompCmpOp::Gt),
    ] {
        if let Some(v) = rest.strip_prefix(text) {
            return Some(Cond {
                arg,
                op,
                value: number(v)?,
            });
        }
    }
    None
}

/// Parses a policy file. A line is `name reason...` (allowed), `name(COND,...) reason`
/// (allowed when every condition holds; several lines for one name are alternatives),
/// or `name -> ERRNO reason` (fails with ERRNO: ENOSYS or EPERM). `#` starts a
/// comment line. Every line needs a reason; unknown names, bad conditions and an
/// unconditional name listed twice are errors.
pub fn parse(policy: &str) -> Result<Vec<Allowed>, String> {
    let mut out: Vec<Allowed> = Vec::new();
    for (i, line) in policy.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |m: String| format!("line {}: {m}", i + 1);
        let (head, mut reason) = line
            .split_once(char::is_whitespace)
            .map(|(n, r)| (n, r.trim()))
            .unwrap_or((line, ""));
        let mut errno = None;
        if let Some(r) = reason.strip_prefix("->") {
            let r = r.trim_start();
            let (e, rest) = r.split_once(char::is_whitespace).unwrap_or((r, ""));
            errno = Some(match e {
                "ENOSYS" => libc::ENOSYS as u32,
                "EPERM" => libc::EPERM as u32,
                _ => return Err(at(format!("{head}: unknown errno {e}"))),
            });
            reason = rest.trim();
        }
        let (name, conds) = match head.split_once('(') {
            Some((n, c)) => {
                let c = c
                    .strip_suffix(')')
                    .ok_or_else(|| at(format!("{head}: missing )")))?;
                let conds = c
                    .split(',')
                    .map(|x| parse_cond(x.trim()).ok_or_else(|| at(format!("bad condition {x:?}"))))
                    .collect::<Result<Vec<_>, _>>()?;
                (n, conds)
            }
            None => (head, Vec::new()),
        };
        if reason.is_empty() {
            return Err(at(format!("{name} has no reason")));
        }
        let nr = number_of(name).ok_or_else(|| at(format!("unknown syscall {name}")))?;
        if out
            .iter()
            .any(|a| a.nr == nr && (a.conds.is_empty() || conds.is_empty()))
        {
            return Err(at(format!("{name} is listed twice")));
        }
        out.push(Allowed {
            nr,
            name: name.to_string(),
            conds,
            errno,
            reason: reason.to_string(),
        });
    }
    Ok(out)
}

/// Whether violations are only logged (HUSK_SECCOMP_AUDIT=1).
fn audit_only() -> bool {
    std::env::var_os("HUSK_SECCOMP_AUDIT").is_some_and(|v| v == "1")
}

/// Compiles `policy` into BPF programs: the allowlist (anything else kills, or is
/// logged in audit mode), then one filter per errno entry (the kernel applies the most
/// restrictive answer of all filters, so such a call fails instead of running).
fn compile(policy: &str) -> Result<Vec<BpfProgram>, String> {
    let entries = parse(policy).map_err(|e| format!("seccomp policy: {e}"))?;
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    for a in &entries {
        let list = rules.entry(a.nr).or_default();
        if !a.conds.is_empty() && a.errno.is_none() {
            let conds = a
                .conds
                .iter()
                .map(|c| {
                    SeccompCondition::new(c.arg, SeccompCmpArgLen::Dword, c.op.clone(), c.value)
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("seccomp rule for {}: {e}", a.name))?;
            list.push(
                SeccompRule::new(conds).map_err(|e| format!("seccomp rule for {}: {e}", a.name))?,
            );
        }
    }
    let violation = if audit_only() {
        SeccompAction::Log
    } else {
        SeccompAction::KillProcess
    };
    let build = |rules: BTreeMap<i64, Vec<SeccompRule>>, mismatch, matched| {
        let filter = SeccompFilter::new(rules, mismatch, matched, TargetArch::x86_64)
            .map_err(|e| format!("seccomp filter: {e}"))?;
        filter
            .try_into()
            .map_err(|e: seccompiler::BackendError| format!("seccomp filter: {e}"))
    };
    let mut progs = vec![build(rules, violation, SeccompAction::Allow)?];
    for a in entries.iter().filter(|a| a.errno.is_some()) {
        let only: BTreeMap<i64, Vec<SeccompRule>> = [(a.nr, Vec::new())].into_iter().collect();
        let errno = a.errno.unwrap_or(libc::ENOSYS as u32);
        progs.push(build(
            only,
            SeccompAction::Allow,
            SeccompAction::Errno(errno),
        )?);
    }
    Ok(progs)
}

/// Installs the errno filters first and the allowlist last: once the allowlist is on,
/// installing another filter (prctl, seccomp) would itself be a violation.
fn install(policy: &str) -> Result<(), String> {
    let mut progs = compile(policy)?;
    progs.rotate_left(1);
    for prog in progs {
        seccompiler::apply_filter_all_threads(&prog).map_err(|e| format!("seccomp: {e}"))?;
    }
    Ok(())
}

/// Installs the Sentry's policy on every thread of the calling process.
pub fn install_sentry() -> Result<(), String> {
    install(SENTRY_POLICY)
}

/// Installs the gofer's policy (the gofer is single-threaded).
pub fn install_gofer() -> Result<(), String> {
    install(GOFER_POLICY)
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
    fn the_sentry_ioctls_only_on_terminal_state() {
        // TIOCSTI, TIOCSPGRP, TIOCSCTTY, FIONBIO... on a host terminal would reach the
        // caller's session: only the termios, window size and FIONREAD requests pass.
        let allowed = parse(SENTRY_POLICY).expect("policy parses");
        let ioctls: Vec<&Allowed> = allowed.iter().filter(|a| a.name == "ioctl").collect();
        assert_eq!(ioctls.len(), 7, "one line per request");
        assert!(
            ioctls.iter().all(|a| a.conds.len() == 1),
            "every ioctl names its request"
        );
    }

    #[test]
    fn bad_policies_are_refused() {
        assert!(parse("read").is_err(), "missing reason");
        assert!(parse("nosuchcall because").is_err(), "unknown name");
        assert!(parse("read a\nread b").is_err(), "listed twice");
        assert_eq!(parse("# c\n\nread r\n").map(|v| v.len()), Ok(1));
        assert!(parse("kill(arg9>0) r").is_err(), "bad argument");
        assert!(parse("kill(arg0>>0) r").is_err(), "bad operator");
        assert!(parse("clone3 -> EWHAT r").is_err(), "unknown errno");
        let p = parse(
            "kill(arg0>0,arg0<0x80000000) r\nclone(arg0&0x10000==0x10000) r\nclone3 -> ENOSYS r",
        )
        .expect("conditions parse");
        assert_eq!(p[0].conds.len(), 2);
        assert_eq!(p[1].conds[0].op, SeccompCmpOp::MaskedEq(0x10000));
        assert_eq!(p[2].errno, Some(libc::ENOSYS as u32));
        assert_eq!(
            compile("kill(arg0>0) r\nclone3 -> ENOSYS r").map(|v| v.len()),
            Ok(2)
        );
    }
}
