-- 0004: ceremonies that have been finished, remembered for a while with how they ended.
--
-- A finish takes its ceremony out of `ceremonies` (single use). A second finish of the same
-- ceremony, most often a double click, used to find nothing and be told "This took too
-- long", even when the first had worked. Remembering the used ceremony lets the second be
-- told what happened (409 ceremony_used: it already worked), while it still changes
-- nothing. Only what that answer needs is kept: no challenge, no session data.
CREATE TABLE used_ceremonies (
    id         TEXT    PRIMARY KEY, -- the ceremony's id
    purpose    TEXT    NOT NULL CHECK (purpose IN ('registration', 'login_email', 'login_discoverable', 'reauth')),
    -- As in ceremonies: a second finish is bound to the same account and session as the first.
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    session_id INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
    -- 1: the finish that used it succeeded (a passkey stored, a login, a proof issued).
    succeeded  INTEGER NOT NULL DEFAULT 0 CHECK (succeeded IN (0, 1)),
    -- When it is forgotten (cleared with the expired ceremonies): 5 minutes after its use.
    forget_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX used_ceremonies_by_forget_at ON used_ceremonies (forget_at);
-- Deleting a session deletes its used ceremonies (ON DELETE CASCADE) through this index.
CREATE INDEX used_ceremonies_by_session ON used_ceremonies (session_id);
CREATE INDEX used_ceremonies_by_account ON used_ceremonies (account_id);
