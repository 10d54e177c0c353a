// Boot: the page shell, nhsuk-frontend's JavaScript, the routes, and the first
// render (each page checks the session it needs through GET /api/session).

import { initAll } from "nhsuk-frontend";
import "./styles.scss";
import { createApi } from "./api";
import { createApp } from "./app";
import { mountShell } from "./layout";
import { notFoundPage } from "./pages/not-found";
import { offerTestTools } from "./pages/test-tools";
import { problemPage } from "./pages/problem";
import { Router } from "./router";
import { routes } from "./routes";

// What the package's template.njk does with an inline script, which the
// server's Content-Security-Policy (default-src 'self') does not allow.
document.body.classList.add("js-enabled");
if ("noModule" in HTMLScriptElement.prototype) document.body.classList.add("nhsuk-frontend-supported");

const root = document.getElementById("app");
if (!root) throw new Error("#app is missing from index.html");
const layout = mountShell(root);
initAll({ scope: root });

const router = new Router({
  layout,
  routes: routes(createApp(createApi())),
  notFound: notFoundPage,
  problem: problemPage,
  initComponents: (scope) => initAll({ scope }),
});

void router.start();
// "Test tools" in the footer, only when the app runs with its virtual security key.
void offerTestTools(root);
