# flock(1) from two processes: the second waits until the first releases the lock.
( flock 9; echo "first has it"; sleep 0.3; echo "first done" ) 9> lock &
sleep 0.1
( flock 9; echo "second has it" ) 9> lock
wait
flock -n lock true && echo "free at the end"
( flock -x 9; sleep 0.5 ) 9> lock &
sleep 0.1
flock -n lock true; echo "nonblocking while held: $?"
flock -w 2 lock echo "waited and got it"
wait
