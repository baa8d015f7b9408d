# Functions: arguments, return codes, recursion, scope.
greet() { echo "hello, $1 ($# args)"; }
greet world extra
fib() {
  if [ "$1" -lt 2 ]; then echo "$1"; return; fi
  echo $(( $(fib $(($1 - 1))) + $(fib $(($1 - 2))) ))
}
echo "fib 8 = $(fib 8)"
is_even() { [ $(($1 % 2)) -eq 0 ]; }
for n in 1 2 3 4; do
  if is_even "$n"; then echo "$n even"; else echo "$n odd"; fi
done
ret() { return "$1"; }
ret 0; echo "ret 0 -> $?"
ret 5; echo "ret 5 -> $?"
counter=0
bump() { counter=$((counter + 1)); }
bump; bump; bump
echo "counter=$counter"
scoped() { local v=inside; echo "$v"; }
v=outside; scoped; echo "$v"
sum_all() { s=0; for x in "$@"; do s=$((s + x)); done; echo "$s"; }
sum_all 1 2 3 4 5 6 7 8 9 10
