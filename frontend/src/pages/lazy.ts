// Areas of the app loaded when first opened (issue #21 item 4): the start page's bundle holds
// only the start page, the shell and what they use, and each area's code (Vite puts every
// dynamic import() in a chunk of its own, a file under /assets, so the CSP's default-src
// 'self' allows it) is fetched the first time one of its addresses is opened, then kept.
//
// The route table still names every address (pages/routes.ts), so "Page not found" needs no
// download; an area's own table decides which of its pages an address is. A chunk that
// cannot be fetched shows "Sorry, this page could not be opened" with a way to reload, never
// a blank page, and the next visit to the area tries again. Focus, the page title and the
// screen reader's announcement are the router's, after the page shows itself as always.

import { routeMatcher, type Page, type RouteMatch } from "../shell/router";
import { notFoundPage } from "./errors/not-found";
import { notLoadedPage } from "./errors/not-loaded";

/** An area's pages by address (patterns with `:name` segments allowed), once its code is here. */
export type AreaLoader = () => Promise<Record<string, Page>>;

/**
 * Routes for `addresses` (exact paths or `:name` patterns, as the router takes them) whose
 * pages come from `load`, called once, when the first of them is opened. Each address is
 * matched again against the area's own table; one it does not have is "Page not found".
 */
export function lazyArea(addresses: readonly string[], load: AreaLoader): Record<string, Page> {
  let area: Promise<(path: string) => RouteMatch | null> | null = null;
  const page: Page = async (ctx) => {
    area ??= load().then(routeMatcher);
    let match;
    try {
      match = (await area)(ctx.path);
    } catch (error) {
      area = null; // try again next time: the connection may be back
      console.error(error);
      if (ctx.isCurrent()) await notLoadedPage(ctx);
      return;
    }
    if (!ctx.isCurrent()) return;
    if (!match) {
      await notFoundPage(ctx);
      return;
    }
    await match.page({ ...ctx, params: match.params });
  };
  return Object.fromEntries(addresses.map((address) => [address, page]));
}

/** One page at `address` whose code is loaded when it is first opened (a one-page area). */
export function lazyPage(address: string, load: () => Promise<Page>): Record<string, Page> {
  return lazyArea([address], async () => ({ [address]: await load() }));
}
