-- 0001: accounts, passkeys, sessions, ceremonies, audit events.
-- Times are INTEGER Unix milliseconds (UTC). Booleans are INTEGER 0/1.

CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    -- Trimmed and lower-cased before it is stored.
    email         TEXT    NOT NULL UNIQUE,
    -- WebAuthn user handle: random, no personal data (WebAuthn L3 §14.6.1), at most 64 bytes.
    user_handle   BLOB    NOT NULL UNIQUE CHECK (length(user_handle) BETWEEN 16 AND 64),
    -- argon2id PHC string; NULL when the account has no password.
    password_hash TEXT,
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE passkeys (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- Unique across all accounts: go-webauthn does not check this (WebAuthn L3 §7.1: "not yet registered for any user").
    credential_id      BLOB    NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1023),
    public_key         BLOB    NOT NULL, -- COSE_Key
    aaguid             BLOB    NOT NULL,
    sign_count         INTEGER NOT NULL DEFAULT 0,
    -- Set when the signature counter went backwards (WebAuthn L3 §7.2, signCount step); the passkey
    -- is then refused until it is removed.
    clone_warning      INTEGER NOT NULL DEFAULT 0,
    user_present       INTEGER NOT NULL DEFAULT 0,
    user_verified      INTEGER NOT NULL DEFAULT 0,
    backup_eligible    INTEGER NOT NULL DEFAULT 0,
    backup_state       INTEGER NOT NULL DEFAULT 0,
    transports         TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    attachment         TEXT    NOT NULL DEFAULT '',
    attestation_type   TEXT    NOT NULL DEFAULT '',
    attestation_format TEXT    NOT NULL DEFAULT '',
    name               TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    last_used_at       INTEGER
) STRICT;

CREATE INDEX passkeys_by_account ON passkeys (account_id, created_at);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    -- SHA-256 of the token; the token itself is never stored.
    token_hash   BLOB    NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    -- Absolute end; the idle end is last_seen_at + the idle timeout.
    expires_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX sessions_by_account ON sessions (account_id);

-- WebAuthn ceremony state between begin and finish: single use, expiring.
CREATE TABLE ceremonies (
    id           TEXT    PRIMARY KEY, -- 128 random bits, base64url
    purpose      TEXT    NOT NULL CHECK (purpose IN ('registration', 'login_email', 'login_discoverable')),
    -- registration: the signed-in account; login_email: the account of the email, or NULL
    -- when there is none; login_discoverable: NULL.
    account_id   INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    session_data TEXT    NOT NULL, -- webauthn.SessionData as JSON, whole
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX ceremonies_by_expiry ON ceremonies (expires_at);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    -- NULL for events not tied to a known account (a failed login with an unknown email).
    account_id INTEGER REFERENCES accounts (id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    detail     TEXT    NOT NULL DEFAULT '',
    at         INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_events_by_account ON audit_events (account_id, at);
