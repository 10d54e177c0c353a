// `/security-keys/{id}/passkeys`: after the key's PIN, every passkey on the key
// by website and account, marked when it is this NHS login account's (in use, or
// left over: the account no longer accepts it), and a confirmation page to
// delete one. The PIN is asked for again to delete: it is never kept.

import type { App } from "../../shell/app";
import { backLink, errorSummary, successBanner, summaryList, tag, actionList, column, warningCallout, type ActionRow } from "../../ui/components";
import { html, type SafeHtml } from "../../ui/html";
import type { KeyPasskey, KeyPasskeys, SecurityKey } from "../../api/keys";
import type { Page, PageContext } from "../../shell/router";
import { onAction } from "../../ui/forms";
import type { Problem } from "./messages";
import { keyPath, keyToWorkOn, type KeyPagesOptions } from "./key-pages";
import { askForKeyPin, deleteWithPinForm, onDeleteWithPin } from "./key-form";

export function securityKeyPasskeysPage(app: App, options: KeyPagesOptions): Page {
  return async (ctx) => {
    const key = await keyToWorkOn(app, options, ctx);
    if (!key) return;
    if (!key.pin.set || key.pin.blocked || !key.passkeys.manageable) {
      cannotList(ctx, key);
      return;
    }
    new PasskeysOnKey(ctx, options, key).askForPin();
  };
}

function cannotList(ctx: PageContext, key: SecurityKey): void {
  const why = !key.pin.set
    ? html`<p>This security key has no PIN, so it has no passkeys for NHS login. A key needs a PIN before it can show its passkeys.</p>
    <p><a href="${keyPath(key.id, "pin")}">Create a PIN</a></p>`
    : key.pin.blocked
      ? html`<p>The PIN of this security key is blocked, so it cannot show its passkeys. To use the key again, you need to reset it.</p>
    <p><a href="${keyPath(key.id, "reset")}">Reset this security key</a></p>`
      : html`<p>This security key cannot show the passkeys on it. Use the app that came with the key instead.</p>`;
  ctx.show({
    beforeContent: backLink(keyPath(key.id)),
    content: column(html`<h1>Passkeys on ${key.name}</h1>${why}`),
  });
}

const NHS_LOGIN = "NHS login";

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Which website a passkey is for. Another site's is named by its address (rpId), which the
 * browser checked against the site when the passkey was made (WebAuthn L3 §5.1.3 step 8), not
 * by the name the site chose for itself (rp.name), which any site can set to "NHS login".
 */
function site(p: KeyPasskey): string {
  return p.nhsLogin ? NHS_LOGIN : p.rpId || p.rpName;
}

function account(p: KeyPasskey): string {
  return p.userName || p.userDisplayName || "No account name";
}

/** What a passkey of NHS login on the key means for the person. */
function standing(p: KeyPasskey): SafeHtml {
  switch (p.nhsLogin) {
    case "in-use":
      return html`${tag("Used for your NHS login", "green")}
      <p class="nhsuk-u-margin-top-2 nhsuk-u-margin-bottom-0">Your NHS login calls it “${p.accountPasskey?.name ?? "Passkey"}”.</p>`;
    case "leftover":
      return html`${tag("No longer works", "orange")}
      <p class="nhsuk-u-margin-top-2 nhsuk-u-margin-bottom-0">${
        p.accountPasskey?.flagged
          ? "Your NHS login no longer accepts this passkey because it may have been copied. You can delete it."
          : "This passkey was removed from your NHS login, so it no longer works. You can delete it."
      }</p>`;
    case "other-account":
      return html`${tag("Another NHS login account", "grey")}
      <p class="nhsuk-u-margin-top-2 nhsuk-u-margin-bottom-0">It is for a different NHS login account, not the one you are logged in to.</p>`;
    default:
      return tag(NHS_LOGIN, "grey");
  }
}

class PasskeysOnKey {
  private list: KeyPasskeys | null = null;

  constructor(
    readonly ctx: PageContext,
    readonly options: KeyPagesOptions,
    public key: SecurityKey,
  ) {}

  askForPin(): void {
    askForKeyPin(this, "passkeys", async (pin) => {
      this.list = await this.options.keys.listPasskeys(this.key.id, pin);
      this.showList();
    });
  }

  private showList(deleted?: KeyPasskey): void {
    const list = this.list;
    if (!list) return;
    const index = (p: KeyPasskey): number => list.passkeys.indexOf(p);
    const rows = (passkeys: KeyPasskey[], value: (p: KeyPasskey) => SafeHtml | string): ActionRow[] =>
      passkeys.map((p) => ({
        key: account(p),
        value: value(p),
        actions: [{ text: "Delete", hidden: `passkey for ${account(p)} on ${site(p)}`, data: `delete:${index(p)}` }],
      }));
    const ours = list.passkeys.filter((p) => p.nhsLogin);
    const others = list.passkeys.filter((p) => !p.nhsLogin);
    const sites = [...new Set(others.map(site))];
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id), `Back to ${this.key.name}`),
      content: column(html`${deleted ? deletedBanner(deleted) : ""}
    <h1>Passkeys on ${this.key.name}</h1>
    <p>${list.used === 0 ? "There are no passkeys on this key." : `There ${list.used === 1 ? "is" : "are"} ${plural(list.used, "passkey", "passkeys")} on this key.`} It has room for ${list.remaining} more.</p>
    ${ours.length ? html`<h2>${NHS_LOGIN}</h2>${actionList(rows(ours, standing))}` : ""}
    ${
      others.length
        ? html`<h2>Other websites and apps</h2>
    ${sites.map((name) => html`<h3>${name}</h3>${actionList(rows(others.filter((p) => site(p) === name), () => "Passkey"))}`)}`
        : ""
    }
    <p><a href="${keyPath(this.key.id)}">Back to ${this.key.name}</a></p>`),
    });
    if (!main) return;
    onAction(main, (action) => {
      const passkey = list.passkeys[Number(action.replace("delete:", ""))];
      if (action.startsWith("delete:") && passkey) this.confirmDelete(passkey);
    });
  }

  private confirmDelete(passkey: KeyPasskey, problem?: Problem): void {
    const inUse = passkey.nhsLogin === "in-use";
    const main = this.ctx.show({
      beforeContent: backLink(keyPath(this.key.id, "passkeys")),
      content: column(html`${problem?.summary.length ? errorSummary(problem.summary) : ""}
    <h1>Are you sure you want to delete this passkey?</h1>
    ${summaryList([
      { key: "Website", value: site(passkey) },
      { key: "Account", value: account(passkey) },
      ...(passkey.accountPasskey ? [{ key: "Name in your NHS login", value: passkey.accountPasskey.name }] : []),
    ])}
    ${inUse ? warningCallout(
      "You use this passkey to log in to your NHS login",
      html`<p>You will not be able to log in with this passkey any more. Remove it from your NHS login too.</p>
    <p>You can still log in with your password or another passkey.</p>`,
    ) : consequence(passkey)}
    ${deleteWithPinForm(this.key, "passkey", problem)}`),
    });
    if (!main) return;
    onDeleteWithPin(this, main, () => this.showList(), async (pin) => {
      this.list = await this.options.keys.deletePasskey(this.key.id, passkey.credentialId, pin);
      this.showList(passkey);
    }, (p) => this.confirmDelete(passkey, p));
  }
}

/**
 * What deleting a passkey that is not the account's own working one means, and for whom:
 * one the account no longer accepts changes nothing; another NHS login account's is someone
 * else's way in (this app cannot see whether it is their last); another site's is the
 * person's own.
 */
function consequence(passkey: KeyPasskey): SafeHtml {
  switch (passkey.nhsLogin) {
    case "leftover":
      return html`<p>Your NHS login no longer accepts this passkey, so deleting it does not change how you log in. You cannot undo this.</p>`;
    case "other-account":
      return warningCallout(
        "This passkey is for a different NHS login account",
        html`<p>Whoever uses that account (${account(passkey)}) will not be able to log in with this passkey any more. It may be their only way to log in.</p>
    <p>Only delete it if you are sure it is not needed. You cannot undo this.</p>`,
      );
    case "unknown":
      return html`<p>If you use it to log in to your NHS login, you will not be able to any more. You cannot undo this.</p>`;
    default:
      return html`<p>You will not be able to use it to log in to ${site(passkey)} any more. You cannot undo this.</p>`;
  }
}

function deletedBanner(passkey: KeyPasskey): SafeHtml {
  if (passkey.nhsLogin === "in-use") {
    return successBanner(
      "Passkey deleted from your security key",
      html`<p>You can no longer log in to your NHS login with “${passkey.accountPasskey?.name ?? "this passkey"}”. Remove it from your NHS login too, in <a href="/account/security">Login and security settings</a>.</p>`,
    );
  }
  return successBanner("Passkey deleted from your security key", html`<p>The passkey for ${account(passkey)} on ${site(passkey)} has gone.</p>`);
}
