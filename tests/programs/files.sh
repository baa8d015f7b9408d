# Files under a private /tmp directory: create, append, copy, move, link, remove, find.
d=$(mktemp -d /tmp/husk-prog-files.XXXXXX) || exit 1
trap 'rm -rf "$d"' EXIT
cd "$d" || exit 1
echo first > a.txt
echo second >> a.txt
cp a.txt b.txt
mv b.txt c.txt
ln -s a.txt link.txt
ln a.txt hard.txt
mkdir -p sub/deeper
seq 1 100 > sub/deeper/nums
printf 'x%.0s' $(seq 1 5000) > sub/big
cat link.txt
[ -L link.txt ] && echo "link.txt is a symlink to $(readlink link.txt)"
[ -f c.txt ] && [ ! -e b.txt ] && echo "moved"
echo "sizes: $(wc -c < a.txt) $(wc -c < sub/big) $(wc -l < sub/deeper/nums)"
find . | sort
find . -type f -name '*.txt' | sort
chmod 600 c.txt
ls -l c.txt | cut -c1-10
rm a.txt
cat hard.txt
[ -e link.txt ] || echo "dangling link now"
rm -r sub
find . | sort
touch empty; [ -s empty ] || echo "empty is empty"
: > c.txt; echo "c.txt truncated to $(wc -c < c.txt)"
cd / && rm -rf "$d" && [ ! -d "$d" ] && echo "cleaned up"
