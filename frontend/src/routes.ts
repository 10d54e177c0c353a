// Every address the app answers, and the page module for each.

import type { App } from "./app";
import { createAccountPage } from "./pages/create-account";
import { loginPage } from "./pages/login";
import { loginPasswordPage } from "./pages/login-password";
import { passkeySetUpPage } from "./pages/passkey-set-up";
import { securityPage } from "./pages/security";
import { startPage } from "./pages/start";
import type { Page } from "./router";

export function routes(app: App): Record<string, Page> {
  return {
    "/": startPage(app),
    "/create-account": createAccountPage(app),
    "/login": loginPage(app),
    "/login/password": loginPasswordPage(app),
    "/account/security": securityPage(app),
    "/account/passkeys/set-up": passkeySetUpPage(app),
  };
}
