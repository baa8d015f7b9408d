# Background jobs and wait: statuses, several concurrent writers.
d=$(mktemp -d /tmp/husk-prog-jobs.XXXXXX) || exit 1
trap 'rm -rf "$d"' EXIT
for i in 1 2 3 4 5; do
  ( seq "$i" 5 40 > "$d/out.$i" ) &
done
wait
cat "$d"/out.* | sort -n | tr '\n' ' '
echo
(exit 7) &
p=$!
wait $p
echo "background job exited $?"
sleep 0.2 & sleep 0.1 &
wait
echo "both sleeps done"
{ echo from-group; } > "$d/g" &
wait
cat "$d/g"
for i in 1 2 3; do (sleep 0.0$i; echo "job $i") & done | sort
