// Logins refused for a reason the person can act on: a flagged passkey, and a lockout.

import { afterEach, describe, expect, it, vi } from "vitest";
import type { Ceremonies } from "../../ceremony/ceremony";
import { boot, fakeApi, fill, settle, submit, text } from "../../testing/harness";
import { ApiError } from "../../api/request";

const FLAGGED = new ApiError(
  401,
  "passkey_flagged",
  "We have stopped this passkey working because it may have been copied. Log in another way, for example with your password, then remove this passkey and set up a new one.",
);
const LOCKED = new ApiError(429, "too_many_attempts", "You have tried too many times. For your security, wait 12 minutes, then try again.");

const device: Ceremonies = {
  client: "browser",
  unavailable: () => null,
  create: () => Promise.reject(new Error("not used")),
  get: () => Promise.resolve({ id: "cred", type: "public-key" }),
};

describe("login refusals", () => {
  it("a flagged passkey: says so, and to use the password or another passkey, then remove it", async () => {
    const api = fakeApi({
      beginPasskeyLogin: () => Promise.resolve({ ceremony: "c1", publicKey: { challenge: "AA" } }),
      finishPasskeyLogin: () => Promise.reject(FLAGGED),
    });
    const { main } = await boot("/login", api, device);
    fill("email", "pat@example.com");
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(document.title).toBe("Error: Log in – NHS login passkeys");
    expect(text(summary)).toContain("it may have been copied");
    expect(text(summary)).toContain("Log in with your password or a different passkey instead.");
    expect(text(summary)).toContain("remove this passkey and set up a new one");
    expect(summary?.querySelector('a[href="/login/password"]')).not.toBeNull();
  });

  it("a lockout on the passkey login: says how long to wait, and does not offer the password (it is locked too)", async () => {
    const api = fakeApi({ beginPasskeyLogin: () => Promise.reject(LOCKED) });
    const { main } = await boot("/login", api, device);
    fill("email", "pat@example.com");
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain("wait 12 minutes, then try again");
    expect(text(summary)).toContain("you cannot log in with a passkey or your password");
    expect(text(summary)).toContain("check your recent activity and change your password");
    expect(summary?.querySelector('a[href="/login/password"]')).toBeNull();
  });

  it("a lockout on the password login: says how long to wait and what to do if it was not you", async () => {
    const api = fakeApi({ loginWithPassword: () => Promise.reject(LOCKED) });
    const { main } = await boot("/login/password", api, device);
    fill("email", "pat@example.com");
    fill("password", "the right password");
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary)).toContain("You have tried too many times. For your security, wait 12 minutes, then try again.");
    expect(text(summary)).toContain("If you did not try to log in, someone else may have");
  });

  it("other refusals keep their message and the password link, with no lockout advice", async () => {
    const refused = new ApiError(401, "passkey_not_accepted", "We could not check your passkey. Try again, or log in another way.");
    const api = fakeApi({
      beginPasskeyLogin: () => Promise.resolve({ ceremony: "c1", publicKey: { challenge: "AA" } }),
      finishPasskeyLogin: () => Promise.reject(refused),
    });
    const { main } = await boot("/login", api, device);
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain(refused.message);
    expect(text(summary)).not.toContain("someone else may have");
    expect(summary?.querySelector('a[href="/login/password"]')).not.toBeNull();
  });

  describe("a paused way in, with the time the server gave", () => {
    // The person's own clock reads 3:30pm; the pause ends at 3:45pm their time (the server
    // sends it in UTC).
    const now = new Date(2026, 2, 2, 15, 30);
    const until = new Date(2026, 2, 2, 15, 45).toISOString();
    const serverSaid =
      "Logging in with a password is paused for 15 minutes (until 3:45pm) because the wrong password was entered too many times.";
    afterEach(() => {
      vi.useRealTimers();
    });

    it("a paused password login says which way in is paused, until when in the person's time, and that the passkey still works", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(now);
      const paused = new ApiError(429, "too_many_attempts", serverSaid, {}, { way: "password", until });
      const { main } = await boot("/login/password", fakeApi({ loginWithPassword: () => Promise.reject(paused) }), device);
      fill("email", "pat@example.com");
      fill("password", "the right password");
      submit();
      await settle();
      const summary = main.querySelector(".nhsuk-error-summary");
      expect(document.activeElement).toBe(summary);
      expect(text(summary?.querySelector("li"))).toBe(
        "Logging in with your password is paused until 3:45pm, because the wrong password was entered too many times.",
      );
      expect(text(summary)).toContain("You can still log in with your passkey, if you have set one up.");
      expect(text(summary)).toContain("try your password again after 3:45pm");
      expect(text(summary?.querySelector('a[href="/login"]'))).toBe("Log in with a passkey");
    });

    it("without the time, says the server's message, which says how long", async () => {
      const paused = new ApiError(429, "too_many_attempts", serverSaid, {}, { way: "password", until: null });
      const { main } = await boot("/login/password", fakeApi({ loginWithPassword: () => Promise.reject(paused) }), device);
      fill("email", "pat@example.com");
      fill("password", "the right password");
      submit();
      await settle();
      const summary = main.querySelector(".nhsuk-error-summary");
      expect(text(summary?.querySelector("li"))).toBe(serverSaid);
      expect(text(summary)).toContain("You can still log in with your passkey");
    });

    it("a paused passkey login on this device says so, until when, and offers the password", async () => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(now);
      const paused = new ApiError(429, "too_many_attempts", "Logging in with a passkey on this device is paused.", {}, { way: "passkey", until });
      const { main } = await boot("/login", fakeApi({ beginPasskeyLogin: () => Promise.reject(paused) }), device);
      submit();
      await settle();
      const summary = main.querySelector(".nhsuk-error-summary");
      expect(text(summary?.querySelector("li"))).toBe(
        "Logging in with a passkey on this device is paused until 3:45pm, because too many passkey attempts did not work.",
      );
      expect(text(summary)).toContain("You can log in with your password instead.");
      expect(summary?.querySelector('a[href="/login/password"]')).not.toBeNull();
    });
  });
});
