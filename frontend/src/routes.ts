// Every address the app answers, and the page module for each.

import type { App } from "./app";
import { accessibilityStatementPage } from "./pages/accessibility-statement";
import { activityPage } from "./pages/activity";
import { createAccountPage } from "./pages/create-account";
import { helpRoutes } from "./pages/help";
import { KIOSK_EXIT_PATH } from "./kiosk";
import { kioskExitPage } from "./pages/kiosk-exit";
import { loggedOutPage } from "./pages/logged-out";
import { loginPage } from "./pages/login";
import { loginPasswordPage } from "./pages/login-password";
import { passkeyRemovePage } from "./pages/passkey-remove";
import { passkeyRenamePage } from "./pages/passkey-rename";
import { passkeySetUpPage } from "./pages/passkey-set-up";
import { passkeysPage } from "./pages/passkeys";
import { passwordChangePage } from "./pages/password-change";
import { securityPage } from "./pages/security";
import { withSecurityKeyRoutes } from "./pages/security-keys-routes";
import { startPage } from "./pages/start";
import { testToolsRoutes } from "./pages/test-tools";
import type { Page } from "./router";

export function routes(app: App): Record<string, Page> {
  // + "/security-keys", "/security-keys/{id}/...", "/account/passkeys/removed/security-key"
  // and "/account/passkeys/removed/windows-hello" (desktop app only: pages/security-keys-routes.ts).
  return withSecurityKeyRoutes(app, {
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
  });
}
