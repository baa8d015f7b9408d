# sqlite3: 100,000 rows inserted in one transaction, an index, indexed queries.
sqlite3 t.db "create table t(id integer primary key, a integer, b text);
begin;
with recursive c(x) as (select 1 union all select x + 1 from c where x < 100000)
insert into t(a, b) select (x * 7919) % 100003, 'k' || (x % 977) from c;
commit;
create index ib on t(b);
create index ia on t(a);
select count(*), sum(a) from t where b = 'k42';
select b, count(*) from t group by b order by count(*) desc, b limit 3;
select id, a from t where a between 500 and 520 order by a;
explain query plan select * from t where b = 'k1';"
echo "sqlite3 exit $?"
sqlite3 t.db "pragma integrity_check; select count(*) from t;"
ls -l t.db | awk '{ print $5 > 0 }'
