import { describe, expect, it, vi } from "vitest";
import { ApiError } from "../api";
import { account, clickControl, passkey, signedInAs } from "../testing/accounts";
import { boot, fakeApi, settle, text } from "../testing/harness";

const pat = account();
const signedIn = signedInAs(pat);

function cards(main: HTMLElement): HTMLElement[] {
  return [...main.querySelectorAll<HTMLElement>(".nhsuk-card")];
}

/** The rows of a card's summary list, as [key, value] text. */
function rows(card: HTMLElement | undefined): [string, string][] {
  return [...(card?.querySelectorAll(".nhsuk-summary-list__row") ?? [])].map((row) => [
    text(row.querySelector(".nhsuk-summary-list__key")),
    text(row.querySelector(".nhsuk-summary-list__value")),
  ]);
}

describe("login and security settings", () => {
  it("sends someone who is not signed in to log in", async () => {
    const { main } = await boot("/account/security", fakeApi());
    expect(window.location.pathname).toBe("/login");
    expect(text(main.querySelector("h1"))).toBe("Log in");
  });

  it("shows who is signed in, says when there are no passkeys yet, and has every section", async () => {
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([]) }));
    expect(document.title).toBe("Login and security settings – NHS login passkeys");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(text(main)).toContain("pat@example.com");
    expect([...main.querySelectorAll("h2")].map((h) => text(h))).toEqual([
      "Passkeys",
      "Password",
      "Recent activity",
      "Log out of all other devices",
      "Log out",
    ]);
    expect(text(main)).toContain("You have not set up a passkey yet.");
    expect(cards(main)).toEqual([]);
    const setUp = main.querySelector<HTMLAnchorElement>('a.nhsuk-button[href="/account/passkeys/set-up"]');
    expect(text(setUp)).toBe("Set up a passkey");
    expect(text(main.querySelector('a[href="/account/activity"]'))).toBe("View recent activity");
  });

  it("shows each passkey as a summary card: where it is saved, when it was added and last used", async () => {
    const passkeys = [
      passkey({ id: "a", name: "Windows Hello", storedOn: "this-device", provider: "Windows Hello", lastUsedAt: "2025-04-05T12:00:00Z" }),
      passkey({ id: "b", name: "Pat's iPhone", storedOn: "synced", provider: "iCloud Keychain", createdAt: "2025-06-01T12:00:00Z" }),
      passkey({ id: "c", name: "Security key", storedOn: "security-key", provider: null, transports: ["usb"] }),
      passkey({ id: "d", name: "<script>alert(1)</script>", storedOn: "synced", provider: null }),
    ];
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    const all = cards(main);
    expect(all.map((card) => text(card.querySelector("h3.nhsuk-card__heading")))).toEqual([
      "Windows Hello",
      "Pat's iPhone",
      "Security key",
      "<script>alert(1)</script>",
    ]);
    expect(main.querySelector("script")).toBeNull();
    expect(rows(all[0])).toEqual([
      ["Where it is saved", "This device (Windows Hello)"],
      ["Added", "3 March 2025"],
      ["Last used", "5 April 2025"],
    ]);
    expect(rows(all[1])).toEqual([
      ["Where it is saved", "Synced (iCloud Keychain)"],
      ["Added", "1 June 2025"],
      ["Last used", "Not used yet"],
    ]);
    expect(rows(all[2])[0]).toEqual(["Where it is saved", "Security key"]);
    expect(rows(all[3])[0]).toEqual(["Where it is saved", "Synced"]);
  });

  it("gives each passkey Rename and Remove links that name it to screen readers", async () => {
    const passkeys = [passkey({ id: "a", name: "Windows Hello" }), passkey({ id: "b", name: "YubiKey 5" })];
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    const actions = cards(main)[1]?.querySelectorAll<HTMLAnchorElement>(".nhsuk-card__actions a") ?? [];
    expect([...actions].map((a) => a.innerHTML)).toEqual([
      'Rename<span class="nhsuk-u-visually-hidden"> YubiKey 5</span>',
      'Remove<span class="nhsuk-u-visually-hidden"> YubiKey 5</span>',
    ]);
    expect([...actions].map((a) => a.getAttribute("href"))).toEqual(["/account/passkeys/rename", "/account/passkeys/remove"]);
  });

  it("keeps the chosen passkey in memory, not in the address, when Rename is selected", async () => {
    const passkeys = [passkey({ id: "a", name: "Windows Hello" }), passkey({ id: "b", name: "YubiKey 5" })];
    const { main, app } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    clickControl("Rename YubiKey 5");
    await settle();
    expect(window.location.pathname).toBe("/account/passkeys/rename");
    expect(window.location.search).toBe("");
    expect(app.journey.passkey).toBe("b");
    expect(text(main.querySelector("h1"))).toBe("Rename your passkey");
    expect(main.querySelector<HTMLInputElement>("#name")?.value).toBe("YubiKey 5");
  });

  it("warns, with a red tag, that a flagged passkey may have been copied and should be removed", async () => {
    const passkeys = [passkey({ id: "a", name: "Old phone", flagged: true }), passkey({ id: "b", name: "Laptop" })];
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    const [flagged, fine] = cards(main);
    const tag = flagged?.querySelector(".nhsuk-tag.nhsuk-tag--red");
    expect(text(tag)).toBe("Do not use");
    expect(rows(flagged)[0]).toEqual([
      "Status",
      "Do not use This passkey may have been copied. Remove it and set up a new one.",
    ]);
    expect(fine?.querySelector(".nhsuk-tag")).toBeNull();
  });

  it("offers to change the password, or to set one when the account has none", async () => {
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([]) }));
    expect(text(main.querySelector('a[href="/account/password"]'))).toBe("Change your password");

    const noPassword = signedInAs(account({ hasPassword: false }));
    const again = await boot("/account/security", fakeApi({ getSession: noPassword, listPasskeys: () => Promise.resolve([passkey()]) }));
    expect(text(again.main.querySelector('a[href="/account/password"]'))).toBe("Set a password");
    expect(text(again.main)).toContain("You have not set a password.");
  });

  it.each([
    [{ kind: "passkey-set-up", passkeyName: "YubiKey 5" } as const, "Passkey set up", "YubiKey 5"],
    [{ kind: "passkey-renamed", passkeyName: "Work laptop" } as const, "Passkey renamed", "Your passkey is now called “Work laptop”."],
    [{ kind: "passkey-removed", passkeyName: "Old phone" } as const, "Passkey removed", "You can no longer log in with “Old phone”."],
    [{ kind: "password-changed", wasSet: false } as const, "Password changed", "logged out on any other devices"],
    [{ kind: "password-changed", wasSet: true } as const, "Password set", "logged out on any other devices"],
  ])("announces %o once, in a focused success banner", async (notice, heading, body) => {
    const api = fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([passkey({ name: "YubiKey 5" })]) });
    const { main, app, router } = await boot("/somewhere-else", api);
    app.journey.notice = notice;
    await router.navigate("/account/security");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner?.querySelector(".nhsuk-notification-banner__heading"))).toBe(heading);
    expect(text(banner)).toContain(body);
    expect(document.activeElement).toBe(banner);
    expect(document.title).toBe("Login and security settings – NHS login passkeys");

    await router.navigate("/account/security");
    expect(main.querySelector(".nhsuk-notification-banner")).toBeNull();
    expect(document.activeElement).toBe(main.querySelector("h1"));
  });

  it.each([
    [2, "You have been logged out on 2 other devices"],
    [1, "You have been logged out on 1 other device"],
    [0, "You were not logged in on any other devices"],
  ])("logs out of all other devices (%i) and says how many in a focused banner", async (count, heading) => {
    const api = fakeApi({
      getSession: signedIn,
      listPasskeys: () => Promise.resolve([]),
      logoutOtherSessions: vi.fn(() => Promise.resolve(count)),
    });
    const { main } = await boot("/account/security", api);
    clickControl("Log out of all other devices");
    await settle();
    expect(api.logoutOtherSessions).toHaveBeenCalledOnce();
    expect(window.location.pathname).toBe("/account/security");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner?.querySelector(".nhsuk-notification-banner__heading"))).toBe(heading);
    expect(text(banner)).toContain("You are still logged in on this device.");
    expect(document.activeElement).toBe(banner);
  });

  it("shows a failure to log out of other devices in a focused error summary", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const api = fakeApi({
      getSession: signedIn,
      listPasskeys: () => Promise.resolve([]),
      logoutOtherSessions: () => Promise.reject(new ApiError(500, "internal_error", "Sorry, there is a problem with the service. Try again later.")),
    });
    const { main } = await boot("/account/security", api);
    clickControl("Log out of all other devices");
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain("Sorry, there is a problem with the service. Try again later.");
    expect(document.activeElement).toBe(summary);
    expect(document.title).toBe("Error: Login and security settings – NHS login passkeys");
  });

  it("logs out, then shows the start page saying so", async () => {
    let live = true;
    const api = fakeApi({
      getSession: () => Promise.resolve(live ? { signedIn: true, account: pat } : { signedIn: false }),
      listPasskeys: () => Promise.resolve([]),
      logout: vi.fn(() => {
        live = false;
        return Promise.resolve();
      }),
    });
    const { main, app } = await boot("/account/security", api);
    app.journey.passkey = "a";
    clickControl("Log out");
    await settle();
    expect(api.logout).toHaveBeenCalledOnce();
    expect(app.journey.passkey).toBeNull();
    expect(window.location.pathname).toBe("/");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("You have logged out");
    expect(document.activeElement).toBe(banner);
  });

  it("in kiosk mode, logs out and then loads the start page again, so nothing of the visit stays in memory", async () => {
    let live = true;
    const api = fakeApi({
      getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk: true }),
      getSession: () => Promise.resolve(live ? { signedIn: true, account: pat } : { signedIn: false }),
      listPasskeys: () => Promise.resolve([]),
      logout: vi.fn(() => {
        live = false;
        return Promise.resolve();
      }),
    });
    const leave = vi.fn();
    const { app } = await boot("/account/security", api, undefined, { kiosk: true, leave });
    app.journey.email = "pat@example.com";
    clickControl("Log out");
    await settle();
    expect(api.logout).toHaveBeenCalledOnce();
    expect(leave).toHaveBeenCalledWith({ kind: "logged-out" });
    expect(app.journey.email).toBe("");
    expect(window.location.pathname).toBe("/account/security"); // the page load does the rest
  });

  it("goes to log in if the session ends while the page loads", async () => {
    const api = fakeApi({
      getSession: signedIn,
      listPasskeys: () => Promise.reject(new ApiError(401, "not_signed_in", "Log in to continue")),
    });
    await boot("/account/security", api);
    expect(window.location.pathname).toBe("/login");
  });
});
