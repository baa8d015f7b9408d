# Exit codes: commands, &&/||, set -e in a subshell, signals, and the script's own status.
true; echo "true $?"
false; echo "false $?"
sh -c 'exit 42'; echo "sh exit $?"
sh -c 'kill -TERM $$'; echo "killed by TERM $?"
nonexistent_command_husk 2>/dev/null; echo "missing command $?"
/etc/passwd 2>/dev/null; echo "not executable $?"
! true; echo "negated $?"
false && echo "not printed" || echo "or branch"
( set -e; false; echo "not printed" ); echo "set -e subshell $?"
if grep -q root /etc/passwd; then echo "grep matched"; fi
grep -q no-such-user-husk /etc/passwd; echo "grep no match $?"
test -d /; echo "test -d $?"
exit 13
