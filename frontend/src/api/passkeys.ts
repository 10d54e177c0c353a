// The passkey endpoints (docs/api.md): logging in with a passkey, setting one up, listing,
// renaming and removing them, and re-authenticating with one. Each ceremony's finish is
// sent once (finishOnce).

import { ApiError, type Request } from "./request";
import { proofFrom, withProof, type Account, type AccountApi, type ReauthAction } from "./account";

/** Where a passkey is kept (docs/api.md, "storedOn"). */
export type StoredOn = "security-key" | "this-device" | "synced";

export interface Passkey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backupEligible: boolean;
  backedUp: boolean;
  transports: string[];
  aaguid: string;
  // Always sent by the server; optional here so that older fixtures still type-check.
  /** The authenticator model named by its AAGUID ("iCloud Keychain", "YubiKey 5 Series"), or null. */
  provider?: string | null;
  storedOn?: StoredOn;
  /** Its signature counter went backwards, so it may have been copied: it can no longer log in. */
  flagged?: boolean;
}

export interface CeremonyStart<Options> {
  ceremony: string;
  publicKey: Options;
}

/** The JSON a PublicKeyCredential's toJSON() returns (or the desktop app's equivalent). */
export type CredentialJSON = Record<string, unknown>;

export interface PasskeysApi {
  beginPasskeyLogin(email: string): Promise<CeremonyStart<PublicKeyCredentialRequestOptionsJSON>>;
  /**
   * The finishes are sent once per ceremony (see finishOnce); a ceremony the server says was
   * already finished successfully (409 ceremony_used) counts as done where the page can go
   * on: the login's session, the set-up's passkey.
   */
  finishPasskeyLogin(ceremony: string, credential: CredentialJSON): Promise<Account>;
  listPasskeys(): Promise<Passkey[]>;
  /** `proof`: from a re-authentication, when the server asked for one (403 reauth_required). */
  beginPasskeyRegistration(proof?: string): Promise<CeremonyStart<PublicKeyCredentialCreationOptionsJSON>>;
  finishPasskeyRegistration(ceremony: string, credential: CredentialJSON): Promise<Passkey>;
  // Each may answer 403 reauth_required: re-authenticate, then send it again with the proof.
  renamePasskey(id: string, name: string, proof?: string): Promise<Passkey>;
  /** Resolves to the passkeys left. */
  removePasskey(id: string, proof?: string): Promise<Passkey[]>;
  // Re-authentication with a passkey: resolves to a proof for that one action.
  beginPasskeyReauth(action: ReauthAction): Promise<CeremonyStart<PublicKeyCredentialRequestOptionsJSON>>;
  finishPasskeyReauth(ceremony: string, credential: CredentialJSON): Promise<string>;
}

/** `account`: where a login finished twice finds the session the first finish started. */
export function passkeysApi(request: Request, account: Pick<AccountApi, "getSession">): PasskeysApi {
  // A ceremony is finished once. The server takes a ceremony's finish only once (a second
  // one answers 409 ceremony_used and changes nothing), so the pages must never send two: a
  // double click, a form submitted twice or two pages racing each get the first call's
  // answer, and nothing more is sent. Keyed by endpoint and ceremony id (ids are random and
  // single use, so the map only ever holds this page's few ceremonies).
  const finishes = new Map<string, Promise<unknown>>();
  function finishOnce<T>(path: string, ceremony: string, credential: CredentialJSON, done: (error: ApiError) => Promise<T>): Promise<T> {
    const key = `${path}\n${ceremony}`;
    let sent = finishes.get(key) as Promise<T> | undefined;
    if (!sent) {
      sent = request<T>("POST", path, { ceremony, credential }).catch((error: unknown) => {
        if (error instanceof ApiError && error.code === "ceremony_used") return done(error);
        throw error;
      });
      finishes.set(key, sent);
    }
    return sent;
  }

  async function signedInAccount(used: ApiError): Promise<{ account: Account }> {
    const session = await account.getSession();
    if (session.signedIn) return { account: session.account };
    throw used;
  }

  async function newestPasskey(used: ApiError): Promise<{ passkey: Passkey }> {
    const passkeys = await listPasskeys();
    const newest = passkeys.reduce<Passkey | null>((a, b) => (a === null || b.createdAt > a.createdAt ? b : a), null);
    if (newest) return { passkey: newest };
    throw used;
  }

  // A Go nil slice is encoded as null: treat it as no passkeys.
  async function listPasskeys(): Promise<Passkey[]> {
    return (await request<{ passkeys: Passkey[] | null }>("GET", "/api/passkeys")).passkeys ?? [];
  }

  return {
    beginPasskeyLogin: (email) => request("POST", "/api/login/passkey/begin", { email }),
    // ceremony_used: the login already worked; the page goes on with the session it started.
    finishPasskeyLogin: async (ceremony, credential) =>
      (await finishOnce("/api/login/passkey/finish", ceremony, credential, signedInAccount)).account,
    listPasskeys,
    beginPasskeyRegistration: (proof) => request("POST", "/api/passkeys/register/begin", withProof({}, proof)),
    // ceremony_used: the passkey was already set up; the page names the newest one.
    finishPasskeyRegistration: async (ceremony, credential) =>
      (await finishOnce("/api/passkeys/register/finish", ceremony, credential, newestPasskey)).passkey,
    renamePasskey: async (id, name, proof) =>
      (await request<{ passkey: Passkey }>("PATCH", `/api/passkeys/${encodeURIComponent(id)}`, withProof({ name }, proof)))
        .passkey,
    removePasskey: async (id, proof) =>
      (await request<{ passkeys: Passkey[] | null }>("DELETE", `/api/passkeys/${encodeURIComponent(id)}`, withProof({}, proof)))
        .passkeys ?? [],
    beginPasskeyReauth: (action) => request("POST", "/api/reauth/passkey/begin", { action }),
    // ceremony_used: it already worked, but its proof went to the first finish, which this page
    // did not send (finishOnce); the server's message says so and the person confirms again.
    finishPasskeyReauth: async (ceremony, credential) =>
      proofFrom(
        await finishOnce<{ proof: unknown }>("/api/reauth/passkey/finish", ceremony, credential, (used) => Promise.reject(used)),
      ),
  };
}
