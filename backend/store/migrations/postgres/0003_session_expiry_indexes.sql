-- 0003 (PostgreSQL): indexes for clearing out ended sessions (see the SQLite twin for why).
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX sessions_by_last_seen ON sessions (last_seen_at);
CREATE INDEX ceremonies_by_session ON ceremonies (session_id);
