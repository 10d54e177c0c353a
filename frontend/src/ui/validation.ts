// Checks made in the page before anything is sent, with the same messages the
// server returns in `fields` on 422 invalid_input (docs/api.md; backend/account/service.go and
// backend/passkey/names.go): a patient gets the same words for the same mistake whichever of
// the two finds it (validation.test.ts reads the server's). The server checks again; these
// only save a round trip.

export type FieldErrors = Partial<Record<"email" | "password" | "name" | "newPassword", string>>;

export const MESSAGES = {
  emailMissing: "Enter your email address",
  emailFormat: "Enter an email address in the correct format, like name@example.com",
  newPasswordMissing: "Enter a password",
  newPasswordTooShort: "Your password must be 8 characters or more",
  passwordMissing: "Enter your password",
  newPasswordTooLong: "Your password must be 256 characters or fewer",
  passkeyNameMissing: "Enter a name for your passkey",
  passkeyNameTooLong: "Passkey name must be 64 characters or fewer",
} as const;

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 256;
export const MAX_PASSKEY_NAME_LENGTH = 64;
const MAX_EMAIL_LENGTH = 254;

// One @, something before it, a domain with a dot after it, no spaces.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function emailError(email: string, { required }: { required: boolean }): string | undefined {
  if (email === "") return required ? MESSAGES.emailMissing : undefined;
  // RFC 5321 §4.5.3.1.3: no address is longer, so it cannot be in the right format (the server's words).
  if (email.length > MAX_EMAIL_LENGTH) return MESSAGES.emailFormat;
  if (!EMAIL_SHAPE.test(email)) return MESSAGES.emailFormat;
  return undefined;
}

/**
 * Counts characters as a person would, and as the server counts them: in code points, so an
 * emoji is one. Every length limit checked in the page counts with this.
 */
export function length(text: string): number {
  // eslint-disable-next-line @typescript-eslint/no-misused-spread -- the spread splits into code points, not UTF-16 units: that is the count wanted
  return [...text].length;
}

export function validateNewAccount(email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  const emailProblem = emailError(email, { required: true });
  if (emailProblem) errors.email = emailProblem;
  if (password === "") errors.password = MESSAGES.newPasswordMissing;
  else if (length(password) < MIN_PASSWORD_LENGTH) errors.password = MESSAGES.newPasswordTooShort;
  else if (length(password) > MAX_PASSWORD_LENGTH) errors.password = MESSAGES.newPasswordTooLong;
  return errors;
}

export function validatePasswordLogin(email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  const emailProblem = emailError(email, { required: true });
  if (emailProblem) errors.email = emailProblem;
  if (password === "") errors.password = MESSAGES.passwordMissing;
  return errors;
}

/** The email is optional for a passkey login: left empty, the device offers its passkeys. */
export function validatePasskeyLogin(email: string): FieldErrors {
  const emailProblem = emailError(email, { required: false });
  return emailProblem ? { email: emailProblem } : {};
}

export function hasErrors(errors: FieldErrors): boolean {
  return Object.values(errors).some(Boolean);
}

/** A new password for an account that is signed in (`POST /api/account/password`). */
export function validateNewPassword(newPassword: string): FieldErrors {
  if (newPassword === "") return { newPassword: MESSAGES.newPasswordMissing };
  if (length(newPassword) < MIN_PASSWORD_LENGTH) return { newPassword: MESSAGES.newPasswordTooShort };
  if (length(newPassword) > MAX_PASSWORD_LENGTH) return { newPassword: MESSAGES.newPasswordTooLong };
  return {};
}

/**
 * A passkey's new name, trimmed as the server trims it. Invisible characters and a name
 * another passkey has are left to the server, which says so in the same way.
 */
export function validatePasskeyName(name: string): FieldErrors {
  const trimmed = name.trim();
  if (trimmed === "") return { name: MESSAGES.passkeyNameMissing };
  if (length(trimmed) > MAX_PASSKEY_NAME_LENGTH) return { name: MESSAGES.passkeyNameTooLong };
  return {};
}

// Security key PINs. CTAP 2.1 §6.5.1 (PIN composition): at least 4 Unicode code points, or
// the key's own minimum (its getInfo minPINLength, CTAP 2.1 §6.4, never below 4), and at
// most 63 bytes in UTF-8. The shell checks the same before the key is asked.
export const MIN_PIN_CHARACTERS = 4;
export const MAX_PIN_BYTES = 63;

export const PIN_MESSAGES = {
  pinMissing: "Enter your security key PIN",
  newPinMissing: "Enter a new PIN",
  newPinAgainMissing: "Enter the new PIN again",
  newPinsDiffer: "The PINs you entered do not match",
  newPinSameAsCurrent: "Your new PIN must be different from your current PIN",
  tooLongInBytes: "PIN is too long. Letters with accents and some symbols take up more space, so use fewer of them",
} as const;

/** The fewest characters a new PIN may have on a key that asks for `keyMinLength`. */
export function newPinMinLength(keyMinLength = 0): number {
  return Math.max(MIN_PIN_CHARACTERS, keyMinLength);
}

/**
 * A PIN as the security key is given it: in Unicode Normalization Form C (CTAP 2.1 §6.5.1;
 * the app normalises every PIN before a key sees it), so "e" followed by a combining accent
 * is one character, and typing it either way is the same PIN.
 */
function keyForm(pin: string): string {
  return pin.normalize("NFC");
}

/** Why a PIN that is not empty cannot be one (too short, too long), or null. */
function pinLengthProblem(pin: string, minLength: number): string | null {
  const nfc = keyForm(pin);
  const characters = length(nfc);
  if (characters < minLength) return `PIN must be ${String(minLength)} characters or more`;
  if (characters > MAX_PIN_BYTES) return `PIN must be ${String(MAX_PIN_BYTES)} characters or fewer`;
  if (new TextEncoder().encode(nfc).length > MAX_PIN_BYTES) return PIN_MESSAGES.tooLongInBytes;
  return null;
}

/**
 * A key's PIN as typed to use it: it cannot be right if no key could have it, so it is not
 * sent (a wrong PIN costs one of the key's few tries).
 */
export function pinProblem(pin: string): string | null {
  return pin === "" ? PIN_MESSAGES.pinMissing : pinLengthProblem(pin, MIN_PIN_CHARACTERS);
}

/** What is wrong with a new PIN (`pin`) and its repetition (`again`); empty when nothing is. */
export interface NewPinProblems {
  pin?: string;
  again?: string;
}

/**
 * The one rule for a new PIN, wherever it is chosen (a key's PIN page, or a key that needs
 * one during a ceremony): present, long enough for the key, short enough in characters and
 * in bytes (all counted in the form the key is given), not the `current` PIN on a change,
 * then typed the same twice. The repetition is only judged once the PIN is fine.
 */
export function newPinProblems(pin: string, again: string, keyMinLength?: number, current?: string): NewPinProblems {
  const problem = pin === "" ? PIN_MESSAGES.newPinMissing : pinLengthProblem(pin, newPinMinLength(keyMinLength));
  if (problem) return { pin: problem };
  if (current && keyForm(current) === keyForm(pin)) return { pin: PIN_MESSAGES.newPinSameAsCurrent };
  if (again === "") return { again: PIN_MESSAGES.newPinAgainMissing };
  if (keyForm(again) !== keyForm(pin)) return { again: PIN_MESSAGES.newPinsDiffer };
  return {};
}
