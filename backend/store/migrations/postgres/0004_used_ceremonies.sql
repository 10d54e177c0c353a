-- 0004 (PostgreSQL): ceremonies that have been finished, remembered for a while with how
-- they ended (see the SQLite twin for why).
CREATE TABLE used_ceremonies (
    id         TEXT    PRIMARY KEY,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('registration', 'login_email', 'login_discoverable', 'reauth')),
    account_id BIGINT  REFERENCES accounts (id) ON DELETE CASCADE,
    session_id BIGINT  REFERENCES sessions (id) ON DELETE CASCADE,
    succeeded  BIGINT  NOT NULL DEFAULT 0 CHECK (succeeded IN (0, 1)),
    forget_at  BIGINT  NOT NULL
);

CREATE INDEX used_ceremonies_by_forget_at ON used_ceremonies (forget_at);
CREATE INDEX used_ceremonies_by_session ON used_ceremonies (session_id);
CREATE INDEX used_ceremonies_by_account ON used_ceremonies (account_id);
