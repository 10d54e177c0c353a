// After removing a passkey saved on this device in Login and security settings
// (remove.ts and the hook in pages/passkeys/removed.ts): in the Windows app, a passkey
// that Windows Hello still keeps is offered for deletion there too (or the page says how to
// do it in Windows Settings); on Linux and macOS, and in a web browser, nothing changes.

import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import { afterPasskeyRemoved } from "./removed";
import { passkey } from "../../testing/accounts";
import { settle, submit, text } from "../../testing/harness";
import { account, bootKeys, desktopApi, FakeKeys, FakeWindowsHello, stopKeysApp, violations } from "../../testing/keys-fake";
import type { PlatformPasskey } from "../../api/windows-hello";
import { REMOVED_WINDOWS_HELLO_PATH } from "./removed-windows-hello";
import { ApiError } from "../../api/request";
import type { Passkey } from "../../api/passkeys";

const main = (): HTMLElement => document.querySelector("main") as HTMLElement;
const h1 = (): string => text(main().querySelector("h1"));
const banner = (): HTMLElement | null => main().querySelector(".nhsuk-notification-banner--success");

const ID = "d2luZG93cy1oZWxsbw";
const helloPasskey = passkey({ id: ID, name: "Windows Hello", storedOn: "this-device", provider: "Windows Hello" });
const phone = passkey({ id: "cred-2", name: "Pat's iPhone", storedOn: "synced", provider: "iCloud Keychain" });

/** What Windows Hello lists once the account no longer has the passkey. */
function inWindowsHello(overrides: Partial<PlatformPasskey> = {}): PlatformPasskey {
  return {
    credentialId: ID,
    userName: account.email,
    authenticatorName: "Windows Hello",
    removable: true,
    backedUp: false,
    nhsLogin: "leftover",
    ...overrides,
  };
}

function windowsHello(...passkeys: PlatformPasskey[]): FakeWindowsHello {
  const hello = new FakeWindowsHello();
  hello.available = true;
  hello.passkeys = passkeys;
  return hello;
}

/** The account's API with `passkeys`, where removing one works; in the browser when `browser`. */
function accountApi(passkeys: Passkey[], browser = false): Api {
  let listed = [...passkeys];
  const overrides: Partial<Api> = {
    listPasskeys: () => Promise.resolve(listed),
    removePasskey: (id: string) => {
      listed = listed.filter((p) => p.id !== id);
      return Promise.resolve(listed);
    },
  };
  if (browser) overrides.getConfig = () => Promise.resolve({ ceremonies: "browser", rpId: "localhost" });
  return desktopApi(overrides);
}

/** Opens "Are you sure you want to remove …?" for `id` and removes it. */
async function remove(hello: FakeWindowsHello, api: Api, id: string) {
  const harness = await bootKeys("/elsewhere", new FakeKeys(), api, undefined, hello);
  harness.app.journey.passkey = id;
  await harness.router.navigate("/account/passkeys/remove");
  expect(h1()).toContain("Are you sure you want to remove");
  submit();
  await settle();
  return harness;
}

function control(label: string): HTMLElement {
  const found = [...main().querySelectorAll<HTMLElement>("a, button")].find((el) => text(el) === label);
  if (!found) throw new Error(`no link or button "${label}" on "${h1()}"`);
  return found;
}

beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});
afterEach(() => {
  stopKeysApp();
  vi.restoreAllMocks();
});

describe("after removing a passkey saved in Windows Hello, in the Windows app", () => {
  it("asks whether to delete it from Windows Hello too, explaining why", async () => {
    const hello = windowsHello(inWindowsHello());
    await remove(hello, accountApi([helloPasskey, phone]), ID);
    expect(window.location.pathname).toBe(REMOVED_WINDOWS_HELLO_PATH);
    expect(h1()).toBe("Delete the passkey from Windows Hello too?");
    expect(document.title).toBe("Delete the passkey from Windows Hello too? – NHS login passkeys");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(text(main())).toContain("“Windows Hello” has been removed from your NHS login");
    expect(text(main())).toContain("It is still saved in Windows Hello on this computer");
    expect(text(main())).toContain("Windows will keep offering it when you log in, even though it no longer works.");
    const confirm = control("Delete it from Windows Hello");
    expect(confirm.classList.contains("nhsuk-button--warning")).toBe(true);
    expect(control("Not now").getAttribute("href")).toBe("/account/security");
    // Asking is not deleting: the button is the confirmation.
    expect(hello.calls).toEqual([`find ${ID}`]);
    expect(hello.passkeys).toHaveLength(1);
    expect(await violations()).toEqual([]);
  });

  it("deletes it from Windows Hello once confirmed, and the settings banner says so", async () => {
    const hello = windowsHello(inWindowsHello());
    await remove(hello, accountApi([helloPasskey, phone]), ID);
    submit();
    await settle();
    expect(hello.calls).toEqual([`find ${ID}`, `remove ${ID}`]);
    expect(hello.passkeys).toEqual([]);
    expect(window.location.pathname).toBe("/account/security");
    const removed = banner();
    expect(document.activeElement).toBe(removed);
    expect(text(removed)).toContain("Passkey removed");
    expect(text(removed)).toContain("You can no longer log in with “Windows Hello”. It has also been deleted from Windows Hello on this computer.");
    expect(await violations()).toEqual([]);
  });

  it("“Not now” goes back to the settings and deletes nothing", async () => {
    const hello = windowsHello(inWindowsHello());
    await remove(hello, accountApi([helloPasskey]), ID);
    control("Not now").click();
    await settle();
    expect(window.location.pathname).toBe("/account/security");
    expect(text(banner())).toContain("If your device still offers it when you log in, remove it in your device's settings too.");
    expect(hello.calls).toEqual([`find ${ID}`]);
    expect(hello.passkeys).toHaveLength(1);
  });

  it("when Windows refuses, says why in an error summary and offers the choice again", async () => {
    const hello = windowsHello(inWindowsHello());
    hello.failNext.remove = new ApiError(
      502,
      "device_error",
      "Something went wrong with Windows Hello. Try again, or remove the passkey in Windows Settings: go to Settings > Accounts > Passkeys.",
    );
    await remove(hello, accountApi([helloPasskey]), ID);
    submit();
    await settle();
    expect(window.location.pathname).toBe(REMOVED_WINDOWS_HELLO_PATH);
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain("Something went wrong with Windows Hello.");
    expect(document.activeElement).toBe(summary);
    expect(hello.passkeys).toHaveLength(1);
    submit();
    await settle();
    expect(hello.passkeys).toEqual([]);
    expect(text(banner())).toContain("It has also been deleted from Windows Hello");
  });

  it("when Windows will not let apps delete it, says how to do it in Windows Settings", async () => {
    const hello = windowsHello(inWindowsHello({ removable: false }));
    await remove(hello, accountApi([helloPasskey]), ID);
    expect(h1()).toBe("Delete the passkey from Windows Hello too?");
    expect(text(main())).toContain("Windows does not let this app delete it, but you can do it in Windows Settings");
    expect(text(main())).toContain("Open Windows Settings and go to Settings > Accounts > Passkeys.");
    expect(text(main())).toContain(`Find the passkey for ${account.email}.`);
    expect(main().querySelector("form")).toBeNull();
    expect(control("Go back to your Login and security settings").getAttribute("href")).toBe("/account/security");
    expect(hello.calls).toEqual([`find ${ID}`]);
    expect(await violations()).toEqual([]);
  });

  it("on a Windows too old to list passkeys, the settings banner says where in Windows Settings to delete it", async () => {
    const hello = windowsHello(inWindowsHello());
    hello.manageable = false;
    await remove(hello, accountApi([helloPasskey, phone]), ID);
    expect(window.location.pathname).toBe("/account/security");
    const removed = banner();
    expect(text(removed)).toContain("It may still be saved in Windows Hello on this computer");
    expect(text(removed)).toContain("open Windows Settings and go to Settings > Accounts > Passkeys");
    expect(await violations()).toEqual([]);
  });

  it("on a Windows too old to list passkeys, a passkey from another provider gets the usual banner", async () => {
    const hello = windowsHello();
    hello.manageable = false;
    const other = passkey({ id: ID, name: "Laptop", storedOn: "this-device", provider: null });
    await remove(hello, accountApi([other]), ID);
    expect(window.location.pathname).toBe("/account/security");
    expect(text(banner())).toContain("If your device still offers it when you log in, remove it in your device's settings too.");
    expect(text(banner())).not.toContain("Windows Hello");
  });

  it("when Windows Hello does not have it, goes straight back to the settings", async () => {
    const hello = windowsHello(inWindowsHello({ credentialId: "c29tZXRoaW5nLWVsc2U" }));
    await remove(hello, accountApi([helloPasskey]), ID);
    expect(window.location.pathname).toBe("/account/security");
    expect(text(banner())).toContain("If your device still offers it when you log in");
    expect(hello.calls).toEqual([`find ${ID}`]);
  });

  it("when Windows Hello's passkey is another account's, offers nothing", async () => {
    const hello = windowsHello(inWindowsHello({ nhsLogin: "other-account", userName: "someone.else@example.com" }));
    await remove(hello, accountApi([helloPasskey]), ID);
    expect(window.location.pathname).toBe("/account/security");
    expect(hello.calls).toEqual([`find ${ID}`]);
  });

  it("when Windows Hello cannot be asked, goes back to the settings with the usual banner", async () => {
    const hello = windowsHello(inWindowsHello());
    hello.failNext.find = new ApiError(0, "network_error", "No connection");
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    await remove(hello, accountApi([helloPasskey]), ID);
    expect(window.location.pathname).toBe("/account/security");
    expect(text(banner())).toContain("If your device still offers it when you log in");
    expect(logged).toHaveBeenCalledOnce();
  });

  it("without a passkey just removed, the page goes to the settings", async () => {
    const hello = windowsHello(inWindowsHello());
    await bootKeys(REMOVED_WINDOWS_HELLO_PATH, new FakeKeys(), accountApi([phone]), undefined, hello);
    expect(window.location.pathname).toBe("/account/security");
    expect(hello.calls).toEqual([]);
  });
});

describe("anywhere else, nothing changes", () => {
  it("on Linux or macOS (no Windows Hello endpoints), goes straight back to the settings", async () => {
    const hello = new FakeWindowsHello(); // the shell answers 404
    await remove(hello, accountApi([helloPasskey]), ID);
    expect(window.location.pathname).toBe("/account/security");
    expect(text(banner())).toContain("If your device still offers it when you log in, remove it in your device's settings too.");
    expect(hello.calls).toEqual([`find ${ID}`]);
  });

  it("a synced passkey does not ask Windows Hello", async () => {
    const hello = windowsHello(inWindowsHello({ credentialId: "cred-2" }));
    const { app } = await remove(hello, accountApi([helloPasskey, phone]), "cred-2");
    expect(window.location.pathname).toBe("/account/security");
    expect(hello.calls).toEqual([]);
    expect(await afterPasskeyRemoved(phone, app)).toBeNull();
    expect(await afterPasskeyRemoved(helloPasskey, app)).toBe(REMOVED_WINDOWS_HELLO_PATH);
  });

  it("in a web browser, a passkey on this device goes straight back to the settings", async () => {
    const hello = windowsHello(inWindowsHello());
    const { app } = await remove(hello, accountApi([helloPasskey], true), ID);
    expect(window.location.pathname).toBe("/account/security");
    expect(hello.calls).toEqual([]);
    expect(await afterPasskeyRemoved(helloPasskey, app)).toBeNull();
  });
});
