// "Confirm it's you": the re-authentication asked for before a sensitive change (setting up,
// renaming or removing a passkey, changing the password), and only when the server answers
// the change with 403 reauth_required (docs/api.md: a login allows one change within 5
// minutes without it). It is a step inside the page that asked, as the desktop app's
// security key steps are (ceremony/device-steps.ts): it has its own h1, so the router gives it a title
// and focus, and what the person typed on the page stays in that page's memory.
//
//   passkey (account.hasPasskey): POST /api/reauth/passkey/begin {action} -> the device
//     (ceremony/ceremony.ts in the browser, ceremony/device.ts in the desktop app) -> finish
//   password (no usable passkey, or to remove passkeys): POST /api/reauth/password {action, password}
// Both answer {"proof"}, which the page sends with the change.
//
// Removing passkeys: a patient who has lost their devices may still have passkeys on the
// account that they cannot use, so the password is always offered when the account has one,
// and comes first when they logged in with it in this visit. One confirmation covers every
// removal for 5 minutes (docs/api.md, "Re-authentication").

import { isNotSignedIn, type App } from "../../shell/app";
import { adviceFor, CeremonyError, type CeremonyReason, type Ceremonies, messageFor } from "../../ceremony/ceremony";
import { backLink, button, buttonGroup, details, errorSummary, statusInsetText, passwordInput, statusArea, type ErrorSummaryItem } from "../../ui/components";
import { markBusy, takeField } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import type { PageContext } from "../../shell/router";
import { MESSAGES } from "../../ui/validation";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import type { Account, ReauthAction } from "../../api/account";

export const CONFIRM_HEADING = "Confirm it's you";

/** Said on the page when the person cancels the step. */
export const NOT_CONFIRMED = "You did not confirm it's you, so nothing has changed.";

/** The server wants a fresh re-authentication before this change. */
export function needsReauth(error: unknown): boolean {
  return error instanceof ApiError && error.code === "reauth_required";
}

export interface ConfirmOptions {
  action: ReauthAction;
  /** The signed-in account, as GET /api/session gave it: it says which way to confirm. */
  account: Account;
  /** Where the back link goes: the page the change was asked for on. */
  back: string;
}

function whatFor(options: ConfirmOptions): string {
  switch (options.action) {
    case "add-passkey":
      return "set up a passkey";
    case "rename-passkey":
      return "rename a passkey";
    case "remove-passkey":
      return "remove a passkey";
    case "change-password":
      return options.account.hasPassword ? "change your password" : "set a password";
  }
}

type Method = "passkey" | "password";

interface StepState {
  method: Method;
  /** Offer the password as well as the passkey: only once the server would take it. */
  passwordAllowed: boolean;
  /** On the password step, offer the passkey instead (removing passkeys with a usable one left). */
  passkeyAllowed: boolean;
  problem: string | null;
  advice: string | null;
  /** Inline on the password field. */
  passwordError: string | null;
  /** Said under the heading, not as an error: the person cancelled, or the way to confirm changed. */
  note: string | null;
  client: Ceremonies["client"] | null;
}

type StepAction =
  | { type: "continue"; password: string }
  | { type: "cancel" }
  | { type: "use-password" }
  | { type: "use-passkey" };

// The ceremony's own messages speak of logging in; here the person is confirming a change.
const CEREMONY_MESSAGES: Partial<Record<CeremonyReason, string>> = {
  cancelled: "We could not confirm it's you. Your passkey may not be on this device, or you may have cancelled.",
  stopped: "Confirming it's you was stopped before it finished.",
  unknown: "Something went wrong on your device, so we could not confirm it's you.",
  not_allowed: "Your security key did not allow this.",
  already_registered: "Something went wrong on your device, so we could not confirm it's you.",
};
const CEREMONY_ADVICE: Partial<Record<CeremonyReason, string>> = {
  cancelled: "Select Continue to try again.",
  stopped: "Select Continue to try again.",
  unknown: "Select Continue to try again.",
  not_allowed: "Select Continue to try again, or use a different security key.",
  no_passkey_on_key: "Select Continue to try again with a different security key.",
  pin_blocked:
    "It needs to be reset before it can be used again. Resetting a security key deletes all the passkeys on it.",
  pin_change_required: "Change its PIN in Security keys, in Login and security settings, then try again.",
};

// Reasons whose wording above speaks of a security key: on Windows, for Windows Hello or a
// phone, the shell's own message and the advice for what was chosen are used instead.
const SECURITY_KEY_WORDED: CeremonyReason[] = ["not_allowed", "no_passkey_on_key"];

function ceremonyProblem(error: CeremonyError): { problem: string; advice: string | null } {
  const notAKey = (error.device === "windows-hello" || error.device === "phone" || error.device === "qr-phone") && SECURITY_KEY_WORDED.includes(error.reason);
  return {
    problem: (notAKey ? undefined : CEREMONY_MESSAGES[error.reason]) ?? error.message,
    advice: (notAKey ? undefined : CEREMONY_ADVICE[error.reason]) ?? adviceFor(error),
  };
}

const CANCEL = button({ text: "Cancel", variant: "secondary", type: "button", id: "reauth-cancel", preventDoubleClick: false });

/** For a person whose passkey is not to hand: a fresh login allows one change (docs/api.md). */
const CANNOT_USE_PASSKEY = details(
  "If you cannot use your passkey",
  html`<p>Log out, then log in again with your password or another passkey. For 5 minutes after you log in, you can make one change without being asked to confirm it's you.</p>`,
);

function stepMarkup(options: ConfirmOptions, state: StepState): SafeHtml {
  const items: ErrorSummaryItem[] = [];
  if (state.problem) items.push({ text: state.problem });
  if (state.passwordError) items.push({ text: state.passwordError, href: "#password" });
  const summary = items.length
    ? errorSummary(items, state.advice ? html`<p>${state.advice}</p>` : undefined)
    : "";
  const what = whatFor(options);
  const body =
    state.method === "passkey"
      ? html`<p>For your security, use your passkey to confirm it's you before you ${what}.</p>
    ${
      state.client === "windows"
        ? html`<p>Select Continue, then choose where your passkey is saved and follow the instructions from Windows.</p>`
        : state.client === "device"
        ? html`<p>Select Continue, then choose the security key that has your passkey. Enter its PIN and touch it when it flashes or lights up.</p>`
        : html`<p>Select Continue, then follow the instructions on your device. It may ask for your fingerprint, face, PIN or pattern.</p>`
    }
    <form method="post" novalidate>
      ${statusArea("reauth-status")}
      ${buttonGroup(button({ text: "Continue" }), CANCEL)}
    </form>
    ${
      state.passwordAllowed
        ? html`<p><button class="nhsuk-link" type="button" id="use-password">Confirm it's you with your password instead</button></p>`
        : CANNOT_USE_PASSKEY
    }`
      : html`<p>For your security, enter your password to confirm it's you before you ${what}.</p>
    ${
      options.action === "remove-passkey"
        ? html`<p>After you confirm, you can remove other passkeys for the next 5 minutes without being asked again.</p>`
        : ""
    }
    <form method="post" novalidate>
      ${passwordInput({
        id: "password",
        label: "Password",
        autocomplete: "current-password",
        error: state.passwordError ?? undefined,
      })}
      ${statusArea("reauth-status")}
      ${buttonGroup(button({ text: "Continue" }), CANCEL)}
    </form>
    ${
      state.passkeyAllowed
        ? html`<p><button class="nhsuk-link" type="button" id="use-passkey">Confirm it's you with a passkey instead</button></p>`
        : ""
    }`;
  return html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${summary}
    <h1>${CONFIRM_HEADING}</h1>
    ${state.note ? statusInsetText(state.note) : ""}
    ${body}
  </div>
</div>`;
}

/** Shows the step and waits for the person; null if they have left the page meanwhile. */
function showStep(
  ctx: PageContext,
  options: ConfirmOptions,
  state: StepState,
): Promise<{ main: HTMLElement; action: StepAction } | null> {
  const main = ctx.show({ beforeContent: backLink(options.back), content: stepMarkup(options, state) });
  if (!main) return Promise.resolve(null);
  return new Promise((resolve) => {
    let answered = false;
    const answer = (action: StepAction): void => {
      if (answered || !ctx.isCurrent()) return;
      answered = true;
      resolve({ main, action });
    };
    main.querySelector("form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const typed = takeField(main, "password");
      const password = state.method === "password" ? typed : "";
      answer({ type: "continue", password });
    });
    main.querySelector("#reauth-cancel")?.addEventListener("click", () => answer({ type: "cancel" }));
    main.querySelector("#use-password")?.addEventListener("click", () => answer({ type: "use-password" }));
    main.querySelector("#use-passkey")?.addEventListener("click", () => answer({ type: "use-passkey" }));
  });
}

async function withPasskey(app: App, ctx: PageContext, action: ReauthAction): Promise<string> {
  const ceremonies = await app.ceremonies();
  const unavailable = ceremonies.unavailable("get");
  if (unavailable) throw unavailable;
  const start = await app.api.beginPasskeyReauth(action);
  const credential = await ceremonies.get(start.publicKey, ctx);
  return app.api.finishPasskeyReauth(start.ceremony, credential);
}

/** Whether the server would take the password now: the account has one and no usable passkey. */
async function passwordAllowedNow(app: App, fallback: Account): Promise<boolean> {
  try {
    const session = await app.api.getSession();
    const account = session.signedIn ? session.account : fallback;
    return account.hasPassword && !account.hasPasskey;
  } catch {
    return false;
  }
}

/**
 * Shows "Confirm it's you" in place of the page and resolves to a proof for
 * `options.action`, or to null when the person cancels (or leaves the page, or their
 * session has ended: they are then sent to log in). The caller shows its page again.
 */
export async function confirmItsYou(app: App, ctx: PageContext, options: ConfirmOptions): Promise<string | null> {
  const { account } = options;
  const passwordOnly = !account.hasPasskey && account.hasPassword;
  // docs/api.md: the password may always confirm removing passkeys.
  const removing = options.action === "remove-passkey" && account.hasPassword;
  const passwordFirst = passwordOnly || (removing && app.journey.loggedInWith === "password");
  let state: StepState = {
    method: passwordFirst ? "password" : "passkey",
    passwordAllowed: removing,
    passkeyAllowed: removing && account.hasPasskey === true,
    problem: null,
    advice: null,
    passwordError: null,
    note: null,
    client: null,
  };
  try {
    const ceremonies = await app.ceremonies();
    state.client = ceremonies.client;
    if (state.method === "passkey") state.note = ceremonies.unavailable("get")?.message ?? null;
  } catch {
    // No config yet: the passkey step asks again when the person selects Continue.
  }

  for (;;) {
    const step = await showStep(ctx, options, state);
    if (!step) return null;
    const { main, action } = step;
    const fresh: StepState = { ...state, problem: null, advice: null, passwordError: null, note: null };
    if (action.type === "cancel") return null;
    if (action.type === "use-password") {
      state = { ...fresh, method: "password" };
      continue;
    }
    if (action.type === "use-passkey") {
      state = { ...fresh, method: "passkey" };
      continue;
    }
    if (state.method === "password" && action.password === "") {
      state = { ...fresh, passwordError: MESSAGES.passwordMissing };
      continue;
    }

    const form = main.querySelector("form");
    // The password is checked by the server; only a passkey is a device's to ask for.
    const busy = form
      ? markBusy(form, state.method === "passkey" ? "Follow the instructions on your device." : "Checking your password…")
      : () => undefined;
    try {
      return state.method === "passkey"
        ? await withPasskey(app, ctx, options.action)
        : await app.api.reauthWithPassword(options.action, action.password);
    } catch (error) {
      busy();
      if (!ctx.isCurrent()) return null;
      if (isNotSignedIn(error)) {
        await ctx.navigate("/login", { replace: true });
        return null;
      }
      state = await afterFailure(app, account, fresh, error);
    }
  }
}

/** What the step says after a failed attempt, and which way to confirm it offers next. */
async function afterFailure(app: App, account: Account, state: StepState, error: unknown): Promise<StepState> {
  if (error instanceof CeremonyError) {
    // The desktop app's Cancel on a security key step: not an error.
    if (error.reason === "you_cancelled") return { ...state, note: "You cancelled. Select Continue to try again." };
    return { ...state, ...ceremonyProblem(error) };
  }
  if (!(error instanceof ApiError)) {
    console.error(error);
    return { ...state, problem: SERVICE_PROBLEM };
  }
  switch (error.code) {
    // The account has no usable passkey (any more): the password is the way.
    case "use_password":
      return account.hasPassword
        ? { ...state, method: "password", passwordAllowed: true, passkeyAllowed: false, note: error.message }
        : { ...state, problem: error.message };
    // The account has a usable passkey, so the server will not take the password.
    case "use_passkey":
      return { ...state, method: "passkey", passwordAllowed: false, passkeyAllowed: false, note: error.message };
    case "reauth_failed":
      return { ...state, passwordError: error.message };
    case "invalid_input":
      return { ...state, passwordError: error.fields["password"] ?? error.message };
    // This passkey has been stopped; if it was the last usable one, the password now works.
    case "passkey_flagged":
      return { ...state, problem: error.message, passwordAllowed: state.passwordAllowed || (await passwordAllowedNow(app, account)) };
    // too_many_attempts (the message says how long to wait), passkey_not_accepted,
    // ceremony_expired, and anything else: the server's own words.
    default:
      return { ...state, problem: messageFor(error, SERVICE_PROBLEM) };
  }
}

/**
 * A change that may need "Confirm it's you". The proof is kept while the person stays on
 * the page: a change the server refuses (a name already taken, say) uses nothing up, so the
 * next try sends the same proof.
 */
export class SensitiveChange {
  private proof: string | undefined;

  /**
   * `kept`: where a proof that outlives the page is kept (removing passkeys: one proof covers
   * every removal for 5 minutes, docs/api.md), read before the change and written after a
   * confirmation; by default the proof lives as long as the page.
   */
  constructor(
    private readonly app: App,
    private readonly ctx: PageContext,
    private readonly options: ConfirmOptions,
    private readonly kept?: { get(): string | undefined; set(proof: string | undefined): void },
  ) {
    this.proof = kept?.get();
  }

  /**
   * Runs `change`; when the server answers 403 reauth_required, asks the person to confirm
   * it's you and runs it once more with the proof. Resolves to its value, or to null when
   * the person did not confirm (see confirmItsYou). Other failures are thrown.
   */
  async run<T>(change: (proof: string | undefined) => Promise<T>): Promise<{ value: T } | null> {
    let confirmed = false;
    for (;;) {
      try {
        return { value: await change(this.proof) };
      } catch (error) {
        // A second refusal right after a fresh proof would loop: let the page say so.
        if (!needsReauth(error) || confirmed) throw error;
        this.proof = undefined;
        this.kept?.set(undefined);
        const proof = await confirmItsYou(this.app, this.ctx, this.options);
        if (proof === null) return null;
        this.proof = proof;
        this.kept?.set(proof);
        confirmed = true;
      }
    }
  }
}
