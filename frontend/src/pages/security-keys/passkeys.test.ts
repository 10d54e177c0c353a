// Passkeys on a security key: the PIN step, the list marked against the
// account, and deleting one with a confirmation page.

import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KeyPasskey } from "../../api/keys";
import { fill, settle, submit, text } from "../../testing/harness";
import { bootKeys, FakeKeys, PIN, securityKey, stopKeysApp, violations } from "../../testing/keys-fake";
import { ApiError } from "../../api/request";

const main = (): HTMLElement => document.querySelector("main") as HTMLElement;
const h1 = (): string => text(main().querySelector("h1"));
const path = "/security-keys/usb%3A3f9a0c1d2e3f4a5b/passkeys";

function clickButton(label: string): void {
  const target = [...main().querySelectorAll<HTMLElement>("button, a")].find((el) => text(el) === label || text(el).startsWith(`${label} `));
  if (!target) throw new Error(`no button "${label}" on "${h1()}"`);
  target.click();
}

const inUse: KeyPasskey = {
  credentialId: "Y3JlZDE",
  rpId: "localhost",
  rpName: "NHS login",
  userName: "pat@example.com",
  userDisplayName: "pat@example.com",
  nhsLogin: "in-use",
  accountPasskey: { id: "Y3JlZDE", name: "Security key", flagged: false },
};
const leftover: KeyPasskey = { ...inUse, credentialId: "b2xk", nhsLogin: "leftover", accountPasskey: undefined };
const otherAccount: KeyPasskey = { ...inUse, credentialId: "c2Ft", userName: "sam@example.com", nhsLogin: "other-account", accountPasskey: undefined };
const github: KeyPasskey = { credentialId: "Z2g", rpId: "github.com", rpName: "GitHub", userName: "pat", userDisplayName: "Pat" };

function keysWithPasskeys(): FakeKeys {
  const keys = new FakeKeys();
  keys.keys = [securityKey()];
  keys.passkeys = [inUse, leftover, otherAccount, github];
  return keys;
}

beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});
afterEach(stopKeysApp);

async function enterPin(pin: string): Promise<void> {
  fill("pin", pin);
  submit();
  await settle();
}

describe("passkeys on a security key", () => {
  it("asks for the key's PIN first, and says the tries left after a wrong one", async () => {
    const keys = keysWithPasskeys();
    await bootKeys(path, keys);
    expect(h1()).toBe("Enter your security key PIN");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(text(main().querySelector("#pin-hint"))).toContain("We need it to show the passkeys on YubiKey 5 Series.");
    expect(await violations()).toEqual([]);

    await enterPin("");
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain("Enter your security key PIN");
    expect(keys.calls.filter((c) => c.startsWith("listPasskeys"))).toEqual([]);

    // A PIN no key could have is not sent, as in a ceremony: it would cost a try.
    const tooShortOrLong: [string, string][] = [
      ["123", "PIN must be 4 characters or more"],
      ["1".repeat(64), "PIN must be 63 characters or fewer"],
      ["é".repeat(40), "PIN is too long"],
    ];
    for (const [pin, says] of tooShortOrLong) {
      await enterPin(pin);
      expect(text(main().querySelector(".nhsuk-error-summary"))).toContain(says);
      expect((main().querySelector("#pin") as HTMLInputElement).value).toBe("");
    }
    expect(keys.calls.filter((c) => c.startsWith("listPasskeys"))).toEqual([]);

    await enterPin("111111");
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary)).toContain("The PIN is not correct. You have 7 tries left.");
    expect((main().querySelector("#pin") as HTMLInputElement).value).toBe("");
    expect(await violations()).toEqual([]);
  });

  it("lists NHS login's passkeys first, marked against the account, then other sites", async () => {
    const keys = keysWithPasskeys();
    await bootKeys(path, keys);
    await enterPin(PIN);
    expect(h1()).toBe("Passkeys on YubiKey 5 Series");
    expect(text(main())).toContain("There are 4 passkeys on this key. It has room for 21 more.");
    expect([...main().querySelectorAll("h2, h3")].map((h) => text(h))).toEqual(["NHS login", "Other websites and apps", "github.com"]);
    const rows = [...main().querySelectorAll(".nhsuk-summary-list__row")].map((row) => text(row));
    expect(rows[0]).toContain("pat@example.com Used for your NHS login Your NHS login calls it “Security key”.");
    expect(rows[1]).toContain("No longer works This passkey was removed from your NHS login, so it no longer works.");
    expect(rows[2]).toContain("sam@example.com Another NHS login account");
    expect(rows[3]).toContain("pat Passkey");
    expect(text(main().querySelector(".nhsuk-summary-list__actions button"))).toBe("Delete passkey for pat@example.com on NHS login");
    expect(await violations()).toEqual([]);
  });

  it("names another site by its address, never by the name it chose, which could be NHS login's", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    const lookalike: KeyPasskey = { credentialId: "bGs", rpId: "nhs-login.example", rpName: "NHS login", userName: "pat@example.com", userDisplayName: "Pat" };
    keys.passkeys = [lookalike];
    await bootKeys(path, keys);
    await enterPin(PIN);
    expect([...main().querySelectorAll("h2, h3")].map((h) => text(h))).toEqual(["Other websites and apps", "nhs-login.example"]);
    expect(text(main())).not.toContain("Used for your NHS login");
    expect(text(main().querySelector(".nhsuk-summary-list__actions button"))).toBe("Delete passkey for pat@example.com on nhs-login.example");
    clickButton("Delete");
    await settle();
    expect(text(main().querySelector(".nhsuk-summary-list"))).toContain("Website nhs-login.example");
  });

  it("explains what deleting the account's passkey means, then deletes it from the key", async () => {
    const keys = keysWithPasskeys();
    await bootKeys(path, keys);
    await enterPin(PIN);
    clickButton("Delete");
    await settle();
    expect(h1()).toBe("Are you sure you want to delete this passkey?");
    const callout = main().querySelector(".nhsuk-card--warning");
    expect(text(callout)).toContain("You will not be able to log in with this passkey any more. Remove it from your NHS login too.");
    expect(await violations()).toEqual([]);

    // Cancel goes back to the list, nothing deleted, no PIN asked again.
    clickButton("Cancel");
    await settle();
    expect(h1()).toBe("Passkeys on YubiKey 5 Series");
    expect(keys.passkeys).toHaveLength(4);

    clickButton("Delete");
    await settle();
    await enterPin("000000");
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain("You have 7 tries left.");
    expect(keys.passkeys).toHaveLength(4);
    await enterPin(PIN);
    expect(keys.calls).toContain("deletePasskey usb:3f9a0c1d2e3f4a5b Y3JlZDE");
    expect(h1()).toBe("Passkeys on YubiKey 5 Series");
    const banner = main().querySelector(".nhsuk-notification-banner--success");
    expect(document.activeElement).toBe(banner);
    expect(text(banner)).toContain("You can no longer log in to your NHS login with “Security key”. Remove it from your NHS login too");
    expect(banner?.querySelector('a[href="/account/security"]')).not.toBeNull();
    expect(text(main())).not.toContain("Used for your NHS login");
    // Every PIN went to the key once, and none is left on the page.
    expect(keys.pins).toEqual([PIN, "000000", PIN]);
    expect([...main().querySelectorAll("input")].every((i) => i.value === "")).toBe(true);
  });

  it("a passkey for another site is deleted with a plain confirmation", async () => {
    const keys = keysWithPasskeys();
    await bootKeys(path, keys);
    await enterPin(PIN);
    (main().querySelectorAll<HTMLButtonElement>(".nhsuk-summary-list__actions button")[3] as HTMLButtonElement).click();
    await settle();
    expect(main().querySelector(".nhsuk-card--warning")).toBeNull();
    expect(text(main())).toContain("You will not be able to use it to log in to github.com any more.");
  });

  it("deleting another NHS login account's passkey warns that its owner may lose a way in, not that you will", async () => {
    const keys = keysWithPasskeys();
    await bootKeys(path, keys);
    await enterPin(PIN);
    (main().querySelectorAll<HTMLButtonElement>(".nhsuk-summary-list__actions button")[2] as HTMLButtonElement).click();
    await settle();
    const warning = text(main().querySelector(".nhsuk-card--warning"));
    expect(warning).toContain("This passkey is for a different NHS login account");
    expect(warning).toContain("Whoever uses that account (sam@example.com) will not be able to log in with this passkey any more.");
    expect(text(main())).not.toContain("You will not be able to use it to log in to NHS login any more.");
    expect(await violations()).toEqual([]);
  });

  it("deleting a passkey the account no longer accepts says it changes nothing for the account", async () => {
    const keys = keysWithPasskeys();
    await bootKeys(path, keys);
    await enterPin(PIN);
    (main().querySelectorAll<HTMLButtonElement>(".nhsuk-summary-list__actions button")[1] as HTMLButtonElement).click();
    await settle();
    expect(main().querySelector(".nhsuk-card--warning")).toBeNull();
    expect(text(main())).toContain("Your NHS login no longer accepts this passkey, so deleting it does not change how you log in.");
    expect(text(main())).not.toContain("You will not be able to use it to log in to NHS login any more.");
  });

  it("refuses to delete the account's last way to log in, saying why", async () => {
    const keys = keysWithPasskeys();
    await bootKeys(path, keys);
    await enterPin(PIN);
    clickButton("Delete");
    await settle();
    keys.failNext.deletePasskey = new ApiError(409, "last_way_to_log_in", "You cannot do this because it would leave you with no way to log in to your NHS login.");
    await enterPin(PIN);
    expect(h1()).toBe("Are you sure you want to delete this passkey?");
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain("no way to log in to your NHS login");
  });

  it("a wrong PIN on the last try shows the key's page, which says the PIN is blocked and only a reset helps", async () => {
    const keys = keysWithPasskeys();
    keys.keys = [securityKey({ pin: { set: true, retriesLeft: 1, blocked: false, minLength: 4, mustChange: false } })];
    await bootKeys(path, keys);
    expect(text(main().querySelector("#pin-hint"))).toContain("You have 1 try left.");
    await enterPin("000000");
    expect(h1()).toBe("YubiKey 5 Series");
    expect(location.pathname).toBe("/security-keys/usb%3A3f9a0c1d2e3f4a5b");
    expect(main().querySelector("#pin")).toBeNull();
    const callout = main().querySelector(".nhsuk-card--warning");
    expect(text(callout)).toContain("The PIN of this security key is blocked");
    expect(callout?.querySelector('a[href$="/reset"]')).not.toBeNull();
    expect(await violations()).toEqual([]);
  });

  it("a key without a PIN has nothing to show", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey({ pin: { set: false, retriesLeft: null, blocked: false, minLength: 4, mustChange: false } })];
    await bootKeys(path, keys);
    expect(text(main())).toContain("This security key has no PIN");
    expect(main().querySelector('a[href$="/pin"]')).not.toBeNull();
  });
});
