// Boot: the page shell, nhsuk-frontend's JavaScript, the routes, and the first
// render (each page checks the session it needs through GET /api/session).

import { initAll } from "nhsuk-frontend";
import "./styles.scss";
import { createApi } from "./api";
import { createApp, forgetJourney } from "./app";
import { mountShell } from "./layout";
import { notFoundPage } from "./pages/not-found";
import { offerTestTools } from "./pages/test-tools";
import { problemPage } from "./pages/problem";
import { Router } from "./router";
import { routes } from "./routes";
import { SessionTimeout } from "./session-timeout";

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
const router = new Router({
  layout,
  routes: routes(app),
  notFound: notFoundPage,
  problem: problemPage,
  initComponents: (scope) => initAll({ scope }),
});

timeout = new SessionTimeout({
  api,
  loggedOut: () => {
    forgetJourney(app);
    app.journey.notice = { kind: "logged-out" };
    return router.navigate("/");
  },
  timedOut: (idleSeconds) => {
    forgetJourney(app);
    app.journey.notice = { kind: "timed-out", idleSeconds };
    return router.navigate("/logged-out", { replace: true });
  },
});

void router.start();
// "Test tools" in the footer, only when the app runs with its virtual security key.
void offerTestTools(root);
