-- 0007: removing passkeys counts as one change, however many passkeys are removed.
--
-- A patient who has lost the devices their passkeys were on logs in with their password. A
-- fresh login allows one change without "Confirm it's you" (package reauth); with one grace
-- per removal, the second lost passkey asked for a passkey the patient no longer has. Now the
-- login grace, once used to remove a passkey, keeps allowing removals (and nothing else) until
-- it ends, 5 minutes after the login.
--
-- The action the session's login grace was used for, when that action may be repeated within
-- the grace ('remove-passkey'); '' when the grace is unused, or was used for anything else.
ALTER TABLE sessions ADD COLUMN login_grace_kept_for TEXT NOT NULL DEFAULT ''
    CHECK (login_grace_kept_for IN ('', 'remove-passkey'));
