-- 0007 (PostgreSQL): removing passkeys counts as one change (see the SQLite twin for why).
ALTER TABLE sessions ADD COLUMN login_grace_kept_for TEXT NOT NULL DEFAULT ''
    CHECK (login_grace_kept_for IN ('', 'remove-passkey'));
