// `/logged-out`: where the app goes when it has logged someone out because they did nothing
// for too long, or had been logged in for the longest time allowed (shell/session-timeout.ts). It
// says why, and how to carry on.

import { takeNotice, type App } from "../../shell/app";
import { button } from "../../ui/components";
import { html } from "../../ui/html";
import type { Page } from "../../shell/router";
import { timedOutReason } from "../../shell/session-timeout";

export function loggedOutPage(app: App): Page {
  return (ctx) => {
    const timedOut = takeNotice(app.journey, "timed-out");
    const reason = !timedOut
      ? "We logged you out to keep your NHS login safe."
      : timedOut.absolute
        ? `${timedOutReason(timedOut)} This keeps your NHS login safe.`
        : `${timedOutReason(timedOut)} This keeps your NHS login safe if you leave your device.`;
    ctx.show({
      content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    <h1>You have been logged out</h1>
    <p>${reason}</p>
    <p>Anything you had not saved has not been kept.</p>
    ${button({ text: "Log in again", href: "/login", variant: "login" })}
  </div>
</div>`,
    });
  };
}
