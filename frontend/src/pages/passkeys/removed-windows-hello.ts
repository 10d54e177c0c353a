// `/account/passkeys/removed/windows-hello` (desktop app only): the next step after a
// passkey saved on this device has been removed from the account (pages/passkeys/removed.ts
// sends the person here). Removing it from the account does not delete it from Windows
// Hello, which would keep offering it at every login. So the page asks the shell whether
// Windows Hello has it (GET /api/device/platform-passkeys?credentialId=..., the Windows app
// only) and:
//   - when Windows Hello has it and lets apps delete it: asks "Delete the passkey from
//     Windows Hello too?"; the button is the confirmation, as on the remove page, and then
//     back to the settings, whose banner says it was deleted from Windows Hello too;
//   - when Windows Hello has it but will not let the app delete it: says how to do it in
//     Windows Settings (Settings > Accounts > Passkeys);
//   - when this Windows cannot list its passkeys (webauthn.dll API version below 4) and the
//     passkey was a Windows Hello one (its provider, from its AAGUID): back to the settings,
//     whose banner says how to do it in Windows Settings;
//   - otherwise (not the Windows app, not in Windows Hello, not this account's): straight
//     back to the settings, as if nothing happened here.
// Either way the banner the removal left (app.journey.notice) waits for the settings.

import { failureToShow, isNotSignedIn, type App, type Notice } from "../../shell/app";
import { backLink, button, buttonGroup, errorSummary, column, statusArea } from "../../ui/components";
import { markBusy, onSubmit } from "../../ui/forms";
import { html } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import type { PlatformPasskey } from "../../api/windows-hello";
import { keyPageAccount, type KeyPagesOptions } from "../security-keys/key-pages";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";

export const REMOVED_WINDOWS_HELLO_PATH = "/account/passkeys/removed/windows-hello";
/** Where Windows 11 lists the passkeys Windows Hello keeps. */
export const WINDOWS_PASSKEY_SETTINGS = "Settings > Accounts > Passkeys";
const SETTINGS = "/account/security";

type Removed = Extract<Notice, { kind: "passkey-removed" }>;

export function passkeyRemovedWindowsHelloPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    if (!(await keyPageAccount(app, ctx))) return;
    const notice = app.journey.notice;
    if (notice?.kind !== "passkey-removed" || !notice.passkeyId) {
      // Only reached straight after a removal; otherwise there is nothing to offer.
      await ctx.navigate(SETTINGS, { replace: true });
      return;
    }
    const back = async (windowsHello?: Removed["windowsHello"]): Promise<void> => {
      if (windowsHello) app.journey.notice = { ...notice, windowsHello };
      if (ctx.isCurrent()) await ctx.navigate(SETTINGS, { replace: true });
    };
    let found;
    try {
      found = await options.hello.find(notice.passkeyId);
    } catch (error) {
      if (isNotSignedIn(error)) {
        if (ctx.isCurrent()) await ctx.navigate("/login", { replace: true });
        return;
      }
      console.error(error); // the passkey is removed; the banner still says to check the device
      await back();
      return;
    }
    if (!ctx.isCurrent()) return;
    if (found === null) {
      await back(); // no Windows Hello to manage: Linux, macOS, kiosk mode
      return;
    }
    if (!found.manageable) {
      await back(notice.provider === "Windows Hello" ? "settings" : undefined);
      return;
    }
    const hello = found.passkeys.find((p) => p.credentialId === notice.passkeyId && p.nhsLogin === "leftover");
    if (!hello) {
      await back();
      return;
    }
    render(app, ctx, options, notice, hello, null);
  };
}

function render(
  app: App,
  ctx: PageContext,
  options: KeyPagesOptions,
  notice: Removed,
  hello: PlatformPasskey,
  problem: string | null,
): void {
  const intro = html`<p>“${notice.passkeyName}” has been removed from your NHS login, so you can no longer log in with it. It is still saved in Windows Hello on this computer, though.</p>
    <p>Windows will keep offering it when you log in, even though it no longer works. Deleting it from Windows Hello stops this.</p>`;
  const notNow = html`<a class="nhsuk-link" href="${SETTINGS}">Not now</a>`;
  const main = ctx.show({
    beforeContent: backLink(SETTINGS, "Back to Login and security settings"),
    content: column(html`${problem ? errorSummary([{ text: problem }]) : ""}
    <h1>Delete the passkey from Windows Hello too?</h1>
    ${intro}
    ${
      hello.removable
        ? html`<p>You will not need your face, fingerprint or PIN for this. You cannot undo it.</p>
    <form method="post" novalidate>
      ${statusArea("windows-hello-status")}
      ${buttonGroup(button({ text: "Delete it from Windows Hello", variant: "warning" }), notNow)}
    </form>`
        : html`<p>Windows does not let this app delete it, but you can do it in Windows Settings:</p>
    <ol class="nhsuk-list nhsuk-list--number">
      <li>Open Windows Settings and go to <strong>${WINDOWS_PASSKEY_SETTINGS}</strong>.</li>
      <li>Find the passkey for ${hello.userName || "your NHS login"}.</li>
      <li>Delete it.</li>
    </ol>
    <p><a href="${SETTINGS}">Go back to your Login and security settings</a></p>`
    }`),
  });
  if (!main || !hello.removable) return;
  onSubmit(main, async (form) => {
    const done = markBusy(form, "Deleting the passkey from Windows Hello…");
    try {
      await options.hello.remove(hello.credentialId);
    } catch (error) {
      done();
      if (!(await failureToShow(ctx, error))) return;
      if (error instanceof ApiError && error.code === "passkey_not_on_device") {
        // Deleted meanwhile (in Windows Settings, say): nothing is left to do.
        app.journey.notice = { ...notice, windowsHello: "deleted" };
        await ctx.navigate(SETTINGS, { replace: true });
        return;
      }
      if (!(error instanceof ApiError)) console.error(error);
      render(app, ctx, options, notice, hello, messageFor(error, SERVICE_PROBLEM));
      return;
    }
    app.journey.notice = { ...notice, windowsHello: "deleted" };
    if (ctx.isCurrent()) await ctx.navigate(SETTINGS, { replace: true });
  });
}
