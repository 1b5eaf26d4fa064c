-- Loaded into the `rich` test database after ../shared/fixtures/pg18-rich.source.sql, before the
-- fixtures are dumped (see fixtures.ts). Content that exercises the archive reader and that the
-- shared source lacks or has only in small form. Deterministic: no random(), no now().

-- 5000 rows: the table's data spans many compressed 4 KB blocks in a custom archive.
create table public.bulk_rows(
  id int primary key,
  label text not null,
  digest text not null,
  amount numeric(10,2),
  day date
);
insert into public.bulk_rows
select g, 'row ' || g, md5(g::text), (g * 37 % 100000) / 100.0, date '2024-01-01' + g % 366
from generate_series(1, 5000) g;

-- A comment whose text holds a newline (and a quote).
comment on table public.bulk_rows is E'Five thousand rows.\nSecond line of the comment, with a \'quote\'.';

-- A table whose name holds a space and a double quote, in the public schema.
create table public."bulk ""odd"" name"(id int primary key, note text);
insert into public."bulk ""odd"" name" values (1, E'tab\there'), (2, E'new\nline'), (3, 'back\slash'), (4, null);

-- A large object with a known OID, larger than one 4 KB block, with a comment.
select lo_from_bytea(424242, convert_to(string_agg(md5(g::text), '' order by g), 'UTF8'))
from generate_series(1, 1000) g;
comment on large object 424242 is 'a large object with a known OID';
