// Client-side routing with the History API. Links inside the app are caught and
// rendered without a page load; in the desktop app's window a link to a website opens in
// the person's own browser instead (shell/system-browser.ts). After every render the
// router sets the page title from the h1, moves focus (error summary, then success banner,
// then the h1) and scrolls to the top, so every page behaves the same for keyboard and
// screen reader users.

import { setFocus } from "nhsuk-frontend";
import type { Screen, View } from "../ui/view";
import { SERVICE_NAME, type Layout } from "./layout";
import { isWebsite, systemBrowser } from "./system-browser";

export interface NavigateOptions {
  /** Replace the current history entry (for redirects) instead of adding one. */
  replace?: boolean;
}

export interface PageContext extends Screen {
  path: string;
  /**
   * The `:name` segments of the route that matched, decoded: `/security-keys/:id` at
   * `/security-keys/abc` gives `{ id: "abc" }`. Empty for a route without any.
   */
  params: Readonly<Record<string, string>>;
  /**
   * Goes to another page, but only while this page is still the one in front of the person:
   * once they have moved on (a link, Back), a late answer (the session, a ceremony) never
   * takes them off the page they chose.
   */
  navigate(path: string, options?: NavigateOptions): Promise<void>;
}

export type Page = (ctx: PageContext) => void | Promise<void>;

export interface RouterOptions {
  /**
   * Every address and its page. A path segment written `:name` matches any one segment, which
   * the page reads as `ctx.params.name` (`/security-keys/:id/pin`); a path without one is
   * matched exactly, and wins over a pattern.
   */
  routes: Record<string, Page>;
  notFound: Page;
  /** Shown when a page fails in a way it did not handle. */
  problem: Page;
  layout: Layout;
  /** Starts nhsuk-frontend's JavaScript components inside a freshly rendered element. */
  initComponents: (scope: HTMLElement) => void;
  /**
   * Kiosk mode (a shared computer, shell/kiosk.ts): every page change replaces the history entry,
   * so Back has nothing to go back to, and a link that would leave the app (another site, a
   * new window) is not followed: `linkOut` says so instead, at the same address. This holds
   * whatever the click: with Ctrl, Shift, Alt or Meta, or the middle button (auxclick).
   */
  kiosk?: KioskRouting | Promise<KioskRouting | undefined>;
  /** What the router asks of the browser that jsdom cannot do; the window's own by default. */
  loader?: PageLoader;
}

/**
 * Loading a page outside the router (a full load, or a new window): what a test, whose jsdom
 * cannot load another page, records instead.
 */
export interface PageLoader {
  location: Pick<Location, "assign" | "replace">;
  open: Window["open"];
}

/** Kiosk mode's routing: what to show instead of following a link that leaves the app. */
export interface KioskRouting {
  linkOut: (url: URL) => Page;
}

/**
 * What a click on a link comes to: the browser's own action, a page of the app, kiosk mode's
 * "cannot open this here", a website in the person's own browser (the desktop app), a
 * fragment in place of this history entry or added after it, or nothing.
 */
type LinkAction =
  | { kind: "browser" }
  | { kind: "navigate"; path: string }
  | { kind: "link-out"; page: Page }
  | { kind: "system-browser"; url: string; open: (url: string) => void }
  | { kind: "replace"; href: string }
  | { kind: "assign"; href: string }
  | { kind: "nothing" };

export function pageTitle(main: ParentNode): string {
  const h1 = main.querySelector("h1");
  const heading = (h1?.textContent ?? "").replace(/\s+/g, " ").trim();
  const hasErrors = main.querySelector(".nhsuk-error-summary") !== null;
  return `${hasErrors ? "Error: " : ""}${heading ? `${heading} – ` : ""}${SERVICE_NAME}`;
}

/** Where focus goes after a page change: what the person most needs to hear first. */
export function focusTarget(main: ParentNode): HTMLElement | null {
  const summary = main.querySelector<HTMLElement>(".nhsuk-error-summary");
  if (summary) return summary;
  // A success banner, or an important one that tells the outcome of what just happened:
  // both have role="alert" (ui/components.ts).
  const banner = main.querySelector<HTMLElement>('.nhsuk-notification-banner[role="alert"]');
  if (banner) return banner;
  const h1 = main.querySelector<HTMLElement>("h1");
  if (h1) h1.setAttribute("tabindex", "-1");
  return h1;
}

export function normalisePath(pathname: string): string {
  if (pathname.length > 1 && pathname.endsWith("/")) return pathname.replace(/\/+$/, "") || "/";
  return pathname;
}

/** A route table's entry with `:name` segments, ready to match. */
interface PatternRoute {
  segments: string[];
  page: Page;
}

/** The page for a path: its exact route, else the first pattern that fits, else none. */
export interface RouteMatch {
  page: Page;
  params: Record<string, string>;
}

/** Builds the matcher for a route table (routes with `:name` segments are tried in table order). */
export function routeMatcher(routes: Record<string, Page>): (path: string) => RouteMatch | null {
  const exact = new Map<string, Page>();
  const patterns: PatternRoute[] = [];
  for (const [route, page] of Object.entries(routes)) {
    if (route.split("/").some((segment) => segment.startsWith(":"))) patterns.push({ segments: route.split("/"), page });
    else exact.set(route, page);
  }
  return (path) => {
    const page = exact.get(path);
    if (page) return { page, params: {} };
    const segments = path.split("/");
    for (const route of patterns) {
      const params = matchSegments(route.segments, segments);
      if (params) return { page: route.page, params };
    }
    return null;
  };
}

function matchSegments(route: string[], path: string[]): Record<string, string> | null {
  if (route.length !== path.length) return null;
  const params: Record<string, string> = {};
  for (const [i, want] of route.entries()) {
    const got = path[i] ?? "";
    if (!want.startsWith(":")) {
      if (want !== got) return null;
      continue;
    }
    if (got === "") return null;
    // A segment that is not valid percent-encoding names nothing: "Page not found".
    try {
      params[want.slice(1)] = decodeURIComponent(got);
    } catch {
      return null;
    }
  }
  return params;
}

export class Router {
  private readonly loader: PageLoader;
  private generation = 0;
  private currentPath: string | null = null;
  private readonly match: (path: string) => RouteMatch | null;
  /**
   * Kiosk mode's routing, undefined outside it, or the promise of one while GET /api/config
   * has not answered: the first page is rendered without waiting for it (issue #21).
   */
  private kiosk: KioskRouting | undefined | Promise<KioskRouting | undefined>;

  constructor(private readonly options: RouterOptions) {
    this.loader = options.loader ?? window;
    this.match = routeMatcher(options.routes);
    this.kiosk = options.kiosk;
    if (options.kiosk instanceof Promise) {
      // Not known yet is not kiosk mode for good: a failed config is the app as usual.
      this.kiosk = options.kiosk.catch(() => undefined).then((kiosk) => (this.kiosk = kiosk));
    }
  }

  private readonly onClickListener = (event: MouseEvent): void => this.onClick(event);
  // The middle button fires auxclick, not click; a new tab opens unless it is prevented.
  private readonly onAuxClickListener = (event: MouseEvent): void => {
    if (event.button === 1) this.onClick(event);
  };
  private readonly onPopStateListener = (): void => {
    const path = normalisePath(window.location.pathname);
    // A fragment link (the skip link, an error summary link) also fires
    // popstate; the page itself has not changed.
    if (path === this.currentPath) return;
    void this.render(path);
  };

  /** Installs the link and history listeners and renders the current address. */
  start(): Promise<void> {
    document.addEventListener("click", this.onClickListener);
    // In a web browser a middle click stays the browser's (linkAction); kiosk mode and the
    // desktop app's window, which has no tabs, decide it as any other click.
    document.addEventListener("auxclick", this.onAuxClickListener);
    window.addEventListener("popstate", this.onPopStateListener);
    return this.render(normalisePath(window.location.pathname));
  }

  /** Removes the listeners; any page still loading will not render. */
  stop(): void {
    document.removeEventListener("click", this.onClickListener);
    document.removeEventListener("auxclick", this.onAuxClickListener);
    window.removeEventListener("popstate", this.onPopStateListener);
    this.generation++;
  }

  async navigate(path: string, options: NavigateOptions = {}): Promise<void> {
    const url = new URL(path, window.location.href);
    const target = normalisePath(url.pathname) + url.search;
    const kiosk = await this.kiosk;
    if (options.replace || kiosk) window.history.replaceState(null, "", target);
    else window.history.pushState(null, "", target);
    await this.render(normalisePath(url.pathname));
  }

  private onClick(event: MouseEvent): void {
    if (event.defaultPrevented) return;
    const target = event.target;
    if (!(target instanceof Element)) return;
    const link = target.closest("a[href]");
    if (!(link instanceof HTMLAnchorElement)) return;
    const modified = event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
    // The desktop app's window (shell/system-browser.ts); undefined in a web browser.
    const open = systemBrowser();
    if (!(this.kiosk instanceof Promise)) {
      const action = this.linkAction(link, modified, this.kiosk, open);
      if (action.kind !== "browser") event.preventDefault();
      this.follow(action);
      return;
    }
    // GET /api/config has not answered yet. Where kiosk mode and the usual app would do the
    // same, do it; otherwise hold the click until it answers, then do what the mode says
    // (the browser's own action done by hand: a new window or a full load), so a link can
    // never leave a kiosk in the moment before it knows it is one.
    const usual = this.linkAction(link, modified, undefined, open);
    const inKiosk = this.linkAction(link, modified, { linkOut: () => () => undefined }, open); // only its kind is used
    if (usual.kind === inKiosk.kind && (usual.kind === "browser" || usual.kind === "navigate")) {
      if (usual.kind !== "browser") event.preventDefault();
      this.follow(usual);
      return;
    }
    event.preventDefault();
    void this.kiosk.then((kiosk) => {
      const action = this.linkAction(link, modified, kiosk, open);
      if (action.kind !== "browser") {
        this.follow(action);
        return;
      }
      const newWindow = modified || (link.target && link.target !== "_self");
      if (newWindow) this.loader.open(link.href, "_blank", "noopener");
      else this.loader.location.assign(link.href);
    });
  }

  /**
   * What a click on `link` comes to in the given mode. `open` is the desktop app's way to open
   * a website in the person's own browser, undefined in a web browser.
   */
  private linkAction(link: HTMLAnchorElement, modified: boolean, kiosk: KioskRouting | undefined, open: ((url: string) => void) | undefined): LinkAction {
    const url = new URL(link.href, window.location.href);
    const here = window.location;
    // Compare scheme and host rather than `origin`, which is "null" for the
    // desktop app's wails:// scheme.
    const inApp = url.protocol === here.protocol && url.host === here.host;
    // Kiosk mode checks before anything else: whatever the modifiers, nothing leaves the app
    // and nothing opens in a new window (a modified click on a link in the app opens it here).
    if (kiosk && !inApp) return { kind: "link-out", page: kiosk.linkOut(url) };
    // The desktop app's window (not kiosk mode): a website followed in the window would
    // replace the app with no address bar and no way back, and look like the app (a phishing
    // risk), so it opens in the person's own browser, whatever the click (with Ctrl, Shift,
    // Alt or Meta, the middle button, or target=_blank), and the window stays where it was.
    // Any other address out of the app (mailto:, a file) is not followed at all: the window
    // shows nothing but the app (on Linux the shell's navigation guard refuses it too,
    // app/desktop/webview_linux.go).
    const desktop = !kiosk && open !== undefined;
    if (desktop && !inApp) return isWebsite(url) ? { kind: "system-browser", url: url.href, open } : { kind: "nothing" };
    // In a web browser (`serve` mode) a modified or middle click, a new window and a download
    // are the browser's own (a new tab, a new window, a saved file).
    if (!kiosk && !desktop) {
      if (modified || (link.target && link.target !== "_self") || link.hasAttribute("download")) return { kind: "browser" };
    }
    // Kiosk mode and the desktop app's window have no tabs, and a new window would have no
    // way back either: from here on a link in the app opens here, whatever the click or its
    // target. A download is the webview's own, on a plain click only.
    if (desktop && link.hasAttribute("download")) return modified ? { kind: "nothing" } : { kind: "browser" };
    if (!inApp || url.pathname.startsWith("/api/")) {
      return modified ? { kind: "nothing" } : { kind: "browser" }; // not in a new window either
    }
    if (url.hash && normalisePath(url.pathname) === this.currentPath) {
      // A fragment link (the skip link, an error summary link) adds a history entry when the
      // browser follows it; in kiosk mode it replaces this one instead. A modified click in
      // the desktop app's window follows it here, as an unmodified one.
      if (kiosk) return { kind: "replace", href: url.href };
      return modified ? { kind: "assign", href: url.href } : { kind: "browser" };
    }
    return { kind: "navigate", path: url.pathname + url.search };
  }

  private follow(action: LinkAction): void {
    switch (action.kind) {
      case "navigate":
        void this.navigate(action.path);
        return;
      case "link-out":
        this.showLinkOut(action.page);
        return;
      case "system-browser":
        action.open(action.url);
        return;
      case "replace":
        this.loader.location.replace(action.href);
        return;
      case "assign":
        this.loader.location.assign(action.href);
        return;
      case "browser":
      case "nothing":
        return;
    }
  }

  /** Kiosk mode: says a link cannot be opened here, at the same address, without rendering a route. */
  private showLinkOut(page: Page): void {
    const generation = ++this.generation;
    const ctx = this.context(this.currentPath ?? "/", {}, generation);
    void Promise.resolve()
      .then(() => page(ctx))
      .catch(async (error: unknown) => {
        console.error(error);
        if (ctx.isCurrent()) await this.options.problem(ctx);
      });
  }

  private async render(path: string): Promise<void> {
    const generation = ++this.generation;
    this.currentPath = path;
    const match = this.match(path);
    const page = match?.page ?? this.options.notFound;
    const ctx = this.context(path, match?.params ?? {}, generation);
    try {
      await page(ctx);
    } catch (error) {
      console.error(error);
      if (ctx.isCurrent()) await this.options.problem(ctx);
    }
  }

  private context(path: string, params: Record<string, string>, generation: number): PageContext {
    const isCurrent = (): boolean => generation === this.generation;
    return {
      path,
      params,
      isCurrent,
      navigate: (to, options) => (isCurrent() ? this.navigate(to, options) : Promise.resolve()),
      show: (view) => {
        if (!isCurrent()) return null;
        return this.show(view);
      },
    };
  }

  private show(view: View): HTMLElement {
    const { layout, initComponents } = this.options;
    layout.beforeContent.innerHTML = view.beforeContent?.value ?? "";
    layout.beforeContent.hidden = !view.beforeContent;
    layout.main.innerHTML = view.content.value;
    initComponents(layout.page);
    document.title = pageTitle(layout.main);
    window.scrollTo(0, 0);
    const target = focusTarget(layout.main);
    if (target) setFocus(target);
    return layout.main;
  }
}
