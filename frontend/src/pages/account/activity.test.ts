import { describe, expect, it } from "vitest";
import { type Api } from "../../api/service";
import { formatDateTime } from "../../ui/dates";
import { account, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, text } from "../../testing/harness";
import { describeEvent } from "./activity";
import { ApiError } from "../../api/request";
import type { ActivityEvent } from "../../api/account";

function api(events: ActivityEvent[], overrides: Partial<Api> = {}): Api {
  return fakeApi({ getSession: signedInAs(account()), listActivity: () => Promise.resolve(events), ...overrides });
}

const at = "2025-03-03T14:05:00Z";

describe("recent activity", () => {
  it.each([
    [{ type: "account_created" }, "Account created"],
    [{ type: "signed_in", method: "passkey", passkeyName: "YubiKey 5" }, "Logged in with a passkey (YubiKey 5)"],
    [{ type: "signed_in", method: "password" }, "Logged in with your password"],
    [{ type: "login_failed", method: "password" }, "Failed login attempt with a password"],
    [{ type: "login_failed", method: "passkey" }, "Failed login attempt with a passkey"],
    [{ type: "login_failed" }, "Failed login attempt"],
    [{ type: "locked_out" }, "Account locked for 15 minutes after too many failed attempts"],
    [{ type: "reauthenticated", method: "passkey", passkeyName: "Laptop" }, "Confirmed it's you with a passkey (Laptop)"],
    [{ type: "reauthenticated", method: "password" }, "Confirmed it's you with your password"],
    [{ type: "reauth_failed", method: "password" }, "Failed attempt to confirm it's you"],
    [{ type: "passkey_added", passkeyName: "iCloud Keychain" }, "Passkey set up (iCloud Keychain)"],
    [{ type: "passkey_renamed", passkeyName: "Work laptop" }, "Passkey renamed to Work laptop"],
    [{ type: "passkey_removed", passkeyName: "Old phone" }, "Passkey removed (Old phone)"],
    [{ type: "passkey_flagged", passkeyName: "Old phone" }, "Passkey stopped because it may have been copied (Old phone)"],
    [{ type: "password_changed" }, "Password changed"],
    [{ type: "password_set" }, "Password set"],
    [{ type: "signed_out" }, "Logged out"],
    [{ type: "signed_out_elsewhere" }, "Logged out of all other devices"],
    [{ type: "something_new" }, "Other change to your account"],
  ] as [Omit<ActivityEvent, "at">, string][])("says %o as %j", (event, words) => {
    expect(describeEvent({ at, ...event })).toBe(words);
  });

  it("lists the events newest first in a table, with the date, time and IP address", async () => {
    const events: ActivityEvent[] = [
      { type: "signed_in", at, method: "passkey", passkeyName: "YubiKey 5", client: "192.0.2.10" },
      { type: "login_failed", at: "2025-03-02T09:00:00Z", method: "password", client: "198.51.100.7" },
      { type: "account_created", at: "2025-03-01T10:30:00Z" },
    ];
    const { main } = await boot("/account/activity", api(events));
    expect(document.title).toBe("Recent activity – NHS login passkeys");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(text(main.querySelector("caption"))).toBe("Activity on your account");
    expect([...main.querySelectorAll("thead th")].map((th) => text(th))).toEqual(["Date and time", "What happened"]);
    const rows = [...main.querySelectorAll("tbody tr")];
    expect(rows.map((row) => text(row.querySelector("td")))).toEqual([
      "Logged in with a passkey (YubiKey 5) IP address 192.0.2.10",
      "Failed login attempt with a password IP address 198.51.100.7",
      "Account created",
    ]);
    const when = rows[0]?.querySelector("th[scope=row] time");
    expect(when?.getAttribute("datetime")).toBe(at);
    expect(text(when)).toBe(formatDateTime(at));
    expect(main.querySelector('a[href="/account/security"]')).not.toBeNull();
    expect(document.querySelector("[data-before-content] .nhsuk-back-link")?.getAttribute("href")).toBe("/account/security");
  });

  it("says when there is nothing to show", async () => {
    const { main } = await boot("/account/activity", api([]));
    expect(text(main)).toContain("There is no activity to show yet.");
    expect(main.querySelector("table")).toBeNull();
  });

  it("sends someone who is not signed in to log in", async () => {
    await boot("/account/activity", fakeApi());
    expect(window.location.pathname).toBe("/login");
    await boot(
      "/account/activity",
      api([], { listActivity: () => Promise.reject(new ApiError(401, "not_signed_in", "You are not logged in.")) }),
    );
    expect(window.location.pathname).toBe("/login");
  });
});
