# Shell arithmetic and test(1) comparisons.
echo $((1 + 2 * 3)) $(( (1 + 2) * 3 )) $((17 / 5)) $((17 % 5)) $((-17 / 5))
echo $((1 << 10)) $((255 & 15)) $((8 | 3)) $((6 ^ 3)) $((~0))
echo $((0x1F)) $((010)) $((2147483647 + 1)) $((9223372036854775807))
a=7; b=3
echo $((a > b)) $((a == b)) $((a != b)) $((a >= 7 && b <= 3)) $((a < b || 1))
: $((a += 5)); echo "a=$a"
echo $((a > 10 ? 100 : 200))
f=1; k=1; while [ $k -le 20 ]; do f=$((f * k)); k=$((k + 1)); done; echo "20! = $f"
test 5 -gt 3 && echo "5 > 3"
[ 2 -le 1 ] || echo "not 2 <= 1"
[ abc = abc ] && [ abc != abd ] && echo "string compare ok"
[ -z "" ] && [ -n x ] && echo "empty/non-empty ok"
expr 6 \* 7
echo "3 * 4 + 1" | bc 2>/dev/null || echo 13
