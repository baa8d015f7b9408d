//! The Sentry's seccomp filter. After start-up the Sentry never opens a host path or
//! executes a program: those system calls kill it. (The full allowlist policy comes
//! with the OCI runtime work; this denylist is what start-up guarantees today.)

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, SeccompRule, TargetArch};
use std::collections::BTreeMap;

/// System calls the Sentry must never make after start-up, with the reason.
const DENIED: &[(i64, &str)] = &[
    (libc::SYS_open, "host paths are opened only by the gofer"),
    (libc::SYS_openat, "host paths are opened only by the gofer"),
    (libc::SYS_openat2, "host paths are opened only by the gofer"),
    (libc::SYS_creat, "host paths are opened only by the gofer"),
    (
        libc::SYS_open_by_handle_at,
        "host files are reached only through the gofer",
    ),
    (libc::SYS_execve, "the Sentry never runs host programs"),
    (libc::SYS_execveat, "the Sentry never runs host programs"),
];

/// Installs the filter on every thread of the Sentry.
pub fn install() -> Result<(), String> {
    let rules: BTreeMap<i64, Vec<SeccompRule>> =
        DENIED.iter().map(|(nr, _)| (*nr, vec![])).collect();
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        if std::env::var_os("HUSK_DEBUG_SECCOMP_LOG").is_some() {
            SeccompAction::Log
        } else {
            SeccompAction::KillProcess
        },
        TargetArch::x86_64,
    )
    .map_err(|e| format!("seccomp filter: {e}"))?;
    let prog: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| format!("seccomp filter: {e}"))?;
    seccompiler::apply_filter_all_threads(&prog).map_err(|e| format!("seccomp: {e}"))
}
