import { describe, expect, it, vi } from "vitest";
import { ceremonyError, type Ceremonies } from "../../ceremony/ceremony";
import { boot, fakeApi, settle, submit, text } from "../../testing/harness";
import { ApiError } from "../../api/request";
import type { Passkey } from "../../api/passkeys";

const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true };
const creationOptions = {
  challenge: "Y2hhbGxlbmdl",
  rp: { id: "localhost", name: "NHS login" },
  user: { id: "dXNlcg", name: "pat@example.com", displayName: "pat@example.com" },
  pubKeyCredParams: [{ type: "public-key" as const, alg: -7 }],
};
const created: Passkey = {
  id: "p1",
  name: "iCloud Keychain",
  createdAt: "2025-03-03T12:00:00Z",
  lastUsedAt: null,
  backupEligible: true,
  backedUp: true,
  transports: ["internal", "hybrid"],
  aaguid: "fbfc3007-154e-4ecc-8c0b-6e020557d7bd",
};

function signedInApi(overrides: Parameters<typeof fakeApi>[0] = {}) {
  return fakeApi({
    getSession: () => Promise.resolve({ signedIn: true, account }),
    beginPasskeyRegistration: vi.fn(() => Promise.resolve({ ceremony: "r1", publicKey: creationOptions })),
    ...overrides,
  });
}

function ceremonies(create: Ceremonies["create"]): Ceremonies {
  return { client: "browser", unavailable: () => null, create, get: () => Promise.reject(new Error("not used")) };
}

describe("set up a passkey", () => {
  it("explains what is needed and where the device may ask to save it", async () => {
    const { main } = await boot("/account/passkeys/set-up", signedInApi(), ceremonies(vi.fn()));
    expect(document.title).toBe("Set up a passkey – NHS login passkeys");
    expect(text(main.querySelector(".nhsuk-inset-text"))).toMatch(/Only set up a passkey on a device that belongs to you or one you trust/);
    for (const name of ["This device", "Use a different phone or tablet", "Windows Hello or external security key"]) {
      expect(text(main)).toContain(name);
    }
    expect(text(main)).toMatch(/screen lock/);
    expect(text(main)).toMatch(/Bluetooth/);
    expect(main.querySelector('[role="status"]')).not.toBeNull();
    expect(text(main.querySelector("form button[type=submit]"))).toBe("Continue");
    expect(document.querySelector("[data-before-content] .nhsuk-back-link")?.getAttribute("href")).toBe("/account/passkeys");
  });

  // A second passkey: the person first confirms it's them with a passkey they have, then
  // creates the new one. The page says so before anything pops up.
  it("with a passkey already, says before Continue that they will confirm it's them with it first, then create the new one", async () => {
    const api = signedInApi({ getSession: () => Promise.resolve({ signedIn: true, account: { ...account, hasPasskey: true } }) });
    const create = vi.fn();
    const { main } = await boot("/account/passkeys/set-up", api, ceremonies(create));
    const steps = main.querySelector("form")?.previousElementSibling;
    expect(steps?.tagName).toBe("P");
    const list = [...main.querySelectorAll("ol li")].map((li) => text(li));
    expect(list).toEqual([
      "First, confirm it's you with a passkey you already have. This keeps your account safe.",
      "Then, create your new passkey.",
    ]);
    expect(text(main)).toContain("Because you already have a passkey");
    // Nothing has been asked of the device or the server yet.
    expect(create).not.toHaveBeenCalled();
    expect(api.beginPasskeyRegistration).not.toHaveBeenCalled();
  });

  it("in the desktop app, says to confirm with a security key that has one of the passkeys", async () => {
    const api = signedInApi({ getSession: () => Promise.resolve({ signedIn: true, account: { ...account, hasPasskey: true } }) });
    const { main } = await boot("/account/passkeys/set-up", api, { ...ceremonies(vi.fn()), client: "device" });
    expect(text(main)).toContain("First, confirm it's you with a security key that has one of your passkeys.");
  });

  it("for a first passkey, says nothing about confirming it's you", async () => {
    const api = signedInApi({ getSession: () => Promise.resolve({ signedIn: true, account: { ...account, hasPasskey: false } }) });
    const { main } = await boot("/account/passkeys/set-up", api, ceremonies(vi.fn()));
    expect(text(main)).not.toContain("confirm it's you");
    expect(main.querySelector("ol")).toBeNull();
  });

  it("sends someone who is not signed in to log in", async () => {
    await boot("/account/passkeys/set-up", fakeApi(), ceremonies(vi.fn()));
    expect(window.location.pathname).toBe("/login");
  });

  it("runs begin, the device and finish, then shows Passkeys with a focused success banner", async () => {
    const credential = { id: "new-cred", type: "public-key" };
    const api = signedInApi({
      finishPasskeyRegistration: vi.fn(() => Promise.resolve(created)),
      listPasskeys: () => Promise.resolve([created]),
    });
    const create = vi.fn(() => Promise.resolve(credential));
    const { main } = await boot("/account/passkeys/set-up", api, ceremonies(create));
    submit();
    await settle();
    expect(create).toHaveBeenCalledWith(creationOptions, expect.anything());
    expect(api.finishPasskeyRegistration).toHaveBeenCalledWith("r1", credential);
    expect(window.location.pathname).toBe("/account/passkeys");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("Passkey set up");
    expect(text(banner)).toContain("iCloud Keychain");
    expect(document.activeElement).toBe(banner);
  });

  it("says what is happening while the device is busy", async () => {
    const { main } = await boot("/account/passkeys/set-up", signedInApi(), ceremonies(() => new Promise(() => {})));
    submit();
    await settle();
    expect(text(main.querySelector('[role="status"]'))).toBe("Follow the instructions on your device.");
    expect(main.querySelector<HTMLButtonElement>("form button[type=submit]")?.disabled).toBe(true);
  });

  it("when cancelled, shows the reason and how to try again", async () => {
    const { main } = await boot(
      "/account/passkeys/set-up",
      signedInApi(),
      ceremonies(() => Promise.reject(ceremonyError("cancelled", "create"))),
    );
    submit();
    await settle();
    expect(document.title).toBe("Error: Set up a passkey – NHS login passkeys");
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary)).toMatch(/Your passkey was not set up\. You may have cancelled it/);
    expect(text(summary)).toMatch(/Select Continue to try again/);
    expect(text(main.querySelector('[role="status"]'))).toBe("");
  });

  it("when this device already has a passkey, says so and points back to Passkeys", async () => {
    const { main } = await boot(
      "/account/passkeys/set-up",
      signedInApi(),
      ceremonies(() => Promise.reject(ceremonyError("already_registered", "create"))),
    );
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(text(summary)).toMatch(/already has a passkey for your NHS login/);
    expect(text(summary?.querySelector('a[href="/account/passkeys"]'))).toBe("Go back to your passkeys");
  });

  it("shows the server's refusal of the new passkey", async () => {
    const api = signedInApi({
      finishPasskeyRegistration: () =>
        Promise.reject(new ApiError(409, "passkey_already_registered", "This passkey is already set up for your NHS login.")),
    });
    const { main } = await boot("/account/passkeys/set-up", api, ceremonies(() => Promise.resolve({ id: "c" })));
    submit();
    await settle();
    expect(text(main.querySelector(".nhsuk-error-summary li"))).toBe("This passkey is already set up for your NHS login.");
  });
});
