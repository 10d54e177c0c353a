import { describe, expect, it, vi } from "vitest";
import { boot, fakeApi, text } from "../testing/harness";

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

  it("still shows the start page when the session cannot be checked", async () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    const { main } = await boot("/", fakeApi({ getSession: () => Promise.reject(new Error("offline")) }));
    expect(text(main.querySelector("h1"))).toBe("Manage passkeys for your NHS login");
  });
});
