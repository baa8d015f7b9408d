# for, while, until, break, continue, nested loops.
for i in 1 2 3 4 5; do
  [ "$i" = 3 ] && continue
  echo "for $i"
done
i=0
while [ $i -lt 10 ]; do
  i=$((i + 1))
  [ $i -eq 7 ] && break
done
echo "while stopped at $i"
n=5
until [ $n -le 0 ]; do printf '%s ' "$n"; n=$((n - 1)); done
echo
for a in x y; do for b in 1 2 3; do
  [ "$b" = 2 ] && continue 2
  echo "$a$b"
done; done
total=0
for w in $(seq 1 100); do total=$((total + w)); done
echo "total=$total"
for f in /etc/passwd /etc/group /nonexistent; do
  if [ -e "$f" ]; then echo "$f exists"; else echo "$f missing"; fi
done
