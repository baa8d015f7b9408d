#!/usr/bin/env bash
# husk benchmarks: each probe natively, under husk (ptrace) and under gVisor's runsc
# (ptrace), printed as one Markdown table with the ratios husk/native and runsc/husk.
#
# Usage: bash bench/run.sh            full run (about 2-4 minutes)
#        BENCH_QUICK=1 bash bench/run.sh   fewer iterations, for a smoke test
# Env:   HUSK_BIN    husk binary (default target/release/husk; "n/a" column if missing)
#        RUNSC       runsc binary (default: runsc in PATH; needs root)
#        BENCH_TIMEOUT  seconds allowed per measurement (default 120)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BENCH_BUILD:-$ROOT/target/bench}
HUSK=${HUSK_BIN:-$ROOT/target/release/husk}
RUNSC=${RUNSC:-$(command -v runsc || true)}
TMO=${BENCH_TIMEOUT:-120}

# Iterations: native gets more, as it is orders of magnitude faster.
if [[ -n ${BENCH_QUICK:-} ]]; then
    N_PPID_NATIVE=200000 N_PPID_SANDBOX=2000
    N_START_NATIVE=10 N_START_SANDBOX=3
    N_FORK_NATIVE=100 N_FORK_SANDBOX=10
    N_OPEN_NATIVE=20000 N_OPEN_SANDBOX=1000
    N_STAT_NATIVE=100000 N_STAT_SANDBOX=2000
    N_SEQ_NATIVE=1 N_SEQ_SANDBOX=1 SEQ_MB=256
    MB_PIPE_NATIVE=500 MB_PIPE_SANDBOX=50
else
    N_PPID_NATIVE=2000000 N_PPID_SANDBOX=20000
    N_START_NATIVE=50 N_START_SANDBOX=10
    N_FORK_NATIVE=500 N_FORK_SANDBOX=50
    N_OPEN_NATIVE=200000 N_OPEN_SANDBOX=10000
    N_STAT_NATIVE=1000000 N_STAT_SANDBOX=20000
    N_SEQ_NATIVE=3 N_SEQ_SANDBOX=1 SEQ_MB=1024
    MB_PIPE_NATIVE=4000 MB_PIPE_SANDBOX=200
fi

command -v gcc >/dev/null || { echo "bench: gcc is missing (bash tests/setup.sh)" >&2; exit 1; }
mkdir -p "$BUILD"
for p in getppid forkexec timeit openread stat seqread pipe; do
    src=$ROOT/bench/probes/$p.c
    if [[ ! -x $BUILD/$p || $src -nt $BUILD/$p ]]; then
        gcc -static -O2 -Wall -o "$BUILD/$p" "$src"
    fi
done

notes=()

# Data files of the file probes, on the host (the sandboxes see the host's / read-only).
SMALL=$BUILD/small.txt
[[ -s $SMALL ]] || echo "a small file for the open+read+close and stat probes" >"$SMALL"
SEQ=$BUILD/seq-${SEQ_MB}m.dat
if [[ ! -f $SEQ || $(stat -c %s "$SEQ") != $((SEQ_MB << 20)) ]]; then
    echo "creating $SEQ" >&2
    dd if=/dev/zero of="$SEQ" bs=1M count="$SEQ_MB" status=none
fi
cat "$SEQ" >/dev/null # into the page cache

# Which sandboxes can run. A column that cannot is printed as n/a, with a note.
have_husk=0
if [[ ! -x $HUSK ]]; then
    notes+=("husk: no binary at $HUSK (cargo build --release, or set HUSK_BIN)")
elif ! timeout "$TMO" "$HUSK" do -- /bin/true </dev/null >/dev/null 2>&1; then
    notes+=("husk: \`$HUSK do -- /bin/true\` failed")
else
    have_husk=1
fi
have_runsc=0
if [[ -z $RUNSC ]]; then
    notes+=("runsc: not installed (apt-get install -y runsc)")
elif [[ $(id -u) != 0 ]]; then
    notes+=("runsc: needs root")
elif ! timeout "$TMO" "$RUNSC" --network=none --platform=ptrace do /bin/true </dev/null >/dev/null 2>&1; then
    notes+=("runsc: \`runsc --network=none --platform=ptrace do /bin/true\` failed")
else
    have_runsc=1
fi

# run_in ENV CMD...: runs CMD natively, under husk or under runsc.
run_in() {
    local env=$1
    shift
    case $env in
    native) timeout "$TMO" "$@" ;;
    husk) timeout "$TMO" "$HUSK" do -- "$@" ;;
    runsc) timeout "$TMO" "$RUNSC" --network=none --platform=ptrace do "$@" ;;
    esac
}

available() {
    case $1 in
    native) return 0 ;;
    husk) ((have_husk)) ;;
    runsc) ((have_runsc)) ;;
    esac
}

# measure ENV PROBE: prints the probe's number(s), or n/a (runs in a subshell).
measure() {
    local env=$1 probe=$2 out
    available "$env" || { echo n/a; return; }
    case $probe in
    getppid)
        local n=$N_PPID_SANDBOX
        [[ $env == native ]] && n=$N_PPID_NATIVE
        out=$(run_in "$env" "$BUILD/getppid" "$n" </dev/null 2>/dev/null) || out=
        ;;
    forkexec)
        local n=$N_FORK_SANDBOX
        [[ $env == native ]] && n=$N_FORK_NATIVE
        out=$(run_in "$env" "$BUILD/forkexec" "$n" /bin/true </dev/null 2>/dev/null) || out=
        ;;
    openread)
        local n=$N_OPEN_SANDBOX
        [[ $env == native ]] && n=$N_OPEN_NATIVE
        out=$(run_in "$env" "$BUILD/openread" "$SMALL" "$n" </dev/null 2>/dev/null) || out=
        ;;
    stat)
        local n=$N_STAT_SANDBOX
        [[ $env == native ]] && n=$N_STAT_NATIVE
        out=$(run_in "$env" "$BUILD/stat" "$SMALL" "$n" </dev/null 2>/dev/null) || out=
        ;;
    seqread)
        local n=$N_SEQ_SANDBOX
        [[ $env == native ]] && n=$N_SEQ_NATIVE
        out=$(run_in "$env" "$BUILD/seqread" "$SEQ" "$n" </dev/null 2>/dev/null) || out=
        ;;
    pipe)
        local n=$MB_PIPE_SANDBOX
        [[ $env == native ]] && n=$MB_PIPE_NATIVE
        out=$(run_in "$env" "$BUILD/pipe" "$n" </dev/null 2>/dev/null) || out=
        ;;
    startup)
        # Whole runs of `<sandbox> /bin/true`, timed from outside.
        local n=$N_START_SANDBOX cmd=()
        case $env in
        native) n=$N_START_NATIVE cmd=(/bin/true) ;;
        husk) cmd=("$HUSK" do -- /bin/true) ;;
        runsc) cmd=("$RUNSC" --network=none --platform=ptrace do /bin/true) ;;
        esac
        out=$(timeout "$TMO" "$BUILD/timeit" "$n" "${cmd[@]}" </dev/null 2>/dev/null) || out=
        ;;
    esac
    echo "${out:-n/a}"
}

# ratio A B: A/B to two significant places, or n/a.
ratio() {
    if [[ $1 == n/a || $2 == n/a ]]; then
        echo n/a
    else
        awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else { r = a / b; printf (r >= 10 ? "%.0fx\n" : "%.2gx\n"), r } }'
    fi
}

rows=()
row() { # NAME NATIVE HUSK RUNSC [shown values...]
    local name=$1 n=$2 h=$3 r=$4 sn=${5:-$2} sh=${6:-$3} sr=${7:-$4}
    rows+=("| $name | $sn | $sh | $sr | $(ratio "$h" "$n") | $(ratio "$r" "$h") |")
}

echo "running probes (native, husk, runsc)..." >&2
declare -A res
probes=(getppid startup forkexec openread stat seqread pipe)
for probe in "${probes[@]}"; do
    for env in native husk runsc; do
        echo "  $probe / $env" >&2
        res[$probe,$env]=$(measure "$env" "$probe")
    done
done
for probe in "${probes[@]}"; do
    for env in native husk runsc; do
        if [[ ${res[$probe,$env]} == n/a ]] && available "$env"; then
            notes+=("$env: probe $probe failed or timed out")
        fi
    done
done

row "getppid, ns per call" "${res[getppid,native]}" "${res[getppid,husk]}" "${res[getppid,runsc]}"
# start-up: ratios use the mean; cells show "mean / median".
mean() { [[ $1 == n/a ]] && echo n/a || echo "${1%% *}"; }
cell() { [[ $1 == n/a ]] && echo n/a || echo "${1%% *} / ${1##* }"; }
row "\`/bin/true\` start-up, ms (mean / median)" \
    "$(mean "${res[startup,native]}")" "$(mean "${res[startup,husk]}")" "$(mean "${res[startup,runsc]}")" \
    "$(cell "${res[startup,native]}")" "$(cell "${res[startup,husk]}")" "$(cell "${res[startup,runsc]}")"
row "fork + execve(/bin/true) + wait, us per iteration" "${res[forkexec,native]}" "${res[forkexec,husk]}" "${res[forkexec,runsc]}"
row "open + read + close of a small file, us per iteration" "${res[openread,native]}" "${res[openread,husk]}" "${res[openread,runsc]}"
row "stat of a path, us per call" "${res[stat,native]}" "${res[stat,husk]}" "${res[stat,runsc]}"
row "sequential read of a cached $SEQ_MB MiB file, 64 KiB reads, GB/s (higher is better)" \
    "${res[seqread,native]}" "${res[seqread,husk]}" "${res[seqread,runsc]}"
row "pipe throughput between two processes, 64 KiB writes, GB/s (higher is better)" "${res[pipe,native]}" "${res[pipe,husk]}" "${res[pipe,runsc]}"

echo
echo "husk benchmarks, $(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r)"
[[ -x $RUNSC ]] && echo "runsc: $("$RUNSC" --version 2>/dev/null | head -n 1)"
echo
echo "| probe | native | husk (ptrace) | runsc (ptrace) | husk/native | runsc/husk |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"

# OCI start-up: `<runtime> run` of one bundle (a busybox rootfs running /bin/true), as
# containerd and podman call the runtime; husk vs runc vs runsc in the same run.
oci_startup() {
    local bundle=$BUILD/oci-bundle
    if [[ ! -x $bundle/rootfs/bin/busybox ]]; then
        rm -rf "$bundle"
        mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/proc" "$bundle/rootfs/dev" "$bundle/rootfs/sys"
        cp /bin/busybox "$bundle/rootfs/bin/busybox"
        ln -s busybox "$bundle/rootfs/bin/true"
        ln -s busybox "$bundle/rootfs/bin/sh"
    fi
    if command -v runc >/dev/null; then
        rm -f "$bundle/config.json"
        (cd "$bundle" && runc spec)
    elif ((have_husk)); then
        rm -f "$bundle/config.json"
        "$HUSK" spec --bundle "$bundle"
    else
        return
    fi
    sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/true"/' "$bundle/config.json"
    local n=$N_START_SANDBOX
    local -A oci
    local rt cmd
    for rt in runc husk runsc; do
        echo "  oci start-up / $rt" >&2
        case $rt in
        runc) command -v runc >/dev/null || { oci[$rt]=n/a; continue; }
              cmd=(runc --root "$BUILD/oci-root-runc" run --bundle "$bundle" bench-runc) ;;
        husk) ((have_husk)) || { oci[$rt]=n/a; continue; }
              cmd=("$HUSK" --root "$BUILD/oci-root-husk" run --bundle "$bundle" bench-husk) ;;
        runsc) ((have_runsc)) || { oci[$rt]=n/a; continue; }
               cmd=("$RUNSC" --root "$BUILD/oci-root-runsc" --network=none --platform=ptrace run --bundle "$bundle" bench-runsc) ;;
        esac
        oci[$rt]=$(timeout "$TMO" "$BUILD/timeit" "$n" "${cmd[@]}" </dev/null 2>/dev/null) || oci[$rt]=n/a
        [[ ${oci[$rt]} == n/a ]] && notes+=("$rt: \`run\` of the OCI bundle failed or timed out")
    done
    # podman run --rm of the same rootfs, imported into a private store.
    local -A pod
    local store=$BUILD/podman-store
    if command -v podman >/dev/null; then
        local P=(podman --root "$store/root" --runroot "$store/run" --tmpdir "$store/tmp")
        local U=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768 --network none)
        if ! "${P[@]}" image exists localhost/husk-bench 2>/dev/null; then
            tar -C "$bundle/rootfs" -cf "$BUILD/bench-rootfs.tar" .
            "${P[@]}" import "$BUILD/bench-rootfs.tar" localhost/husk-bench >/dev/null 2>&1 || true
        fi
        for rt in runc husk runsc; do
            echo "  podman start-up / $rt" >&2
            case $rt in
            runc) command -v runc >/dev/null || { pod[$rt]=n/a; continue; }
                  cmd=("${P[@]}" --runtime "$(command -v runc)" run --rm "${U[@]}" localhost/husk-bench /bin/true) ;;
            husk) ((have_husk)) || { pod[$rt]=n/a; continue; }
                  cmd=("${P[@]}" --runtime "$HUSK" run --rm "${U[@]}" localhost/husk-bench /bin/true) ;;
            runsc) ((have_runsc)) || { pod[$rt]=n/a; continue; }
                   cmd=("${P[@]}" --runtime "$RUNSC" --runtime-flag network=none --runtime-flag platform=ptrace \
                        run --rm "${U[@]}" localhost/husk-bench /bin/true) ;;
            esac
            pod[$rt]=$(timeout "$TMO" "$BUILD/timeit" "$n" "${cmd[@]}" </dev/null 2>/dev/null) || pod[$rt]=n/a
            [[ ${pod[$rt]} == n/a ]] && notes+=("$rt: \`podman run --rm\` failed or timed out")
        done
    else
        pod[runc]=n/a pod[husk]=n/a pod[runsc]=n/a
        notes+=("podman: not installed (apt-get install -y podman)")
    fi
    echo
    echo "| OCI start-up, ms (mean / median) | runc | husk (ptrace) | runsc (ptrace) | husk/runc | runsc/husk |"
    echo "|---|---|---|---|---|---|"
    echo "| \`<runtime> run\` of a bundle (busybox, /bin/true) | $(cell "${oci[runc]}") | $(cell "${oci[husk]}") | $(cell "${oci[runsc]}") | $(ratio "$(mean "${oci[husk]}")" "$(mean "${oci[runc]}")") | $(ratio "$(mean "${oci[runsc]}")" "$(mean "${oci[husk]}")") |"
    echo "| \`podman run --rm IMG /bin/true\` (--network none) | $(cell "${pod[runc]}") | $(cell "${pod[husk]}") | $(cell "${pod[runsc]}") | $(ratio "$(mean "${pod[husk]}")" "$(mean "${pod[runc]}")") | $(ratio "$(mean "${pod[runsc]}")" "$(mean "${pod[husk]}")") |"
}
oci_startup

if ((${#notes[@]})); then
    echo
    for n in "${notes[@]}"; do echo "- $n"; done
fi
