-- 0002: re-authentication, login grace, lockouts, a server secret, richer audit events.

-- Ceremonies live for 5 minutes, so the table is rebuilt rather than altered (SQLite cannot
-- change a CHECK): a ceremony begun before the upgrade simply has to be begun again.
DROP TABLE ceremonies;

-- WebAuthn ceremony state between begin and finish: single use, expiring, bound to its
-- purpose, and (where it has one) to its account and session.
CREATE TABLE ceremonies (
    id           TEXT    PRIMARY KEY, -- 128 random bits, base64url
    purpose      TEXT    NOT NULL CHECK (purpose IN ('registration', 'login_email', 'login_discoverable', 'reauth')),
    -- reauth only: the action the proof will allow.
    action       TEXT    NOT NULL DEFAULT '' CHECK (action IN ('', 'add-passkey', 'rename-passkey', 'remove-passkey', 'change-password')),
    -- registration and reauth: the signed-in account; login_email: the account of the email, or
    -- NULL when there is none; login_discoverable: NULL.
    account_id   INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    -- registration and reauth: the session that began it (ended sessions take their ceremonies).
    session_id   INTEGER REFERENCES sessions (id) ON DELETE CASCADE,
    -- login_email: the lockout key of the email typed (HMAC, never the email itself).
    subject      BLOB,
    -- registration: what allowed adding a passkey, used up when it is stored: the SHA-256
    -- of a re-authentication proof, or NULL for the login grace.
    reauth_proof BLOB,
    session_data TEXT    NOT NULL, -- webauthn.SessionData as JSON, whole
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX ceremonies_by_expiry ON ceremonies (expires_at);

-- When the session's person last proved who they are by logging in (account creation,
-- password or passkey login), and whether the one sensitive action a fresh login allows
-- without a re-authentication is still unused (1) or spent (0).
ALTER TABLE sessions ADD COLUMN authenticated_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN login_grace INTEGER NOT NULL DEFAULT 0 CHECK (login_grace IN (0, 1));

-- Proofs of a fresh re-authentication: single use, for one action, in one session.
CREATE TABLE reauth_proofs (
    id         INTEGER PRIMARY KEY,
    -- SHA-256 of the proof; the proof itself is never stored.
    token_hash BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    action     TEXT    NOT NULL CHECK (action IN ('add-passkey', 'rename-passkey', 'remove-passkey', 'change-password')),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE INDEX reauth_proofs_by_session ON reauth_proofs (session_id);

-- Failed attempts to prove who someone is (password login, passkey login, re-authentication),
-- counted per subject (HMAC of the normalised email, so unknown emails count like known ones)
-- and per client (HMAC of the remote address).
CREATE TABLE auth_failures (
    id    INTEGER PRIMARY KEY,
    scope TEXT    NOT NULL CHECK (scope IN ('subject', 'client')),
    key   BLOB    NOT NULL CHECK (length(key) = 32),
    at    INTEGER NOT NULL
) STRICT;

CREATE INDEX auth_failures_by_key ON auth_failures (scope, key, at);

CREATE TABLE lockouts (
    scope  TEXT    NOT NULL CHECK (scope IN ('subject', 'client')),
    key    BLOB    NOT NULL CHECK (length(key) = 32),
    until  INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT;

-- Secrets this server generates once and keeps (e.g. the HMAC key for decoys and lockout keys).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL CHECK (length(value) >= 32)
) STRICT;

-- What the account holder sees in their activity (GET /api/activity). Never a secret.
ALTER TABLE audit_events ADD COLUMN method TEXT NOT NULL DEFAULT '';       -- 'password' | 'passkey' | ''
ALTER TABLE audit_events ADD COLUMN passkey_name TEXT NOT NULL DEFAULT ''; -- the passkey's name at the time
ALTER TABLE audit_events ADD COLUMN client TEXT NOT NULL DEFAULT '';       -- remote IP address, '' when none
