# top -b -n1: runs and prints its summary and the task header.
top -b -n1 > top.out
echo "top exit $?"
head -c 6 top.out; echo
grep -c '^Tasks:' top.out
grep -c 'PID USER' top.out
