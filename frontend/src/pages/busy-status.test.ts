// Every button that sends something and waits for the answer, as a screen reader user meets it:
// while it works the button is disabled (and says so), a second press sends nothing, and a
// role="status" live region that was already on the page, empty, says what is happening. A
// live region put on the page together with its text is not announced, so the region must be
// the same element before and after. Focus on the button is not lost to <body> when it is
// disabled: the status keeps it.

import { describe, expect, it, vi } from "vitest";
import { type Api } from "../api/service";
import { account, clickControl, passkey, signedInAs } from "../testing/accounts";
import { boot, fakeApi, fill, settle, text, type Harness } from "../testing/harness";
import { ApiError } from "../api/request";

const hello = passkey({ id: "cred-1", name: "Windows Hello" });
const never = (): Promise<never> => new Promise(() => undefined);

function signedIn(overrides: Partial<Api>, who = account()): Api {
  return fakeApi({ getSession: signedInAs(who), listPasskeys: () => Promise.resolve([hello]), ...overrides });
}

async function chosen(path: string, api: Api): Promise<Harness> {
  const harness = await boot("/elsewhere", api);
  harness.app.journey.passkey = "cred-1";
  await harness.router.navigate(path);
  return harness;
}

interface Case {
  name: string;
  /** The API call the button starts, which the test never answers. */
  call: keyof Api;
  open: (api: Partial<Api>) => Promise<Harness>;
  /** Fills in the form, if it needs it. */
  fillIn?: () => void;
  /** The button's text. */
  button: string;
  /** What the live region says while the button works. */
  says: string;
}

const cases: Case[] = [
  {
    name: "creating an account",
    call: "createAccount",
    open: (api) => boot("/create-account", fakeApi(api)),
    fillIn: () => {
      fill("email", "pat@example.com");
      fill("password", "a long enough password");
    },
    button: "Continue",
    says: "Creating your account…",
  },
  {
    name: "logging in with a password",
    call: "loginWithPassword",
    open: (api) => boot("/login/password", fakeApi(api)),
    fillIn: () => {
      fill("email", "pat@example.com");
      fill("password", "a long enough password");
    },
    button: "Log in",
    says: "Checking your email address and password…",
  },
  {
    name: "renaming a passkey",
    call: "renamePasskey",
    open: (api) => chosen("/account/passkeys/rename", signedIn(api)),
    fillIn: () => fill("name", "Work laptop"),
    button: "Save name",
    says: "Saving the new name…",
  },
  {
    name: "removing a passkey",
    call: "removePasskey",
    open: (api) => chosen("/account/passkeys/remove", signedIn(api)),
    button: "Remove passkey",
    says: "Removing your passkey…",
  },
  {
    name: "changing the password",
    call: "changePassword",
    open: (api) => boot("/account/password", signedIn(api)),
    fillIn: () => fill("newPassword", "a new long password"),
    button: "Change password",
    says: "Changing your password…",
  },
  {
    name: "setting a password on an account without one",
    call: "changePassword",
    open: (api) => boot("/account/password", signedIn(api, account({ hasPassword: false }))),
    fillIn: () => fill("newPassword", "a new long password"),
    button: "Set password",
    says: "Setting your password…",
  },
  {
    name: "logging out of all other devices",
    call: "logoutOtherSessions",
    open: (api) => boot("/account/security", signedIn(api)),
    button: "Log out of all other devices",
    says: "Logging you out of your other devices…",
  },
  {
    name: "logging out",
    call: "logout",
    open: (api) => boot("/account/security", signedIn(api)),
    button: "Log out",
    says: "Logging you out…",
  },
  {
    name: "confirming it's you with a password (no device is involved, so it says nothing about one)",
    call: "reauthWithPassword",
    open: async (api) => {
      const required = new ApiError(403, "reauth_required", "For your security, confirm it's you before you make this change.");
      const harness = await chosen(
        "/account/passkeys/rename",
        signedIn({ renamePasskey: () => Promise.reject(required), ...api }, account({ hasPasskey: false })),
      );
      fill("name", "Work laptop");
      clickControl("Save name");
      await settle();
      expect(text(harness.main.querySelector("h1"))).toBe("Confirm it's you");
      return harness;
    },
    fillIn: () => fill("password", "my password"),
    button: "Continue",
    says: "Checking your password…",
  },
];

describe("a button that starts slow work", () => {
  it.each(cases)("$name: is disabled, is not sent twice, and a live region already on the page says what is happening", async (c) => {
    const call = vi.fn(never);
    const { main } = await c.open({ [c.call]: call });
    c.fillIn?.();
    const button = [...main.querySelectorAll<HTMLButtonElement>("form button[type=submit]")].find((b) => text(b) === c.button);
    expect(button, `a button "${c.button}"`).toBeDefined();
    const region = button?.form?.querySelector<HTMLElement>('[role="status"]');
    expect(region, "the form has a role=status region before the button is pressed").toBeTruthy();
    expect(text(region)).toBe("");

    // Pressed from the keyboard: the button has focus, which its disabling must not drop.
    button?.focus();
    button?.click();
    await settle();
    button?.click();
    await settle();

    expect(call).toHaveBeenCalledTimes(1);
    expect(button?.disabled).toBe(true);
    expect(button?.getAttribute("aria-disabled")).toBe("true");
    expect(region?.isConnected, "the same live region is still on the page").toBe(true);
    expect(region?.getAttribute("aria-live")).toBe("polite");
    expect(text(region)).toBe(c.says);
    expect(document.activeElement, "focus is kept on the status, not dropped to <body>").toBe(region);
  });
});
