// Checks made in the page before anything is sent, with the same messages the
// server returns in `fields` on 422 invalid_input (docs/api.md). The server
// checks again; these only save a round trip.

export type FieldErrors = Partial<Record<"email" | "password", string>>;

export const MESSAGES = {
  emailMissing: "Enter an email address",
  emailFormat: "Enter an email address in the correct format, like name@example.com",
  emailTooLong: "Email address must be 254 characters or fewer",
  newPasswordMissing: "Enter a password",
  newPasswordTooShort: "Password must be 8 characters or more",
  passwordMissing: "Enter your password",
} as const;

export const MIN_PASSWORD_LENGTH = 8;
const MAX_EMAIL_LENGTH = 254;

// One @, something before it, a domain with a dot after it, no spaces.
const EMAIL_SHAPE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

export function emailError(email: string, { required }: { required: boolean }): string | undefined {
  if (email === "") return required ? MESSAGES.emailMissing : undefined;
  if (email.length > MAX_EMAIL_LENGTH) return MESSAGES.emailTooLong;
  if (!EMAIL_SHAPE.test(email)) return MESSAGES.emailFormat;
  return undefined;
}

/** Counts characters as a person would: an emoji or accented letter is one. */
function length(text: string): number {
  return [...text].length;
}

export function validateNewAccount(email: string, password: string): FieldErrors {
  const errors: FieldErrors = {};
  const emailProblem = emailError(email, { required: true });
  if (emailProblem) errors.email = emailProblem;
  if (password === "") errors.password = MESSAGES.newPasswordMissing;
  else if (length(password) < MIN_PASSWORD_LENGTH) errors.password = MESSAGES.newPasswordTooShort;
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
