// The part of a passkey ceremony that happens on the person's device.
//
// Browser (`serve` mode): the server's JSON options go through
// PublicKeyCredential.parse*OptionsFromJSON to navigator.credentials.create/get,
// and the credential goes back as credential.toJSON().
//
// Desktop app (`GET /api/config` says "device"): the webview has no WebAuthn.
// The native client behind /api/device/... arrives in a later version;
// deviceCeremonies() below is the single function to replace when it does.

import type { CredentialJSON, ServiceConfig } from "./api";

export type CeremonyKind = "create" | "get";

export type CeremonyReason =
  | "cancelled"
  | "already_registered"
  | "stopped"
  | "needs_screen_lock"
  | "not_supported"
  | "security"
  | "browser_unsupported"
  | "not_available_yet"
  | "unknown";

export class CeremonyError extends Error {
  override readonly name = "CeremonyError";
  constructor(
    readonly reason: CeremonyReason,
    readonly kind: CeremonyKind,
    message: string,
  ) {
    super(message);
  }
}

const MESSAGES: Record<CeremonyKind, Record<CeremonyReason, string>> = {
  create: {
    cancelled:
      "Your passkey was not set up. You may have cancelled it, or your device took too long to respond.",
    already_registered:
      "This device already has a passkey for your NHS login, so you do not need to set up another one on it.",
    stopped: "Setting up your passkey was stopped before it finished.",
    needs_screen_lock:
      "Your device needs a screen lock, such as a fingerprint, face, PIN or pattern, before it can save a passkey.",
    not_supported: "Your device cannot save the type of passkey that NHS login uses.",
    security: "Passkeys cannot be set up at this web address.",
    browser_unsupported: "This browser cannot set up passkeys. Update it or try a different browser.",
    not_available_yet:
      "Setting up a passkey on this computer is coming in a later version of this app. For now, you can keep logging in with your password.",
    unknown: "Something went wrong on your device and your passkey was not set up.",
  },
  get: {
    cancelled:
      "You were not logged in with a passkey. You may have cancelled it, or your device took too long to respond.",
    already_registered: "Something went wrong on your device and you were not logged in.",
    stopped: "Logging in with your passkey was stopped before it finished.",
    needs_screen_lock:
      "Your device needs a screen lock, such as a fingerprint, face, PIN or pattern, before it can use a passkey.",
    not_supported: "Your device cannot use a passkey to log you in.",
    security: "Passkeys cannot be used at this web address.",
    browser_unsupported: "This browser cannot use passkeys. Update it or try a different browser.",
    not_available_yet:
      "Logging in with a passkey on this computer is coming in a later version of this app. For now, log in with your password.",
    unknown: "Something went wrong on your device and you were not logged in.",
  },
};

export function ceremonyError(reason: CeremonyReason, kind: CeremonyKind): CeremonyError {
  return new CeremonyError(reason, kind, MESSAGES[kind][reason]);
}

/** Maps what navigator.credentials threw to a reason the person can act on. */
export function ceremonyErrorFrom(error: unknown, kind: CeremonyKind): CeremonyError {
  if (error instanceof CeremonyError) return error;
  const name = error instanceof Error || error instanceof DOMException ? error.name : "";
  switch (name) {
    // WebAuthn L3 §5.1.3/§5.1.4: cancelled, timed out, or no matching passkey;
    // browsers deliberately do not say which.
    case "NotAllowedError":
      return ceremonyError("cancelled", kind);
    // §5.1.3 step 20: an excluded credential (already registered) is on this authenticator.
    case "InvalidStateError":
      return ceremonyError(kind === "create" ? "already_registered" : "unknown", kind);
    case "AbortError":
      return ceremonyError("stopped", kind);
    // User verification was required but the authenticator cannot do it.
    case "ConstraintError":
      return ceremonyError("needs_screen_lock", kind);
    case "NotSupportedError":
      return ceremonyError("not_supported", kind);
    // RP ID does not match the page's effective domain (e.g. an IP address).
    case "SecurityError":
      return ceremonyError("security", kind);
    default:
      return ceremonyError("unknown", kind);
  }
}

export interface Ceremonies {
  /**
   * Why passkeys cannot be used here at all, checked before anything is asked of
   * the server; null when they can.
   */
  unavailable(kind: CeremonyKind): CeremonyError | null;
  create(options: PublicKeyCredentialCreationOptionsJSON): Promise<CredentialJSON>;
  get(options: PublicKeyCredentialRequestOptionsJSON): Promise<CredentialJSON>;
}

/** What the browser ceremonies need from the page; tests pass fakes. */
export interface BrowserWebAuthn {
  PublicKeyCredential?: Pick<
    typeof PublicKeyCredential,
    "parseCreationOptionsFromJSON" | "parseRequestOptionsFromJSON"
  >;
  credentials?: Pick<CredentialsContainer, "create" | "get">;
}

function toJSON(credential: Credential | null, kind: CeremonyKind): CredentialJSON {
  const json = (credential as PublicKeyCredential | null)?.toJSON?.() as unknown;
  if (typeof json !== "object" || json === null) throw ceremonyError("unknown", kind);
  return json as CredentialJSON;
}

export function browserCeremonies(
  webauthn: BrowserWebAuthn = {
    PublicKeyCredential: globalThis.PublicKeyCredential,
    credentials: globalThis.navigator?.credentials,
  },
): Ceremonies {
  const { PublicKeyCredential: pkc, credentials } = webauthn;
  return {
    unavailable(kind) {
      const parse = kind === "create" ? pkc?.parseCreationOptionsFromJSON : pkc?.parseRequestOptionsFromJSON;
      if (typeof parse !== "function" || !credentials) return ceremonyError("browser_unsupported", kind);
      return null;
    },
    async create(options) {
      if (!pkc || !credentials) throw ceremonyError("browser_unsupported", "create");
      try {
        const publicKey = pkc.parseCreationOptionsFromJSON(options);
        return toJSON(await credentials.create({ publicKey }), "create");
      } catch (error) {
        throw ceremonyErrorFrom(error, "create");
      }
    },
    async get(options) {
      if (!pkc || !credentials) throw ceremonyError("browser_unsupported", "get");
      try {
        const publicKey = pkc.parseRequestOptionsFromJSON(options);
        return toJSON(await credentials.get({ publicKey }), "get");
      } catch (error) {
        throw ceremonyErrorFrom(error, "get");
      }
    },
  };
}

/**
 * The desktop app's ceremonies. Until the native client and its /api/device/...
 * endpoints exist, this says so plainly and the pages offer the password.
 * Replace this one function to turn passkeys on in the desktop app.
 */
export function deviceCeremonies(): Ceremonies {
  return {
    unavailable: (kind) => ceremonyError("not_available_yet", kind),
    create: () => Promise.reject(ceremonyError("not_available_yet", "create")),
    get: () => Promise.reject(ceremonyError("not_available_yet", "get")),
  };
}

export function ceremoniesFor(config: ServiceConfig, browser: () => Ceremonies = browserCeremonies): Ceremonies {
  return config.ceremonies === "device" ? deviceCeremonies() : browser();
}
