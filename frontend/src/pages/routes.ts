// Every address the app answers, and the page module for each.

import type { App } from "../shell/app";
import { accessibilityStatementPage } from "./help/accessibility-statement";
import { activityPage } from "./account/activity";
import { createAccountPage } from "./login/create-account";
import { helpRoutes } from "./help/help";
import { KIOSK_EXIT_PATH } from "../shell/kiosk";
import { kioskExitPage } from "./kiosk/exit";
import { loggedOutPage } from "./login/logged-out";
import { loginPage } from "./login/login";
import { loginPasswordPage } from "./login/password";
import { passkeyRemovePage } from "./passkeys/remove";
import { passkeyRenamePage } from "./passkeys/rename";
import { passkeySetUpPage } from "./passkeys/set-up";
import { passkeysPage } from "./passkeys/passkeys";
import { passwordChangePage } from "./account/password-change";
import { securityPage } from "./account/security";
import { securityKeyRoutes } from "./security-keys/routes";
import { startPage } from "./login/start";
import { testToolsRoutes } from "./test-tools/test-tools";
import type { Page } from "../shell/router";

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
