// Test support (imported only by *.test.ts): the real shell, router, routes and
// nhsuk-frontend JavaScript in jsdom, with the API and the device ceremonies
// replaced by fakes the test controls.

import { vi } from "vitest";
import type { Api } from "../api/service";
import { createApp, type App } from "../shell/app";
import { ceremoniesFor } from "../ceremony/choose";
import { browserCeremonies, type Ceremonies } from "../ceremony/ceremony";
import { deviceCeremonies } from "../ceremony/device";
import { mountShell, type Layout } from "../shell/layout";
import type { VisitEnd } from "../shell/kiosk";
import { Router } from "../shell/router";
import { appRouter } from "../pages/routes";
import type { CredentialJSON } from "../api/passkeys";
import type { Authenticator, DeviceCeremony } from "../api/device-ceremonies";

/** An API whose every call fails the test unless the test provides it. */
export function fakeApi(overrides: Partial<Api> = {}): Api {
  const unexpected = (name: string) => () => Promise.reject(new Error(`unexpected API call: ${name}`));
  const base: Api = {
    getConfig: () => Promise.resolve({ ceremonies: "browser", rpId: "localhost" }),
    getSession: () => Promise.resolve({ signedIn: false }),
    peekSession: () => Promise.resolve({ signedIn: false }),
    createAccount: unexpected("createAccount"),
    loginWithPassword: unexpected("loginWithPassword"),
    beginPasskeyLogin: unexpected("beginPasskeyLogin"),
    finishPasskeyLogin: unexpected("finishPasskeyLogin"),
    logout: unexpected("logout"),
    listPasskeys: unexpected("listPasskeys"),
    beginPasskeyRegistration: unexpected("beginPasskeyRegistration"),
    finishPasskeyRegistration: unexpected("finishPasskeyRegistration"),
    renamePasskey: unexpected("renamePasskey"),
    removePasskey: unexpected("removePasskey"),
    changePassword: unexpected("changePassword"),
    logoutOtherSessions: unexpected("logoutOtherSessions"),
    listActivity: unexpected("listActivity"),
    beginPasskeyReauth: unexpected("beginPasskeyReauth"),
    finishPasskeyReauth: unexpected("finishPasskeyReauth"),
    reauthWithPassword: unexpected("reauthWithPassword"),
    listAuthenticators: unexpected("listAuthenticators"),
    startDeviceCeremony: unexpected("startDeviceCeremony"),
    getDeviceCeremony: unexpected("getDeviceCeremony"),
    sendDevicePin: unexpected("sendDevicePin"),
    cancelDeviceCeremony: unexpected("cancelDeviceCeremony"),
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

// Every page's and ceremony's code, loaded once before any test runs. The app loads
// each area when it is first opened (pages/lazy.ts); in a test the first load of a module is
// compiled on the spot, which takes longer than settle() waits.
const areaModules = import.meta.glob(["../pages/**/*.ts", "../ceremony/*.ts", "!**/*.test.ts"]);
await Promise.all(Object.values(areaModules).map((load) => load()));

export interface BootOptions {
  /** Kiosk mode's router, as main.ts starts it when the config says "kiosk": true. */
  kiosk?: boolean;
  /** Kiosk mode's full page load (jsdom cannot load pages); by default the test fails if it happens. */
  leave?: (end: VisitEnd) => void;
}

/** Boots the app at `path` as main.ts does (stopping the previous test's app). */
export async function boot(path: string, api: Api, ceremonies?: Ceremonies, options: BootOptions = {}): Promise<Harness> {
  window.history.replaceState(null, "", path);
  document.title = "";
  document.documentElement.lang = "en"; // as index.html
  document.body.className = "js-enabled nhsuk-frontend-supported";
  document.body.innerHTML = '<div id="app"></div>';
  const scrollTo = vi.fn();
  window.scrollTo = scrollTo;

  const layout = mountShell(document.getElementById("app") as HTMLElement);
  // Without fakes: the real choice, with a browser that has no WebAuthn (as jsdom).
  const app = createApp(api, (config, api) => ceremonies ?? ceremoniesFor(config, api, () => browserCeremonies({})), {
    leave:
      options.leave ??
      ((end) => {
        throw new Error(`unexpected page load: ${end.kind}`);
      }),
  });
  const router = appRouter(app, layout, options.kiosk ?? false);
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

/**
 * The desktop shell's device endpoints (docs/api.md, "Device endpoints"),
 * scripted by the test: it sets which keys are plugged in and what state the
 * ceremony is in; every request is recorded.
 */
export class FakeShell {
  authenticators: Authenticator[] = [];
  /** The desktop app on Windows (GET /api/config says system: windows): client "windows". */
  windows = false;
  ceremony: DeviceCeremony | null = null;
  readonly started: { kind: string; authenticator: string; publicKey: unknown; account?: string }[] = [];
  readonly pins: string[] = [];
  readonly cancelled: string[] = [];
  polls = 0;
  authenticatorChecks = 0;
  /** What the key does with a PIN (throw to answer with an error); by default it is accepted and the key waits for a touch. */
  onPin: (pin: string) => Partial<DeviceCeremony> = () => ({ state: "touch", retriesLeft: undefined });

  /** Moves the ceremony on, as the key would. */
  set(patch: Partial<DeviceCeremony>): void {
    if (!this.ceremony) throw new Error("no ceremony has started");
    this.ceremony = { ...this.ceremony, ...patch };
  }

  finish(credential: CredentialJSON): void {
    this.set({ state: "done", credential });
  }

  fail(code: string, message: string): void {
    this.set({ state: "failed", error: { code, message } });
  }

  api(): Pick<Api, "listAuthenticators" | "startDeviceCeremony" | "getDeviceCeremony" | "sendDevicePin" | "cancelDeviceCeremony"> {
    const current = (id: string): DeviceCeremony => {
      if (!this.ceremony || this.ceremony.id !== id) throw new Error(`unknown ceremony ${id}`);
      return { ...this.ceremony };
    };
    return {
      listAuthenticators: () => {
        this.authenticatorChecks++;
        return Promise.resolve([...this.authenticators]);
      },
      startDeviceCeremony: (kind, authenticator, publicKey, account) => {
        this.started.push({ kind, authenticator, publicKey, ...(account === undefined ? {} : { account }) });
        this.ceremony = { id: `d${this.started.length}`, kind, state: "touch" };
        return Promise.resolve({ ...this.ceremony });
      },
      getDeviceCeremony: (id) => {
        this.polls++;
        return Promise.resolve(current(id));
      },
      sendDevicePin: (id, pin) => {
        current(id);
        this.pins.push(pin);
        // A throw from onPin (the shell refusing the PIN) rejects, as the API call would.
        return new Promise((resolve) => {
          this.set(this.onPin(pin));
          resolve(current(id));
        });
      },
      cancelDeviceCeremony: (id) => {
        current(id);
        this.cancelled.push(id);
        this.fail("cancelled", "You cancelled it.");
        return Promise.resolve(current(id));
      },
    };
  }

  /** The desktop app's ceremonies on this shell, polling on every turn of the event loop. */
  ceremonies(options: { kiosk?: boolean } = {}): Ceremonies {
    return deviceCeremonies(this.api(), {
      wait: () => new Promise((resolve) => setTimeout(resolve, 0)),
      windows: this.windows,
      ...options,
    });
  }
}

export const virtualKey: Authenticator = {
  id: "virtual",
  kind: "virtual",
  name: "Virtual security key (for testing)",
  pinSet: false,
};
export const usbKey: Authenticator = { id: "usb:3f9a", kind: "security-key", name: "Security key", pinSet: true };
