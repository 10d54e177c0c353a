// The page shell from nhsuk-frontend's template.njk: skip link, header, a width
// container holding the back link and <main>, and the footer with its support
// links (help, the accessibility statement). Pages only ever replace the back
// link area and the contents of <main>.
//
// The back link stays where the design system puts it, before <main>, so "Skip to main
// content" skips it as it skips the header; but it sits in a navigation landmark of its own,
// so that everything on the page is in a landmark (axe's "region" rule: a screen reader user
// moving by landmarks would otherwise never reach it). The landmark is hidden on a page
// without a back link, so no empty landmark is announced.

import { html, raw, type SafeHtml } from "../ui/html";

export const SERVICE_NAME = "NHS login passkeys";

const NHS_LOGO_PATH =
  "M200 0v80H0V0h200Zm-27.5 5.5c-14.5 0-29 5-29 22 0 10.2 7.7 13.5 14.7 16.3l.7.3c5.4 2 10.1 3.9 10.1 8.4 0 6.5-8.5 7.5-14 7.5s-12.5-1.5-16-3.5L135 70c5.5 2 13.5 3.5 20 3.5 15.5 0 32-4.5 32-22.5 0-19.5-25.5-16.5-25.5-25.5 0-5.5 5.5-6.5 12.5-6.5a35 35 0 0 1 14.5 3l4-13.5c-4.5-2-12-3-20-3Zm-131 2h-22l-14 65H22l9-45h.5l13.5 45h21.5l14-65H64l-9 45h-.5l-13-45Zm63 0h-18l-13 65h17l6-28H117l-5.5 28H129l13.5-65H125L119.5 32h-20l5-24.5Z";

export function shell(): SafeHtml {
  return html`<a class="nhsuk-skip-link" data-module="nhsuk-skip-link" href="#maincontent">Skip to main content</a>
<header class="nhsuk-header" data-module="nhsuk-header" role="banner">
  <div class="nhsuk-header__container nhsuk-width-container">
    <div class="nhsuk-header__service">
      <a class="nhsuk-header__service-logo" href="/" aria-label="${SERVICE_NAME} homepage">
        <svg class="nhsuk-header__logo" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 80" height="40" width="100" focusable="false" role="img" aria-label="NHS">
          <title>NHS</title>
          <path fill="currentcolor" d="${raw(NHS_LOGO_PATH)}"/>
        </svg>
        <span class="nhsuk-header__service-name">${SERVICE_NAME}</span>
      </a>
    </div>
  </div>
</header>
<div class="nhsuk-width-container" data-page>
  <nav aria-label="Back" data-before-content hidden></nav>
  <main class="nhsuk-main-wrapper" id="maincontent"></main>
</div>
<footer class="nhsuk-footer" role="contentinfo">
  <div class="nhsuk-width-container">
    <div class="nhsuk-footer__meta">
      <h2 class="nhsuk-u-visually-hidden">Support links</h2>
      <ul class="nhsuk-footer__list">
        <li class="nhsuk-footer__list-item">
          <a class="nhsuk-footer__list-item-link" href="/help">Help</a>
        </li>
        <li class="nhsuk-footer__list-item">
          <a class="nhsuk-footer__list-item-link" href="/accessibility">Accessibility statement</a>
        </li>
      </ul>
      <p class="nhsuk-body-s">© NHS England</p>
    </div>
  </div>
</footer>`;
}

/** The parts of the shell a page fills in. */
export interface Layout {
  /** Holds the back link and <main>; nhsuk-frontend components are started inside it. */
  page: HTMLElement;
  /** The back link's landmark, before <main>: hidden when the page has no back link. */
  beforeContent: HTMLElement;
  main: HTMLElement;
}

export function mountShell(root: HTMLElement): Layout {
  root.innerHTML = shell().value;
  return findLayout(root);
}

export function findLayout(root: ParentNode): Layout {
  const page = root.querySelector<HTMLElement>("[data-page]");
  const beforeContent = root.querySelector<HTMLElement>("[data-before-content]");
  const main = root.querySelector<HTMLElement>("main#maincontent");
  if (!page || !beforeContent || !main) throw new Error("page shell is missing");
  return { page, beforeContent, main };
}
