// What the "Security keys" pages share (desktop app only): the options they are
// built with, the checks every one of them makes first (desktop app, signed in,
// the key still plugged in), the PIN field and its rules, NHS components the
// shared ui/components.ts does not have, and a live region for waiting.

import { ApiError, SERVICE_PROBLEM, type Account } from "../../api/service";
import { requireAccount, type App } from "../../shell/app";
import { backLink, errorSummary, passwordInput, type ErrorSummaryItem } from "../../ui/components";
import { messageFor } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import { createKeysApi, type KeysApi, type SecurityKey } from "../../api/keys";
import type { PageContext } from "../../shell/router";
import { createWindowsHelloApi, type WindowsHelloApi } from "../../api/windows-hello";
import { notFoundPage } from "../errors/not-found";
import { isDesktop } from "../../ceremony/ceremony";

export interface KeyPagesOptions {
  keys: KeysApi;
  /** Windows Hello's passkeys (the Windows app; elsewhere it finds none to manage). */
  hello: WindowsHelloApi;
  /** Resolves after `ms`: how the pages wait between looks at a key job or the key list. */
  wait: (ms: number) => Promise<void>;
  /** What one key page leaves for the next (in memory only, like the app's journey). */
  notice: { value: KeyNotice | null };
}

export function keyPagesOptions(overrides: Partial<KeyPagesOptions> = {}): KeyPagesOptions {
  return {
    keys: overrides.keys ?? createKeysApi(),
    hello: overrides.hello ?? createWindowsHelloApi(),
    wait: overrides.wait ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    notice: overrides.notice ?? { value: null },
  };
}

/** How often a job (fingerprint samples, a reset) is asked how it is going. */
export const JOB_POLL_MS = 300;
/** How often the list of keys is read while waiting for one to be reinserted. */
export const KEYS_POLL_MS = 1000;

export const SECURITY_KEYS_PATH = "/security-keys";

export function keyPath(id: string, sub?: "passkeys" | "pin" | "fingerprints" | "reset"): string {
  return `${SECURITY_KEYS_PATH}/${encodeURIComponent(id)}${sub ? `/${sub}` : ""}`;
}

/** The key id in `/security-keys/{id}[/...]`, or null. */
export function keyIdFrom(path: string): string | null {
  const segment = path.split("/")[2];
  if (!segment) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * The signed-in account, in the desktop app: these pages do not exist in a web
 * browser (`serve` mode has no device endpoints), and need an account to say
 * which passkeys on a key are the person's. Null when the page has been dealt with.
 */
export async function keyPageAccount(app: App, ctx: PageContext): Promise<Account | null> {
  const ceremonies = await app.ceremonies();
  if (!ctx.isCurrent()) return null;
  if (!isDesktop(ceremonies.client)) {
    await notFoundPage(ctx);
    return null;
  }
  return requireAccount(app, ctx);
}

/** The key named in the address, read now; when it is not plugged in, a page saying so. */
export async function loadKey(options: KeyPagesOptions, ctx: PageContext): Promise<SecurityKey | null> {
  const id = keyIdFrom(ctx.path);
  if (id === null) {
    await notFoundPage(ctx);
    return null;
  }
  try {
    return await options.keys.getKey(id);
  } catch (error) {
    if (error instanceof ApiError && (error.code === "key_not_connected" || error.code === "not_found")) {
      if (ctx.isCurrent()) keyNotConnected(ctx);
      return null;
    }
    throw error;
  }
}

export function keyNotConnected(ctx: PageContext): void {
  ctx.show({
    beforeContent: backLink(SECURITY_KEYS_PATH, "Back to security keys"),
    content: column(html`<h1>Your security key is not plugged in</h1>
    <p>Insert your security key into a USB port on this computer, then try again.</p>
    <p><a href="${SECURITY_KEYS_PATH}">Go to security keys</a></p>`),
  });
}

export function column(content: SafeHtml): SafeHtml {
  return html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${content}
  </div>
</div>`;
}

/** The warning callout (nhsuk-frontend 10: a card with the warning variant). */
export function warningCallout(heading: string, body: SafeHtml, level: 2 | 3 = 2): SafeHtml {
  const headingMarkup = html`<span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>${heading}</span>`;
  return html`<div class="nhsuk-card nhsuk-card--warning">
  <div class="nhsuk-card__content">
    ${level === 2 ? html`<h2 class="nhsuk-card__heading">${headingMarkup}</h2>` : html`<h3 class="nhsuk-card__heading">${headingMarkup}</h3>`}
    ${body}
  </div>
</div>`;
}

export interface ActionRow {
  key: SafeHtml | string;
  value: SafeHtml | string;
  /** In-page actions: buttons styled as links, as the summary list's card actions. */
  actions?: { text: string; hidden: string; data: string }[];
}

/** A summary list whose rows may have actions (buttons styled as links). */
export function actionList(rows: ActionRow[]): SafeHtml {
  const anyActions = rows.some((row) => row.actions?.length);
  return html`<dl class="nhsuk-summary-list">
  ${rows.map((row) => {
    const actions = row.actions ?? [];
    const button = (a: { text: string; hidden: string; data: string }): SafeHtml =>
      html`<button class="nhsuk-link" type="button" data-action="${a.data}">${a.text}<span class="nhsuk-u-visually-hidden"> ${a.hidden}</span></button>`;
    return html`<div class="nhsuk-summary-list__row${anyActions && actions.length === 0 ? " nhsuk-summary-list__row--no-actions" : ""}">
    <dt class="nhsuk-summary-list__key">${row.key}</dt>
    <dd class="nhsuk-summary-list__value">${row.value}</dd>
    ${
      actions.length === 1
        ? html`<dd class="nhsuk-summary-list__actions">${button(actions[0] as (typeof actions)[0])}</dd>`
        : actions.length > 1
          ? html`<dd class="nhsuk-summary-list__actions"><ul class="nhsuk-summary-list__actions-list">${actions.map(
              (a) => html`<li class="nhsuk-summary-list__actions-list-item">${button(a)}</li>`,
            )}</ul></dd>`
          : ""
    }
  </div>`;
  })}
</dl>`;
}

/**
 * Calls `handle` with the data-action of whichever action button is selected.
 * The listener goes on the freshly rendered content, not on <main>, which every
 * render reuses (a listener there would outlive the step).
 */
export function onAction(main: HTMLElement, handle: (action: string) => void): void {
  const scope = main.firstElementChild;
  scope?.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target.closest<HTMLElement>("[data-action]") : null;
    if (!target || !scope.contains(target)) return;
    event.preventDefault();
    handle(target.dataset["action"] ?? "");
  });
}

// The PIN. CTAP 2.1 §6.5.1: at least 4 Unicode code points (or the key's own
// minimum), at most 63 bytes in UTF-8. The shell checks the same.
export const MAX_PIN_BYTES = 63;

export function newPinProblem(pin: string, minLength: number): string | null {
  const characters = [...pin].length;
  if (pin === "") return "Enter a new PIN";
  if (characters < minLength) return `PIN must be ${minLength} characters or more`;
  if (characters > MAX_PIN_BYTES) return `PIN must be ${MAX_PIN_BYTES} characters or fewer`;
  if (new TextEncoder().encode(pin).length > MAX_PIN_BYTES) {
    return "PIN is too long. Letters with accents and some symbols take up more space, so use fewer of them";
  }
  return null;
}

export function triesLeft(n: number): string {
  return `You have ${n} ${n === 1 ? "try" : "tries"} left.`;
}

/** The key's PIN field: masked, never autofilled, with Show/Hide. */
export function pinField(options: { id?: string; label: string; hint?: string; error?: string; heading?: boolean }): SafeHtml {
  return passwordInput({
    id: options.id ?? "pin",
    label: options.label,
    labelIsPageHeading: options.heading,
    hint: options.hint,
    error: options.error,
    autocomplete: "off",
    secretName: "PIN",
  });
}

/** Reads a PIN field and empties it: the page keeps no PIN once it has been sent. */
export function takeField(main: ParentNode, id: string): string {
  const field = main.querySelector<HTMLInputElement>(`#${id}`);
  const value = field?.value ?? "";
  if (field) field.value = "";
  return value;
}

export function pinHint(key: SecurityKey, extra?: string): string {
  const left = key.pin.retriesLeft;
  const warn = left !== null && left <= 3 ? ` ${triesLeft(left)}` : "";
  return `${extra ? `${extra} ` : ""}This is the PIN you chose for your security key. It is not your NHS login password.${warn}`;
}

/**
 * After a failed key operation: when the PIN has just been blocked (the last try
 * was wrong), nothing that needs the PIN can work any more, so instead of the
 * form again the key's own page is shown, which explains that only a reset helps
 * and links to it. True when it has done that.
 */
export async function showBlockedPin(ctx: PageContext, keyId: string, error: unknown): Promise<boolean> {
  if (!(error instanceof ApiError) || error.code !== "pin_blocked") return false;
  if (ctx.isCurrent()) await ctx.navigate(keyPath(keyId), { replace: true });
  return true;
}

/** Field errors and a summary for a failed key operation. */
export interface Problem {
  summary: ErrorSummaryItem[];
  fields: Record<string, string>;
}

/**
 * Turns an API failure into errors on the page. `ids` maps the API's field names
 * ("pin", "newPin", "name") to the ids of this page's inputs; a wrong PIN is put
 * against the PIN field.
 */
export function problemFrom(error: unknown, ids: Record<string, string> = {}): Problem {
  const id = (name: string): string => ids[name] ?? name;
  if (error instanceof ApiError) {
    if (error.code === "invalid_input" && Object.keys(error.fields).length > 0) {
      const fields: Record<string, string> = {};
      for (const [name, text] of Object.entries(error.fields)) fields[id(name)] = text;
      return { fields, summary: Object.entries(fields).map(([field, text]) => ({ text, href: `#${field}` })) };
    }
    if (error.code === "pin_invalid") {
      return { fields: { [id("pin")]: error.message }, summary: [{ text: error.message, href: `#${id("pin")}` }] };
    }
  }
  return { fields: {}, summary: [{ text: messageFor(error, SERVICE_PROBLEM) }] };
}

export function summaryOf(problem: Problem | null): SafeHtml | string {
  return problem && problem.summary.length ? errorSummary(problem.summary) : "";
}

/** What a key's PIN is like, in words. */
export function pinStatus(key: SecurityKey): string {
  if (!key.pin.set) return "Not set";
  if (key.pin.blocked) return "Blocked. Reset the key to use it again. This deletes all the passkeys on it.";
  if (key.pin.mustChange) return "Must be changed before the key can be used";
  return key.pin.retriesLeft === null ? "Set" : `Set. ${triesLeft(key.pin.retriesLeft)}`;
}

/** The FIDO versions a key speaks, in words. */
export function versionsText(versions: string[]): string {
  const ctap = versions
    .filter((v) => v.startsWith("FIDO_2_"))
    .map((v) => v.replace("FIDO_2_", "2."))
    .sort();
  const parts = ctap.length ? [`FIDO2 (CTAP ${ctap.join(", ")})`] : [];
  if (versions.includes("U2F_V2")) parts.push("U2F");
  return parts.join(", ") || "Not known";
}

/**
 * A role="status" live region that screen readers announce without moving
 * focus. It is rendered empty; the first text is put in just after, so the
 * change is announced.
 */
export class LiveRegion {
  private said = "";
  private ready = false;
  private wanted = "";

  constructor(
    private readonly main: HTMLElement,
    private readonly id = "key-status",
  ) {
    setTimeout(() => {
      this.ready = true;
      this.say(this.wanted);
    }, 0);
  }

  static markup(id = "key-status"): SafeHtml {
    return html`<div class="nhsuk-body-l nhsuk-u-font-weight-bold nhsuk-u-margin-bottom-5" id="${id}" role="status" aria-live="polite"></div>`;
  }

  say(text: string): void {
    this.wanted = text;
    const region = this.main.querySelector<HTMLElement>(`#${this.id}`);
    if (!this.ready || !region || this.said === text) return;
    this.said = text;
    region.textContent = text;
  }
}

/** A message for the next key page to show once, then forget (as the app's journey notices). */
export type KeyNotice = { kind: "pin-saved"; keyId: string; first: boolean };

export function leaveNotice(options: KeyPagesOptions, notice: KeyNotice): void {
  options.notice.value = notice;
}

export function takeNotice(options: KeyPagesOptions, keyId: string): KeyNotice | null {
  const notice = options.notice.value;
  if (!notice || notice.keyId !== keyId) return null;
  options.notice.value = null;
  return notice;
}

/** Buttons (and links) that must not be used twice while a request runs. */
export function disableButtons(main: HTMLElement): void {
  for (const b of main.querySelectorAll<HTMLButtonElement>("button:not(.nhsuk-password-input__toggle)")) {
    b.disabled = true;
    b.setAttribute("aria-disabled", "true");
  }
}
