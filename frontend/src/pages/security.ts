// `/account/security`: "Login and security settings". Who is signed in, their
// passkeys, the way to set up another one, and logging out.

import { SERVICE_PROBLEM, type Account, type Passkey } from "../api";
import { isNotSignedIn, requireAccount, takeNotice, type App } from "../app";
import { button, errorSummary, successBanner, summaryList } from "../components";
import { formatDate } from "../dates";
import { markBusy, messageFor, onSubmit, submitButton } from "../forms";
import { html, type SafeHtml } from "../html";
import type { Page, PageContext } from "../router";

interface State {
  account: Account;
  passkeys: Passkey[];
  /** The passkey just set up, announced once in a success banner. */
  justSetUp: string | null;
  problem: string | null;
}

export function securityPage(app: App): Page {
  return async (ctx) => {
    const account = await requireAccount(app, ctx);
    if (!account) return;
    let passkeys: Passkey[];
    try {
      passkeys = await app.api.listPasskeys();
    } catch (error) {
      if (isNotSignedIn(error)) {
        if (ctx.isCurrent()) await ctx.navigate("/login", { replace: true });
        return;
      }
      throw error;
    }
    const notice = takeNotice(app.journey, "passkey-set-up");
    render(app, ctx, { account, passkeys, justSetUp: notice?.passkeyName ?? null, problem: null });
  };
}

export function passkeyDetails(passkey: Passkey): SafeHtml {
  return html`<p>Added ${formatDate(passkey.createdAt)}</p>
<p>${passkey.lastUsedAt ? `Last used ${formatDate(passkey.lastUsedAt)}` : "Not used yet"}</p>
${passkey.backedUp ? html`<p>Backed up, so you can also use it on your other devices</p>` : ""}`;
}

function passkeyList(passkeys: Passkey[]): SafeHtml {
  if (passkeys.length === 0) return html`<p>You have not set up a passkey yet.</p>`;
  return html`<p>You can log in with any of these passkeys.</p>
${summaryList(passkeys.map((passkey) => ({ key: passkey.name, value: passkeyDetails(passkey) })))}`;
}

function render(app: App, ctx: PageContext, state: State): void {
  const main = ctx.show({
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${state.problem ? errorSummary([{ text: state.problem }]) : ""}
    ${
      state.justSetUp !== null
        ? successBanner(
            "Passkey set up",
            html`<p>Your passkey “${state.justSetUp}” is ready. Next time you log in, your device will ask you to use it.</p>`,
          )
        : ""
    }
    <h1>Login and security settings</h1>
    <p>You are logged in as <strong>${state.account.email}</strong>.</p>
    <h2>Passkeys</h2>
    ${passkeyList(state.passkeys)}
    ${button({ text: "Set up a passkey", href: "/account/passkeys/set-up" })}
    <details class="nhsuk-details">
      <summary class="nhsuk-details__summary">
        <span class="nhsuk-details__summary-text">If you lose your device or get a new one</span>
      </summary>
      <div class="nhsuk-details__text">
        <p>A lost device keeps your passkey safe: nobody can use it without unlocking the device with your fingerprint, face, PIN or pattern.</p>
        <p>You can still log in with a passkey on another device, or with your password.</p>
        <p>On a new device, log in and select <strong>Set up a passkey</strong>. If you stop using an old device, remove the passkey in that device's settings too.</p>
      </div>
    </details>
    <h2>Log out</h2>
    <p>Log out when you have finished, especially on a shared computer.</p>
    <form method="post" novalidate>
      ${button({ text: "Log out", variant: "secondary" })}
    </form>
  </div>
</div>`,
  });
  if (!main) return;

  onSubmit(main, async (form) => {
    const done = markBusy(submitButton(form));
    try {
      await app.api.logout();
    } catch (error) {
      done();
      if (ctx.isCurrent()) render(app, ctx, { ...state, justSetUp: null, problem: messageFor(error, SERVICE_PROBLEM) });
      return;
    }
    app.journey.email = "";
    app.journey.notice = { kind: "logged-out" };
    if (ctx.isCurrent()) await ctx.navigate("/");
  });
}
