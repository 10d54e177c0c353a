// The kiosk endpoints of the desktop app (`--kiosk` only; 404 anywhere else):
//
//   GET  /api/device/kiosk       {"sessionEnded": null | "key-removed"}, read once: the shell
//                                has already ended the session when a security key plugged in
//                                during it was taken out. Reading it does not touch the login
//                                session, so polling it does not keep anyone logged in.
//   POST /api/device/kiosk/exit  {"secret"} -> {"closing": true}, and the app quits; 422
//                                invalid_input (fields.secret), 403 wrong_admin_secret,
//                                429 too_many_tries.

import { ApiError, createRequest, type Fetch } from "./request";

/** Why the shell ended the session by itself. */
export type SessionEnded = "key-removed";

export interface KioskApi {
  /** What ended the session since the last call (then forgotten); undefined: not in kiosk mode (404). */
  sessionEnded(): Promise<SessionEnded | null | undefined>;
  /** Sends the administrator secret once; resolves when the app has agreed to close. */
  exit(secret: string): Promise<void>;
}

export function createKioskApi(fetchImpl?: Fetch): KioskApi {
  const request = createRequest(fetchImpl);
  return {
    sessionEnded: async () => {
      try {
        const { sessionEnded } = await request<{ sessionEnded: unknown }>("GET", "/api/device/kiosk");
        return sessionEnded === "key-removed" ? sessionEnded : null;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    exit: async (secret) => {
      await request<{ closing: unknown }>("POST", "/api/device/kiosk/exit", { secret });
    },
  };
}
