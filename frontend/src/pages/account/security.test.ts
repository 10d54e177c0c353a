import { describe, expect, it, vi } from "vitest";
import { account, clickControl, passkey, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, settle, text } from "../../testing/harness";
import { ApiError } from "../../api/request";

const pat = account();
const signedIn = signedInAs(pat);

/** The rows of a summary list (or of the one in a card), as [key, value] text. */
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
    expect(main.querySelector(".nhsuk-summary-list")).toBeNull();
    expect(text(main.querySelector('a[href="/account/activity"]'))).toBe("View recent activity");
  });

  // NHS login's help article: "Go to Login and security settings, select Passkeys, select Set
  // up a passkey". Set up a passkey is on the Passkeys page, not here.
  it("has Passkeys to select, as the help article says, leading to the Passkeys page with Set up a passkey", async () => {
    const api = fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([passkey()]) });
    const { main } = await boot("/account/security", api);
    const link = main.querySelector<HTMLAnchorElement>(".nhsuk-card h2.nhsuk-card__heading a.nhsuk-card__link");
    expect(text(link)).toBe("Passkeys");
    expect(link?.getAttribute("href")).toBe("/account/passkeys");
    expect(main.querySelector('a[href="/account/passkeys/set-up"]')).toBeNull();
    clickControl("Passkeys");
    await settle();
    expect(window.location.pathname).toBe("/account/passkeys");
    expect(text(main.querySelector("h1"))).toBe("Passkeys");
    expect(text(main.querySelector('a.nhsuk-button[href="/account/passkeys/set-up"]'))).toBe("Set up a passkey");
  });

  // And: "Select Login and security settings, select Remove for the passkey".
  it("lists each passkey with where it is saved, when it was last used, and Remove that names it", async () => {
    const passkeys = [
      passkey({ id: "a", name: "Windows Hello", storedOn: "this-device", provider: "Windows Hello", lastUsedAt: "2025-04-05T12:00:00Z" }),
      passkey({ id: "b", name: "Pat's iPhone", storedOn: "synced", provider: "iCloud Keychain" }),
      passkey({ id: "c", name: "<script>alert(1)</script>", storedOn: "synced", provider: null }),
    ];
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    const list = main.querySelector(".nhsuk-card .nhsuk-summary-list");
    expect(rows(list as HTMLElement)).toEqual([
      ["Windows Hello", "This device (Windows Hello)Last used 5 April 2025"],
      ["Pat's iPhone", "Synced (iCloud Keychain)Not used yet"],
      ["<script>alert(1)</script>", "SyncedNot used yet"],
    ]);
    expect(main.querySelector("script")).toBeNull();
    const removes = [...(list?.querySelectorAll<HTMLAnchorElement>(".nhsuk-summary-list__actions a") ?? [])];
    expect(removes.map((a) => a.innerHTML)).toEqual([
      'Remove<span class="nhsuk-u-visually-hidden"> Windows Hello</span>',
      'Remove<span class="nhsuk-u-visually-hidden"> Pat\'s iPhone</span>',
      'Remove<span class="nhsuk-u-visually-hidden"> &lt;script&gt;alert(1)&lt;/script&gt;</span>',
    ]);
    expect(removes.map((a) => a.getAttribute("href"))).toEqual(Array(3).fill("/account/passkeys/remove"));
    expect(main.querySelector('a[href="/account/passkeys/rename"]')).toBeNull();
  });

  it("keeps the chosen passkey in memory when Remove is selected, and Cancel comes back here", async () => {
    const passkeys = [passkey({ id: "a", name: "Windows Hello" }), passkey({ id: "b", name: "YubiKey 5" })];
    const { main, app } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    clickControl("Remove YubiKey 5");
    await settle();
    expect(window.location.pathname).toBe("/account/passkeys/remove");
    expect(window.location.search).toBe("");
    expect(app.journey.passkey).toBe("b");
    expect(text(main.querySelector("h1"))).toBe("Are you sure you want to remove “YubiKey 5”?");
    expect(document.querySelector("[data-before-content] .nhsuk-back-link")?.getAttribute("href")).toBe("/account/security");
    clickControl("Cancel");
    await settle();
    expect(window.location.pathname).toBe("/account/security");
  });

  it("tags a flagged passkey Do not use", async () => {
    const passkeys = [passkey({ id: "a", name: "Old phone", flagged: true }), passkey({ id: "b", name: "Laptop" })];
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    const [flagged, fine] = [...main.querySelectorAll<HTMLElement>(".nhsuk-summary-list__row")];
    expect(text(flagged?.querySelector(".nhsuk-tag.nhsuk-tag--red"))).toBe("Do not use");
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
