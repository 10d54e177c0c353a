// Resetting a security key: the check, the confirmation naming the account's
// passkeys, the window after plug-in (remove and reinsert; a button for the
// virtual key), the touch, and the refusals.

import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fill, settle, submit, text } from "../../testing/harness";
import { bootKeys, FakeKeys, PIN, securityKey, stopKeysApp, violations, virtualKey } from "../../testing/keys-fake";
import { ApiError } from "../../api/request";

const main = (): HTMLElement => document.querySelector("main") as HTMLElement;
const h1 = (): string => text(main().querySelector("h1"));

function click(label: string): void {
  const target = [...main().querySelectorAll<HTMLElement>("button, a")].find((el) => text(el) === label);
  if (!target) throw new Error(`no button "${label}" on "${h1()}"`);
  target.click();
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await settle();
  if (!condition()) throw new Error(`still on "${h1()}"`);
}

/** Everything the live region says, in order, from now on (with the heading it was under). */
function recordStatus(): string[] {
  const said: string[] = [];
  new MutationObserver(() => {
    const region = main().querySelector('[role="status"][aria-live="polite"]');
    const now = `${h1()}: ${text(region)}`;
    if (region && text(region) && said[said.length - 1] !== now) said.push(now);
  }).observe(main(), { childList: true, subtree: true, characterData: true });
  return said;
}

beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});
afterEach(stopKeysApp);

describe("resetting a security key", () => {
  it("checks with the PIN, names the passkeys that will stop working, and resets the virtual key after it is replugged", async () => {
    const keys = new FakeKeys();
    keys.keys = [virtualKey()];
    keys.check = {
      ticket: "t1",
      accountPasskeys: [{ id: "p1", name: "Security key" }],
      certain: true,
      otherWaysIn: { password: true, passkeys: [{ id: "p2", name: "Work laptop" }] },
    };
    keys.jobSteps = [{ state: "touch" }, { state: "touch" }, { state: "done" }];
    await bootKeys("/security-keys/virtual/reset", keys);
    expect(h1()).toBe("Reset Virtual security key (for testing)");
    expect(text(main().querySelector(".nhsuk-card--warning"))).toContain("Every passkey and fingerprint on the key is deleted");
    expect(await violations()).toEqual([]);

    fill("pin", "000000");
    submit();
    await settle();
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain("You have 7 tries left.");
    fill("pin", PIN);
    submit();
    await settle();
    expect(h1()).toBe("Are you sure you want to reset Virtual security key (for testing)?");
    const callout = main().querySelector(".nhsuk-card--warning");
    expect(text(callout)).toContain("These NHS login passkeys are on this key and will stop working: Security key");
    // The check's other half: the way in the account keeps.
    expect(text(callout)).toContain("You can still log in to your NHS login with your password or this passkey: Work laptop");
    expect(await violations()).toEqual([]);
    expect(keys.calls.filter((c) => c.startsWith("reset"))).toEqual([]);

    click("Reset security key");
    await settle();
    expect(h1()).toBe("Remove your security key and insert it again");
    expect(text(main())).toContain("you cannot take it out");
    expect(await violations()).toEqual([]);
    const said = recordStatus();
    click("Remove and insert the virtual key");
    await until(() => h1() === "Your security key has been reset");
    expect(said).toContain("Resetting Virtual security key (for testing): Touch your security key to reset it");
    expect(keys.calls).toContain("replug virtual");
    expect(keys.calls).toContain("reset virtual t1");
    expect(text(main())).toContain("Remove these passkeys from your NHS login, as they no longer work: Security key");
    expect(await violations()).toEqual([]);
  });

  it("refuses when the account would keep no way to log in", async () => {
    const keys = new FakeKeys();
    keys.keys = [virtualKey()];
    keys.failNext.checkReset = new ApiError(409, "last_way_to_log_in", "You cannot do this because it would leave you with no way to log in to your NHS login.");
    await bootKeys("/security-keys/virtual/reset", keys);
    fill("pin", PIN);
    submit();
    await settle();
    expect(h1()).toBe("You cannot reset this security key yet");
    expect(text(main())).toContain("no way to log in to your NHS login");
    expect(main().querySelector('a[href="/account/security"]')).not.toBeNull();
  });

  it("waits for a USB key to be taken out and put back (under a new id), then resets it at once", async () => {
    const keys = new FakeKeys();
    const first = securityKey({ id: "usb:1111111111111111" });
    keys.keys = [first];
    keys.jobSteps = [{ state: "touch" }, { state: "done" }];
    keys.onList = (n) => {
      if (n === 3) keys.keys = []; // taken out
      if (n === 5) keys.keys = [{ ...first, id: "usb:2222222222222222", resetSecondsLeft: 10 }]; // back in
    };
    await bootKeys("/security-keys/usb%3A1111111111111111/reset", keys);
    fill("pin", PIN);
    submit();
    await settle();
    const said = recordStatus();
    click("Reset security key");
    await until(() => h1() === "Your security key has been reset");
    expect(said).toContain("Remove your security key and insert it again: Take your security key out of the USB port");
    expect(said).toContain("Remove your security key and insert it again: Now insert your security key again");
    expect(keys.calls).toContain("reset usb:2222222222222222 t1");
  });

  it("goes back to remove and reinsert when the key says it is too late", async () => {
    const keys = new FakeKeys();
    keys.keys = [virtualKey({ resetSecondsLeft: 4 })];
    keys.jobSteps = [{ state: "touch" }, { state: "failed", error: { code: "reset_window_passed", message: "Your security key can only be reset in the first few seconds after it is plugged in." } }];
    await bootKeys("/security-keys/virtual/reset", keys);
    fill("pin", PIN);
    submit();
    await settle();
    click("Reset security key");
    await until(() => h1() === "Remove your security key and insert it again");
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain("only be reset in the first few seconds");
  });

  it("with a blocked PIN, asks for no PIN and says the passkeys may be on the key", async () => {
    const keys = new FakeKeys();
    keys.keys = [virtualKey({ pin: { set: true, retriesLeft: 0, blocked: true, minLength: 4, mustChange: false } })];
    keys.check = { ticket: "t2", accountPasskeys: [{ id: "p1", name: "Security key" }], certain: false, otherWaysIn: { password: true, passkeys: [] } };
    await bootKeys("/security-keys/virtual/reset", keys);
    expect(main().querySelector("#pin")).toBeNull();
    submit();
    await settle();
    expect(keys.calls).toContain("checkReset virtual");
    expect(keys.pins).toEqual([]);
    const callout = main().querySelector(".nhsuk-card--warning");
    expect(text(callout)).toContain("We could not check the key, so these NHS login passkeys may be on it.");
    expect(text(callout)).toContain("You can still log in to your NHS login with your password.");
  });

  it("resets a key whose PIN the person has forgotten without asking for the PIN", async () => {
    // The app's own advice: "If you forget this PIN, your security key will need to be reset".
    const keys = new FakeKeys();
    keys.keys = [virtualKey()];
    keys.check = { ticket: "t4", accountPasskeys: [{ id: "p1", name: "Security key" }], certain: false, otherWaysIn: { password: true, passkeys: [] } };
    keys.jobSteps = [{ state: "touch" }, { state: "done" }];
    await bootKeys("/security-keys/virtual/reset", keys);
    expect(main().querySelector("#pin")).not.toBeNull();
    click("I have forgotten the PIN");
    await settle();
    expect(keys.calls).toContain("checkReset virtual without the PIN");
    expect(keys.pins).toEqual([]);
    expect(h1()).toBe("Are you sure you want to reset Virtual security key (for testing)?");
    expect(text(main().querySelector(".nhsuk-card--warning"))).toContain("these NHS login passkeys may be on it");
    click("Reset security key");
    await settle();
    click("Remove and insert the virtual key");
    await until(() => h1() === "Your security key has been reset");
    expect(keys.calls).toContain("reset virtual t4");
    expect(await violations()).toEqual([]);
  });

  it("after a reset it could not check, does not tell the person to remove passkeys that may be on another key", async () => {
    // A blocked PIN: the check counts every passkey on a key of this model as on this one, so
    // a passkey on the person's second key of the same model is in the list, and still works.
    const keys = new FakeKeys();
    keys.keys = [virtualKey({ pin: { set: true, retriesLeft: 0, blocked: true, minLength: 4, mustChange: false } })];
    keys.check = {
      ticket: "t3",
      accountPasskeys: [
        { id: "p1", name: "Security key" },
        { id: "p2", name: "Spare security key" },
      ],
      certain: false,
      otherWaysIn: { password: true, passkeys: [] },
    };
    keys.jobSteps = [{ state: "touch" }, { state: "done" }];
    await bootKeys("/security-keys/virtual/reset", keys);
    submit();
    await settle();
    const callout = text(main().querySelector(".nhsuk-card--warning"));
    expect(callout).not.toContain("Remove them from your NHS login afterwards");
    expect(callout).toContain("A passkey saved on another security key will still work");
    click("Reset security key");
    await settle();
    click("Remove and insert the virtual key");
    await until(() => h1() === "Your security key has been reset");
    const page = text(main());
    expect(page).not.toContain("as they no longer work");
    expect(page).toContain("These NHS login passkeys may have been on the key: Security keySpare security key");
    expect(page).toContain("Remove from your NHS login only the ones that were saved on this key.");
    expect(page).toContain("Do not remove a passkey that is saved on another security key, as it still works.");
    expect(await violations()).toEqual([]);
  });
});
