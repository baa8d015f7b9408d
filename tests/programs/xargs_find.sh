# xargs and find over a generated tree.
d=$(mktemp -d /tmp/husk-prog-xargs.XXXXXX) || exit 1
trap 'rm -rf "$d"' EXIT
for i in $(seq 1 12); do mkdir -p "$d/dir$((i % 3))"; echo "content $i" > "$d/dir$((i % 3))/file$i.txt"; done
find "$d" -type f | wc -l
find "$d" -name 'file1*.txt' | sed "s|$d/||" | sort
find "$d" -type f | sort | xargs cat | sort | head -n 3
find "$d" -type f | sort | xargs -n 4 echo | wc -l
seq 1 10 | xargs -n 3 echo
echo a b c d | xargs -n 1 | tr '\n' ','
echo
find "$d" -type f -name '*.txt' | sort | xargs grep -l 'content 1' | sed "s|$d/||"
find "$d" -type d | sed "s|$d||" | sort
find "$d" -type f | xargs rm
find "$d" -type f | wc -l
