# ps aux: the header (column widths depend on pid_max), and the shape of ps's own line
# (values vary from run to run; its state is R natively, S under husk).
ps aux > ps.out
echo "ps exit $?"
head -n 1 ps.out | tr -s ' '
awk '$11 == "ps" && $12 == "aux" {
    print $1, ($2 ~ /^[0-9]+$/), ($3 ~ /^[0-9.]+$/), ($4 ~ /^[0-9.]+$/), ($5 ~ /^[0-9]+$/), ($6 ~ /^[0-9]+$/),
        $7, ($8 ~ /^[RS]/), ($9 ~ /^[0-9][0-9]:[0-9][0-9]$|^[A-Z][a-z][a-z][0-9]+$|^[0-9]+$/), ($10 ~ /^[0-9]+:[0-9][0-9]$/), NF }' ps.out
awk 'NR > 1 && $2 == 1 { print "pid 1:", $11 }' ps.out
ps -o pid=,ppid=,comm= -p $$ | awk '{ print ($1 > 0), ($2 >= 0), $3 }'
