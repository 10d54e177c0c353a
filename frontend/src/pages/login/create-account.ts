// `/create-account`: an email address and a password. On success the server
// signs the person in and they land on their settings.

import type { App } from "../../shell/app";
import { html } from "../../ui/html";
import type { Page } from "../../shell/router";
import { validateNewAccount } from "../../ui/validation";
import { ApiError } from "../../api/request";
import { emailPasswordPage } from "./email-password";

export function createAccountPage(app: App): Page {
  return emailPasswordPage(app, {
    heading: "Create an account",
    intro: html`<p>You will use your email address and password to log in. Once you are in, you can set up a passkey so that you do not need your password.</p>`,
    back: "/",
    emailAutocomplete: "email",
    password: { label: "Create a password", hint: "It must be 8 characters or more.", autocomplete: "new-password" },
    submit: "Continue",
    busy: "Creating your account…",
    validate: validateNewAccount,
    send: (email, password) => app.api.createAccount(email, password),
    // An email that already has an account is said against the email field.
    refusal: (error) => (error instanceof ApiError && error.code === "email_taken" ? { fields: { email: error.message } } : null),
  });
}
