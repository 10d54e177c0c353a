// What a page renders, and where: the contract between the pages (and a ceremony's steps,
// which render into the page that started it) and the router that shows them.

import type { SafeHtml } from "./html";

export interface View {
  content: SafeHtml;
  /** The back link shown above <main>, in its own navigation landmark (shell/layout.ts). */
  beforeContent?: SafeHtml;
}

/** Where a view is shown. Once the person has moved to another page it is stale. */
export interface Screen {
  /** False once the person has moved to another page: late answers must be dropped. */
  isCurrent(): boolean;
  /** Renders the view and settles title and focus. Returns <main>, or null if stale. */
  show(view: View): HTMLElement | null;
}
