// Test support (imported only by *.test.ts): the real shell, router, routes and
// nhsuk-frontend JavaScript in jsdom, with the API and the device ceremonies
// replaced by fakes the test controls.

import { initAll } from "nhsuk-frontend";
import { vi } from "vitest";
import type { Api } from "../api";
import { createApp, type App } from "../app";
import { browserCeremonies, ceremoniesFor, type Ceremonies } from "../ceremony";
import { mountShell, type Layout } from "../layout";
import { notFoundPage } from "../pages/not-found";
import { problemPage } from "../pages/problem";
import { Router } from "../router";
import { routes } from "../routes";

/** An API whose every call fails the test unless the test provides it. */
export function fakeApi(overrides: Partial<Api> = {}): Api {
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected API call: ${name}`));
  const base: Api = {
    getConfig: () => Promise.resolve({ ceremonies: "browser", rpId: "localhost" }),
    getSession: () => Promise.resolve({ signedIn: false }),
    createAccount: unexpected("createAccount"),
    loginWithPassword: unexpected("loginWithPassword"),
    beginPasskeyLogin: unexpected("beginPasskeyLogin"),
    finishPasskeyLogin: unexpected("finishPasskeyLogin"),
    logout: unexpected("logout"),
    listPasskeys: unexpected("listPasskeys"),
    beginPasskeyRegistration: unexpected("beginPasskeyRegistration"),
    finishPasskeyRegistration: unexpected("finishPasskeyRegistration"),
  };
  return { ...base, ...overrides };
}

export interface Harness {
  app: App;
  router: Router;
  layout: Layout;
  main: HTMLElement;
  scrollTo: ReturnType<typeof vi.fn>;
}

let running: Router | null = null;

/** Boots the app at `path` as main.ts does (stopping the previous test's app). */
export async function boot(path: string, api: Api, ceremonies?: Ceremonies): Promise<Harness> {
  window.history.replaceState(null, "", path);
  document.title = "";
  document.documentElement.lang = "en"; // as index.html
  document.body.className = "js-enabled nhsuk-frontend-supported";
  document.body.innerHTML = '<div id="app"></div>';
  const scrollTo = vi.fn();
  window.scrollTo = scrollTo as unknown as typeof window.scrollTo;

  const layout = mountShell(document.getElementById("app") as HTMLElement);
  // Without fakes: the real choice, with a browser that has no WebAuthn (as jsdom).
  const app = createApp(api, (config) => ceremonies ?? ceremoniesFor(config, () => browserCeremonies({})));
  const router = new Router({
    layout,
    routes: routes(app),
    notFound: notFoundPage,
    problem: problemPage,
    initComponents: (scope) => initAll({ scope }),
  });
  running?.stop();
  running = router;
  await router.start();
  return { app, router, layout, main: layout.main, scrollTo };
}

export function text(element: Element | null | undefined): string {
  return (element?.textContent ?? "").replace(/\s+/g, " ").trim();
}

export function fill(id: string, value: string): void {
  const field = document.getElementById(id) as HTMLInputElement;
  field.value = value;
  field.dispatchEvent(new Event("input", { bubbles: true }));
}

export function submit(root: ParentNode = document): void {
  const button = root.querySelector<HTMLButtonElement>('main form button[type="submit"]');
  if (!button) throw new Error("no submit button");
  button.click();
}

/** Lets pending promises (fake API answers, renders) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}
