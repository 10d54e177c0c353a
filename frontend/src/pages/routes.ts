// Every address the app answers, and the page module for each. Only the start page is in
// the start bundle; every other page's code is loaded when it is first opened (pages/lazy.ts,
// issue #21 item 4), so the addresses of an area are written here, and its own table says
// which page each is.

import type { TesterApi } from "../api/tester";
import type { App } from "../shell/app";
import { KIOSK_EXIT_PATH } from "../shell/kiosk";
import type { Layout } from "../shell/layout";
import { Router, type Page } from "../shell/router";
import { initComponents } from "../ui/behaviour";
import { problemPage } from "./errors/problem";
import { notFoundPage } from "./errors/not-found";
import { kioskLinkOutPage } from "./kiosk/link-out";
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

/**
 * The app's router over `layout`: every route, the error pages, and in kiosk mode its
 * "cannot open this here" page. `kiosk` may still be on its way (GET /api/config): the first
 * page is rendered without waiting for it (main.ts).
 */
export function appRouter(app: App, layout: Layout, kiosk: boolean | Promise<boolean>, options: RoutesOptions = {}): Router {
  const kioskRouting = (yes: boolean): { linkOut: typeof kioskLinkOutPage } | undefined => (yes ? { linkOut: kioskLinkOutPage } : undefined);
  return new Router({
    layout,
    routes: routes(app, options),
    notFound: notFoundPage,
    problem: problemPage,
    initComponents,
    kiosk: typeof kiosk === "boolean" ? kioskRouting(kiosk) : kiosk.then(kioskRouting),
  });
}
