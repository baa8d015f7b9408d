# sqlite3: 100,000 rows in one transaction, then an indexed query.
command -v sqlite3 >/dev/null || { echo "no sqlite3"; exit 0; }
d=$(mktemp -d)
sqlite3 "$d/t.db" "create table t(a integer, b text);
begin;
with recursive c(x) as (select 1 union all select x+1 from c where x < 100000)
insert into t select x, 'k' || (x % 977) from c;
commit;
create index ib on t(b);
select count(*), sum(a) from t where b = 'k42';
select b, count(*) from t group by b order by count(*) desc, b limit 3;"
rm -rf "$d"
