import { afterEach, describe, expect, it, vi } from "vitest";
import { endedAddress, KIOSK_EXIT_PATH, KIOSK_POLL_MS, KioskWatch, leaveTo, offerKioskExit, takeVisitEnd } from "./kiosk";
import { createKioskApi, type KioskApi } from "../api/kiosk";
import { mountShell } from "./layout";
import { ApiError } from "../api/request";

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("ending a visit in kiosk mode", () => {
  it("loads the start page again, replacing the history entry, with how the visit ended in the address", () => {
    const replace = vi.fn();
    leaveTo({ kind: "logged-out" }, { replace });
    leaveTo({ kind: "timed-out", idleSeconds: 300, absolute: false }, { replace });
    leaveTo({ kind: "timed-out", idleSeconds: 300, absolute: true }, { replace });
    leaveTo({ kind: "key-removed" }, { replace });
    expect(replace.mock.calls).toEqual([
      ["/?ended=logged-out"],
      ["/?ended=timed-out&idle=300"],
      ["/?ended=timed-out&limit=absolute"],
      ["/?ended=key-removed"],
    ]);
    expect(endedAddress({ kind: "timed-out", idleSeconds: 19.6, absolute: false })).toBe("/?ended=timed-out&idle=20");
  });

  it("reads how the visit ended once, and puts the address back to / at once", () => {
    window.history.replaceState(null, "", "/?ended=timed-out&idle=300");
    const length = window.history.length;
    expect(takeVisitEnd()).toEqual({ kind: "timed-out", idleSeconds: 300, absolute: false });
    expect(window.location.pathname + window.location.search).toBe("/");
    expect(window.history.length).toBe(length);
    expect(takeVisitEnd()).toBeNull();

    window.history.replaceState(null, "", "/?ended=timed-out&limit=absolute");
    expect(takeVisitEnd()).toEqual({ kind: "timed-out", idleSeconds: 0, absolute: true });
    window.history.replaceState(null, "", "/?ended=key-removed");
    expect(takeVisitEnd()).toEqual({ kind: "key-removed" });
    window.history.replaceState(null, "", "/?ended=logged-out");
    expect(takeVisitEnd()).toEqual({ kind: "logged-out" });
  });

  it("ignores what it does not know, but still cleans the address", () => {
    window.history.replaceState(null, "", "/?ended=<script>");
    expect(takeVisitEnd()).toBeNull();
    expect(window.location.search).toBe("");
    window.history.replaceState(null, "", "/?ended=timed-out&idle=soon");
    expect(takeVisitEnd()).toEqual({ kind: "timed-out", idleSeconds: 0, absolute: false });
  });
});

/** A wait the test releases one at a time, so each poll can be looked at. */
function steppedWait() {
  const waiting: { ms: number; go: () => void }[] = [];
  return {
    wait: (ms: number) => new Promise<void>((resolve) => waiting.push({ ms, go: resolve })),
    waiting,
    async next(): Promise<void> {
      const step = waiting.shift();
      if (!step) throw new Error("nothing is waiting");
      step.go();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    },
  };
}

describe("watching for a security key taken out (kiosk mode)", () => {
  it("asks every 2 seconds, one request at a time, and ends the visit when the shell says the key was removed", async () => {
    const answers: (Awaited<ReturnType<KioskApi["sessionEnded"]>> | Error)[] = [null, new Error("offline"), null, "key-removed"];
    const sessionEnded = vi.fn(() => {
      const answer = answers.shift();
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    });
    const keyRemoved = vi.fn();
    vi.spyOn(console, "error").mockImplementation(() => {});
    const clock = steppedWait();
    const watch = new KioskWatch({ api: { sessionEnded }, keyRemoved, wait: clock.wait });
    watch.start();
    watch.start(); // a second start does not poll twice
    expect(clock.waiting.map((w) => w.ms)).toEqual([KIOSK_POLL_MS]);
    expect(KIOSK_POLL_MS).toBe(2000);
    expect(sessionEnded).not.toHaveBeenCalled();

    await clock.next();
    await clock.next(); // no answer: it keeps asking
    await clock.next();
    expect(sessionEnded).toHaveBeenCalledTimes(3);
    expect(keyRemoved).not.toHaveBeenCalled();
    await clock.next();
    expect(keyRemoved).toHaveBeenCalledOnce();
    expect(watch.watching).toBe(false);
    expect(clock.waiting).toEqual([]);
  });

  it("stops for good when the app is not in kiosk mode (the endpoint answers 404)", async () => {
    const sessionEnded = vi.fn(() => Promise.resolve(undefined));
    const keyRemoved = vi.fn();
    const clock = steppedWait();
    const watch = new KioskWatch({ api: { sessionEnded }, keyRemoved, wait: clock.wait });
    watch.start();
    await clock.next();
    expect(sessionEnded).toHaveBeenCalledOnce();
    expect(watch.watching).toBe(false);
    expect(clock.waiting).toEqual([]);
    expect(keyRemoved).not.toHaveBeenCalled();
  });

  it("asks nothing more once stopped", async () => {
    const sessionEnded = vi.fn(() => Promise.resolve(null));
    const clock = steppedWait();
    const watch = new KioskWatch({ api: { sessionEnded }, keyRemoved: vi.fn(), wait: clock.wait });
    watch.start();
    watch.stop();
    await clock.next();
    expect(sessionEnded).not.toHaveBeenCalled();
  });
});

describe("the kiosk endpoints", () => {
  function answer(status: number, body: unknown): Promise<Response> {
    return Promise.resolve(new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } }));
  }

  it("reads whether the session was ended, and knows a 404 means not kiosk mode", async () => {
    const fetch = vi
      .fn()
      .mockReturnValueOnce(answer(200, { sessionEnded: null }))
      .mockReturnValueOnce(answer(200, { sessionEnded: "key-removed" }))
      .mockReturnValueOnce(answer(404, { error: { code: "not_found", message: "Not found" } }))
      .mockReturnValueOnce(answer(500, { error: { code: "internal_error", message: "Sorry" } }));
    const api = createKioskApi(fetch);
    expect(await api.sessionEnded()).toBeNull();
    expect(await api.sessionEnded()).toBe("key-removed");
    expect(await api.sessionEnded()).toBeUndefined();
    await expect(api.sessionEnded()).rejects.toBeInstanceOf(ApiError);
    expect(fetch).toHaveBeenCalledWith("/api/device/kiosk", expect.objectContaining({ method: "GET" }));
  });

  it("sends the administrator secret once, and passes on the server's refusal", async () => {
    const fetch = vi
      .fn()
      .mockReturnValueOnce(answer(200, { closing: true }))
      .mockReturnValueOnce(answer(403, { error: { code: "wrong_admin_secret", message: "The administrator secret is not correct" } }));
    const api = createKioskApi(fetch);
    await api.exit("s3cret");
    expect(fetch).toHaveBeenCalledWith("/api/device/kiosk/exit", expect.objectContaining({ method: "POST", body: '{"secret":"s3cret"}' }));
    await expect(api.exit("wrong")).rejects.toMatchObject({ status: 403, code: "wrong_admin_secret" });
  });
});

describe("the footer link for staff", () => {
  it("is added once, after the others", () => {
    document.body.innerHTML = '<div id="app"></div>';
    mountShell(document.getElementById("app") as HTMLElement);
    offerKioskExit(document);
    offerKioskExit(document);
    const links = [...document.querySelectorAll(".nhsuk-footer__list a")].map((a) => [a.textContent, a.getAttribute("href")]);
    expect(links).toEqual([
      ["Help", "/help"],
      ["Accessibility statement", "/accessibility"],
      ["Staff: close the app", KIOSK_EXIT_PATH],
    ]);
  });
});
