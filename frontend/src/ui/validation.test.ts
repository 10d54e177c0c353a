import { describe, expect, it } from "vitest";
import {
  MESSAGES,
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
    [`${"a".repeat(250)}@example.com`, "long enough", { email: MESSAGES.emailTooLong }],
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
    expect(MESSAGES.emailMissing).toBe("Enter an email address");
    expect(MESSAGES.emailFormat).toBe("Enter an email address in the correct format, like name@example.com");
    expect(MESSAGES.newPasswordTooShort).toBe("Password must be 8 characters or more");
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
