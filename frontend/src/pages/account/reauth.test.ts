// "Confirm it's you" (reauth.ts), as the person meets it: a change answered with 403
// reauth_required, the step in its place, then the change sent again with the proof.

import { describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import { ceremonyError, type Ceremonies } from "../../ceremony/ceremony";
import { account, clickControl, passkey, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, FakeShell, fill, settle, submit, text, virtualKey } from "../../testing/harness";
import { ApiError } from "../../api/request";
import type { Account } from "../../api/account";
import type { Passkey } from "../../api/passkeys";

const REQUIRED = new ApiError(403, "reauth_required", "For your security, confirm it's you before you make this change.");
const LOCKED = new ApiError(429, "too_many_attempts", "You have tried too many times. For your security, wait 15 minutes, then try again.");
const requestOptions = { challenge: "cmVhdXRo", rpId: "localhost", allowCredentials: [] };
const assertion = { id: "cred-1", type: "public-key" };

function browser(get: Ceremonies["get"] = vi.fn(() => Promise.resolve(assertion))): Ceremonies {
  return { client: "browser", unavailable: () => null, create: () => Promise.reject(new Error("not used")), get };
}

/** A rename the server refuses without a proof and accepts with "proof-1". */
function renameApi(who: Account, overrides: Partial<Api> = {}): Api {
  const windowsHello = passkey({ id: "cred-1", name: "Windows Hello" });
  return fakeApi({
    getSession: signedInAs(who),
    listPasskeys: () => Promise.resolve([windowsHello]),
    renamePasskey: vi.fn((_id: string, name: string, proof?: string) =>
      proof === "proof-1" ? Promise.resolve({ ...windowsHello, name }) : Promise.reject(REQUIRED),
    ),
    beginPasskeyReauth: vi.fn(() => Promise.resolve({ ceremony: "re1", publicKey: requestOptions })),
    finishPasskeyReauth: vi.fn(() => Promise.resolve("proof-1")),
    reauthWithPassword: vi.fn((_action, password: string) =>
      password === "right password"
        ? Promise.resolve("proof-1")
        : Promise.reject(new ApiError(401, "reauth_failed", "The password is not correct. Check it and try again.")),
    ),
    ...overrides,
  });
}

/** Opens the rename page for Windows Hello (from Passkeys) and asks for "Work laptop". */
async function renameToWorkLaptop(api: Api, ceremonies: Ceremonies = browser()) {
  const harness = await boot("/account/passkeys", api, ceremonies);
  clickControl("Rename Windows Hello");
  await settle();
  fill("name", "Work laptop");
  submit();
  await settle();
  return harness;
}

describe("confirm it's you", () => {
  it("is asked for only when the server wants it: a change allowed by the login grace goes straight through", async () => {
    const api = renameApi(account(), {
      renamePasskey: vi.fn((_id: string, name: string) => Promise.resolve(passkey({ name }))),
    });
    const { main } = await renameToWorkLaptop(api);
    expect(api.renamePasskey).toHaveBeenCalledExactlyOnceWith("cred-1", "Work laptop", undefined);
    expect(api.beginPasskeyReauth).not.toHaveBeenCalled();
    expect(text(main.querySelector(".nhsuk-notification-banner__heading"))).toBe("Passkey renamed");
  });

  it("with a passkey: shows the step with its own title and focus, then retries the change with the proof", async () => {
    const get = vi.fn(() => Promise.resolve(assertion));
    const api = renameApi(account({ hasPasskey: true }));
    const { main } = await renameToWorkLaptop(api, browser(get));

    expect(window.location.pathname).toBe("/account/passkeys/rename");
    expect(document.title).toBe("Confirm it's you – NHS login passkeys");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(text(main)).toContain("use your passkey to confirm it's you before you rename a passkey");
    expect(main.querySelector("#password")).toBeNull();
    // The server will not take the password while the account has a usable passkey.
    expect(main.querySelector("#use-password")).toBeNull();
    expect(text(main.querySelector(".nhsuk-details__summary"))).toBe("If you cannot use your passkey");
    expect(document.querySelector<HTMLAnchorElement>("[data-before-content] .nhsuk-back-link")?.getAttribute("href")).toBe(
      "/account/passkeys/rename",
    );

    submit();
    await settle();
    expect(api.beginPasskeyReauth).toHaveBeenCalledWith("rename-passkey");
    expect(get).toHaveBeenCalledWith(requestOptions, expect.anything());
    expect(api.finishPasskeyReauth).toHaveBeenCalledWith("re1", assertion);
    expect(api.renamePasskey).toHaveBeenLastCalledWith("cred-1", "Work laptop", "proof-1");
    expect(window.location.pathname).toBe("/account/passkeys");
    expect(text(main.querySelector(".nhsuk-notification-banner"))).toContain("Your passkey is now called “Work laptop”.");
  });

  it("with the password when the account has no usable passkey: errors inline, then the proof", async () => {
    const api = renameApi(account({ hasPasskey: false }));
    const { main } = await renameToWorkLaptop(api);
    expect(text(main.querySelector("h1"))).toBe("Confirm it's you");
    expect(text(main)).toContain("enter your password to confirm it's you before you rename a passkey");
    expect(main.querySelector("#password")?.getAttribute("autocomplete")).toBe("current-password");

    submit();
    await settle();
    expect(api.reauthWithPassword).not.toHaveBeenCalled();
    expect(document.title).toBe("Error: Confirm it's you – NHS login passkeys");
    let summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(summary?.querySelector('a[href="#password"]')?.textContent).toBe("Enter your password");
    expect(text(main.querySelector("#password-error"))).toBe("Error: Enter your password");

    fill("password", "wrong password");
    submit();
    await settle();
    summary = main.querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain("The password is not correct. Check it and try again.");
    expect(document.activeElement).toBe(summary);

    fill("password", "right password");
    submit();
    await settle();
    expect(api.reauthWithPassword).toHaveBeenLastCalledWith("rename-passkey", "right password");
    expect(api.renamePasskey).toHaveBeenLastCalledWith("cred-1", "Work laptop", "proof-1");
    expect(window.location.pathname).toBe("/account/passkeys");
  });

  it("says how long to wait when the server has locked re-authentication (429), for the password", async () => {
    const api = renameApi(account({ hasPasskey: false }), { reauthWithPassword: () => Promise.reject(LOCKED) });
    const { main } = await renameToWorkLaptop(api);
    fill("password", "right password");
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain("You have tried too many times. For your security, wait 15 minutes, then try again.");
    expect(document.activeElement).toBe(summary);
    expect(api.renamePasskey).toHaveBeenCalledOnce();
  });

  it("says how long to wait when the server has locked re-authentication (429), for a passkey", async () => {
    const api = renameApi(account(), { beginPasskeyReauth: () => Promise.reject(LOCKED) });
    const { main } = await renameToWorkLaptop(api);
    submit();
    await settle();
    expect(text(main.querySelector(".nhsuk-error-summary"))).toContain("wait 15 minutes, then try again");
    expect(text(main.querySelector("h1"))).toBe("Confirm it's you");
  });

  it("switches to the passkey, without offering the password again, when the server answers 409 use_passkey", async () => {
    const usePasskey = new ApiError(409, "use_passkey", "Your account has a passkey, so confirm it's you with your passkey instead of your password.");
    // The page's account said no passkey; meanwhile one was set up elsewhere.
    const api = renameApi(account({ hasPasskey: false }), { reauthWithPassword: vi.fn(() => Promise.reject(usePasskey)) });
    const { main } = await renameToWorkLaptop(api);
    fill("password", "right password");
    submit();
    await settle();
    expect(main.querySelector("#password")).toBeNull();
    expect(text(main.querySelector(".nhsuk-inset-text"))).toContain("confirm it's you with your passkey instead of your password");
    expect(main.querySelector("#use-password")).toBeNull();
    submit();
    await settle();
    expect(api.beginPasskeyReauth).toHaveBeenCalledWith("rename-passkey");
    expect(window.location.pathname).toBe("/account/passkeys");
  });

  it("switches to the password when the server answers 409 use_password (no usable passkey any more)", async () => {
    const usePassword = new ApiError(409, "use_password", "You do not have a passkey you can use, so confirm it's you with your password instead.");
    const api = renameApi(account({ hasPasskey: true }), { beginPasskeyReauth: () => Promise.reject(usePassword) });
    const { main } = await renameToWorkLaptop(api);
    submit();
    await settle();
    expect(main.querySelector("#password")).not.toBeNull();
    expect(text(main.querySelector(".nhsuk-inset-text"))).toContain("confirm it's you with your password instead");
    fill("password", "right password");
    submit();
    await settle();
    expect(api.renamePasskey).toHaveBeenLastCalledWith("cred-1", "Work laptop", "proof-1");
  });

  it("offers the password link after a flagged passkey only once the server would take the password", async () => {
    const flagged = new ApiError(401, "passkey_flagged", "We have stopped this passkey working because it may have been copied.");
    let hasPasskey = true;
    const api = renameApi(account(), {
      getSession: () => Promise.resolve({ signedIn: true, account: account({ hasPasskey }) }),
      finishPasskeyReauth: () => {
        hasPasskey = false; // it was the only usable one
        return Promise.reject(flagged);
      },
    });
    const { main } = await renameToWorkLaptop(api);
    submit();
    await settle();
    expect(text(main.querySelector(".nhsuk-error-summary"))).toContain("may have been copied");
    const usePassword = main.querySelector<HTMLButtonElement>("#use-password");
    expect(text(usePassword)).toBe("Confirm it's you with your password instead");
    usePassword?.click();
    await settle();
    expect(main.querySelector("#password")).not.toBeNull();
    expect(document.activeElement).toBe(main.querySelector("h1"));
  });

  it("explains a failed passkey ceremony in words about confirming, with what to do", async () => {
    const api = renameApi(account());
    const { main } = await renameToWorkLaptop(api, browser(() => Promise.reject(ceremonyError("cancelled", "get"))));
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    // A browser's "not allowed" may mean the passkey is not on this device: said first.
    expect(text(summary)).toContain("We could not confirm it's you. Your passkey may not be on this device, or you may have cancelled.");
    expect(text(summary)).toContain("Select Continue to try again.");
    expect(text(summary)).not.toContain("logged in");
    expect(document.activeElement).toBe(summary);
    expect(document.title).toBe("Error: Confirm it's you – NHS login passkeys");
  });

  it("Cancel goes back to the page as it was, saying nothing has changed", async () => {
    const api = renameApi(account());
    const { main } = await renameToWorkLaptop(api);
    clickControl("Cancel");
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Rename your passkey");
    expect(main.querySelector<HTMLInputElement>("#name")?.value).toBe("Work laptop");
    expect(text(main.querySelector(".nhsuk-inset-text"))).toBe("Information: You did not confirm it's you, so nothing has changed.");
    expect(main.querySelector(".nhsuk-error-summary")).toBeNull();
    expect(api.beginPasskeyReauth).not.toHaveBeenCalled();
    expect(api.renamePasskey).toHaveBeenCalledOnce();
  });

  it("keeps the proof for the next try when the change itself is refused (a refused change uses nothing up)", async () => {
    const taken = new ApiError(409, "name_taken", "You already have a passkey with this name. Choose a different name.");
    const renamePasskey = vi
      .fn<Api["renamePasskey"]>()
      .mockRejectedValueOnce(REQUIRED)
      .mockRejectedValueOnce(taken)
      .mockImplementation((_id, name) => Promise.resolve(passkey({ name })));
    const api = renameApi(account(), { renamePasskey });
    const { main } = await renameToWorkLaptop(api);
    submit(); // confirm with the passkey
    await settle();
    expect(text(main.querySelector("#name-error"))).toBe("Error: You already have a passkey with this name. Choose a different name.");
    fill("name", "Home laptop");
    submit();
    await settle();
    expect(api.finishPasskeyReauth).toHaveBeenCalledOnce();
    expect(renamePasskey.mock.calls.map((call) => call[2])).toEqual([undefined, "proof-1", "proof-1"]);
    expect(window.location.pathname).toBe("/account/passkeys");
  });

  it("does not ask twice in a row: a change refused again right after a fresh proof shows the server's message", async () => {
    const api = renameApi(account(), { renamePasskey: vi.fn(() => Promise.reject(REQUIRED)) });
    const { main } = await renameToWorkLaptop(api);
    submit();
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Rename your passkey");
    expect(text(main.querySelector(".nhsuk-error-summary"))).toContain("confirm it's you before you make this change");
    expect(api.renamePasskey).toHaveBeenCalledTimes(2);
  });

  it("sends someone whose session has ended to log in", async () => {
    const api = renameApi(account(), {
      beginPasskeyReauth: () => Promise.reject(new ApiError(401, "not_signed_in", "You are not logged in. Log in and try again.")),
    });
    await renameToWorkLaptop(api);
    submit();
    await settle();
    expect(window.location.pathname).toBe("/login");
  });

  it("in the desktop app: confirms with the security key through the device steps, then retries", async () => {
    const shell = new FakeShell();
    shell.authenticators = [{ ...virtualKey, pinSet: true }];
    const api = renameApi(account(), { getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }), ...shell.api() });
    const { main } = await renameToWorkLaptop(api, shell.ceremonies());
    expect(text(main)).toContain("choose the security key that has your passkey. Enter its PIN and touch it");
    submit();
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Which security key has your passkey?");
    (main.querySelector<HTMLInputElement>("#authenticator") as HTMLInputElement).checked = true;
    submit();
    await settle();
    expect(shell.started).toEqual([{ kind: "get", authenticator: "virtual", publicKey: requestOptions }]);
    shell.finish(assertion);
    await settle();
    expect(api.finishPasskeyReauth).toHaveBeenCalledWith("re1", assertion);
    expect(api.renamePasskey).toHaveBeenLastCalledWith("cred-1", "Work laptop", "proof-1");
    expect(window.location.pathname).toBe("/account/passkeys");
  });

  it("in the desktop app: Cancel on the key's steps comes back to the step, not as an error", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    const api = renameApi(account(), { getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }), ...shell.api() });
    const { main } = await renameToWorkLaptop(api, shell.ceremonies());
    submit();
    await settle();
    clickControl("Cancel");
    await settle();
    expect(text(main.querySelector("h1"))).toBe("Confirm it's you");
    expect(text(main.querySelector(".nhsuk-inset-text"))).toContain("You cancelled.");
    expect(main.querySelector(".nhsuk-error-summary")).toBeNull();
  });
});

describe("confirm it's you before each change", () => {
  const laptop: Passkey = passkey({ id: "cred-2", name: "Laptop" });

  it("before removing a passkey", async () => {
    const removePasskey = vi.fn((_id: string, proof?: string) => (proof ? Promise.resolve([]) : Promise.reject(REQUIRED)));
    const api = renameApi(account(), { listPasskeys: () => Promise.resolve([laptop]), removePasskey });
    const { main } = await boot("/account/security", api, browser());
    clickControl("Remove Laptop");
    await settle();
    clickControl("Remove passkey");
    await settle();
    expect(text(main)).toContain("before you remove a passkey");
    submit();
    await settle();
    expect(api.beginPasskeyReauth).toHaveBeenCalledWith("remove-passkey");
    expect(removePasskey.mock.calls).toEqual([["cred-2", undefined], ["cred-2", "proof-1"]]);
    expect(text(main.querySelector(".nhsuk-notification-banner__heading"))).toBe("Passkey removed");
  });

  it("before changing the password, keeping the new password in the page only", async () => {
    const changePassword = vi.fn((_pw: string, proof?: string) => (proof ? Promise.resolve(account()) : Promise.reject(REQUIRED)));
    const api = renameApi(account({ hasPasskey: false }), { changePassword });
    const { main, app } = await boot("/account/password", api, browser());
    fill("newPassword", "a brand new password");
    submit();
    await settle();
    expect(text(main)).toContain("before you change your password");
    expect(JSON.stringify(app.journey)).not.toContain("a brand new password");
    fill("password", "right password");
    submit();
    await settle();
    expect(api.reauthWithPassword).toHaveBeenCalledWith("change-password", "right password");
    expect(changePassword.mock.calls).toEqual([["a brand new password", undefined], ["a brand new password", "proof-1"]]);
    expect(text(main.querySelector(".nhsuk-notification-banner__heading"))).toBe("Password changed");
  });
});
