// nhsuk-frontend's JavaScript for the components the app's markup (ui/components.ts,
// shell/layout.ts) marks with data-module, and for no other: its initAll() would bring
// every component's code into the start page (issue #21: the start page's JS + CSS stay
// under 60 KiB gzipped). behaviour.test.ts fails when the markup gains a data-module that
// is not started here.

import { Button, createAll, ErrorSummary, Header, NotificationBanner, PasswordInput, Radios, SkipLink } from "nhsuk-frontend";

const COMPONENTS = [Button, ErrorSummary, Header, NotificationBanner, PasswordInput, Radios, SkipLink];

/** The data-module names started by initComponents. */
export const STARTED_MODULES: readonly string[] = COMPONENTS.map((component) => component.moduleName);

/** Starts nhsuk-frontend's components found inside `scope` (each element once). */
export function initComponents(scope: Element): void {
  for (const component of COMPONENTS) createAll(component, undefined, scope);
  for (const summary of scope.querySelectorAll<HTMLElement>(".nhsuk-error-summary")) followSummaryLinksOnce(summary);
  for (const note of scope.querySelectorAll<HTMLElement>("[data-status-text]")) sayJustAfter(note);
}

/**
 * A status inset (statusInsetText, ui/components.ts) is on the page empty; its words go in on
 * the next turn, once screen readers know the region, so that they announce them.
 */
function sayJustAfter(note: HTMLElement): void {
  const text = note.dataset["statusText"] ?? "";
  delete note.dataset["statusText"];
  setTimeout(() => {
    const paragraph = note.querySelector("p");
    if (paragraph && note.isConnected) paragraph.textContent = text;
  }, 0);
}

const FOLLOWED_ONCE = "appEnterFollowsOnce";

/**
 * Enter on an error summary's link must only take the person to the field. Chromium follows a
 * link on the key's keydown, and nhsuk-frontend's ErrorSummary moves focus to the field there
 * and then; the same key press's keypress then reaches the field, and a text field's keypress
 * of Enter sends its form (HTML "implicit submission"): the page was refused again and focus
 * thrown back to a new summary, so a keyboard user could never reach the field. (Cancelling
 * the keydown does not stop that keypress in Chromium.) So the keypress of that one Enter, up
 * to its keyup, is cancelled wherever focus has gone.
 */
function followSummaryLinksOnce(summary: HTMLElement): void {
  if (summary.dataset[FOLLOWED_ONCE] !== undefined) return;
  summary.dataset[FOLLOWED_ONCE] = "";
  summary.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || event.repeat || !(event.target instanceof Element) || !event.target.closest('a[href^="#"]')) return;
    const swallow = (keypress: KeyboardEvent): void => {
      if (keypress.key === "Enter") keypress.preventDefault();
    };
    const done = (keyup: KeyboardEvent): void => {
      if (keyup.key !== "Enter") return;
      document.removeEventListener("keypress", swallow, true);
      document.removeEventListener("keyup", done, true);
    };
    document.addEventListener("keypress", swallow, true);
    document.addEventListener("keyup", done, true);
  });
}
