// The desktop app's ceremonies. The webview has no WebAuthn: the Go shell is
// the WebAuthn client and works with the security key behind the device
// endpoints (docs/api.md, "Device endpoints"). This module runs one ceremony:
//
//   which key? (GET /api/device/authenticators, every second until one is in)
//   -> POST /api/device/ceremonies {kind, authenticator, publicKey}
//   -> GET /api/device/ceremonies/{id} about every 300 ms, showing each state
//      (insert the key, touch it, its PIN -> POST .../pin), Cancel -> POST .../cancel
//   -> done: the credential, the same JSON as the browser's toJSON(), for the
//      page to send to the same finish endpoint.
//
// What the person sees is in ceremony/device-steps.ts.

import type { Api } from "../api/service";
import { ceremonyError, type CeremonyDevice, type CeremonyKind, type CeremonyReason, type Ceremonies } from "./ceremony";
import { DeviceSteps, deviceOf, type StepAction } from "./device-steps";
import { ApiError, SERVICE_PROBLEM } from "../api/request";
import type { Screen } from "../ui/view";
import type { CredentialJSON } from "../api/passkeys";
import type { Authenticator, DeviceCeremony } from "../api/device-ceremonies";

export type DeviceApi = Pick<
  Api,
  "listAuthenticators" | "startDeviceCeremony" | "getDeviceCeremony" | "sendDevicePin" | "cancelDeviceCeremony"
>;

/** How often to ask how the ceremony is going; quick enough that a touch feels answered. */
export const CEREMONY_POLL_MS = 300;
/** How often to look for a security key while none is plugged in. */
export const KEY_POLL_MS = 1000;

export interface DeviceCeremonyOptions {
  /** Resolves after `ms`; tests pass a quicker one. */
  wait?: (ms: number) => Promise<void>;
  /**
   * Kiosk mode (a shared computer): only portable authenticators are offered, a security key
   * or a phone or tablet, never this computer's own (Windows Hello), even if the shell lists
   * one; and the steps say why.
   */
  kiosk?: boolean;
  /** The desktop app on Windows: pages describe Windows' own dialogs (client "windows"). */
  windows?: boolean;
}

const FAILURE_REASONS: Record<string, CeremonyReason> = {
  no_authenticator: "no_authenticator",
  cancelled: "cancelled",
  timed_out: "timed_out",
  pin_auth_blocked: "pin_auth_blocked",
  pin_blocked: "pin_blocked",
  pin_policy: "pin_policy",
  pin_change_required: "pin_change_required",
  already_registered: "already_registered",
  no_passkey_on_key: "no_passkey_on_key",
  key_full: "key_full",
  key_removed: "key_removed",
  not_allowed: "not_allowed",
  device_error: "device_error",
  // Only ever seen here if a wrong PIN ended the ceremony rather than asking again.
  pin_invalid: "not_allowed",
};

export function deviceCeremonies(api: DeviceApi, options: DeviceCeremonyOptions = {}): Ceremonies {
  const wait = options.wait ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const kiosk = options.kiosk === true;
  return {
    client: options.windows === true ? "windows" : "device",
    unavailable: () => null,
    create: (publicKey, screen) => new DeviceRun(api, wait, "create", screen, kiosk).run(publicKey),
    get: (publicKey, screen, account) => new DeviceRun(api, wait, "get", screen, kiosk).run(publicKey, account),
  };
}

/** The person's actions, in order; a poll waits for the next one or for its interval to pass. */
class Inbox<T> {
  private readonly queue: T[] = [];
  private waiter: ((item: T | undefined) => void) | null = null;

  push(item: T): void {
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = null;
      waiter(item);
    } else {
      this.queue.push(item);
    }
  }

  /** The next action, or undefined once `timeout` settles with none. */
  next(timeout: Promise<void>): Promise<T | undefined> {
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return new Promise((resolve) => {
      this.waiter = resolve;
      void timeout.then(() => {
        if (this.waiter !== resolve) return;
        this.waiter = null;
        resolve(undefined);
      });
    });
  }
}

/** What the chooser shows of a list: which authenticators, and whether each can be used. */
function signature(list: Authenticator[]): string {
  return JSON.stringify(list.map((a) => [a.id, a.name, a.pinSet, a.unavailable?.message ?? ""]));
}

function checked(ceremony: DeviceCeremony | undefined): DeviceCeremony {
  if (!ceremony || typeof ceremony.id !== "string" || typeof ceremony.state !== "string") {
    throw new ApiError(200, "unexpected_response", SERVICE_PROBLEM);
  }
  return ceremony;
}

class DeviceRun {
  private readonly actions = new Inbox<StepAction>();
  private readonly steps: DeviceSteps | null;

  constructor(
    private readonly api: DeviceApi,
    private readonly wait: (ms: number) => Promise<void>,
    private readonly kind: CeremonyKind,
    private readonly screen: Screen | undefined,
    private readonly kiosk: boolean,
  ) {
    this.steps = screen ? new DeviceSteps(screen, kind, (action) => this.actions.push(action), { kiosk }) : null;
  }

  /** What the shell offers; in kiosk mode never this computer itself. */
  private async authenticators(): Promise<Authenticator[]> {
    const all = await this.api.listAuthenticators();
    return this.kiosk ? all.filter((a) => a.kind !== "platform") : all;
  }

  async run(
    publicKey: PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON,
    account?: string,
  ): Promise<CredentialJSON> {
    // The steps need the page; a caller without one has a bug.
    if (!this.steps || !this.screen) throw ceremonyError("unknown", this.kind);
    const authenticator = await this.chooseAuthenticator(this.steps);
    this.steps.use(authenticator);
    const ceremony = checked(await this.api.startDeviceCeremony(this.kind, authenticator.id, publicKey, account));
    // The contract says nothing more: a key listed without a PIN that asks for one while
    // saving a passkey is asking for a new one, which becomes its PIN (app/device does
    // this, as browsers do).
    const newPin = this.kind === "create" && !authenticator.pinSet;
    // An object, not a boolean: set by the callback, which control-flow analysis cannot see.
    const ceremonyState = { ended: false };
    try {
      const credential = await this.follow(ceremony, this.steps, newPin, deviceOf(authenticator), () => {
        ceremonyState.ended = true;
      });
      return credential;
    } finally {
      // Leaving the page, a lost connection, a bug: the key must not keep waiting for a touch.
      if (!ceremonyState.ended) void this.api.cancelDeviceCeremony(ceremony.id).catch(() => {});
    }
  }

  /** Throws "stopped" once the person has left the page: nothing more may be shown. */
  private stillHere(): void {
    if (!this.screen?.isCurrent()) throw ceremonyError("stopped", this.kind);
  }

  private async chooseAuthenticator(steps: DeviceSteps): Promise<Authenticator> {
    let authenticators: Authenticator[] = await this.authenticators();
    this.stillHere();
    if (authenticators.length === 0) {
      steps.lookingForKey();
      while (authenticators.length === 0) {
        const action = await this.actions.next(this.wait(KEY_POLL_MS));
        this.stillHere();
        if (action?.type === "cancel") throw ceremonyError("you_cancelled", this.kind);
        authenticators = await this.authenticators();
        this.stillHere();
      }
    }
    steps.choose(authenticators);
    for (;;) {
      const action = await this.actions.next(this.wait(KEY_POLL_MS));
      this.stillHere();
      if (action?.type === "cancel") throw ceremonyError("you_cancelled", this.kind);
      if (action === undefined) {
        // The phone is listed even with no key plugged in (docs/api.md): a key plugged in
        // meanwhile, or Bluetooth turned on, is shown as it happens, the choice kept.
        const now = await this.authenticators();
        this.stillHere();
        if (now.length > 0 && signature(now) !== signature(authenticators)) {
          authenticators = now;
          steps.refreshChoice(authenticators);
        }
        continue;
      }
      if (action.type !== "choose") continue;
      const chosen = authenticators.find((a) => a.id === action.authenticator);
      if (!chosen) continue;
      if (!chosen.unavailable) return chosen;
      // The phone could not be used when listed (Bluetooth off...): the person may have fixed
      // it since. If not, the reason is said again, as the choice's error.
      authenticators = await this.authenticators();
      this.stillHere();
      const now = authenticators.find((a) => a.id === chosen.id);
      if (now && !now.unavailable) return now;
      if (authenticators.length === 0) throw ceremonyError("no_authenticator", this.kind);
      steps.choose(authenticators, (now ?? chosen).unavailable?.message, now ? now.id : undefined);
    }
  }

  /** Follows the shell's ceremony to its end, showing each state. */
  private async follow(
    first: DeviceCeremony,
    steps: DeviceSteps,
    newPin: boolean,
    device: CeremonyDevice | undefined,
    end: () => void,
  ): Promise<CredentialJSON> {
    let ceremony = first;
    let pinIsNew = newPin;
    // A PIN has gone to the key: asked for one again means it was wrong. (A key may ask
    // for a touch before it checks the PIN, so other states in between do not clear this.)
    let pinSent = false;
    for (;;) {
      this.stillHere();
      switch (ceremony.state) {
        case "done": {
          end();
          // The shell's answer is checked, not trusted: a "done" must carry a credential.
          const credential: unknown = ceremony.credential;
          if (typeof credential !== "object" || credential === null) throw ceremonyError("unknown", this.kind);
          steps.waiting("done");
          return credential as CredentialJSON;
        }
        case "failed": {
          end();
          const code = ceremony.error?.code ?? "";
          throw ceremonyError(FAILURE_REASONS[code] ?? "unknown", this.kind, ceremony.error?.message, device);
        }
        case "pin-needed":
          if (pinIsNew) {
            if (!steps.showing("pin")) steps.newPin({}, ceremony.minPinLength);
          } else if (pinSent) {
            steps.pin({ wrong: true, retriesLeft: ceremony.retriesLeft });
            pinSent = false;
          } else if (!steps.showing("pin")) {
            steps.pin({ retriesLeft: ceremony.retriesLeft });
          }
          break;
        case "insert-key":
        case "touch":
        case "working":
        case "phone-scan":
        case "phone-found":
        case "phone-connecting":
        case "phone-confirm":
          steps.waiting(ceremony.state, ceremony.qr);
          break;
        default:
          throw new ApiError(200, "unexpected_response", SERVICE_PROBLEM);
      }

      const action = await this.actions.next(this.wait(CEREMONY_POLL_MS));
      this.stillHere();
      if (action?.type === "cancel") {
        steps.cancelling();
        end();
        try {
          await this.api.cancelDeviceCeremony(ceremony.id);
        } catch (error) {
          console.error(error); // the shell ends it anyway when it times out
        }
        throw ceremonyError("you_cancelled", this.kind);
      }
      if (action?.type === "pin" && ceremony.state === "pin-needed") {
        pinSent = true;
        pinIsNew = false; // from now on it is the key's PIN
        try {
          ceremony = checked(await this.api.sendDevicePin(ceremony.id, action.pin));
          continue;
        } catch (error) {
          // The key stopped waiting for it meanwhile (timed out, removed): the next look says why.
          if (!(error instanceof ApiError && error.code === "pin_not_needed")) throw error;
          pinSent = false;
        }
      }
      ceremony = checked(await this.api.getDeviceCeremony(ceremony.id));
    }
  }
}
