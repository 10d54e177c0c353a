// Fingerprints on a security key: adding one sample by sample (said in a live
// region), naming, renaming, deleting, cancelling.

import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { fill, settle, submit, text } from "../../testing/harness";
import { bootKeys, FakeKeys, PIN, stopKeysApp, violations, virtualKey } from "../../testing/keys-fake";
import { progressText } from "./fingerprints";

const main = (): HTMLElement => document.querySelector("main") as HTMLElement;
const h1 = (): string => text(main().querySelector("h1"));
const path = "/security-keys/virtual/fingerprints";

function click(label: string): void {
  const target = [...main().querySelectorAll<HTMLElement>("button, a")].find((el) => text(el) === label || text(el).startsWith(`${label} `));
  if (!target) throw new Error(`no button "${label}" on "${h1()}"`);
  target.click();
}

beforeAll(() => {
  HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
});
afterEach(stopKeysApp);

/** Everything the live region says, in order, from now on. */
function recordStatus(): string[] {
  const said: string[] = [];
  new MutationObserver(() => {
    const region = main().querySelector('[role="status"][aria-live="polite"]');
    const now = text(region);
    if (region && now && said[said.length - 1] !== now) said.push(now);
  }).observe(main(), { childList: true, subtree: true, characterData: true });
  return said;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await settle();
  if (!condition()) throw new Error(`still on "${h1()}"`);
}

function keysWithSensor(): FakeKeys {
  const keys = new FakeKeys();
  keys.keys = [virtualKey()];
  keys.fingerprints = [{ id: "ZnAx", name: "Left thumb" }];
  return keys;
}

describe("fingerprints on a security key", () => {
  it("lists them after the PIN, each with Rename and Delete", async () => {
    const keys = keysWithSensor();
    await bootKeys(path, keys);
    expect(h1()).toBe("Enter your security key PIN");
    fill("pin", PIN);
    submit();
    await settle();
    expect(h1()).toBe("Fingerprints on Virtual security key (for testing)");
    const actions = [...main().querySelectorAll(".nhsuk-summary-list__actions button")].map((b) => text(b));
    expect(actions).toEqual(["Rename Left thumb", "Delete Left thumb"]);
    expect(await violations()).toEqual([]);
  });

  it("adds one, saying after each touch how many more are needed, then names it", async () => {
    const keys = keysWithSensor();
    keys.fingerprints = [];
    keys.jobSteps = [
      { state: "touch", samplesNeeded: 4, samplesLeft: 4 },
      { samplesLeft: 4, lastSample: "too-fast", feedback: "You moved your finger too quickly. Keep it still on the sensor." },
      { samplesLeft: 3, lastSample: "good", feedback: undefined },
      { samplesLeft: 2, lastSample: "good" },
      { samplesLeft: 1, lastSample: "good" },
      { state: "done", samplesLeft: 0, lastSample: "good", fingerprint: { id: "bmV3", name: "" } },
    ];
    await bootKeys(path, keys);
    fill("pin", PIN);
    submit();
    await settle();
    expect(text(main())).toContain("You have not added a fingerprint to this key yet.");
    click("Add a fingerprint");
    await settle();
    expect(h1()).toBe("Add a fingerprint");
    fill("pin", PIN);
    const said = recordStatus();
    submit();
    await until(() => h1() === "Give your fingerprint a name");
    expect(said).toEqual([
      "Touch the sensor on your security key with the finger you want to add",
      "You moved your finger too quickly. Keep it still on the sensor. Touch the sensor again, 4 more times",
      "Touch the sensor again, 3 more times",
      "Touch the sensor again, 2 more times",
      "Touch the sensor again, 1 more time",
    ]);
    const banner = main().querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("Fingerprint added");
    expect(document.activeElement).toBe(banner);
    expect(await violations()).toEqual([]);

    keys.fingerprints = [{ id: "bmV3", name: "" }];
    fill("name", "Right thumb");
    fill("pin", PIN);
    submit();
    await settle();
    expect(keys.calls).toContain("renameFingerprint virtual bmV3 Right thumb");
    expect(h1()).toBe("Fingerprints on Virtual security key (for testing)");
    expect(text(main().querySelector(".nhsuk-summary-list__key"))).toBe("Right thumb");
  });

  it("says the live progress in the words the page uses", () => {
    const job = { id: "j", kind: "add-fingerprint" as const, key: "virtual", state: "touch" as const, samplesNeeded: 4 };
    expect(progressText({ ...job, samplesLeft: 4 })).toBe("Touch the sensor on your security key with the finger you want to add");
    expect(progressText({ ...job, samplesLeft: 3, lastSample: "good" })).toBe("Touch the sensor again, 3 more times");
    expect(progressText({ ...job, state: "done", samplesLeft: 0 })).toBe("Fingerprint added");
  });

  it("can be cancelled while the key waits for the finger, and leaving the page cancels it too", async () => {
    const keys = keysWithSensor();
    keys.jobSteps = [{ state: "touch", samplesNeeded: 4, samplesLeft: 4 }];
    const { router } = await bootKeys(path, keys);
    fill("pin", PIN);
    submit();
    await settle();
    click("Add a fingerprint");
    await settle();
    fill("pin", PIN);
    submit();
    await settle();
    expect(h1()).toBe("Add a fingerprint");
    expect(main().querySelector('[role="status"]')).not.toBeNull();
    click("Cancel");
    await until(() => main().querySelector(".nhsuk-inset-text") !== null);
    expect(text(main().querySelector(".nhsuk-inset-text"))).toContain("You cancelled adding a fingerprint. Nothing was saved.");
    expect(keys.calls.filter((c) => c.startsWith("cancelJob"))).toHaveLength(1);

    keys.jobSteps = [{ state: "touch", samplesNeeded: 4, samplesLeft: 4 }];
    fill("pin", PIN);
    submit();
    await settle();
    await router.navigate("/security-keys");
    await settle();
    expect(keys.calls.filter((c) => c.startsWith("cancelJob"))).toHaveLength(2);
  });

  it("renames and deletes with the PIN, with a confirmation page to delete", async () => {
    const keys = keysWithSensor();
    await bootKeys(path, keys);
    fill("pin", PIN);
    submit();
    await settle();
    click("Rename");
    await settle();
    expect(h1()).toBe("Rename Left thumb");
    fill("name", "");
    submit();
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect([...(summary?.querySelectorAll("a") ?? [])].map((a) => text(a))).toEqual([
      "Enter a name for this fingerprint",
      "Enter your security key PIN",
    ]);
    expect(await violations()).toEqual([]);
    fill("name", "Index finger");
    fill("pin", PIN);
    submit();
    await settle();
    expect(text(main().querySelector(".nhsuk-notification-banner"))).toContain("It is now called “Index finger”.");

    click("Delete");
    await settle();
    expect(h1()).toBe("Are you sure you want to delete Index finger?");
    expect(await violations()).toEqual([]);
    fill("pin", PIN);
    submit();
    await settle();
    expect(keys.fingerprints).toEqual([]);
    expect(text(main().querySelector(".nhsuk-notification-banner"))).toContain("Fingerprint deleted");
  });

  it("counts a name's characters as the person sees them, an accent typed apart from its letter included", async () => {
    const keys = keysWithSensor();
    await bootKeys(path, keys);
    fill("pin", PIN);
    submit();
    await settle();
    click("Rename");
    await settle();
    // 30 characters, each an "e" followed by a combining acute accent: 60 code points.
    const name = "e\u0301".repeat(30);
    fill("name", name);
    fill("pin", PIN);
    submit();
    await settle();
    expect(main().querySelector(".nhsuk-error-summary")).toBeNull();
    expect(keys.calls).toContain(`renameFingerprint virtual ZnAx ${"é".repeat(30)}`);
  });

  it("a key without a sensor says so", async () => {
    const keys = new FakeKeys();
    keys.keys = [virtualKey({ fingerprints: { supported: false, enrolled: false } })];
    await bootKeys(path, keys);
    expect(text(main())).toContain("This security key does not have a fingerprint sensor.");
  });
});
