// The service's JSON API described in docs/api.md, as the pages use it: the account's
// endpoints (account.ts), the passkeys' (passkeys.ts) and, in the desktop app, its ceremony
// endpoints (device-ceremonies.ts), all sent through the one request layer (request.ts).

import { accountApi, type AccountApi } from "./account";
import { deviceCeremoniesApi, type DeviceCeremoniesApi } from "./device-ceremonies";
import { passkeysApi, type PasskeysApi } from "./passkeys";
import { createRequest, type Fetch, type SessionListener } from "./request";

export type Api = AccountApi & PasskeysApi & DeviceCeremoniesApi;

/** `onSession` hears the session's timing from every answer (the idle timeout's warning). */
export function createApi(fetchImpl?: Fetch, onSession: SessionListener = () => {}): Api {
  const request = createRequest(fetchImpl, onSession);
  const account = accountApi(request, onSession);
  return { ...account, ...passkeysApi(request, account), ...deviceCeremoniesApi(request) };
}
