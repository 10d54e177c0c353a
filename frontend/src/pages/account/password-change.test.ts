import { describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import { account, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, fill, settle, submit, text } from "../../testing/harness";
import { ApiError } from "../../api/request";
import type { Account } from "../../api/account";

function api(who: Account, overrides: Partial<Api> = {}): Api {
  return fakeApi({ getSession: signedInAs(who), listPasskeys: () => Promise.resolve([]), ...overrides });
}

describe("change or set the password", () => {
  it("is 'Change your password' for an account with one", async () => {
    const { main } = await boot("/account/password", api(account()));
    expect(document.title).toBe("Change your password – NHS login passkeys");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(main.querySelector("#newPassword")?.getAttribute("autocomplete")).toBe("new-password");
    expect(text(main.querySelector('label[for="newPassword"]'))).toBe("New password");
    expect(text(main)).toContain("you will be logged out on all your other devices");
    expect(text(main.querySelector("form button[type=submit]"))).toBe("Change password");
  });

  it("is 'Set a password' for an account without one", async () => {
    const { main } = await boot("/account/password", api(account({ hasPassword: false })));
    expect(text(main.querySelector("h1"))).toBe("Set a password");
    expect(text(main.querySelector("form button[type=submit]"))).toBe("Set password");
  });

  it("sends someone who is not signed in to log in", async () => {
    await boot("/account/password", fakeApi());
    expect(window.location.pathname).toBe("/login");
  });

  it.each([
    ["", "Enter a password"],
    ["short", "Your password must be 8 characters or more"],
    ["x".repeat(257), "Your password must be 256 characters or fewer"],
  ])("checks %j before sending", async (password, message) => {
    const changePassword = vi.fn();
    const { main } = await boot("/account/password", api(account(), { changePassword }));
    fill("newPassword", password);
    submit();
    await settle();
    expect(changePassword).not.toHaveBeenCalled();
    expect(document.title).toBe("Error: Change your password – NHS login passkeys");
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(summary?.querySelector('a[href="#newPassword"]')?.textContent).toBe(message);
    expect(text(main.querySelector("#newPassword-error"))).toBe(`Error: ${message}`);
  });

  it.each([
    [account(), "Password changed"],
    [account({ hasPassword: false }), "Password set"],
  ])("saves it and shows the settings with a focused success banner (%#)", async (who, heading) => {
    const changePassword = vi.fn(() => Promise.resolve({ ...who, hasPassword: true }));
    const { main } = await boot("/account/password", api(who, { changePassword }));
    fill("newPassword", "correct horse battery staple");
    submit();
    await settle();
    expect(changePassword).toHaveBeenCalledWith("correct horse battery staple", undefined);
    expect(window.location.pathname).toBe("/account/security");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner?.querySelector(".nhsuk-notification-banner__heading"))).toBe(heading);
    expect(text(banner)).toContain("logged out on any other devices");
    expect(document.activeElement).toBe(banner);
  });

  it("shows the server's message for the new password on the field", async () => {
    const invalid = new ApiError(422, "invalid_input", "There is a problem", { newPassword: "Your password must be 8 characters or more" });
    const { main } = await boot("/account/password", api(account(), { changePassword: () => Promise.reject(invalid) }));
    fill("newPassword", "long enough really");
    submit();
    await settle();
    expect(text(main.querySelector("#newPassword-error"))).toBe("Error: Your password must be 8 characters or more");
    expect(main.querySelector<HTMLInputElement>("#newPassword")?.value).toBe("");
  });
});
