# Subshells and command substitution: variables do not leak out of a subshell.
x=outer
(x=inner; echo "in subshell: $x")
echo "after subshell: $x"
y=$(echo nested $(echo deeper $(echo deepest)))
echo "$y"
z=`echo backticks`
echo "$z"
count=$(seq 1 50 | wc -l)
echo "count=$((count + 0))"
(cd /; pwd)
echo "subshell status: $( (exit 3); echo $?)"
(exit 4) || echo "subshell exited $?"
{ echo group1; echo group2; } | wc -l
lines=$(printf 'one\ntwo\nthree\n')
echo "$lines" | tail -n 1
echo "${#lines} chars"
