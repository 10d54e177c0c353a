-- 0008: a used ceremony is remembered in its own row, not moved to another table.
--
-- Since 0004 a finish deleted its ceremony and inserted what a second finish needs to know
-- into used_ceremonies. Each of those two tables has three indexes beside its rows, so every
-- finish wrote nine B-tree pages for this alone, each one a page appended to the WAL and
-- synced with the login (issue 21: a passkey login's commit is most of its cost). Marking the
-- row used changes no indexed column, so it writes one page.
--
-- A ceremony is open while used_at is NULL. A finish sets used_at in the statement that
-- consumes it (... WHERE used_at IS NULL, so only one finish can), and empties what only an
-- open ceremony needs: the challenge (session_data), the email's lockout key (subject) and
-- the proof (reauth_proof). What stays is what a second finish's answer needs: the purpose,
-- the account and session it is bound to, and whether the first succeeded.
--
-- The ceremonies remembered in used_ceremonies when this runs are dropped: at worst the second
-- finish of a ceremony finished in the 5 minutes before the upgrade is told the ceremony took
-- too long instead of that it already worked. Nothing a patient saved is in them.
ALTER TABLE ceremonies ADD COLUMN used_at INTEGER;
ALTER TABLE ceremonies ADD COLUMN succeeded INTEGER NOT NULL DEFAULT 0 CHECK (succeeded IN (0, 1));
DROP TABLE used_ceremonies;
