// `/`: what a passkey is, and the way in. Someone already signed in goes
// straight to their settings.

import { takeNotice, type App } from "../app";
import { button, successBanner } from "../components";
import { html } from "../html";
import type { Page } from "../router";

export function startPage(app: App): Page {
  return async (ctx) => {
    const loggedOut = takeNotice(app.journey, "logged-out");
    if (!loggedOut) {
      try {
        const session = await app.api.getSession();
        if (session.signedIn) {
          await ctx.navigate("/account/security", { replace: true });
          return;
        }
      } catch (error) {
        // The start page is still useful without an answer: show it anyway.
        console.error(error);
      }
    }

    ctx.show({
      content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${loggedOut ? successBanner("You have logged out") : ""}
    <h1>Manage passkeys for your NHS login</h1>
    <p class="nhsuk-lede-text">A passkey lets you log in to your NHS login without typing a password.</p>
    <p>It is saved on your phone, tablet, computer or security key, and you use it by unlocking that device with your fingerprint, face, PIN or pattern. Nobody else can see or use your passkey, not even NHS login.</p>
    <div class="nhsuk-button-group">
      ${button({ text: "Log in", href: "/login", variant: "login" })}
      ${button({ text: "Create an account", href: "/create-account", variant: "secondary" })}
    </div>
  </div>
</div>`,
    });
  };
}
