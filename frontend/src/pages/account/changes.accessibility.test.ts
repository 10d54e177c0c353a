// axe-core (the rules of shell/accessibility.test.ts) on every page and state of the account
// changes: the settings with passkey cards and banners, rename, remove, the password,
// recent activity and "Confirm it's you", ordinary and with errors.

import { describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import { ceremonyError, type Ceremonies } from "../../ceremony/ceremony";
import { account, clickControl, passkey, signedInAs } from "../../testing/accounts";
import { axeViolations } from "../../testing/axe";
import { boot, fakeApi, fill, settle, submit } from "../../testing/harness";
import { ApiError } from "../../api/request";

const passkeys = [
  passkey({ id: "a", name: "Windows Hello", lastUsedAt: "2025-04-05T12:00:00Z" }),
  passkey({ id: "b", name: "Pat's iPhone", storedOn: "synced", provider: "iCloud Keychain", flagged: true }),
  passkey({ id: "c", name: "YubiKey 5", storedOn: "security-key", provider: "YubiKey 5 Series" }),
];
const REQUIRED = new ApiError(403, "reauth_required", "For your security, confirm it's you before you make this change.");
const failing: Ceremonies = {
  client: "browser",
  unavailable: () => null,
  create: () => Promise.reject(ceremonyError("cancelled", "create")),
  get: () => Promise.reject(ceremonyError("cancelled", "get")),
};

function api(overrides: Partial<Api> = {}): Api {
  return fakeApi({
    getSession: signedInAs(account()),
    listPasskeys: () => Promise.resolve(passkeys),
    listActivity: () =>
      Promise.resolve([
        { type: "signed_in", at: "2025-03-03T14:05:00Z", method: "passkey", passkeyName: "YubiKey 5", client: "192.0.2.10" },
        { type: "locked_out", at: "2025-03-02T09:00:00Z" },
      ]),
    logoutOtherSessions: () => Promise.resolve(2),
    renamePasskey: () => Promise.reject(REQUIRED),
    removePasskey: () => Promise.reject(new ApiError(409, "last_way_to_log_in", "You cannot remove this passkey because it is the only way you can log in.")),
    changePassword: () => Promise.reject(REQUIRED),
    beginPasskeyReauth: () => Promise.resolve({ ceremony: "re1", publicKey: { challenge: "AA" } }),
    reauthWithPassword: () => Promise.reject(new ApiError(401, "reauth_failed", "The password is not correct. Check it and try again.")),
    ...overrides,
  });
}

async function choose(path: string, id: string, theApi: Api = api()) {
  const harness = await boot("/elsewhere", theApi, failing);
  harness.app.journey.passkey = id;
  await harness.router.navigate(path);
  return harness;
}

describe("accessibility of the account changes", () => {
  it("the settings with passkey cards, a flagged passkey and a success banner", async () => {
    const { app, router } = await boot("/elsewhere", api(), failing);
    app.journey.notice = { kind: "passkey-removed", passkeyName: "Old phone" };
    await router.navigate("/account/security");
    expect(document.querySelector(".nhsuk-card .nhsuk-tag--red")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });

  it("the settings after logging out of all other devices", async () => {
    await boot("/account/security", api(), failing);
    clickControl("Log out of all other devices");
    await settle();
    expect(document.querySelector(".nhsuk-notification-banner--success")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });

  it.each(["/account/passkeys/rename", "/account/passkeys/remove"])("%s", async (path) => {
    await choose(path, "c");
    expect(await axeViolations()).toEqual([]);
  });

  it("rename with an error", async () => {
    await choose("/account/passkeys/rename", "a");
    fill("name", "");
    submit();
    await settle();
    expect(document.querySelector(".nhsuk-error-summary")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });

  it("remove refused as the last way to log in", async () => {
    await choose("/account/passkeys/remove", "a", api({ getSession: signedInAs(account({ hasPassword: false })) }));
    submit();
    await settle();
    expect(document.querySelector('.nhsuk-error-summary a[href="/account/password"]')).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });

  it.each([account(), account({ hasPassword: false })])("the password page, and with an error (%#)", async (who) => {
    await boot("/account/password", api({ getSession: signedInAs(who) }), failing);
    expect(await axeViolations()).toEqual([]);
    submit();
    await settle();
    expect(document.querySelector(".nhsuk-error-summary")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });

  it("recent activity", async () => {
    await boot("/account/activity", api(), failing);
    expect(document.querySelector("table")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });

  it("confirm it's you with a passkey, and after the passkey failed", async () => {
    await choose("/account/passkeys/rename", "a");
    submit();
    await settle();
    expect(document.querySelector("main h1")?.textContent).toBe("Confirm it's you");
    expect(await axeViolations()).toEqual([]);
    submit();
    await settle();
    expect(document.querySelector(".nhsuk-error-summary")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });

  it("confirm it's you with the password, with an error, and with the link to the password after a flagged passkey", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    await boot("/account/password", api({ getSession: signedInAs(account({ hasPasskey: false })) }), failing);
    fill("newPassword", "a brand new password");
    submit();
    await settle();
    fill("password", "wrong");
    submit();
    await settle();
    expect(document.querySelector("#password-error")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);

    let flaggedNow = false;
    const flaggedApi = api({
      getSession: () => Promise.resolve({ signedIn: true, account: account({ hasPasskey: !flaggedNow }) }),
      beginPasskeyReauth: () => {
        flaggedNow = true;
        return Promise.reject(new ApiError(401, "passkey_flagged", "We have stopped this passkey working."));
      },
    });
    await choose("/account/passkeys/rename", "a", flaggedApi);
    submit();
    await settle();
    submit();
    await settle();
    expect(document.querySelector("#use-password")).not.toBeNull();
    expect(await axeViolations()).toEqual([]);
  });
});
