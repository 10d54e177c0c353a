// What the person has just done on a page, said as the page comes back with focus on its h1
// ("You cancelled…", "You have confirmed it's you…", "You did not confirm it's you…"), is a
// status message (WCAG 4.1.3): screen readers must announce it without focus moving to it. A
// live region announces what changes in it, so the words must go into a role="status" region
// that is already on the page, not arrive with the page's new markup.

import { afterEach, describe, expect, it, vi } from "vitest";
import type { Api } from "../api/service";
import { CeremonyError, type Ceremonies } from "../ceremony/ceremony";
import { ApiError } from "../api/request";
import { account, clickControl, passkey, signedInAs } from "../testing/accounts";
import { boot, fakeApi, settle, submit } from "../testing/harness";

const REQUIRED = new ApiError(403, "reauth_required", "For your security, confirm it's you before you make this change.");

/** Text put into an element inside a role="status" region that was already on the page. */
function announcements(): { said: () => string[]; stop: () => void } {
  const said: string[] = [];
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      const target = record.target instanceof Element ? record.target : record.target.parentElement;
      const region = target?.closest('[role="status"]');
      // The region itself appearing with the page (main's own childList) does not count.
      if (!region || region === target?.closest("main")) continue;
      const text = region.textContent.replace(/\s+/g, " ").trim();
      if (text) said.push(text);
    }
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  return { said: () => said, stop: () => observer.disconnect() };
}

function setUpPage(): { api: Api; ceremonies: Ceremonies } {
  const ceremonies: Ceremonies = {
    client: "browser",
    unavailable: () => null,
    create: vi.fn(() => Promise.resolve({ id: "new", type: "public-key" })),
    get: vi.fn(() => Promise.resolve({ id: "cred-1", type: "public-key" })),
  };
  const api = fakeApi({
    getSession: signedInAs(account()),
    listPasskeys: () => Promise.resolve([passkey({ name: "YubiKey 5" })]),
    beginPasskeyRegistration: vi.fn(() => Promise.reject(REQUIRED)),
    beginPasskeyReauth: vi.fn(() => Promise.resolve({ ceremony: "re1", publicKey: { challenge: "AA" } })),
    finishPasskeyReauth: vi.fn(() => Promise.resolve("proof-1")),
  });
  return { api, ceremonies };
}

describe("a page that comes back saying what just happened", () => {
  let listening: ReturnType<typeof announcements> | null = null;
  afterEach(() => listening?.stop());

  it("announces that the person has confirmed it's you, with focus left on the h1", async () => {
    const { api, ceremonies } = setUpPage();
    const { main } = await boot("/account/passkeys/set-up", api, ceremonies);
    submit(); // begin: 403, so "Confirm it's you"
    await settle();
    listening = announcements();
    submit(); // confirmed with a passkey: back to Set up a passkey
    await settle();
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(listening.said()).toContainEqual(expect.stringContaining("You have confirmed it's you. Select Continue to set up your passkey."));
  });

  it("announces that nothing has changed when the person cancels confirming it's you", async () => {
    const { api, ceremonies } = setUpPage();
    await boot("/account/passkeys/set-up", api, ceremonies);
    submit();
    await settle();
    listening = announcements();
    clickControl("Cancel");
    await settle();
    expect(listening.said()).toContainEqual(expect.stringContaining("You did not confirm it's you, so nothing has changed."));
  });

  it("announces that the person cancelled logging in on their security key", async () => {
    const ceremonies: Ceremonies = {
      client: "device",
      unavailable: () => null,
      create: vi.fn(),
      get: vi.fn(() => Promise.reject(new CeremonyError("you_cancelled", "get", "You cancelled logging in with your passkey."))),
    };
    const api = fakeApi({ beginPasskeyLogin: vi.fn(() => Promise.resolve({ ceremony: "l1", publicKey: { challenge: "AA" } })) });
    const { main } = await boot("/login", api, ceremonies);
    listening = announcements();
    submit();
    await settle();
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(listening.said()).toContainEqual(expect.stringContaining("You cancelled logging in with your passkey."));
  });
});
