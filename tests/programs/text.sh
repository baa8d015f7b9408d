# Text processing with sed, awk, cut, tr, grep on /etc/passwd-like input.
data='root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
bin:x:2:2:bin:/bin:/usr/sbin/nologin
sys:x:3:3:sys:/dev:/usr/sbin/nologin
alice:x:1000:1000:Alice,,,:/home/alice:/bin/sh'
echo "$data" | cut -d: -f1,3 | tr ':' ' '
echo "$data" | awk -F: '$3 >= 1000 { print $1 " is a user" } $7 ~ /nologin/ { n++ } END { print n " nologin" }'
echo "$data" | sed -n '2,3p'
echo "$data" | sed 's/:x:/:*:/; s/^\([a-z]*\):/[\1]:/' | head -n 2
echo "$data" | sed '/^sys/d' | wc -l
echo "$data" | grep -c nologin
echo "$data" | grep -v nologin | cut -d: -f6
echo "Hello World" | tr 'a-z' 'A-Z'
echo "aaabbbccc" | tr -s 'abc'
echo "remove digits 123 here 456" | tr -d '0-9'
awk 'BEGIN { for (i = 1; i <= 5; i++) printf "%d^2=%d\n", i, i * i; printf "%.3f\n", 22 / 7 }'
printf '3 c\n1 a\n2 b\n' | awk '{ a[$1] = $2 } END { for (k = 1; k <= 3; k++) print k, a[k] }'
echo "one two three" | awk '{ print NF, $NF, length($0) }'
printf 'k1=v1\nk2=v2\n' | sed -e 's/=/ -> /' -e 'y/kv/KV/'
