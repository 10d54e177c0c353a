// The JSON API described in docs/api.md. Every call is fetch + JSON to /api/...
// with the session cookie (same origin only); every failure becomes an ApiError
// carrying the server's stable code and its plain-English message.

import { ApiError, createRequest, SERVICE_PROBLEM, type Fetch, type SessionListener } from "./request";

export interface Account {
  email: string;
  createdAt: string;
  hasPassword: boolean;
  /**
   * At least one usable (unflagged) passkey: re-authentication then uses a passkey, not the
   * password (docs/api.md). Always sent by the server; optional here so that older fixtures
   * still type-check, and absent reads as false.
   */
  hasPasskey?: boolean;
}

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

/** The changes that need a fresh re-authentication, as docs/api.md names them. */
export type ReauthAction = "add-passkey" | "rename-passkey" | "remove-passkey" | "change-password";

/** One entry of the account's activity (`GET /api/activity`). */
export interface ActivityEvent {
  type: string;
  at: string;
  passkeyName?: string;
  method?: "password" | "passkey";
  client?: string;
}

export type Session = { signedIn: false } | { signedIn: true; account: Account };

export interface ServiceConfig {
  /** "browser": WebAuthn in the page; "device": the desktop app's native client. */
  ceremonies: "browser" | "device";
  rpId: string;
  /**
   * Kiosk mode (the desktop app's --kiosk): a shared computer in a GP surgery or care home.
   * Nothing of a patient may stay after they finish, and no passkey is saved on the computer.
   * Absent means false.
   */
  kiosk?: boolean;
  /**
   * The desktop app's operating system ("windows", "linux", "darwin"); absent in `serve`
   * mode. On "windows" the app uses Windows' own dialogs (Windows Hello, a phone or tablet,
   * security keys); elsewhere, security keys through the app's own steps.
   */
  system?: string;
}

export interface CeremonyStart<Options> {
  ceremony: string;
  publicKey: Options;
}

/** The JSON a PublicKeyCredential's toJSON() returns (or the desktop app's equivalent). */
export type CredentialJSON = Record<string, unknown>;

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
  /** Only in state "phone-scan": the QR code for the phone or tablet to scan. */
  qr?: PhoneQR;
  /** Only when state is "done". */
  credential?: CredentialJSON;
  /** Only when state is "failed": a stable code and a message for the person. */
  error?: { code: string; message: string };
}

export interface Api {
  getConfig(): Promise<ServiceConfig>;
  getSession(): Promise<Session>;
  /** The session, without it counting as activity (Session-Peek): "has it ended yet?" */
  peekSession(): Promise<Session>;
  createAccount(email: string, password: string): Promise<Account>;
  loginWithPassword(email: string, password: string): Promise<Account>;
  beginPasskeyLogin(email: string): Promise<CeremonyStart<PublicKeyCredentialRequestOptionsJSON>>;
  /**
   * The finishes are sent once per ceremony (see finishOnce); a ceremony the server says was
   * already finished successfully (409 ceremony_used) counts as done where the page can go
   * on: the login's session, the set-up's passkey.
   */
  finishPasskeyLogin(ceremony: string, credential: CredentialJSON): Promise<Account>;
  logout(): Promise<void>;
  listPasskeys(): Promise<Passkey[]>;
  /** `proof`: from a re-authentication, when the server asked for one (403 reauth_required). */
  beginPasskeyRegistration(proof?: string): Promise<CeremonyStart<PublicKeyCredentialCreationOptionsJSON>>;
  finishPasskeyRegistration(ceremony: string, credential: CredentialJSON): Promise<Passkey>;
  // Changes to the account. Each may answer 403 reauth_required: re-authenticate (below),
  // then send the change again with the proof.
  renamePasskey(id: string, name: string, proof?: string): Promise<Passkey>;
  /** Resolves to the passkeys left. */
  removePasskey(id: string, proof?: string): Promise<Passkey[]>;
  changePassword(newPassword: string, proof?: string): Promise<Account>;
  /** Resolves to how many other sessions ended; this one stays. */
  logoutOtherSessions(): Promise<number>;
  listActivity(): Promise<ActivityEvent[]>;
  // Re-authentication: each resolves to a proof for that one action.
  beginPasskeyReauth(action: ReauthAction): Promise<CeremonyStart<PublicKeyCredentialRequestOptionsJSON>>;
  finishPasskeyReauth(ceremony: string, credential: CredentialJSON): Promise<string>;
  reauthWithPassword(action: ReauthAction, password: string): Promise<string>;
  // The desktop app's device endpoints (docs/api.md, "Device endpoints"); `serve` has none.
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

/** The body with the re-authentication proof, when there is one (the server refuses an empty one). */
function withProof(body: Record<string, unknown>, proof: string | undefined): Record<string, unknown> {
  return proof ? { ...body, proof } : body;
}

function proofFrom(answer: { proof: unknown }): string {
  if (typeof answer.proof !== "string" || answer.proof === "") {
    throw new ApiError(200, "unexpected_response", SERVICE_PROBLEM);
  }
  return answer.proof;
}

export function createApi(
  fetchImpl: Fetch = (input, init) => fetch(input, init),
  onSession: SessionListener = () => {},
): Api {
  const request = createRequest(fetchImpl, onSession);

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
    const session = await getSession();
    if (session.signedIn) return { account: session.account };
    throw used;
  }

  async function newestPasskey(used: ApiError): Promise<{ passkey: Passkey }> {
    const passkeys = await listPasskeys();
    const newest = passkeys.reduce<Passkey | null>((a, b) => (a === null || b.createdAt > a.createdAt ? b : a), null);
    if (newest) return { passkey: newest };
    throw used;
  }

  async function getSession(): Promise<Session> {
    const session = await request<Session>("GET", "/api/session");
    if (!session.signedIn) onSession(null);
    return session;
  }

  // A Go nil slice is encoded as null: treat it as no passkeys.
  async function listPasskeys(): Promise<Passkey[]> {
    return (await request<{ passkeys: Passkey[] | null }>("GET", "/api/passkeys")).passkeys ?? [];
  }

  return {
    getConfig: () => request<ServiceConfig>("GET", "/api/config"),
    peekSession: async () => {
      const session = await request<Session>("GET", "/api/session", undefined, { "Session-Peek": "1" });
      if (!session.signedIn) onSession(null);
      return session;
    },
    getSession,
    createAccount: async (email, password) =>
      (await request<{ account: Account }>("POST", "/api/accounts", { email, password })).account,
    loginWithPassword: async (email, password) =>
      (await request<{ account: Account }>("POST", "/api/login/password", { email, password })).account,
    beginPasskeyLogin: (email) => request("POST", "/api/login/passkey/begin", { email }),
    // ceremony_used: the login already worked; the page goes on with the session it started.
    finishPasskeyLogin: async (ceremony, credential) =>
      (await finishOnce("/api/login/passkey/finish", ceremony, credential, signedInAccount)).account,
    logout: async () => {
      await request("POST", "/api/logout", {});
      onSession(null);
    },
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
    changePassword: async (newPassword, proof) =>
      (await request<{ account: Account }>("POST", "/api/account/password", withProof({ newPassword }, proof))).account,
    logoutOtherSessions: async () => {
      const { signedOut } = await request<{ signedOut: unknown }>("POST", "/api/sessions/others/logout", {});
      return typeof signedOut === "number" ? signedOut : 0;
    },
    listActivity: async () => (await request<{ events: ActivityEvent[] | null }>("GET", "/api/activity")).events ?? [],
    beginPasskeyReauth: (action) => request("POST", "/api/reauth/passkey/begin", { action }),
    // ceremony_used: it already worked, but its proof went to the first finish, which this page
    // did not send (finishOnce); the server's message says so and the person confirms again.
    finishPasskeyReauth: async (ceremony, credential) =>
      proofFrom(
        await finishOnce<{ proof: unknown }>("/api/reauth/passkey/finish", ceremony, credential, (used) => Promise.reject(used)),
      ),
    reauthWithPassword: async (action, password) =>
      proofFrom(await request<{ proof: unknown }>("POST", "/api/reauth/password", { action, password })),
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
