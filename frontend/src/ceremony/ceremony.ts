// The part of a passkey ceremony that happens on the person's device.
//
// Browser (`serve` mode): the server's JSON options go through
// PublicKeyCredential.parse*OptionsFromJSON to navigator.credentials.create/get,
// and the credential goes back as credential.toJSON().
//
// Desktop app (`GET /api/config` says "device"): the webview has no WebAuthn.
// The shell's native client does the work behind /api/device/...; the page
// shows each step (which security key, touch it, its PIN) while it runs: see
// ceremony/device.ts.

import { ApiError } from "../api/request";
import type { Screen } from "../ui/view";
import type { CredentialJSON } from "../api/passkeys";

export type CeremonyKind = "create" | "get";

export type CeremonyReason =
  | "cancelled"
  | "already_registered"
  | "stopped"
  | "needs_screen_lock"
  | "not_supported"
  | "security"
  | "browser_unsupported"
  | "unknown"
  // The desktop app's security keys: the failure codes of docs/api.md,
  // "Device endpoints", and the person selecting Cancel.
  | "you_cancelled"
  | "no_authenticator"
  | "timed_out"
  | "pin_auth_blocked"
  | "pin_blocked"
  | "pin_policy"
  | "pin_change_required"
  | "no_passkey_on_key"
  | "key_full"
  | "key_removed"
  | "not_allowed"
  | "device_error";

/**
 * What a desktop ceremony ran on when it was not a security key the app works with itself:
 * on Windows, where Windows' own dialog does the work, Windows Hello, a phone or tablet (QR
 * code) or a security key; on Linux and macOS, "qr-phone", a phone or tablet through the QR
 * code the app's own page shows. Undefined: a security key the app works with itself, or the
 * browser.
 */
export type CeremonyDevice = "windows-hello" | "phone" | "windows-security-key" | "qr-phone";

export class CeremonyError extends Error {
  override readonly name = "CeremonyError";
  constructor(
    readonly reason: CeremonyReason,
    readonly kind: CeremonyKind,
    message: string,
    readonly device?: CeremonyDevice,
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
    security: "Passkeys cannot be set up at this web address. Open the app at the address it gave when it started, for example http://localhost:8080, then try again.",
    browser_unsupported: "This browser cannot set up passkeys. Update it or try a different browser.",
    unknown: "Something went wrong on your device and your passkey was not set up.",
    you_cancelled: "You cancelled setting up your passkey. Nothing was saved.",
    no_authenticator: "Your passkey was not set up because we could not find your security key.",
    timed_out: "Your passkey was not set up because you did not touch your security key in time.",
    pin_auth_blocked: "Your passkey was not set up because the wrong PIN was entered too many times.",
    pin_blocked: "Your security key's PIN is blocked because the wrong PIN was entered too many times.",
    pin_policy: "Your security key did not accept that PIN.",
    pin_change_required: "Your passkey was not set up because your security key needs a new PIN first.",
    no_passkey_on_key: "Your passkey was not set up. Something went wrong with your security key.",
    key_full: "Your security key is full, so it cannot save another passkey.",
    key_removed: "Your passkey was not set up because your security key was removed.",
    not_allowed: "Your security key did not allow your passkey to be set up.",
    device_error: "Something went wrong with your security key and your passkey was not set up.",
  },
  get: {
    cancelled:
      "You were not logged in with a passkey. You may have cancelled it, or your device took too long to respond.",
    already_registered: "Something went wrong on your device and you were not logged in.",
    stopped: "Logging in with your passkey was stopped before it finished.",
    needs_screen_lock:
      "Your device needs a screen lock, such as a fingerprint, face, PIN or pattern, before it can use a passkey.",
    not_supported: "Your device cannot use a passkey to log you in.",
    security: "Passkeys cannot be used at this web address. Open the app at the address it gave when it started, for example http://localhost:8080, then try again.",
    browser_unsupported: "This browser cannot use passkeys. Update it or try a different browser.",
    unknown: "Something went wrong on your device and you were not logged in.",
    you_cancelled: "You cancelled logging in with your passkey.",
    no_authenticator: "You were not logged in because we could not find your security key.",
    timed_out: "You were not logged in because you did not touch your security key in time.",
    pin_auth_blocked: "You were not logged in because the wrong PIN was entered too many times.",
    pin_blocked: "Your security key's PIN is blocked because the wrong PIN was entered too many times.",
    pin_policy: "Your security key did not accept that PIN.",
    pin_change_required: "You were not logged in because your security key needs a new PIN first.",
    no_passkey_on_key: "This security key does not have a passkey for your NHS login.",
    key_full: "Something went wrong with your security key and you were not logged in.",
    key_removed: "You were not logged in because your security key was removed.",
    not_allowed: "Your security key did not allow you to log in.",
    device_error: "Something went wrong with your security key and you were not logged in.",
  },
};

/**
 * `message` replaces ours when the desktop app's shell gave its own (already in plain
 * English). Where ADVICE or WINDOWS_ADVICE has a next step for the reason, the shell's
 * message says only what happened (app/device/ceremony/failure_fido2.go), so the two read as one.
 */
export function ceremonyError(reason: CeremonyReason, kind: CeremonyKind, message?: string, device?: CeremonyDevice): CeremonyError {
  return new CeremonyError(reason, kind, message || MESSAGES[kind][reason], device);
}

// What the person can do about a security key's failure, said after the
// message. Reasons not listed here: select Continue to try again.
const ADVICE: Partial<Record<CeremonyKind, Partial<Record<CeremonyReason, string>>>> = {
  create: {
    no_authenticator: "Insert your security key, then select Continue to try again.",
    timed_out: "Select Continue to try again, then touch your security key when it flashes or lights up.",
    pin_auth_blocked: "Remove your security key and insert it again, then select Continue to try again.",
    pin_blocked:
      "It needs to be reset before it can be used again. Resetting a security key deletes all the passkeys on it.",
    pin_policy: "Select Continue to try again, and choose a different PIN.",
    // CTAP 2.1 §6.4 forcePINChange: the key takes no PIN until it has a new one.
    pin_change_required:
      "Change its PIN in Security keys, in Login and security settings, then set up your passkey again.",
    key_full: "Remove a passkey you no longer use from your security key, or use a different security key.",
    key_removed: "Insert your security key, then select Continue to try again.",
    device_error: "Remove your security key and insert it again, then select Continue to try again.",
  },
  get: {
    no_authenticator: "Insert your security key, then select Continue to try again.",
    pin_policy: "Select Continue to try again, and choose a different PIN.",
    timed_out: "Select Continue to try again, then touch your security key when it flashes or lights up.",
    pin_auth_blocked: "Remove your security key and insert it again, then select Continue to try again.",
    pin_blocked:
      "It needs to be reset before it can be used again. Resetting a security key deletes all the passkeys on it. You can log in with your password instead.",
    pin_change_required:
      "Log in with your password instead. Then change the key's PIN in Security keys, in Login and security settings.",
    no_passkey_on_key: "Try a different security key, or log in with your password.",
    key_removed: "Insert your security key, then select Continue to try again.",
    device_error: "Remove your security key and insert it again, then select Continue to try again.",
  },
};

// On Windows, Windows' own dialog asks for the face, fingerprint or PIN, the QR code or the
// key's touch, so the advice says to follow it. Windows Hello and a phone have nothing to
// insert or touch: their advice never falls back to the security key's.
const FOLLOW_WINDOWS = "Select Continue to try again, then follow the instructions from Windows.";
const WINDOWS_ADVICE: Record<CeremonyDevice, Partial<Record<CeremonyKind, Partial<Record<CeremonyReason, string>>>>> = {
  "windows-hello": {
    create: {
      no_authenticator: "Check that Windows Hello is set up in Windows Settings, or choose a security key or a phone instead.",
      timed_out: FOLLOW_WINDOWS,
      not_allowed: "Select Continue to try again, or choose a security key or a phone instead.",
    },
    get: {
      no_authenticator: "Check that Windows Hello is set up in Windows Settings, or log in with your password.",
      timed_out: FOLLOW_WINDOWS,
      no_passkey_on_key: "Choose where else your passkey is saved, or log in with your password.",
    },
  },
  phone: {
    create: {
      no_authenticator: "Turn on Bluetooth on this computer and on your phone or tablet, then select Continue to try again.",
      timed_out: "Select Continue to try again, then scan the QR code that Windows shows with your phone or tablet.",
      device_error: "Turn on Bluetooth on this computer and on your phone or tablet, then select Continue to try again.",
    },
    get: {
      no_authenticator: "Turn on Bluetooth on this computer and on your phone or tablet, then select Continue to try again.",
      timed_out: "Select Continue to try again, then scan the QR code that Windows shows with your phone or tablet.",
      device_error: "Turn on Bluetooth on this computer and on your phone or tablet, then select Continue to try again.",
      no_passkey_on_key: "Try a different phone or tablet, or log in with your password.",
    },
  },
  "windows-security-key": {
    create: { ...ADVICE.create, timed_out: FOLLOW_WINDOWS },
    get: { ...ADVICE.get, timed_out: FOLLOW_WINDOWS },
  },
  // The app's own QR code (Linux, macOS): the shell's messages for the phone's own failures
  // (Bluetooth, the phone not found, its tunnel) already say what to do.
  "qr-phone": {
    create: {
      timed_out: "Select Continue to try again, then scan the new QR code and follow the instructions on your phone or tablet.",
      device_error: "Select Continue to try again, and scan the new QR code.",
    },
    get: {
      timed_out: "Select Continue to try again, then scan the new QR code and follow the instructions on your phone or tablet.",
      device_error: "Select Continue to try again, and scan the new QR code.",
      no_passkey_on_key: "Try a different phone or tablet, or log in with your password.",
    },
  },
};

/** What to do next after this failure, when there is more to say than "try again". */
export function adviceFor(error: CeremonyError): string | null {
  const advice = error.device ? WINDOWS_ADVICE[error.device] : ADVICE;
  return advice[error.kind]?.[error.reason] ?? null;
}

/** Failures that trying again cannot fix: the page points back instead of to Continue. */
export function isFinal(error: CeremonyError): boolean {
  return ["already_registered", "browser_unsupported", "security", "pin_blocked", "pin_change_required"].includes(error.reason);
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

/**
 * Who makes and uses passkeys, which decides how pages describe it: "browser", the
 * browser's or device's own dialogs (`serve` mode); "device", the desktop app's own steps
 * for security keys (Linux, macOS); "windows", the desktop app on Windows, where the app
 * lists Windows Hello, a phone or tablet and security keys and Windows' own dialogs do the
 * rest. "device" and "windows" are both the desktop app (isDesktop).
 */
export type Client = "browser" | "device" | "windows";

/** Whether the pages are in the desktop app (whichever system it runs on). */
export function isDesktop(client: Client): boolean {
  return client !== "browser";
}

export interface Ceremonies {
  /** Who does the work; pages describe what the person will see (see Client). */
  readonly client: Client;
  /**
   * Why passkeys cannot be used here at all, checked before anything is asked of
   * the server; null when they can.
   */
  unavailable(kind: CeremonyKind): CeremonyError | null;
  /** `screen`: the page, which the desktop app's steps take over until the ceremony ends. */
  create(options: PublicKeyCredentialCreationOptionsJSON, screen?: Screen): Promise<CredentialJSON>;
  /**
   * `account`: the email the person typed, if any. The request lists no passkeys (the email
   * step reveals nothing), so a security key holding passkeys of several accounts uses
   * that account's; the browser lets the person choose instead.
   */
  get(options: PublicKeyCredentialRequestOptionsJSON, screen?: Screen, account?: string): Promise<CredentialJSON>;
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
  // A credential without toJSON() is refused as unknown rather than failing with a TypeError.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- toJSON() is typed as always there, but browsers before WebAuthn L3 lack it
  const json = (credential as PublicKeyCredential | null)?.toJSON?.() as unknown;
  if (typeof json !== "object" || json === null) throw ceremonyError("unknown", kind);
  return json as CredentialJSON;
}

export function browserCeremonies(
  webauthn: BrowserWebAuthn = {
    PublicKeyCredential: globalThis.PublicKeyCredential,
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- typed as always there, but the Linux webview and tests may have no navigator at all
    credentials: globalThis.navigator?.credentials,
  },
): Ceremonies {
  const { PublicKeyCredential: pkc, credentials } = webauthn;
  return {
    client: "browser",
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
 * The message for the person of any failure: an API's or a ceremony's own (both are written
 * for them); unknown failures (a bug, a broken answer) still get one they can act on.
 */
export function messageFor(error: unknown, fallback: string): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof CeremonyError) return error.message;
  return fallback;
}
