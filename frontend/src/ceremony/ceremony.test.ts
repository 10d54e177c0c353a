import { describe, expect, it, vi } from "vitest";
import {
  adviceFor,
  browserCeremonies,
  ceremonyError,
  isFinal,
  CeremonyError,
  ceremonyErrorFrom,
  type BrowserWebAuthn,
  type CeremonyKind,
  type CeremonyReason,
} from "./ceremony";

const creationJSON = {
  challenge: "Y2hhbGxlbmdl",
  rp: { id: "localhost", name: "NHS login" },
  user: { id: "dXNlcg", name: "a@example.com", displayName: "a@example.com" },
  pubKeyCredParams: [{ type: "public-key" as const, alg: -7 }],
};
const requestJSON = { challenge: "Y2hhbGxlbmdl", rpId: "localhost" };

function fakeBrowser(outcome: { credential?: unknown; error?: Error }) {
  const parsed = { parsed: true } as unknown as PublicKeyCredentialCreationOptions;
  const settle = () => (outcome.error ? Promise.reject(outcome.error) : Promise.resolve(outcome.credential as Credential));
  const webauthn = {
    PublicKeyCredential: {
      parseCreationOptionsFromJSON: vi.fn(() => parsed),
      parseRequestOptionsFromJSON: vi.fn(() => parsed as unknown as PublicKeyCredentialRequestOptions),
    },
    credentials: { create: vi.fn(settle), get: vi.fn(settle) },
  } satisfies BrowserWebAuthn;
  return { webauthn, parsed };
}

const credential = (json: unknown) => ({ toJSON: () => json });

async function rejection(promise: Promise<unknown>): Promise<CeremonyError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CeremonyError) return error;
    throw error;
  }
  throw new Error("expected the ceremony to fail");
}

describe("what the device says, in words the person can act on", () => {
  it.each<[string, CeremonyKind, CeremonyReason, RegExp]>([
    ["NotAllowedError", "create", "cancelled", /not set up\. You may have cancelled it, or your device took too long/],
    ["NotAllowedError", "get", "cancelled", /not logged in with a passkey\. You may have cancelled it/],
    ["InvalidStateError", "create", "already_registered", /already has a passkey for your NHS login/],
    ["InvalidStateError", "get", "unknown", /Something went wrong on your device/],
    ["AbortError", "create", "stopped", /stopped before it finished/],
    ["ConstraintError", "create", "needs_screen_lock", /needs a screen lock/],
    ["NotSupportedError", "get", "not_supported", /cannot use a passkey/],
    ["SecurityError", "get", "security", /cannot be used at this web address/],
    ["UnknownError", "create", "unknown", /Something went wrong on your device and your passkey was not set up/],
  ])("%s during %s means %s", (name, kind, reason, message) => {
    const error = ceremonyErrorFrom(new DOMException("browser text", name), kind);
    expect(error.reason).toBe(reason);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain("browser text");
  });

  it("treats anything else thrown as unknown", () => {
    expect(ceremonyErrorFrom("weird", "get").reason).toBe("unknown");
    expect(ceremonyErrorFrom(new TypeError("bad base64"), "create").reason).toBe("unknown");
  });
});

describe("browser ceremonies", () => {
  it("parse the server's JSON options, create the credential and return its toJSON()", async () => {
    const json = { id: "cred", type: "public-key", response: {} };
    const { webauthn, parsed } = fakeBrowser({ credential: credential(json) });
    const result = await browserCeremonies(webauthn).create(creationJSON);
    expect(webauthn.PublicKeyCredential.parseCreationOptionsFromJSON).toHaveBeenCalledWith(creationJSON);
    expect(webauthn.credentials.create).toHaveBeenCalledWith({ publicKey: parsed });
    expect(result).toBe(json);
  });

  it("get an assertion the same way", async () => {
    const json = { id: "cred", type: "public-key", response: { signature: "c2ln" } };
    const { webauthn } = fakeBrowser({ credential: credential(json) });
    expect(await browserCeremonies(webauthn).get(requestJSON)).toBe(json);
    expect(webauthn.PublicKeyCredential.parseRequestOptionsFromJSON).toHaveBeenCalledWith(requestJSON);
  });

  it("turn a cancelled or timed-out ceremony into the cancelled reason", async () => {
    const { webauthn } = fakeBrowser({ error: new DOMException("timed out", "NotAllowedError") });
    expect((await rejection(browserCeremonies(webauthn).get(requestJSON))).reason).toBe("cancelled");
  });

  it("turn an authenticator that already holds a passkey for this account into already_registered", async () => {
    const { webauthn } = fakeBrowser({ error: new DOMException("excluded", "InvalidStateError") });
    expect((await rejection(browserCeremonies(webauthn).create(creationJSON))).reason).toBe("already_registered");
  });

  it("refuse a ceremony that returned no credential", async () => {
    const { webauthn } = fakeBrowser({ credential: null });
    expect((await rejection(browserCeremonies(webauthn).create(creationJSON))).reason).toBe("unknown");
  });

  it("are available only where the browser has the JSON WebAuthn methods", () => {
    expect(browserCeremonies(fakeBrowser({}).webauthn).unavailable("create")).toBeNull();
    // The Linux webview: no PublicKeyCredential, no navigator.credentials.
    expect(browserCeremonies({}).unavailable("get")?.reason).toBe("browser_unsupported");
    const old = { PublicKeyCredential: {} as BrowserWebAuthn["PublicKeyCredential"], credentials: fakeBrowser({}).webauthn.credentials };
    expect(browserCeremonies(old).unavailable("create")?.message).toMatch(/This browser cannot set up passkeys/);
  });
});

describe("device failures (desktop app)", () => {
  it("carry the shell's own message when it gave one, ours otherwise", () => {
    expect(ceremonyError("timed_out", "create", "Your security key did not respond in time.").message).toBe(
      "Your security key did not respond in time.",
    );
    expect(ceremonyError("timed_out", "get").message).toMatch(/not logged in because you did not touch your security key in time/);
    expect(ceremonyError("you_cancelled", "create").message).toBe("You cancelled setting up your passkey. Nothing was saved.");
  });

  it("say what to do next where trying again is not enough", () => {
    expect(adviceFor(ceremonyError("pin_auth_blocked", "get"))).toMatch(/Remove your security key and insert it again/);
    expect(adviceFor(ceremonyError("no_passkey_on_key", "get"))).toMatch(/log in with your password/);
    expect(adviceFor(ceremonyError("cancelled", "create"))).toBeNull();
    expect(isFinal(ceremonyError("pin_blocked", "create"))).toBe(true);
    expect(isFinal(ceremonyError("timed_out", "create"))).toBe(false);
  });
});
