// The steps the desktop app shows while its shell works with a security key
// (ceremony/device.ts runs them): which key, insert it, touch it, its PIN; or,
// for a phone or tablet on Linux and macOS, the QR code to scan and how it goes.
// Each step is rendered into <main> through the page, so the router gives it a
// title from its h1 and moves focus to the h1 or the error summary. While the
// person waits, what the key needs is said in a role="status" live region,
// which screen readers announce without moving focus.

import type { CeremonyDevice, CeremonyKind } from "./ceremony";
import { button, buttonGroup, column, details, errorSummary, insetText, radios, type RadioItem } from "../ui/components";
import { disableButtons, takeField } from "../ui/forms";
import { newPinProblems, pinProblem } from "../ui/validation";
import { FORGOTTEN_PIN, newPinFields, pinField, pinHint, triesLeft } from "../ui/pin";
import { html, type SafeHtml } from "../ui/html";
import type { Screen } from "../ui/view";
import type { Authenticator, DeviceCeremonyState, PhoneQR } from "../api/device-ceremonies";

/** What the person did on a step. A PIN is passed on once and never kept here. */
export type StepAction = { type: "cancel" } | { type: "choose"; authenticator: string } | { type: "pin"; pin: string };

/** The states in which the person waits for the key (and can cancel). */
export type WaitingState = Exclude<DeviceCeremonyState, "pin-needed" | "failed">;

export type NewPinErrors = Partial<Record<"pin" | "pin-confirm", string>>;

/** Kiosk mode: the trusted-device advice, said where the person chooses where to save. */
const KIOSK_CREATE_HINT =
  "This is a shared computer, so your passkey cannot be saved on it. Choose your own security key, or your own phone or tablet if it is listed.";

const HEADINGS: Record<CeremonyKind, { choose: string; chooseMissing: string; waiting: string }> = {
  create: {
    choose: "Where do you want to save your passkey?",
    chooseMissing: "Select where to save your passkey",
    waiting: "Setting up your passkey",
  },
  get: {
    choose: "Which security key has your passkey?",
    chooseMissing: "Select the security key that has your passkey",
    waiting: "Logging in with your passkey",
  },
};

/**
 * Which of Windows' authenticators this is, when Windows' own dialog does the work (the
 * Windows app: Windows Hello, a phone or tablet, or any security key through Windows);
 * undefined for a key the app works with itself (Linux, macOS, the virtual key).
 */
export function windowsDevice(authenticator: Authenticator): CeremonyDevice | undefined {
  if (authenticator.kind === "platform") return "windows-hello";
  if (authenticator.kind === "hybrid") return "phone";
  if (authenticator.id === "security-key") return "windows-security-key";
  return undefined;
}

/**
 * What a ceremony on `authenticator` runs on, when it is not a security key the app works
 * with itself: Windows' authenticators (windowsDevice), or a phone or tablet through the QR
 * code this app shows (Linux, macOS).
 */
export function deviceOf(authenticator: Authenticator): CeremonyDevice | undefined {
  return windowsDevice(authenticator) ?? (authenticator.kind === "phone" ? "qr-phone" : undefined);
}

/** The alternative text of the QR code: what it is and what it is for. */
export const QR_ALT = "QR code to scan with the camera on your phone or tablet";

/** On Windows, what the waiting page says Windows' dialog will ask for. */
const WINDOWS_WAITING: Record<CeremonyDevice, string> = {
  "windows-hello": "Windows will open a window over this app. Use your face, fingerprint or PIN there, as you do to unlock this computer.",
  phone:
    "Windows will open a window over this app with a QR code. Scan it with the camera on your phone or tablet, then follow the instructions on your phone or tablet.",
  "windows-security-key":
    "Windows will open a window over this app. Insert your security key when it asks, then follow its instructions. Keep the key plugged in until this has finished.",
  "qr-phone": "Keep your phone or tablet near this computer until this has finished.",
};

const WINDOWS_HEADINGS: Record<CeremonyKind, { choose: string; chooseMissing: string; waiting: string }> = {
  create: HEADINGS.create,
  get: {
    choose: "Where is your passkey saved?",
    chooseMissing: "Select where your passkey is saved",
    waiting: HEADINGS.get.waiting,
  },
};

type StatusState = WaitingState | "looking" | "cancelling";

interface Status {
  text: string;
  detail?: string;
}

/** A security key's steps (and every step's fallback). */
const KEY_STATUS: Record<StatusState, Status> = {
  looking: { text: "Looking for your security key" },
  "insert-key": { text: "Insert your security key", detail: "Plug it into a USB port on this computer." },
  touch: { text: "Touch your security key", detail: "It may flash or light up." },
  cancelling: { text: "Cancelling…" },
  working: { text: "Checking…" },
  done: { text: "Checking…" },
  "phone-scan": { text: "Checking…" },
  "phone-found": { text: "Checking…" },
  "phone-connecting": { text: "Checking…" },
  "phone-confirm": { text: "Checking…" },
};

/** Each step of the hybrid transport (docs/api.md, "Use a different phone or tablet"). */
const PHONE_STATUS: Partial<Record<StatusState, Status>> = {
  working: { text: "Getting the QR code ready…" },
  "phone-scan": { text: "Waiting for your phone or tablet", detail: "Scan the QR code with its camera." },
  "phone-found": { text: "Phone or tablet found", detail: "Connecting to it…" },
  "phone-connecting": { text: "Connecting to your phone or tablet…" },
  "phone-confirm": { text: "Follow the instructions on your phone or tablet" },
  done: { text: "Done", detail: "Your phone or tablet has answered. Checking…" },
};

/** What the live region says in each state: a short instruction, then what to look for. */
function statusFor(state: StatusState, device?: CeremonyDevice): Status {
  // Windows' dialog asks for the touch, PIN, face, fingerprint or QR code itself.
  if (device && device !== "qr-phone" && (state === "insert-key" || state === "touch")) {
    return { text: "Follow the instructions from Windows" };
  }
  return (device === "qr-phone" ? PHONE_STATUS[state] : undefined) ?? KEY_STATUS[state];
}

function wrongPinMessage(retriesLeft: number | undefined): string {
  if (retriesLeft === undefined) return "The PIN is not correct. Try again.";
  return `The PIN is not correct. ${triesLeft(retriesLeft)}`;
}

function hintFor(authenticator: Authenticator, kind: CeremonyKind): string {
  if (authenticator.kind === "virtual") {
    return "For testing this app only. Passkeys saved on it are not kept safe, so do not use it for your real NHS login.";
  }
  // Windows: its own window asks for the face, fingerprint, PIN or phone.
  if (authenticator.kind === "platform") return "Use your face, fingerprint or PIN to unlock this computer. Windows will show you what to do.";
  if (authenticator.kind === "hybrid") return "Turn on Bluetooth on this computer and on your phone or tablet first. Then scan a QR code with the camera on your phone or tablet. Windows will show you what to do.";
  if (authenticator.id === "security-key") return "Insert your security key when Windows asks, then follow what Windows tells you.";
  if (authenticator.kind === "phone") {
    // Listed even when Bluetooth cannot be used, so that the person learns how to fix it.
    if (authenticator.unavailable) return `You cannot use this at the moment. ${authenticator.unavailable.message}`;
    return "Turn on Bluetooth on this computer and on your phone or tablet. You will scan a QR code with the camera on your phone or tablet.";
  }
  if (authenticator.pinSet) return "Plugged into this computer. You will need to enter its PIN and touch it.";
  return kind === "create"
    ? "Plugged into this computer. You will be asked to create a PIN for it."
    : "Plugged into this computer.";
}

function statusMarkup(state: Parameters<typeof statusFor>[0], device?: CeremonyDevice): SafeHtml {
  const { text, detail } = statusFor(state, device);
  return html`<p class="nhsuk-body-l nhsuk-u-font-weight-bold nhsuk-u-margin-bottom-2">${text}</p>${
    detail ? html`
<p>${detail}</p>` : ""
  }`;
}

const CANCEL = button({ text: "Cancel", variant: "secondary", type: "button", id: "cancel", preventDoubleClick: false });

/**
 * How to find `active`, a control in `main`, again once `main` is rendered anew: a radio by its
 * value, a button (Continue, Cancel) by its id or its text. Null when focus is not on a control
 * there (on the h1, say), where the new render's own focus is right.
 */
function sameControl(main: HTMLElement, active: Element | null): ((main: HTMLElement) => HTMLElement | undefined) | null {
  if (active instanceof HTMLInputElement && active.name === "authenticator") {
    const value = active.value;
    return (m) => [...m.querySelectorAll<HTMLInputElement>('input[name="authenticator"]')].find((r) => r.value === value);
  }
  if (!(active instanceof HTMLButtonElement) || !main.contains(active)) return null;
  const { id } = active;
  const label = active.textContent.trim();
  return (m) => [...m.querySelectorAll<HTMLButtonElement>("button")].find((b) => (id ? b.id === id : b.textContent.trim() === label));
}

/** The id radios() gives the radio at index (the first is the group's name). */
function radioId(index: number): string {
  return index === 0 ? "authenticator" : `authenticator-${index + 1}`;
}

/**
 * Renders the steps of one ceremony and passes on what the person does. Stale
 * steps (the person has left the page) render nothing and report nothing.
 */
export class DeviceSteps {
  /** The step on screen, so repeated states only update the live region. */
  private current: "looking" | "choose" | "waiting" | "pin" | null = null;
  private main: HTMLElement | null = null;
  /** What the live region should say, and what it says. */
  private wanted: Parameters<typeof statusFor>[0] | null = null;
  private said: Parameters<typeof statusFor>[0] | null = null;
  /** False until the freshly rendered live region is on the page long enough to be announced. */
  private live = false;
  private renders = 0;
  /** The error the choice shows now, kept when the list is refreshed. */
  private choiceError: string | undefined;
  /** On Windows, the authenticator whose dialog the person answers (use()). */
  private device: CeremonyDevice | undefined;

  constructor(
    private readonly screen: Screen,
    private readonly kind: CeremonyKind,
    private readonly act: (action: StepAction) => void,
    private readonly options: { kiosk?: boolean } = {},
  ) {}

  /** The person chose `authenticator`: the waiting steps speak of it. */
  use(authenticator: Authenticator): void {
    this.device = deviceOf(authenticator);
  }

  showing(step: NonNullable<DeviceSteps["current"]>): boolean {
    return this.current === step;
  }

  /** No security key is plugged in: say so, and keep looking (the ceremony checks every second). */
  lookingForKey(): void {
    const main = this.show(
      "looking",
      html`<h1>Insert your security key</h1>
    <p>Plug your security key into a USB port on this computer. We will carry on as soon as we find it.</p>
    ${this.statusArea()}
    ${buttonGroup(CANCEL)}`,
      "looking",
    );
    this.wireCancel(main);
  }

  choose(authenticators: Authenticator[], error?: string, value?: string): void {
    this.choiceError = error;
    // Windows offers Windows Hello and phones as well as keys, and Linux and macOS a phone:
    // the question is where, not which key.
    const notOnlyKeys = authenticators.some((a) => deviceOf(a) !== undefined);
    const headings = notOnlyKeys ? WINDOWS_HEADINGS[this.kind] : HEADINGS[this.kind];
    const items: RadioItem[] = authenticators.map((a) => ({ value: a.id, text: a.name, hint: hintFor(a, this.kind) }));
    const createHint = this.options.kiosk
      ? KIOSK_CREATE_HINT
      : notOnlyKeys
        ? undefined
        : "Choose a security key plugged into this computer.";
    const main = this.show(
      "choose",
      html`${error ? errorSummary([{ text: error, href: `#${radioId(Math.max(0, items.findIndex((i) => i.value === value)))}` }]) : ""}
    <form method="post" novalidate>
      ${radios({
        name: "authenticator",
        legend: headings.choose,
        hint: this.kind === "create" ? createHint : undefined,
        error,
        items,
        value,
      })}
      ${buttonGroup(button({ text: "Continue" }), CANCEL)}
    </form>`,
    );
    if (!main) return;
    this.wireCancel(main);
    main.querySelector("form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const picked = main.querySelector<HTMLInputElement>('input[name="authenticator"]:checked');
      if (!picked) {
        this.choose(authenticators, headings.chooseMissing);
        return;
      }
      disableButtons(main);
      this.act({ type: "choose", authenticator: picked.value });
    });
  }

  /**
   * The list changed while the choice is on screen (a key plugged in or taken out, Bluetooth
   * turned on or off): shows the new list, keeping what the person selected and where their
   * focus was, so that nothing jumps under them.
   */
  refreshChoice(authenticators: Authenticator[]): void {
    if (this.current !== "choose" || !this.main) return;
    const picked = this.main.querySelector<HTMLInputElement>('input[name="authenticator"]:checked')?.value;
    const refocus = sameControl(this.main, document.activeElement);
    this.choose(authenticators, this.choiceError, picked);
    const main = this.main as HTMLElement | null;
    if (main) refocus?.(main)?.focus();
  }

  /**
   * Waiting for the key or the phone: the live region says what it needs; the page stays
   * put. For a phone, `qr` (state phone-scan) is shown with what to do, and taken away
   * once the phone has found it.
   */
  waiting(state: WaitingState, qr?: PhoneQR): void {
    if (this.device === "qr-phone") {
      if (this.current !== "waiting") this.wireCancel(this.show("waiting", this.phonePage(), state));
      else this.setStatus(state);
      this.showQR(state === "phone-scan" ? qr : undefined);
      return;
    }
    if (this.current !== "waiting") {
      const main = this.show(
        "waiting",
        html`<h1>${HEADINGS[this.kind].waiting}</h1>
    <p>${this.device ? WINDOWS_WAITING[this.device] : "Keep your security key plugged in until this has finished."}</p>
    ${this.statusArea()}
    ${buttonGroup(CANCEL)}`,
        state,
      );
      this.wireCancel(main);
      return;
    }
    this.setStatus(state);
  }

  /**
   * Asks for the key's PIN. `wrong`: the last PIN was not correct; `retriesLeft`
   * is then said in the error message.
   */
  pin(options: { wrong?: boolean; retriesLeft?: number; error?: string } = {}): void {
    const error = options.error ?? (options.wrong ? wrongPinMessage(options.retriesLeft) : undefined);
    // After a wrong PIN the error says the tries left; the hint does not say them again.
    const hint = pinHint(options.wrong ? undefined : options.retriesLeft);
    const main = this.show(
      "pin",
      html`${error ? errorSummary([{ text: error, href: "#pin" }]) : ""}
    <form method="post" novalidate>
      ${pinField({ label: "Enter your security key PIN", heading: true, hint, error })}
      ${buttonGroup(button({ text: "Continue" }), CANCEL)}
    </form>`,
    );
    if (!main) return;
    this.wireCancel(main);
    main.querySelector("form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const pin = takeField(main, "pin");
      const problem = pinProblem(pin);
      if (problem) {
        this.pin({ ...options, wrong: false, error: problem });
        return;
      }
      disableButtons(main);
      this.act({ type: "pin", pin });
    });
  }

  /**
   * A key with no PIN needs one before it can save a passkey that checks it is
   * you (as browsers do): the PIN entered here becomes the key's PIN. It is
   * asked for twice, since a mistyped one would lock the person out. `minLength`: the key's
   * minimum PIN length (CTAP 2.1 §6.4 minPINLength), when it asks for more than 4.
   */
  newPin(errors: NewPinErrors = {}, minLength?: number): void {
    const items = (["pin", "pin-confirm"] as const).flatMap((id) => {
      const text = errors[id];
      return text ? [{ text, href: `#${id}` }] : [];
    });
    const main = this.show(
      "pin",
      html`${items.length ? errorSummary(items) : ""}
    <h1>Create a PIN for your security key</h1>
    <p>Your security key needs a PIN before it can save a passkey. You will enter this PIN each time you use the key to log in.</p>
    ${insetText(html`<p>${FORGOTTEN_PIN}</p>`)}
    <form method="post" novalidate>
      ${newPinFields({ id: "pin", keyMinLength: minLength, errors: { pin: errors.pin, again: errors["pin-confirm"] } })}
      ${buttonGroup(button({ text: "Continue" }), CANCEL)}
    </form>`,
    );
    if (!main) return;
    this.wireCancel(main);
    main.querySelector("form")?.addEventListener("submit", (event) => {
      event.preventDefault();
      const pin = takeField(main, "pin");
      const again = takeField(main, "pin-confirm");
      // The key's own minimum, as the shell read it; a key that refuses the PIN all the same
      // says so when the PIN is set (pin_policy).
      const problems = newPinProblems(pin, again, minLength);
      if (problems.pin || problems.again) {
        this.newPin({ pin: problems.pin, "pin-confirm": problems.again }, minLength);
        return;
      }
      disableButtons(main);
      this.act({ type: "pin", pin });
    });
  }

  /** The page of a phone ceremony: the QR code goes in #phone-qr (showQR). */
  private phonePage(): SafeHtml {
    return html`<h1>${HEADINGS[this.kind].waiting}</h1>
    <div id="phone-qr"></div>
    ${this.statusArea()}
    <p>${WINDOWS_WAITING["qr-phone"]}</p>
    ${buttonGroup(CANCEL)}`;
  }

  /** Shows the QR code and what to do with it, or takes them away (no `qr`). */
  private showQR(qr: PhoneQR | undefined): void {
    const area = this.main?.querySelector<HTMLElement>("#phone-qr");
    if (!area || !this.screen.isCurrent()) return;
    const image = area.querySelector("img");
    if (!qr) {
      if (!image) return;
      // Focus must not be lost with the details it may be on: the heading takes it.
      if (area.contains(document.activeElement)) {
        const heading = this.main?.querySelector<HTMLElement>("h1");
        heading?.setAttribute("tabindex", "-1");
        heading?.focus();
      }
      area.innerHTML = "";
      return;
    }
    if (image?.getAttribute("src") === qr.image) return;
    area.innerHTML = this.qrMarkup(qr).value;
  }

  private qrMarkup(qr: PhoneQR): SafeHtml {
    const create = this.kind === "create";
    const kiosk = this.options.kiosk === true;
    const cannotScan = create
      ? html`<p>You can save your passkey on a security key instead. Select Cancel, then choose your security key.</p>
      <p>If you cannot use the camera on your phone or tablet, ask someone you trust to help you scan the QR code${kiosk ? ", or ask a member of staff" : ""}.</p>
      <p>You can also set up a passkey later on the phone or tablet itself, in your NHS login settings.</p>`
      : html`<p>If your passkey is on a security key, select Cancel, then choose your security key.</p>
      <p>If you cannot use the camera on your phone or tablet, ask someone you trust to help you scan the QR code${kiosk ? ", or ask a member of staff" : ""}.</p>
      <p>You can also log in with your password instead.</p>`;
    return html`<ol class="nhsuk-list nhsuk-list--number">
      <li>Check that Bluetooth is turned on, on this computer and on your phone or tablet.</li>
      <li>Open the camera on your phone or tablet and point it at the QR code.</li>
      <li>Tap the link or button that appears on your phone or tablet.</li>
      <li>Follow the instructions on your phone or tablet to ${create ? "save your passkey" : "use your passkey"}.</li>
    </ol>
    <p><img class="app-qr-code" src="${qr.image}" alt="${QR_ALT}" width="360" height="360"></p>
    ${details("If you cannot scan the QR code", cannotScan)}`;
  }

  /** The person selected Cancel: say so while the shell stops the key. */
  cancelling(): void {
    if (this.main) disableButtons(this.main);
    if (this.current === "waiting" || this.current === "looking") this.setStatus("cancelling");
  }

  /** Renders a step; `status`: what its live region (from statusArea()) should say once it is on the page. */
  private show(
    step: NonNullable<DeviceSteps["current"]>,
    content: SafeHtml,
    status?: Parameters<typeof statusFor>[0],
  ): HTMLElement | null {
    this.current = step;
    const render = ++this.renders;
    this.wanted = status ?? null;
    this.said = null;
    this.live = false;
    this.main = this.screen.show({ content: column(content) });
    // The live region is rendered empty and filled just after, so that screen
    // readers, which announce changes to a region already on the page, say it.
    if (status && this.main) {
      setTimeout(() => {
        if (render !== this.renders) return;
        this.live = true;
        this.setStatus(this.wanted ?? status);
      }, 0);
    }
    return this.main;
  }

  private statusArea(): SafeHtml {
    return html`<div class="nhsuk-u-margin-bottom-5" id="device-status" role="status" aria-live="polite"></div>`;
  }

  private setStatus(state: Parameters<typeof statusFor>[0]): void {
    this.wanted = state;
    const region = this.main?.querySelector<HTMLElement>("#device-status");
    if (!this.live || !region || !this.screen.isCurrent() || this.said === state) return;
    this.said = state;
    region.innerHTML = statusMarkup(state, this.device).value;
  }

  private wireCancel(main: HTMLElement | null): void {
    main?.querySelector<HTMLButtonElement>("#cancel")?.addEventListener("click", () => {
      this.act({ type: "cancel" });
    });
  }
}
