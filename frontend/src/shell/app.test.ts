import { describe, expect, it, vi } from "vitest";
import { afterLogout, createApp, hasDeviceEndpoints, isKiosk, sessionEnds } from "./app";
import { ceremoniesFor } from "../ceremony/choose";
import { browserCeremonies } from "../ceremony/ceremony";
import { fakeApi } from "../testing/harness";

describe("choosing the ceremonies", () => {
  it("uses the desktop app's device endpoints when GET /api/config says device, the browser's otherwise", () => {
    const api = fakeApi();
    const browser = browserCeremonies({});
    const device = ceremoniesFor({ ceremonies: "device", rpId: "localhost" }, api, () => browser);
    expect(device.client).toBe("device");
    expect(device.unavailable("create")).toBeNull();
    expect(device.unavailable("get")).toBeNull();
    expect(ceremoniesFor({ ceremonies: "browser", rpId: "localhost" }, api, () => browser)).toBe(browser);
  });

  it("says the desktop app is on Windows when GET /api/config says system: windows", () => {
    const api = fakeApi();
    const browser = () => browserCeremonies({});
    expect(ceremoniesFor({ ceremonies: "device", rpId: "localhost", system: "windows" }, api, browser).client).toBe("windows");
    expect(ceremoniesFor({ ceremonies: "device", rpId: "localhost", system: "linux" }, api, browser).client).toBe("device");
    // serve mode never says, and the browser's dialogs are the browser's wherever the server runs.
    expect(ceremoniesFor({ ceremonies: "browser", rpId: "localhost", system: "windows" }, api, browser).client).toBe("browser");
  });

  it("asks for the config once it has an answer, and again after a failure", async () => {
    const getConfig = vi
      .fn()
      .mockRejectedValueOnce(new Error("offline"))
      .mockResolvedValue({ ceremonies: "device", rpId: "localhost" });
    const app = createApp(fakeApi({ getConfig }));
    await expect(app.ceremonies()).rejects.toThrow("offline");
    expect((await app.ceremonies()).client).toBe("device");
    await app.ceremonies();
    expect(getConfig).toHaveBeenCalledTimes(2);
  });
});

describe("the desktop app's device endpoints", () => {
  it("are asked only when GET /api/config says device: never in serve, nor without an answer", async () => {
    const config = (ceremonies: "browser" | "device") => createApp(fakeApi({ getConfig: () => Promise.resolve({ ceremonies, rpId: "localhost" }) }));
    expect(await hasDeviceEndpoints(config("device"))).toBe(true);
    expect(await hasDeviceEndpoints(config("browser"))).toBe(false);
    expect(await hasDeviceEndpoints(createApp(fakeApi({ getConfig: () => Promise.reject(new Error("offline")) })))).toBe(false);
  });
});

describe("kiosk mode", () => {
  it("is on only when GET /api/config says kiosk: true (absent, false or no answer: off)", async () => {
    const config = (kiosk?: boolean) => createApp(fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk }) }));
    expect(await isKiosk(config(true))).toBe(true);
    expect(await isKiosk(config(false))).toBe(false);
    expect(await isKiosk(config(undefined))).toBe(false);
    expect(await isKiosk(createApp(fakeApi({ getConfig: () => Promise.reject(new Error("offline")) })))).toBe(false);
  });

  it("asks the desktop app's ceremonies for portable authenticators only in kiosk mode", () => {
    const device = vi.fn(() => browserCeremonies({}));
    ceremoniesFor({ ceremonies: "device", rpId: "localhost", kiosk: true }, fakeApi(), () => browserCeremonies({}), device);
    ceremoniesFor({ ceremonies: "device", rpId: "localhost" }, fakeApi(), () => browserCeremonies({}), device);
    expect(device.mock.calls.map((call) => (call as unknown[])[1])).toEqual([
      { kiosk: true, windows: false },
      { kiosk: false, windows: false },
    ]);
  });

  function appWith(kiosk: boolean) {
    const leave = vi.fn();
    const app = createApp(fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk }) }), undefined, { leave });
    app.journey.email = "pat@example.com";
    app.journey.passkey = "p1";
    app.journey.passkeyFrom = "/account/security";
    app.journey.removalProof = "a proof for removals";
    app.journey.loggedInWith = "password";
    return { app, leave };
  }
  const ctx = { path: "/account/security", params: {}, isCurrent: () => true, show: () => null, navigate: vi.fn(() => Promise.resolve()) };

  it("after logging out, loads the start page again in kiosk mode, and goes to it with a notice elsewhere", async () => {
    const kiosk = appWith(true);
    ctx.navigate.mockClear();
    await afterLogout(kiosk.app, ctx);
    expect(kiosk.leave).toHaveBeenCalledWith({ kind: "logged-out" });
    expect(ctx.navigate).not.toHaveBeenCalled();
    expect(kiosk.app.journey).toEqual({ email: "", passkey: null, passkeyFrom: null, removalProof: null, loggedInWith: null, notice: null });

    const usual = appWith(false);
    await afterLogout(usual.app, ctx);
    expect(usual.leave).not.toHaveBeenCalled();
    expect(ctx.navigate).toHaveBeenCalledWith("/");
    expect(usual.app.journey).toEqual({ email: "", passkey: null, passkeyFrom: null, removalProof: null, loggedInWith: null, notice: { kind: "logged-out" } });
  });

  it("after logging out to go somewhere else, goes there without the start page's notice", async () => {
    const usual = appWith(false);
    ctx.navigate.mockClear();
    await afterLogout(usual.app, ctx, "/create-account");
    expect(ctx.navigate).toHaveBeenCalledWith("/create-account");
    expect(usual.app.journey).toEqual({ email: "", passkey: null, passkeyFrom: null, removalProof: null, loggedInWith: null, notice: null });
  });

  it("when the idle timeout ends the session, loads the start page again in kiosk mode, saying why", async () => {
    const kiosk = appWith(true);
    const navigate = vi.fn(() => Promise.resolve());
    await sessionEnds(kiosk.app, navigate, true).timedOut({ idleSeconds: 300, absolute: false });
    await sessionEnds(kiosk.app, navigate, true).timedOut({ idleSeconds: 300, absolute: true });
    await sessionEnds(kiosk.app, navigate, true).loggedOut();
    expect(kiosk.leave.mock.calls).toEqual([
      [{ kind: "timed-out", idleSeconds: 300, absolute: false }],
      [{ kind: "timed-out", idleSeconds: 300, absolute: true }],
      [{ kind: "logged-out" }],
    ]);
    expect(navigate).not.toHaveBeenCalled();
    expect(kiosk.app.journey.email).toBe("");

    const usual = appWith(false);
    await sessionEnds(usual.app, navigate, false).timedOut({ idleSeconds: 1800, absolute: true });
    expect(navigate).toHaveBeenCalledWith("/logged-out", { replace: true });
    expect(usual.app.journey.notice).toEqual({ kind: "timed-out", idleSeconds: 1800, absolute: true });
    expect(usual.leave).not.toHaveBeenCalled();
  });
});
