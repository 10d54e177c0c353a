// `/help` and `/help/...`: a short guide to passkeys, one topic a page, from NHS
// login's help article "Passkeys" (written again in our own words). Each page
// has the guide's contents list under its h1 and previous and next links at
// the bottom, as the NHS website's guides do. Where the desktop app cannot do
// what a browser can (it works with security keys only), the page says so and
// offers a security key instead: the topics are written for the ceremonies
// GET /api/config asks for.

import { isKiosk, type App } from "../../shell/app";
import { systemBrowser } from "../../shell/system-browser";
import type { Ceremonies } from "../../ceremony/ceremony";
import { contentsList, pagination } from "../../ui/components";
import { html } from "../../ui/html";
import type { Page } from "../../shell/router";
import { HELP_TOPICS, type HelpTopic } from "./topics";

export type HelpClient = Ceremonies["client"];

/** Who will run the person's passkeys here; the browser's help when the config cannot be read. */
async function clientOf(app: App): Promise<HelpClient> {
  try {
    return (await app.ceremonies()).client;
  } catch {
    return "browser";
  }
}

function helpPage(app: App, index: number): Page {
  return async (ctx) => {
    const topic = HELP_TOPICS[index] as HelpTopic;
    const client = await clientOf(app);
    // The desktop app's window opens a website in the person's own browser (shell/router.ts);
    // kiosk mode opens none, and says so when a link is chosen.
    const kiosk = await isKiosk(app);
    const opensBrowser = systemBrowser() !== undefined && !kiosk;
    const previous = HELP_TOPICS[index - 1];
    const next = HELP_TOPICS[index + 1];
    ctx.show({
      content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    <h1>${topic.title}</h1>
    ${contentsList(HELP_TOPICS.map((t) => ({ text: t.label, href: t.path, current: t === topic })))}
    ${topic.content(client, opensBrowser, kiosk)}
    ${pagination(
      previous ? { href: previous.path, text: previous.label } : null,
      next ? { href: next.path, text: next.label } : null,
    )}
  </div>
</div>`,
    });
  };
}

/** Every page of the guide, by its address. */
export function helpRoutes(app: App): Record<string, Page> {
  return Object.fromEntries(HELP_TOPICS.map((topic, index) => [topic.path, helpPage(app, index)]));
}
