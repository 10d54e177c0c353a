import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  MESSAGES,
  newPinProblems,
  PIN_MESSAGES,
  pinProblem,
  validateNewAccount,
  validateNewPassword,
  validatePasskeyLogin,
  validatePasskeyName,
  validatePasswordLogin,
} from "./validation";

describe("creating an account", () => {
  it.each([
    ["", "long enough", { email: MESSAGES.emailMissing }],
    ["name", "long enough", { email: MESSAGES.emailFormat }],
    ["name@example", "long enough", { email: MESSAGES.emailFormat }],
    ["name @example.com", "long enough", { email: MESSAGES.emailFormat }],
    ["a@b@example.com", "long enough", { email: MESSAGES.emailFormat }],
    [`${"a".repeat(250)}@example.com`, "long enough", { email: MESSAGES.emailFormat }],
    ["name@example.com", "p".repeat(257), { password: MESSAGES.newPasswordTooLong }],
    ["name@example.com", "", { password: MESSAGES.newPasswordMissing }],
    ["name@example.com", "1234567", { password: MESSAGES.newPasswordTooShort }],
    ["", "", { email: MESSAGES.emailMissing, password: MESSAGES.newPasswordMissing }],
  ])("%j with password %j is refused with %j", (email, password, expected) => {
    expect(validateNewAccount(email, password)).toEqual(expected);
  });

  it("accepts a usual address and a password of exactly 8 characters", () => {
    expect(validateNewAccount("pat.smith+nhs@mail.example.co.uk", "12345678")).toEqual({});
  });

  it("counts an emoji as one character, as a person would", () => {
    expect(validateNewAccount("a@example.com", "🙂🙂🙂🙂🙂🙂🙂")).toEqual({ password: MESSAGES.newPasswordTooShort });
  });

  it("uses NHS-style messages", () => {
    expect(MESSAGES.emailMissing).toBe("Enter your email address");
    expect(MESSAGES.emailFormat).toBe("Enter an email address in the correct format, like name@example.com");
    expect(MESSAGES.newPasswordTooShort).toBe("Your password must be 8 characters or more");
  });
});

describe("logging in", () => {
  it("with a password needs both fields", () => {
    expect(validatePasswordLogin("", "")).toEqual({ email: MESSAGES.emailMissing, password: MESSAGES.passwordMissing });
    expect(validatePasswordLogin("a@example.com", "x")).toEqual({});
  });

  it("with a passkey lets the email be left out (the device offers its passkeys) but checks one that is typed", () => {
    expect(validatePasskeyLogin("")).toEqual({});
    expect(validatePasskeyLogin("not an email")).toEqual({ email: MESSAGES.emailFormat });
    expect(validatePasskeyLogin("a@example.com")).toEqual({});
  });
});

describe("account changes", () => {
  it("a new password is 8 to 256 characters, counted as a person counts them", () => {
    expect(validateNewPassword("")).toEqual({ newPassword: MESSAGES.newPasswordMissing });
    expect(validateNewPassword("1234567")).toEqual({ newPassword: MESSAGES.newPasswordTooShort });
    expect(validateNewPassword("🔑🔑🔑🔑🔑🔑🔑🔑")).toEqual({});
    expect(validateNewPassword("x".repeat(256))).toEqual({});
    expect(validateNewPassword("x".repeat(257))).toEqual({ newPassword: MESSAGES.newPasswordTooLong });
  });

  it("a passkey name is 1 to 64 characters once trimmed", () => {
    expect(validatePasskeyName("")).toEqual({ name: MESSAGES.passkeyNameMissing });
    expect(validatePasskeyName("   ")).toEqual({ name: MESSAGES.passkeyNameMissing });
    expect(validatePasskeyName(` ${"x".repeat(64)} `)).toEqual({});
    expect(validatePasskeyName("é".repeat(64))).toEqual({});
    expect(validatePasskeyName("x".repeat(65))).toEqual({ name: MESSAGES.passkeyNameTooLong });
  });
});

describe("a new security key PIN (the one rule, on the key's PIN page and during a ceremony)", () => {
  const accents = PIN_MESSAGES.tooLongInBytes;
  it.each([
    ["an empty PIN is asked for", "", "", undefined, { pin: "Enter a new PIN" }],
    ["3 characters are too few", "123", "123", undefined, { pin: "PIN must be 4 characters or more" }],
    ["a key's own minimum is kept", "12345", "12345", 6, { pin: "PIN must be 6 characters or more" }],
    ["a key's minimum below 4 still means 4", "123", "123", 2, { pin: "PIN must be 4 characters or more" }],
    ["64 characters are too many", "8".repeat(64), "8".repeat(64), undefined, { pin: "PIN must be 63 characters or fewer" }],
    ["63 characters that take 64 bytes are too long", `${"8".repeat(62)}é`, `${"8".repeat(62)}é`, undefined, { pin: accents }],
    ["32 accented letters (64 bytes) are too long", "é".repeat(32), "", undefined, { pin: accents }],
    ["an emoji counts as one character, so 4 of them are enough", "😀😀😀😀", "😀😀😀😀", undefined, {}],
    ["a PIN typed once is asked for again", "1357", "", undefined, { again: "Enter the new PIN again" }],
    ["two PINs that differ are refused", "1357", "1358", undefined, { again: "The PINs you entered do not match" }],
    ["the repetition is not judged while the PIN itself is wrong", "12", "34", undefined, { pin: "PIN must be 4 characters or more" }],
    ["4 characters typed the same twice are a PIN", "1357", "1357", undefined, {}],
    ["63 one-byte characters are a PIN", "8".repeat(63), "8".repeat(63), undefined, {}],
    ["two accents typed as letter and mark are 2 characters, too few", "e\u0301e\u0301", "e\u0301e\u0301", undefined, { pin: "PIN must be 4 characters or more" }],
    ["63 accented letters typed as letter and mark are 126 bytes, too long", "e\u0301".repeat(63), "", undefined, { pin: accents }],
    ["the same PIN typed composed and decomposed matches", "caf\u00e9", "cafe\u0301", undefined, {}],
  ])("%s", (_name, pin, again, keyMin, expected) => {
    expect(newPinProblems(pin, again, keyMin)).toEqual(expected);
  });
  it.each([
    ["the current PIN again is refused", "2468", "2468", "2468", { pin: PIN_MESSAGES.newPinSameAsCurrent }],
    ["the current PIN with its accent typed another way is refused", "caf\u00e9", "caf\u00e9", "cafe\u0301", { pin: PIN_MESSAGES.newPinSameAsCurrent }],
    ["another PIN is a change", "1357", "1357", "2468", {}],
    ["a first PIN has no current one", "1357", "1357", undefined, {}],
  ])("%s", (_name, pin, again, current, expected) => {
    expect(newPinProblems(pin, again, undefined, current)).toEqual(expected);
  });
});

describe("a security key PIN typed to use it", () => {
  it.each([
    ["", PIN_MESSAGES.pinMissing],
    ["123", "PIN must be 4 characters or more"],
    ["x".repeat(64), "PIN must be 63 characters or fewer"],
    ["é".repeat(32), PIN_MESSAGES.tooLongInBytes],
    ["1234", null],
  ])("%j gives %j", (pin, expected) => {
    expect(pinProblem(pin)).toBe(expected);
  });
});

// The page checks a form before sending it only to save a round trip (validation.ts); the
// server checks again and says what is wrong in `fields` (docs/api.md, 422 invalid_input). A
// patient must get the same words for the same mistake whichever of the two found it: the
// server's messages are the contract, read here from the Go source that sends them.
describe("the page's own checks and the server's", () => {
  const goSource = (path: string) => readFileSync(join(import.meta.dirname, "../../..", path), "utf8");
  const server = { ...goConstants(goSource("backend/account/service.go")), ...goConstants(goSource("backend/passkey/names.go")) };
  const long = (n: number) => "p".repeat(n);

  it.each([
    ["an empty email address when creating an account", validateNewAccount("", "long enough").email, "msgEnterEmail"],
    ["an empty email address when logging in with a password", validatePasswordLogin("", "x").email, "msgEnterEmail"],
    ["an email address in the wrong format", validateNewAccount("name@example", "long enough").email, "msgEmailFormat"],
    ["an email address in the wrong format when logging in with a passkey", validatePasskeyLogin("not an email").email, "msgEmailFormat"],
    ["an email address over 254 characters", validateNewAccount(`${"a".repeat(250)}@example.com`, "long enough").email, "msgEmailFormat"],
    ["an empty new password", validateNewAccount("a@example.com", "").password, "msgEnterNewPassword"],
    ["a new password that is too short", validateNewAccount("a@example.com", "1234567").password, "msgPasswordTooShort"],
    ["a new password that is too long", validateNewAccount("a@example.com", long(257)).password, "msgPasswordTooLong"],
    ["a changed password that is too short", validateNewPassword("1234567").newPassword, "msgPasswordTooShort"],
    ["a changed password that is too long", validateNewPassword(long(257)).newPassword, "msgPasswordTooLong"],
    ["an empty password when logging in", validatePasswordLogin("a@example.com", "").password, "msgEnterPassword"],
    ["an empty passkey name", validatePasskeyName("  ").name, "msgEnterName"],
    ["a passkey name over 64 characters", validatePasskeyName(long(65)).name, "msgNameTooLong"],
  ])("%s gets the server's words", (_what, page, constant) => {
    expect(server[constant]).toBeTruthy();
    expect(page).toBe(server[constant]);
  });
});

/** The string constants of a Go file: `name = "text"`. */
function goConstants(source: string): Record<string, string> {
  const constants: Record<string, string> = {};
  for (const [, name, text] of source.matchAll(/^\s*(msg\w+)\s*=\s*"([^"]*)"/gm)) {
    if (name !== undefined && text !== undefined) constants[name] = text;
  }
  return constants;
}
