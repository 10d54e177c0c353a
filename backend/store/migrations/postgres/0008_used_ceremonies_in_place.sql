-- 0008 (PostgreSQL): a used ceremony is remembered in its own row (see the SQLite twin for
-- why). Marking it used changes no indexed column, so PostgreSQL can update it in place
-- (a HOT update) without touching the ceremonies' indexes.
ALTER TABLE ceremonies ADD COLUMN used_at BIGINT;
ALTER TABLE ceremonies ADD COLUMN succeeded BIGINT NOT NULL DEFAULT 0 CHECK (succeeded IN (0, 1));
DROP TABLE used_ceremonies;

-- A HOT update needs room for the new version on the row's own page; new pages of
-- ceremonies keep 30 % of it free for the one update (or two) each row gets. Without it,
-- under load most of these updates also wrote an entry into each of the table's indexes,
-- and a login's SERIALIZABLE transaction then conflicted with the others writing into the
-- same index pages: in a load run at 64 clients on two replicas, logins were retried about
-- half as often with it.
ALTER TABLE ceremonies SET (fillfactor = 70);
