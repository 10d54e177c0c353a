// Test support for the "Security keys" pages (imported only by *.test.ts): the
// app booted as main.ts boots it, with the key endpoints replaced by FakeKeys,
// which the test scripts (what each key holds, what each job does next), and
// waits that take no time.

import { vi } from "vitest";
import { type Api } from "../api/service";
import { createApp, type App } from "../shell/app";
import type { Ceremonies } from "../ceremony/ceremony";
import type { Fingerprint, KeyJob, KeyPasskey, KeyPasskeys, KeysApi, ResetCheck, SecurityKey } from "../api/keys";
import { mountShell, type Layout } from "../shell/layout";
import { Router } from "../shell/router";
import { appRouter } from "../pages/routes";
import type { PlatformPasskey, PlatformPasskeys, WindowsHelloApi } from "../api/windows-hello";
import { fakeApi } from "./harness";
import { ApiError } from "../api/request";

export const PIN = "482913";
export const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true, hasPasskey: true };

/** The app's API in the desktop app, signed in. */
export function desktopApi(overrides: Partial<Api> = {}): Api {
  return fakeApi({
    getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }),
    getSession: () => Promise.resolve({ signedIn: true, account }),
    ...overrides,
  });
}

export function securityKey(overrides: Partial<SecurityKey> = {}): SecurityKey {
  return {
    id: "usb:3f9a0c1d2e3f4a5b",
    kind: "security-key",
    name: "YubiKey 5 Series",
    readable: true,
    aaguid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
    firmwareVersion: 328707,
    versions: ["FIDO_2_0", "FIDO_2_1"],
    pin: { set: true, retriesLeft: 8, blocked: false, minLength: 4, mustChange: false },
    passkeys: { manageable: true, remaining: 22 },
    fingerprints: { supported: false, enrolled: false },
    resetSecondsLeft: 0,
    ...overrides,
  };
}

export const virtualKey = (overrides: Partial<SecurityKey> = {}): SecurityKey =>
  securityKey({
    id: "virtual",
    kind: "virtual",
    name: "Virtual security key (for testing)",
    aaguid: "6e68736b-6579-0000-4a1c-9b528d0e4107",
    firmwareVersion: 1,
    fingerprints: { supported: true, enrolled: false },
    ...overrides,
  });

function pinError(retriesLeft: number): ApiError {
  return new ApiError(403, "pin_invalid", `The PIN is not correct. You have ${retriesLeft} tries left.`);
}

function pinBlocked(): ApiError {
  return new ApiError(
    409,
    "pin_blocked",
    "Your security key's PIN is blocked because the wrong PIN was entered too many times. The key must be reset before it can be used again, which deletes all passkeys on it.",
  );
}

/**
 * The security key endpoints, in memory. A wrong PIN counts against the key as a
 * real one would; every call is recorded (PINs in `pins`, in order).
 */
export class FakeKeys implements KeysApi {
  keys: SecurityKey[] = [];
  adminRequired = false;
  pin = PIN;
  passkeys: KeyPasskey[] = [];
  fingerprints: Fingerprint[] = [];
  /** What each GET of the running job answers, in turn (the last one repeats). */
  jobSteps: Partial<KeyJob>[] = [];
  job: KeyJob | null = null;
  check: ResetCheck = { ticket: "t1", accountPasskeys: [], certain: true, otherWaysIn: { password: true, passkeys: [] } };
  /** Make the next call of a method fail. */
  failNext: Partial<Record<keyof KeysApi, ApiError>> = {};
  readonly calls: string[] = [];
  readonly pins: string[] = [];
  /** Called on each list of keys, to plug and unplug keys as a person would. */
  onList: (n: number) => void = () => {};
  private lists = 0;

  private key(id: string): SecurityKey {
    const key = this.keys.find((k) => k.id === id);
    if (!key) throw new ApiError(404, "key_not_connected", "Your security key was not found. Insert it and try again.");
    return key;
  }

  private call(name: keyof KeysApi, detail = ""): void {
    this.calls.push(detail ? `${name} ${detail}` : name);
    const failure = this.failNext[name];
    if (failure) {
      this.failNext[name] = undefined;
      throw failure;
    }
  }

  private checkPin(id: string, pin: string): void {
    this.pins.push(pin);
    const key = this.key(id);
    if (key.pin.blocked) throw pinBlocked();
    if (pin !== this.pin) {
      const left = (key.pin.retriesLeft ?? 8) - 1;
      key.pin = { ...key.pin, retriesLeft: left, blocked: left <= 0 };
      throw left <= 0 ? pinBlocked() : pinError(left);
    }
    key.pin = { ...key.pin, retriesLeft: 8 };
  }

  private answer(): KeyPasskeys {
    return { passkeys: [...this.passkeys], used: this.passkeys.length, remaining: 25 - this.passkeys.length };
  }

  private run<T>(work: () => T): Promise<T> {
    // A throw inside the executor rejects the promise, as an API call fails.
    return new Promise((resolve) => {
      resolve(work());
    });
  }

  private startJob(kind: KeyJob["kind"], key: string): KeyJob {
    this.job = { id: `j${this.calls.length}`, kind, key, state: "touch", ...(this.jobSteps.shift() ?? {}) };
    return { ...this.job };
  }

  listKeys = () =>
    this.run(() => {
      this.call("listKeys");
      this.onList(++this.lists);
      return { keys: this.keys.map((k) => ({ ...k })), adminRequired: this.adminRequired };
    });
  getKey = (id: string) =>
    this.run(() => {
      this.call("getKey", id);
      return { ...this.key(id) };
    });
  listPasskeys = (id: string, pin: string) =>
    this.run(() => {
      this.call("listPasskeys", id);
      this.checkPin(id, pin);
      return this.answer();
    });
  deletePasskey = (id: string, credentialId: string, pin: string) =>
    this.run(() => {
      this.call("deletePasskey", `${id} ${credentialId}`);
      this.checkPin(id, pin);
      this.passkeys = this.passkeys.filter((p) => p.credentialId !== credentialId);
      return this.answer();
    });
  savePin = (id: string, newPin: string, currentPin?: string) =>
    this.run(() => {
      this.call("savePin", `${id} ${currentPin === undefined ? "first" : "change"}`);
      if (currentPin !== undefined) this.checkPin(id, currentPin);
      this.pins.push(newPin);
      this.pin = newPin;
      const key = this.key(id);
      key.pin = { ...key.pin, set: true, mustChange: false, retriesLeft: 8 };
      return { ...key };
    });
  listFingerprints = (id: string, pin: string) =>
    this.run(() => {
      this.call("listFingerprints", id);
      this.checkPin(id, pin);
      return [...this.fingerprints];
    });
  addFingerprint = (id: string, pin: string) =>
    this.run(() => {
      this.call("addFingerprint", id);
      this.checkPin(id, pin);
      return this.startJob("add-fingerprint", id);
    });
  renameFingerprint = (id: string, fingerprintId: string, name: string, pin: string) =>
    this.run(() => {
      this.call("renameFingerprint", `${id} ${fingerprintId} ${name}`);
      this.checkPin(id, pin);
      this.fingerprints = this.fingerprints.map((f) => (f.id === fingerprintId ? { ...f, name } : f));
      return [...this.fingerprints];
    });
  deleteFingerprint = (id: string, fingerprintId: string, pin: string) =>
    this.run(() => {
      this.call("deleteFingerprint", `${id} ${fingerprintId}`);
      this.checkPin(id, pin);
      this.fingerprints = this.fingerprints.filter((f) => f.id !== fingerprintId);
      return [...this.fingerprints];
    });
  replug = (id: string) =>
    this.run(() => {
      this.call("replug", id);
      const key = this.key(id);
      key.resetSecondsLeft = 10;
      return { ...key };
    });
  checkReset = (id: string, pin?: string, pinForgotten?: boolean) =>
    this.run(() => {
      this.call("checkReset", pinForgotten ? `${id} without the PIN` : id);
      if (pin !== undefined && !pinForgotten) this.checkPin(id, pin);
      return { ...this.check };
    });
  reset = (id: string, ticket: string) =>
    this.run(() => {
      this.call("reset", `${id} ${ticket}`);
      return this.startJob("reset", id);
    });
  getJob = (jobId: string) =>
    this.run(() => {
      this.call("getJob", jobId);
      if (!this.job || this.job.id !== jobId) throw new ApiError(404, "not_found", "Not found");
      const next = this.jobSteps.length > 1 ? this.jobSteps.shift() : this.jobSteps[0];
      this.job = { ...this.job, ...(next ?? {}) };
      return { ...this.job };
    });
  cancelJob = (jobId: string) =>
    this.run(() => {
      this.call("cancelJob", jobId);
      if (!this.job || this.job.id !== jobId) throw new ApiError(404, "not_found", "Not found");
      this.jobSteps = [];
      this.job = { ...this.job, state: "failed", error: { code: "cancelled", message: "You cancelled it." } };
      return { ...this.job };
    });
}

/**
 * The Windows app's Windows Hello passkey endpoints, in memory. `available` false is every
 * other system (the shell answers 404, so `find` gives null); `manageable` false is a
 * Windows whose webauthn.dll is older than API version 4. Every call is recorded.
 */
export class FakeWindowsHello implements WindowsHelloApi {
  available = false;
  manageable = true;
  passkeys: PlatformPasskey[] = [];
  calls: string[] = [];
  failNext: { find?: ApiError; remove?: ApiError } = {};

  find(credentialId: string): Promise<PlatformPasskeys | null> {
    this.calls.push(`find ${credentialId}`);
    const failure = this.failNext.find;
    if (failure !== undefined) {
      this.failNext.find = undefined;
      return Promise.reject(failure);
    }
    if (!this.available) return Promise.resolve(null);
    return Promise.resolve(this.answer(credentialId));
  }

  remove(credentialId: string): Promise<PlatformPasskeys> {
    this.calls.push(`remove ${credentialId}`);
    const failure = this.failNext.remove;
    if (failure !== undefined) {
      this.failNext.remove = undefined;
      return Promise.reject(failure);
    }
    if (!this.available) return Promise.reject(new ApiError(404, "not_found", "Page not found"));
    if (!this.manageable) return Promise.reject(new ApiError(409, "not_supported", "This version of Windows does not let apps delete passkeys."));
    const found = this.passkeys.find((p) => p.credentialId === credentialId);
    if (!found) return Promise.reject(new ApiError(404, "passkey_not_on_device", "This passkey is not saved in Windows Hello on this computer."));
    if (!found.removable) return Promise.reject(new ApiError(409, "not_removable", "Windows does not let this app delete this passkey."));
    this.passkeys = this.passkeys.filter((p) => p !== found);
    return Promise.resolve(this.answer(credentialId));
  }

  private answer(credentialId: string): PlatformPasskeys {
    return {
      manageable: this.manageable,
      passkeys: this.manageable ? this.passkeys.filter((p) => p.credentialId === credentialId).map((p) => ({ ...p })) : [],
    };
  }
}

export interface KeysHarness {
  app: App;
  router: Router;
  layout: Layout;
  main: HTMLElement;
}

let running: Router | null = null;

/** Stops the app bootKeys started (its link listener would otherwise outlive the test). */
export function stopKeysApp(): void {
  running?.stop();
  running = null;
}

/** Boots the app at `path` as main.ts does (harness.ts's boot), with the key pages on `keys`. */
export async function bootKeys(
  path: string,
  keys: FakeKeys,
  api: Api = desktopApi(),
  ceremonies?: Ceremonies,
  hello: WindowsHelloApi = new FakeWindowsHello(),
): Promise<KeysHarness> {
  window.history.replaceState(null, "", path);
  document.title = "";
  document.documentElement.lang = "en";
  document.body.className = "js-enabled nhsuk-frontend-supported";
  document.body.innerHTML = '<div id="app"></div>';
  window.scrollTo = vi.fn();
  const layout = mountShell(document.getElementById("app") as HTMLElement);
  const app = createApp(api, ceremonies ? () => ceremonies : undefined);
  const router = appRouter(app, layout, false, { keyPages: { keys, hello, wait: () => new Promise((resolve) => setTimeout(resolve, 0)) } });
  running?.stop();
  running = router;
  await router.start();
  return { app, router, layout, main: layout.main };
}

/** axe-core's WCAG 2.2 A/AA and best-practice findings on the page (testing/axe.ts). */
export { axeViolations as violations } from "./axe";
