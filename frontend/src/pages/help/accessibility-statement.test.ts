import { describe, expect, it } from "vitest";
import { boot, fakeApi, text } from "../../testing/harness";

describe("accessibility statement", () => {
  it("says the standard aimed at, how the app was tested, what does not work, how to report a problem and when it was prepared", async () => {
    const { main } = await boot("/accessibility", fakeApi());
    expect(text(main.querySelector("h1"))).toBe("Accessibility statement for NHS login passkeys");
    expect(document.title).toBe("Accessibility statement for NHS login passkeys – NHS login passkeys");
    expect([...main.querySelectorAll("h2")].map(text)).toEqual([
      "How accessible this app is",
      "Reporting accessibility problems with this app",
      "Enforcement procedure",
      "Technical information about this app's accessibility",
      "How we tested this app",
      "Preparation of this accessibility statement",
    ]);
    const said = text(main);
    expect(said).toMatch(/WCAG\) version 2\.2 to level AA/);
    expect(said).toMatch(/axe-core/);
    expect(said).toMatch(/using only a keyboard/);
    expect(said).toMatch(/what screen readers are told/);
    expect(said).toMatch(/tell the person or organisation who gave you this app/);
    expect(said).toMatch(/NHS login help centre/);
    expect(said).toMatch(/This statement was prepared on 24 November 2026\./);
    // Nothing left for someone else to fill in.
    expect(said).not.toMatch(/\[|\]|TODO|TBC|service owner|placeholder/i);
  });
});
