// `/logged-out`: why the app logged the person out without their asking.

import { describe, expect, it } from "vitest";
import { axeViolations } from "../../testing/axe";
import { boot, fakeApi, text } from "../../testing/harness";

describe("the logged-out page", () => {
  it.each([
    {
      absolute: false,
      says: "We logged you out because you had not done anything for 30 minutes. This keeps your NHS login safe if you leave your device.",
    },
    {
      absolute: true,
      says: "We logged you out because you had been logged in for 12 hours, the longest time allowed. This keeps your NHS login safe.",
    },
  ])("says why (absolute limit: $absolute) and how to carry on", async ({ absolute, says }) => {
    const { app, router, main } = await boot("/", fakeApi());
    app.journey.notice = { kind: "timed-out", idleSeconds: 1800, absolute };
    await router.navigate("/logged-out", { replace: true });
    expect(text(main.querySelector("h1"))).toBe("You have been logged out");
    expect(text(main)).toContain(says);
    expect(text(main)).toContain("Log in again");
    expect(app.journey.notice).toBeNull();
    expect(await axeViolations()).toEqual([]);
  });
});
