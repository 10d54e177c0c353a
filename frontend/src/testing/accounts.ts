// Test data for the account pages: an account and passkeys as the API describes them
// (docs/api.md), with what a test needs changed.

import type { Account } from "../api/account";
import type { Passkey } from "../api/passkeys";

export function account(overrides: Partial<Account> = {}): Account {
  return { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true, hasPasskey: true, ...overrides };
}

export function passkey(overrides: Partial<Passkey> = {}): Passkey {
  return {
    id: "cred-1",
    name: "Windows Hello",
    createdAt: "2025-03-03T12:00:00Z",
    lastUsedAt: null,
    backupEligible: false,
    backedUp: false,
    transports: ["internal"],
    aaguid: "08987058-cadc-4b81-b6e1-30de50dcbe96",
    provider: "Windows Hello",
    storedOn: "this-device",
    flagged: false,
    ...overrides,
  };
}

export const signedInAs = (who: Account) => () => Promise.resolve({ signedIn: true as const, account: who });

/** Clicks the button or link in <main> whose visible text (hidden text included) is `label`. */
export function clickControl(label: string): void {
  const controls = [...document.querySelectorAll<HTMLElement>("main a, main button")];
  const control = controls.find((c) => c.textContent.replace(/\s+/g, " ").trim() === label);
  if (!control) throw new Error(`no link or button "${label}" in main`);
  control.click();
}
