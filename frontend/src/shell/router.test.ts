import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { errorSummary, successBanner } from "../ui/components";
import { html } from "../ui/html";
import { mountShell, type Layout } from "./layout";
import { kioskLinkOutPage } from "../pages/kiosk/link-out";
import { focusTarget, normalisePath, pageTitle, Router, type KioskRouting, type Page, type PageContext } from "./router";

let layout: Layout;
let router: Router | null = null;
let scrollTo: ReturnType<typeof vi.fn>;

const simple =
  (heading: string, extra = html``): Page =>
  (ctx) => {
    ctx.show({ content: html`${extra}<h1>${heading}</h1><p><a href="/two">Two</a> <a href="#details">Details</a></p><p id="details">Details</p>` });
  };

async function start(
  routes: Record<string, Page>,
  path = "/",
  kiosk?: KioskRouting | Promise<KioskRouting | undefined>,
): Promise<Router> {
  router?.stop();
  window.history.replaceState(null, "", path);
  router = new Router({
    layout,
    routes,
    notFound: simple("Page not found"),
    problem: simple("Sorry, there is a problem with the service"),
    initComponents: () => {},
    kiosk,
  });
  await router.start();
  return router;
}

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  layout = mountShell(document.getElementById("app") as HTMLElement);
  scrollTo = vi.fn();
  window.scrollTo = scrollTo;
});

describe("after every page change", () => {
  it("titles the page after its h1 and moves focus to the h1", async () => {
    await start({ "/": simple("Manage passkeys for your NHS login") });
    expect(document.title).toBe("Manage passkeys for your NHS login – NHS login passkeys");
    const h1 = layout.main.querySelector("h1");
    expect(document.activeElement).toBe(h1);
    expect(h1?.getAttribute("tabindex")).toBe("-1");
    expect(scrollTo).toHaveBeenCalledWith(0, 0);
  });

  it("prefixes the title with Error: and focuses the error summary when there is one", async () => {
    await start({ "/": simple("Log in", errorSummary([{ text: "Enter an email address", href: "#email" }])) });
    expect(document.title).toBe("Error: Log in – NHS login passkeys");
    expect(document.activeElement).toBe(layout.main.querySelector(".nhsuk-error-summary"));
  });

  it("focuses a success banner rather than the h1, so it is announced", async () => {
    await start({ "/": simple("Login and security settings", successBanner("Passkey set up")) });
    expect(document.title).toBe("Login and security settings – NHS login passkeys");
    expect(document.activeElement).toBe(layout.main.querySelector(".nhsuk-notification-banner"));
  });

  it("shows the back link above main and clears it on a page without one", async () => {
    const withBack: Page = (ctx) => {
      ctx.show({ beforeContent: html`<a class="nhsuk-back-link" href="/">Back</a>`, content: html`<h1>Two</h1>` });
    };
    await start({ "/": simple("One"), "/two": withBack }, "/two");
    expect(layout.beforeContent.querySelector(".nhsuk-back-link")).not.toBeNull();
    // In a navigation landmark of its own before <main> (axe "region": nothing outside a landmark).
    expect(layout.beforeContent.matches('nav[aria-label="Back"]')).toBe(true);
    expect(layout.beforeContent.nextElementSibling).toBe(layout.main);
    expect(layout.beforeContent.hidden).toBe(false);
    await router?.navigate("/");
    expect(layout.beforeContent.innerHTML).toBe("");
    // No empty landmark for a screen reader to land on.
    expect(layout.beforeContent.hidden).toBe(true);
  });
});

describe("links and history", () => {
  it("renders a link within the app without loading a new page", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") });
    layout.main.querySelector<HTMLAnchorElement>('a[href="/two"]')?.click();
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("Two"));
    expect(window.location.pathname).toBe("/two");
    expect(document.title).toBe("Two – NHS login passkeys");
  });

  it("leaves fragment links, modified clicks and other sites to the browser", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") });
    const outside = document.createElement("a");
    outside.href = "https://www.nhs.uk/";
    layout.main.append(outside);

    // Listening on window runs after the router's document listener: record
    // what it decided, then stop jsdom from following the link itself.
    const decided: boolean[] = [];
    const record = (event: Event): void => {
      decided.push(event.defaultPrevented);
      event.preventDefault();
    };
    window.addEventListener("click", record);
    const click = (link: Element | null, init: MouseEventInit = {}): void => {
      link?.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, button: 0, ...init }));
    };
    click(layout.main.querySelector('a[href="#details"]'));
    click(layout.main.querySelector('a[href="/two"]'), { ctrlKey: true });
    click(outside);
    click(layout.main.querySelector('a[href="/two"]'));
    window.removeEventListener("click", record);

    expect(decided).toEqual([false, false, false, true]);
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("Two"));
  });

  it("does not render the page again when only the fragment changes", async () => {
    const first = vi.fn(simple("One"));
    await start({ "/": first });
    window.history.pushState(null, "", "/#details");
    window.dispatchEvent(new PopStateEvent("popstate"));
    expect(first).toHaveBeenCalledTimes(1);
  });

  it("renders the earlier page on Back, but not for a fragment-only change", async () => {
    const first = vi.fn(simple("One"));
    await start({ "/": first, "/two": simple("Two") });
    await router?.navigate("/two");
    window.history.pushState(null, "", "/two#details");
    window.dispatchEvent(new PopStateEvent("popstate"));
    expect(layout.main.querySelector("h1")?.textContent).toBe("Two");

    window.history.replaceState(null, "", "/");
    window.dispatchEvent(new PopStateEvent("popstate"));
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("One"));
    expect(first).toHaveBeenCalledTimes(2);
  });

  it("drops what a page renders after the person has moved on", async () => {
    let finishSlowPage: () => void = () => {};
    let late: HTMLElement | null | undefined;
    const slow: Page = async (ctx: PageContext) => {
      await new Promise<void>((resolve) => (finishSlowPage = resolve));
      late = ctx.show({ content: html`<h1>Slow</h1>` });
    };
    await start({ "/": simple("One"), "/slow": slow });
    const pending = router?.navigate("/slow");
    await router?.navigate("/");
    finishSlowPage();
    await pending;
    expect(late).toBeNull();
    expect(layout.main.querySelector("h1")?.textContent).toBe("One");
  });

  it("never lets a page that has been left take the person somewhere else when its answer comes late", async () => {
    let answer: () => void = () => {};
    const redirecting: Page = async (ctx: PageContext) => {
      await new Promise<void>((resolve) => (answer = resolve));
      await ctx.navigate("/elsewhere", { replace: true });
    };
    await start({ "/": simple("One"), "/redirecting": redirecting, "/two": simple("Two"), "/elsewhere": simple("Elsewhere") });
    const pending = router?.navigate("/redirecting");
    await router?.navigate("/two");
    answer();
    await pending;
    expect(window.location.pathname).toBe("/two");
    expect(layout.main.querySelector("h1")?.textContent).toBe("Two");
  });

  it("answers an unknown address with Page not found, and a failing page with the problem page", async () => {
    const failing: Page = () => {
      throw new Error("boom");
    };
    vi.spyOn(console, "error").mockImplementation(() => {});
    await start({ "/": simple("One"), "/fails": failing }, "/no/such/page");
    expect(document.title).toBe("Page not found – NHS login passkeys");
    await router?.navigate("/fails");
    expect(document.title).toBe("Sorry, there is a problem with the service – NHS login passkeys");
  });

  it("treats /login/ as /login", () => {
    expect(normalisePath("/login/")).toBe("/login");
    expect(normalisePath("/")).toBe("/");
  });
});

describe("pageTitle and focusTarget", () => {
  it("work from the markup alone", () => {
    const main = document.createElement("main");
    main.innerHTML = "<h1>\n  Set up a passkey\n</h1>";
    expect(pageTitle(main)).toBe("Set up a passkey – NHS login passkeys");
    expect(focusTarget(main)).toBe(main.querySelector("h1"));
  });
});

describe("kiosk mode", () => {
  const kiosk = { linkOut: kioskLinkOutPage };
  const click = (link: Element | null): boolean => {
    const event = new MouseEvent("click", { bubbles: true, cancelable: true, button: 0 });
    link?.dispatchEvent(event);
    return event.defaultPrevented;
  };

  it("replaces the history entry on every page change, so Back has nothing to go back to", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") }, "/", kiosk);
    const length = window.history.length;
    layout.main.querySelector<HTMLAnchorElement>('a[href="/two"]')?.click();
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("Two"));
    await router?.navigate("/");
    await router?.navigate("/two?x=1");
    expect(window.location.pathname + window.location.search).toBe("/two?x=1");
    expect(window.history.length).toBe(length);
  });

  it("adds history entries outside kiosk mode (the same steps, to show the test can tell)", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") });
    const length = window.history.length;
    await router?.navigate("/two");
    expect(window.history.length).toBe(length + 1);
  });

  it("never follows a link out of the app: it says the link cannot be opened, at the same address", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") }, "/two", kiosk);
    const outside = document.createElement("a");
    outside.href = "https://www.nhs.uk/conditions/";
    outside.textContent = "NHS website";
    layout.main.append(outside);
    expect(click(outside)).toBe(true);
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("This link cannot be opened on this computer"));
    expect(layout.main.textContent).toContain("The link goes to www.nhs.uk, outside this app.");
    expect(window.location.pathname).toBe("/two");
    expect(document.title).toBe("This link cannot be opened on this computer – NHS login passkeys");
    expect(document.activeElement).toBe(layout.main.querySelector("h1"));
    // Back returns to the page the person was on.
    const back = layout.beforeContent.querySelector<HTMLAnchorElement>("a.nhsuk-back-link");
    expect(back?.getAttribute("href")).toBe("/two");
    back?.click();
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("Two"));
  });

  it("opens a link meant for a new window here instead, and blocks one to another site", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") }, "/", kiosk);
    const sameSite = document.createElement("a");
    sameSite.href = "/two";
    sameSite.target = "_blank";
    layout.main.append(sameSite);
    expect(click(sameSite)).toBe(true);
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("Two"));

    const otherSite = document.createElement("a");
    otherSite.href = "mailto:someone@example.com";
    otherSite.target = "_blank";
    layout.main.append(otherSite);
    expect(click(otherSite)).toBe(true);
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("This link cannot be opened on this computer"));
  });

  it("never lets a link leave the app, whatever the modifiers, nor a middle click open a new window", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") }, "/two", kiosk);
    const outside = document.createElement("a");
    outside.href = "https://www.nhs.uk/conditions/";
    layout.main.append(outside);
    for (const init of [{ ctrlKey: true }, { shiftKey: true }, { metaKey: true }, { altKey: true }]) {
      const event = new MouseEvent("click", { bubbles: true, cancelable: true, button: 0, ...init });
      outside.dispatchEvent(event);
      expect(event.defaultPrevented).toBe(true);
    }
    const middle = new MouseEvent("auxclick", { bubbles: true, cancelable: true, button: 1 });
    outside.dispatchEvent(middle);
    expect(middle.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("This link cannot be opened on this computer"));
    expect(window.location.pathname).toBe("/two");

    // A link in the app opens here rather than in a new window.
    await router?.navigate("/");
    const inApp = new MouseEvent("auxclick", { bubbles: true, cancelable: true, button: 1 });
    layout.main.querySelector('a[href="/two"]')?.dispatchEvent(inApp);
    expect(inApp.defaultPrevented).toBe(true);
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("Two"));
  });

  it("follows a fragment link by replacing the history entry", async () => {
    await start({ "/": simple("One") }, "/", kiosk);
    const length = window.history.length;
    expect(click(layout.main.querySelector('a[href="#details"]'))).toBe(true);
    expect(window.location.hash).toBe("#details");
    expect(window.history.length).toBe(length);
    expect(layout.main.querySelector("h1")?.textContent).toBe("One");
  });
});

describe("routes with :name segments", () => {
  const idPage =
    (heading: string): Page =>
    (ctx) => {
      ctx.show({ content: html`<h1>${heading}</h1><p id="id">${ctx.params["id"] ?? "none"}</p>` });
    };
  const table = {
    "/security-keys": idPage("Security keys"),
    "/security-keys/new": idPage("Exact"),
    "/security-keys/:id": idPage("Key"),
    "/security-keys/:id/pin": idPage("PIN"),
  };
  const shown = (): { heading: string; id: string } => ({
    heading: layout.main.querySelector("h1")?.textContent ?? "",
    id: layout.main.querySelector("#id")?.textContent ?? "",
  });

  it.each([
    ["a key's page gets its id", "/security-keys/abc", { heading: "Key", id: "abc" }],
    ["a sub-page gets the id of its key", "/security-keys/abc/pin", { heading: "PIN", id: "abc" }],
    ["the id is decoded", "/security-keys/a%2Fb%20c/pin", { heading: "PIN", id: "a/b c" }],
    ["an exact route wins over a pattern", "/security-keys/new", { heading: "Exact", id: "none" }],
    ["a route without segments has no params", "/security-keys", { heading: "Security keys", id: "none" }],
    ["a trailing slash is the same page", "/security-keys/abc/", { heading: "Key", id: "abc" }],
    ["an unknown sub-page is not found", "/security-keys/abc/other", { heading: "Page not found", id: "" }],
    ["a segment more than the pattern is not found", "/security-keys/abc/pin/more", { heading: "Page not found", id: "" }],
    ["an empty id is not found", "/security-keys//pin", { heading: "Page not found", id: "" }],
    ["an id that is not valid percent-encoding is not found", "/security-keys/%E0%A4%A/pin", { heading: "Page not found", id: "" }],
  ])("%s", async (_name, path, expected) => {
    await start(table, path);
    expect(shown()).toEqual(expected);
  });

  it("gives the id to a page reached by a link in the app", async () => {
    await start({ ...table, "/": simple("Start", html`<a id="go" href="/security-keys/k%201">Key</a>`) });
    layout.main.querySelector<HTMLAnchorElement>("#go")?.click();
    await vi.waitFor(() => {
      expect(shown()).toEqual({ heading: "Key", id: "k 1" });
    });
  });
});

// The first page does not wait for GET /api/config (issue #21): main.ts gives the router the
// promise of kiosk mode's routing, and the router acts on a click whose outcome depends on
// the mode only once the answer is in.
describe("while GET /api/config has not answered", () => {
  function pending(): { kiosk: Promise<KioskRouting | undefined>; answer: (kiosk: KioskRouting | undefined) => void } {
    let answer: (kiosk: KioskRouting | undefined) => void = () => undefined;
    const kiosk = new Promise<KioskRouting | undefined>((resolve) => {
      answer = resolve;
    });
    return { kiosk, answer };
  }
  const outsideLink = (): HTMLAnchorElement => {
    const outside = document.createElement("a");
    outside.href = "https://www.nhs.uk/conditions/";
    layout.main.append(outside);
    return outside;
  };
  const click = (link: Element, init: MouseEventInit = {}): boolean => {
    const event = new MouseEvent("click", { bubbles: true, cancelable: true, button: 0, ...init });
    link.dispatchEvent(event);
    return event.defaultPrevented;
  };

  it("renders the first page at once", async () => {
    const { kiosk } = pending();
    await start({ "/": simple("One") }, "/", kiosk);
    expect(layout.main.querySelector("h1")?.textContent).toBe("One");
    expect(document.activeElement).toBe(layout.main.querySelector("h1"));
  });

  it("follows a link inside the app at once, and adds no history entry once kiosk mode is known", async () => {
    const { kiosk, answer } = pending();
    await start({ "/": simple("One"), "/two": simple("Two") }, "/", kiosk);
    const length = window.history.length;
    expect(click(layout.main.querySelector('a[href="/two"]') as Element)).toBe(true);
    answer({ linkOut: kioskLinkOutPage });
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("Two"));
    expect(window.history.length).toBe(length);
  });

  it("holds a link out of the app, then says it cannot be opened when the answer is kiosk mode", async () => {
    const { kiosk, answer } = pending();
    await start({ "/": simple("One") }, "/", kiosk);
    expect(click(outsideLink())).toBe(true);
    expect(layout.main.querySelector("h1")?.textContent).toBe("One");
    answer({ linkOut: kioskLinkOutPage });
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("This link cannot be opened on this computer"));
    expect(window.location.pathname).toBe("/");
  });

  it("holds a link out of the app, then follows it as the browser would when the answer is the usual app", async () => {
    const { kiosk, answer } = pending();
    // jsdom cannot load another page: the router's page loads are recorded instead.
    const assign = vi.fn();
    const open = vi.fn();
    router?.stop();
    window.history.replaceState(null, "", "/");
    router = new Router({ layout, routes: { "/": simple("One") }, notFound: simple("Page not found"), problem: simple("Problem"), initComponents: () => {}, kiosk, loader: { location: { assign, replace: vi.fn() }, open } });
    await router.start();
    const outside = outsideLink();
    expect(click(outside)).toBe(true);
    expect(click(outside, { ctrlKey: true })).toBe(true);
    expect(assign).not.toHaveBeenCalled();
    answer(undefined);
    await vi.waitFor(() => expect(assign).toHaveBeenCalledWith("https://www.nhs.uk/conditions/"));
    expect(open).toHaveBeenCalledWith("https://www.nhs.uk/conditions/", "_blank", "noopener");
    expect(layout.main.querySelector("h1")?.textContent).toBe("One");
  });

  it("runs as the usual app when the config cannot be had", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") }, "/", Promise.reject(new Error("offline")));
    const length = window.history.length;
    await router?.navigate("/two");
    expect(window.history.length).toBe(length + 1);
  });
});

// The desktop app's window (shell/system-browser.ts): Wails' runtime.js gives the page
// window.runtime.BrowserOpenURL, which the shell hands to the system's default browser. A
// stub stands in for it here; no browser can be opened from a test.
describe("in the desktop app's window", () => {
  const website = "https://help.login.nhs.uk/";
  let browserOpenURL: ReturnType<typeof vi.fn<(url: string) => void>>;

  beforeEach(() => {
    browserOpenURL = vi.fn<(url: string) => void>();
    window.runtime = { BrowserOpenURL: browserOpenURL };
  });
  afterEach(() => {
    delete window.runtime;
  });

  const link = (href: string, target = ""): HTMLAnchorElement => {
    const a = document.createElement("a");
    a.href = href;
    if (target) a.target = target;
    a.textContent = "NHS login help centre";
    layout.main.append(a);
    return a;
  };
  /** Dispatches a click (or, for the middle button, an auxclick) and says whether its default was prevented. */
  const activate = (a: Element | null, init: MouseEventInit = {}): boolean => {
    const type = init.button === 1 ? "auxclick" : "click";
    const event = new MouseEvent(type, { bubbles: true, cancelable: true, button: 0, ...init });
    a?.dispatchEvent(event);
    return event.defaultPrevented;
  };

  it.each([
    ["a click (or Enter)", {}, ""],
    ["a click with Ctrl", { ctrlKey: true }, ""],
    ["a click with Shift", { shiftKey: true }, ""],
    ["a click with Alt", { altKey: true }, ""],
    ["a click with Meta", { metaKey: true }, ""],
    ["a middle click", { button: 1 }, ""],
    ["a link meant for a new window", {}, "_blank"],
  ])("%s on a link to a website opens it in the person's own browser, and the window stays on its page", async (_name, init, target) => {
    await start({ "/": simple("One"), "/two": simple("Two") }, "/two");
    expect(activate(link(website, target), init)).toBe(true);
    expect(browserOpenURL.mock.calls).toEqual([[website]]);
    await Promise.resolve();
    expect(window.location.pathname).toBe("/two");
    expect(layout.main.querySelector("h1")?.textContent).toBe("Two");
  });

  it("opens a plain http website the same way, with the address as the link gives it", async () => {
    await start({ "/": simple("One") });
    expect(activate(link("http://example.com/a path?q=1#top"))).toBe(true);
    expect(browserOpenURL.mock.calls).toEqual([["http://example.com/a%20path?q=1#top"]]);
  });

  it("follows no other address out of the app in the window, nor hands it to the system", async () => {
    await start({ "/": simple("One") });
    for (const href of ["mailto:someone@example.com", "file:///etc/passwd", "ftp://example.com/"]) {
      expect(activate(link(href))).toBe(true);
      expect(activate(link(href), { ctrlKey: true })).toBe(true);
    }
    expect(browserOpenURL).not.toHaveBeenCalled();
    expect(layout.main.querySelector("h1")?.textContent).toBe("One");
  });

  it.each([
    ["a click", {}, ""],
    ["a click with Ctrl", { ctrlKey: true }, ""],
    ["a click with Shift", { shiftKey: true }, ""],
    ["a middle click", { button: 1 }, ""],
    ["a link meant for a new window", {}, "_blank"],
  ])("%s on a link in the app opens its page here (the window has no tabs)", async (_name, init, target) => {
    await start({ "/": simple("One"), "/two": simple("Two") });
    const length = window.history.length;
    expect(activate(link("/two", target), init)).toBe(true);
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("Two"));
    expect(window.location.pathname).toBe("/two");
    expect(window.history.length).toBe(length + 1);
    expect(browserOpenURL).not.toHaveBeenCalled();
  });

  it("leaves a plain click on a fragment link to the webview, and follows a modified one here", async () => {
    const assign = vi.fn();
    router?.stop();
    window.history.replaceState(null, "", "/");
    router = new Router({ layout, routes: { "/": simple("One") }, notFound: simple("Page not found"), problem: simple("Problem"), initComponents: () => {}, loader: { location: { assign, replace: vi.fn() }, open: vi.fn() } });
    await router.start();
    const fragment = layout.main.querySelector('a[href="#details"]');
    const decided: boolean[] = [];
    const record = (event: Event): void => {
      decided.push(event.defaultPrevented);
      event.preventDefault();
    };
    window.addEventListener("click", record);
    activate(fragment);
    window.removeEventListener("click", record);
    expect(decided).toEqual([false]);
    expect(activate(fragment, { ctrlKey: true })).toBe(true);
    expect(assign).toHaveBeenCalledWith(`${window.location.origin}/#details`);
    expect(browserOpenURL).not.toHaveBeenCalled();
  });

  it("in kiosk mode, says the link cannot be opened and never hands it to the system browser", async () => {
    await start({ "/": simple("One"), "/two": simple("Two") }, "/two", { linkOut: kioskLinkOutPage });
    for (const init of [{}, { ctrlKey: true }, { button: 1 }]) expect(activate(link(website), init)).toBe(true);
    expect(activate(link(website, "_blank"))).toBe(true);
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("This link cannot be opened on this computer"));
    expect(browserOpenURL).not.toHaveBeenCalled();
    expect(window.location.pathname).toBe("/two");
  });

  it("holds a link to a website until GET /api/config answers, then opens it in the browser for the usual app", async () => {
    let answer: (kiosk: KioskRouting | undefined) => void = () => undefined;
    const kiosk = new Promise<KioskRouting | undefined>((resolve) => (answer = resolve));
    await start({ "/": simple("One") }, "/", kiosk);
    expect(activate(link(website))).toBe(true);
    expect(browserOpenURL).not.toHaveBeenCalled();
    answer(undefined);
    await vi.waitFor(() => expect(browserOpenURL.mock.calls).toEqual([[website]]));
    expect(layout.main.querySelector("h1")?.textContent).toBe("One");
  });

  it("holds a link to a website until GET /api/config answers, then says it cannot be opened in kiosk mode", async () => {
    let answer: (kiosk: KioskRouting | undefined) => void = () => undefined;
    const kiosk = new Promise<KioskRouting | undefined>((resolve) => (answer = resolve));
    await start({ "/": simple("One") }, "/", kiosk);
    expect(activate(link(website))).toBe(true);
    answer({ linkOut: kioskLinkOutPage });
    await vi.waitFor(() => expect(layout.main.querySelector("h1")?.textContent).toBe("This link cannot be opened on this computer"));
    expect(browserOpenURL).not.toHaveBeenCalled();
  });
});

describe("in a web browser (serve mode: no Wails runtime)", () => {
  it("leaves a link to a website, however it is clicked, to the browser's own action", async () => {
    expect(window.runtime).toBeUndefined();
    await start({ "/": simple("One") });
    const outside = document.createElement("a");
    outside.href = "https://help.login.nhs.uk/";
    layout.main.append(outside);
    const decided: boolean[] = [];
    const record = (event: Event): void => {
      decided.push(event.defaultPrevented);
      event.preventDefault();
    };
    window.addEventListener("click", record);
    window.addEventListener("auxclick", record);
    for (const init of [{}, { ctrlKey: true }, { shiftKey: true }]) {
      outside.dispatchEvent(new MouseEvent("click", { bubbles: true, cancelable: true, button: 0, ...init }));
    }
    outside.dispatchEvent(new MouseEvent("auxclick", { bubbles: true, cancelable: true, button: 1 }));
    window.removeEventListener("click", record);
    window.removeEventListener("auxclick", record);
    expect(decided).toEqual([false, false, false, false]);
    expect(layout.main.querySelector("h1")?.textContent).toBe("One");
  });
});
