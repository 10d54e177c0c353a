// What the app says about a security key's PIN, wherever it is asked for: the "Security
// keys" pages (pages/security-keys/) and the steps of a ceremony (ceremony/device-steps.ts).

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
