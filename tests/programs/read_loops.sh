# read loops: field splitting, IFS, raw reads, reading from a file and a pipe.
d=$(mktemp -d /tmp/husk-prog-read.XXXXXX) || exit 1
trap 'rm -rf "$d"' EXIT
printf 'alpha 1\nbeta 2\ngamma 3\n' > "$d/in"
while read -r name num; do echo "$num:$name"; done < "$d/in"
total=0
while read -r _ num; do total=$((total + num)); done < "$d/in"
echo "total=$total"
printf 'a:b:c\nd:e:f\n' | while IFS=: read -r x y z; do echo "$z$y$x"; done
printf 'back\\slash\n' | { read -r raw; echo "$raw"; }
printf 'no newline at end' | { read -r line; echo "read status $? [$line]"; }
exec 3< "$d/in"
read -r first <&3
read -r second <&3
exec 3<&-
echo "$first / $second"
n=0
seq 1 500 | while read -r v; do n=$((n + v)); [ "$v" = 500 ] && echo "pipe loop n=$n"; done
