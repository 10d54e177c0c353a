-- 0009 (PostgreSQL): a session logged in with a passkey ends when that passkey is removed
-- (see the SQLite twin for why).
ALTER TABLE sessions ADD COLUMN passkey_id BIGINT REFERENCES passkeys (id) ON DELETE SET NULL;

CREATE INDEX sessions_by_passkey ON sessions (passkey_id);
