// `/security-keys/{id}`: one security key, what it holds and what can be done
// with it. A key that wants a new PIN (forcePINChange) gets that before anything
// else; a key whose PIN is blocked says that only a reset helps.

import type { App } from "../../shell/app";
import { backLink, successBanner, summaryList, column, warningCallout } from "../../ui/components";
import { html, type SafeHtml } from "../../ui/html";
import type { SecurityKey } from "../../api/keys";
import type { Page, PageContext } from "../../shell/router";
import { renderPinForm } from "./pin";
import { keyRows, virtualKeyNote } from "./list";
import { pinStatus } from "./messages";
import { keyForPage, keyPath, SECURITY_KEYS_PATH, takeNotice, type KeyNotice, type KeyPagesOptions } from "./key-pages";

export function securityKeyPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    const key = await keyForPage(app, options, ctx);
    if (!key) return;
    if (key.pin.mustChange) {
      renderPinForm(ctx, options, key, { forced: true });
      return;
    }
    render(ctx, key, takeNotice(options, key.id));
  };
}

function banner(notice: KeyNotice | null): SafeHtml | string {
  if (notice?.kind !== "pin-saved") return "";
  return notice.first
    ? successBanner("PIN created", html`<p>Your security key now has a PIN. You will enter it each time you use the key.</p>`)
    : successBanner("PIN changed", html`<p>Use your new PIN from now on.</p>`);
}

function passkeysSection(key: SecurityKey): SafeHtml {
  let body: SafeHtml;
  if (!key.pin.set) {
    body = html`<p>This security key has no PIN yet. A key needs a PIN before it can keep a passkey for NHS login.</p>`;
  } else if (!key.passkeys.manageable) {
    body = html`<p>This security key cannot show the passkeys on it. Use the app that came with the key instead.</p>`;
  } else if (key.pin.blocked) {
    body = html`<p>You cannot see the passkeys on this key while its PIN is blocked.</p>`;
  } else {
    body = html`<p>See which passkeys are on this key, and delete any you no longer use. You will need the key's PIN.</p>
    <p><a href="${keyPath(key.id, "passkeys")}">Passkeys on this key</a></p>`;
  }
  return html`<h2>Passkeys</h2>${body}`;
}

function pinSection(key: SecurityKey): SafeHtml {
  if (key.pin.blocked) return html`<h2>PIN</h2><p>${pinStatus(key)}</p>`;
  return html`<h2>PIN</h2>
    <p>${pinStatus(key)}</p>
    <p><a href="${keyPath(key.id, "pin")}">${key.pin.set ? "Change the PIN" : "Create a PIN"}</a></p>`;
}

function fingerprintsSection(key: SecurityKey): SafeHtml | string {
  if (!key.fingerprints.supported) return "";
  const body =
    key.pin.set && !key.pin.blocked
      ? html`<p>Add a fingerprint so you can touch the key instead of entering its PIN, or rename or delete the ones you have added.</p>
    <p><a href="${keyPath(key.id, "fingerprints")}">Fingerprints</a></p>`
      : html`<p>This key can use your fingerprint instead of its PIN. It needs a PIN before you can add a fingerprint.</p>`;
  return html`<h2>Fingerprints</h2>${body}`;
}

function render(ctx: PageContext, key: SecurityKey, notice: KeyNotice | null): void {
  ctx.show({
    beforeContent: backLink(SECURITY_KEYS_PATH, "Back to security keys"),
    content: column(html`${banner(notice)}
    <h1>${key.name}</h1>
    ${key.kind === "virtual" ? virtualKeyNote() : ""}
    ${
      key.pin.blocked
        ? warningCallout(
            "The PIN of this security key is blocked",
            html`<p>The wrong PIN was entered too many times. To use the key again, you need to reset it. Resetting deletes all the passkeys and fingerprints on it.</p>
    <p><a href="${keyPath(key.id, "reset")}">Reset this security key</a></p>`,
          )
        : ""
    }
    ${summaryList(keyRows(key))}
    ${passkeysSection(key)}
    ${pinSection(key)}
    ${fingerprintsSection(key)}
    <h2>Reset this security key</h2>
    <p>Resetting deletes every passkey and fingerprint on the key, and its PIN. You may need to do this if you have forgotten the PIN, or before you give the key to someone else.</p>
    <p><a href="${keyPath(key.id, "reset")}">Reset this security key</a></p>`),
  });
}
