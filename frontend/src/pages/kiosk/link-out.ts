// Kiosk mode: what the router shows, at the same address, instead of following a link that
// would leave the app (another website, or a new window). On a shared computer the app never
// goes anywhere else. The back link returns to the page the person was on.

import { backLink, column } from "../../ui/components";
import { html } from "../../ui/html";
import type { Page } from "../../shell/router";

export function kioskLinkOutPage(url: URL): Page {
  return (ctx) => {
    const where = url.host ? `goes to ${url.host}, outside this app` : "goes outside this app";
    ctx.show({
      beforeContent: backLink(ctx.path),
      content: column(html`<h1>This link cannot be opened on this computer</h1>
    <p>The link ${where}. On this shared computer you can only manage the passkeys for your NHS login.</p>
    <p>You can open the link on your own phone, tablet or computer.</p>`),
    });
  };
}
