-- 0008 (PostgreSQL): a used ceremony is remembered in its own row (see the SQLite twin for
-- why). Marking it used changes no indexed column, so PostgreSQL can update it in place
-- (a HOT update) without touching the ceremonies' indexes.
ALTER TABLE ceremonies ADD COLUMN used_at BIGINT;
ALTER TABLE ceremonies ADD COLUMN succeeded BIGINT NOT NULL DEFAULT 0 CHECK (succeeded IN (0, 1));
DROP TABLE used_ceremonies;
