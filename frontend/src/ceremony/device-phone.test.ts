// "Use a different phone or tablet" in the desktop app on Linux and macOS: the page shows the QR
// code the shell's ceremony carries (docs/api.md, "Use a different phone or tablet"), says each
// step in its live region, and shows the shell's message when it fails. The shell is a
// FakeShell the test moves from state to state, as the phone would.

import { afterEach, describe, expect, it, vi } from "vitest";
import type { Api } from "../api/service";
import { boot, FakeShell, fakeApi, fill, settle, submit, text, usbKey } from "../testing/harness";
import { violations } from "../testing/keys-fake";
import { QR_ALT } from "./device-steps";
import type { Passkey } from "../api/passkeys";
import type { Authenticator } from "../api/device-ceremonies";

const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true };
const creationOptions: PublicKeyCredentialCreationOptionsJSON = {
  rp: { id: "localhost", name: "NHS login" },
  user: { id: "dXNlcg", name: "pat@example.com", displayName: "pat@example.com" },
  challenge: "Y2hhbGxlbmdl",
  pubKeyCredParams: [{ type: "public-key", alg: -7 }],
};
const requestOptions: PublicKeyCredentialRequestOptionsJSON = { challenge: "bG9naW4", rpId: "localhost" };
const credential = { id: "Y3JlZA", rawId: "Y3JlZA", type: "public-key", response: {} };
const saved: Passkey = {
  id: "Y3JlZA",
  name: "Use a different phone or tablet",
  createdAt: "2025-03-03T10:00:00Z",
  lastUsedAt: null,
  backupEligible: true,
  backedUp: true,
  transports: ["hybrid", "internal"],
  aaguid: "00000000-0000-0000-0000-000000000000",
};

const phone: Authenticator = { id: "phone", kind: "phone", name: "Use a different phone or tablet", pinSet: false };
const qr = { text: "FIDO:/1234567890", image: "data:image/png;base64,iVBORw0KGgo=" };
const BLUETOOTH_OFF = "Bluetooth is turned off on this computer. Turn it on in your computer's settings, then try again.";

/** The shell's phone path: its ceremony starts "working", then the test shows the QR code. */
class PhoneShell extends FakeShell {
  override api(): ReturnType<FakeShell["api"]> {
    const base = super.api();
    return {
      ...base,
      startDeviceCeremony: async (kind, authenticator, publicKey) => {
        await base.startDeviceCeremony(kind, authenticator, publicKey);
        this.set({ state: "working" });
        return { ...(this.ceremony as NonNullable<FakeShell["ceremony"]>) };
      },
    };
  }
}

function phoneShell(): PhoneShell {
  const shell = new PhoneShell();
  shell.authenticators = [usbKey, phone];
  return shell;
}

function setUpApi(shell: FakeShell): Api {
  return fakeApi({
    getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }),
    getSession: () => Promise.resolve({ signedIn: true, account }),
    beginPasskeyRegistration: vi.fn(() => Promise.resolve({ ceremony: "r1", publicKey: creationOptions })),
    finishPasskeyRegistration: vi.fn(() => Promise.resolve(saved)),
    listPasskeys: () => Promise.resolve([saved]),
    ...shell.api(),
  });
}

function loginApi(shell: FakeShell): Api {
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

/** Boots the set-up page, selects Continue and chooses the phone: the QR code is shown. */
async function setUpOnPhone(shell: FakeShell, api = setUpApi(shell)): Promise<Api> {
  await boot("/account/passkeys/set-up", api, shell.ceremonies());
  submit();
  await settle();
  choose("Use a different phone or tablet");
  submit();
  await settle();
  return api;
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("choosing a phone or tablet", () => {
  it("offers it with what the person needs: Bluetooth on both, and a QR code to scan", async () => {
    const shell = phoneShell();
    await boot("/account/passkeys/set-up", setUpApi(shell), shell.ceremonies());
    submit();
    await settle();
    expect(h1()).toBe("Where do you want to save your passkey?");
    const radio = main().querySelector<HTMLInputElement>('input[value="phone"]');
    expect(radio?.disabled).toBe(false);
    const hint = document.getElementById(radio?.getAttribute("aria-describedby") ?? "");
    expect(text(hint)).toMatch(/Turn on Bluetooth on this computer and on your phone or tablet/);
    expect(text(hint)).toMatch(/scan a QR code/);
  });

  it("lists a phone that cannot be used with why, and says it again if it is chosen, starting nothing", async () => {
    const shell = phoneShell();
    shell.authenticators = [usbKey, { ...phone, unavailable: { code: "bluetooth_unavailable", message: BLUETOOTH_OFF } }];
    await boot("/account/passkeys/set-up", setUpApi(shell), shell.ceremonies());
    submit();
    await settle();
    const radio = main().querySelector<HTMLInputElement>('input[value="phone"]');
    const hint = document.getElementById(radio?.getAttribute("aria-describedby") ?? "");
    expect(text(hint)).toBe(`You cannot use this at the moment. ${BLUETOOTH_OFF}`);
    expect(await violations()).toEqual([]);

    choose("Use a different phone or tablet");
    submit();
    await settle();
    expect(shell.started).toEqual([]);
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain(BLUETOOTH_OFF);
    // The error links to the phone's radio, not to the first one.
    expect(main().querySelector(".nhsuk-error-summary a")?.getAttribute("href")).toBe("#authenticator-2");
    expect(main().querySelector<HTMLInputElement>('input[value="phone"]')?.checked).toBe(true);
    expect(await violations()).toEqual([]);

    // Bluetooth turned on meanwhile: the phone is used.
    shell.authenticators = [usbKey, phone];
    submit();
    await settle();
    expect(shell.started.map((s) => s.authenticator)).toEqual(["phone"]);
  });
});

describe("the choice while it is on screen", () => {
  it("shows a security key plugged in after it opened, keeping the selection and focus", async () => {
    const shell = phoneShell();
    shell.authenticators = [phone];
    await boot("/account/passkeys/set-up", setUpApi(shell), shell.ceremonies());
    submit();
    await settle();
    expect(h1()).toBe("Where do you want to save your passkey?");
    const phoneRadio = main().querySelector<HTMLInputElement>('input[value="phone"]');
    if (!phoneRadio) throw new Error("the phone is not offered");
    phoneRadio.checked = true;
    phoneRadio.focus();

    shell.authenticators = [usbKey, phone];
    await settle();
    const values = [...main().querySelectorAll<HTMLInputElement>('input[name="authenticator"]')].map((r) => r.value);
    expect(values).toEqual([usbKey.id, "phone"]);
    const now = main().querySelector<HTMLInputElement>('input[value="phone"]');
    expect(now?.checked).toBe(true);
    expect(document.activeElement).toBe(now);
    expect(shell.started).toEqual([]);
  });

  it.each(["Continue", "Cancel"])("keeps focus on %s when the list changes under it, rather than moving it to the question", async (name) => {
    const shell = phoneShell();
    shell.authenticators = [phone];
    await boot("/account/passkeys/set-up", setUpApi(shell), shell.ceremonies());
    submit();
    await settle();
    const button = [...main().querySelectorAll<HTMLButtonElement>("button")].find((b) => text(b) === name);
    button?.focus();
    expect(document.activeElement).toBe(button);

    shell.authenticators = [usbKey, phone];
    await settle();
    expect(main().querySelectorAll('input[name="authenticator"]')).toHaveLength(2);
    const now = [...main().querySelectorAll<HTMLButtonElement>("button")].find((b) => text(b) === name);
    expect(document.activeElement).toBe(now);
  });
});

describe("setting up a passkey on a phone or tablet", () => {
  it("shows the QR code with its text alternative, the steps and help, and announces each step", async () => {
    const shell = phoneShell();
    const api = await setUpOnPhone(shell);
    expect(shell.started).toEqual([{ kind: "create", authenticator: "phone", publicKey: creationOptions }]);
    expect(h1()).toBe("Setting up your passkey");
    expect(text(status())).toBe("Getting the QR code ready…");
    expect(main().querySelector("img")).toBeNull();

    shell.set({ state: "phone-scan", qr });
    await settle();
    const heading = main().querySelector("h1");
    const image = main().querySelector("img");
    expect(image?.getAttribute("src")).toBe(qr.image);
    expect(image?.getAttribute("alt")).toBe(QR_ALT);
    expect(QR_ALT).toBe("QR code to scan with the camera on your phone or tablet");
    const steps = [...main().querySelectorAll("ol.nhsuk-list--number li")].map(text);
    expect(steps[0]).toMatch(/Bluetooth is turned on, on this computer and on your phone or tablet/);
    expect(steps[1]).toMatch(/camera/);
    expect(steps.at(-1)).toMatch(/save your passkey/);
    expect(text(main().querySelector("details summary"))).toBe("If you cannot scan the QR code");
    expect(text(main().querySelector("details"))).toMatch(/security key instead/);
    expect(text(status())).toBe("Waiting for your phone or tablet Scan the QR code with its camera.");
    expect(status()?.getAttribute("aria-live")).toBe("polite");
    expect(await violations()).toEqual([]);

    // Polling the same state again changes nothing: focus and the page stay put.
    const region = status();
    (heading as HTMLElement).focus();
    await settle();
    expect(status()).toBe(region);
    expect(document.activeElement).toBe(heading);

    shell.set({ state: "phone-found", qr: undefined });
    await settle();
    expect(text(status())).toBe("Phone or tablet found Connecting to it…");
    expect(main().querySelector("img")).toBeNull();
    expect(status()).toBe(region);
    expect(main().querySelector("h1")).toBe(heading);

    shell.set({ state: "phone-connecting" });
    await settle();
    expect(text(status())).toBe("Connecting to your phone or tablet…");

    shell.set({ state: "phone-confirm" });
    await settle();
    expect(text(status())).toBe("Follow the instructions on your phone or tablet");
    expect(await violations()).toEqual([]);

    shell.finish(credential);
    await settle();
    expect(api.finishPasskeyRegistration).toHaveBeenCalledWith("r1", credential);
  });

  it("gives focus to the heading when the help it was on goes away with the QR code", async () => {
    const shell = phoneShell();
    await setUpOnPhone(shell);
    shell.set({ state: "phone-scan", qr });
    await settle();
    const summary = main().querySelector<HTMLElement>("details summary");
    // jsdom does not count a summary as focusable, as browsers do.
    summary?.setAttribute("tabindex", "0");
    summary?.focus();
    expect(document.activeElement).toBe(summary);
    shell.set({ state: "phone-found", qr: undefined });
    await settle();
    expect(document.activeElement).toBe(main().querySelector("h1"));
  });

  it("Cancel asks the shell to cancel, which closes the phone's connection", async () => {
    const shell = phoneShell();
    await setUpOnPhone(shell);
    shell.set({ state: "phone-scan", qr });
    await settle();
    click("Cancel");
    await settle();
    expect(shell.cancelled).toEqual(["d1"]);
    expect(main().querySelector("img")).toBeNull();
    expect(await violations()).toEqual([]);
  });

  it.each([
    ["no phone answered in time", "phone_not_found", "We could not find your phone or tablet. Check that Bluetooth is turned on on your phone or tablet and keep it near this computer. Then try again and scan the new QR code."],
    ["the tunnel cannot be reached", "tunnel_unreachable", "This computer could not reach the phone's passkey service on the internet. Check you are connected to the internet, then try again. If this keeps happening, your network may block it: use a security key instead."],
    ["the person cancelled on the phone", "phone_cancelled", "Setting up your passkey was cancelled on your phone or tablet. Try again if you still want to set it up."],
    ["another phone answered", "wrong_phone", "A phone was found, but it was not the one that scanned this QR code. It may have scanned an older QR code, or one on another computer. Try again and scan the new QR code on this screen."],
    ["Bluetooth went off", "bluetooth_unavailable", BLUETOOTH_OFF],
    ["the phone timed out", "timed_out", "Your phone or tablet took too long to respond."],
  ])("when %s, shows the shell's message in the error summary, accessibly", async (_name, code, message) => {
    const shell = phoneShell();
    await setUpOnPhone(shell);
    shell.set({ state: "phone-scan", qr });
    await settle();
    shell.fail(code, message);
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain(message);
    expect(text(main())).not.toMatch(/touch your security key/i);
    expect(main().querySelector("img")).toBeNull();
    expect(await violations()).toEqual([]);
  });
});

describe("logging in with a phone or tablet", () => {
  it("asks where the passkey is, shows the QR code for using it, and logs in", async () => {
    const shell = phoneShell();
    const api = loginApi(shell);
    await boot("/login", api, shell.ceremonies());
    fill("email", "pat@example.com");
    submit();
    await settle();
    expect(h1()).toBe("Where is your passkey saved?");
    choose("Use a different phone or tablet");
    submit();
    await settle();
    expect(shell.started).toEqual([{ kind: "get", authenticator: "phone", publicKey: requestOptions }]);
    shell.set({ state: "phone-scan", qr });
    await settle();
    expect(main().querySelector("img")?.getAttribute("alt")).toBe(QR_ALT);
    expect(text(main().querySelector("ol"))).toMatch(/use your passkey/);
    expect(text(main().querySelector("details"))).toMatch(/log in with your password/);
    expect(await violations()).toEqual([]);
    shell.set({ state: "phone-confirm", qr: undefined });
    await settle();
    expect(text(status())).toBe("Follow the instructions on your phone or tablet");
    shell.finish(credential);
    await settle();
    expect(api.finishPasskeyLogin).toHaveBeenCalledWith("c1", credential);
    expect(window.location.pathname).toBe("/account/security");
  });

  it("in kiosk mode offers the phone, whose passkey leaves with the patient", async () => {
    const shell = phoneShell();
    const api = fakeApi({
      ...setUpApi(shell),
      getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk: true }),
    });
    await boot("/account/passkeys/set-up", api, shell.ceremonies({ kiosk: true }));
    submit();
    await settle();
    expect(main().querySelector('input[value="phone"]')).not.toBeNull();
    choose("Use a different phone or tablet");
    submit();
    await settle();
    shell.set({ state: "phone-scan", qr });
    await settle();
    expect(text(main().querySelector("details"))).toMatch(/member of staff/);
    expect(await violations()).toEqual([]);
  });
});
