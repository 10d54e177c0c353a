// The "Security keys" list, a key's page and its PIN, through the real router,
// pages and nhsuk-frontend JavaScript, with the key endpoints faked.

import { afterEach, beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import { ceremonyError, type Ceremonies } from "../../ceremony/ceremony";
import { boot, fakeApi, fill, settle, submit, text } from "../../testing/harness";
import { bootKeys, desktopApi, FakeKeys, PIN, securityKey, stopKeysApp, violations, virtualKey } from "../../testing/keys-fake";
import { ApiError } from "../../api/request";

const main = (): HTMLElement => document.querySelector("main") as HTMLElement;
const h1 = (): string => text(main().querySelector("h1"));

beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});

afterEach(() => {
  stopKeysApp();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const browser: Ceremonies = {
  client: "browser",
  unavailable: () => null,
  create: () => Promise.reject(ceremonyError("cancelled", "create")),
  get: () => Promise.reject(ceremonyError("cancelled", "get")),
};

describe("the security keys list", () => {
  it("does not exist in a web browser (serve mode has no device endpoints)", async () => {
    const keys = new FakeKeys();
    await bootKeys("/security-keys", keys, desktopApi(), browser);
    expect(h1()).toBe("Page not found");
    expect(keys.calls).toEqual([]);
  });

  it("sends someone who is not signed in to log in", async () => {
    const keys = new FakeKeys();
    await bootKeys("/security-keys", keys, desktopApi({ getSession: () => Promise.resolve({ signedIn: false }) }));
    expect(window.location.pathname).toBe("/login");
    expect(keys.calls).toEqual([]);
  });

  it("lists each key with its PIN, room for passkeys and versions, and marks the virtual key as a test tool", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey(), virtualKey({ pin: { set: false, retriesLeft: null, blocked: false, minLength: 4, mustChange: false } })];
    await bootKeys("/security-keys", keys);
    expect(document.title).toBe("Security keys – NHS login passkeys");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    const headings = [...main().querySelectorAll("h2")].map((h) => text(h));
    expect(headings).toEqual(["YubiKey 5 Series", "Virtual security key (for testing)"]);
    const lists = main().querySelectorAll(".nhsuk-summary-list");
    expect(text(lists[0])).toContain("PIN Set. You have 8 tries left.");
    expect(text(lists[0])).toContain("Passkeys Room for 22 more");
    expect(text(lists[0])).toContain("Works with FIDO2 (CTAP 2.0, 2.1)");
    expect(text(lists[0])).toContain("Firmware version 328707");
    expect(text(lists[1])).toContain("Type Test tool Virtual security key");
    expect(text(lists[1])).toContain("PIN Not set");
    expect(text(lists[1])).toContain("Fingerprints None added yet");
    expect(text(main())).toContain("This virtual security key is a test tool for this app.");
    const links = [...main().querySelectorAll<HTMLAnchorElement>("a")].filter((a) => text(a).startsWith("Manage this security key"));
    expect(links.map((a) => a.getAttribute("href"))).toEqual(["/security-keys/usb%3A3f9a0c1d2e3f4a5b", "/security-keys/virtual"]);
    expect(text(links[0])).toBe("Manage this security key: YubiKey 5 Series");
    expect(await violations()).toEqual([]);
  });

  it("explains the technical names it shows (FIDO2, CTAP, U2F, firmware) in plain English", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey({ versions: ["U2F_V2", "FIDO_2_0", "FIDO_2_1"] })];
    await bootKeys("/security-keys", keys);
    const list = main().querySelector(".nhsuk-summary-list");
    expect(text(list)).toContain("Works with FIDO2 (CTAP 2.0, 2.1), U2F");
    expect(text(list)).toContain("These are the standards the key follows. It needs FIDO2 to save passkeys.");
    expect(text(list)).toContain("Firmware version 328707 The version of the software built into the key.");
  });

  it("says when no key is plugged in, and looks again when asked", async () => {
    const keys = new FakeKeys();
    await bootKeys("/security-keys", keys);
    expect(text(main())).toContain("No security keys found");
    keys.keys = [securityKey()];
    submit();
    await settle();
    expect(text(main().querySelector("h2"))).toBe("YubiKey 5 Series");
    expect(keys.calls.filter((c) => c === "listKeys")).toHaveLength(2);
  });

  it("on Windows, points to Windows Settings and never suggests running the app as an administrator", async () => {
    const keys = new FakeKeys();
    keys.adminRequired = true;
    await bootKeys("/security-keys", keys);
    expect(h1()).toBe("Security keys");
    expect(text(main())).toContain("It cannot change the key itself. Windows Settings can.");
    expect(text(main())).toContain("go to Settings > Accounts > Sign-in options > Security key, then select Manage");
    expect(text(main())).toContain("Resetting a security key deletes all the passkeys on it");
    // Running the Windows app as an administrator would change nothing (it has no libfido2).
    expect(text(main())).not.toMatch(/administrator/i);
    // Nothing to list or check again: the Windows app never reads keys itself.
    expect(text(main())).not.toContain("No security keys found");
    expect(main().querySelector("form")).toBeNull();
    expect(keys.calls).toEqual(["listKeys"]);
    expect(await violations()).toEqual([]);
  });

  it("is reached from login and security settings in the desktop app only, through the app's own routes", async () => {
    const api = (client: "device" | "browser") =>
      fakeApi({
        getConfig: () => Promise.resolve({ ceremonies: client, rpId: "localhost" }),
        getSession: () => Promise.resolve({ signedIn: true, account: { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true } }),
        listPasskeys: () => Promise.resolve([]),
      });
    const first = await boot("/account/security", api("browser"));
    expect(main().querySelector('a[href="/security-keys"]')).toBeNull();
    first.router.stop();

    // The real pages/routes.ts, with the key endpoints answered by a fake fetch.
    const fetch = vi.fn((url: string) =>
      Promise.resolve(new Response(url === "/api/device/keys" ? JSON.stringify({ keys: [securityKey()], adminRequired: false }) : "{}")),
    );
    vi.stubGlobal("fetch", fetch);
    const { router } = await boot("/account/security", api("device"));
    onTestFinished(() => router.stop()); // its link listener must not outlive the test
    const link = main().querySelector<HTMLAnchorElement>('a[href="/security-keys"]');
    expect(text(link)).toBe("Security keys");
    link?.click();
    await settle();
    expect(h1()).toBe("Security keys");
    expect(fetch).toHaveBeenCalledWith("/api/device/keys", expect.objectContaining({ method: "GET" }));
  });
});

describe("a security key's page", () => {
  it("shows the key and what can be done with it", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey()];
    await bootKeys("/security-keys/usb%3A3f9a0c1d2e3f4a5b", keys);
    expect(h1()).toBe("YubiKey 5 Series");
    expect(keys.calls).toContain("getKey usb:3f9a0c1d2e3f4a5b");
    const hrefs = [...main().querySelectorAll<HTMLAnchorElement>("main a")].map((a) => a.getAttribute("href"));
    expect(hrefs).toEqual(
      expect.arrayContaining([
        "/security-keys/usb%3A3f9a0c1d2e3f4a5b/passkeys",
        "/security-keys/usb%3A3f9a0c1d2e3f4a5b/pin",
        "/security-keys/usb%3A3f9a0c1d2e3f4a5b/reset",
      ]),
    );
    expect(await violations()).toEqual([]);
  });

  it("says when the key is not plugged in any more", async () => {
    await bootKeys("/security-keys/usb%3Agone", new FakeKeys());
    expect(h1()).toBe("Your security key is not plugged in");
  });

  it("explains a blocked PIN and that only a reset helps", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey({ pin: { set: true, retriesLeft: 0, blocked: true, minLength: 4, mustChange: false } })];
    await bootKeys("/security-keys/usb%3A3f9a0c1d2e3f4a5b", keys);
    const callout = main().querySelector(".nhsuk-card--warning");
    expect(text(callout)).toContain("The PIN of this security key is blocked");
    expect(callout?.querySelector('a[href$="/reset"]')).not.toBeNull();
    expect(main().querySelector('a[href$="/passkeys"]')).toBeNull();
    expect(main().querySelector('a[href$="/pin"]')).toBeNull();
  });

  it("asks for a new PIN before anything else when the key says it must change", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey({ pin: { set: true, retriesLeft: 8, blocked: false, minLength: 6, mustChange: true } })];
    await bootKeys("/security-keys/usb%3A3f9a0c1d2e3f4a5b", keys);
    expect(h1()).toBe("Change your security key PIN");
    expect(text(main())).toContain("needs a new PIN before you can use it again");
    expect(text(main().querySelector("#new-pin-hint"))).toContain("Use 6 characters or more");
    expect(await violations()).toEqual([]);

    fill("current-pin", PIN);
    fill("new-pin", "135792");
    fill("new-pin-confirm", "135792");
    submit();
    await settle();
    expect(keys.calls).toContain("savePin usb:3f9a0c1d2e3f4a5b change");
    expect(keys.pins).toEqual([PIN, "135792"]);
    expect(h1()).toBe("YubiKey 5 Series");
    const banner = main().querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("PIN changed");
    expect(document.activeElement).toBe(banner);
  });

  it("the passkeys page sends a key that must change its PIN back to the key's page", async () => {
    const keys = new FakeKeys();
    keys.keys = [securityKey({ pin: { set: true, retriesLeft: 8, blocked: false, minLength: 4, mustChange: true } })];
    await bootKeys("/security-keys/usb%3A3f9a0c1d2e3f4a5b/passkeys", keys);
    expect(window.location.pathname).toBe("/security-keys/usb%3A3f9a0c1d2e3f4a5b");
    expect(h1()).toBe("Change your security key PIN");
  });
});

describe("the PIN page", () => {
  const path = "/security-keys/virtual/pin";

  it("creates a first PIN, asked for twice, with clear errors and focus on the summary", async () => {
    const keys = new FakeKeys();
    keys.keys = [virtualKey({ pin: { set: false, retriesLeft: null, blocked: false, minLength: 4, mustChange: false } })];
    await bootKeys(path, keys);
    expect(h1()).toBe("Create a PIN for your security key");
    expect(main().querySelector("#current-pin")).toBeNull();
    expect(main().querySelector("#new-pin")?.getAttribute("autocomplete")).toBe("off");

    for (const [pin, again, field, message] of [
      ["", "", "new-pin", "Enter a new PIN"],
      ["123", "123", "new-pin", "PIN must be 4 characters or more"],
      ["8".repeat(64), "", "new-pin", "PIN must be 63 characters or fewer"],
      ["é".repeat(32), "", "new-pin", "PIN is too long. Letters with accents and some symbols take up more space, so use fewer of them"],
      ["1357", "", "new-pin-confirm", "Enter the new PIN again"],
      ["1357", "1358", "new-pin-confirm", "The PINs you entered do not match"],
    ] as const) {
      fill("new-pin", pin);
      fill("new-pin-confirm", again);
      submit();
      await settle();
      const summary = main().querySelector(".nhsuk-error-summary");
      expect(document.activeElement).toBe(summary);
      expect(text(summary?.querySelector(`a[href="#${field}"]`))).toBe(message);
      expect(text(main().querySelector(`#${field}-error`))).toBe(`Error: ${message}`);
      expect(document.title).toBe("Error: Create a PIN for your security key – NHS login passkeys");
      expect((main().querySelector("#new-pin") as HTMLInputElement).value).toBe("");
    }
    expect(await violations()).toEqual([]);
    expect(keys.calls.filter((c) => c.startsWith("savePin"))).toEqual([]);

    fill("new-pin", "1357");
    fill("new-pin-confirm", "1357");
    submit();
    await settle();
    expect(keys.calls).toContain("savePin virtual first");
    expect(window.location.pathname).toBe("/security-keys/virtual");
    expect(text(main().querySelector(".nhsuk-notification-banner"))).toContain("PIN created");
  });

  it("changing it needs the current PIN, and a wrong one says the tries left against the field", async () => {
    const keys = new FakeKeys();
    keys.keys = [virtualKey()];
    await bootKeys(path, keys);
    expect(h1()).toBe("Change your security key PIN");
    fill("current-pin", "000000");
    fill("new-pin", "24680");
    fill("new-pin-confirm", "24680");
    submit();
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary?.querySelector('a[href="#current-pin"]'))).toBe("The PIN is not correct. You have 7 tries left.");
    expect(text(main().querySelector("#current-pin-error"))).toContain("The PIN is not correct. You have 7 tries left.");
    expect(await violations()).toEqual([]);

    keys.failNext.savePin = new ApiError(409, "pin_auth_blocked", "The wrong PIN was entered too many times in a row. Remove your security key and insert it again, then try again.");
    fill("current-pin", PIN);
    fill("new-pin", "24680");
    fill("new-pin-confirm", "24680");
    submit();
    await settle();
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain("Remove your security key and insert it again");
  });

  it("when the last try blocks the PIN, shows the key's page, which says only a reset helps", async () => {
    const keys = new FakeKeys();
    keys.keys = [virtualKey({ pin: { set: true, retriesLeft: 1, blocked: false, minLength: 4, mustChange: false } })];
    await bootKeys(path, keys);
    expect(text(main().querySelector("#current-pin-hint"))).toContain("You have 1 try left.");
    fill("current-pin", "000000");
    fill("new-pin", "24680");
    fill("new-pin-confirm", "24680");
    submit();
    await settle();
    expect(h1()).toBe("Virtual security key (for testing)");
    expect(location.pathname).toBe("/security-keys/virtual");
    expect(main().querySelector("form")).toBeNull();
    expect(text(main().querySelector(".nhsuk-card--warning"))).toContain("To use the key again, you need to reset it.");

    // Going back to the PIN page cannot offer a form for a blocked PIN either.
    history.pushState(null, "", path);
    window.dispatchEvent(new PopStateEvent("popstate"));
    await settle();
    expect(h1()).toBe("Virtual security key (for testing)");
    expect(keys.pins).toEqual(["000000"]);
  });
});
