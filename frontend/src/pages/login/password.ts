// `/login/password`: the fallback when a passkey cannot be used. The email
// typed on /login is offered again (from memory, never from the address).

import type { App } from "../../shell/app";
import type { Page } from "../../shell/router";
import { validatePasswordLogin } from "../../ui/validation";
import { emailPasswordPage } from "./email-password";
import { loginRefusal } from "./refusals";

export function loginPasswordPage(app: App): Page {
  return emailPasswordPage(app, {
    heading: "Log in with your password",
    back: "/login",
    emailAutocomplete: "username",
    password: { label: "Password", autocomplete: "current-password" },
    submit: "Log in",
    busy: "Checking your email address and password…",
    validate: validatePasswordLogin,
    send: async (email, password) => {
      await app.api.loginWithPassword(email, password);
      app.journey.loggedInWith = "password";
    },
    // A pause (too many wrong passwords) says until when, and offers a passkey instead.
    refusal: loginRefusal,
  });
}
