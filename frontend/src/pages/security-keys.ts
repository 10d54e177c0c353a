// `/security-keys` (desktop app only): the security keys plugged into this
// computer, what each can do and what it holds, with a link to manage each one.

import type { App } from "../app";
import { backLink, button, buttonGroup, insetText, summaryList, tag, type SummaryListRow } from "../components";
import { html, type SafeHtml } from "../html";
import type { KeyList, SecurityKey } from "../keys-api";
import type { Page, PageContext } from "../router";
import { column, keyPageAccount, keyPath, pinStatus, versionsText, warningCallout, type KeyPagesOptions } from "./security-keys-common";

export const WINDOWS_SETTINGS = "Settings > Accounts > Sign-in options > Security key";

export function securityKeysPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    if (!(await keyPageAccount(app, ctx))) return;
    const list = await options.keys.listKeys();
    if (ctx.isCurrent()) render(ctx, options, list);
  };
}

/** Windows lets only administrators open security keys directly. */
export function windowsAdminNote(): SafeHtml {
  return warningCallout(
    "Windows needs administrator rights for this",
    html`<p>Windows only lets apps manage a security key directly when they are run as an administrator. This app is not running as an administrator.</p>
    <p>To manage your security key, you can use Windows Settings instead: go to <strong>${WINDOWS_SETTINGS}</strong>. Or close this app and open it again as an administrator.</p>`,
  );
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
  rows.push({ key: "Works with", value: versionsText(key.versions) });
  if (key.firmwareVersion !== null) rows.push({ key: "Firmware version", value: String(key.firmwareVersion) });
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
  const main = ctx.show({
    beforeContent: backLink("/account/security", "Back to login and security settings"),
    content: column(html`<h1>Security keys</h1>
    <p>A security key is a small device that plugs into your computer and keeps passkeys. Here you can see what is on your security keys, change their PIN, and reset them.</p>
    ${list.adminRequired ? windowsAdminNote() : ""}
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
