// The names of things in NHS login's help article "Passkeys" are names, not words of our own:
// a patient follows "Go to Login and security settings" and looks for those exact words. The
// app's explanatory text is in its own words, but wherever it names that page (a link, a back
// link, a step, a message) it writes the name as the article and the page's own h1 do.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { account, passkey, signedInAs } from "../testing/accounts";
import { boot, fakeApi, text } from "../testing/harness";

const SRC = join(import.meta.dirname, "..");

/** Every module of the app that a patient's page is made from (tests and test support left out). */
function appModules(dir = SRC): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "testing" ? [] : appModules(path);
    return name.endsWith(".ts") && !name.endsWith(".test.ts") ? [path] : [];
  });
}

describe("the article's names", () => {
  it("writes Login and security settings as the article does, in every page's text", () => {
    const miswritten = appModules().flatMap((path) =>
      readFileSync(path, "utf8")
        .split("\n")
        .map((line, index) => ({ line: line.trim(), where: `${relative(SRC, path)}:${String(index + 1)}` }))
        // Comments may talk about the page; what is shown to patients is in quotes or markup.
        .filter(({ line }) => !line.startsWith("//") && !line.startsWith("*") && /\blogin and security settings\b/.test(line))
        .map(({ where }) => where),
    );
    expect(miswritten).toEqual([]);
  });

  it("names Login and security settings exactly, in the Passkeys page's back link and the settings page's advice", async () => {
    const api = () =>
      fakeApi({ getSession: signedInAs(account()), listPasskeys: () => Promise.resolve([passkey()]) });
    await boot("/account/passkeys", api());
    const back = document.querySelector(".nhsuk-back-link");
    expect(text(back)).toBe("Back to Login and security settings");
    const { main } = await boot("/account/security", api());
    const advice = text(main.querySelector("details"));
    expect(advice).toContain("in your Login and security settings, select Remove");
    expect(advice).not.toMatch(/login and security settings/);
  });
});
