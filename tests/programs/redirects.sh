# Redirections: stderr, fd duplication, append, /dev/null, noclobber-free overwrite.
d=$(mktemp -d /tmp/husk-prog-redir.XXXXXX) || exit 1
trap 'rm -rf "$d"' EXIT
echo to-stderr 1>&2 2>/dev/null
{ echo out; echo err >&2; } > "$d/out" 2> "$d/err"
echo "out=$(cat "$d/out") err=$(cat "$d/err")"
{ echo one; echo two >&2; } > "$d/both" 2>&1
sort "$d/both" | tr '\n' ' '; echo
exec 4> "$d/fd4"
echo via-fd4 >&4
echo again >&4
exec 4>&-
cat "$d/fd4"
echo line1 > "$d/ap"; echo line2 >> "$d/ap"; wc -l < "$d/ap"
ls /nonexistent-husk-dir 2>/dev/null || echo "ls failed quietly"
cat < /dev/null | wc -c
echo hi > /dev/null && echo "dev null ok"
exec 5<> "$d/rw"
echo rw >&5
exec 5>&-
cat "$d/rw"
head -c 16 /dev/zero | od -An -tx1 | tr -s ' '
