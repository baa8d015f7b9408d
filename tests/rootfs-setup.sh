#!/usr/bin/env bash
# Builds the Debian bookworm rootfs that tests/debian_rootfs.rs runs its workloads in, once:
# debootstrap (minbase plus the workloads' packages) from the mirror apt uses here, into
# $HUSK_TEST_ROOTFS (default /var/cache/husk-tests/bookworm). A stamp file next to it,
# holding the package list, marks a complete build; with the stamp present and matching,
# this only checks. About 1-2 minutes on a 2-CPU VM with a nearby mirror.
#
# HUSK_TEST_MIRROR overrides the mirror. Never fails the caller: without network (or root)
# it prints why and exits 0, and the debian_rootfs tests are then skipped with a note.
# Called by tests/setup.sh.
set -uo pipefail

dir=${HUSK_TEST_ROOTFS:-/var/cache/husk-tests/bookworm}
stamp=$dir.stamp
include=python3,perl,sqlite3,gcc,libc6-dev,git,xz-utils,procps,busybox,util-linux
want="bookworm minbase $include"

if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $dir/bin/sh ]]; then
    echo "rootfs-setup: $dir is ready"
    exit 0
fi
warn() { echo "rootfs-setup: WARNING: $*; the debian_rootfs tests will be skipped" >&2; exit 0; }
[[ $(id -u) == 0 ]] || warn "need root to build $dir"
command -v debootstrap >/dev/null || warn "debootstrap is not installed"

# The Debian mirror apt uses: the first bookworm source that is not the security archive,
# in one-line (sources.list) or deb822 (*.sources) format.
mirror() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r $f ]] || continue
        awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($i ~ /^\[/ || $i ~ /\]$/) i++;
             if ($(i+1) == "bookworm" && $i !~ /security/) { print $i; exit } }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -r $f ]] || continue
        # Paragraphs: remember URIs and Suites, print the URI of one that has bookworm.
        awk 'BEGIN { RS = ""; FS = "\n" }
             { u = ""; s = ""; t = 0
               for (k = 1; k <= NF; k++) {
                 if ($k ~ /^URIs:/) { u = $k; sub(/^URIs:[ \t]*/, "", u); split(u, a, /[ \t]+/); u = a[1] }
                 if ($k ~ /^Suites:/) { s = " " $k " " }
                 if ($k ~ /^Types:.*deb([ \t]|$)/) t = 1
               }
               if (t && u != "" && s ~ /[ \t]bookworm[ \t]/ && u !~ /security/) { print u; exit } }' "$f"
    done
}
url=$(mirror | head -n 1)
url=${HUSK_TEST_MIRROR:-${url:-http://deb.debian.org/debian}}

mkdir -p "$(dirname "$dir")" || warn "cannot create $(dirname "$dir")"
exec 9>"$dir.lock"
flock 9
# Another setup may have finished the build while this one waited for the lock.
if [[ -f $stamp && $(cat "$stamp") == "$want" && -x $dir/bin/sh ]]; then
    echo "rootfs-setup: $dir is ready"
    exit 0
fi
rm -rf "$stamp" "$dir" "$dir.tmp"
echo "rootfs-setup: debootstrap bookworm from $url into $dir (1-2 minutes)"
start=$SECONDS
if ! debootstrap --variant=minbase --include="$include" bookworm "$dir.tmp" "$url" \
    >"$dir.log" 2>&1; then
    tail -n 5 "$dir.log" >&2
    rm -rf "$dir.tmp"
    warn "debootstrap failed (full log: $dir.log)"
fi
# The downloaded packages are not needed any more.
rm -f "$dir.tmp"/var/cache/apt/archives/*.deb
mv "$dir.tmp" "$dir"
echo "$want" >"$stamp"
echo "rootfs-setup: built $dir in $((SECONDS - start)) s"
