# sort -S of a generated file, find over /usr, ps aux and top -b run.
d=$(mktemp -d)
seq 1 300000 | awk '{ print ($1 * 7919) % 100003, $1 }' > "$d/in"
sort -S 64M -n "$d/in" | md5sum
find /usr -name '*.so*' | wc -l
ps aux > "$d/ps" && head -1 "$d/ps"
top -b -n1 > "$d/top" && echo "top ran: $?"
rm -rf "$d"
