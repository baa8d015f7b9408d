//! Kubernetes pods through containerd's CRI plugin, driven as a kubelet drives it, with
//! the RuntimeClass handler "runc" (containerd's runc shim v2 with runc) and "husk" (the
//! same shim with `BinaryName = husk`): the same pod scenario runs with both and the
//! results (outputs, exit codes, states) must be the same.
//!
//! No kubelet is needed: tests/cri/cri.py is a minimal CRI client (Python 3 with Debian's
//! python3-grpcio) for our own subset of the CRI API, tests/cri/api.proto (package
//! runtime.v1, the field numbers of k8s.io/cri-api), compiled into the test's directory
//! with `python3 -m grpc_tools.protoc`. This file is the kubelet: it sends the requests
//! (JSON in, JSON out) and checks the answers.
//!
//! Each test starts a containerd of its own with the CRI plugin enabled (private socket,
//! root and state under a temporary directory, stopped by its pid), with a busybox image
//! written as an OCI image layout and imported into the `k8s.io` namespace; the same image
//! (its default command a long sleep) is the pause image (`sandbox_image`). Pods use the
//! host's network (NamespaceOption network = NODE), so no CNI plugin is needed. The pods'
//! cgroup parent is unique to the test. When a test ends, its pods are stopped and removed
//! through CRI, containerd is stopped, any process left in the test's cgroups and any shim
//! or sandbox process naming the directory is killed, anything mounted under the
//! directory is unmounted, the directory and the (empty) cgroup directories removed.
//! Skipped, with the reason printed, only when containerd, runc or the Python gRPC
//! packages are missing (tests/setup.sh installs them).
//!
//! Debugging: HUSK_CRI_DEBUG=1 runs husk through a wrapper adding `--debug-log DIR` (the
//! ends of its logs are shown when a CRI call fails); HUSK_CRI_KEEP=1 keeps the directory
//! (containerd's log, the containers' logs).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use husk_tests::oci_image::{have, mounts_under, processes_mentioning, write_busybox_image};
use husk_tests::{husk_bin, wait_output, workspace_root};
use serde_json::{json, Value};

const TIMEOUT: Duration = Duration::from_secs(30);
const IMAGE: &str = "localhost/husk-busybox:latest";
/// The namespace of containerd that the CRI plugin uses.
const K8S_NS: &str = "k8s.io";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Debian's Python (where python3-grpcio is installed), else the one on PATH.
fn python() -> PathBuf {
    let debian = Path::new("/usr/bin/python3");
    if debian.exists() {
        debian.to_path_buf()
    } else {
        PathBuf::from("python3")
    }
}

/// The test image, also the pause image: busybox with a long sleep as its command.
fn write_image(dir: &Path) -> PathBuf {
    write_busybox_image(
        dir,
        IMAGE,
        &[
            "sh", "echo", "cat", "ls", "id", "pwd", "sleep", "true", "false", "env", "test", "ps",
            "sort",
        ],
        &["/bin/sleep", "1000000"],
    )
}

/// A private containerd with the CRI plugin on, the busybox image imported, and the
/// CRI client compiled.
struct Cri {
    dir: PathBuf,
    /// The pods' cgroup parent (unique to the test), without the leading '/'.
    cgroup: String,
    python: PathBuf,
    child: Option<Child>,
}

impl Cri {
    /// None (after printing why) when containerd, runc or the Python gRPC packages are
    /// missing.
    fn start(tag: &str) -> Option<Cri> {
        for cmd in ["containerd", "ctr", "containerd-shim-runc-v2", "runc"] {
            if !have(cmd) {
                println!("skipped: {cmd} is not installed (tests/setup.sh installs it)");
                return None;
            }
        }
        let python = python();
        let ok = Command::new(&python)
            .args(["-c", "import grpc, grpc_tools.protoc, google.protobuf"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            println!(
                "skipped: {} lacks grpc or grpc_tools (tests/setup.sh installs python3-grpcio \
                 and python3-grpc-tools)",
                python.display()
            );
            return None;
        }
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let id = format!("{tag}-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(format!("husk-cri-{id}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("gen")).expect("mkdir");

        // The client's Python modules, from our api.proto.
        let proto_dir = workspace_root().join("tests/cri");
        let out = Command::new(&python)
            .args(["-m", "grpc_tools.protoc", "-I"])
            .arg(&proto_dir)
            .arg(format!("--python_out={}", dir.join("gen").display()))
            .arg(format!("--grpc_python_out={}", dir.join("gen").display()))
            .arg(proto_dir.join("api.proto"))
            .output()
            .expect("grpc_tools.protoc");
        assert!(
            out.status.success(),
            "protoc api.proto: {}",
            text(&out.stderr)
        );

        let d = |s: &str| dir.join(s).to_string_lossy().into_owned();
        // HUSK_CRI_DEBUG: husk runs through a wrapper that adds `--debug-log DIR`.
        let husk = if std::env::var_os("HUSK_CRI_DEBUG").is_some() {
            use std::os::unix::fs::PermissionsExt;
            let wrapper = dir.join("husk-debug.sh");
            std::fs::write(
                &wrapper,
                format!(
                    "#!/bin/sh\nexec '{}' --debug-log '{}' \"$@\"\n",
                    husk_bin().display(),
                    d("husk-debug")
                ),
            )
            .expect("husk wrapper");
            std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755))
                .expect("chmod");
            wrapper
        } else {
            husk_bin()
        };
        let cri = r#"plugins."io.containerd.grpc.v1.cri""#;
        let cfg = format!(
            r#"version = 2
root = "{root}"
state = "{state}"
disabled_plugins = [
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]
[grpc]
  address = "{sock}"
[ttrpc]
  address = "{sock}.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "{opt}"
[{cri}]
  # The pause image: our busybox image, whose command is a long sleep.
  sandbox_image = "{IMAGE}"
  disable_apparmor = true
  # The sandbox's oom_score_adj (-998) needs CAP_SYS_RESOURCE, which a test running in
  # a container may lack: keep it no lower than containerd's own.
  restrict_oom_score_adj = true
  disable_tcp_service = true
  # Only ExecSync is used, which needs no streaming server: any free port.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # No CNI configuration: only host-network pods, which need none.
  [{cri}.cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{cni_conf}"
  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.runc.options]
        Root = "{runc_root}"
    [{cri}.containerd.runtimes.husk]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.husk.options]
        BinaryName = "{husk}"
        Root = "{husk_root}"
"#,
            root = d("root"),
            state = d("state"),
            sock = d("containerd.sock"),
            opt = d("opt"),
            cni_bin = d("cni/bin"),
            cni_conf = d("cni/conf"),
            runc_root = d("runtime-root-runc"),
            husk_root = d("runtime-root-husk"),
            husk = husk.display(),
        );
        std::fs::write(dir.join("config.toml"), cfg).expect("config.toml");
        let log = std::fs::File::create(dir.join("containerd.log")).expect("log");
        let child = Command::new("containerd")
            .arg("--config")
            .arg(dir.join("config.toml"))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start containerd");
        let c = Cri {
            dir,
            cgroup: format!("husk-cri-{id}"),
            python,
            child: Some(child),
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(v) = c.call("Version", json!({})) {
                assert_eq!(v["runtime_api_version"], "v1", "{v}");
                break;
            }
            assert!(
                Instant::now() < deadline,
                "containerd's CRI did not start: {}",
                c.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let image = write_image(&c.dir);
        let out = c.ctr(&["image", "import", &image.to_string_lossy()]);
        assert!(
            out.status.success(),
            "ctr image import: {}{}",
            text(&out.stderr),
            c.log_tail()
        );
        // The CRI plugin learns of the image from containerd's events.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let st = c.must("ImageStatus", json!({ "image": { "image": IMAGE } }));
            if st["image"]["repo_tags"]
                .as_array()
                .is_some_and(|t| t.iter().any(|x| x == IMAGE))
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "CRI does not see the image: {st}{}",
                c.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(c)
    }

    /// The end of containerd's log, and of husk's debug logs (HUSK_CRI_DEBUG).
    fn log_tail(&self) -> String {
        let tail = |path: &Path, n: usize| {
            let log = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        };
        let mut s = format!(
            "\n--- containerd log (end) ---\n{}",
            tail(&self.dir.join("containerd.log"), 15)
        );
        let mut logs: Vec<PathBuf> = std::fs::read_dir(self.dir.join("husk-debug"))
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        logs.sort();
        for log in logs {
            s += &format!("\n--- {} (end) ---\n{}", log.display(), tail(&log, 15));
        }
        s
    }

    fn ctr(&self, args: &[&str]) -> std::process::Output {
        let child = Command::new("ctr")
            .arg("--address")
            .arg(self.dir.join("containerd.sock"))
            .arg("--namespace")
            .arg(K8S_NS)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ctr");
        wait_output(child, TIMEOUT).expect("ctr")
    }

    /// One CRI call: `Ok(response)` or `Err("CODE: details")`.
    fn call(&self, method: &str, req: Value) -> Result<Value, String> {
        use std::io::Write;
        let mut child = Command::new(&self.python)
            .arg(workspace_root().join("tests/cri/cri.py"))
            .arg(self.dir.join("gen"))
            .arg(self.dir.join("containerd.sock"))
            .arg(method)
            .arg(TIMEOUT.as_secs().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn cri.py");
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(req.to_string().as_bytes())
                .expect("write the request");
        }
        let out = wait_output(child, TIMEOUT + Duration::from_secs(5)).expect("cri.py");
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
            panic!(
                "{method}: cri.py printed no JSON: {}{}",
                text(&out.stdout),
                text(&out.stderr)
            )
        });
        match out.status.code() {
            Some(0) => Ok(v),
            Some(2) => Err(format!(
                "{}: {}",
                v["code"].as_str().unwrap_or("?"),
                v["details"].as_str().unwrap_or("?")
            )),
            _ => panic!("{method}: cri.py failed: {}", text(&out.stderr)),
        }
    }

    /// A CRI call that must succeed.
    fn must(&self, method: &str, req: Value) -> Value {
        self.call(method, req)
            .unwrap_or_else(|e| panic!("{method}: {e}{}", self.log_tail()))
    }

    /// The sandbox config of pod `name`, as a kubelet sends it for a `hostNetwork: true`
    /// pod (no hostname: the pod has the host's UTS namespace, and containerd uses the
    /// host's name); `pid` is the PID namespace mode: "CONTAINER" (the default of a pod),
    /// or "POD" (`shareProcessNamespace: true`).
    fn pod_config(&self, rt: &str, name: &str, pid: &str) -> Value {
        let nsopts = json!({ "network": "NODE", "pid": pid, "ipc": "POD" });
        json!({
            "metadata": {
                "name": format!("{name}-{rt}"),
                "uid": format!("{name}-{rt}-{}", self.cgroup),
                "namespace": "husk-test",
                "attempt": 0
            },
            "log_directory": self.dir.join("logs").join(format!("{name}-{rt}")).to_string_lossy(),
            "labels": { "app": "husk-cri" },
            "linux": {
                "cgroup_parent": format!("/{}", self.cgroup),
                "security_context": { "namespace_options": nsopts }
            }
        })
    }

    /// RunPodSandbox with handler `rt`; returns the pod's id and its status.
    fn run_pod(&self, rt: &str, pod_cfg: &Value) -> (String, Value) {
        let r = self
            .call(
                "RunPodSandbox",
                json!({ "config": pod_cfg, "runtime_handler": rt }),
            )
            .unwrap_or_else(|e| panic!("{rt}: RunPodSandbox: {e}{}", self.log_tail()));
        let pod = r["pod_sandbox_id"]
            .as_str()
            .expect("pod_sandbox_id")
            .to_string();
        let st = self.must("PodSandboxStatus", json!({ "pod_sandbox_id": pod }));
        (pod, st["status"].clone())
    }

    /// StopPodSandbox then RemovePodSandbox; returns the state after the stop and whether
    /// the pod is still listed after the removal.
    fn end_pod(&self, pod: &str) -> (String, bool) {
        self.must("StopPodSandbox", json!({ "pod_sandbox_id": pod }));
        let st = self.must("PodSandboxStatus", json!({ "pod_sandbox_id": pod }));
        let stopped = st["status"]["state"].as_str().unwrap_or("").to_string();
        self.must("RemovePodSandbox", json!({ "pod_sandbox_id": pod }));
        let list = self.must("ListPodSandbox", json!({}));
        let listed = list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|p| p["id"] == pod);
        (stopped, listed)
    }

    /// Whether the runtime of handler `rt` keeps state for container `id` (its
    /// `--root`): the container really runs under that runtime.
    fn runtime_has_state(&self, rt: &str, id: &str) -> bool {
        self.dir
            .join(format!("runtime-root-{rt}"))
            .join(K8S_NS)
            .join(id)
            .exists()
    }

    /// ExecSync: (stdout, stderr, exit code).
    fn exec(&self, id: &str, cmd: &[&str]) -> (String, String, i64) {
        let r = self.must(
            "ExecSync",
            json!({ "container_id": id, "cmd": cmd, "timeout": 20 }),
        );
        (
            r["stdout"].as_str().unwrap_or("").to_string(),
            r["stderr"].as_str().unwrap_or("").to_string(),
            r["exit_code"].as_i64().unwrap_or(-1),
        )
    }

    /// Creates and starts container `name` running `cmd` in the pod; returns its id.
    fn run_container(&self, pod: &str, pod_cfg: &Value, name: &str, cmd: &[&str]) -> String {
        let cfg = json!({
            "metadata": { "name": name, "attempt": 0 },
            "image": { "image": IMAGE },
            "command": cmd,
            "envs": [{ "key": "GREETING", "value": "hi there" }],
            "log_path": format!("{name}.log"),
            "labels": { "container": name },
            "linux": {
                "security_context": {
                    "namespace_options": pod_cfg["linux"]["security_context"]["namespace_options"]
                }
            }
        });
        let pod_name = pod_cfg["metadata"]["name"].as_str().unwrap_or("?");
        let r = self
            .call(
                "CreateContainer",
                json!({ "pod_sandbox_id": pod, "config": cfg, "sandbox_config": pod_cfg }),
            )
            .unwrap_or_else(|e| {
                panic!("{pod_name}: CreateContainer {name}: {e}{}", self.log_tail())
            });
        let id = r["container_id"]
            .as_str()
            .expect("container_id")
            .to_string();
        if let Err(e) = self.call("StartContainer", json!({ "container_id": id })) {
            panic!("{pod_name}: StartContainer {name}: {e}{}", self.log_tail());
        }
        id
    }

    fn container_status(&self, id: &str) -> Value {
        self.must("ContainerStatus", json!({ "container_id": id }))["status"].clone()
    }

    /// Polls ContainerStatus until the state is `state`; returns the status.
    fn wait_state(&self, id: &str, state: &str) -> Value {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            let st = self.container_status(id);
            if st["state"] == state {
                return st;
            }
            assert!(
                Instant::now() < deadline,
                "container {id} not {state}: {st}{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The log of a container (CRI format, "TIMESTAMP STREAM TAG TEXT" lines) as
    /// (stream, tag, text) triples, stderr's first; waits a little for the expected
    /// number of lines.
    fn read_log(&self, path: &str, want_lines: usize) -> Vec<(String, String, String)> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let log = std::fs::read_to_string(path).unwrap_or_default();
            let lines: Vec<(String, String, String)> = log
                .lines()
                .map(|l| {
                    let mut f = l.splitn(4, ' ');
                    let _timestamp = f.next();
                    let stream = f.next().unwrap_or_default().to_string();
                    let tag = f.next().unwrap_or_default().to_string();
                    (stream, tag, f.next().unwrap_or_default().to_string())
                })
                .collect();
            if lines.len() >= want_lines || Instant::now() >= deadline {
                // stdout and stderr are separate pipes: only the order within each is
                // defined.
                let mut lines = lines;
                lines.sort_by(|a, b| a.0.cmp(&b.0));
                return lines;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Pids of the processes in the test's cgroups (any hierarchy).
    fn processes_in_cgroup(&self) -> Vec<i32> {
        let needle = format!("/{}/", self.cgroup);
        let me = std::process::id() as i32;
        let mut pids = Vec::new();
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
                continue;
            };
            if pid == me {
                continue;
            }
            let cg = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap_or_default();
            if cg.lines().any(|l| l.contains(&needle)) {
                pids.push(pid);
            }
        }
        pids
    }
}

fn kill_all(pids: impl Fn() -> Vec<i32>) {
    for _ in 0..50 {
        let pids = pids();
        if pids.is_empty() {
            break;
        }
        for pid in pids {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl Drop for Cri {
    fn drop(&mut self) {
        // Pods first, while containerd runs (stopping a pod kills its containers, the
        // shims unmount the rootfs and exit).
        if let Ok(list) = self.call("ListPodSandbox", json!({})) {
            for p in list["items"].as_array().into_iter().flatten() {
                if let Some(id) = p["id"].as_str() {
                    let _ = self.call("StopPodSandbox", json!({ "pod_sandbox_id": id }));
                    let _ = self.call("RemovePodSandbox", json!({ "pod_sandbox_id": id }));
                }
            }
        }
        if let Some(mut child) = self.child.take() {
            let pid = child.id().to_string();
            // SIGTERM, then SIGKILL after 5 s.
            let _ = Command::new("kill").args(["-TERM", &pid]).status();
            let deadline = Instant::now() + Duration::from_secs(5);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        // Containers' processes still in the test's cgroups, then shims (`-address
        // DIR/containerd.sock`) and sandbox processes (their bundle is under DIR).
        kill_all(|| self.processes_in_cgroup());
        let needle = self.dir.to_string_lossy().into_owned();
        kill_all(|| processes_mentioning(&needle));
        for m in mounts_under(&self.dir) {
            let _ = Command::new("umount").args(["-l", &m]).status();
        }
        if std::env::var_os("HUSK_CRI_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        // The pods' cgroup directories (v2 and each v1 hierarchy), deepest first; rmdir
        // removes only empty ones.
        let root = Path::new("/sys/fs/cgroup");
        let mut bases = vec![root.to_path_buf()];
        bases.extend(
            std::fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path()),
        );
        fn subdirs(d: &Path, out: &mut Vec<PathBuf>) {
            out.push(d.to_path_buf());
            for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    subdirs(&p, out);
                }
            }
        }
        for base in bases {
            let d = base.join(&self.cgroup);
            if !d.is_dir() {
                continue;
            }
            let mut dirs = Vec::new();
            subdirs(&d, &mut dirs);
            for x in dirs.iter().rev() {
                let _ = std::fs::remove_dir(x);
            }
        }
    }
}

/// What a pod run shows; compared between runc and husk.
#[derive(Debug, PartialEq)]
struct PodRun {
    sandbox_state: String,
    sandbox_handler: String,
    /// The first container: state, exit code, reason, log (stream, tag, text).
    app: (String, i64, String, Vec<(String, String, String)>),
    /// The second container after StartContainer, and whether the handler's runtime
    /// keeps state for it.
    sleeper_state: (String, bool),
    /// ExecSync in the second container: (stdout, stderr, exit code) of each.
    execs: Vec<(String, String, i64)>,
    /// The second container after StopContainer: state, exit code.
    sleeper_stopped: (String, i64),
    /// The containers listed in the pod after RemoveContainer.
    containers_left: usize,
    /// The sandbox after StopPodSandbox, and whether it is listed after RemovePodSandbox.
    sandbox_end: (String, bool),
}

/// A pod with runtime handler `rt`: a container that prints and exits, a long-running
/// one with execs (the pod's /dev/shm is shared, IPC mode POD), stop and remove.
fn pod_scenario(c: &Cri, rt: &str) -> PodRun {
    println!("{rt}: pod with two containers");
    let pod_cfg = c.pod_config(rt, "pod", "CONTAINER");
    let (pod, st) = c.run_pod(rt, &pod_cfg);
    let sandbox_state = st["state"].as_str().unwrap_or("").to_string();
    let sandbox_handler = st["runtime_handler"].as_str().unwrap_or("").to_string();

    // A container that prints to stdout and stderr (its pid too: it has a PID namespace
    // of its own), leaves a file in the pod's /dev/shm, and exits 3.
    let app = c.run_container(
        &pod,
        &pod_cfg,
        "app",
        &[
            "sh",
            "-c",
            "echo hello from $HOSTNAME; cat /etc/hostname; echo \"$GREETING\" >&2; \
             echo pid $$; echo left by app > /dev/shm/msg; exit 3",
        ],
    );
    let st = c.wait_state(&app, "CONTAINER_EXITED");
    let log_path = st["log_path"].as_str().unwrap_or("").to_string();
    let app_result = (
        st["state"].as_str().unwrap_or("").to_string(),
        st["exit_code"].as_i64().unwrap_or(-1),
        st["reason"].as_str().unwrap_or("").to_string(),
        c.read_log(&log_path, 4),
    );

    // A long-running one, with execs.
    let sleeper = c.run_container(&pod, &pod_cfg, "sleeper", &["sleep", "1000"]);
    let st = c.wait_state(&sleeper, "CONTAINER_RUNNING");
    let sleeper_state = (
        st["state"].as_str().unwrap_or("").to_string(),
        c.runtime_has_state(rt, &sleeper),
    );
    let execs = vec![
        c.exec(&sleeper, &["echo", "exec-ok"]),
        c.exec(
            &sleeper,
            &[
                "sh",
                "-c",
                "echo out; echo err >&2; cat /etc/hostname; exit 4",
            ],
        ),
        c.exec(&sleeper, &["cat", "/dev/shm/msg"]),
        // Its own PID namespace (PID mode CONTAINER): only its processes.
        c.exec(&sleeper, &["ps", "-o", "args"]),
    ];
    // sleep is the container's init and has no SIGTERM handler: it is killed after the
    // 1 s grace period.
    c.must(
        "StopContainer",
        json!({ "container_id": sleeper, "timeout": 1 }),
    );
    let st = c.container_status(&sleeper);
    let sleeper_stopped = (
        st["state"].as_str().unwrap_or("").to_string(),
        st["exit_code"].as_i64().unwrap_or(-1),
    );
    for id in [&app, &sleeper] {
        c.must("RemoveContainer", json!({ "container_id": id }));
    }
    let left = c.must(
        "ListContainers",
        json!({ "filter": { "pod_sandbox_id": pod } }),
    );
    let containers_left = left["containers"].as_array().map_or(0, Vec::len);
    PodRun {
        sandbox_state,
        sandbox_handler,
        app: app_result,
        sleeper_state,
        execs,
        sleeper_stopped,
        containers_left,
        sandbox_end: c.end_pod(&pod),
    }
}

/// What the scenario must show (runc's behaviour, with handler name `rt`).
fn expected(rt: &str) -> PodRun {
    let s = |x: &str| x.to_string();
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").expect("hostname");
    let hostname = hostname.trim_end();
    let line = |stream: &str, t: &str| (s(stream), s("F"), s(t));
    PodRun {
        sandbox_state: s("SANDBOX_READY"),
        sandbox_handler: s(rt),
        app: (
            s("CONTAINER_EXITED"),
            3,
            s("Error"),
            vec![
                line("stderr", "hi there"),
                line("stdout", &format!("hello from {hostname}")),
                line("stdout", hostname),
                line("stdout", "pid 1"),
            ],
        ),
        sleeper_state: (s("CONTAINER_RUNNING"), true),
        execs: vec![
            (s("exec-ok\n"), s(""), 0),
            (format!("out\n{hostname}\n"), s("err\n"), 4),
            (s("left by app\n"), s(""), 0),
            (s("COMMAND\nsleep 1000\nps -o args\n"), s(""), 0),
        ],
        sleeper_stopped: (s("CONTAINER_EXITED"), 137),
        containers_left: 0,
        sandbox_end: (s("SANDBOX_NOTREADY"), false),
    }
}

/// A pod with a shared PID namespace (`shareProcessNamespace: true`): a container sees
/// the pause process and the other containers' processes. Returns the command lines
/// `ps` shows in the second container, sorted.
fn shared_pid_scenario(c: &Cri, rt: &str) -> Vec<String> {
    println!("{rt}: pod with a shared PID namespace");
    let pod_cfg = c.pod_config(rt, "sharedpid", "POD");
    let (pod, st) = c.run_pod(rt, &pod_cfg);
    assert_eq!(st["state"], "SANDBOX_READY", "{rt}: {st}");
    let first = c.run_container(&pod, &pod_cfg, "first", &["sleep", "1001"]);
    c.wait_state(&first, "CONTAINER_RUNNING");
    let second = c.run_container(&pod, &pod_cfg, "second", &["sleep", "1002"]);
    c.wait_state(&second, "CONTAINER_RUNNING");
    let (out, err, code) = c.exec(&second, &["ps", "-o", "args"]);
    assert_eq!((err.as_str(), code), ("", 0), "{rt}: ps: {out}");
    let mut args: Vec<String> = out.lines().skip(1).map(str::to_string).collect();
    args.sort();
    // StopPodSandbox stops the containers too.
    assert_eq!(c.end_pod(&pod), ("SANDBOX_NOTREADY".to_string(), false));
    args
}

fn expected_shared_pid() -> Vec<String> {
    // The pause container (the image's command), the two containers, ps itself.
    [
        "/bin/sleep 1000000",
        "ps -o args",
        "sleep 1001",
        "sleep 1002",
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn cri_pod_with_runc() {
    let Some(c) = Cri::start("runc") else {
        return;
    };
    let t = Instant::now();
    let got = pod_scenario(&c, "runc");
    assert_eq!(got, expected("runc"), "runc (left) vs expected (right)");
    assert_eq!(shared_pid_scenario(&c, "runc"), expected_shared_pid());
    println!("runc pod scenarios: {:?}", t.elapsed());
}

#[test]
fn cri_pod_with_husk_same_as_runc() {
    let Some(c) = Cri::start("husk") else {
        return;
    };
    let mut want = pod_scenario(&c, "runc");
    let want_shared = shared_pid_scenario(&c, "runc");
    let t = Instant::now();
    let got = pod_scenario(&c, "husk");
    // Everything but the handler's name must be the same.
    want.sandbox_handler = "husk".into();
    assert_eq!(got, want, "husk (left) differs from runc (right)");
    let got_shared = shared_pid_scenario(&c, "husk");
    assert_eq!(
        got_shared, want_shared,
        "shared PID namespace: husk (left) differs from runc (right)"
    );
    println!("husk pod scenarios: {:?}", t.elapsed());
}
