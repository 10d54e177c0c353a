// Set up a passkey when the login grace has been used: "Confirm it's you" first, then back
// to the page holding the proof, and Continue sets the passkey up.

import { describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import type { Ceremonies } from "../../ceremony/ceremony";
import { account, clickControl, passkey, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, settle, submit, text } from "../../testing/harness";
import { ApiError } from "../../api/request";

const REQUIRED = new ApiError(403, "reauth_required", "For your security, confirm it's you before you make this change.");
const creationOptions = {
  challenge: "Y2hhbGxlbmdl",
  rp: { id: "localhost", name: "NHS login" },
  user: { id: "dXNlcg", name: "pat@example.com", displayName: "pat@example.com" },
  pubKeyCredParams: [{ type: "public-key" as const, alg: -7 }],
};

function setUp() {
  const create = vi.fn(() => Promise.resolve({ id: "new-cred", type: "public-key" }));
  const get = vi.fn(() => Promise.resolve({ id: "cred-1", type: "public-key" }));
  const ceremonies: Ceremonies = { client: "browser", unavailable: () => null, create, get };
  const api: Api = fakeApi({
    getSession: signedInAs(account()),
    listPasskeys: () => Promise.resolve([passkey({ name: "YubiKey 5" })]),
    beginPasskeyRegistration: vi.fn((proof?: string) =>
      proof === "proof-1" ? Promise.resolve({ ceremony: "r1", publicKey: creationOptions }) : Promise.reject(REQUIRED),
    ),
    finishPasskeyRegistration: vi.fn(() => Promise.resolve(passkey({ name: "YubiKey 5" }))),
    beginPasskeyReauth: vi.fn(() => Promise.resolve({ ceremony: "re1", publicKey: { challenge: "AA" } })),
    finishPasskeyReauth: vi.fn(() => Promise.resolve("proof-1")),
  });
  return { api, ceremonies, create, get };
}

describe("set up a passkey when the server wants you to confirm it's you", () => {
  it("confirms with a passkey, comes back holding the proof, then sets up on the next Continue", async () => {
    const { api, ceremonies, create, get } = setUp();
    const { main } = await boot("/account/passkeys/set-up", api, ceremonies);
    submit();
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Confirm it's you");
    expect(text(main)).toContain("before you set up a passkey");
    expect(create).not.toHaveBeenCalled();

    submit();
    await settle();
    expect(api.beginPasskeyReauth).toHaveBeenCalledWith("add-passkey");
    expect(get).toHaveBeenCalledOnce();
    expect(text(main.querySelector("h1"))).toBe("Set up a passkey");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(text(main.querySelector(".nhsuk-inset-text"))).toContain("You have confirmed it's you. Select Continue to set up your passkey.");
    // A browser wants a fresh click before it creates a passkey.
    expect(create).not.toHaveBeenCalled();

    submit();
    await settle();
    expect(api.beginPasskeyRegistration).toHaveBeenLastCalledWith("proof-1");
    expect(create).toHaveBeenCalledWith(creationOptions, expect.anything());
    expect(window.location.pathname).toBe("/account/passkeys");
    expect(text(main.querySelector(".nhsuk-notification-banner"))).toContain("Passkey set up");
  });

  it("asks again when the proof was used meanwhile (403 at finish)", async () => {
    const { api, ceremonies } = setUp();
    api.finishPasskeyRegistration = vi.fn(() => Promise.reject(REQUIRED));
    const { main } = await boot("/account/passkeys/set-up", api, ceremonies);
    submit(); // begin: 403
    await settle();
    submit(); // confirm
    await settle();
    submit(); // begin with the proof, create, finish: 403
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Confirm it's you");
  });

  it("Cancel on the step comes back to the page saying nothing has changed", async () => {
    const { api, ceremonies } = setUp();
    const { main } = await boot("/account/passkeys/set-up", api, ceremonies);
    submit();
    await settle();
    clickControl("Cancel");
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Set up a passkey");
    expect(text(main.querySelector(".nhsuk-inset-text"))).toContain("You did not confirm it's you, so nothing has changed.");
    expect(api.beginPasskeyReauth).not.toHaveBeenCalled();
  });
});
