// Every address the app answers, and the page module for each.

import type { App } from "./app";
import { accessibilityStatementPage } from "../pages/help/accessibility-statement";
import { activityPage } from "../pages/account/activity";
import { createAccountPage } from "../pages/login/create-account";
import { helpRoutes } from "../pages/help/help";
import { KIOSK_EXIT_PATH } from "./kiosk";
import { kioskExitPage } from "../pages/kiosk/exit";
import { loggedOutPage } from "../pages/login/logged-out";
import { loginPage } from "../pages/login/login";
import { loginPasswordPage } from "../pages/login/password";
import { passkeyRemovePage } from "../pages/passkeys/remove";
import { passkeyRenamePage } from "../pages/passkeys/rename";
import { passkeySetUpPage } from "../pages/passkeys/set-up";
import { passkeysPage } from "../pages/passkeys/passkeys";
import { passwordChangePage } from "../pages/account/password-change";
import { securityPage } from "../pages/account/security";
import { securityKeyRoutes } from "../pages/security-keys/routes";
import { startPage } from "../pages/login/start";
import { testToolsRoutes } from "../pages/test-tools/test-tools";
import type { Page } from "./router";

export function routes(app: App): Record<string, Page> {
  return {
    "/": startPage(app),
    "/create-account": createAccountPage(app),
    "/login": loginPage(app),
    "/login/password": loginPasswordPage(app),
    "/logged-out": loggedOutPage(app),
    "/account/security": securityPage(app),
    "/account/passkeys": passkeysPage(app),
    "/account/passkeys/set-up": passkeySetUpPage(app),
    "/account/passkeys/rename": passkeyRenamePage(app),
    "/account/passkeys/remove": passkeyRemovePage(app),
    "/account/password": passwordChangePage(app),
    "/account/activity": activityPage(app),
    ...helpRoutes(app),
    "/accessibility": accessibilityStatementPage,
    // Kiosk mode only (staff close the app); elsewhere "Page not found".
    [KIOSK_EXIT_PATH]: kioskExitPage(app),
    // The desktop app with --virtual-key only; elsewhere each is "Page not found".
    ...testToolsRoutes(app),
    // "/security-keys", "/security-keys/:id/...", "/account/passkeys/removed/security-key"
    // and "/account/passkeys/removed/windows-hello" (desktop app only).
    ...securityKeyRoutes(app),
  };
}
