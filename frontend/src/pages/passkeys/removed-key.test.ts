// After removing a passkey in Login and security settings (remove.ts and the hook in
// pages/passkeys/removed.ts): in the desktop app, a passkey saved on a security key is offered
// for deletion from the key too when one is plugged in; with none, the settings banner says
// how to do it later; anywhere else nothing changes.

import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import { afterPasskeyRemoved } from "./removed";
import { passkey } from "../../testing/accounts";
import { fill, settle, submit, text } from "../../testing/harness";
import { account, bootKeys, desktopApi, FakeKeys, PIN, securityKey, stopKeysApp, violations, virtualKey } from "../../testing/keys-fake";
import type { KeyPasskey } from "../../api/keys";
import { REMOVED_KEY_PATH } from "./removed-key";
import { ApiError } from "../../api/request";
import type { Passkey } from "../../api/passkeys";

const main = (): HTMLElement => document.querySelector("main") as HTMLElement;
const h1 = (): string => text(main().querySelector("h1"));
const banner = (): HTMLElement | null => main().querySelector(".nhsuk-notification-banner--success");

const yubikey = passkey({ id: "Y3JlZDE", name: "YubiKey 5", storedOn: "security-key", provider: "YubiKey 5 Series", transports: ["usb"] });
const phone = passkey({ id: "cred-2", name: "Pat's iPhone", storedOn: "synced", provider: "iCloud Keychain" });

/** What the key lists once the account no longer has the passkey. */
const leftover: KeyPasskey = {
  credentialId: "Y3JlZDE",
  rpId: "localhost",
  rpName: "NHS login",
  userName: account.email,
  userDisplayName: account.email,
  nhsLogin: "leftover",
};

/** The account's API with `passkeys`, where removing one works; in the browser when `browser`. */
function accountApi(passkeys: Passkey[], browser = false): Api {
  let listed = [...passkeys];
  const overrides: Partial<Api> = {
    listPasskeys: () => Promise.resolve(listed),
    removePasskey: (id: string) => {
      listed = listed.filter((p) => p.id !== id);
      return Promise.resolve(listed);
    },
  };
  if (browser) overrides.getConfig = () => Promise.resolve({ ceremonies: "browser", rpId: "localhost" });
  return desktopApi(overrides);
}

/** Opens "Are you sure you want to remove …?" for `id` and removes it. */
async function remove(keys: FakeKeys, api: Api, id: string) {
  const harness = await bootKeys("/elsewhere", keys, api);
  harness.app.journey.passkey = id;
  await harness.router.navigate("/account/passkeys/remove");
  expect(h1()).toContain("Are you sure you want to remove");
  submit();
  await settle();
  return harness;
}

function control(label: string): HTMLElement {
  const found = [...main().querySelectorAll<HTMLElement>("a, button")].find((el) => text(el) === label);
  if (!found) throw new Error(`no link or button "${label}" on "${h1()}"`);
  return found;
}

beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});
afterEach(() => {
  stopKeysApp();
  vi.restoreAllMocks();
});

describe("after removing a passkey saved on a security key, in the desktop app", () => {
  it("with the key plugged in, offers to delete it from the key too, explaining why", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    const { app } = await remove(keys, accountApi([yubikey, phone]), "Y3JlZDE");
    expect(window.location.pathname).toBe(REMOVED_KEY_PATH);
    expect(h1()).toBe("Delete the passkey from your security key too?");
    expect(document.title).toBe("Delete the passkey from your security key too? – NHS login passkeys");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(text(main())).toContain("“YubiKey 5” has been removed from your NHS login");
    expect(text(main())).toContain("The key will keep offering it when you log in, even though it no longer works");
    expect(text(main())).toContain("Your security key YubiKey 5 Series is plugged in.");
    const primary = control("Delete it from the security key");
    expect(primary.classList.contains("nhsuk-button")).toBe(true);
    expect(primary.getAttribute("href")).toBe("/security-keys/usb%3A3f9a0c1d2e3f4a5b/passkeys");
    expect(control("Not now").getAttribute("href")).toBe("/account/security");
    // The banner still waits for the settings page.
    expect(app.journey.notice).toEqual({ kind: "passkey-removed", passkeyName: "YubiKey 5", passkeyId: "Y3JlZDE", provider: "YubiKey 5 Series" });
    expect(await violations()).toEqual([]);
  });

  it("leads to the key's PIN, then its passkeys, where the removed one is a leftover to delete", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    keys.passkeys = [leftover];
    await remove(keys, accountApi([yubikey, phone]), "Y3JlZDE");
    control("Delete it from the security key").click();
    await settle();
    expect(h1()).toBe("Enter your security key PIN");
    fill("pin", PIN);
    submit();
    await settle();
    expect(h1()).toBe("Passkeys on YubiKey 5 Series");
    expect(text(main().querySelector(".nhsuk-summary-list__row"))).toContain("This passkey was removed from your NHS login, so it no longer works.");
    control(`Delete passkey for ${account.email} on NHS login`).click();
    await settle();
    expect(h1()).toBe("Are you sure you want to delete this passkey?");
    fill("pin", PIN);
    submit();
    await settle();
    expect(text(banner())).toContain("Passkey deleted from your security key");
    expect(keys.passkeys).toEqual([]);
    expect(keys.calls).toContain("deletePasskey usb:3f9a0c1d2e3f4a5b Y3JlZDE");
  });

  it("“Not now” goes back to the settings, with the focused “Passkey removed” banner", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    await remove(keys, accountApi([yubikey, phone]), "Y3JlZDE");
    control("Not now").click();
    await settle();
    expect(window.location.pathname).toBe("/account/security");
    expect(text(banner())).toContain("Passkey removed");
    expect(text(banner())).toContain("You can no longer log in with “YubiKey 5”.");
    expect(document.activeElement).toBe(banner());
  });

  it("with several keys plugged in, offers each of them", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey(), virtualKey(), securityKey({ id: "usb:0000", name: "Unreadable", readable: false })];
    await remove(keys, accountApi([yubikey]), "Y3JlZDE");
    expect(h1()).toBe("Delete the passkey from your security key too?");
    expect(text(main())).toContain("You have 2 security keys plugged in.");
    expect(control("Delete it from YubiKey 5 Series").getAttribute("href")).toBe("/security-keys/usb%3A3f9a0c1d2e3f4a5b/passkeys");
    expect(control("Delete it from Virtual security key (for testing)").getAttribute("href")).toBe("/security-keys/virtual/passkeys");
    expect(control("Not now").getAttribute("href")).toBe("/account/security");
    expect(await violations()).toEqual([]);
  });

  it("with no key plugged in, goes back to the settings, whose banner says how to delete it later", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey({ pin: { set: false, retriesLeft: null, blocked: false, minLength: 4, mustChange: false } })];
    await remove(keys, accountApi([yubikey, phone]), "Y3JlZDE");
    expect(window.location.pathname).toBe("/account/security");
    expect(h1()).toBe("Login and security settings");
    const removed = banner();
    expect(document.activeElement).toBe(removed);
    expect(text(removed)).toContain("Passkey removed");
    expect(text(removed)).toContain("It is still saved on your security key");
    expect(text(removed)).toContain("plug the key into this computer and go to Security keys in this app");
    expect(text(removed)).toContain("marked there as one your NHS login no longer accepts");
    expect(text(removed?.querySelector('a[href="/security-keys"]'))).toBe("Security keys");
    expect(keys.calls).toEqual(["listKeys"]);
    expect(await violations()).toEqual([]);
  });

  it("with only a key whose PIN is blocked plugged in, says the passkey cannot be deleted from it without a reset", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey({ pin: { set: true, retriesLeft: 0, blocked: true, minLength: 4, mustChange: false } })];
    await remove(keys, accountApi([yubikey, phone]), "Y3JlZDE");
    expect(window.location.pathname).toBe("/account/security");
    const removed = text(banner());
    expect(removed).toContain("It is still saved on your security key");
    expect(removed).not.toContain("plug the key into this computer");
    expect(removed).toContain("The PIN of YubiKey 5 Series is blocked, so the passkey cannot be deleted from it on its own.");
    expect(removed).toContain("Resetting the key deletes it, with everything else on the key.");
    expect(banner()?.querySelector('a[href="/security-keys"]')).not.toBeNull();
    expect(await violations()).toEqual([]);
  });

  it("when the keys cannot be read, also says how to delete it later", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    keys.failNext.listKeys = new ApiError(0, "network_error", "No connection");
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await remove(keys, accountApi([yubikey]), "Y3JlZDE");
    expect(window.location.pathname).toBe("/account/security");
    expect(text(banner())).toContain("It is still saved on your security key");
    expect(logged).toHaveBeenCalledOnce();
  });

  it("without a passkey just removed, the page goes to the settings", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    await bootKeys(REMOVED_KEY_PATH, keys, accountApi([phone]));
    expect(window.location.pathname).toBe("/account/security");
    expect(keys.calls).toEqual([]);
  });
});

describe("anywhere else, nothing changes", () => {
  it("in a web browser, a passkey on a security key goes straight back to the settings", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    const { app } = await remove(keys, accountApi([yubikey, phone], true), "Y3JlZDE");
    expect(window.location.pathname).toBe("/account/security");
    expect(document.activeElement).toBe(banner());
    expect(text(banner())).toContain("If your device still offers it when you log in, remove it in your device's settings too.");
    expect(text(banner())).not.toContain("security key");
    expect(keys.calls).toEqual([]);
    expect(await afterPasskeyRemoved(yubikey, app)).toBeNull();
    expect(await violations()).toEqual([]);
  });

  it("in the desktop app, a passkey not on a security key goes straight back to the settings", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    const { app } = await remove(keys, accountApi([yubikey, phone]), "cred-2");
    expect(window.location.pathname).toBe("/account/security");
    expect(text(banner())).toContain("You can no longer log in with “Pat's iPhone”. If your device still offers it");
    expect(keys.calls).toEqual([]);
    expect(await afterPasskeyRemoved(phone, app)).toBeNull();
    expect(await afterPasskeyRemoved(yubikey, app)).toBe(REMOVED_KEY_PATH);
  });
});
