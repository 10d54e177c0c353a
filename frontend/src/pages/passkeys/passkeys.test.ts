// `/account/passkeys`: "Passkeys", the step between Login and security settings and Set up a
// passkey in NHS login's help article, with every passkey in full and Rename and Remove.

import { describe, expect, it } from "vitest";
import { axeViolations } from "../../testing/axe";
import { account, clickControl, passkey, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, settle, text } from "../../testing/harness";
import { ApiError } from "../../api/request";

const signedIn = signedInAs(account());

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

describe("passkeys", () => {
  it("sends someone who is not signed in to log in", async () => {
    await boot("/account/passkeys", fakeApi());
    expect(window.location.pathname).toBe("/login");
  });

  it("has its title, focus on its h1, Set up a passkey, a way back to the settings, and no axe violations", async () => {
    const { main } = await boot("/account/passkeys", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([passkey()]) }));
    expect(document.title).toBe("Passkeys – NHS login passkeys");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    const setUp = main.querySelector<HTMLAnchorElement>('a.nhsuk-button[href="/account/passkeys/set-up"]');
    expect(text(setUp)).toBe("Set up a passkey");
    expect(document.querySelector("[data-before-content] .nhsuk-back-link")?.getAttribute("href")).toBe("/account/security");
    expect(await axeViolations()).toEqual([]);
  });

  it("says when there are no passkeys yet", async () => {
    const { main } = await boot("/account/passkeys", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([]) }));
    expect(text(main)).toContain("You have not set up a passkey yet.");
    expect(cards(main)).toEqual([]);
    expect(text(main.querySelector('a.nhsuk-button[href="/account/passkeys/set-up"]'))).toBe("Set up a passkey");
  });

  it("shows each passkey as a summary card: where it is saved, when it was added and last used", async () => {
    const passkeys = [
      passkey({ id: "a", name: "Windows Hello", storedOn: "this-device", provider: "Windows Hello", lastUsedAt: "2025-04-05T12:00:00Z" }),
      passkey({ id: "b", name: "Pat's iPhone", storedOn: "synced", provider: "iCloud Keychain", createdAt: "2025-06-01T12:00:00Z" }),
      passkey({ id: "c", name: "Security key", storedOn: "security-key", provider: null, transports: ["usb"] }),
      passkey({ id: "d", name: "<script>alert(1)</script>", storedOn: "synced", provider: null }),
    ];
    const { main } = await boot("/account/passkeys", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
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
    const { main } = await boot("/account/passkeys", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    const actions = cards(main)[1]?.querySelectorAll<HTMLAnchorElement>(".nhsuk-card__actions a") ?? [];
    expect([...actions].map((a) => a.innerHTML)).toEqual([
      'Rename<span class="nhsuk-u-visually-hidden"> YubiKey 5</span>',
      'Remove<span class="nhsuk-u-visually-hidden"> YubiKey 5</span>',
    ]);
    expect([...actions].map((a) => a.getAttribute("href"))).toEqual(["/account/passkeys/rename", "/account/passkeys/remove"]);
  });

  it("keeps the chosen passkey in memory, not in the address, when Rename is selected", async () => {
    const passkeys = [passkey({ id: "a", name: "Windows Hello" }), passkey({ id: "b", name: "YubiKey 5" })];
    const { main, app } = await boot("/account/passkeys", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
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
    const { main } = await boot("/account/passkeys", fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys) }));
    const [flagged, fine] = cards(main);
    const tag = flagged?.querySelector(".nhsuk-tag.nhsuk-tag--red");
    expect(text(tag)).toBe("Do not use");
    expect(rows(flagged)[0]).toEqual([
      "Status",
      "Do not use This passkey may have been copied. Remove it and set up a new one.",
    ]);
    expect(fine?.querySelector(".nhsuk-tag")).toBeNull();
  });

  it("shows the banner for a passkey just set up, once", async () => {
    const api = fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve([passkey({ name: "YubiKey 5" })]) });
    const { main, app, router } = await boot("/somewhere-else", api);
    app.journey.notice = { kind: "passkey-set-up", passkeyName: "YubiKey 5" };
    await router.navigate("/account/passkeys");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("Passkey set up");
    expect(document.activeElement).toBe(banner);
    await router.navigate("/account/passkeys");
    expect(main.querySelector(".nhsuk-notification-banner")).toBeNull();
  });

  it("a passkey chosen here to remove comes back here", async () => {
    const passkeys = [passkey({ id: "a", name: "Windows Hello" }), passkey({ id: "b", name: "YubiKey 5" })];
    const api = fakeApi({ getSession: signedIn, listPasskeys: () => Promise.resolve(passkeys), removePasskey: () => Promise.resolve(passkeys.slice(0, 1)) });
    const { main, app } = await boot("/account/passkeys", api);
    clickControl("Remove YubiKey 5");
    await settle();
    expect(app.journey.passkeyFrom).toBe("/account/passkeys");
    expect(main.querySelector('form a[href="/account/passkeys"]')?.textContent).toBe("Cancel");
    clickControl("Remove passkey");
    await settle();
    expect(window.location.pathname).toBe("/account/passkeys");
    expect(text(main.querySelector(".nhsuk-notification-banner__heading"))).toBe("Passkey removed");
  });

  it("goes to log in if the session ends while the page loads", async () => {
    const api = fakeApi({ getSession: signedIn, listPasskeys: () => Promise.reject(new ApiError(401, "not_signed_in", "Log in to continue")) });
    await boot("/account/passkeys", api);
    expect(window.location.pathname).toBe("/login");
  });
});
