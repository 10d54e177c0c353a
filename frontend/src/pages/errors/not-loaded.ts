// Shown when a page's code cannot be fetched (the page's area is loaded when first opened,
// pages/lazy.ts): most often the app was updated while this window stayed open, so the old
// page names files the new version no longer has, or the connection dropped. Reloading
// fetches the current version; the address stays the same.

import { button } from "../../ui/components";
import { html } from "../../ui/html";
import type { Page } from "../../shell/router";

export const notLoadedPage: Page = (ctx) => {
  const main = ctx.show({
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    <h1>Sorry, this page could not be opened</h1>
    <p>This can happen when the app has been updated while it was open, or when the connection was lost.</p>
    <p>Reload the page to try again. If that does not work, close the app and open it again.</p>
    ${button({ text: "Reload the page", type: "button", id: "reload-page", preventDoubleClick: false })}
    <p><a href="/">Go to the start page</a></p>
  </div>
</div>`,
  });
  // A full load, not the router: only a fresh index.html names the current files.
  main?.querySelector("#reload-page")?.addEventListener("click", () => {
    window.location.reload();
  });
};
