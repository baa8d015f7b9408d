#!/usr/bin/env bash
# husk benchmarks: each probe natively, under husk (ptrace) and under gVisor's runsc
# (ptrace), printed as one Markdown table with the ratios husk/native and runsc/husk.
#
# Usage: bash bench/run.sh            full run (about 1-3 minutes)
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
else
    N_PPID_NATIVE=2000000 N_PPID_SANDBOX=20000
    N_START_NATIVE=50 N_START_SANDBOX=10
    N_FORK_NATIVE=500 N_FORK_SANDBOX=50
fi

command -v gcc >/dev/null || { echo "bench: gcc is missing (bash tests/setup.sh)" >&2; exit 1; }
mkdir -p "$BUILD"
for p in getppid forkexec timeit; do
    src=$ROOT/bench/probes/$p.c
    if [[ ! -x $BUILD/$p || $src -nt $BUILD/$p ]]; then
        gcc -static -O2 -Wall -o "$BUILD/$p" "$src"
    fi
done

notes=()

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
for probe in getppid startup forkexec; do
    for env in native husk runsc; do
        echo "  $probe / $env" >&2
        res[$probe,$env]=$(measure "$env" "$probe")
    done
done
for probe in getppid startup forkexec; do
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

echo
echo "husk benchmarks, $(date -u +%Y-%m-%d), $(nproc) CPUs, kernel $(uname -r)"
[[ -x $RUNSC ]] && echo "runsc: $("$RUNSC" --version 2>/dev/null | head -n 1)"
echo
echo "| probe | native | husk (ptrace) | runsc (ptrace) | husk/native | runsc/husk |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
if ((${#notes[@]})); then
    echo
    for n in "${notes[@]}"; do echo "- $n"; done
fi
