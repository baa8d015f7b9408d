# sort -S 64M of a generated ~50 MB file.
awk 'BEGIN { for (i = 1; i <= 3500000; i++) print (i * 7919) % 1000003, i }' > in
wc -c < in
sort -S 64M -n -k1,1 -k2,2n in | sha256sum
sort -S 64M in | sha256sum
