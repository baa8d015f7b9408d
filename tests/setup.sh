#!/usr/bin/env bash
# Installs what husk's tests and benchmarks need on Debian bookworm, as root (or through
# sudo), then builds the Debian rootfs of tests/debian_rootfs.rs (tests/rootfs-setup.sh,
# once; cached under /var/cache/husk-tests). Idempotent: when everything is in place it
# only checks, in well under a second.
set -euo pipefail

pkgs=(gcc libc6-dev busybox-static python3 perl sqlite3 git xz-utils procps util-linux strace runsc runc debootstrap podman containerd python3-grpcio python3-grpc-tools)

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

rootfs() {
    # Builds the Debian rootfs once; never fails (the tests that need it are then skipped).
    if [[ $(id -u) == 0 ]]; then
        bash "$(dirname "${BASH_SOURCE[0]}")/rootfs-setup.sh" || echo "setup: rootfs-setup.sh failed" >&2
    elif command -v sudo >/dev/null; then
        sudo -n bash "$(dirname "${BASH_SOURCE[0]}")/rootfs-setup.sh" || echo "setup: rootfs-setup.sh failed" >&2
    else
        echo "setup: not root: the Debian rootfs is not built, debian_rootfs tests will be skipped" >&2
    fi
}

if ((${#missing[@]} == 0)); then
    echo "setup: all test dependencies installed"
    rootfs
    exit 0
fi

sudo=()
if [[ $(id -u) != 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" >/dev/null
echo "setup: done"
rootfs
