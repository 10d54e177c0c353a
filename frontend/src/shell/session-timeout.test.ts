import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApi } from "../api/service";
import { duration, SessionTimeout } from "./session-timeout";
import { axeViolations } from "../testing/axe";
import type { SessionTiming } from "../api/request";
import type { Session } from "../api/account";

const account = { email: "pat@example.com", createdAt: "2026-01-01T00:00:00Z", hasPassword: true };

// A server whose session ends `idle` seconds after the last request that counted as activity,
// and `absolute` seconds after it began, as the backend's does. Each window() is a page with
// its own warning; api/request.ts tells it the timing of every answer, and null once signed out.
function sessionServer(idle: number, absolute = 43200) {
  let signedIn = true;
  let lastUsed = Date.now();
  const ends = Date.now() + absolute * 1000;
  const live = () => signedIn && Date.now() - lastUsed < idle * 1000 && Date.now() < ends;
  const timing = (): SessionTiming => ({
    idleEndsIn: Math.floor((lastUsed + idle * 1000 - Date.now()) / 1000),
    endsIn: Math.floor((ends - Date.now()) / 1000),
  });
  return {
    /** Another window used the session. */
    useElsewhere: () => {
      lastUsed = Date.now();
    },
    window() {
      // GET /api/session: `used` unless it is a peek (Session-Peek: 1).
      const answer = (used: boolean): Session => {
        if (!live()) {
          signedIn = false;
          timeout.update(null);
          return { signedIn: false };
        }
        if (used) lastUsed = Date.now();
        timeout.update(timing());
        return { signedIn: true, account };
      };
      const getSession = vi.fn(() => Promise.resolve(answer(true)));
      const peekSession = vi.fn(() => Promise.resolve(answer(false)));
      const logout = vi.fn(() => {
        signedIn = false;
        timeout.update(null);
        return Promise.resolve();
      });
      const loggedOut = vi.fn();
      const timedOut = vi.fn();
      const timeout: SessionTimeout = new SessionTimeout({ api: { getSession, peekSession, logout }, loggedOut, timedOut });
      return {
        timeout,
        getSession,
        peekSession,
        logout,
        loggedOut,
        timedOut,
        /** A request from this page, as api/request.ts reports it. */
        request: () => {
          lastUsed = Date.now();
          timeout.update(timing());
        },
      };
    },
  };
}

/** One window on its own server. */
function server(idle: number, absolute?: number) {
  const shared = sessionServer(idle, absolute);
  return { ...shared.window(), useElsewhere: shared.useElsewhere };
}

const dialog = () => document.querySelector("dialog.app-timeout-dialog");
const live = () => dialog()?.querySelector("[aria-live=polite]")?.textContent;
/** The dialog's description as a screen reader reads it: without what is aria-hidden. */
const description = (): string => {
  const message = document.getElementById(dialog()?.getAttribute("aria-describedby") ?? "")?.cloneNode(true) as HTMLElement | undefined;
  message?.querySelectorAll("[aria-hidden=true]").forEach((hidden) => hidden.remove());
  return (message?.textContent ?? "").replace(/\s+/g, " ").trim();
};
const buttonNamed = (name: string) =>
  Array.from(document.querySelectorAll("dialog button")).find((b) => b.textContent.trim() === name) as HTMLButtonElement;

describe("the warning before an idle session ends", () => {
  beforeEach(() => {
    // performance.now() too: the countdown reads the monotonic clock, not the wall clock.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"] });
    document.documentElement.lang = "en";
    document.title = "Login and security settings – NHS login passkeys";
    document.body.innerHTML = `<main><h1>Login and security settings</h1><a href="/x" id="here">A link</a></main>`;
  });
  afterEach(() => {
    vi.useRealTimers();
    document.body.innerHTML = "";
  });

  it("opens 2 minutes before a 30-minute session ends, with focus on its heading", async () => {
    const s = server(1800);
    document.getElementById("here")?.focus();
    s.request();
    await vi.advanceTimersByTimeAsync(27 * 60_000 + 59_000);
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    expect(dialog()).not.toBeNull();
    expect(document.activeElement?.textContent).toBe("You're about to be logged out");
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("2 minutes");
    expect(description()).toBe("For your security, we will log you out in 2 minutes. Anything you have not saved will be lost.");
    vi.useRealTimers(); // axe-core waits on real timers; the warning's fake ones stay still
    expect(await axeViolations()).toEqual([]);
  });

  it("counts down every second but tells screen readers only at each minute and at 20 seconds", async () => {
    const s = server(1800);
    s.request();
    await vi.advanceTimersByTimeAsync(28 * 60_000);
    await vi.advanceTimersByTimeAsync(5000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("1 minute 55 seconds");
    expect(live()).toBe(""); // the description said "2 minutes" when the warning opened
    await vi.advanceTimersByTimeAsync(55_000);
    expect(live()).toBe("For your security, we will log you out in 1 minute.");
    await vi.advanceTimersByTimeAsync(41_000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("19 seconds");
    expect(live()).toBe("For your security, we will log you out in 20 seconds.");
  });

  // A kiosk that starts with a wrong clock has it put right by NTP some minutes later, and
  // anyone may change a computer's time: the countdown and what screen readers hear follow
  // the time that passes, not the wall clock.
  it("counts down the same when the computer's clock jumps forward or back", async () => {
    const s = server(1800);
    s.request();
    await vi.advanceTimersByTimeAsync(28 * 60_000 + 5000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("1 minute 55 seconds");
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("1 minute 54 seconds");
    expect(live()).toBe("");
    vi.setSystemTime(Date.now() - 7_200_000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("1 minute 53 seconds");
    expect(live()).toBe("");
  });

  it("Stay logged in asks the server, closes the warning and gives focus back", async () => {
    const s = server(1800);
    const link = document.getElementById("here");
    link?.focus();
    s.request();
    await vi.advanceTimersByTimeAsync(28 * 60_000);
    buttonNamed("Stay logged in").click();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.getSession).toHaveBeenCalledTimes(1);
    expect(dialog()).toBeNull();
    expect(document.activeElement).toBe(link);
    // The 30 minutes start again from the click.
    await vi.advanceTimersByTimeAsync(27 * 60_000);
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(dialog()).not.toBeNull();
    expect(s.timedOut).not.toHaveBeenCalled();
  });

  it("Stay logged in, when nothing on the page had focus before, gives focus to the page's h1, not to <body>", async () => {
    const s = server(1800);
    (document.activeElement as HTMLElement | null)?.blur();
    expect(document.activeElement).toBe(document.body);
    s.request();
    await vi.advanceTimersByTimeAsync(28 * 60_000);
    buttonNamed("Stay logged in").click();
    await vi.advanceTimersByTimeAsync(0);
    expect(dialog()).toBeNull();
    const h1 = document.querySelector("main h1");
    expect(document.activeElement).toBe(h1);
    expect(h1?.getAttribute("tabindex")).toBe("-1");
  });

  it("Escape means stay logged in, never log out", async () => {
    const s = server(1800);
    s.request();
    await vi.advanceTimersByTimeAsync(28 * 60_000);
    dialog()?.dispatchEvent(new Event("cancel", { cancelable: true }));
    await vi.advanceTimersByTimeAsync(0);
    expect(s.getSession).toHaveBeenCalledTimes(1);
    expect(s.logout).not.toHaveBeenCalled();
    expect(dialog()).toBeNull();
  });

  it("Log out ends the session on the server first", async () => {
    const s = server(1800);
    s.request();
    await vi.advanceTimersByTimeAsync(28 * 60_000);
    buttonNamed("Log out").click();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.logout).toHaveBeenCalledTimes(1);
    expect(s.loggedOut).toHaveBeenCalledTimes(1);
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(s.timedOut).not.toHaveBeenCalled();
  });

  it("when the time is up and the server agrees, the visit ends as timed out", async () => {
    const s = server(1800);
    s.request();
    await vi.advanceTimersByTimeAsync(30 * 60_000 + 1000);
    expect(s.peekSession).toHaveBeenCalledTimes(1); // asking must not keep the session alive
    expect(s.getSession).not.toHaveBeenCalled();
    expect(s.timedOut).toHaveBeenCalledWith({ idleSeconds: 1800, absolute: false });
    expect(s.logout).toHaveBeenCalledTimes(1); // so the desktop app forgets the dead cookie too
    expect(dialog()).toBeNull();
  });

  it("when another window kept the session alive, the warning just closes", async () => {
    const s = server(1800);
    s.request();
    await vi.advanceTimersByTimeAsync(29 * 60_000);
    s.useElsewhere();
    await vi.advanceTimersByTimeAsync(60_000 + 1000);
    expect(s.timedOut).not.toHaveBeenCalled();
    expect(dialog()).toBeNull();
  });

  it("any request from the page puts the warning off", async () => {
    const s = server(1800);
    s.request();
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    s.request();
    await vi.advanceTimersByTimeAsync(20 * 60_000);
    expect(dialog()).toBeNull();
  });

  it("two windows left alone both end: asking whether the time is up does not keep the session alive", async () => {
    const shared = sessionServer(60);
    const first = shared.window();
    const second = shared.window();
    first.request();
    await vi.advanceTimersByTimeAsync(10_000);
    second.request();
    // The first window's time is up, but the second used the session 10 seconds later: the
    // first keeps its warning open, counting to the real end.
    await vi.advanceTimersByTimeAsync(51_000);
    expect(first.timedOut).not.toHaveBeenCalled();
    expect(document.querySelectorAll("dialog.app-timeout-dialog[open]")).toHaveLength(2);
    expect(document.querySelector("dialog [aria-live=polite]")?.textContent).toBe("For your security, we will log you out in 9 seconds.");
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    expect(first.timedOut).toHaveBeenCalledOnce();
    expect(second.timedOut).toHaveBeenCalledOnce();
    expect(first.getSession).not.toHaveBeenCalled();
    expect(second.getSession).not.toHaveBeenCalled();
  });

  it("gives at least 20 seconds to act, however short the timeout (WCAG 2.2.1)", async () => {
    const s = server(30);
    s.request();
    await vi.advanceTimersByTimeAsync(9_999);
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(1);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("20 seconds");
  });

  it("says the time that is really left: with a 1-minute timeout, 30 seconds, then 20", async () => {
    const s = server(60);
    s.request();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(description()).toContain("For your security, we will log you out in 30 seconds.");
    expect(live()).toBe("");
    await vi.advanceTimersByTimeAsync(9_000);
    expect(live()).toBe("");
    await vi.advanceTimersByTimeAsync(1_000);
    expect(live()).toBe("For your security, we will log you out in 20 seconds.");
    await vi.advanceTimersByTimeAsync(19_000);
    expect(live()).toBe("For your security, we will log you out in 20 seconds.");
  });

  it("with a 40-second timeout, says 20 seconds once, when it opens, and nothing more", async () => {
    const s = server(40);
    const spoken: string[] = [];
    s.request();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(description()).toContain("For your security, we will log you out in 20 seconds.");
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(1000);
      spoken.push(live() ?? "");
    }
    expect(spoken.filter((words) => words !== "")).toEqual([]);
  });

  it("has the time in its description before it opens and its heading takes focus", async () => {
    const seen: string[] = [];
    const showModal = vi.fn(function (this: HTMLDialogElement) {
      seen.push(`opened: ${description()}`);
      this.setAttribute("open", "");
    });
    const original = Object.getOwnPropertyDescriptor(HTMLDialogElement.prototype, "showModal");
    Object.defineProperty(HTMLDialogElement.prototype, "showModal", { value: showModal, configurable: true });
    const focused = (event: FocusEvent) => seen.push(`focused ${(event.target as HTMLElement).id}: ${description()} [live: ${live()}]`);
    document.addEventListener("focusin", focused);
    try {
      const s = server(1800);
      s.request();
      await vi.advanceTimersByTimeAsync(28 * 60_000);
    } finally {
      document.removeEventListener("focusin", focused);
      if (original) Object.defineProperty(HTMLDialogElement.prototype, "showModal", original);
      else delete (HTMLDialogElement.prototype as Partial<HTMLDialogElement>).showModal;
    }
    const said = "For your security, we will log you out in 2 minutes. Anything you have not saved will be lost.";
    expect(seen).toEqual([`opened: ${said}`, `focused timeout-heading: ${said} [live: ]`]);
  });

  it("when the browser closes it (Escape again), it is as Stay logged in", async () => {
    const s = server(1800);
    const link = document.getElementById("here");
    link?.focus();
    s.request();
    await vi.advanceTimersByTimeAsync(28 * 60_000);
    dialog()?.dispatchEvent(new Event("close"));
    await vi.advanceTimersByTimeAsync(0);
    expect(s.getSession).toHaveBeenCalledTimes(1);
    expect(dialog()).toBeNull();
    expect(document.activeElement).toBe(link);
    // Kept in step: the next warning opens when it should.
    await vi.advanceTimersByTimeAsync(28 * 60_000);
    expect(dialog()).not.toBeNull();
    expect(s.timedOut).not.toHaveBeenCalled();
  });

  it("near the absolute limit, a warning the browser closes opens again: nothing can extend it", async () => {
    const s = server(1800, 300);
    s.request();
    await vi.advanceTimersByTimeAsync(180_000);
    const first = dialog();
    first?.dispatchEvent(new Event("close"));
    await vi.advanceTimersByTimeAsync(0);
    expect(dialog()).not.toBeNull();
    expect(dialog()).not.toBe(first);
    expect(document.querySelectorAll("dialog")).toHaveLength(1);
  });

  it("at the absolute limit, the visit ends saying so", async () => {
    const s = server(1800, 300);
    s.request();
    await vi.advanceTimersByTimeAsync(301_000);
    expect(s.timedOut).toHaveBeenCalledWith({ idleSeconds: 1800, absolute: true });
  });

  it("a short timeout (a kiosk) warns for half of it", async () => {
    const s = server(40);
    s.request();
    await vi.advanceTimersByTimeAsync(19_000);
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("20 seconds");
  });

  it("near the absolute limit the warning cannot extend, and says so", async () => {
    const s = server(1800, 300);
    s.request();
    await vi.advanceTimersByTimeAsync(180_000);
    expect(dialog()?.textContent).toContain("You have been logged in for the longest time allowed. Log in again to carry on.");
    expect(Array.from(document.querySelectorAll("dialog button")).map((b) => b.textContent.trim())).toEqual(["Log out"]);
    vi.useRealTimers(); // axe-core waits on real timers; the warning's fake ones stay still
    expect(await axeViolations()).toEqual([]);
  });

  it("signing out anywhere in the app stops the warning", async () => {
    const s = server(1800);
    s.request();
    s.timeout.update(null);
    await vi.advanceTimersByTimeAsync(31 * 60_000);
    expect(dialog()).toBeNull();
    expect(s.getSession).not.toHaveBeenCalled();
  });
});

describe("the API reports the session's timing", () => {
  const answer = (body: unknown, headers: Record<string, string> = {}, status = 200) =>
    vi.fn(() => Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } })));

  it.each([
    ["both headers", { "Session-Idle-Ends-In": "1800", "Session-Ends-In": "42000" }, { idleEndsIn: 1800, endsIn: 42000 }],
    ["one header missing", { "Session-Idle-Ends-In": "1800" }, undefined],
    ["a value that is not whole seconds", { "Session-Idle-Ends-In": "-5", "Session-Ends-In": "42000" }, undefined],
  ])("from an answer with %s", async (_name, headers, want) => {
    const seen: (SessionTiming | null)[] = [];
    await createApi(answer({ passkeys: [] }, headers), (t) => seen.push(t)).listPasskeys();
    expect(seen).toEqual(want ? [want] : []);
  });

  it("as signed out after logging out, or when the server says not signed in", async () => {
    const seen: (SessionTiming | null)[] = [];
    await createApi(answer({ signedIn: false }), (t) => seen.push(t)).logout();
    await createApi(answer({ signedIn: false }), (t) => seen.push(t)).getSession();
    await createApi(
      answer({ error: { code: "not_signed_in", message: "Log in to continue." } }, {}, 401),
      (t) => seen.push(t),
    )
      .listPasskeys()
      .catch(() => undefined);
    expect(seen).toEqual([null, null, null]);
  });
});

describe("durations", () => {
  it.each([
    [0, "0 seconds"],
    [1, "1 second"],
    [45, "45 seconds"],
    [60, "1 minute"],
    [61, "1 minute 1 second"],
    [1800, "30 minutes"],
  ])("%i seconds read as %s", (seconds, want) => {
    expect(duration(seconds)).toBe(want);
  });
});
