// `/account/activity`: "Recent activity", GET /api/activity (the last 50 events, newest
// first) in plain English, with what to do about anything the person does not recognise.

import { isNotSignedIn, requireAccount, type App } from "../../shell/app";
import { backLink, table } from "../../ui/components";
import { formatDateTime } from "../../ui/dates";
import { html, type SafeHtml } from "../../ui/html";
import type { Page } from "../../shell/router";
import type { ActivityEvent } from "../../api/account";

const withPasskey = (event: ActivityEvent): string => (event.passkeyName ? ` (${event.passkeyName})` : "");

/** What happened, as the person would say it. */
export function describeEvent(event: ActivityEvent): string {
  switch (event.type) {
    case "account_created":
      return "Account created";
    case "signed_in":
      return event.method === "password" ? "Logged in with your password" : `Logged in with a passkey${withPasskey(event)}`;
    case "login_failed":
      if (event.method === "password") return "Failed login attempt with a password";
      if (event.method === "passkey") return "Failed login attempt with a passkey";
      return "Failed login attempt";
    case "locked_out":
      return "Account locked for 15 minutes after too many failed attempts";
    case "reauthenticated":
      return event.method === "password"
        ? "Confirmed it's you with your password"
        : `Confirmed it's you with a passkey${withPasskey(event)}`;
    case "reauth_failed":
      return "Failed attempt to confirm it's you";
    case "passkey_added":
      return `Passkey set up${withPasskey(event)}`;
    case "passkey_renamed":
      return event.passkeyName ? `Passkey renamed to ${event.passkeyName}` : "Passkey renamed";
    case "passkey_removed":
      return `Passkey removed${withPasskey(event)}`;
    case "passkey_flagged":
      return `Passkey stopped because it may have been copied${withPasskey(event)}`;
    case "password_changed":
      return "Password changed";
    case "password_set":
      return "Password set";
    case "signed_out":
      return "Logged out";
    case "signed_out_elsewhere":
      return "Logged out of all other devices";
    default:
      return "Other change to your account";
  }
}

function eventRow(event: ActivityEvent): SafeHtml[] {
  return [
    html`<time datetime="${event.at}">${formatDateTime(event.at)}</time>`,
    html`${describeEvent(event)}${
      event.client
        ? html`<br>
<span class="nhsuk-body-s">IP address ${event.client}</span>`
        : ""
    }`,
  ];
}

export function activityPage(app: App): Page {
  return async (ctx) => {
    const account = await requireAccount(app, ctx);
    if (!account) return;
    let events: ActivityEvent[];
    try {
      events = await app.api.listActivity();
    } catch (error) {
      if (isNotSignedIn(error)) {
        if (ctx.isCurrent()) await ctx.navigate("/login", { replace: true });
        return;
      }
      throw error;
    }
    ctx.show({
      beforeContent: backLink("/account/security"),
      content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    <h1>Recent activity</h1>
    <p>This is what has happened on your account recently, newest first: when it was used, and what was changed.</p>
    <p>If you see something you do not recognise, someone else may be using your account. Go to your <a href="/account/security">Login and security settings</a> to change your password, remove any passkey you do not recognise, and log out of all other devices.</p>
  </div>
</div>
<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-full">
    ${
      events.length
        ? table({ caption: "Activity on your account", head: ["Date and time", "What happened"], rows: events.map(eventRow) })
        : html`<p>There is no activity to show yet.</p>`
    }
  </div>
</div>`,
    });
  };
}
