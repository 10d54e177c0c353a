import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createApi, type Session, type SessionTiming } from "./api";
import { duration, SessionTimeout } from "./session-timeout";
import { axeViolations } from "./testing/axe";

const account = { email: "pat@example.com", createdAt: "2026-01-01T00:00:00Z", hasPassword: true };

// A server whose session ends `idle` seconds after the last request, as the backend's does.
function server(idle: number) {
  let signedIn = true;
  let lastUsed = Date.now();
  const live = () => signedIn && Date.now() - lastUsed < idle * 1000;
  const getSession = vi.fn(async (): Promise<Session> => {
    if (!live()) {
      signedIn = false;
      return { signedIn: false };
    }
    lastUsed = Date.now();
    timeout.update({ idleEndsIn: idle, endsIn: 43200 });
    return { signedIn: true, account };
  });
  const logout = vi.fn(async () => {
    signedIn = false;
    timeout.update(null);
  });
  const loggedOut = vi.fn();
  const timedOut = vi.fn();
  const timeout = new SessionTimeout({ api: { getSession, logout }, loggedOut, timedOut });
  return {
    timeout,
    getSession,
    logout,
    loggedOut,
    timedOut,
    /** Another window used the session. */
    useElsewhere: () => {
      lastUsed = Date.now();
    },
    /** A request from this page, as api.ts reports it. */
    request: () => {
      lastUsed = Date.now();
      timeout.update({ idleEndsIn: idle, endsIn: 43200 });
    },
  };
}

const dialog = () => document.querySelector("dialog.app-timeout-dialog");
const buttonNamed = (name: string) =>
  Array.from(document.querySelectorAll("dialog button")).find((b) => b.textContent?.trim() === name) as HTMLButtonElement;

describe("the warning before an idle session ends", () => {
  beforeEach(() => {
    vi.useFakeTimers();
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
    expect(dialog()?.textContent).toContain("For your security, we will log you out in 2 minutes.");
    expect(dialog()?.querySelector("[aria-live=polite]")?.textContent).toBe(
      "For your security, we will log you out in 2 minutes.",
    );
    vi.useRealTimers(); // axe-core waits on real timers; the warning's fake ones stay still
    expect(await axeViolations()).toEqual([]);
  });

  it("counts down every second but tells screen readers only at each minute and at 20 seconds", async () => {
    const s = server(1800);
    s.request();
    await vi.advanceTimersByTimeAsync(28 * 60_000);
    const live = () => dialog()?.querySelector("[aria-live=polite]")?.textContent;
    await vi.advanceTimersByTimeAsync(5000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("1 minute 55 seconds");
    expect(live()).toBe("For your security, we will log you out in 2 minutes.");
    await vi.advanceTimersByTimeAsync(55_000);
    expect(live()).toBe("For your security, we will log you out in 1 minute.");
    await vi.advanceTimersByTimeAsync(41_000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("19 seconds");
    expect(live()).toBe("For your security, we will log you out in 20 seconds.");
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
    expect(s.getSession).toHaveBeenCalledTimes(1);
    expect(s.timedOut).toHaveBeenCalledWith(1800);
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

  it("a short timeout (a kiosk) warns for half of it", async () => {
    const s = server(40);
    s.request();
    await vi.advanceTimersByTimeAsync(19_000);
    expect(dialog()).toBeNull();
    await vi.advanceTimersByTimeAsync(1000);
    expect(dialog()?.querySelector("[data-countdown]")?.textContent).toBe("20 seconds");
  });

  it("near the absolute limit the warning cannot extend, and says so", async () => {
    const s = server(1800);
    s.timeout.update({ idleEndsIn: 1800, endsIn: 300 });
    await vi.advanceTimersByTimeAsync(180_000);
    expect(dialog()?.textContent).toContain("You have been logged in for the longest time allowed. Log in again to carry on.");
    expect(Array.from(document.querySelectorAll("dialog button")).map((b) => b.textContent?.trim())).toEqual(["Log out"]);
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
    vi.fn(async () => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } }));

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
