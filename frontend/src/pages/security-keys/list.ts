// `/security-keys` (desktop app only): the security keys plugged into this
// computer, what each can do and what it holds, with a link to manage each one.

import type { App } from "../../shell/app";
import { backLink, button, buttonGroup, insetText, summaryList, tag, type SummaryListRow, column } from "../../ui/components";
import { html, type SafeHtml } from "../../ui/html";
import type { KeyList, SecurityKey } from "../../api/keys";
import type { Page, PageContext } from "../../shell/router";
import { pinStatus, versionsText } from "./messages";
import { keyPageAccount, keyPath, type KeyPagesOptions } from "./key-pages";

export const WINDOWS_SETTINGS = "Settings > Accounts > Sign-in options > Security key";

export function securityKeysPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    if (!(await keyPageAccount(app, ctx))) return;
    const list = await options.keys.listKeys();
    if (ctx.isCurrent()) render(ctx, options, list);
  };
}

/**
 * The Windows app never opens a security key itself (it has no libfido2, and Windows lets
 * only administrators do that): it uses keys through Windows' own dialog, and leaves managing
 * them to Windows Settings, whatever rights it runs with.
 */
export function windowsSettingsNote(): SafeHtml {
  return html`<p>On Windows, this app uses your security key through Windows to set up a passkey or log in. It cannot change the key itself. Windows Settings can.</p>
    <h2>Change your security key's PIN or reset it</h2>
    <p>In Windows, open Settings and go to <strong>${WINDOWS_SETTINGS}</strong>, then select <strong>Manage</strong>. Windows will ask you to insert and touch your security key.</p>
    ${insetText(html`<p>Resetting a security key deletes all the passkeys on it, including any for your NHS login.</p>`)}`;
}

export function virtualKeyNote(): SafeHtml {
  return insetText(
    html`<p>This virtual security key is a test tool for this app. It does not keep passkeys safe, so do not use it for your real NHS login.</p>`,
  );
}

export function keyRows(key: SecurityKey): SummaryListRow[] {
  const rows: SummaryListRow[] = [
    { key: "Type", value: key.kind === "virtual" ? html`${tag("Test tool", "yellow")} Virtual security key` : "USB security key" },
    { key: "PIN", value: pinStatus(key) },
  ];
  if (key.passkeys.remaining !== null) {
    rows.push({ key: "Passkeys", value: `Room for ${key.passkeys.remaining} more` });
  }
  if (key.fingerprints.supported) {
    rows.push({ key: "Fingerprints", value: key.fingerprints.enrolled ? "Added" : "None added yet" });
  }
  // The names are what the key's box and its maker's website say; each is explained, since a
  // patient is not expected to know them.
  rows.push({
    key: "Works with",
    value: html`${versionsText(key.versions)}
    <p class="nhsuk-body-s nhsuk-u-margin-top-1 nhsuk-u-margin-bottom-0">These are the standards the key follows. It needs FIDO2 to save passkeys.</p>`,
  });
  if (key.firmwareVersion !== null) {
    rows.push({
      key: "Firmware version",
      value: html`${String(key.firmwareVersion)}
    <p class="nhsuk-body-s nhsuk-u-margin-top-1 nhsuk-u-margin-bottom-0">The version of the software built into the key.</p>`,
    });
  }
  return rows;
}

function keySection(key: SecurityKey): SafeHtml {
  if (!key.readable) {
    return html`<h2>${key.name}</h2>
    <p>We could not read this security key. Another app may be using it. Close other apps that use security keys, remove the key, insert it again, then select <strong>Check again</strong>.</p>`;
  }
  return html`<h2>${key.name}</h2>
    ${key.kind === "virtual" ? virtualKeyNote() : ""}
    ${summaryList(keyRows(key))}
    <p><a href="${keyPath(key.id)}">Manage this security key<span class="nhsuk-u-visually-hidden">: ${key.name}</span></a></p>`;
}

function render(ctx: PageContext, options: KeyPagesOptions, list: KeyList): void {
  if (list.adminRequired) {
    // Windows: no keys to list or check again, only where to manage them.
    ctx.show({
      beforeContent: backLink("/account/security", "Back to Login and security settings"),
      content: column(html`<h1>Security keys</h1>
    <p>A security key is a small device that plugs into your computer and keeps passkeys.</p>
    ${windowsSettingsNote()}
    <p><a href="/account/security">Go back to your Login and security settings</a></p>`),
    });
    return;
  }
  const main = ctx.show({
    beforeContent: backLink("/account/security", "Back to Login and security settings"),
    content: column(html`<h1>Security keys</h1>
    <p>A security key is a small device that plugs into your computer and keeps passkeys. Here you can see what is on your security keys, change their PIN, and reset them.</p>
    ${
      list.keys.length === 0
        ? html`<h2>No security keys found</h2>
    <p>Insert your security key into a USB port on this computer, then select <strong>Check again</strong>.</p>`
        : list.keys.map(keySection)
    }
    <form method="post" novalidate>
      ${buttonGroup(button({ text: "Check again", variant: "secondary" }))}
    </form>`),
  });
  main?.querySelector("form")?.addEventListener("submit", (event) => {
    event.preventDefault();
    void (async () => {
      const next = await options.keys.listKeys();
      if (ctx.isCurrent()) render(ctx, options, next);
    })().catch((error: unknown) => console.error(error));
  });
}
