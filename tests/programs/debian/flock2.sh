# flock(1) from two processes: the second waits for the first.
command -v flock >/dev/null || { echo "no flock"; exit 0; }
d=$(mktemp -d)
( flock 9; echo "first has it"; sleep 0.3; echo "first done" ) 9>"$d/lock" &
sleep 0.1
( flock 9; echo "second has it" ) 9>"$d/lock"
wait
flock -n "$d/lock" true && echo "free at the end"
rm -rf "$d"
