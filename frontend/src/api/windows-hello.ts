// The Windows app's Windows Hello passkey endpoints (docs/api.md, "Windows Hello passkey
// endpoints"): find one passkey by its credential ID among the passkeys Windows Hello keeps
// for NHS login, and delete it there. Only the Windows app has them; on Linux and macOS, in
// kiosk mode and in `serve` mode they answer 404 not_found, which `find` turns into null
// ("no Windows Hello to manage here").

import type { NhsLoginRelation } from "./keys";
import { ApiError, createRequest, type Fetch } from "./request";

export interface PlatformPasskey {
  credentialId: string;
  userName: string;
  /** What Windows calls the store ("Windows Hello"); "" on older Windows. */
  authenticatorName: string;
  /** Windows lets apps delete it. */
  removable: boolean;
  backedUp: boolean;
  nhsLogin: Exclude<NhsLoginRelation, "unknown">;
}

export interface PlatformPasskeys {
  /** This Windows can list and delete its passkeys (webauthn.dll API version 4 or newer). */
  manageable: boolean;
  /** The passkey asked for, when Windows Hello has it: none or one. */
  passkeys: PlatformPasskey[];
}

export interface WindowsHelloApi {
  /** null: there is no Windows Hello to manage here (not the Windows app, or kiosk mode). */
  find(credentialId: string): Promise<PlatformPasskeys | null>;
  /** Deletes it from Windows Hello; resolves to what is left under that ID. */
  remove(credentialId: string): Promise<PlatformPasskeys>;
}

export function createWindowsHelloApi(fetchImpl?: Fetch): WindowsHelloApi {
  const request = createRequest(fetchImpl);
  const answer = (a: { manageable?: boolean; passkeys?: PlatformPasskey[] | null }): PlatformPasskeys => ({
    manageable: a.manageable === true,
    passkeys: a.passkeys ?? [],
  });
  return {
    find: async (credentialId) => {
      try {
        return answer(await request("GET", `/api/device/platform-passkeys?credentialId=${encodeURIComponent(credentialId)}`));
      } catch (error) {
        if (error instanceof ApiError && error.status === 404 && error.code === "not_found") return null;
        throw error;
      }
    },
    remove: async (credentialId) =>
      answer(await request("DELETE", `/api/device/platform-passkeys/${encodeURIComponent(credentialId)}`, {})),
  };
}
