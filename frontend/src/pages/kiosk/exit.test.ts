import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { axeViolations } from "../../testing/axe";
import { boot, fakeApi, fill, settle, submit, text } from "../../testing/harness";
import { CONNECTION_PROBLEM } from "../../api/request";

// The page asks the kiosk endpoints through fetch (api/kiosk.ts), as the test tools do.
let exitAnswers: (() => Response)[] = [];
const posted: unknown[] = [];

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

beforeEach(() => {
  exitAnswers = [];
  posted.length = 0;
  vi.stubGlobal(
    "fetch",
    vi.fn((path: string, init: RequestInit) => {
      if (path !== "/api/device/kiosk/exit") return Promise.resolve(json(404, { error: { code: "not_found", message: "Not found" } }));
      posted.push(JSON.parse(init.body as string) as unknown);
      const next = exitAnswers.shift();
      return next ? Promise.resolve(next()) : Promise.reject(new Error("no answer planned"));
    }),
  );
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const kioskConfig = (kiosk: boolean) => fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk }) });
const main = (): HTMLElement => document.querySelector("main") as HTMLElement;

describe("Close the app (kiosk mode)", () => {
  it("is Page not found outside kiosk mode", async () => {
    await boot("/kiosk/exit", kioskConfig(false));
    expect(text(main().querySelector("h1"))).toBe("Page not found");
    expect(main().querySelector("#secret")).toBeNull();
  });

  it("asks staff for the administrator secret in a password input", async () => {
    await boot("/kiosk/exit", kioskConfig(true), undefined, { kiosk: true });
    expect(document.title).toBe("Close the app – NHS login passkeys");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    const field = main().querySelector<HTMLInputElement>("#secret");
    expect(field?.type).toBe("password");
    expect(field?.getAttribute("autocomplete")).toBe("off");
    expect(text(main().querySelector('label[for="secret"]'))).toBe("Administrator secret");
    expect(text(main().querySelector("form button[type=submit]"))).toBe("Close the app");
    expect(text(main())).toContain("If you are a patient, you do not need to close the app.");
    expect(await axeViolations()).toEqual([]);
  });

  it.each([
    {
      what: "an empty secret",
      typed: "",
      answer: () =>
        json(422, { error: { code: "invalid_input", message: "Check the details you entered", fields: { secret: "Enter the administrator secret" } } }),
      says: "Enter the administrator secret",
      inline: true,
    },
    {
      what: "a wrong secret",
      typed: "guess",
      answer: () => json(403, { error: { code: "wrong_admin_secret", message: "The administrator secret is not correct" } }),
      says: "The administrator secret is not correct",
      inline: true,
    },
    {
      what: "too many wrong tries",
      typed: "guess again",
      answer: () => json(429, { error: { code: "too_many_tries", message: "Too many wrong tries. Wait 15 minutes, then try again." } }),
      says: "Too many wrong tries. Wait 15 minutes, then try again.",
      inline: false,
    },
  ])("refuses $what with the server's message in the NHS error pattern", async ({ typed, answer, says, inline }) => {
    await boot("/kiosk/exit", kioskConfig(true), undefined, { kiosk: true });
    exitAnswers.push(answer);
    fill("secret", typed);
    submit();
    await settle();
    expect(posted).toEqual([{ secret: typed }]);
    const summary = main().querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(document.title).toBe("Error: Close the app – NHS login passkeys");
    expect(text(summary)).toContain(says);
    if (inline) {
      expect(summary?.querySelector('a[href="#secret"]')?.textContent).toBe(says);
      expect(text(main().querySelector("#secret-error"))).toBe(`Error: ${says}`);
      expect(main().querySelector("#secret")?.getAttribute("aria-describedby")).toContain("secret-error");
    } else {
      expect(summary?.querySelector("a")).toBeNull();
      expect(main().querySelector("#secret-error")).toBeNull();
    }
    expect(main().querySelector<HTMLInputElement>("#secret")?.value).toBe("");
    expect(await axeViolations()).toEqual([]);
  });

  it("says the app is closing once the server accepts the secret", async () => {
    await boot("/kiosk/exit", kioskConfig(true), undefined, { kiosk: true });
    exitAnswers.push(() => json(200, { closing: true }));
    fill("secret", "the right secret");
    submit();
    await settle();
    expect(posted).toEqual([{ secret: "the right secret" }]);
    expect(text(main().querySelector("h1"))).toBe("The app is closing");
    expect(document.activeElement).toBe(main().querySelector("h1"));
    expect(text(main().querySelector('[role="status"]'))).toContain("The app will close in a moment.");
    expect(main().querySelector("#secret")).toBeNull();
    expect(await axeViolations()).toEqual([]);
  });

  it("announces that the app is closing in a live region that was on the page, empty, before the words", async () => {
    await boot("/kiosk/exit", kioskConfig(true), undefined, { kiosk: true });
    exitAnswers.push(() => json(200, { closing: true }));
    // What each live region held when it arrived on the page: a region added together with
    // its text is not announced by screen readers.
    const arrived: string[] = [];
    const observer = new MutationObserver((records) => {
      for (const record of records) {
        for (const node of record.addedNodes) {
          if (!(node instanceof Element)) continue;
          const regions = [node, ...node.querySelectorAll("*")].filter((e) => e.matches('[role="status"], [aria-live]'));
          arrived.push(...regions.map((r) => text(r)));
        }
      }
    });
    observer.observe(main(), { childList: true, subtree: true });
    fill("secret", "the right secret");
    submit();
    await settle();
    observer.disconnect();
    expect(text(main().querySelector("h1"))).toBe("The app is closing");
    expect(arrived.length).toBeGreaterThan(0);
    expect(arrived).toEqual(arrived.map(() => ""));
    expect(text(main().querySelector('[role="status"]'))).toBe("The app will close in a moment. Kiosk mode ends when it does.");
  });

  it("shows the service problem when there is no answer", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    await boot("/kiosk/exit", kioskConfig(true), undefined, { kiosk: true });
    fill("secret", "anything");
    submit(); // no answer planned: fetch fails
    await settle();
    expect(text(main().querySelector(".nhsuk-error-summary"))).toContain(CONNECTION_PROBLEM);
    expect(main().querySelector("#secret-error")).toBeNull();
  });
});
