# tar cJf and tar xJf of a directory tree from /usr/share.
d=$(mktemp -d)
tar cJf "$d/a.tar.xz" -C /usr/share common-licenses 2>/dev/null
mkdir "$d/x" && tar xJf "$d/a.tar.xz" -C "$d/x"
(cd "$d/x" && find . -type f | sort | xargs cat | sha256sum)
(cd /usr/share && find common-licenses -type f | sort | xargs cat | sha256sum)
rm -rf "$d"
