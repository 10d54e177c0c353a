import { describe, expect, it, vi } from "vitest";
import { ApiError, type Passkey } from "../api";
import { boot, fakeApi, settle, submit, text } from "../testing/harness";

const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true };
const signedIn = () => Promise.resolve({ signedIn: true as const, account });

function passkey(overrides: Partial<Passkey>): Passkey {
  return {
    id: "p1",
    name: "Passkey",
    createdAt: "2025-03-03T12:00:00Z",
    lastUsedAt: null,
    backupEligible: false,
    backedUp: false,
    transports: ["internal"],
    aaguid: "00000000-0000-0000-0000-000000000000",
    ...overrides,
  };
}

describe("login and security settings", () => {
  it("sends someone who is not signed in to log in", async () => {
    const { main } = await boot("/account/security", fakeApi());
    expect(window.location.pathname).toBe("/login");
    expect(text(main.querySelector("h1"))).toBe("Log in");
  });

  it("shows who is signed in and says when there are no passkeys yet", async () => {
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([]) }));
    expect(document.title).toBe("Login and security settings – NHS login passkeys");
    expect(text(main)).toContain("pat@example.com");
    expect(text(main.querySelector("h2"))).toBe("Passkeys");
    expect(text(main)).toContain("You have not set up a passkey yet.");
    expect(main.querySelector(".nhsuk-summary-list")).toBeNull();
    const setUp = main.querySelector<HTMLAnchorElement>('a.nhsuk-button[href="/account/passkeys/set-up"]');
    expect(text(setUp)).toBe("Set up a passkey");
  });

  it("lists each passkey as a summary list row with when it was added and last used", async () => {
    const passkeys = [
      passkey({ id: "p1", name: "Windows Hello", createdAt: "2025-03-03T12:00:00Z", lastUsedAt: "2025-04-05T12:00:00Z" }),
      passkey({ id: "p2", name: "<script>alert(1)</script>", createdAt: "2025-06-01T12:00:00Z", backedUp: true }),
    ];
    const { main } = await boot("/account/security", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    const rows = [...main.querySelectorAll(".nhsuk-summary-list__row")];
    expect(rows.map((row) => text(row.querySelector(".nhsuk-summary-list__key")))).toEqual([
      "Windows Hello",
      "<script>alert(1)</script>",
    ]);
    expect(main.querySelector(".nhsuk-summary-list script")).toBeNull();
    expect(text(rows[0]?.querySelector(".nhsuk-summary-list__value"))).toBe("Added 3 March 2025 Last used 5 April 2025");
    expect(text(rows[1]?.querySelector(".nhsuk-summary-list__value"))).toMatch(/^Added 1 June 2025 Not used yet Backed up/);
  });

  it("announces a passkey that was just set up, once, with focus on the banner", async () => {
    const api = fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([passkey({ name: "YubiKey 5" })]) });
    const { main, app, router } = await boot("/somewhere-else", api);
    app.journey.notice = { kind: "passkey-set-up", passkeyName: "YubiKey 5" };
    await router.navigate("/account/security");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner?.querySelector(".nhsuk-notification-banner__heading"))).toBe("Passkey set up");
    expect(text(banner)).toContain("YubiKey 5");
    expect(document.activeElement).toBe(banner);

    await router.navigate("/account/security");
    expect(main.querySelector(".nhsuk-notification-banner")).toBeNull();
    expect(document.activeElement).toBe(main.querySelector("h1"));
  });

  it("logs out, then shows the start page saying so", async () => {
    let live = true;
    const api = fakeApi({
      getSession: () => Promise.resolve(live ? { signedIn: true, account } : { signedIn: false }),
      listPasskeys: () => Promise.resolve([]),
      logout: vi.fn(() => {
        live = false;
        return Promise.resolve();
      }),
    });
    const { main } = await boot("/account/security", api);
    const button = main.querySelector<HTMLButtonElement>("form button[type=submit]");
    expect(text(button)).toBe("Log out");
    submit();
    await settle();
    expect(api.logout).toHaveBeenCalledOnce();
    expect(window.location.pathname).toBe("/");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("You have logged out");
    expect(document.activeElement).toBe(banner);
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
