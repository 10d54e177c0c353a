// Boot: the page shell, nhsuk-frontend's JavaScript, the routes, and the first
// render (each page checks the session it needs through GET /api/session).

import { initAll } from "nhsuk-frontend";
import "./styles.scss";
import { createApi } from "./api/service";
import { createApp, hasDeviceEndpoints, isKiosk, sessionEnds } from "./shell/app";
import { KioskWatch, offerKioskExit } from "./shell/kiosk";
import { createKioskApi } from "./api/kiosk";
import { mountShell } from "./shell/layout";
import { kioskLinkOutPage } from "./pages/kiosk/link-out";
import { notFoundPage } from "./pages/errors/not-found";
import { offerTestTools } from "./pages/test-tools/test-tools";
import { problemPage } from "./pages/errors/problem";
import { Router } from "./shell/router";
import { routes } from "./pages/routes";
import { SessionTimeout } from "./shell/session-timeout";

// What the package's template.njk does with an inline script, which the
// server's Content-Security-Policy (default-src 'self') does not allow.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) document.body.classList.add("nhsuk-frontend-supported");

const root = document.getElementById("app");
if (!root) throw new Error("#app is missing from index.html");
const layout = mountShell(root);
initAll({ scope: root });

// The warning before an idle session ends hears the session's timing from every API answer.
let timeout: SessionTimeout | null = null;
const api = createApi(undefined, (timing) => timeout?.update(timing));
const app = createApp(api);

async function boot(): Promise<void> {
  // Kiosk mode (a shared computer) changes how the app keeps history and ends visits, so the
  // config is asked for before the first page. Without an answer the app starts as usual;
  // the desktop shell enforces kiosk mode itself too (no "this device", no navigation away).
  const kiosk = await isKiosk(app);
  const router = new Router({
    layout,
    routes: routes(app),
    notFound: notFoundPage,
    problem: problemPage,
    initComponents: (scope) => initAll({ scope }),
    kiosk: kiosk ? { linkOut: kioskLinkOutPage } : undefined,
  });

  timeout = new SessionTimeout({ api, ...sessionEnds(app, (path, options) => router.navigate(path, options), kiosk) });

  if (kiosk) {
    // The shell ends the session when the security key used in it is taken out.
    new KioskWatch({ api: createKioskApi(), keyRemoved: () => app.leave({ kind: "key-removed" }) }).start();
    offerKioskExit(document);
  }
  await router.start();
}

void boot();
// "Test tools" in the footer, only when the app runs with its virtual security key: asked of
// the desktop app's device endpoints, so never in `serve`, which has none.
void hasDeviceEndpoints(app).then((device) => (device ? offerTestTools(root) : undefined));
