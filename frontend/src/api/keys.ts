// The desktop app's security key endpoints (docs/api.md, "Security key endpoints"):
// what is on a key, its PIN, fingerprints and a reset. `serve` mode has none of
// them. Errors are the same ApiError as everywhere (api/request.ts); a PIN is sent once,
// in the body of the one request that needs it, and never kept here.

import { createRequest, type Fetch } from "./request";

export interface SecurityKey {
  id: string;
  kind: "security-key" | "virtual";
  name: string;
  /** False: listed, but could not be read (only id, kind and name mean anything). */
  readable: boolean;
  aaguid: string;
  firmwareVersion: number | null;
  versions: string[];
  pin: {
    set: boolean;
    retriesLeft: number | null;
    blocked: boolean;
    minLength: number;
    /** The key wants a new PIN before it can be used (forcePINChange). */
    mustChange: boolean;
  };
  passkeys: { manageable: boolean; remaining: number | null };
  fingerprints: { supported: boolean; enrolled: boolean };
  /** How long the key can still be reset after being plugged in; 0 when it cannot. */
  resetSecondsLeft: number;
}

export interface KeyList {
  keys: SecurityKey[];
  /** Windows without administrator rights: the app cannot open keys directly. */
  adminRequired: boolean;
}

/** How a passkey on a key stands with the signed-in NHS login account. */
export type NhsLoginRelation = "in-use" | "leftover" | "other-account" | "unknown";

export interface KeyPasskey {
  credentialId: string;
  rpId: string;
  rpName: string;
  userName: string;
  userDisplayName: string;
  /** Absent for another website's passkey. */
  nhsLogin?: NhsLoginRelation;
  /** The account's own passkey, as the account names it. */
  accountPasskey?: { id: string; name: string; flagged: boolean };
}

export interface KeyPasskeys {
  passkeys: KeyPasskey[];
  used: number;
  remaining: number;
}

export interface Fingerprint {
  id: string;
  name: string;
}

export interface KeyJob {
  id: string;
  kind: "add-fingerprint" | "reset";
  key: string;
  state: "touch" | "working" | "done" | "failed";
  samplesNeeded?: number;
  samplesLeft?: number;
  lastSample?: string;
  /** What to do differently after a fingerprint sample that did not count. */
  feedback?: string;
  fingerprint?: Fingerprint;
  error?: { code: string; message: string };
}

export interface ResetCheck {
  ticket: string;
  /** The account's passkeys the reset will stop working. */
  accountPasskeys: { id: string; name: string }[];
  /** False: the key could not be asked, so these may be on it. */
  certain: boolean;
  /** How the account can still log in after the reset (the check refuses when there is no way). */
  otherWaysIn: { password: boolean; passkeys: { id: string; name: string }[] };
}

export interface KeysApi {
  listKeys(): Promise<KeyList>;
  getKey(id: string): Promise<SecurityKey>;
  listPasskeys(id: string, pin: string): Promise<KeyPasskeys>;
  deletePasskey(id: string, credentialId: string, pin: string): Promise<KeyPasskeys>;
  /** A first PIN (no `currentPin`) or a new one. */
  savePin(id: string, newPin: string, currentPin?: string): Promise<SecurityKey>;
  listFingerprints(id: string, pin: string): Promise<Fingerprint[]>;
  addFingerprint(id: string, pin: string): Promise<KeyJob>;
  renameFingerprint(id: string, fingerprintId: string, name: string, pin: string): Promise<Fingerprint[]>;
  deleteFingerprint(id: string, fingerprintId: string, pin: string): Promise<Fingerprint[]>;
  /** The virtual key only: taken out and put back in. */
  replug(id: string): Promise<SecurityKey>;
  /** With the key's PIN, or none; `pinForgotten`: the person does not know it (no PIN is sent). */
  checkReset(id: string, pin?: string, pinForgotten?: boolean): Promise<ResetCheck>;
  reset(id: string, ticket: string): Promise<KeyJob>;
  getJob(jobId: string): Promise<KeyJob>;
  cancelJob(jobId: string): Promise<KeyJob>;
}

export function createKeysApi(fetchImpl?: Fetch): KeysApi {
  const request = createRequest(fetchImpl);

  const key = (id: string): string => `/api/device/keys/${encodeURIComponent(id)}`;
  const job = (id: string): string => `/api/device/key-jobs/${encodeURIComponent(id)}`;
  return {
    listKeys: async () => {
      const answer = await request<{ keys: SecurityKey[] | null; adminRequired?: boolean }>("GET", "/api/device/keys");
      return { keys: answer.keys ?? [], adminRequired: answer.adminRequired === true };
    },
    getKey: async (id) => (await request<{ key: SecurityKey }>("GET", key(id))).key,
    listPasskeys: (id, pin) => request("POST", `${key(id)}/passkeys/list`, { pin }),
    deletePasskey: (id, credentialId, pin) =>
      request("DELETE", `${key(id)}/passkeys/${encodeURIComponent(credentialId)}`, { pin }),
    savePin: async (id, newPin, currentPin) =>
      (await request<{ key: SecurityKey }>("POST", `${key(id)}/pin`, currentPin === undefined ? { newPin } : { pin: currentPin, newPin }))
        .key,
    listFingerprints: async (id, pin) =>
      (await request<{ fingerprints: Fingerprint[] | null }>("POST", `${key(id)}/fingerprints/list`, { pin })).fingerprints ?? [],
    addFingerprint: async (id, pin) => (await request<{ job: KeyJob }>("POST", `${key(id)}/fingerprints`, { pin })).job,
    renameFingerprint: async (id, fingerprintId, name, pin) =>
      (
        await request<{ fingerprints: Fingerprint[] | null }>(
          "PATCH",
          `${key(id)}/fingerprints/${encodeURIComponent(fingerprintId)}`,
          { pin, name },
        )
      ).fingerprints ?? [],
    deleteFingerprint: async (id, fingerprintId, pin) =>
      (
        await request<{ fingerprints: Fingerprint[] | null }>("DELETE", `${key(id)}/fingerprints/${encodeURIComponent(fingerprintId)}`, {
          pin,
        })
      ).fingerprints ?? [],
    replug: async (id) => (await request<{ key: SecurityKey }>("POST", `${key(id)}/replug`, {})).key,
    checkReset: (id, pin, pinForgotten) =>
      request("POST", `${key(id)}/reset/check`, pinForgotten ? { pinForgotten: true } : pin === undefined ? {} : { pin }),
    reset: async (id, ticket) => (await request<{ job: KeyJob }>("POST", `${key(id)}/reset`, { ticket })).job,
    getJob: async (id) => (await request<{ job: KeyJob }>("GET", job(id))).job,
    cancelJob: async (id) => (await request<{ job: KeyJob }>("POST", `${job(id)}/cancel`, {})).job,
  };
}
