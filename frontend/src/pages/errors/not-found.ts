// Any path the app does not know.

import { html } from "../../ui/html";
import type { Page } from "../../shell/router";

export const notFoundPage: Page = (ctx) => {
  ctx.show({
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    <h1>Page not found</h1>
    <p>If you typed the web address, check it is correct.</p>
    <p>If you pasted the web address, check you copied the entire address.</p>
    <p><a href="/">Go to the start page</a></p>
  </div>
</div>`,
  });
};
