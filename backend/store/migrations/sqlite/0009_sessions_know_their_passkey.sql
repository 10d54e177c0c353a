-- 0009: a session logged in with a passkey ends when that passkey is removed.
--
-- A patient whose phone is lost or stolen removes the passkey that was on it. Whoever has the
-- phone may already be logged in with it, and that session went on until its own timeouts
-- (up to 12 hours). Now each session records the passkey that logged it in (NULL for a
-- password login or sign-up, and once that passkey is gone), and removing a passkey ends the
-- account's other sessions it logged in (passkey.Service.Remove).
ALTER TABLE sessions ADD COLUMN passkey_id INTEGER REFERENCES passkeys (id) ON DELETE SET NULL;

-- Removing a passkey finds its sessions (and the ON DELETE SET NULL its row) through this.
CREATE INDEX sessions_by_passkey ON sessions (passkey_id);
