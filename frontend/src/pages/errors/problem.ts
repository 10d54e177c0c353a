// Shown when something fails that no page handled (the service did not answer,
// or answered with something unexpected).

import { html } from "../../ui/html";
import type { Page } from "../../shell/router";

export const problemPage: Page = (ctx) => {
  ctx.show({
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    <h1>Sorry, there is a problem with the service</h1>
    <p>Try again later.</p>
    <p><a href="/">Go to the start page</a></p>
  </div>
</div>`,
  });
};
