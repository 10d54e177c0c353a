import { describe, expect, it, vi } from "vitest";
import { createApi } from "./service";
import { ApiError, CONNECTION_PROBLEM, errorFromResponse, SERVICE_PROBLEM } from "./request";

function answering(status: number, body: unknown, contentType = "application/json") {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return vi.fn((_input: string, _init: RequestInit) =>
    Promise.resolve(new Response(status === 204 ? null : text, { status, headers: { "Content-Type": contentType } })),
  );
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("requests", () => {
  it.each([
    ["createAccount", "/api/accounts", { email: "a@example.com", password: "long enough" }],
    ["loginWithPassword", "/api/login/password", { email: "a@example.com", password: "long enough" }],
  ] as const)("%s posts the email and password as JSON to %s", async (method, path, body) => {
    const fetch = answering(200, { account: { email: body.email, createdAt: "2025-03-03T10:00:00Z", hasPassword: true } });
    const account = await createApi(fetch)[method](body.email, body.password);
    expect(account.email).toBe(body.email);
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe(path);
    expect(init?.method).toBe("POST");
    expect(init?.credentials).toBe("same-origin");
    expect(new Headers(init?.headers).get("Content-Type")).toBe("application/json");
    expect(JSON.parse(init?.body as string) as unknown).toEqual(body);
  });

  it("sends exactly the bodies docs/api.md names for the passkey ceremonies", async () => {
    const fetch = answering(200, { ceremony: "c1", publicKey: { challenge: "AA" }, account: {}, passkey: { name: "Passkey" } });
    const api = createApi(fetch);
    await api.beginPasskeyLogin("a@example.com");
    await api.finishPasskeyLogin("c1", { id: "cred" });
    await api.beginPasskeyRegistration();
    await api.finishPasskeyRegistration("c2", { id: "cred2" });
    await api.logout();
    const sent = fetch.mock.calls.map(([url, init]) => [url, JSON.parse(init.body as string) as unknown]);
    expect(sent).toEqual([
      ["/api/login/passkey/begin", { email: "a@example.com" }],
      ["/api/login/passkey/finish", { ceremony: "c1", credential: { id: "cred" } }],
      ["/api/passkeys/register/begin", {}],
      ["/api/passkeys/register/finish", { ceremony: "c2", credential: { id: "cred2" } }],
      ["/api/logout", {}],
    ]);
  });

  it("reads with GET, no body, and the session cookie", async () => {
    const fetch = answering(200, { signedIn: false });
    expect(await createApi(fetch).getSession()).toEqual({ signedIn: false });
    const [url, init] = fetch.mock.calls[0] ?? [];
    expect(url).toBe("/api/session");
    expect(init?.method).toBe("GET");
    expect(init?.body).toBeUndefined();
    expect(init?.credentials).toBe("same-origin");
  });

  it("speaks to the desktop app's device endpoints exactly as docs/api.md names them", async () => {
    const ceremony = { id: "d/1", kind: "create", state: "touch" };
    const fetch = vi.fn((_input: string, _init: RequestInit) =>
      Promise.resolve(new Response(JSON.stringify({ ceremony, authenticators: [] }), { status: 202 })),
    );
    const api = createApi(fetch);
    const publicKey = { challenge: "AA", rpId: "localhost" };
    expect(await api.startDeviceCeremony("get", "virtual", publicKey)).toEqual(ceremony);
    await api.startDeviceCeremony("get", "virtual", publicKey, "pat@example.com");
    expect(await api.getDeviceCeremony("d/1")).toEqual(ceremony);
    await api.sendDevicePin("d/1", "1234");
    await api.cancelDeviceCeremony("d/1");
    expect(await api.listAuthenticators()).toEqual([]);
    const sent = fetch.mock.calls.map(([url, init]) => [init.method, url, init.body === undefined ? undefined : JSON.parse(init.body as string) as unknown]);
    expect(sent).toEqual([
      ["POST", "/api/device/ceremonies", { kind: "get", authenticator: "virtual", publicKey }],
      ["POST", "/api/device/ceremonies", { kind: "get", authenticator: "virtual", publicKey, account: "pat@example.com" }],
      ["GET", "/api/device/ceremonies/d%2F1", undefined],
      ["POST", "/api/device/ceremonies/d%2F1/pin", { pin: "1234" }],
      ["POST", "/api/device/ceremonies/d%2F1/cancel", {}],
      ["GET", "/api/device/authenticators", undefined],
    ]);
  });

  it("treats a null authenticator list (a Go nil slice) as no keys plugged in", async () => {
    expect(await createApi(answering(200, { authenticators: null })).listAuthenticators()).toEqual([]);
  });

  it("treats a null passkey list (a Go nil slice) as no passkeys", async () => {
    expect(await createApi(answering(200, { passkeys: null })).listPasskeys()).toEqual([]);
  });
});

describe("errors", () => {
  it("carry the server's status, code, message and field messages", async () => {
    const fetch = answering(422, {
      error: { code: "invalid_input", message: "Check your details", fields: { email: "Enter an email address" } },
    });
    const error = await failure(createApi(fetch).createAccount("", "x"));
    expect(error).toMatchObject({ status: 422, code: "invalid_input", message: "Check your details" });
    expect(error.fields).toEqual({ email: "Enter an email address" });
  });

  it("keep the stable code for errors without fields", async () => {
    const fetch = answering(401, { error: { code: "login_failed", message: "Your email address or password is incorrect" } });
    const error = await failure(createApi(fetch).loginWithPassword("a@example.com", "wrong"));
    expect(error).toMatchObject({ status: 401, code: "login_failed", message: "Your email address or password is incorrect" });
    expect(error.fields).toEqual({});
  });

  it("turn an answer that is not our JSON (a proxy's HTML page) into the service problem message", async () => {
    const error = await failure(createApi(answering(502, "<html>Bad gateway</html>", "text/html")).getSession());
    expect(error).toMatchObject({ status: 502, code: "unexpected_response", message: SERVICE_PROBLEM });
  });

  it("turn a success without JSON into the service problem message", async () => {
    const error = await failure(createApi(answering(200, "")).getSession());
    expect(error.code).toBe("unexpected_response");
  });

  it("turn no answer at all into the connection message", async () => {
    const fetch = vi.fn(() => Promise.reject(new TypeError("Failed to fetch")));
    const error = await failure(createApi(fetch).getSession());
    expect(error).toMatchObject({ status: 0, code: "network_error", message: CONNECTION_PROBLEM });
  });

  it("reads which way in is paused and until when from a 429", () => {
    const error = errorFromResponse(429, {
      error: { code: "too_many_attempts", message: "Paused.", paused: "password", pausedUntil: "2026-03-02T15:45:00Z" },
    });
    expect(error.pause).toEqual({ way: "password", until: "2026-03-02T15:45:00Z" });
    expect(errorFromResponse(429, { error: { code: "too_many_attempts", message: "Paused.", paused: "passkey" } }).pause).toEqual({
      way: "passkey",
      until: null,
    });
    expect(errorFromResponse(429, { error: { code: "too_many_attempts", message: "Wait.", paused: "something else" } }).pause).toBeNull();
    expect(errorFromResponse(429, { error: { code: "too_many_attempts", message: "Wait." } }).pause).toBeNull();
  });

  it("ignore field messages that are not text", () => {
    const error = errorFromResponse(422, { error: { code: "invalid_input", message: "", fields: { email: 3, password: "Enter a password" } } });
    expect(error.fields).toEqual({ password: "Enter a password" });
    expect(error.message).toBe(SERVICE_PROBLEM);
  });
});

describe("account changes", () => {
  it("send exactly the methods, paths and bodies docs/api.md names, with the proof only when there is one", async () => {
    const fetch = vi.fn((_input: string, _init: RequestInit) =>
      Promise.resolve(
        new Response(
          JSON.stringify({
            passkey: { id: "p/1", name: "Work laptop" },
            passkeys: null,
            account: { email: "a@example.com" },
            signedOut: 2,
            events: null,
            ceremony: "c1",
            publicKey: { challenge: "AA" },
            proof: "proof-1",
          }),
          { status: 200 },
        ),
      ),
    );
    const api = createApi(fetch);
    expect((await api.renamePasskey("p/1", "Work laptop")).name).toBe("Work laptop");
    await api.renamePasskey("p/1", "Work laptop", "proof-1");
    expect(await api.removePasskey("p/1")).toEqual([]);
    await api.removePasskey("p/1", "proof-1");
    await api.changePassword("a new password");
    await api.changePassword("a new password", "proof-1");
    await api.beginPasskeyRegistration("proof-1");
    expect(await api.logoutOtherSessions()).toBe(2);
    expect(await api.listActivity()).toEqual([]);
    expect((await api.beginPasskeyReauth("remove-passkey")).ceremony).toBe("c1");
    expect(await api.finishPasskeyReauth("c1", { id: "cred" })).toBe("proof-1");
    expect(await api.reauthWithPassword("change-password", "the password")).toBe("proof-1");
    const sent = fetch.mock.calls.map(([url, init]) => [init.method, url, init.body === undefined ? undefined : JSON.parse(init.body as string) as unknown]);
    expect(sent).toEqual([
      ["PATCH", "/api/passkeys/p%2F1", { name: "Work laptop" }],
      ["PATCH", "/api/passkeys/p%2F1", { name: "Work laptop", proof: "proof-1" }],
      ["DELETE", "/api/passkeys/p%2F1", {}],
      ["DELETE", "/api/passkeys/p%2F1", { proof: "proof-1" }],
      ["POST", "/api/account/password", { newPassword: "a new password" }],
      ["POST", "/api/account/password", { newPassword: "a new password", proof: "proof-1" }],
      ["POST", "/api/passkeys/register/begin", { proof: "proof-1" }],
      ["POST", "/api/sessions/others/logout", {}],
      ["GET", "/api/activity", undefined],
      ["POST", "/api/reauth/passkey/begin", { action: "remove-passkey" }],
      ["POST", "/api/reauth/passkey/finish", { ceremony: "c1", credential: { id: "cred" } }],
      ["POST", "/api/reauth/password", { action: "change-password", password: "the password" }],
    ]);
  });

  it("turn a re-authentication answered without a proof into the service problem message", async () => {
    const error = await failure(createApi(answering(200, { proof: "" })).reauthWithPassword("change-password", "pw"));
    expect(error).toMatchObject({ code: "unexpected_response", message: SERVICE_PROBLEM });
  });

  it("keep the codes of refused changes: reauth_required, last_way_to_log_in, too_many_attempts", async () => {
    const required = await failure(
      createApi(answering(403, { error: { code: "reauth_required", message: "For your security, confirm it's you before you make this change." } })).removePasskey("p1"),
    );
    expect(required).toMatchObject({ status: 403, code: "reauth_required" });
    const lastWay = await failure(createApi(answering(409, { error: { code: "last_way_to_log_in", message: "No." } })).removePasskey("p1"));
    expect(lastWay).toMatchObject({ status: 409, code: "last_way_to_log_in" });
    const locked = await failure(
      createApi(answering(429, { error: { code: "too_many_attempts", message: "Wait 15 minutes." } })).reauthWithPassword("change-password", "pw"),
    );
    expect(locked).toMatchObject({ status: 429, code: "too_many_attempts", message: "Wait 15 minutes." });
  });
});

describe("finishing a ceremony", () => {
  const account = { email: "pat@example.com", createdAt: "2026-03-02T09:00:00Z", hasPassword: true, hasPasskey: true };
  const passkey = (name: string, createdAt: string) => ({
    id: name, name, createdAt, lastUsedAt: null, backupEligible: false, backedUp: false, transports: [], aaguid: "",
  });

  /** A server that answers each path in turn from its list, and holds finishes until released. */
  function server(answers: Record<string, { status: number; body: unknown }[]>) {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const fetch = vi.fn(async (input: string, _init: RequestInit) => {
      if (input.endsWith("/finish")) await held;
      const next = answers[input]?.shift();
      if (!next) throw new Error(`unexpected ${input}`);
      return new Response(JSON.stringify(next.body), { status: next.status });
    });
    return { fetch, release };
  }

  it.each([
    ["finishPasskeyLogin", "/api/login/passkey/finish", { account }],
    ["finishPasskeyRegistration", "/api/passkeys/register/finish", { passkey: passkey("YubiKey 5", "2026-03-02T09:00:00Z") }],
    ["finishPasskeyReauth", "/api/reauth/passkey/finish", { proof: "proof-1" }],
  ] as const)("%s sends one finish however often it is asked: a double click gets the first answer", async (method, path, body) => {
    const { fetch, release } = server({ [path]: [{ status: 200, body }] });
    const api = createApi(fetch);
    const first = api[method]("c1", { id: "cred" });
    const second = api[method]("c1", { id: "cred" }); // clicked again while the first is on its way
    release();
    const answers = await Promise.all([first, second]);
    const third = await api[method]("c1", { id: "cred" }); // and once more after it came back
    expect(fetch).toHaveBeenCalledTimes(1);
    expect(fetch.mock.calls[0]?.[0]).toBe(path);
    expect(answers[1]).toEqual(answers[0]);
    expect(third).toEqual(answers[0]);
  });

  it("sends the finish of another ceremony, and a refused finish is not sent again", async () => {
    const refused = { error: { code: "passkey_not_accepted", message: "We could not check your passkey. Try again." } };
    const { fetch, release } = server({
      "/api/login/passkey/finish": [
        { status: 401, body: refused },
        { status: 200, body: { account } },
      ],
    });
    release();
    const api = createApi(fetch);
    expect(await failure(api.finishPasskeyLogin("c1", { id: "cred" }))).toMatchObject({ code: "passkey_not_accepted" });
    expect(await failure(api.finishPasskeyLogin("c1", { id: "cred" }))).toMatchObject({ code: "passkey_not_accepted" });
    expect(await api.finishPasskeyLogin("c2", { id: "cred" })).toEqual(account);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("takes ceremony_used for a login that worked: the page goes on with the session", async () => {
    const used = { error: { code: "ceremony_used", message: "You have already logged in with your passkey." } };
    const { fetch, release } = server({
      "/api/login/passkey/finish": [{ status: 409, body: used }],
      "/api/session": [{ status: 200, body: { signedIn: true, account } }],
    });
    release();
    expect(await createApi(fetch).finishPasskeyLogin("c1", { id: "cred" })).toEqual(account);
  });

  it("takes ceremony_used for a set-up that worked: the newest passkey is the one set up", async () => {
    const used = { error: { code: "ceremony_used", message: "Your passkey is already set up. You do not need to set it up again." } };
    const newest = passkey("Security key", "2026-03-02T09:05:00Z");
    const { fetch, release } = server({
      "/api/passkeys/register/finish": [{ status: 409, body: used }],
      "/api/passkeys": [{ status: 200, body: { passkeys: [passkey("Old", "2026-01-01T09:00:00Z"), newest] } }],
    });
    release();
    expect(await createApi(fetch).finishPasskeyRegistration("c1", { id: "cred" })).toEqual(newest);
  });

  it("says what the server said when a used ceremony cannot be taken as done", async () => {
    const used = (message: string) => ({ status: 409, body: { error: { code: "ceremony_used", message } } });
    const { fetch, release } = server({
      "/api/login/passkey/finish": [used("You have already logged in with your passkey.")],
      "/api/session": [{ status: 200, body: { signedIn: false } }],
      "/api/reauth/passkey/finish": [used("You have already confirmed it's you.")],
    });
    release();
    const api = createApi(fetch);
    expect(await failure(api.finishPasskeyLogin("c1", { id: "cred" }))).toMatchObject({ status: 409, code: "ceremony_used" });
    expect(await failure(api.finishPasskeyReauth("c2", { id: "cred" }))).toMatchObject({
      code: "ceremony_used",
      message: "You have already confirmed it's you.",
    });
  });
});
