import { describe, expect, it, vi } from "vitest";
import { axeViolations } from "../../testing/axe";
import { ApiError } from "../../api/request";
import { boot, fakeApi, settle, text } from "../../testing/harness";

const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true };

describe("start page", () => {
  it("explains passkeys and offers Log in and Create an account as button links", async () => {
    const { main } = await boot("/", fakeApi());
    expect(text(main.querySelector("h1"))).toBe("Manage passkeys for your NHS login");
    const logIn = main.querySelector<HTMLAnchorElement>('a.nhsuk-button[href="/login"]');
    expect(text(logIn)).toBe("Log in");
    expect(logIn?.getAttribute("role")).toBe("button");
    const create = main.querySelector<HTMLAnchorElement>('a.nhsuk-button.nhsuk-button--secondary[href="/create-account"]');
    expect(text(create)).toBe("Create an account");
  });

  it("sends someone already signed in straight to their settings, replacing the history entry", async () => {
    const before = window.history.length;
    const { main } = await boot(
      "/",
      fakeApi({
        getSession: () => Promise.resolve({ signedIn: true, account }),
        listPasskeys: () => Promise.resolve([]),
      }),
    );
    expect(window.location.pathname).toBe("/account/security");
    expect(text(main.querySelector("h1"))).toBe("Login and security settings");
    expect(window.history.length).toBe(before);
  });

  it("says the service cannot be reached when the app's relying party is a server that does not answer", async () => {
    const message = "Sorry, this computer cannot connect to the NHS login passkeys service at the moment.";
    const { main } = await boot(
      "/",
      fakeApi({ getSession: () => Promise.reject(new ApiError(502, "relying_party_unreachable", message)) }),
    );
    expect(text(main.querySelector("h1"))).toBe("Manage passkeys for your NHS login");
    const banner = main.querySelector(".nhsuk-notification-banner");
    expect(text(banner?.querySelector(".nhsuk-notification-banner__heading"))).toBe("You cannot log in at the moment");
    expect(text(banner?.querySelector(".nhsuk-notification-banner__content p"))).toBe(message);
  });

  it("says why when the desktop app cannot open its saved information, and offers no way in that would fail", async () => {
    const message =
      "The file /home/pat/.local/share/nhs-passkeys/passkeys.db was saved by a newer version of NHS login passkeys. It has not been changed. Install the newest version of the app, then open it again.";
    const { main } = await boot("/", fakeApi({ getSession: () => Promise.reject(new ApiError(503, "data_unusable", message)) }));
    expect(text(main.querySelector("h1"))).toBe("Manage passkeys for your NHS login");
    const banner = main.querySelector(".nhsuk-notification-banner");
    expect(text(banner?.querySelector(".nhsuk-notification-banner__heading"))).toBe("This app cannot open the information it has saved");
    const said = [...(banner?.querySelectorAll(".nhsuk-notification-banner__content p") ?? [])].map(text);
    expect(said).toEqual([message, "If you are not sure what to do, ask whoever looks after this computer for help."]);
    // The path in the message wraps rather than running out of the box (WCAG 1.4.10, Reflow).
    expect(banner?.querySelector(".nhsuk-notification-banner__content p")?.classList.contains("nhsuk-u-text-break-word")).toBe(true);
    expect(main.querySelector('a[href="/login"]')).toBeNull();
    expect(main.querySelector('a[href="/create-account"]')).toBeNull();
  });

  it("still shows the start page when the session cannot be checked", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { main } = await boot("/", fakeApi({ getSession: () => Promise.reject(new Error("offline")) }));
    expect(text(main.querySelector("h1"))).toBe("Manage passkeys for your NHS login");
  });
});

describe("start page after a visit ended in kiosk mode (a full page load of /?ended=...)", () => {
  const kioskApi = () => fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk: true }) });

  it.each([
    {
      ended: "logged-out",
      title: "Success",
      heading: "You have logged out",
      says: "If you used a security key, remember to take it with you.",
    },
    {
      ended: "timed-out&idle=300",
      title: "Important",
      heading: "You have been logged out",
      says: "We logged you out because you had not done anything for 5 minutes. This keeps your NHS login safe on a shared computer.",
    },
    {
      ended: "timed-out&limit=absolute",
      title: "Important",
      heading: "You have been logged out",
      says: "We logged you out because you had been logged in for 12 hours, the longest time allowed. This keeps your NHS login safe on a shared computer.",
    },
    {
      ended: "key-removed",
      title: "Important",
      heading: "You have been logged out",
      says: "We logged you out because your security key was taken out of this computer.",
    },
  ])("says how the visit ended ($ended) in a focused banner, and keeps nothing in the address", async ({ ended, title, heading, says }) => {
    const length = window.history.length;
    const { main } = await boot(`/?ended=${ended}`, kioskApi(), undefined, { kiosk: true });
    const banner = main.querySelector(".nhsuk-notification-banner");
    expect(text(banner?.querySelector(".nhsuk-notification-banner__title"))).toBe(title);
    expect(text(banner?.querySelector(".nhsuk-notification-banner__heading"))).toBe(heading);
    expect(text(banner)).toContain(says);
    expect(banner?.getAttribute("role")).toBe("alert");
    expect(document.activeElement).toBe(banner);
    expect(text(main.querySelector("h1"))).toBe("Manage passkeys for your NHS login");
    expect(window.location.pathname + window.location.search + window.location.hash).toBe("/");
    expect(window.history.length).toBe(length);
    expect(await axeViolations()).toEqual([]);
  });

  it("shows no banner for an address it does not know", async () => {
    const { main } = await boot("/?ended=somewhere", kioskApi(), undefined, { kiosk: true });
    expect(main.querySelector(".nhsuk-notification-banner")).toBeNull();
    expect(window.location.search).toBe("");
  });
});

describe("start page, when the session's answer comes late", () => {
  it("never moves someone who has opened another page meanwhile (Help from the footer) to their settings", async () => {
    let answer: () => void = () => {};
    const late = new Promise<void>((resolve) => (answer = resolve));
    const api = fakeApi({
      getSession: () => late.then(() => ({ signedIn: true as const, account })),
      listPasskeys: () => Promise.resolve([]),
    });
    // Not awaited: the start page waits for the session; the footer is there and its links work.
    const booting = boot("/", api);
    document.querySelector<HTMLAnchorElement>('footer a[href="/help"]')?.click();
    await vi.waitFor(() => expect(text(document.querySelector("main h1"))).toBe("Help with passkeys"));

    answer();
    await booting;
    await settle();
    expect(window.location.pathname).toBe("/help");
    expect(text(document.querySelector("main h1"))).toBe("Help with passkeys");
  });
});
