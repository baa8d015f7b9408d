//! The malformed `config.json` corpus (tests/oci_config/*.json): for each case `husk
//! create` must fail with exit status 1 and ONE error line naming the field (the case's
//! `expect` substring), and leave nothing behind: no state directory under `--root`, no
//! process, no mount.
//!
//! A case file is `{"expect": "...", "patch": {...}}`, a JSON merge patch (RFC 7386:
//! `null` removes a key) applied to `husk spec`'s default configuration (with
//! `process.terminal` false and `process.args` `["true"]`), or `{"expect": "...",
//! "raw": "..."}`, the whole file. `"runc": "rejects"` or `"accepts"` records what runc
//! does with the same bundle; where runc is installed the test checks that too (husk
//! rejects more: what it cannot honour yet, and values runc leaves to the kernel).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use husk_tests::{husk_bin, status_code, wait_output, workspace_root};

const TIMEOUT: Duration = Duration::from_secs(30);

fn merge_patch(target: &mut serde_json::Value, patch: &serde_json::Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = serde_json::json!({});
    }
    let Some(t) = target.as_object_mut() else {
        return;
    };
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge_patch(t.entry(k.clone()).or_insert(serde_json::Value::Null), v);
        }
    }
}

fn tmp(tag: &str, n: usize) -> PathBuf {
    std::env::temp_dir().join(format!("husk-ocicfg-{tag}-{}-{n}", std::process::id()))
}

/// Processes whose command line mentions `needle`, zombies excepted.
fn processes_mentioning(needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(cmd) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
        let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rfind(')').map(|i| s[i + 2..].starts_with('Z')))
            .unwrap_or(true);
        if cmd.contains(needle) && !zombie {
            found.push(format!("{pid}: {cmd}"));
        }
    }
    found
}

fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn runc_installed() -> bool {
    Command::new("runc")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Writes the case's bundle (rootfs with busybox as `true`) and returns its directory.
fn bundle(n: usize, base: &serde_json::Value, case: &serde_json::Value) -> PathBuf {
    let dir = tmp("bundle", n);
    let bin = dir.join("rootfs/bin");
    std::fs::create_dir_all(&bin).expect("mkdir bundle");
    if let Some(bb) = ["/usr/bin/busybox", "/bin/busybox"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    {
        std::fs::copy(bb, bin.join("busybox")).expect("copy busybox");
        std::os::unix::fs::symlink("busybox", bin.join("true")).expect("symlink");
    }
    let text = match (case["raw"].as_str(), case.get("patch")) {
        (Some(raw), _) => raw.to_string(),
        (None, Some(patch)) => {
            let mut cfg = base.clone();
            merge_patch(&mut cfg, patch);
            cfg.to_string()
        }
        (None, None) => panic!("case has neither raw nor patch: {case}"),
    };
    std::fs::write(dir.join("config.json"), text).expect("write config");
    dir
}

#[test]
fn malformed_configs_are_rejected_cleanly() {
    let husk = husk_bin();
    assert!(husk.exists(), "husk binary not found at {}", husk.display());
    let runc = runc_installed();
    // The default configuration, from `husk spec`.
    let spec_dir = tmp("spec", 0);
    std::fs::create_dir_all(&spec_dir).expect("mkdir");
    let out = Command::new(&husk)
        .arg("spec")
        .current_dir(&spec_dir)
        .output()
        .expect("husk spec");
    assert!(out.status.success(), "husk spec: {out:?}");
    let mut base: serde_json::Value =
        serde_json::from_slice(&std::fs::read(spec_dir.join("config.json")).expect("read spec"))
            .expect("spec json");
    let _ = std::fs::remove_dir_all(&spec_dir);
    base["process"]["terminal"] = false.into();
    base["process"]["args"] = serde_json::json!(["true"]);

    let corpus = workspace_root().join("tests/oci_config");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .expect("tests/oci_config")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 25, "only {} cases", files.len());

    let mut failures = Vec::new();
    for (n, file) in files.iter().enumerate() {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let case: serde_json::Value =
            serde_json::from_slice(&std::fs::read(file).expect("read case"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        let expect = case["expect"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no expect"));
        let dir = bundle(n, &base, &case);
        let root = tmp("root", n);
        let run = |bin: &Path, id: &str| {
            let child = Command::new(bin)
                .arg("--root")
                .arg(&root)
                .args(["create", "--bundle"])
                .arg(&dir)
                .arg(id)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
            wait_output(child, TIMEOUT).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let out = run(&husk, "bad");
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let mut problems = Vec::new();
        if status_code(out.status) != 1 {
            problems.push(format!("exit status {}", status_code(out.status)));
        }
        if err.lines().count() != 1 || !err.starts_with("husk: ") {
            problems.push("not one `husk: ` error line".into());
        }
        if !err.contains(expect) {
            problems.push(format!("no {expect:?}"));
        }
        let left = entries(&root);
        if !left.is_empty() {
            problems.push(format!("left under --root: {left:?}"));
        }
        let procs = processes_mentioning(&root.to_string_lossy());
        if !procs.is_empty() {
            problems.push(format!("processes left: {procs:?}"));
        }
        let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
        if mounts.contains(&*dir.to_string_lossy()) {
            problems.push("a mount is left".into());
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name}: {}: {}",
                problems.join(", "),
                err.trim_end()
            ));
        }
        if runc {
            // runc's container keeps the stdio it is given: files, not pipes.
            let errf = root.with_extension("stderr");
            let status = Command::new("runc")
                .arg("--root")
                .arg(&root)
                .args(["create", "--bundle"])
                .arg(&dir)
                .arg("bad-runc")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&errf).expect("stderr file"))
                .status()
                .expect("runc");
            // Its last error line (it logs warnings too).
            let runc_err = std::fs::read_to_string(&errf)
                .unwrap_or_default()
                .lines()
                .rfind(|l| l.contains("level=error"))
                .unwrap_or_default()
                .to_string();
            let _ = std::fs::remove_file(&errf);
            let got = if status.success() {
                "accepts"
            } else {
                "rejects"
            };
            let _ = Command::new("runc")
                .arg("--root")
                .arg(&root)
                .args(["delete", "--force", "bad-runc"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            match case["runc"].as_str() {
                Some(want) if want != got => failures.push(format!(
                    "{name}: runc {got} it, the case says {want}: {}",
                    runc_err.trim_end()
                )),
                Some(_) => {}
                None => failures.push(format!(
                    "{name}: runc {got} it; say so in the case: {}",
                    runc_err.trim_end()
                )),
            }
        }
        let _ = std::fs::remove_dir_all(&root);
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
