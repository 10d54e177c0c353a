import { describe, expect, it, vi } from "vitest";
import { createKeysApi } from "./keys";
import { ApiError } from "./request";

function recorder(answer: (path: string, init: RequestInit) => Response) {
  const calls: { path: string; method: string; body: unknown }[] = [];
  const fetch = vi.fn((path: string, init: RequestInit) => {
    calls.push({ path, method: init.method ?? "GET", body: init.body ? JSON.parse(init.body as string) as unknown : undefined });
    return Promise.resolve(answer(path, init));
  });
  return { calls, api: createKeysApi(fetch) };
}

describe("the security key endpoints", () => {
  it("sends each operation to its endpoint, the key id encoded and the PIN in the body", async () => {
    const { calls, api } = recorder((path) =>
      new Response(
        JSON.stringify(
          path.endsWith("/keys")
            ? { keys: null }
            : { key: {}, job: {}, fingerprints: null, passkeys: [], used: 0, remaining: 25, ticket: "t" },
        ),
      ),
    );
    expect(await api.listKeys()).toEqual({ keys: [], adminRequired: false });
    await api.getKey("usb:3f9a");
    await api.listPasskeys("usb:3f9a", "482913");
    await api.deletePasskey("virtual", "Y3JlZA", "482913");
    await api.savePin("virtual", "13579");
    await api.savePin("virtual", "24680", "13579");
    expect(await api.listFingerprints("virtual", "1111")).toEqual([]);
    await api.addFingerprint("virtual", "1111");
    await api.renameFingerprint("virtual", "ZnA", "Right thumb", "1111");
    await api.deleteFingerprint("virtual", "ZnA", "1111");
    await api.replug("virtual");
    await api.checkReset("virtual");
    await api.checkReset("virtual", "1111");
    await api.reset("virtual", "t");
    await api.getJob("j1");
    await api.cancelJob("j1");
    expect(calls.map((c) => `${c.method} ${c.path} ${c.body === undefined ? "" : JSON.stringify(c.body)}`)).toEqual([
      "GET /api/device/keys ",
      "GET /api/device/keys/usb%3A3f9a ",
      'POST /api/device/keys/usb%3A3f9a/passkeys/list {"pin":"482913"}',
      'DELETE /api/device/keys/virtual/passkeys/Y3JlZA {"pin":"482913"}',
      'POST /api/device/keys/virtual/pin {"newPin":"13579"}',
      'POST /api/device/keys/virtual/pin {"pin":"13579","newPin":"24680"}',
      'POST /api/device/keys/virtual/fingerprints/list {"pin":"1111"}',
      'POST /api/device/keys/virtual/fingerprints {"pin":"1111"}',
      'PATCH /api/device/keys/virtual/fingerprints/ZnA {"pin":"1111","name":"Right thumb"}',
      'DELETE /api/device/keys/virtual/fingerprints/ZnA {"pin":"1111"}',
      "POST /api/device/keys/virtual/replug {}",
      "POST /api/device/keys/virtual/reset/check {}",
      'POST /api/device/keys/virtual/reset/check {"pin":"1111"}',
      'POST /api/device/keys/virtual/reset {"ticket":"t"}',
      "GET /api/device/key-jobs/j1 ",
      "POST /api/device/key-jobs/j1/cancel {}",
    ]);
  });

  it("turns an error answer into an ApiError with its code and message", async () => {
    const { api } = recorder(
      () => new Response(JSON.stringify({ error: { code: "pin_invalid", message: "The PIN is not correct. You have 7 tries left." } }), { status: 403 }),
    );
    const error = await api.listPasskeys("virtual", "0000").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 403, code: "pin_invalid", message: "The PIN is not correct. You have 7 tries left." });
  });
});
