// `/accessibility`: the accessibility statement, in the shape of the UK public
// sector model statement: what the app covers, how accessible it is, what does
// not work yet, how to report a problem, and how it was tested. What it says
// about testing is what the repository's `e2e/a11y_test.go` and
// `src/shell/accessibility.test.ts` check; keep them in step.

import { html } from "../../ui/html";
import type { Page } from "../../shell/router";

export const STATEMENT_PREPARED = "24 November 2026";

export const accessibilityStatementPage: Page = (ctx) => {
  ctx.show({
    content: html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    <h1>Accessibility statement for NHS login passkeys</h1>
    <p>This statement is for the NHS login passkeys app. It covers the desktop app and the same pages when they are opened in a web browser.</p>
    <p>We want as many people as possible to be able to use this app. For example, you should be able to:</p>
    <ul>
      <li>use the app with only a keyboard</li>
      <li>use the app with a screen reader</li>
      <li>zoom in up to 400% without the text spilling off the screen or needing to scroll sideways</li>
      <li>change colours, contrast levels and fonts using your device's settings</li>
      <li>use the app without animations or moving content</li>
    </ul>
    <p>We have also made the text as simple as possible to understand.</p>
    <p>AbilityNet has advice on making your device easier to use if you have a disability. You can find it at mcmw.abilitynet.org.uk.</p>

    <h2>How accessible this app is</h2>
    <p>We know some parts of this app are not fully accessible:</p>
    <ul>
      <li>on a Windows computer, you cannot zoom in on the desktop app by pressing Ctrl and the plus key – hold Ctrl and turn the mouse wheel, or make text bigger in Windows settings</li>
      <li>you are always logged out 12 hours after you log in, even if you are using the app – you are warned 2 minutes before, but you cannot ask for more time</li>
      <li>your device or security key only waits a short time for you to unlock it or touch it – if it stops waiting, you need to start again</li>
      <li>the windows your device or web browser shows when you use a passkey, such as Windows Hello or a QR code, are not part of this app, so we cannot make them more accessible</li>
      <li>using a passkey on a different phone or tablet means scanning a QR code with its camera – if you cannot do this, use a security key or your password instead</li>
      <li>the desktop app has no back button, so use the links on each page to move around</li>
      <li>the app has not yet been tested by people who use screen readers, screen magnifiers or speech recognition every day</li>
    </ul>

    <h2>Reporting accessibility problems with this app</h2>
    <p>If you find a problem that is not listed on this page, or you think we are not meeting accessibility requirements, tell the person or organisation who gave you this app. You can also contact NHS login through the NHS login help centre at help.login.nhs.uk.</p>
    <p>It helps us if you tell us:</p>
    <ul>
      <li>which page you were on</li>
      <li>what you were trying to do</li>
      <li>what went wrong</li>
      <li>the device and any assistive technology you were using, such as a screen reader</li>
    </ul>

    <h2>Enforcement procedure</h2>
    <p>The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the accessibility regulations). If you are not happy with how we respond to your complaint, contact the Equality Advisory and Support Service (EASS).</p>

    <h2>Technical information about this app's accessibility</h2>
    <p>We aim to meet the Web Content Accessibility Guidelines (WCAG) version 2.2 to level AA.</p>
    <h3>Compliance status</h3>
    <p>This app is partially compliant with WCAG version 2.2 AA, because of the problems listed below.</p>
    <h3>Non-accessible content</h3>
    <p>The content listed below is not accessible for the following reasons.</p>
    <h4>Non-compliance with the accessibility regulations</h4>
    <p>On Windows, the desktop app does not zoom when you press Ctrl and the plus key. You can zoom with Ctrl and the mouse wheel, or make text bigger in Windows settings. This may not meet WCAG 2.2 success criterion 2.1.1 (keyboard) for zooming. We plan to add the zoom keys on Windows.</p>
    <p>You are logged out 12 hours after you log in, to keep your account safe. You are warned 2 minutes before, but you cannot ask for more time, because a longer login would be less safe. This may not meet WCAG 2.2 success criterion 2.2.1 (timing adjustable). You can log in again straight away.</p>
    <h4>Content that's not within the scope of the accessibility regulations</h4>
    <p>The passkey windows that your device or web browser shows, such as Windows Hello, a QR code or a request to unlock your phone, are made by your device or browser, not by us.</p>

    <h2>How we tested this app</h2>
    <p>The team that builds the app tests it each time it changes. We:</p>
    <ul>
      <li>check every page, and every error and message the app can show, with the automated checker axe-core against WCAG 2.2 levels A and AA, and its best practices</li>
      <li>create an account, set up a passkey, log out and log in with it using only a keyboard, in a web browser and with a security key in the desktop app</li>
      <li>check what screen readers are told on every page: the page title, headings, landmarks, the names of links, buttons and fields, error messages and the messages that change while you wait</li>
      <li>check every page at 320 pixels wide and at 200% zoom, without scrolling sideways</li>
      <li>answer the warning you get before you are logged out using only a keyboard</li>
      <li>zoom the desktop app to 200% by pressing Ctrl and the plus key, and back with Ctrl and 0</li>
      <li>check that nothing moves when your device is set to reduce motion</li>
    </ul>
    <p>We test the pages in the Chromium web browser. We test the desktop app's steps with a virtual security key, so every step and error can be checked without special equipment. We have not yet tested the desktop app's own window with a screen reader.</p>

    <h2>Preparation of this accessibility statement</h2>
    <p>This statement was prepared on ${STATEMENT_PREPARED}.</p>
  </div>
</div>`,
  });
};
