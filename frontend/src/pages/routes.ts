// Every address the app answers, and the page module for each. Only the start page is in
// the start bundle; every other page's code is loaded when it is first opened (pages/lazy.ts,
// issue #21 item 4), so the addresses of an area are written here, and its own table says
// which page each is.

import type { TesterApi } from "../api/tester";
import type { App } from "../shell/app";
import { KIOSK_EXIT_PATH } from "../shell/kiosk";
import type { Page } from "../shell/router";
import { lazyArea, lazyPage } from "./lazy";
import { startPage } from "./login/start";
import type { KeyPagesOptions } from "./security-keys/key-pages";

/** What tests put in place of the desktop shell's endpoints; the app itself passes none. */
export interface RoutesOptions {
  keyPages?: Partial<KeyPagesOptions>;
  tester?: TesterApi;
}

export function routes(app: App, options: RoutesOptions = {}): Record<string, Page> {
  return {
    "/": startPage(app),
    ...lazyPage("/create-account", () => import("./login/create-account").then((m) => m.createAccountPage(app))),
    ...lazyPage("/login", () => import("./login/login").then((m) => m.loginPage(app))),
    ...lazyPage("/login/password", () => import("./login/password").then((m) => m.loginPasswordPage(app))),
    ...lazyPage("/logged-out", () => import("./login/logged-out").then((m) => m.loggedOutPage(app))),
    ...lazyPage("/account/security", () => import("./account/security").then((m) => m.securityPage(app))),
    ...lazyPage("/account/passkeys", () => import("./passkeys/passkeys").then((m) => m.passkeysPage(app))),
    ...lazyPage("/account/passkeys/set-up", () => import("./passkeys/set-up").then((m) => m.passkeySetUpPage(app))),
    ...lazyPage("/account/passkeys/rename", () => import("./passkeys/rename").then((m) => m.passkeyRenamePage(app))),
    ...lazyPage("/account/passkeys/remove", () => import("./passkeys/remove").then((m) => m.passkeyRemovePage(app))),
    ...lazyPage("/account/password", () => import("./account/password-change").then((m) => m.passwordChangePage(app))),
    ...lazyPage("/account/activity", () => import("./account/activity").then((m) => m.activityPage(app))),
    // The guide: "/help" and one page a topic (pages/help/topics.ts).
    ...lazyArea(["/help", "/help/:topic"], () => import("./help/help").then((m) => m.helpRoutes(app))),
    ...lazyPage("/accessibility", () => import("./help/accessibility-statement").then((m) => m.accessibilityStatementPage)),
    // Kiosk mode only (staff close the app); elsewhere "Page not found".
    ...lazyPage(KIOSK_EXIT_PATH, () => import("./kiosk/exit").then((m) => m.kioskExitPage(app))),
    // The desktop app with --virtual-key only; elsewhere each is "Page not found".
    ...lazyArea(["/test-tools", "/test-tools/:action"], () =>
      import("./test-tools/test-tools").then((m) => m.testToolsRoutes(app, options.tester)),
    ),
    // "/security-keys", "/security-keys/:id/...", "/account/passkeys/removed/security-key"
    // and "/account/passkeys/removed/windows-hello" (desktop app only).
    ...lazyArea(
      ["/security-keys", "/security-keys/:id", "/security-keys/:id/:page", "/account/passkeys/removed/:device"],
      () => import("./security-keys/routes").then((m) => m.securityKeyRoutes(app, options.keyPages)),
    ),
  };
}
