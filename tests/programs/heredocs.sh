# Here-documents: expanded, quoted, tab-stripped, and fed to commands.
name=husk
cat <<END
name is $name
sum is $((2 + 3))
END
cat <<'END'
literal $name $((2 + 3))
END
cat <<-END
	tabs stripped for $name
	END
wc -l <<END
1
2
3
END
sort -n <<END | tail -n 2
30
4
100
7
END
while read -r a b; do echo "$b-$a"; done <<END
1 one
2 two
END
