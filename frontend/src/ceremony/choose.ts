// Which ceremonies a config asks for: the browser's WebAuthn in `serve` mode, the desktop app's
// device endpoints when the config says "device". Loaded with the first page that runs a
// ceremony (shell/app.ts), so the start page carries none of their code.

import type { ServiceConfig } from "../api/account";
import type { Api } from "../api/service";
import { browserCeremonies, type Ceremonies } from "./ceremony";
import { deviceCeremonies } from "./device";

/** The browser's WebAuthn in `serve` mode; the desktop app's device endpoints when the config says "device". */
export function ceremoniesFor(
  config: ServiceConfig,
  api: Api,
  browser: () => Ceremonies = browserCeremonies,
  device: (api: Api, options: { kiosk: boolean; windows: boolean }) => Ceremonies = deviceCeremonies,
): Ceremonies {
  // Kiosk mode offers only portable authenticators: never "this device" (Windows Hello).
  return config.ceremonies === "device"
    ? device(api, { kiosk: config.kiosk === true, windows: config.system === "windows" })
    : browser();
}
