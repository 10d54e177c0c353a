import { describe, expect, it } from "vitest";
import { boot, fakeApi, text } from "../../testing/harness";

describe("an address the app does not know", () => {
  it("shows Page not found with a way back", async () => {
    const { main } = await boot("/account/nothing-here", fakeApi());
    expect(text(main.querySelector("h1"))).toBe("Page not found");
    expect(document.title).toBe("Page not found – NHS login passkeys");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(main.querySelector('a[href="/"]')).not.toBeNull();
  });
});
