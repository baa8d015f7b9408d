# trap: EXIT handlers, signal handlers in the shell, traps in subshells.
trap 'echo "exit trap ran"' EXIT
trap 'echo "got USR1"' USR1
kill -USR1 $$
echo "after USR1"
trap 'echo "got TERM"; term=1' TERM
kill -TERM $$
echo "term=$term"
trap - TERM
( trap 'echo "subshell exit trap"' EXIT; echo "in subshell" )
( trap 'echo "caught INT in subshell"; exit 5' INT; sh -c 'kill -INT $PPID'; sleep 1 )
echo "subshell with INT trap exited $?"
( sh -c 'kill -KILL $PPID'; echo "not reached" )
echo "killed subshell status $?"
trap '' HUP
kill -HUP $$
echo "HUP ignored"
