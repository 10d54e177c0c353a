// `/`: what a passkey is, and the way in. Someone already signed in goes
// straight to their settings.
// In kiosk mode every visit ends with a full load of `/?ended=...` (shell/kiosk.ts): the page says
// how it ended, and the address goes back to "/" at once.

import { ApiError } from "../../api/request";
import { takeNotice, type App } from "../../shell/app";
import { button, importantBanner, successBanner } from "../../ui/components";
import { html, type SafeHtml } from "../../ui/html";
import { takeVisitEnd, type VisitEnd } from "../../shell/kiosk";
import type { Page } from "../../shell/router";
import { timedOutReason } from "../../shell/session-timeout";

const SHARED_COMPUTER = "This keeps your NHS login safe on a shared computer.";

function endedBanner(end: VisitEnd): SafeHtml {
  switch (end.kind) {
    case "logged-out":
      return successBanner("You have logged out", html`<p>If you used a security key, remember to take it with you.</p>`);
    case "timed-out":
      return importantBanner(
        "You have been logged out",
        html`<p>${timedOutReason(end)} ${SHARED_COMPUTER}</p>
    <p>Log in again to carry on.</p>`,
      );
    case "key-removed":
      return importantBanner(
        "You have been logged out",
        html`<p>We logged you out because your security key was taken out of this computer. ${SHARED_COMPUTER}</p>
    <p>To carry on, put your security key back in and log in again.</p>`,
      );
  }
}

export function startPage(app: App): Page {
  return async (ctx) => {
    const ended = takeVisitEnd();
    const banner = ended
      ? endedBanner(ended)
      : takeNotice(app.journey, "logged-out")
        ? successBanner("You have logged out")
        : null;
    let unreachable: SafeHtml | null = null;
    // The desktop app whose saved information cannot be opened (data_unusable, docs/api.md):
    // nothing here can work until it is put right, so the page says why instead of offering
    // ways in that would fail.
    let unusable = false;
    if (!banner) {
      try {
        const session = await app.api.getSession();
        if (session.signedIn) {
          await ctx.navigate("/account/security", { replace: true });
          return;
        }
      } catch (error) {
        // The start page is still useful without an answer: show it anyway. A desktop app or
        // kiosk whose relying party is a fleet's server that cannot be reached
        // (relying_party_unreachable, docs/api.md) says so before anyone tries to log in.
        if (error instanceof ApiError && error.code === "relying_party_unreachable") {
          unreachable = importantBanner("You cannot log in at the moment", html`<p>${error.message}</p>`);
        } else if (error instanceof ApiError && error.code === "data_unusable") {
          unusable = true;
          unreachable = importantBanner(
            "This app cannot open the information it has saved",
            // The message names a file in full: a long path must wrap, not run out of the box.
            html`<p class="nhsuk-u-text-break-word">${error.message}</p>
    <p>If you are not sure what to do, ask whoever looks after this computer for help.</p>`,
          );
        } else {
          console.error(error);
        }
      }
    }

    ctx.show({
      content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${banner ?? unreachable ?? ""}
    <h1>Manage passkeys for your NHS login</h1>
    <p class="nhsuk-lede-text">A passkey lets you log in to your NHS login without typing a password.</p>
    <p>It is saved on your phone, tablet, computer or security key, and you use it by unlocking that device with your fingerprint, face, PIN or pattern. Nobody else can see or use your passkey, not even NHS login.</p>
    ${unusable
      ? ""
      : html`<div class="nhsuk-button-group">
      ${button({ text: "Log in", href: "/login", variant: "login" })}
      ${button({ text: "Create an account", href: "/create-account", variant: "secondary" })}
    </div>`}
  </div>
</div>`,
    });
  };
}
