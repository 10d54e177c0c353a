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
}
