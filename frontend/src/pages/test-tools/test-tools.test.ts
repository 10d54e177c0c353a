// The test tools for the virtual security key: found by asking (404 = none),
// the choice of what the key does next, what it holds, a reset and starting again.

import { afterEach, describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import { createApp, type App } from "../../shell/app";
import type { VisitEnd } from "../../shell/kiosk";
import { mountShell } from "../../shell/layout";
import { Router } from "../../shell/router";
import { appRouter } from "../routes";
import { axeViolations } from "../../testing/axe";
import { fakeApi, settle, submit, text } from "../../testing/harness";
import { createTesterApi, type TesterApi, type TesterState } from "../../api/tester";
import { offerTestTools } from "./test-tools";
import { ApiError } from "../../api/request";

const main = (): HTMLElement => document.querySelector("main") as HTMLElement;
const h1 = (): string => text(main().querySelector("h1"));

function state(overrides: Partial<TesterState> = {}): TesterState {
  return {
    next: "succeed",
    testPin: "123456",
    touchSeconds: 15,
    pin: { set: false, isTestPin: false, retriesLeft: 8, blocked: false },
    passkeys: [],
    plugged: true,
    ...overrides,
  };
}

/** The tester endpoints, scripted: what GET answers, and every call made. */
class FakeTester implements TesterApi {
  current: TesterState | null = state();
  calls: string[] = [];
  chooseError: ApiError | null = null;
  plugError: ApiError | null = null;
  get(): Promise<TesterState | null> {
    this.calls.push("get");
    return Promise.resolve(this.current);
  }
  choose(choice: string): Promise<TesterState> {
    this.calls.push(`choose ${choice}`);
    if (this.chooseError) return Promise.reject(this.chooseError);
    const pinSet = choice === "ask-for-pin" || choice === "wrong-pin" || choice === "pin-blocked" || !!this.current?.pin.set;
    this.current = state({
      next: choice === "succeed" && pinSet ? "ask-for-pin" : (choice as TesterState["next"]),
      pin: { set: pinSet, isTestPin: pinSet, retriesLeft: choice === "pin-blocked" ? 0 : 8, blocked: choice === "pin-blocked" },
    });
    return Promise.resolve(this.current);
  }
  reset(): Promise<TesterState> {
    this.calls.push("reset");
    this.current = state();
    return Promise.resolve(this.current);
  }
  plug(plugged: boolean): Promise<TesterState> {
    this.calls.push(`plug ${String(plugged)}`);
    if (this.plugError) return Promise.reject(this.plugError);
    this.current = state({ ...this.current, plugged });
    return Promise.resolve(this.current);
  }
}

let running: Router | null = null;
afterEach(() => {
  running?.stop();
  running = null;
});

let booted: App | null = null;

/** Kiosk mode's full page load (jsdom cannot load pages) is `leave`; by default it fails the test. */
async function boot(
  path: string,
  tester: TesterApi,
  api: Api = fakeApi(),
  leave: (end: VisitEnd) => void = (end) => {
    throw new Error(`unexpected page load: ${end.kind}`);
  },
): Promise<Router> {
  window.history.replaceState(null, "", path);
  document.documentElement.lang = "en";
  document.body.className = "js-enabled nhsuk-frontend-supported";
  document.body.innerHTML = '<div id="app"></div>';
  window.scrollTo = vi.fn();
  const root = document.getElementById("app") as HTMLElement;
  const layout = mountShell(root);
  const app = createApp(api, undefined, { leave });
  booted = app;
  const router = appRouter(app, layout, false, { tester });
  running?.stop();
  running = router;
  await router.start();
  await offerTestTools(root, tester);
  await settle();
  return router;
}

function clickLink(label: string): void {
  const link = [...document.querySelectorAll<HTMLAnchorElement>("a")].find((a) => text(a) === label);
  if (!link) throw new Error(`no link "${label}" on "${h1()}"`);
  link.click();
}

function choose(label: string): void {
  const input = [...main().querySelectorAll<HTMLLabelElement>("label")].find((l) => text(l) === label)?.control;
  if (!(input instanceof HTMLInputElement)) throw new Error(`no choice "${label}"`);
  input.checked = true;
}

describe("test tools", () => {
  it("take the virtual key out and put it back, saying which it is", async () => {
    const tester = new FakeTester();
    await boot("/test-tools", tester);
    expect(text(main().querySelector("#tester-plugged"))).toBe("The virtual key is plugged in.");
    submit(main().querySelector("form[data-plug]") as HTMLFormElement);
    await settle();
    expect(tester.calls).toContain("plug false");
    expect(text(main().querySelector(".nhsuk-notification-banner"))).toContain("The virtual key is taken out");
    expect(text(main().querySelector("#tester-plugged"))).toBe(
      "The virtual key is taken out. The app cannot use it until you put it back.",
    );
    expect(text(main().querySelector("form[data-plug] button"))).toBe("Put the key back in");
    submit(main().querySelector("form[data-plug]") as HTMLFormElement);
    await settle();
    expect(tester.calls).toContain("plug true");
    expect(text(main().querySelector("#tester-plugged"))).toBe("The virtual key is plugged in.");
    expect(await axeViolations()).toEqual([]);
  });

  it("say when the key cannot be taken out, in an error summary", async () => {
    const tester = new FakeTester();
    tester.plugError = new ApiError(0, "network_error", "Sorry, we could not connect to the service. Check your connection and try again.");
    await boot("/test-tools", tester);
    submit(main().querySelector("form[data-plug]") as HTMLFormElement);
    await settle();
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain("Sorry, we could not connect to the service. Check your connection and try again.");
    expect(document.activeElement).toBe(summary);
    expect(document.title).toBe("Error: Test tools for the virtual security key – NHS login passkeys");
    expect(text(main().querySelector("form[data-plug] button"))).toBe("Take the key out");
    expect(await axeViolations()).toEqual([]);
  });

  it("are not there without the virtual key: no footer link, and each address is Page not found", async () => {
    const tester = new FakeTester();
    tester.current = null;
    for (const path of ["/test-tools", "/test-tools/next", "/test-tools/reset", "/test-tools/start-again"]) {
      await boot(path, tester);
      expect(h1()).toBe("Page not found");
    }
    expect(document.querySelector('footer a[href="/test-tools"]')).toBeNull();
  });

  it("find out by asking the tester endpoints: a 404 means none", async () => {
    const fetchImpl = vi.fn(() =>
      Promise.resolve(new Response(JSON.stringify({ error: { code: "not_found", message: "Page not found" } }), { status: 404 })),
    );
    expect(await createTesterApi(fetchImpl).get()).toBeNull();
    expect(fetchImpl).toHaveBeenCalledWith("/api/device/tester", expect.objectContaining({ method: "GET" }));
    const failing = createTesterApi(() => Promise.resolve(new Response("{}", { status: 500 })));
    await expect(failing.get()).rejects.toBeInstanceOf(ApiError);
  });

  it("are reached from a footer link, marked as a test tool, and say what the key does next and holds", async () => {
    const tester = new FakeTester();
    tester.current = state({
      next: "cancel",
      pin: { set: true, isTestPin: true, retriesLeft: 7, blocked: false },
      passkeys: [
        {
          credentialId: "abc",
          rpId: "localhost",
          rpName: "NHS login",
          userName: "pat@example.com",
          userDisplayName: "pat@example.com",
          createdAt: "2026-03-02T09:05:00Z",
        },
      ],
    });
    await boot("/", tester);
    const link = document.querySelector<HTMLAnchorElement>('footer a[href="/test-tools"]');
    expect(text(link)).toBe("Test tools (virtual security key)");
    clickLink("Test tools (virtual security key)");
    await settle();
    expect(h1()).toBe("Test tools for the virtual security key");
    expect(document.title).toBe("Test tools for the virtual security key – NHS login passkeys");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(text(main().querySelector(".nhsuk-tag"))).toBe("Test tool");
    expect(text(main().querySelector(".nhsuk-card--warning"))).toContain("Never use the virtual key for a real person's NHS login");
    expect(text(main())).toContain("Next: be cancelled");
    expect(text(main())).toContain("A choice happens once, the next time the key is used. Then the key goes back to succeeding.");
    const [pinRows, passkeyRows] = main().querySelectorAll(".nhsuk-summary-list");
    expect(text(pinRows)).toBe("PIN 123456 (the test PIN) PIN tries left 7");
    expect(text(main())).toContain("Passkeys on the virtual key (1)");
    expect(text(passkeyRows)).toMatch(/^pat@example\.com Website: localhost Set up 2 March 2026 at /);
    expect(await axeViolations()).toEqual([]);
  });

  it("save a choice, then show it as next with a success banner", async () => {
    const tester = new FakeTester();
    await boot("/test-tools", tester);
    expect(text(main())).toContain("Next: succeed");
    clickLink("Change what the key does next");
    await settle();
    expect(h1()).toBe("What should the virtual security key do next?");
    const labels = [...main().querySelectorAll("label")].map((l) => text(l));
    expect(labels).toEqual([
      "Succeed",
      "Wait for a touch, then succeed",
      "Be cancelled",
      "Time out",
      "Ask for a PIN",
      "Refuse a PIN as wrong",
      "Be blocked",
      "Be full",
      "Say the passkey is already on it",
      "Be unplugged",
    ]);
    expect(text(main())).toContain("The key has no PIN, so it gets the test PIN 123456.");
    // What lasts and what happens once, as the key does it: a PIN given stays (so the key
    // keeps asking for it), a blocked PIN stays until a reset, and the set-up choices wait
    // for a set-up.
    const hint = text(main().querySelector("#choice-hint"));
    expect(hint).not.toContain("It does this once, the next time it is used. Then it goes back to succeeding.");
    expect(hint).toBe(
      "Most choices happen once, the next time the key is used, then it goes back to succeeding. Be full and Say the passkey is already on it wait for the next passkey set-up. A PIN the key is given stays, and a blocked PIN stays blocked until you reset the key.",
    );
    expect(await axeViolations()).toEqual([]);

    submit();
    await settle();
    expect(document.title).toBe("Error: What should the virtual security key do next? – NHS login passkeys");
    expect(document.activeElement?.classList.contains("nhsuk-error-summary")).toBe(true);
    expect(text(main().querySelector(".nhsuk-error-summary a[href='#choice']"))).toBe("Select what the virtual security key should do next");
    expect(await axeViolations()).toEqual([]);

    choose("Refuse a PIN as wrong");
    submit();
    await settle();
    expect(tester.calls).toContain("choose wrong-pin");
    expect(h1()).toBe("Test tools for the virtual security key");
    const banner = main().querySelector(".nhsuk-notification-banner--success");
    expect(document.activeElement).toBe(banner);
    expect(text(banner)).toContain("Saved. Next, the virtual key will refuse the PIN as wrong");
    expect(text(banner)).toContain("The virtual key now has the test PIN 123456.");
    expect(text(main())).toContain("Next: refuse the PIN as wrong");
  });

  it("say what the server refused", async () => {
    const tester = new FakeTester();
    tester.chooseError = new ApiError(409, "test_pin_refused", "The virtual security key needs a longer PIN than the test PIN. Reset the virtual key, then try again.");
    await boot("/test-tools/next", tester);
    choose("Ask for a PIN");
    submit();
    await settle();
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain("needs a longer PIN than the test PIN");
    expect(h1()).toBe("What should the virtual security key do next?");
  });

  it("reset the key after asking if you are sure", async () => {
    const tester = new FakeTester();
    tester.current = state({ next: "ask-for-pin", pin: { set: true, isTestPin: false, retriesLeft: 8, blocked: false } });
    await boot("/test-tools", tester);
    expect(text(main().querySelector(".nhsuk-summary-list"))).toContain("Set. It is the PIN you chose.");
    clickLink("Reset the virtual key");
    await settle();
    expect(h1()).toBe("Are you sure you want to reset the virtual security key?");
    expect(main().querySelector("button")?.classList.contains("nhsuk-button--warning")).toBe(true);
    expect(tester.calls).not.toContain("reset");
    expect(await axeViolations()).toEqual([]);
    submit();
    await settle();
    expect(tester.calls).toContain("reset");
    expect(h1()).toBe("Test tools for the virtual security key");
    expect(text(main().querySelector(".nhsuk-notification-banner--success"))).toContain("The virtual key has been reset");
    expect(text(main())).toContain("The virtual key has no passkeys on it.");
  });

  it("start again: reset the key, log out, then create an account", async () => {
    const tester = new FakeTester();
    const logout = vi.fn(() => Promise.resolve());
    await boot("/test-tools/start-again", tester, fakeApi({ logout }));
    expect(h1()).toBe("Are you sure you want to start again with a new account?");
    expect(await axeViolations()).toEqual([]);
    submit();
    await settle();
    expect(tester.calls).toContain("reset");
    expect(logout).toHaveBeenCalledOnce();
    expect(window.location.pathname).toBe("/create-account");
    expect(h1()).toBe("Create an account");
  });

  it("start again ends the visit as logging out does: forgetting the journey, and in kiosk mode loading the start page", async () => {
    const usual = await boot("/", new FakeTester(), fakeApi({ logout: () => Promise.resolve() }));
    const app = booted as App;
    app.journey.email = "pat@example.com";
    await usual.navigate("/test-tools/start-again");
    submit();
    await settle();
    expect(h1()).toBe("Create an account");
    expect(app.journey).toEqual({ email: "", passkey: null, passkeyFrom: null, removalProof: null, loggedInWith: null, notice: null });

    const leave = vi.fn();
    const kioskApi = fakeApi({
      getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk: true }),
      logout: () => Promise.resolve(),
    });
    const tester = new FakeTester();
    await boot("/test-tools/start-again", tester, kioskApi, leave);
    submit();
    await settle();
    expect(tester.calls).toContain("reset");
    expect(leave).toHaveBeenCalledWith({ kind: "logged-out" });
    expect(window.location.pathname).toBe("/test-tools/start-again");
  });
});
