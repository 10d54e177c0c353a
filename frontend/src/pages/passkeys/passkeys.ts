// `/account/passkeys`: "Passkeys", reached from Login and security settings (its card's
// heading). NHS login's help article sets up a passkey in these steps: "Go to Login and
// security settings, select Passkeys, select Set up a passkey". So the page has Set up a
// passkey, and every passkey in full (where it is saved, when it was added and last used, a
// warning when it may have been copied) with Rename and Remove. Setting up or renaming a
// passkey comes back here with a success banner, as a removal chosen here does.

import { requireAccount, requirePasskeys, type App } from "../../shell/app";
import { backLink, button, successBanner } from "../../ui/components";
import { html, type SafeHtml } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { bannerFor, passkeyCard, rememberChosenPasskey, type Banner } from "../account/security";
import type { Passkey } from "../../api/passkeys";

export const PASSKEYS_PATH = "/account/passkeys";

interface State {
  passkeys: Passkey[];
  banner: Banner | null;
}

export function passkeysPage(app: App): Page {
  return async (ctx) => {
    if (!(await requireAccount(app, ctx))) return;
    const passkeys = await requirePasskeys(app, ctx);
    if (!passkeys) return;
    render(app, ctx, { passkeys, banner: bannerFor(app.journey) });
  };
}

function yourPasskeys(passkeys: Passkey[]): SafeHtml {
  if (passkeys.length === 0) return html`<p>You have not set up a passkey yet.</p>`;
  return html`<p>You can log in with any of these passkeys.</p>
    ${passkeys.map(passkeyCard)}`;
}

function render(app: App, ctx: PageContext, state: State): void {
  const main = ctx.show({
    beforeContent: backLink("/account/security", "Back to Login and security settings"),
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${state.banner ? successBanner(state.banner.heading, state.banner.body) : ""}
    <h1>Passkeys</h1>
    <p>A passkey lets you log in without your password. You use it by unlocking your device, for example with your fingerprint, face or PIN, or with your security key.</p>
    <p>You can have more than one passkey, for example one on each of your devices.</p>
    ${button({ text: "Set up a passkey", href: "/account/passkeys/set-up" })}
    <h2>Your passkeys</h2>
    ${yourPasskeys(state.passkeys)}
    <p><a href="/help/set-up">Get help with setting up a passkey</a></p>
    <p><a href="/help/remove">Get help with removing a passkey</a></p>
  </div>
</div>`,
  });
  if (!main) return;
  rememberChosenPasskey(app, main, PASSKEYS_PATH);
}
