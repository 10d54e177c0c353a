import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { VisitIdle } from "./visit-idle";
import { axeViolations } from "../testing/axe";

const dialog = () => document.querySelector<HTMLDialogElement>("dialog.app-timeout-dialog");
const text = (node: Element | null | undefined) => (node?.textContent ?? "").replace(/\s+/g, " ").trim();

/** A kiosk page at `path`, with the visit's idle watch started on it. */
function kioskPage(path: string, idleSeconds = 300) {
  window.history.replaceState(null, "", path);
  document.documentElement.lang = "en";
  document.title = "Log in – NHS login passkeys";
  document.body.innerHTML = `<main><h1>Log in</h1><label for="email">Email address</label><input id="email"></main>`;
  let signedIn = false;
  const end = vi.fn();
  const idle = new VisitIdle({ idleSeconds, signedIn: () => signedIn, end });
  idle.start();
  return {
    idle,
    end,
    logIn: () => {
      signedIn = true;
    },
    type: (value: string) => {
      const email = document.getElementById("email") as HTMLInputElement;
      email.value = value;
      email.dispatchEvent(new Event("input", { bubbles: true }));
    },
  };
}

beforeEach(() => {
  // performance.now() too: the countdown reads the monotonic clock, not the wall clock.
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] });
});

afterEach(() => {
  document.querySelectorAll("dialog").forEach((d) => d.remove());
  vi.useRealTimers();
  window.history.replaceState(null, "", "/");
});

describe("a kiosk visit nobody has logged in to", () => {
  it("warns, counts down and ends the visit when a patient typed their email and walked away", async () => {
    const page = kioskPage("/login");
    page.type("pat@example.com");
    await vi.advanceTimersByTimeAsync(179_000);
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(dialog()?.open).toBe(true);
    expect(document.activeElement?.id).toBe("visit-idle-heading");
    expect(text(document.getElementById("visit-idle-message"))).toContain("this page will go back to the start in 2 minutes");
    await vi.advanceTimersByTimeAsync(65_000);
    expect(text(dialog()?.querySelector("[data-countdown]"))).toBe("55 seconds");
    expect(page.end).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(55_000);
    expect(page.end).toHaveBeenCalledTimes(1);
    page.idle.stop();
  });

  it("warns in a dialog that passes axe", async () => {
    const page = kioskPage("/login");
    await vi.advanceTimersByTimeAsync(180_000);
    expect(dialog()?.open).toBe(true);
    vi.useRealTimers(); // axe-core waits on real timers; the warning's fake ones stay still
    expect(await axeViolations()).toEqual([]);
    page.idle.stop();
  });

  it("ends a page other than the start page even when nothing was typed on it", async () => {
    const page = kioskPage("/create-account");
    await vi.advanceTimersByTimeAsync(300_000);
    expect(page.end).toHaveBeenCalledTimes(1);
    page.idle.stop();
  });

  it("ends the start page once something was typed on it", async () => {
    const page = kioskPage("/");
    page.type("p");
    await vi.advanceTimersByTimeAsync(300_000);
    expect(page.end).toHaveBeenCalledTimes(1);
    page.idle.stop();
  });

  it("leaves the untouched start page alone, so a kiosk waiting for its next patient does not warn", async () => {
    const page = kioskPage("/");
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(dialog()).toBeNull();
    expect(page.end).not.toHaveBeenCalled();
    page.idle.stop();
  });

  it("starts the quiet time again on a key press, a pointer or typing", async () => {
    const page = kioskPage("/login");
    for (const event of [new KeyboardEvent("keydown", { key: "a", bubbles: true }), new Event("pointerdown", { bubbles: true })]) {
      await vi.advanceTimersByTimeAsync(170_000);
      document.getElementById("email")?.dispatchEvent(event);
    }
    await vi.advanceTimersByTimeAsync(170_000);
    page.type("pat@");
    await vi.advanceTimersByTimeAsync(170_000);
    expect(dialog()).toBeNull();
    expect(page.end).not.toHaveBeenCalled();
    page.idle.stop();
  });

  it("keeps the page as it is with I'm still here, or with Escape, then warns again after another quiet spell", async () => {
    const page = kioskPage("/login");
    page.type("pat@example.com");
    document.getElementById("email")?.focus();
    await vi.advanceTimersByTimeAsync(180_000);
    dialog()?.querySelector("button")?.click();
    expect(dialog()).toBeNull();
    expect((document.getElementById("email") as HTMLInputElement).value).toBe("pat@example.com");
    expect(document.activeElement?.id).toBe("email");
    await vi.advanceTimersByTimeAsync(179_000);
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(1_000);
    dialog()?.dispatchEvent(new Event("cancel", { cancelable: true }));
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(300_000);
    expect(page.end).toHaveBeenCalledTimes(1);
    page.idle.stop();
  });

  it("is not put off by a stray touch while the warning is up: only its answer keeps the page", async () => {
    const page = kioskPage("/login");
    page.type("pat@example.com");
    await vi.advanceTimersByTimeAsync(180_000);
    document.body.dispatchEvent(new Event("pointerdown", { bubbles: true }));
    expect(dialog()?.open).toBe(true);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(page.end).toHaveBeenCalledTimes(1);
    page.idle.stop();
  });

  it("counts down the same when the computer's clock jumps forward or back", async () => {
    const page = kioskPage("/login");
    await vi.advanceTimersByTimeAsync(185_000);
    expect(text(dialog()?.querySelector("[data-countdown]"))).toBe("1 minute 55 seconds");
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(text(dialog()?.querySelector("[data-countdown]"))).toBe("1 minute 54 seconds");
    vi.setSystemTime(Date.now() - 7_200_000);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(text(dialog()?.querySelector("[data-countdown]"))).toBe("1 minute 53 seconds");
    expect(page.end).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(113_000);
    expect(page.end).toHaveBeenCalledTimes(1);
    page.idle.stop();
  });

  it("gives a short timeout's warning half of it, and never under 20 seconds", async () => {
    const page = kioskPage("/login", 40);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(dialog()?.open).toBe(true);
    expect(text(dialog()?.querySelector("[data-countdown]"))).toBe("20 seconds");
    await vi.advanceTimersByTimeAsync(20_000);
    expect(page.end).toHaveBeenCalledTimes(1);
    page.idle.stop();
  });
});

describe("a kiosk visit someone has logged in to", () => {
  it("is left to the session's own timeout, so there are never two warnings", async () => {
    const page = kioskPage("/account");
    page.type("something");
    page.logIn();
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(dialog()).toBeNull();
    expect(page.end).not.toHaveBeenCalled();
    page.idle.stop();
  });

  it("is not ended when someone logged in while the warning was up", async () => {
    const page = kioskPage("/login");
    page.type("pat@example.com");
    await vi.advanceTimersByTimeAsync(180_000);
    expect(dialog()?.open).toBe(true);
    page.logIn();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(page.end).not.toHaveBeenCalled();
    expect(dialog()).toBeNull();
    page.idle.stop();
  });
});
