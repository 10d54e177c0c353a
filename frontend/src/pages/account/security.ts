// `/account/security`: "Login and security settings". Who is signed in; their passkeys, in a
// card whose heading is the link "Passkeys" (to /account/passkeys: set up a passkey, rename
// one, see each in full) with a summary list of them, each with Remove; the password; recent
// activity; logging out of all other devices; and logging out. Changes made on the account
// pages come back here with a success banner (a notice in the journey, shown once).
//
// Why Remove is here as well as on the Passkeys page: NHS login's help article says "Go to
// Login and security settings, select Passkeys, select Set up a passkey" to set one up, but
// "Select Login and security settings, select Remove for the passkey" to remove one. Both
// steps work as written: a patient who has lost a device removes its passkey from here.

import { afterLogout, isNotSignedIn, requireAccount, requirePasskeys, takeNotice, type App, type Journey } from "../../shell/app";
import { button, details, errorSummary, linkCard, successBanner, summaryCard, statusArea, summaryList, tag } from "../../ui/components";
import { formatDate } from "../../ui/dates";
import { markBusy, onSubmit } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { WINDOWS_PASSKEY_SETTINGS } from "../passkeys/removed-windows-hello";
import { isDesktop, messageFor } from "../../ceremony/ceremony";
import { SERVICE_PROBLEM } from "../../api/request";
import type { Account } from "../../api/account";
import type { Passkey } from "../../api/passkeys";

export interface Banner {
  heading: string;
  body?: SafeHtml;
}

interface State {
  account: Account;
  passkeys: Passkey[];
  /** Announced once, in a success banner. */
  banner: Banner | null;
  problem: string | null;
  /** The desktop app, which can manage security keys (/security-keys). */
  desktop: boolean;
}

export const FLAGGED_WARNING = "This passkey may have been copied. Remove it and set up a new one.";

export function securityPage(app: App): Page {
  return async (ctx) => {
    const account = await requireAccount(app, ctx);
    if (!account) return;
    const passkeys = await requirePasskeys(app, ctx);
    if (!passkeys) return;
    const desktop = await app.ceremonies().then((c) => isDesktop(c.client), () => false);
    render(app, ctx, { account, passkeys, banner: bannerFor(app.journey), problem: null, desktop });
  };
}

/** The banner for what the person has just done on another page, taken so it shows once. */
export function bannerFor(journey: Journey): Banner | null {
  const setUp = takeNotice(journey, "passkey-set-up");
  if (setUp) {
    return {
      heading: "Passkey set up",
      body: html`<p>Your passkey “${setUp.passkeyName}” is ready. You can use it to log in next time.</p>`,
    };
  }
  const renamed = takeNotice(journey, "passkey-renamed");
  if (renamed) return { heading: "Passkey renamed", body: html`<p>Your passkey is now called “${renamed.passkeyName}”.</p>` };
  const removed = takeNotice(journey, "passkey-removed");
  if (removed) {
    return {
      heading: "Passkey removed",
      body: removed.stillOnKey
        ? removed.blockedKey
          ? html`<p>You can no longer log in with “${removed.passkeyName}”. It is still saved on your security key, which may keep offering it.</p>
      <p>The PIN of ${removed.blockedKey} is blocked, so the passkey cannot be deleted from it on its own. Resetting the key deletes it, with everything else on the key. You can do this in <a href="/security-keys">Security keys</a> in this app.</p>`
          : html`<p>You can no longer log in with “${removed.passkeyName}”. It is still saved on your security key, which may keep offering it.</p>
      <p>To delete it from the key, plug the key into this computer and go to <a href="/security-keys">Security keys</a> in this app. The passkey is marked there as one your NHS login no longer accepts.</p>`
        : removed.windowsHello === "deleted"
          ? html`<p>You can no longer log in with “${removed.passkeyName}”. It has also been deleted from Windows Hello on this computer.</p>`
          : removed.windowsHello === "settings"
            ? html`<p>You can no longer log in with “${removed.passkeyName}”. It may still be saved in Windows Hello on this computer, which may keep offering it.</p>
      <p>To delete it from Windows Hello, open Windows Settings and go to <strong>${WINDOWS_PASSKEY_SETTINGS}</strong>. Older versions of Windows may not have this setting.</p>`
            : html`<p>You can no longer log in with “${removed.passkeyName}”. If your device still offers it when you log in, remove it in your device's settings too.</p>`,
    };
  }
  const password = takeNotice(journey, "password-changed");
  if (password) {
    return {
      heading: password.wasSet ? "Password set" : "Password changed",
      body: html`<p>You have also been logged out on any other devices where you were logged in.</p>`,
    };
  }
  return null;
}

export function loggedOutElsewhereBanner(count: number): Banner {
  if (count === 0) {
    return { heading: "You were not logged in on any other devices", body: html`<p>You are still logged in on this device.</p>` };
  }
  return {
    heading: `You have been logged out on ${count} other ${count === 1 ? "device" : "devices"}`,
    body: html`<p>You are still logged in on this device.</p>`,
  };
}

/** Where the passkey is saved, in the words people see on their devices. */
export function storedOnText(passkey: Passkey): string | null {
  const where =
    passkey.storedOn === "security-key"
      ? "Security key"
      : passkey.storedOn === "this-device"
        ? "This device"
        : passkey.storedOn === "synced" || passkey.backedUp
          ? "Synced"
          : null;
  if (!where) return null;
  return passkey.provider ? `${where} (${passkey.provider})` : where;
}

/** "Last used 3 March 2025", or "Not used yet". */
function lastUsedText(passkey: Passkey): string {
  return passkey.lastUsedAt ? `Last used ${formatDate(passkey.lastUsedAt)}` : "Not used yet";
}

/** A passkey in full, with Rename and Remove (the Passkeys page). */
export function passkeyCard(passkey: Passkey): SafeHtml {
  const stored = storedOnText(passkey);
  const rows = [
    ...(passkey.flagged
      ? [{ key: "Status", value: html`${tag("Do not use", "red")}
<p class="nhsuk-u-margin-top-2 nhsuk-u-margin-bottom-0">${FLAGGED_WARNING}</p>` }]
      : []),
    ...(stored ? [{ key: "Where it is saved", value: stored }] : []),
    { key: "Added", value: formatDate(passkey.createdAt) },
    { key: "Last used", value: passkey.lastUsedAt ? formatDate(passkey.lastUsedAt) : "Not used yet" },
  ];
  return summaryCard({
    heading: passkey.name,
    actions: [
      { text: "Rename", href: "/account/passkeys/rename", visuallyHiddenText: passkey.name, data: { passkey: passkey.id } },
      { text: "Remove", href: "/account/passkeys/remove", visuallyHiddenText: passkey.name, data: { passkey: passkey.id } },
    ],
    content: summaryList(rows, "nhsuk-summary-list--no-last-row-border"),
  });
}

/**
 * The settings page's "Passkeys": a card whose heading links to the Passkeys page, listing
 * each passkey (where it is saved, when it was last used) with Remove.
 */
function passkeysCard(passkeys: Passkey[]): SafeHtml {
  const rows = passkeys.map((passkey) => {
    const stored = storedOnText(passkey);
    return {
      key: passkey.name,
      value: html`${passkey.flagged ? html`${tag("Do not use", "red")}<br>` : ""}${stored ? html`${stored}<br>` : ""}${lastUsedText(passkey)}`,
      actions: [{ text: "Remove", href: "/account/passkeys/remove", visuallyHiddenText: passkey.name, data: { passkey: passkey.id } }],
    };
  });
  return linkCard({
    heading: "Passkeys",
    href: "/account/passkeys",
    content:
      passkeys.length === 0
        ? html`<p class="nhsuk-card__description">You have not set up a passkey yet. Select Passkeys to set one up.</p>`
        : html`<p>You can log in with any of these passkeys. Select Passkeys to set up another one or rename one.</p>
    ${summaryList(rows, "nhsuk-summary-list--no-last-row-border")}`,
  });
}

/** What to do about a lost or new device: on the settings page and the Passkeys page. */
export const LOST_OR_NEW_DEVICE = details(
  "If you lose your device or get a new one",
  html`<p>A lost device keeps your passkey safe: nobody can use it without unlocking the device with your fingerprint, face, PIN or pattern.</p>
    <p>You can still log in with a passkey on another device, or with your password. Then, in your Login and security settings, select <strong>Remove</strong> for each passkey that was on the lost device. You can remove them one after the other without logging in again.</p>
    <p>On a new device, go to your Login and security settings, select <strong>Passkeys</strong>, then <strong>Set up a passkey</strong>. If you stop using an old device, remove its passkey here and in that device's settings.</p>
    <p><a href="/help/lost-device">What to do if you lose your device</a></p>
    <p><a href="/help/new-device">What to do if you get a new device</a></p>`,
);

/**
 * Rename and Remove are links to pages that act on "the chosen passkey": it is kept in
 * memory, never in the address (shell/app.ts), with the page it was chosen on, to go back to. This
 * runs before the router follows the link. The listeners go on the freshly rendered links,
 * not on <main>, which every page reuses.
 */
export function rememberChosenPasskey(app: App, main: HTMLElement, from: string): void {
  for (const link of main.querySelectorAll<HTMLElement>("a[data-passkey]")) {
    link.addEventListener("click", () => {
      app.journey.passkey = link.dataset["passkey"] ?? null;
      app.journey.passkeyFrom = from;
    });
  }
}

function passwordSection(account: Account): SafeHtml {
  return account.hasPassword
    ? html`<p>You can log in with your password if you cannot use a passkey.</p>
    <p><a href="/account/password">Change your password</a></p>`
    : html`<p>You have not set a password. With a password, you can still log in if you cannot use any of your passkeys.</p>
    <p><a href="/account/password">Set a password</a></p>`;
}

function render(app: App, ctx: PageContext, state: State): void {
  const main = ctx.show({
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${state.problem ? errorSummary([{ text: state.problem }]) : ""}
    ${state.banner ? successBanner(state.banner.heading, state.banner.body) : ""}
    <h1>Login and security settings</h1>
    <p>You are logged in as <strong>${state.account.email}</strong>.</p>
    ${passkeysCard(state.passkeys)}
    ${LOST_OR_NEW_DEVICE}
    ${
      state.desktop
        ? html`<h2>Security keys</h2>
    <p>See what is on the security keys plugged into this computer, change their PIN, or reset them.</p>
    <p><a href="/security-keys">Security keys</a></p>`
        : ""
    }
    <h2>Password</h2>
    ${passwordSection(state.account)}
    <h2>Recent activity</h2>
    <p>See when your account was used and what was changed. If you see something you do not recognise, change your password and log out of all other devices.</p>
    <p><a href="/account/activity">View recent activity</a></p>
    <h2>Log out of all other devices</h2>
    <p>If you logged in on a device you no longer use, or on a computer that other people use, you can log out there from here. You will stay logged in on this device.</p>
    <div id="log-out-others">
      <form method="post" novalidate>
        ${statusArea("log-out-others-status")}
        ${button({ text: "Log out of all other devices", variant: "secondary" })}
      </form>
    </div>
    <h2>Log out</h2>
    <p>Log out when you have finished, especially on a shared computer.</p>
    <div id="log-out">
      <form method="post" novalidate>
        ${statusArea("log-out-status")}
        ${button({ text: "Log out", variant: "secondary" })}
      </form>
    </div>
  </div>
</div>`,
  });
  if (!main) return;

  rememberChosenPasskey(app, main, "/account/security");

  const again = (patch: Partial<State>): void => {
    if (ctx.isCurrent()) render(app, ctx, { ...state, banner: null, problem: null, ...patch });
  };

  const others = main.querySelector("#log-out-others");
  if (others) {
    onSubmit(others, async (form) => {
      const done = markBusy(form, "Logging you out of your other devices…");
      let count: number;
      try {
        count = await app.api.logoutOtherSessions();
      } catch (error) {
        done();
        if (isNotSignedIn(error)) {
          if (ctx.isCurrent()) await ctx.navigate("/login", { replace: true });
          return;
        }
        again({ problem: messageFor(error, SERVICE_PROBLEM) });
        return;
      }
      again({ banner: loggedOutElsewhereBanner(count) });
    });
  }

  const logOut = main.querySelector("#log-out");
  if (logOut) {
    onSubmit(logOut, async (form) => {
      const done = markBusy(form, "Logging you out…");
      try {
        await app.api.logout();
      } catch (error) {
        done();
        again({ problem: messageFor(error, SERVICE_PROBLEM) });
        return;
      }
      await afterLogout(app, ctx);
    });
  }
}
