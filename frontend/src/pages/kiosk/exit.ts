// `/kiosk/exit` (kiosk mode only; anywhere else "Page not found"): staff close the app with
// the administrator secret (POST /api/device/kiosk/exit, api/kiosk.ts). A patient cannot
// leave kiosk mode. The server checks the secret and counts wrong tries; the page shows what
// it says. The secret is sent once and the field is emptied after every try.

import { isKiosk, type App } from "../../shell/app";
import { button, buttonGroup, errorSummary, passwordInput, statusArea, column } from "../../ui/components";
import { markBusy, onSubmit, takeField } from "../../ui/forms";
import { html } from "../../ui/html";
import { LiveRegion } from "../../ui/live-region";
import { createKioskApi, type KioskApi } from "../../api/kiosk";
import type { Page, PageContext } from "../../shell/router";
import { notFoundPage } from "../errors/not-found";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";

interface Problem {
  text: string;
  /** Whether it is about the secret typed (an inline message too), or the whole form. */
  field: boolean;
}

/** The server's words: the field's message where there is one. */
function problemFrom(error: unknown): Problem {
  if (error instanceof ApiError) {
    const field = error.fields["secret"];
    if (field) return { text: field, field: true };
    return { text: error.message, field: error.code === "wrong_admin_secret" || error.code === "invalid_input" };
  }
  return { text: messageFor(error, SERVICE_PROBLEM), field: false };
}

export function kioskExitPage(app: App, kiosk: KioskApi = createKioskApi()): Page {
  return async (ctx) => {
    if (!(await isKiosk(app))) {
      if (ctx.isCurrent()) await notFoundPage(ctx);
      return;
    }
    render(ctx, kiosk, null);
  };
}

function render(ctx: PageContext, kiosk: KioskApi, problem: Problem | null): void {
  const main = ctx.show({
    content: column(html`${problem ? errorSummary([{ text: problem.text, href: problem.field ? "#secret" : undefined }]) : ""}
    <h1>Close the app</h1>
    <p>This is for staff who look after this computer. Closing the app ends kiosk mode.</p>
    <p>If you are a patient, you do not need to close the app. Log out when you have finished and take your security key with you.</p>
    <form method="post" novalidate>
      ${passwordInput({
        id: "secret",
        label: "Administrator secret",
        hint: "This was set when the app was installed on this computer. It is not an NHS login password.",
        error: problem?.field ? problem.text : undefined,
        autocomplete: "off",
        secretName: "administrator secret",
      })}
      ${statusArea("exit-status")}
      ${buttonGroup(button({ text: "Close the app" }), html`<a class="nhsuk-link" href="/">Cancel</a>`)}
    </form>`),
  });
  if (!main) return;
  onSubmit(main, async (form) => {
    const secret = takeField(form, "secret");
    const done = markBusy(form, "Checking the secret…");
    try {
      await kiosk.exit(secret);
    } catch (error) {
      done();
      if (!(error instanceof ApiError)) console.error(error);
      if (ctx.isCurrent()) render(ctx, kiosk, problemFrom(error));
      return;
    }
    closing(ctx);
  });
}

/**
 * The app quits about a second after agreeing to. The live region is rendered empty and given
 * its words once it is on the page (LiveRegion): one added together with its text is not
 * announced.
 */
function closing(ctx: PageContext): void {
  const main = ctx.show({
    content: column(html`<h1>The app is closing</h1>
    ${LiveRegion.markup("closing-status")}`),
  });
  if (main) new LiveRegion(main, "closing-status").say("The app will close in a moment. Kiosk mode ends when it does.");
}
