import { afterEach, describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import * as removal from "./removed";
import { account, passkey, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, fill, settle, submit, text } from "../../testing/harness";
import { clickControl } from "../../testing/accounts";
import { axeViolations } from "../../testing/axe";
import { ApiError } from "../../api/request";
import type { Account } from "../../api/account";
import type { Passkey } from "../../api/passkeys";

const hello = passkey({ id: "cred-1", name: "Windows Hello", storedOn: "this-device" });
const phone = passkey({ id: "cred-2", name: "Pat's iPhone", storedOn: "synced", provider: "iCloud Keychain" });
const yubikey = passkey({ id: "cred-3", name: "YubiKey 5", storedOn: "security-key", provider: "YubiKey 5 Series", transports: ["usb"] });

function api(who: Account, passkeys: Passkey[], overrides: Partial<Api> = {}): Api {
  return fakeApi({ getSession: signedInAs(who), listPasskeys: () => Promise.resolve(passkeys), ...overrides });
}

async function openRemove(theApi: Api, id: string) {
  const harness = await boot("/elsewhere", theApi);
  harness.app.journey.passkey = id;
  await harness.router.navigate("/account/passkeys/remove");
  return harness;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("remove a passkey", () => {
  it("asks to confirm, says what removing means, and has a warning button and a way back", async () => {
    const { main } = await openRemove(api(account(), [hello, phone]), "cred-1");
    expect(text(main.querySelector("h1"))).toBe("Are you sure you want to remove “Windows Hello”?");
    expect(document.title).toBe("Are you sure you want to remove “Windows Hello”? – NHS login passkeys");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(text(main)).toContain("you will not be able to use it to log in");
    expect(text(main)).toContain("You can still log in with your password or your other passkeys.");
    expect(text(main)).toContain("your device may still offer you this passkey");
    expect(text(main)).toContain("passwords or passkeys settings");
    const remove = main.querySelector("form button[type=submit]");
    expect(text(remove)).toBe("Remove passkey");
    expect(remove?.classList.contains("nhsuk-button--warning")).toBe(true);
    expect(main.querySelector('form a[href="/account/security"]')?.textContent).toBe("Cancel");
  });

  it("for a synced passkey, says where to remove it so all the person's devices stop offering it", async () => {
    const { main } = await openRemove(api(account(), [hello, phone]), "cred-2");
    expect(text(main)).toContain("This passkey is synced with iCloud Keychain");
    expect(text(main)).toContain("it will be removed from all of them");
  });

  it("for a security key in the browser, says the key keeps it until it is deleted there", async () => {
    const { main } = await openRemove(api(account(), [hello, yubikey]), "cred-3");
    expect(text(main)).toContain("saved on a security key. Removing it here does not delete it from the key");
    expect(text(main)).not.toContain("Security keys in your Login and security settings");
  });

  it("for a security key in the desktop app, points to the Security keys section", async () => {
    const desktop = api(account(), [hello, yubikey], { getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }) });
    const { main } = await openRemove(desktop, "cred-3");
    expect(text(main)).toContain("go to Security keys in your Login and security settings");
    expect(text(main.querySelector('a[href="/security-keys"]'))).toBe("Security keys");
  });

  it("for a security key in the desktop app on Windows, points to Windows Settings, which can delete it", async () => {
    const windows = api(account(), [hello, yubikey], {
      getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", system: "windows" }),
    });
    const { main } = await openRemove(windows, "cred-3");
    expect(text(main)).toContain("open Windows Settings and go to Settings > Accounts > Sign-in options > Security key");
    expect(main.querySelector('a[href="/security-keys"]')).toBeNull();
  });

  it("removes it, runs the hook, and shows the settings with a focused success banner", async () => {
    const hook = vi.spyOn(removal, "afterPasskeyRemoved");
    const removePasskey = vi.fn((_id: string, _proof?: string) => Promise.resolve([phone]));
    let passkeys = [hello, phone];
    const theApi = api(account(), [], {
      listPasskeys: () => Promise.resolve(passkeys),
      removePasskey: vi.fn((id: string, proof?: string) => {
        passkeys = passkeys.filter((p) => p.id !== id);
        return removePasskey(id, proof);
      }),
    });
    const { main, app } = await openRemove(theApi, "cred-1");
    submit();
    await settle();
    expect(removePasskey).toHaveBeenCalledWith("cred-1", undefined);
    expect(hook).toHaveBeenCalledExactlyOnceWith(hello, app);
    expect(window.location.pathname).toBe("/account/security");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("Passkey removed");
    expect(text(banner)).toContain("You can no longer log in with “Windows Hello”.");
    expect(document.activeElement).toBe(banner);
    expect([...main.querySelectorAll(".nhsuk-summary-list__key")].map((h) => text(h))).toEqual(["Pat's iPhone"]);
    expect(app.journey.passkey).toBeNull();
  });

  it("goes where the hook says next, with the banner waiting for the settings", async () => {
    vi.spyOn(removal, "afterPasskeyRemoved").mockResolvedValue("/not-built-yet");
    const { app } = await openRemove(api(account(), [yubikey], { removePasskey: () => Promise.resolve([]) }), "cred-3");
    submit();
    await settle();
    expect(window.location.pathname).toBe("/not-built-yet");
    expect(app.journey.notice).toEqual({ kind: "passkey-removed", passkeyName: "YubiKey 5", passkeyId: "cred-3", provider: "YubiKey 5 Series" });
  });

  it("still says the passkey was removed when the hook fails", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    vi.spyOn(removal, "afterPasskeyRemoved").mockRejectedValue(new Error("the key went away"));
    const { main } = await openRemove(api(account(), [hello, phone], { removePasskey: () => Promise.resolve([phone]) }), "cred-1");
    submit();
    await settle();
    expect(text(main.querySelector(".nhsuk-notification-banner__heading"))).toBe("Passkey removed");
  });

  it("for a synced passkey the hook does nothing and goes back to the settings", async () => {
    expect(await removal.afterPasskeyRemoved(phone, {} as never)).toBeNull();
  });

  it("explains 409 last_way_to_log_in with links to set a password or another passkey", async () => {
    const lastWay = new ApiError(
      409,
      "last_way_to_log_in",
      "You cannot remove this passkey because it is the only way you can log in. Set up another passkey or a password first, then remove it.",
    );
    const removePasskey = vi.fn(() => Promise.reject(lastWay));
    const hook = vi.spyOn(removal, "afterPasskeyRemoved");
    // An account with no password and only this passkey (not reachable from the UI today:
    // every account starts with a password).
    const { main } = await openRemove(api(account({ hasPassword: false }), [hello], { removePasskey }), "cred-1");
    expect(text(main)).not.toContain("You can still log in");
    submit();
    await settle();
    expect(document.title).toBe("Error: Are you sure you want to remove “Windows Hello”? – NHS login passkeys");
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary)).toContain("it is the only way you can log in");
    expect(text(summary?.querySelector('a[href="/account/password"]'))).toBe("set a password");
    expect(text(summary?.querySelector('a[href="/account/passkeys/set-up"]'))).toBe("set up another passkey");
    expect(hook).not.toHaveBeenCalled();
    expect(window.location.pathname).toBe("/account/passkeys/remove");
  });

  it("without a chosen passkey, goes back to the settings", async () => {
    await boot("/account/passkeys/remove", api(account(), [hello]));
    expect(window.location.pathname).toBe("/account/security");
  });
});

// A patient who lost two devices logs in with their password and removes both passkeys: one
// confirmation covers both (docs/api.md, "Re-authentication"), and it is the password.
describe("removing the passkeys of lost devices", () => {
  const REQUIRED = new ApiError(403, "reauth_required", "For your security, confirm it's you before you make this change.");
  const lostPhone = passkey({ id: "cred-4", name: "Lost phone", storedOn: "synced" });
  const lostLaptop = passkey({ id: "cred-5", name: "Lost laptop", storedOn: "this-device" });

  /** The server: a removal needs the proof "proof-1" (the login grace has been used). */
  function lostDevicesApi() {
    let passkeys = [lostPhone, lostLaptop];
    return fakeApi({
      getSession: signedInAs(account({ hasPassword: true, hasPasskey: true })),
      listPasskeys: () => Promise.resolve(passkeys),
      removePasskey: vi.fn((id: string, proof?: string) => {
        if (proof !== "proof-1") return Promise.reject(REQUIRED);
        passkeys = passkeys.filter((p) => p.id !== id);
        return Promise.resolve(passkeys);
      }),
      reauthWithPassword: vi.fn(() => Promise.resolve("proof-1")),
      beginPasskeyReauth: vi.fn(() => Promise.reject(new Error("no passkey should be asked for"))),
    });
  }

  it("after a password login, asks for the password once and removes every lost passkey with no passkey asked for", async () => {
    const api = lostDevicesApi();
    const { main, app } = await boot("/account/security", api);
    app.journey.loggedInWith = "password";

    clickControl("Remove Lost phone");
    await settle();
    clickControl("Remove passkey");
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Confirm it's you");
    // The password comes first, with the passkey still on offer.
    expect(main.querySelector("#password")).not.toBeNull();
    expect(text(main)).toContain("you can remove other passkeys for the next 5 minutes without being asked again");
    expect(text(main.querySelector("#use-passkey"))).toBe("Confirm it's you with a passkey instead");
    expect(await axeViolations()).toEqual([]);
    fill("password", "the password");
    submit();
    await settle();
    expect(window.location.pathname).toBe("/account/security");
    expect(text(main.querySelector(".nhsuk-notification-banner__heading"))).toBe("Passkey removed");

    clickControl("Remove Lost laptop");
    await settle();
    clickControl("Remove passkey");
    await settle();
    expect(window.location.pathname).toBe("/account/security");
    expect(text(main.querySelector(".nhsuk-notification-banner"))).toContain("You can no longer log in with “Lost laptop”.");

    expect(api.reauthWithPassword).toHaveBeenCalledExactlyOnceWith("remove-passkey", "the password");
    expect(api.beginPasskeyReauth).not.toHaveBeenCalled();
    expect(vi.mocked(api.removePasskey).mock.calls).toEqual([
      ["cred-4", undefined],
      ["cred-4", "proof-1"],
      ["cred-5", "proof-1"],
    ]);
  });

  it("offers the password to confirm a removal even though the account has a usable passkey", async () => {
    const api = lostDevicesApi();
    const { main } = await boot("/account/security", api);
    clickControl("Remove Lost phone");
    await settle();
    clickControl("Remove passkey");
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Confirm it's you");
    expect(main.querySelector("#password")).toBeNull(); // logged in some other way: the passkey first
    clickControl("Confirm it's you with your password instead");
    await settle();
    fill("password", "the password");
    submit();
    await settle();
    expect(api.reauthWithPassword).toHaveBeenCalledWith("remove-passkey", "the password");
    expect(text(main.querySelector(".nhsuk-notification-banner__heading"))).toBe("Passkey removed");
  });

  it("asks again when the kept confirmation has expired", async () => {
    const api = lostDevicesApi();
    const { main, app } = await boot("/account/security", api);
    app.journey.loggedInWith = "password";
    app.journey.removalProof = "an expired proof";
    clickControl("Remove Lost phone");
    await settle();
    clickControl("Remove passkey");
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Confirm it's you");
    fill("password", "the password");
    submit();
    await settle();
    expect(vi.mocked(api.removePasskey).mock.calls).toEqual([
      ["cred-4", "an expired proof"],
      ["cred-4", "proof-1"],
    ]);
    expect(app.journey.removalProof).toBe("proof-1");
  });

  it("forgets the confirmation on logging out", async () => {
    const api = fakeApi({
      getSession: signedInAs(account()),
      listPasskeys: () => Promise.resolve([]),
      logout: () => Promise.resolve(),
    });
    const { app } = await boot("/account/security", api);
    app.journey.removalProof = "proof-1";
    clickControl("Log out");
    await settle();
    expect(app.journey.removalProof).toBeNull();
  });
});
