# Pipelines: data through several processes, pipe status, large streams.
seq 1 2000 | sort -r | head -n 5
seq 1 2000 | grep 7 | wc -l
echo "the quick brown fox jumps over the lazy dog the end" | tr ' ' '\n' | sort | uniq -c | sort -k1,1nr -k2 | head -n 4
# A stream bigger than a pipe buffer (about 588 KiB).
seq 1 100000 | awk '{ s += $1 } END { print "sum", s }'
yes hello | head -n 30000 | wc -c
# The status of a pipeline is the status of its last command.
false | true; echo "false|true -> $?"
true | false; echo "true|false -> $?"
# A reader that exits early: the writer gets SIGPIPE, the pipeline still completes.
seq 1 1000000 | head -n 1
printf 'a\nb\nc\n' | cat | cat | cat | tac
