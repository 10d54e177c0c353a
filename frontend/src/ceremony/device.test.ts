// The desktop app's ceremonies, through the real pages: the shell's device
// endpoints are a FakeShell the test moves from state to state, as a security
// key would.

import { afterEach, describe, expect, it, vi } from "vitest";
import { type Api } from "../api/service";
import { CEREMONY_POLL_MS, deviceCeremonies, KEY_POLL_MS } from "./device";
import { boot, FakeShell, fakeApi, fill, settle, submit, text, usbKey, virtualKey } from "../testing/harness";
import { violations } from "../testing/keys-fake";
import { ApiError } from "../api/request";
import type { Passkey } from "../api/passkeys";

const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true };
const creationOptions = {
  challenge: "Y2hhbGxlbmdl",
  rp: { id: "localhost", name: "NHS login" },
  user: { id: "dXNlcg", name: "pat@example.com", displayName: "pat@example.com" },
  pubKeyCredParams: [{ type: "public-key" as const, alg: -7 }],
};
const requestOptions = { challenge: "bG9naW4", rpId: "localhost" };
const credential = { id: "Y3JlZA", rawId: "Y3JlZA", type: "public-key", response: {} };
const saved: Passkey = {
  id: "p1",
  name: "Security key",
  createdAt: "2025-03-03T12:00:00Z",
  lastUsedAt: null,
  backupEligible: false,
  backedUp: false,
  transports: ["usb"],
  aaguid: "6e68736b-6579-0000-4a1c-9b528d0e4107",
};

function setUpApi(shell: FakeShell, overrides: Partial<Api> = {}): Api {
  return fakeApi({
    getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }),
    getSession: () => Promise.resolve({ signedIn: true, account }),
    beginPasskeyRegistration: vi.fn(() => Promise.resolve({ ceremony: "r1", publicKey: creationOptions })),
    finishPasskeyRegistration: vi.fn(() => Promise.resolve(saved)),
    listPasskeys: () => Promise.resolve([saved]),
    ...shell.api(),
    ...overrides,
  });
}

function loginApi(shell: FakeShell, overrides: Partial<Api> = {}): Api {
  let signedIn = false;
  return fakeApi({
    getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }),
    getSession: () => Promise.resolve(signedIn ? { signedIn: true, account } : { signedIn: false }),
    beginPasskeyLogin: vi.fn(() => Promise.resolve({ ceremony: "c1", publicKey: requestOptions })),
    finishPasskeyLogin: vi.fn(() => {
      signedIn = true;
      return Promise.resolve(account);
    }),
    listPasskeys: () => Promise.resolve([saved]),
    ...shell.api(),
    ...overrides,
  });
}

const main = (): HTMLElement => document.querySelector("main") as HTMLElement;
const h1 = (): string => text(main().querySelector("h1"));
const status = (): HTMLElement | null => main().querySelector('[role="status"]');

function click(label: string): void {
  const target = [...main().querySelectorAll<HTMLElement>("button, a")].find((el) => text(el) === label);
  if (!target) throw new Error(`no button or link "${label}" on "${h1()}"`);
  target.click();
}

function choose(name: string): void {
  const label = [...main().querySelectorAll("label")].find((l) => text(l) === name);
  const radio = label ? document.getElementById(label.htmlFor) : null;
  if (!(radio instanceof HTMLInputElement)) throw new Error(`no radio "${name}"`);
  radio.checked = true;
}

/** Boots the set-up page in the desktop app and selects Continue: the steps begin. */
async function startSetUp(shell: FakeShell, api = setUpApi(shell)): Promise<Api> {
  await boot("/account/passkeys/set-up", api, shell.ceremonies());
  submit();
  await settle();
  return api;
}

/** As startSetUp, then picks a key: the shell's ceremony is running. */
async function setUpOn(shell: FakeShell, name: string, api = setUpApi(shell)): Promise<Api> {
  await startSetUp(shell, api);
  choose(name);
  submit();
  await settle();
  return api;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("setting up a passkey in the desktop app", () => {
  it("explains security keys rather than the browser's choices, with nothing saying it comes later", async () => {
    const shell = new FakeShell();
    await boot("/account/passkeys/set-up", setUpApi(shell), shell.ceremonies());
    expect(h1()).toBe("Set up a passkey");
    expect(text(main())).toMatch(/security key/);
    expect(text(main())).not.toMatch(/later version/);
    // The browser's list of its own dialog's choices is not shown (the app's phone choice has
    // the same name as the browser's, so the list's own words are looked for).
    expect(text(main())).not.toContain("to save it on another device");
    expect(text(main().querySelector("form button[type=submit]"))).toBe("Continue");
  });

  it("asks where to save the passkey, listing each key with a hint, focused on the question", async () => {
    const shell = new FakeShell();
    shell.authenticators = [usbKey, virtualKey];
    const api = await startSetUp(shell);

    expect(api.beginPasskeyRegistration).toHaveBeenCalledOnce();
    expect(h1()).toBe("Where do you want to save your passkey?");
    expect(document.title).toBe("Where do you want to save your passkey? – NHS login passkeys");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(main().querySelector("legend h1.nhsuk-fieldset__heading")).not.toBeNull();
    const radios = [...main().querySelectorAll<HTMLInputElement>('input[type="radio"][name="authenticator"]')];
    expect(radios.map((r) => r.value)).toEqual(["usb:3f9a", "virtual"]);
    expect(radios.some((r) => r.checked)).toBe(false);
    expect(text(main().querySelector('label[for="authenticator"]'))).toBe("Security key");
    expect(text(main().querySelector("#authenticator-item-hint"))).toMatch(/You will need to enter its PIN/);
    expect(text(main().querySelector('label[for="authenticator-2"]'))).toBe("Virtual security key (for testing)");
    expect(text(main().querySelector("#authenticator-2-item-hint"))).toMatch(/For testing this app only/);
    expect(radios[1]?.getAttribute("aria-describedby")).toBe("authenticator-2-item-hint");
    expect(shell.started).toEqual([]);
  });

  it("on Windows, offers Windows Hello and a phone or tablet only when the app reports them", async () => {
    const windowsKey = { id: "security-key", kind: "security-key" as const, name: "A security key", pinSet: false };
    const hello = { id: "windows-hello", kind: "platform" as const, name: "This device (Windows Hello)", pinSet: false };
    const phone = { id: "phone", kind: "hybrid" as const, name: "Use a different phone or tablet", pinSet: false };

    const all = new FakeShell();
    all.authenticators = [hello, windowsKey, phone];
    await startSetUp(all);
    const labels = [...main().querySelectorAll("label.nhsuk-radios__label")].map(text);
    expect(labels).toEqual(["This device (Windows Hello)", "A security key", "Use a different phone or tablet"]);
    expect(text(main().querySelector("#authenticator-item-hint"))).toMatch(/face, fingerprint or PIN/);
    expect(text(main().querySelector("#authenticator-2-item-hint"))).toMatch(/when Windows asks/);
    expect(text(main().querySelector("#authenticator-3-item-hint"))).toMatch(/QR code/);
    expect(text(main())).not.toMatch(/create a PIN/);

    const keyOnly = new FakeShell();
    keyOnly.authenticators = [windowsKey];
    await startSetUp(keyOnly);
    expect(text(main())).not.toContain("Windows Hello");
    expect(text(main())).not.toContain("phone or tablet");
  });

  it("asks again, with a focused error summary, when no key was chosen", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    await startSetUp(shell);
    submit();
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(document.title).toBe("Error: Where do you want to save your passkey? – NHS login passkeys");
    expect(summary?.querySelector('a[href="#authenticator"]')?.textContent).toBe("Select where to save your passkey");
    expect(text(main().querySelector("#authenticator-error"))).toBe("Error: Select where to save your passkey");
    expect(shell.started).toEqual([]);
  });

  it("says to insert a key when none is plugged in, checks every turn, and goes on to the choice once one is", async () => {
    const shell = new FakeShell();
    await startSetUp(shell);
    expect(h1()).toBe("Insert your security key");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(text(status())).toBe("Looking for your security key");
    const checks = shell.authenticatorChecks;
    await settle();
    expect(shell.authenticatorChecks).toBeGreaterThan(checks);
    expect(h1()).toBe("Insert your security key");

    shell.authenticators = [virtualKey];
    await settle();
    expect(h1()).toBe("Where do you want to save your passkey?");
    expect(document.activeElement).toBe(main().querySelector("h1"));
  });

  it("runs the key's ceremony with the server's options, says what the key needs, then finishes and shows the banner", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    const api = await setUpOn(shell, "Virtual security key (for testing)");

    expect(shell.started).toEqual([{ kind: "create", authenticator: "virtual", publicKey: creationOptions }]);
    expect(h1()).toBe("Setting up your passkey");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(status()?.getAttribute("aria-live")).toBe("polite");
    expect(text(status())).toBe("Touch your security key It may flash or light up.");
    expect(main().querySelector<HTMLButtonElement>("button#cancel")?.classList.contains("nhsuk-button--secondary")).toBe(true);
    expect(shell.polls).toBeGreaterThan(0);

    shell.set({ state: "insert-key" });
    await settle();
    expect(text(status())).toBe("Insert your security key Plug it into a USB port on this computer.");
    shell.set({ state: "working" });
    await settle();
    expect(text(status())).toBe("Checking…");
    // Only the live region changed: focus stays where it was.
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(api.finishPasskeyRegistration).not.toHaveBeenCalled();

    shell.finish(credential);
    await settle();
    expect(api.finishPasskeyRegistration).toHaveBeenCalledWith("r1", credential);
    expect(window.location.pathname).toBe("/account/passkeys");
    const banner = main().querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("Passkey set up");
    expect(document.activeElement).toBe(banner);
    const polls = shell.polls;
    await settle();
    expect(shell.polls).toBe(polls);
  });

  it("asks for the PIN, says how many tries are left after a wrong one, then carries on with the right one", async () => {
    const shell = new FakeShell();
    shell.authenticators = [usbKey];
    const api = await setUpOn(shell, "Security key");
    shell.set({ state: "pin-needed" });
    await settle();

    expect(h1()).toBe("Enter your security key PIN");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(document.title).toBe("Enter your security key PIN – NHS login passkeys");
    const pin = main().querySelector<HTMLInputElement>("input#pin");
    expect(pin?.type).toBe("password");
    expect(pin?.getAttribute("autocomplete")).toBe("off");
    expect(pin?.hasAttribute("inputmode")).toBe(false);
    expect(text(main().querySelector('h1 label[for="pin"]'))).toBe("Enter your security key PIN");

    // Nothing typed: asked again, nothing sent.
    submit();
    await settle();
    expect(shell.pins).toEqual([]);
    expect(text(main().querySelector("#pin-error"))).toBe("Error: Enter your security key PIN");
    expect(document.activeElement).toBe(main().querySelector(".nhsuk-error-summary"));

    shell.onPin = (sent) => (sent === "2468" ? { state: "touch" } : { state: "pin-needed", retriesLeft: 7 });
    fill("pin", "1357");
    submit();
    await settle();
    expect(shell.pins).toEqual(["1357"]);
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(document.title).toBe("Error: Enter your security key PIN – NHS login passkeys");
    expect(text(summary?.querySelector('a[href="#pin"]'))).toBe("The PIN is not correct. You have 7 tries left.");
    expect(text(main().querySelector("#pin-error"))).toBe("Error: The PIN is not correct. You have 7 tries left.");
    expect(main().querySelector<HTMLInputElement>("#pin")?.value).toBe("");
    // Polling on while the person types does not bring the message back or move focus.
    await settle();
    expect(document.activeElement).toBe(main().querySelector(".nhsuk-error-summary"));

    // A hardware key asks for the touch before it checks the PIN: still a wrong PIN.
    shell.onPin = (sent) => (sent === "2468" ? { state: "touch" } : { state: "touch" });
    fill("pin", "0000");
    submit();
    await settle();
    expect(h1()).toBe("Setting up your passkey");
    shell.set({ state: "pin-needed", retriesLeft: 1 });
    await settle();
    expect(text(main().querySelector("#pin-error"))).toBe("Error: The PIN is not correct. You have 1 try left.");

    fill("pin", "2468");
    submit();
    await settle();
    expect(shell.pins).toEqual(["1357", "0000", "2468"]);
    expect(h1()).toBe("Setting up your passkey");
    expect(text(status())).toBe("Touch your security key It may flash or light up.");
    shell.finish(credential);
    await settle();
    expect(api.finishPasskeyRegistration).toHaveBeenCalledWith("r1", credential);
    expect(window.location.pathname).toBe("/account/passkeys");
  });

  it("on a key with no PIN, asks for a new one twice, checks they match, and sends it once", async () => {
    const shell = new FakeShell();
    const blankKey = { ...usbKey, pinSet: false };
    shell.authenticators = [blankKey];
    const api = await startSetUp(shell);
    expect(text(main().querySelector("#authenticator-item-hint"))).toMatch(/You will be asked to create a PIN for it/);
    choose("Security key");
    submit();
    await settle();
    shell.set({ state: "pin-needed" });
    await settle();

    expect(h1()).toBe("Create a PIN for your security key");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(text(main().querySelector('label[for="pin"]'))).toBe("New PIN");
    expect(main().querySelector("#pin")?.getAttribute("type")).toBe("password");
    expect(main().querySelector("#pin-confirm")?.getAttribute("autocomplete")).toBe("off");
    expect(text(main().querySelector(".nhsuk-inset-text"))).toMatch(/If you forget this PIN/);

    fill("pin", "2468");
    fill("pin-confirm", "2469");
    submit();
    await settle();
    expect(shell.pins).toEqual([]);
    expect(document.activeElement).toBe(main().querySelector(".nhsuk-error-summary"));
    expect(text(main().querySelector('.nhsuk-error-summary a[href="#pin-confirm"]'))).toBe("The PINs you entered do not match");
    expect(main().querySelector<HTMLInputElement>("#pin")?.value).toBe("");

    submit();
    await settle();
    expect(text(main().querySelector("#pin-error"))).toBe("Error: Enter a new PIN");

    fill("pin", "2468");
    fill("pin-confirm", "2468");
    submit();
    await settle();
    expect(shell.pins).toEqual(["2468"]);
    expect(h1()).toBe("Setting up your passkey");
    shell.finish(credential);
    await settle();
    expect(api.finishPasskeyRegistration).toHaveBeenCalledWith("r1", credential);
  });

  it("on a key with no PIN that asks for a longer one, says its minimum and refuses a shorter PIN before the key does", async () => {
    const shell = new FakeShell();
    shell.authenticators = [{ ...usbKey, pinSet: false }];
    await startSetUp(shell);
    choose("Security key");
    submit();
    await settle();
    shell.set({ state: "pin-needed", minPinLength: 6 });
    await settle();
    expect(h1()).toBe("Create a PIN for your security key");
    expect(text(main().querySelector("#pin-hint"))).toContain("Use 6 characters or more.");
    fill("pin", "2468");
    fill("pin-confirm", "2468");
    submit();
    await settle();
    expect(shell.pins).toEqual([]);
    expect(text(main().querySelector("#pin-error"))).toBe("Error: PIN must be 6 characters or more");
    fill("pin", "246813");
    fill("pin-confirm", "246813");
    submit();
    await settle();
    expect(shell.pins).toEqual(["246813"]);
  });

  it("when the key refuses the new PIN, says why with the key's own words", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    await setUpOn(shell, "Virtual security key (for testing)");
    shell.set({ state: "pin-needed" });
    await settle();
    expect(h1()).toBe("Create a PIN for your security key");
    shell.onPin = () => ({
      state: "failed",
      error: { code: "pin_policy", message: "Your security key did not accept that PIN. It needs a PIN of at least 6 characters." },
    });
    fill("pin", "2468");
    fill("pin-confirm", "2468");
    submit();
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary?.querySelector("li"))).toMatch(/at least 6 characters/);
    expect(text(summary)).toMatch(/Select Continue to try again/);
  });

  it("if the key stopped waiting for the PIN just as it was sent, shows what happened instead", async () => {
    const shell = new FakeShell();
    shell.authenticators = [usbKey];
    shell.onPin = () => {
      shell.fail("timed_out", "Your security key did not respond in time.");
      throw new ApiError(409, "pin_not_needed", "Your security key is not waiting for a PIN.");
    };
    await setUpOn(shell, "Security key");
    shell.set({ state: "pin-needed" });
    await settle();
    fill("pin", "2468");
    submit();
    await settle();
    expect(text(main().querySelector(".nhsuk-error-summary li"))).toBe("Your security key did not respond in time.");
  });

  it("checks a PIN's length before sending it", async () => {
    const shell = new FakeShell();
    shell.authenticators = [usbKey];
    await setUpOn(shell, "Security key");
    shell.set({ state: "pin-needed" });
    await settle();
    fill("pin", "123");
    submit();
    await settle();
    expect(text(main().querySelector("#pin-error"))).toBe("Error: PIN must be 4 characters or more");
    fill("pin", "x".repeat(64));
    submit();
    await settle();
    expect(text(main().querySelector("#pin-error"))).toBe("Error: PIN must be 63 characters or fewer");
    expect(shell.pins).toEqual([]);
  });

  it("cancels the key's ceremony when the person selects Cancel, and says so back on the page", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    const api = await setUpOn(shell, "Virtual security key (for testing)");
    click("Cancel");
    await settle();

    expect(shell.cancelled).toEqual(["d1"]);
    expect(window.location.pathname).toBe("/account/passkeys/set-up");
    expect(h1()).toBe("Set up a passkey");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(main().querySelector(".nhsuk-error-summary")).toBeNull();
    expect(text(main().querySelector(".nhsuk-inset-text"))).toContain("You cancelled setting up your passkey. Nothing was saved.");
    expect(api.finishPasskeyRegistration).not.toHaveBeenCalled();
    const polls = shell.polls;
    await settle();
    expect(shell.polls).toBe(polls);
  });

  it("can cancel at the PIN too", async () => {
    const shell = new FakeShell();
    shell.authenticators = [usbKey];
    await setUpOn(shell, "Security key");
    shell.set({ state: "pin-needed" });
    await settle();
    click("Cancel");
    await settle();
    expect(shell.cancelled).toEqual(["d1"]);
    expect(shell.pins).toEqual([]);
    expect(h1()).toBe("Set up a passkey");
  });

  it("can cancel before choosing a key, or while waiting for one, with nothing started on a key", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    await startSetUp(shell);
    click("Cancel");
    await settle();
    expect(h1()).toBe("Set up a passkey");
    expect(text(main().querySelector(".nhsuk-inset-text"))).toContain("You cancelled setting up your passkey.");

    shell.authenticators = [];
    submit();
    await settle();
    expect(h1()).toBe("Insert your security key");
    click("Cancel");
    await settle();
    expect(h1()).toBe("Set up a passkey");
    expect(shell.started).toEqual([]);
    expect(shell.cancelled).toEqual([]);
  });

  it.each([
    ["timed_out", "Your security key did not respond in time.", /Select Continue to try again, then touch your security key when it flashes/],
    ["pin_auth_blocked", "The wrong PIN was entered too many times in a row.", /Remove your security key and insert it again, then select Continue/],
    ["key_full", "Your security key is full.", /Remove a passkey you no longer use/],
    ["device_error", "Something went wrong with your security key.", /Remove your security key and insert it again/],
    ["not_allowed", "Your security key did not allow it.", /Select Continue to try again/],
  ])("when the key fails with %s, shows the shell's message and what to do, focused", async (code, message, advice) => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    const api = await setUpOn(shell, "Virtual security key (for testing)");
    shell.fail(code, message);
    await settle();

    expect(h1()).toBe("Set up a passkey");
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(document.title).toBe("Error: Set up a passkey – NHS login passkeys");
    expect(text(summary?.querySelector("li"))).toBe(message);
    expect(text(summary)).toMatch(advice);
    expect(api.finishPasskeyRegistration).not.toHaveBeenCalled();
    expect(shell.cancelled).toEqual([]);
    expect(main().querySelector<HTMLButtonElement>("form button[type=submit]")?.disabled).toBe(false);
  });

  it("when the key already has this passkey or is locked, points back to Passkeys rather than trying again", async () => {
    for (const code of ["already_registered", "pin_blocked"]) {
      const shell = new FakeShell();
      shell.authenticators = [virtualKey];
      await setUpOn(shell, "Virtual security key (for testing)");
      shell.fail(code, "Shell message.");
      await settle();
      const summary = main().querySelector(".nhsuk-error-summary");
      expect(text(summary?.querySelector("li"))).toBe("Shell message.");
      expect(summary?.querySelector('a[href="/account/passkeys"]')).not.toBeNull();
      expect(text(summary)).not.toMatch(/Select Continue to try again/);
    }
  });

  it("when the key wants a new PIN first, says where to change it rather than trying again", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    await setUpOn(shell, "Virtual security key (for testing)");
    shell.fail("pin_change_required", "Your security key needs a new PIN before it can be used.");
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary?.querySelector("li"))).toBe("Your security key needs a new PIN before it can be used.");
    expect(text(summary)).toContain("Change its PIN in Security keys, in Login and security settings, then set up your passkey again.");
    expect(summary?.querySelector('a[href="/account/passkeys"]')).not.toBeNull();
    expect(text(summary)).not.toMatch(/Select Continue to try again/);
  });

  it("uses its own words when the shell gives no message", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    await setUpOn(shell, "Virtual security key (for testing)");
    shell.set({ state: "failed", error: { code: "no_authenticator", message: "" } });
    await settle();
    expect(text(main().querySelector(".nhsuk-error-summary li"))).toBe(
      "Your passkey was not set up because we could not find your security key.",
    );
  });

  it("cancels the key's ceremony when the person leaves the page while it runs", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    await setUpOn(shell, "Virtual security key (for testing)");
    // A link the router catches, as the header's would be.
    const link = document.createElement("a");
    link.href = "/account/security";
    main().append(link);
    link.click();
    await settle();
    expect(window.location.pathname).toBe("/account/security");
    expect(shell.cancelled).toEqual(["d1"]);
    expect(h1()).toBe("Login and security settings");
  });
});

describe("logging in with a passkey in the desktop app", () => {
  it("begins with the email, asks which key, runs the key's get ceremony and finishes", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    const api = loginApi(shell);
    await boot("/login", api, shell.ceremonies());
    expect(text(main())).not.toMatch(/later version/);
    fill("email", "pat@example.com");
    submit();
    await settle();
    expect(api.beginPasskeyLogin).toHaveBeenCalledWith("pat@example.com");
    expect(h1()).toBe("Which security key has your passkey?");
    submit();
    await settle();
    expect(text(main().querySelector("#authenticator-error"))).toBe("Error: Select the security key that has your passkey");

    choose("Virtual security key (for testing)");
    submit();
    await settle();
    // The email typed goes to the shell, so a key with passkeys of several accounts uses its.
    expect(shell.started).toEqual([{ kind: "get", authenticator: "virtual", publicKey: requestOptions, account: "pat@example.com" }]);
    expect(h1()).toBe("Logging in with your passkey");
    expect(text(status())).toBe("Touch your security key It may flash or light up.");

    shell.finish(credential);
    await settle();
    expect(api.finishPasskeyLogin).toHaveBeenCalledWith("c1", credential);
    expect(window.location.pathname).toBe("/account/security");
    expect(h1()).toBe("Login and security settings");
  });

  it("when the key has no passkey for this account, says so with what to do and the password link", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    const api = loginApi(shell);
    await boot("/login", api, shell.ceremonies());
    fill("email", "pat@example.com");
    submit();
    await settle();
    choose("Virtual security key (for testing)");
    submit();
    await settle();
    shell.fail("no_passkey_on_key", "There are no passkeys for your NHS login on this security key.");
    await settle();

    expect(h1()).toBe("Log in");
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary?.querySelector("li"))).toBe("There are no passkeys for your NHS login on this security key.");
    expect(text(summary)).toMatch(/Try a different security key, or log in with your password/);
    expect(summary?.querySelector('a[href="/login/password"]')).not.toBeNull();
    expect(main().querySelector<HTMLInputElement>("#email")?.value).toBe("pat@example.com");
    expect(api.finishPasskeyLogin).not.toHaveBeenCalled();
  });

  it("when the key wants a new PIN first, says to log in with the password and change the PIN afterwards", async () => {
    const shell = new FakeShell();
    shell.authenticators = [virtualKey];
    const api = loginApi(shell);
    await boot("/login", api, shell.ceremonies());
    fill("email", "pat@example.com");
    submit();
    await settle();
    choose("Virtual security key (for testing)");
    submit();
    await settle();
    shell.fail("pin_change_required", "Your security key needs a new PIN before it can be used.");
    await settle();

    expect(h1()).toBe("Log in");
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(text(summary?.querySelector("li"))).toBe("Your security key needs a new PIN before it can be used.");
    expect(text(summary)).toContain("Log in with your password instead. Then change the key's PIN in Security keys, in Login and security settings.");
    expect(summary?.querySelector('a[href="/login/password"]')).not.toBeNull();
    expect(api.finishPasskeyLogin).not.toHaveBeenCalled();
  });

  it("after Cancel, is back on Log in with the email kept and a message under the heading", async () => {
    const shell = new FakeShell();
    shell.authenticators = [usbKey];
    const api = loginApi(shell);
    await boot("/login", api, shell.ceremonies());
    fill("email", "pat@example.com");
    submit();
    await settle();
    choose("Security key");
    submit();
    await settle();
    shell.set({ state: "pin-needed", retriesLeft: 2 });
    await settle();
    // Few tries left before the key locks: said before the first attempt.
    expect(text(main().querySelector("#pin-hint"))).toMatch(/You have 2 tries left/);
    expect(main().querySelector(".nhsuk-error-summary")).toBeNull();
    click("Cancel");
    await settle();

    expect(shell.cancelled).toEqual(["d1"]);
    expect(h1()).toBe("Log in");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(text(main().querySelector(".nhsuk-inset-text"))).toContain("You cancelled logging in with your passkey.");
    expect(main().querySelector<HTMLInputElement>("#email")?.value).toBe("pat@example.com");
    expect(api.finishPasskeyLogin).not.toHaveBeenCalled();
  });
});

describe("timing", () => {
  it("asks the shell about every 300 ms, and looks for a key every second", async () => {
    expect(CEREMONY_POLL_MS).toBe(300);
    expect(KEY_POLL_MS).toBe(1000);
    vi.useFakeTimers();
    const shell = new FakeShell();
    const api = setUpApi(shell);
    const flush = () => vi.advanceTimersByTimeAsync(0);
    await Promise.all([boot("/account/passkeys/set-up", api, deviceCeremonies(api)), flush()]);
    await flush();
    submit();
    await flush();
    expect(h1()).toBe("Insert your security key");
    const checks = shell.authenticatorChecks;
    await vi.advanceTimersByTimeAsync(999);
    expect(shell.authenticatorChecks).toBe(checks);
    shell.authenticators = [virtualKey];
    await vi.advanceTimersByTimeAsync(1);
    expect(shell.authenticatorChecks).toBe(checks + 1);
    expect(h1()).toBe("Where do you want to save your passkey?");

    choose("Virtual security key (for testing)");
    submit();
    await flush();
    expect(shell.started).toHaveLength(1);
    const polls = shell.polls;
    await vi.advanceTimersByTimeAsync(299);
    expect(shell.polls).toBe(polls);
    await vi.advanceTimersByTimeAsync(1);
    expect(shell.polls).toBe(polls + 1);
    await vi.advanceTimersByTimeAsync(900);
    expect(shell.polls).toBe(polls + 4);
  });
});

describe("accessibility of the steps", () => {
  it("has no axe violations on the choice, the wait, the PIN (with its error) and the cancelled page", async () => {
    const shell = new FakeShell();
    shell.authenticators = [usbKey, virtualKey];
    await startSetUp(shell);
    submit(); // nothing chosen: the error state
    await settle();
    expect(await violations()).toEqual([]);
    choose("Security key");
    submit();
    await settle();
    expect(await violations()).toEqual([]);
    shell.onPin = () => ({ state: "pin-needed", retriesLeft: 5 });
    shell.set({ state: "pin-needed" });
    await settle();
    expect(await violations()).toEqual([]);
    fill("pin", "9999");
    submit();
    await settle();
    expect(main().querySelector(".nhsuk-error-summary")).not.toBeNull();
    expect(await violations()).toEqual([]);
    click("Cancel");
    await settle();
    expect(await violations()).toEqual([]);
  });
});

describe("kiosk mode (a shared computer)", () => {
  const hello = { id: "windows-hello", kind: "platform" as const, name: "This device (Windows Hello)", pinSet: false };
  const phone = { id: "phone", kind: "hybrid" as const, name: "Use a different phone or tablet", pinSet: false };
  const windowsKey = { id: "security-key", kind: "security-key" as const, name: "A security key", pinSet: false };
  const kioskApi = (shell: FakeShell) =>
    setUpApi(shell, { getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk: true }) });

  it("gives the trusted-device advice in kiosk terms before anything is saved", async () => {
    const shell = new FakeShell();
    await boot("/account/passkeys/set-up", kioskApi(shell), shell.ceremonies({ kiosk: true }), { kiosk: true });
    expect(h1()).toBe("Set up a passkey");
    expect(text(main())).toContain("This is a shared computer, so your passkey cannot be saved on it.");
    expect(text(main())).toContain("or on your own phone or tablet if the app offers one");
    expect(text(main().querySelector(".nhsuk-inset-text"))).toContain("Only save a passkey on a security key, phone or tablet that belongs to you.");
    expect(text(main())).not.toMatch(/This device/);
    expect(await violations()).toEqual([]);
  });

  it("gives the kiosk's advice on a Windows kiosk too, never Windows Hello's", async () => {
    const shell = new FakeShell();
    shell.windows = true;
    const api = setUpApi(shell, { getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk: true, system: "windows" }) });
    await boot("/account/passkeys/set-up", api, shell.ceremonies({ kiosk: true }), { kiosk: true });
    expect(h1()).toBe("Set up a passkey");
    expect(text(main())).toContain("This is a shared computer, so your passkey cannot be saved on it.");
    expect(text(main())).not.toMatch(/Windows Hello/);
    expect(await violations()).toEqual([]);
  });

  it("never offers this computer (Windows Hello), even when the shell lists it, and says why where the person chooses", async () => {
    const shell = new FakeShell();
    shell.authenticators = [hello, windowsKey, phone];
    await boot("/account/passkeys/set-up", kioskApi(shell), shell.ceremonies({ kiosk: true }), { kiosk: true });
    submit();
    await settle();
    expect(h1()).toBe("Where do you want to save your passkey?");
    const labels = [...main().querySelectorAll("label.nhsuk-radios__label")].map(text);
    expect(labels).toEqual(["A security key", "Use a different phone or tablet"]);
    expect(text(main().querySelector("#authenticator-hint"))).toBe(
      "This is a shared computer, so your passkey cannot be saved on it. Choose your own security key, or your own phone or tablet if it is listed.",
    );
  });

  it("offers this computer outside kiosk mode (the same shell, to show the test can tell)", async () => {
    const shell = new FakeShell();
    shell.authenticators = [hello, windowsKey];
    await startSetUp(shell);
    const labels = [...main().querySelectorAll("label.nhsuk-radios__label")].map(text);
    expect(labels).toEqual(["This device (Windows Hello)", "A security key"]);
  });

  it("waits for a security key when the shell lists only this computer, and does not log in with it either", async () => {
    const shell = new FakeShell();
    shell.authenticators = [hello];
    await boot("/account/passkeys/set-up", kioskApi(shell), shell.ceremonies({ kiosk: true }), { kiosk: true });
    submit();
    await settle();
    expect(h1()).toBe("Insert your security key");

    const login = new FakeShell();
    login.authenticators = [hello, usbKey];
    await boot("/login", loginApi(login), login.ceremonies({ kiosk: true }), { kiosk: true });
    fill("email", "pat@example.com");
    submit();
    await settle();
    expect(h1()).toBe("Which security key has your passkey?");
    expect([...main().querySelectorAll("label.nhsuk-radios__label")].map(text)).toEqual(["Security key"]);
  });
});

describe("on Windows, what the person reads matches what they chose", () => {
  const windowsKey = { id: "security-key", kind: "security-key" as const, name: "A security key", pinSet: false };
  const hello = { id: "windows-hello", kind: "platform" as const, name: "This device (Windows Hello)", pinSet: false };
  const phone = { id: "phone", kind: "hybrid" as const, name: "Use a different phone or tablet", pinSet: false };

  function windowsShell(): FakeShell {
    const shell = new FakeShell();
    shell.authenticators = [hello, windowsKey, phone];
    shell.windows = true;
    return shell;
  }

  it.each([
    ["This device (Windows Hello)", /Use your face, fingerprint or PIN there/, false],
    ["Use a different phone or tablet", /Scan it with the camera on your phone or tablet/, false],
    ["A security key", /Insert your security key when it asks, then follow its instructions/, true],
  ])("while Windows' dialog is up for %s, says to follow the instructions from Windows", async (name, intro, speaksOfAKey) => {
    const shell = windowsShell();
    await setUpOn(shell, name);
    shell.set({ state: "touch" });
    await settle();
    expect(h1()).toBe("Setting up your passkey");
    expect(text(status())).toBe("Follow the instructions from Windows");
    expect(text(main())).toMatch(intro);
    expect(text(main())).not.toContain("Touch your security key");
    expect(text(main()).includes("security key")).toBe(speaksOfAKey);
    shell.set({ state: "insert-key" });
    await settle();
    expect(text(status())).toBe("Follow the instructions from Windows");
  });

  it.each([
    ["This device (Windows Hello)", "timed_out", "Windows Hello did not finish in time.", /then follow the instructions from Windows/],
    [
      "This device (Windows Hello)",
      "no_authenticator",
      "Windows Hello could not be used on this computer.",
      /Check that Windows Hello is set up in Windows Settings, or choose a security key or a phone instead/,
    ],
    ["Use a different phone or tablet", "device_error", "Something went wrong connecting to your phone or tablet.", /Turn on Bluetooth/],
    ["Use a different phone or tablet", "timed_out", "Your phone or tablet did not respond in time.", /scan the QR code that Windows shows/],
  ])("when %s fails with %s, the message and what to do never speak of the person's security key", async (name, code, message, advice) => {
    const shell = windowsShell();
    await setUpOn(shell, name);
    shell.fail(code, message);
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary?.querySelector("li"))).toBe(message);
    expect(text(summary)).toMatch(advice);
    // Offering a security key instead is fine; telling them to insert or touch theirs is not.
    expect(text(summary)).not.toContain("your security key");
  });

  it("when a security key through Windows times out, says to follow Windows rather than to touch the key", async () => {
    const shell = windowsShell();
    await setUpOn(shell, "A security key");
    shell.fail("timed_out", "Your security key did not respond in time.");
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain("Select Continue to try again, then follow the instructions from Windows.");
    expect(text(summary)).not.toContain("when it flashes or lights up");
  });

  it("before setting up, names Windows Hello, a phone or tablet and a security key, with what each needs", async () => {
    const shell = windowsShell();
    await boot("/account/passkeys/set-up", setUpApi(shell), shell.ceremonies());
    const said = text(main());
    for (const needed of ["Windows Hello set up", "Bluetooth turned on", "its PIN if it has one", "follow the instructions from Windows"]) {
      expect(said).toContain(needed);
    }
    expect(said).not.toContain("In this app, you save your passkey on a security key");
    expect(await violations()).toEqual([]);
  });

  it("asks where the passkey is saved when logging in, and says what to do when Windows Hello has none", async () => {
    const shell = windowsShell();
    const api = loginApi(shell);
    await boot("/login", api, shell.ceremonies());
    // The page describes Windows' choices, not a security key's steps.
    expect(text(main())).toContain("choose where your passkey is saved and follow the instructions from Windows");
    expect(text(main())).toContain("turn on Bluetooth on this computer and on the phone or tablet");
    expect(text(main())).not.toContain("You cannot use a passkey on your phone or tablet");
    fill("email", "pat@example.com");
    submit();
    await settle();
    expect(h1()).toBe("Where is your passkey saved?");
    submit();
    await settle();
    expect(text(main().querySelector("#authenticator-error"))).toBe("Error: Select where your passkey is saved");
    choose("This device (Windows Hello)");
    submit();
    await settle();
    shell.fail("no_passkey_on_key", "There are no passkeys for your NHS login in Windows Hello on this computer.");
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain("There are no passkeys for your NHS login in Windows Hello on this computer.");
    expect(text(summary)).toContain("Choose where else your passkey is saved, or log in with your password.");
    expect(text(summary)).not.toContain("security key");
  });

  it("says nothing of plugging a key in where the person chooses where to save it", async () => {
    const shell = windowsShell();
    await startSetUp(shell);
    expect(h1()).toBe("Where do you want to save your passkey?");
    expect(text(main())).not.toContain("Choose a security key plugged into this computer.");
  });
});
