// Boot: the page shell, nhsuk-frontend's JavaScript, the routes, and the first
// render (each page checks the session it needs through GET /api/session).
//
// The first page is rendered at once (issue #21): GET /api/config is asked at the same time,
// not before it. Only kiosk mode depends on its answer, and the router, the idle timeout and
// the kiosk's watch each wait for it where they need it (shell/router.ts holds a click whose
// outcome depends on the mode until it is known). index.html already holds the page shell
// (vite.config.ts writes shell/layout.ts's markup into it), so the header and footer are
// drawn with the CSS, before this script runs.

import "./styles.scss";
import { createApi } from "./api/service";
import { createApp, hasDeviceEndpoints, isKiosk, sessionEnds } from "./shell/app";
import { KioskWatch, offerKioskExit } from "./shell/kiosk";
import { createKioskApi } from "./api/kiosk";
import { findLayout, mountShell } from "./shell/layout";
import { initComponents } from "./ui/behaviour";
import { appRouter } from "./pages/routes";
import { SessionTimeout } from "./shell/session-timeout";

// What the package's template.njk does with an inline script, which the
// server's Content-Security-Policy (default-src 'self') does not allow.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) document.body.classList.add("nhsuk-frontend-supported");

const root = document.getElementById("app");
if (!root) throw new Error("#app is missing from index.html");
const layout = root.querySelector("[data-page]") ? findLayout(root) : mountShell(root);
initComponents(root);

// The warning before an idle session ends hears the session's timing from every API answer.
let timeout: SessionTimeout | null = null;
// Whether someone is logged in, as the latest answer that said so has it (kiosk mode's
// VisitIdle leaves a logged-in visit to the session's own timeout).
let signedIn = false;
const api = createApi(undefined, (timing) => {
  signedIn = timing !== null;
  timeout?.update(timing);
});
const app = createApp(api);

// Kiosk mode (a shared computer) changes how the app keeps history and ends visits. Without
// an answer the app runs as usual; the desktop shell enforces kiosk mode itself too (no
// "this device", no navigation away).
const kiosk = isKiosk(app);
const router = appRouter(app, layout, kiosk);
timeout = new SessionTimeout({ api, ...sessionEnds(app, (path, options) => router.navigate(path, options), kiosk) });
void router.start();

void kiosk.then(async (yes) => {
  if (!yes) return;
  // The shell ends the session when the security key used in it is taken out.
  new KioskWatch({ api: createKioskApi(), keyRemoved: () => app.leave({ kind: "key-removed" }) }).start();
  offerKioskExit(document);
  // A visit nobody has logged in to ends after the idle timeout too (shell/visit-idle.ts).
  const idleSeconds = (await app.config()).idleTimeout;
  if (typeof idleSeconds !== "number" || idleSeconds <= 0) return;
  const { VisitIdle } = await import("./shell/visit-idle");
  new VisitIdle({
    idleSeconds,
    signedIn: () => signedIn,
    end: async () => {
      // The shell ends whatever the visit started (a ceremony, a phone's QR code) when it
      // sees a logout go by, signed in or not; then nothing of the page stays in memory.
      await api.logout().catch(() => undefined);
      window.location.replace("/");
    },
  }).start();
});
// "Test tools" in the footer, only when the app runs with its virtual security key: asked of
// the desktop app's device endpoints, so never in `serve`, which has none.
void hasDeviceEndpoints(app).then(async (device) => {
  if (device) await (await import("./pages/test-tools/test-tools")).offerTestTools(root);
});
