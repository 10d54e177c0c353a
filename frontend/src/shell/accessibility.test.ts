// Every page, in its ordinary and its error states, checked with axe-core
// (WCAG 2.2 A and AA rules, and best practice: everything in a landmark among them).
// Colour contrast needs real rendering, which jsdom does not do; the browser journey
// tests cover it.

import { describe, expect, it, vi } from "vitest";
import type { Api } from "../api/service";
import { ceremonyError, type Ceremonies } from "../ceremony/ceremony";
import { HELP_TOPICS } from "../pages/help/topics";
import { axeViolations } from "../testing/axe";
import { boot, fakeApi, settle, submit } from "../testing/harness";

const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true };
const passkeys = [
  {
    id: "p1",
    name: "Windows Hello",
    createdAt: "2025-03-03T12:00:00Z",
    lastUsedAt: null,
    backupEligible: false,
    backedUp: false,
    transports: ["internal"],
    aaguid: "08987058-cadc-4b81-b6e1-30de50dcbe96",
  },
];
const signedIn = fakeApi({
  getSession: () => Promise.resolve({ signedIn: true, account }),
  listPasskeys: () => Promise.resolve(passkeys),
  beginPasskeyRegistration: () => Promise.resolve({ ceremony: "r1", publicKey: {} as PublicKeyCredentialCreationOptionsJSON }),
});
// An account with a passkey: setting up another first explains "Confirm it's you".
const signedInWithPasskey = fakeApi({
  getSession: () => Promise.resolve({ signedIn: true, account: { ...account, hasPasskey: true } }),
  listPasskeys: () => Promise.resolve(passkeys),
});
const desktopApp = fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }) });
const cancelled: Ceremonies = {
  client: "browser",
  unavailable: () => null,
  create: () => Promise.reject(ceremonyError("cancelled", "create")),
  get: () => Promise.reject(ceremonyError("cancelled", "get")),
};

describe("accessibility", () => {
  it.each([
    ["/", fakeApi()],
    ["/create-account", fakeApi()],
    ["/login", fakeApi()],
    ["/login/password", fakeApi()],
    ["/account/security", signedIn],
    ["/account/passkeys", signedIn],
    ["/account/passkeys/set-up", signedIn],
    ["/account/passkeys/set-up", signedInWithPasskey],
    ["/not/a/page", fakeApi()],
    ["/accessibility", fakeApi()],
    ...HELP_TOPICS.map((topic): [string, Api] => [topic.path, fakeApi()]),
  ])("%s has no axe violations", async (path, api) => {
    await boot(path, api, cancelled);
    expect(await axeViolations()).toEqual([]);
  });

  it.each(HELP_TOPICS.map((topic) => topic.path))("%s in the desktop app has no axe violations", async (path) => {
    await boot(path, desktopApp);
    expect(await axeViolations()).toEqual([]);
  });

  it.each([
    ["/create-account", fakeApi()],
    ["/login/password", fakeApi()],
    ["/login", fakeApi({ beginPasskeyLogin: () => Promise.resolve({ ceremony: "c", publicKey: { challenge: "AA" } }) })],
    ["/account/passkeys/set-up", signedIn],
  ])("%s showing errors has no axe violations", async (path, api) => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    await boot(path, api, cancelled);
    submit();
    await settle();
    expect(document.querySelector(".nhsuk-error-summary")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });
});
