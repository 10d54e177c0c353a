// A security key's PIN, wherever it is asked for (the "Security keys" pages and the steps of a
// ceremony, ceremony/device-steps.ts): its fields and what they say. Only pages loaded when
// first opened use it, so it is kept out of components.ts, which the start page loads.

import { passwordInput } from "./components";
import { html, type SafeHtml } from "./html";
import { newPinMinLength } from "./validation";

/** "You have 3 tries left." */
export function triesLeft(n: number): string {
  return `You have ${n} ${n === 1 ? "try" : "tries"} left.`;
}

/**
 * The hint of the field for a key's PIN. `retriesLeft`: the tries the key has left, said once
 * there are 3 or fewer (null or undefined when not known). `extra` comes first.
 */
export function pinHint(retriesLeft: number | null | undefined, extra?: string): string {
  const warn = typeof retriesLeft === "number" && retriesLeft <= 3 ? ` ${triesLeft(retriesLeft)}` : "";
  return `${extra ? `${extra} ` : ""}This is the PIN you chose for your security key. It is not your NHS login password.${warn}`;
}

/** Said where a key's first PIN is chosen. */
export const FORGOTTEN_PIN = "If you forget this PIN, your security key will need to be reset. Resetting it deletes all the passkeys on it.";

/** The hint of the field for a new PIN, on a key that asks for at least `keyMinLength` characters. */
export function newPinHint(keyMinLength?: number): string {
  return `Use ${String(newPinMinLength(keyMinLength))} characters or more. You can use numbers, letters and symbols.`;
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

/**
 * A new PIN for a key, asked for twice, since a mistyped one would lock the person out: the
 * PIN in #`id`, again in #`id`-confirm. `keyMinLength`: the fewest characters the key asks for.
 */
export function newPinFields(options: { id: string; keyMinLength?: number; errors: { pin?: string; again?: string } }): SafeHtml {
  return html`${pinField({ id: options.id, label: "New PIN", hint: newPinHint(options.keyMinLength), error: options.errors.pin })}
      ${pinField({ id: `${options.id}-confirm`, label: "Enter the new PIN again", error: options.errors.again })}`;
}
