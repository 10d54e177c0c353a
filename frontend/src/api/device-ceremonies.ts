// The desktop app's ceremony endpoints (docs/api.md, "Device endpoints"): the
// authenticators it can use, and a ceremony run on one. `serve` mode has none of them.

import type { Request } from "./request";
import type { CredentialJSON } from "./passkeys";

/** A security key (or the virtual one) the desktop app can use: `/api/device/authenticators`. */
export interface Authenticator {
  id: string;
  /**
   * On Windows the shell lists what webauthn.dll offers: "platform" (Windows Hello) and
   * "hybrid" (a phone or tablet) only when Windows reports them available, and the id
   * "security-key" for any key, through Windows' own dialog. On Linux and macOS, "phone" is a
   * phone or tablet through the QR code this app shows (the FIDO hybrid transport).
   */
  kind: "security-key" | "virtual" | "platform" | "hybrid" | "phone";
  name: string;
  /** Whether the key has a PIN: if so, the person will be asked for it. */
  pinSet: boolean;
  /** The phone only: why it cannot be used now (Bluetooth off, no adapter...), and what to do. */
  unavailable?: { code: string; message: string };
}

export type DeviceCeremonyState =
  | "insert-key"
  | "touch"
  | "pin-needed"
  | "working"
  // A phone or tablet (kind "phone"): the QR code is shown, the phone's advert came, the
  // connection with it is being set up, the person answers on it.
  | "phone-scan"
  | "phone-found"
  | "phone-connecting"
  | "phone-confirm"
  | "done"
  | "failed";

/** The QR code of a phone ceremony: the FIDO:/ URL it holds, and the code as a PNG data URL. */
export interface PhoneQR {
  text: string;
  image: string;
}

/** A ceremony the desktop app runs on an authenticator: `/api/device/ceremonies/{id}`. */
export interface DeviceCeremony {
  id: string;
  kind: "create" | "get";
  state: DeviceCeremonyState;
  /** PIN tries left before the key locks: after a wrong PIN, or whenever the key says. */
  retriesLeft?: number;
  /** State "pin-needed" on a key without a PIN: the fewest characters its first PIN may have. */
  minPinLength?: number;
  /** Only in state "phone-scan": the QR code for the phone or tablet to scan. */
  qr?: PhoneQR;
  /** Only when state is "done". */
  credential?: CredentialJSON;
  /** Only when state is "failed": a stable code and a message for the person. */
  error?: { code: string; message: string };
}

export interface DeviceCeremoniesApi {
  listAuthenticators(): Promise<Authenticator[]>;
  /** `account`, for a get: the email typed, so a key with several accounts' passkeys uses its. */
  startDeviceCeremony(
    kind: "create" | "get",
    authenticator: string,
    publicKey: PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON,
    account?: string,
  ): Promise<DeviceCeremony>;
  getDeviceCeremony(id: string): Promise<DeviceCeremony>;
  /** Sends the PIN once; nothing here keeps it. */
  sendDevicePin(id: string, pin: string): Promise<DeviceCeremony>;
  cancelDeviceCeremony(id: string): Promise<DeviceCeremony>;
}

export function deviceCeremoniesApi(request: Request): DeviceCeremoniesApi {
  return {
    listAuthenticators: async () =>
      (await request<{ authenticators: Authenticator[] | null }>("GET", "/api/device/authenticators")).authenticators ?? [],
    startDeviceCeremony: async (kind, authenticator, publicKey, account) =>
      (
        await request<{ ceremony: DeviceCeremony }>("POST", "/api/device/ceremonies", {
          kind,
          authenticator,
          publicKey,
          ...(account ? { account } : {}),
        })
      ).ceremony,
    getDeviceCeremony: async (id) =>
      (await request<{ ceremony: DeviceCeremony }>("GET", `/api/device/ceremonies/${encodeURIComponent(id)}`)).ceremony,
    sendDevicePin: async (id, pin) =>
      (await request<{ ceremony: DeviceCeremony }>("POST", `/api/device/ceremonies/${encodeURIComponent(id)}/pin`, { pin }))
        .ceremony,
    cancelDeviceCeremony: async (id) =>
      (await request<{ ceremony: DeviceCeremony }>("POST", `/api/device/ceremonies/${encodeURIComponent(id)}/cancel`, {}))
        .ceremony,
  };
}
