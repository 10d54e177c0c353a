-- 0003: indexes for clearing out ended sessions.

-- Every login deletes the sessions that have ended (session.Store.deleteExpired:
-- expires_at <= now OR last_seen_at <= now - idle). Without these, that DELETE read every
-- session row, so each login got slower as sessions built up; with one index per side of
-- the OR, SQLite looks up only the rows that have ended (a MULTI-INDEX OR plan).
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);

-- Deleting a session deletes its ceremonies (ON DELETE CASCADE), which read the whole
-- ceremonies table for each session without an index on the column.
CREATE INDEX ceremonies_by_session ON ceremonies (session_id);
