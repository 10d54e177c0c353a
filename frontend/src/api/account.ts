// The account's endpoints (docs/api.md): the service's config, the session, creating an
// account, logging in and out with a password, the password itself, other sessions, the
// activity, and re-authenticating with the password.

import { ApiError, SERVICE_PROBLEM, type Request, type SessionListener } from "./request";

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
  /**
   * Kiosk mode only: the idle timeout, in seconds. A visit nobody has logged in to ends after
   * this long with nothing done too (shell/visit-idle.ts).
   */
  idleTimeout?: number;
}

export interface AccountApi {
  getConfig(): Promise<ServiceConfig>;
  getSession(): Promise<Session>;
  /** The session, without it counting as activity (Session-Peek): "has it ended yet?" */
  peekSession(): Promise<Session>;
  createAccount(email: string, password: string): Promise<Account>;
  loginWithPassword(email: string, password: string): Promise<Account>;
  logout(): Promise<void>;
  /** May answer 403 reauth_required: re-authenticate, then send it again with the proof. */
  changePassword(newPassword: string, proof?: string): Promise<Account>;
  /** Resolves to how many other sessions ended; this one stays. */
  logoutOtherSessions(): Promise<number>;
  listActivity(): Promise<ActivityEvent[]>;
  /** Resolves to a proof for that one action. */
  reauthWithPassword(action: ReauthAction, password: string): Promise<string>;
}

/** The body with the re-authentication proof, when there is one (the server refuses an empty one). */
export function withProof(body: Record<string, unknown>, proof: string | undefined): Record<string, unknown> {
  return proof ? { ...body, proof } : body;
}

/** The proof in a re-authentication's answer; an answer without one is unexpected. */
export function proofFrom(answer: { proof: unknown }): string {
  if (typeof answer.proof !== "string" || answer.proof === "") {
    throw new ApiError(200, "unexpected_response", SERVICE_PROBLEM);
  }
  return answer.proof;
}

export function accountApi(request: Request, onSession: SessionListener): AccountApi {
  async function getSession(): Promise<Session> {
    const session = await request<Session>("GET", "/api/session");
    if (!session.signedIn) onSession(null);
    return session;
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
    logout: async () => {
      await request("POST", "/api/logout", {});
      onSession(null);
    },
    changePassword: async (newPassword, proof) =>
      (await request<{ account: Account }>("POST", "/api/account/password", withProof({ newPassword }, proof))).account,
    logoutOtherSessions: async () => {
      const { signedOut } = await request<{ signedOut: unknown }>("POST", "/api/sessions/others/logout", {});
      return typeof signedOut === "number" ? signedOut : 0;
    },
    listActivity: async () => (await request<{ events: ActivityEvent[] | null }>("GET", "/api/activity")).events ?? [],
    reauthWithPassword: async (action, password) =>
      proofFrom(await request<{ proof: unknown }>("POST", "/api/reauth/password", { action, password })),
  };
}
