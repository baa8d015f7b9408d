# case statements, glob patterns, parameter expansion.
for w in apple banana cherry 42 "" x.tar.gz; do
  case "$w" in
    a*) echo "$w: starts with a" ;;
    *an*) echo "$w: contains an" ;;
    [0-9]*) echo "$w: number" ;;
    '') echo "(empty)" ;;
    *.tar.gz|*.tgz) echo "$w: tarball" ;;
    *) echo "$w: other" ;;
  esac
done
p=/usr/local/lib/libfoo.so.1
echo "${p##*/} ${p%/*} ${p#/usr/} ${p%%.*}"
s=HelloWorld
echo "${#s} ${s:-default} ${unset_var:-default} ${s:5} ${s:0:5}"
: "${assigned:=now set}"; echo "$assigned"
set -- one two three
echo "$# $1 $3 $*"
shift; echo "$# $1"
abc=a:b:c; IFS=:; set -- $abc; echo "$2 of $#"; unset IFS
