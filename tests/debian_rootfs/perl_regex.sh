# perl: generate a 200,000-line log file, then regexes, captures, substitutions, a hash.
perl -e 'for my $i (1..200000) { printf "%05d user%d GET /p/%x?q=%d %d\n", $i, $i % 97, $i * 31, $i % 13, ($i * 7919) % 1000 }' > gen.log
wc -l < gen.log
perl -ne '$n{$1}++ if m{^\d+ (user\d*7) GET /p/([0-9a-f]+)\?q=(\d+) (\d+)$} && $3 > 6 && $4 % 2 == 0;
    END { print map { "$_ $n{$_}\n" } (sort { $n{$b} <=> $n{$a} || $a cmp $b } keys %n)[0..4] }' gen.log
perl -pe 's/user(\d+)/"U" . ($1 * 2)/e; s/\?q=\d+//; tr/a-f/A-F/' gen.log | sha256sum
perl -lne 'print for /\b([0-9a-f]{4,})\b/g' gen.log | sort -u | wc -l
perl -e 'my $s = join ",", map { $_ ** 2 } 1..50; my @m = $s =~ /(\d*5),/g; print scalar(@m), " @m[0..4]\n"; print "ok\n" if "aaab" =~ /^(a+)+b$/'
