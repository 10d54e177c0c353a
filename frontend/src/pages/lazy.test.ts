import { beforeEach, describe, expect, it, vi } from "vitest";
import { html } from "../ui/html";
import { mountShell, type Layout } from "../shell/layout";
import { Router, routeMatcher, type Page } from "../shell/router";
import { notFoundPage } from "./errors/not-found";
import { problemPage } from "./errors/problem";
import { lazyArea, lazyPage } from "./lazy";
import { routes } from "./routes";
import { createApp } from "../shell/app";
import { fakeApi } from "../testing/harness";
import { helpRoutes } from "./help/help";
import { securityKeyRoutes } from "./security-keys/routes";
import { testToolsRoutes } from "./test-tools/test-tools";

let layout: Layout;
let router: Router | null = null;

const page =
  (heading: string): Page =>
  (ctx) => {
    ctx.show({ content: html`<h1>${heading}</h1><p>${JSON.stringify(ctx.params)}</p>` });
  };

async function start(table: Record<string, Page>, path: string): Promise<void> {
  router?.stop();
  window.history.replaceState(null, "", path);
  router = new Router({ layout, routes: table, notFound: notFoundPage, problem: problemPage, initComponents: () => {} });
  await router.start();
}

const heading = (): string => layout.main.querySelector("h1")?.textContent ?? "";

beforeEach(() => {
  document.body.innerHTML = '<div id="app"></div>';
  layout = mountShell(document.getElementById("app") as HTMLElement);
  window.scrollTo = vi.fn();
});

describe("an area loaded when first opened", () => {
  it("is not loaded until one of its addresses is opened, then once for all of them", async () => {
    const load = vi.fn(() => Promise.resolve({ "/area": page("Area"), "/area/:id": page("Item") }));
    await start({ "/": page("Start"), ...lazyArea(["/area", "/area/:id"], load) }, "/");
    expect(heading()).toBe("Start");
    expect(load).not.toHaveBeenCalled();
    await router?.navigate("/area");
    expect(heading()).toBe("Area");
    await router?.navigate("/area/k1");
    expect(heading()).toBe("Item");
    expect(layout.main.textContent).toContain('{"id":"k1"}');
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("says Page not found for an address it claims but its own table does not have", async () => {
    await start(lazyArea(["/area/:id"], () => Promise.resolve({ "/area/known": page("Known") })), "/area/unknown");
    expect(heading()).toBe("Page not found");
  });

  it("says the page could not be opened when its code cannot be fetched, with focus on the heading, and tries again next time", async () => {
    const load = vi
      .fn<() => Promise<Page>>()
      .mockRejectedValueOnce(new TypeError("Failed to fetch dynamically imported module"))
      .mockResolvedValue(page("Log in"));
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    await start({ "/": page("Start"), ...lazyPage("/login", load) }, "/");
    await router?.navigate("/login");
    expect(heading()).toBe("Sorry, this page could not be opened");
    expect(document.title).toBe("Sorry, this page could not be opened – NHS login passkeys");
    expect(document.activeElement).toBe(layout.main.querySelector("h1"));
    expect(layout.main.querySelector("#reload-page")?.textContent).toBe("Reload the page");
    expect(window.location.pathname).toBe("/login");
    expect(error).toHaveBeenCalled();
    error.mockRestore();

    await router?.navigate("/login");
    expect(heading()).toBe("Log in");
    expect(load).toHaveBeenCalledTimes(2);
  });
});

describe("the app's route table", () => {
  it("claims every address of every area loaded when first opened", () => {
    const app = createApp(fakeApi());
    const match = routeMatcher(routes(app));
    const areaAddresses = [
      ...Object.keys(helpRoutes(app)),
      ...Object.keys(testToolsRoutes(app)),
      ...Object.keys(securityKeyRoutes(app)),
    ].map((address) => address.replace(/:[a-z]+/g, "k1"));
    expect(areaAddresses.length).toBeGreaterThan(15);
    for (const address of areaAddresses) expect(match(address), address).not.toBeNull();
  });
});
