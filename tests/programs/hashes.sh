# Checksums of generated data and of a host file.
seq 1 10000 | sha256sum
seq 1 10000 | md5sum
printf 'abc' | sha1sum
printf '' | sha256sum
dd if=/dev/zero bs=1024 count=256 2>/dev/null | sha256sum
head -c 100000 /bin/busybox | sha256sum
yes 0123456789 | head -c 1000000 | sha512sum | cut -c1-64
echo hello | od -An -tx1
printf 'hello world' | base64
printf 'aGVsbG8gd29ybGQ=' | base64 -d; echo
