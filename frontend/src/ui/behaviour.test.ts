import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { initComponents, STARTED_MODULES } from "./behaviour";
import { errorSummary, input } from "./components";

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("nhsuk-frontend's JavaScript", () => {
  it("is started for every data-module the app's markup uses", () => {
    const used = new Set(
      sources(join(__dirname, "..")).flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/data-module="([a-z-]+)"/g)].map((match) => match[1]),
      ),
    );
    expect(used.size).toBeGreaterThan(0);
    for (const name of used) expect(STARTED_MODULES, `data-module="${String(name)}"`).toContain(name);
  });
});

describe("an error summary's link followed with Enter", () => {
  function page(): { link: HTMLAnchorElement; field: HTMLInputElement } {
    // jsdom lays nothing out: the component scrolls the label into view before it focuses.
    Element.prototype.scrollIntoView = () => undefined;
    document.body.className = "js-enabled nhsuk-frontend-supported";
    document.body.innerHTML = `<main>${errorSummary([{ text: "Enter a name for your passkey", href: "#name" }]).value}<form>${
      input({ id: "name", label: "New name", error: "Enter a name for your passkey" }).value
    }<button>Save name</button></form></main>`;
    initComponents(document.body);
    initComponents(document.body); // every page change starts what is new: once per summary
    return {
      link: document.querySelector<HTMLAnchorElement>(".nhsuk-error-summary a") as HTMLAnchorElement,
      field: document.querySelector<HTMLInputElement>("#name") as HTMLInputElement,
    };
  }

  // jsdom follows no link from the keyboard and submits nothing from a keypress: the browser's
  // part (Chromium: the click on keydown, implicit submission on the field's keypress) is done
  // here by hand, and the test looks at what the page does about it.
  const key = (type: string, target: Element, init: KeyboardEventInit = {}): KeyboardEvent => {
    const event = new KeyboardEvent(type, { key: "Enter", bubbles: true, cancelable: true, ...init });
    target.dispatchEvent(event);
    return event;
  };

  it("moves focus to the field, and the same key press cannot also send the form from it", () => {
    const { link, field } = page();
    link.focus();
    const down = key("keydown", link);
    if (!down.defaultPrevented) link.click(); // the browser follows the link on keydown
    expect(document.activeElement).toBe(field);
    expect(key("keypress", field).defaultPrevented).toBe(true); // no implicit submission
    key("keyup", field);
    // The next Enter typed in the field sends the form as usual.
    expect(key("keypress", field).defaultPrevented).toBe(false);
  });

  it("leaves other keys, a held Enter's repeats and Enter elsewhere to the browser", () => {
    const { link, field } = page();
    key("keydown", link, { key: " " });
    expect(key("keypress", field, { key: " " }).defaultPrevented).toBe(false);
    key("keydown", link, { repeat: true });
    expect(key("keypress", field).defaultPrevented).toBe(false);
    key("keydown", field);
    expect(key("keypress", field).defaultPrevented).toBe(false);
  });
});
