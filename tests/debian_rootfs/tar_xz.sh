# tar cJf and tar xJf of /usr/share (xz preset 0, to keep it under a minute); compares
# checksums of the listing and of the contents, not timestamps (nor directory sizes, which
# depend on the file system).
export XZ_OPT=-0
tar cJf share.tar.xz -C / usr/share
echo "tar c exit $?"
mkdir x && tar xJf share.tar.xz -C x
echo "tar x exit $?"
tar tJf share.tar.xz | sort | sha256sum
listing() {
    (cd "$1" && find usr/share \( -type f -printf '%p f %s %m\n' \) -o -printf '%p %y %m %l\n' | LC_ALL=C sort)
}
listing / > orig
listing x > copy
cmp orig copy && echo "listings equal"
sha256sum < orig
(cd x && find usr/share -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | sha256sum)
(cd / && find usr/share -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | sha256sum)
