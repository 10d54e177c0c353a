// The test tools' endpoints (docs/api.md, "Test tool endpoints"): what the
// virtual security key does next, what it holds, and a reset. They exist only
// in the desktop app started with --virtual-key; anywhere else they answer 404,
// which is how the page finds out there are no test tools (the service's own
// /api/config knows nothing of the virtual key).

import { ApiError, createRequest, type Fetch } from "./request";

/** What the virtual key can be told to do next (one at a time). */
export type TesterChoice =
  | "succeed"
  | "wait-for-touch"
  | "cancel"
  | "time-out"
  | "ask-for-pin"
  | "wrong-pin"
  | "pin-blocked"
  | "full"
  | "already-registered"
  | "unplugged";

export interface TesterPasskey {
  credentialId: string;
  rpId: string;
  rpName: string;
  userName: string;
  userDisplayName: string;
  createdAt: string;
}

export interface TesterState {
  /** What the key does the next time it is used. */
  next: TesterChoice;
  /** The PIN the test tools give a key that has none. */
  testPin: string;
  /** How long "wait for a touch" waits. */
  touchSeconds: number;
  pin: { set: boolean; isTestPin: boolean; retriesLeft: number; blocked: boolean };
  passkeys: TesterPasskey[];
  /** The key is plugged in (a tester can take it out and put it back). */
  plugged: boolean;
}

export interface TesterApi {
  /** null: no test tools (not the desktop app, or no virtual key). */
  get(): Promise<TesterState | null>;
  choose(choice: string): Promise<TesterState>;
  reset(): Promise<TesterState>;
  /** Takes the key out (false) or puts it back (true). */
  plug(plugged: boolean): Promise<TesterState>;
}

export function createTesterApi(fetchImpl?: Fetch): TesterApi {
  const request = createRequest(fetchImpl);
  return {
    get: async () => {
      try {
        return (await request<{ tester: TesterState }>("GET", "/api/device/tester")).tester;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
    choose: async (choice) => (await request<{ tester: TesterState }>("POST", "/api/device/tester/next", { choice })).tester,
    reset: async () => (await request<{ tester: TesterState }>("POST", "/api/device/tester/reset", {})).tester,
    plug: async (plugged) => (await request<{ tester: TesterState }>("POST", "/api/device/tester/plug", { plugged })).tester,
  };
}
