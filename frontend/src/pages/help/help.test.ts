import { afterEach, describe, expect, it, vi } from "vitest";
import { account, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, text } from "../../testing/harness";
import { violations } from "../../testing/keys-fake";
import { HELP_TOPICS } from "./topics";

const desktopApp = () => fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost" }) });
const windowsApp = () => fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", system: "windows" }) });
const browser = () => fakeApi();
const windowsKiosk = () =>
  fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", system: "windows", kiosk: true }) });
const linuxKiosk = () => fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", system: "linux", kiosk: true }) });

function contentsLinks(main: HTMLElement): [string | null, string][] {
  return [...main.querySelectorAll(".nhsuk-contents-list__item")].map((item) => [
    item.querySelector("a")?.getAttribute("href") ?? null,
    text(item),
  ]);
}

describe("help", () => {
  it("has a page for every topic of the article, each with its own h1 and title", async () => {
    expect(HELP_TOPICS.map((t) => t.path)).toEqual([
      "/help",
      "/help/what-is-a-passkey",
      "/help/what-you-need",
      "/help/set-up",
      "/help/log-in",
      "/help/remove",
      "/help/lost-device",
      "/help/new-device",
    ]);
    const titles = new Set<string>();
    for (const topic of HELP_TOPICS) {
      const { main } = await boot(topic.path, browser());
      expect(text(main.querySelector("h1"))).toBe(topic.title);
      expect(document.title).toBe(`${topic.title} – NHS login passkeys`);
      expect(document.activeElement).toBe(main.querySelector("h1"));
      titles.add(document.title);
    }
    expect(titles.size).toBe(HELP_TOPICS.length);
  });

  it("lists the guide's pages on each page, the current one as text marked as current", async () => {
    const { main } = await boot("/help/set-up", browser());
    const nav = main.querySelector("nav.nhsuk-contents-list");
    expect(nav?.getAttribute("aria-label")).toBe("Pages in this guide");
    expect(contentsLinks(main)).toEqual([
      ["/help", "Help with passkeys"],
      ["/help/what-is-a-passkey", "What is a passkey"],
      ["/help/what-you-need", "What you need"],
      [null, "Set up a passkey"],
      ["/help/log-in", "Log in with a passkey"],
      ["/help/remove", "Remove a passkey"],
      ["/help/lost-device", "If you lose your device"],
      ["/help/new-device", "If you get a new device"],
    ]);
    expect(main.querySelector('.nhsuk-contents-list__item[aria-current="page"]')?.textContent).toContain("Set up a passkey");
  });

  it("links to the previous and next pages of the guide, and only those that exist", async () => {
    const pager = (main: HTMLElement) =>
      [...main.querySelectorAll(".nhsuk-pagination a")].map((a) => [a.getAttribute("rel"), a.getAttribute("href"), text(a)]);
    let { main } = await boot("/help/set-up", browser());
    expect(pager(main)).toEqual([
      ["prev", "/help/what-you-need", "Previous page : What you need"],
      ["next", "/help/log-in", "Next page : Log in with a passkey"],
    ]);
    ({ main } = await boot("/help", browser()));
    expect(pager(main)).toEqual([["next", "/help/what-is-a-passkey", "Next page : What is a passkey"]]);
    ({ main } = await boot("/help/new-device", browser()));
    expect(pager(main)).toEqual([["prev", "/help/lost-device", "Previous page : If you lose your device"]]);
  });

  it("moves between the guide's pages without reloading", async () => {
    const { main } = await boot("/help", browser());
    main.querySelector<HTMLAnchorElement>('.nhsuk-contents-list a[href="/help/remove"]')?.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(window.location.pathname).toBe("/help/remove");
    expect(text(main.querySelector("h1"))).toBe("How to remove a passkey");
  });

  it("explains what a passkey is and why to use one", async () => {
    const { main } = await boot("/help/what-is-a-passkey", browser());
    const said = text(main);
    expect(said).toMatch(/phishing/);
    expect(said).toMatch(/only works with the website or app it was made for/);
    expect(said).toMatch(/not even NHS login/);
  });

  it("in a browser, covers this device, a different phone or tablet, and Windows Hello or a security key", async () => {
    const { main } = await boot("/help/set-up", browser());
    const said = text(main);
    expect([...main.querySelectorAll("h2")].map(text)).toEqual([
      "Contents",
      "Set up a passkey on the device you are using",
      "Set up a passkey on a different phone or tablet",
      "Set up a passkey on a Windows computer or a security key",
      "If you already have a passkey",
    ]);
    for (const name of ["This device", "Windows Hello", "Use a different phone or tablet", "Windows Hello or external security key"]) {
      expect([...main.querySelectorAll("strong")].map(text)).toContain(name);
    }
    expect(said).toMatch(/QR code/);
    expect(main.querySelector('a[href="/account/security"]')).not.toBeNull();
  });

  it.each(["/help/what-you-need", "/help/set-up", "/help/log-in"])(
    "in the desktop app on Windows, %s names what Windows offers and never says the app cannot",
    async (path) => {
      const { main } = await boot(path, windowsApp());
      const said = text(main);
      for (const name of ["Windows Hello", "phone or tablet", "security key", "Bluetooth"]) {
        expect(said).toContain(name);
      }
      expect(said).not.toMatch(/You cannot [^.]*in this app|cannot save a passkey on this computer|cannot show a QR code/);
      expect(await violations()).toEqual([]);
    },
  );

  // Kiosk mode never offers "this device" (Windows Hello, the computer itself) and gives the
  // trusted-device advice in a shared computer's terms, on every page of the guide too.
  it.each([
    ["a Windows kiosk", windowsKiosk],
    ["a Linux kiosk", linuxKiosk],
  ])("in %s, no page of the guide offers this computer, and the advice is a shared computer's", async (_name, kioskApp) => {
    for (const topic of HELP_TOPICS) {
      const { main } = await boot(topic.path, kioskApp(), undefined, { kiosk: true });
      const said = text(main);
      const named = [...main.querySelectorAll("strong")].map(text);
      expect(named, topic.path).not.toContain("This device (Windows Hello)");
      expect(named, topic.path).not.toContain("This device");
      expect(said, topic.path).not.toMatch(/Windows Hello/);
      expect(said, topic.path).not.toMatch(/Only set up a passkey on a (device|security key) that belongs to you/);
      expect(said, topic.path).not.toMatch(/If you leave it empty, Windows will offer/);
      if (["/help/what-you-need", "/help/set-up"].includes(topic.path)) {
        expect(said, topic.path).toContain("This is a shared computer, so your passkey cannot be saved on it.");
        expect(said, topic.path).toContain("Only save a passkey on a security key, phone or tablet that belongs to you.");
      }
    }
  });

  it("in a Windows kiosk, the steps name only what a patient takes away", async () => {
    for (const path of ["/help/set-up", "/help/log-in"]) {
      const { main } = await boot(path, windowsKiosk(), undefined, { kiosk: true });
      const named = [...main.querySelectorAll("strong")].map(text);
      expect(named, path).toContain("Use a different phone or tablet");
      expect(named, path).toContain("A security key");
      expect(await violations()).toEqual([]);
    }
  });

  it("in the desktop app on Windows, says where Windows Settings deletes a passkey", async () => {
    const { main } = await boot("/help/remove", windowsApp());
    expect(text(main)).toContain("Settings > Accounts > Passkeys");
    expect(text(main)).toContain("Settings > Accounts > Sign-in options > Security key");
    expect(main.querySelector('a[href="/security-keys"]')).toBeNull();
  });

  it("in the desktop app, says plainly what it cannot do and offers a security key instead", async () => {
    const { main } = await boot("/help/set-up", desktopApp());
    expect([...main.querySelectorAll("h2")].map(text)).toEqual([
      "Contents",
      "Set up a passkey on a security key",
      "Set up a passkey on the device you are using",
      "Set up a passkey on a different phone or tablet",
      "If you already have a passkey",
    ]);
    const insets = [...main.querySelectorAll(".nhsuk-inset-text")].map(text);
    expect(insets).toContainEqual(expect.stringMatching(/You cannot save a passkey on the computer itself in this app/));
    expect(insets.filter((inset) => inset.includes("Use a security key instead"))).toHaveLength(1);
    expect(main.querySelector('a[href="/help/set-up#security-key"]')).not.toBeNull();
    expect(main.querySelector("#security-key")).not.toBeNull();
  });

  // The desktop app on Linux and macOS lists "Use a different phone or tablet" wherever it has
  // a Bluetooth scanner (docs/api.md, "Use a different phone or tablet"), and shows its own QR
  // code: the article's journeys "Set up a passkey on a device other than the one you are
  // using" and "Log in on a device that does not have your passkey" work there, so its help
  // gives their steps, with the article's name for the choice, instead of saying they cannot.
  it("in the desktop app on Linux and macOS, sets up a passkey on a different phone or tablet with the app's QR code", async () => {
    for (const path of ["/help/set-up", "/help/what-you-need"]) {
      const { main } = await boot(path, desktopApp());
      expect(text(main)).not.toMatch(/cannot use a different phone or tablet|cannot show (the|a) QR code|or on a phone or tablet\.|cannot use a passkey on a phone or tablet/);
    }
    const { main } = await boot("/help/set-up", desktopApp());
    const heading = [...main.querySelectorAll("h2")].find((h) => text(h) === "Set up a passkey on a different phone or tablet");
    const steps = [...(heading?.nextElementSibling?.nextElementSibling?.querySelectorAll("li") ?? [])].map(text);
    expect(steps[0]).toMatch(/^Go to your Login and security settings\./);
    expect(steps.slice(1, 3)).toEqual(["Select Passkeys.", "Select Set up a passkey, then select Continue."]);
    expect(steps[3]).toBe("Choose Use a different phone or tablet from the list, then select Continue. A QR code will appear.");
    expect(steps.join(" ")).toMatch(/Scan the QR code with the camera on the phone or tablet you want to keep your passkey on/);
    expect(text(main)).toMatch(/Turn on Bluetooth on this computer and on the phone or tablet/);
    const { main: need } = await boot("/help/what-you-need", desktopApp());
    expect(text(need)).toMatch(/Use a different phone or tablet/);
    expect(text(need)).toMatch(/Bluetooth/);
  });

  it("explains logging in with and without the passkey on the device, and AutoFill on iPhone and iPad", async () => {
    const { main } = await boot("/help/log-in", browser());
    const said = text(main);
    expect(said).toMatch(/Log in on a device that has your passkey/);
    expect(said).toMatch(/Log in on a device that does not have your passkey/);
    expect(said).toMatch(/leave it empty/);
    expect(said).toMatch(/Password AutoFill and Passkey AutoFill are turned on/);
    expect(main.querySelector('a[href="/login/password"]')).not.toBeNull();
  });

  it("in the desktop app on Linux and macOS, logs in with a security key, or with a phone or tablet by scanning the app's QR code", async () => {
    const { main } = await boot("/help/log-in", desktopApp());
    const said = text(main);
    expect(said).toMatch(/Touch your security key/);
    expect(said).not.toMatch(/cannot use a passkey on a phone or tablet/);
    const heading = [...main.querySelectorAll("h2")].find((h) => text(h) === "If your passkey is on a phone or tablet");
    const steps = [...(heading?.parentElement?.querySelectorAll("h2 + p + ol li, h2 + ol li") ?? [])].map(text);
    expect(steps).toContain("Choose Use a different phone or tablet from the list, then select Continue. A QR code will appear.");
    expect(steps.join(" ")).toMatch(/Scan the QR code with the camera on the phone or tablet that has your passkey/);
    expect(said).not.toMatch(/AutoFill/);
  });

  // The help article's steps, literally: "Go to Login and security settings", "Select
  // Passkeys", "Select Set up a passkey", with the names the pages use.
  it.each([
    ["in a browser", browser],
    ["in the desktop app", desktopApp],
    ["in the desktop app on Windows", windowsApp],
  ])("%s, gives the help article's steps to set up a passkey, in its order", async (_where, api) => {
    const { main } = await boot("/help/set-up", api());
    const lists = [...main.querySelectorAll("main > .nhsuk-grid-row ol:not(.nhsuk-contents-list__list)")];
    expect(lists.length).toBeGreaterThan(0);
    for (const list of lists) {
      const steps = [...list.querySelectorAll("li")].map(text);
      const settings = steps.findIndex((step) => step.startsWith("Go to your Login and security settings."));
      expect(settings).toBeGreaterThanOrEqual(0);
      expect(steps[settings + 1]).toBe("Select Passkeys.");
      expect(steps[settings + 2]).toMatch(/^Select Set up a passkey/);
      expect(list.querySelector('a[href="/account/security"]')?.textContent).toBe("Login and security settings");
    }
  });

  // WCAG 2.4.4 and NHS content style: a link says where it goes, so that someone who lists a
  // page's links (a screen reader's links list) knows each one without the sentence round it.
  it.each([
    ["in a browser", browser],
    ["in the desktop app", desktopApp],
    ["in the desktop app on Windows", windowsApp],
  ])("%s, every link in the guide makes sense on its own", async (_where, api) => {
    for (const topic of HELP_TOPICS) {
      const { main } = await boot(topic.path, api());
      for (const link of main.querySelectorAll("a")) {
        expect(text(link), `a link on ${topic.path}`).not.toMatch(/(^|\s)(it|them|this|that|here|more)$|^click/i);
      }
    }
  });

  it("says a second passkey first asks to confirm it's you with a passkey you have", async () => {
    const { main } = await boot("/help/set-up", browser());
    expect(text(main)).toContain("If you already have a passkey, you will first be asked to confirm it's you with it");
  });

  it("says how to remove a passkey, and to remove it from the device too", async () => {
    const { main } = await boot("/help/remove", browser());
    const steps = [...main.querySelectorAll("main > .nhsuk-grid-row ol:not(.nhsuk-contents-list__list) li")].map(text);
    expect(steps[0]).toMatch(/^Log in\./);
    expect(steps[1]).toBe("Go to your Login and security settings.");
    expect(steps[2]).toBe("Select Remove for the passkey you want to remove.");
    expect(steps[3]).toMatch(/confirm/);
    expect(text(main)).toContain("remove them one after the other. You will not be asked to log in again");
    expect(text(main)).toMatch(/also remove the passkey in your device's settings/);
    expect(main.querySelector('a[href="/security-keys"]')).toBeNull();
    const { main: desktop } = await boot("/help/remove", desktopApp());
    expect(desktop.querySelector('a[href="/security-keys"]')).not.toBeNull();
  });

  it("says what to do about a lost device and a new one", async () => {
    let { main } = await boot("/help/lost-device", browser());
    let said = text(main);
    expect(said).toMatch(/Nobody else can use it/);
    expect(said).toMatch(/its name, where it is saved and when it was last used/);
    expect(said).toMatch(/If you lost more than one device, remove each of their passkeys, one after the other. You will not need to log in again./);
    expect(main.querySelector('a[href="/help/set-up"]')).not.toBeNull();
    ({ main } = await boot("/help/new-device", browser()));
    said = text(main);
    expect(said).toMatch(/same Apple ID/);
    expect(said).toContain("Go to your Login and security settings, select Passkeys, then select Set up a passkey.");
    expect(text(main.querySelector(".nhsuk-inset-text"))).toMatch(/If you will not use your old device any more, remove its passkey/);
  });

  it("is linked where a person needs it: setting up a passkey, logging in and the settings", async () => {
    const signedIn = (overrides = {}) =>
      fakeApi({ getSession: signedInAs(account()), listPasskeys: () => Promise.resolve([]), ...overrides });
    const linksIn = (root: Element | null) => [...(root?.querySelectorAll("a") ?? [])].map((a) => a.getAttribute("href"));

    const inDesktopApp = { getConfig: () => Promise.resolve({ ceremonies: "device" as const, rpId: "localhost" }) };
    for (const api of [signedIn(), signedIn(inDesktopApp)]) {
      const { main } = await boot("/account/passkeys/set-up", api);
      expect(linksIn(main)).toEqual(expect.arrayContaining(["/help/what-you-need", "/help/set-up"]));
    }

    for (const api of [browser(), desktopApp()]) {
      const { main } = await boot("/login", api);
      const problems = main.querySelector("details.nhsuk-details");
      expect(text(problems?.querySelector("summary"))).toBe("Problems logging in with a passkey");
      expect(linksIn(problems)).toContain("/help/log-in");
    }
    const { main: browserLogin } = await boot("/login", browser());
    expect(text(browserLogin.querySelector("details"))).toMatch(/Password AutoFill and Passkey AutoFill/);
    const { main: desktopLogin } = await boot("/login", desktopApp());
    expect(text(desktopLogin.querySelector("details"))).toMatch(/cannot use a passkey on your phone or tablet/);

    const { main } = await boot("/account/security", signedIn());
    const lostOrNew = [...main.querySelectorAll("details")].find(
      (d) => text(d.querySelector("summary")) === "If you lose your device or get a new one",
    );
    expect(linksIn(lostOrNew ?? null)).toEqual(expect.arrayContaining(["/help/lost-device", "/help/new-device"]));
  });

  it("is in the footer of every page, next to the accessibility statement", async () => {
    const { router } = await boot("/login", browser());
    const links = [...document.querySelectorAll("footer .nhsuk-footer__list-item-link")].map((a) => [a.getAttribute("href"), text(a)]);
    expect(links).toEqual([
      ["/help", "Help"],
      ["/accessibility", "Accessibility statement"],
    ]);
    document.querySelector<HTMLAnchorElement>('footer a[href="/help"]')?.click();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(window.location.pathname).toBe("/help");
    expect(text(document.querySelector("main h1"))).toBe("Help with passkeys");
    router.stop();
  });
});

// The desktop app's window opens a website in the person's own browser (shell/router.ts), so
// there the link says so; Wails' runtime (window.runtime) is what tells the window apart.
describe("the link to the NHS login help centre", () => {
  const helpCentre = (main: HTMLElement) => main.querySelector<HTMLAnchorElement>('a[href="https://help.login.nhs.uk/"]');
  afterEach(() => {
    delete window.runtime;
  });

  it("says it opens the person's web browser in the desktop app's window, and opens it there", async () => {
    const browserOpenURL = vi.fn<(url: string) => void>();
    window.runtime = { BrowserOpenURL: browserOpenURL };
    const { main } = await boot("/help", desktopApp());
    expect(text(helpCentre(main))).toBe("NHS login help centre (opens in your web browser)");
    helpCentre(main)?.click();
    expect(browserOpenURL.mock.calls).toEqual([["https://help.login.nhs.uk/"]]);
    expect(window.location.pathname).toBe("/help");
    expect(await violations()).toEqual([]);
  });

  it("is the plain link in a web browser, where it opens as any link does", async () => {
    const { main } = await boot("/help", browser());
    expect(text(helpCentre(main))).toBe("NHS login help centre");
    expect(await violations()).toEqual([]);
  });

  it("does not say it opens a web browser in kiosk mode, which opens none", async () => {
    window.runtime = { BrowserOpenURL: vi.fn<(url: string) => void>() };
    const kioskApp = fakeApi({ getConfig: () => Promise.resolve({ ceremonies: "device", rpId: "localhost", kiosk: true }) });
    const { main } = await boot("/help", kioskApp, undefined, { kiosk: true });
    expect(text(helpCentre(main))).toBe("NHS login help centre");
  });
});
