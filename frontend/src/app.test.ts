import { describe, expect, it, vi } from "vitest";
import { ceremoniesFor, createApp } from "./app";
import { browserCeremonies } from "./ceremony";
import { fakeApi } from "./testing/harness";

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
