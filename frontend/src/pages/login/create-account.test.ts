import { describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import { boot, fakeApi, fill, settle, submit, text } from "../../testing/harness";
import { ApiError } from "../../api/request";

const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true };

function signedInAfterCreate(createAccount: Api["createAccount"]): Api {
  let signedIn = false;
  return fakeApi({
    createAccount: async (email, password) => {
      const result = await createAccount(email, password);
      signedIn = true;
      return result;
    },
    getSession: () => Promise.resolve(signedIn ? { signedIn: true, account } : { signedIn: false }),
    listPasskeys: () => Promise.resolve([]),
  });
}

describe("create an account", () => {
  it("has the fields, labels, hint and autocomplete the design needs", async () => {
    const { main } = await boot("/create-account", fakeApi());
    expect(text(main.querySelector("h1"))).toBe("Create an account");
    expect(main.querySelector("form")?.hasAttribute("novalidate")).toBe(true);
    const email = main.querySelector<HTMLInputElement>("#email");
    expect(email?.type).toBe("email");
    expect(email?.autocomplete).toBe("email");
    expect(text(main.querySelector('label[for="email"]'))).toBe("Email address");
    const password = main.querySelector<HTMLInputElement>("#password");
    expect(password?.type).toBe("password");
    expect(password?.getAttribute("autocomplete")).toBe("new-password");
    expect(text(main.querySelector('label[for="password"]'))).toBe("Create a password");
    expect(text(main.querySelector("#password-hint"))).toMatch(/8 characters or more/);
    const button = main.querySelector("form button[type=submit]");
    expect(text(button)).toBe("Continue");
    expect(button?.getAttribute("data-prevent-double-click")).toBe("true");
  });

  it("checks the fields before sending anything, with inline messages and a linked error summary", async () => {
    const createAccount = vi.fn();
    const { main } = await boot("/create-account", fakeApi({ createAccount }));
    fill("email", "not-an-email");
    submit();
    await settle();

    expect(createAccount).not.toHaveBeenCalled();
    expect(document.title).toBe("Error: Create an account – NHS login passkeys");
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    const links = [...(summary?.querySelectorAll("a") ?? [])].map((a) => [a.getAttribute("href"), text(a)]);
    expect(links).toEqual([
      ["#email", "Enter an email address in the correct format, like name@example.com"],
      ["#password", "Enter a password"],
    ]);
    expect(text(main.querySelector("#email-error"))).toBe("Error: Enter an email address in the correct format, like name@example.com");
    expect(main.querySelector("#email")?.getAttribute("aria-describedby")).toBe("email-error");
    expect(main.querySelector("#password")?.getAttribute("aria-describedby")).toBe("password-hint password-error");
    expect(main.querySelector("#password")?.classList.contains("nhsuk-input--error")).toBe(true);
    // What the person typed is kept; the password is never written back into the page.
    expect(main.querySelector<HTMLInputElement>("#email")?.value).toBe("not-an-email");
  });

  it("shows the server's field messages inline", async () => {
    const api = fakeApi({
      createAccount: () =>
        Promise.reject(new ApiError(422, "invalid_input", "Check your details", { password: "Password is too common" })),
    });
    const { main } = await boot("/create-account", api);
    fill("email", "pat@example.com");
    fill("password", "password1");
    submit();
    await settle();
    expect(text(main.querySelector("#password-error"))).toBe("Error: Password is too common");
    expect(text(main.querySelector(".nhsuk-error-summary a[href='#password']"))).toBe("Password is too common");
  });

  it("puts a taken email address against the email field", async () => {
    const api = fakeApi({
      createAccount: () => Promise.reject(new ApiError(409, "email_taken", "An account already uses this email address")),
    });
    const { main } = await boot("/create-account", api);
    fill("email", "pat@example.com");
    fill("password", "long enough");
    submit();
    await settle();
    expect(text(main.querySelector("#email-error"))).toBe("Error: An account already uses this email address");
  });

  it("disables Continue while the account is created, then goes to the settings", async () => {
    let finish: (value: typeof account) => void = () => {};
    const createAccount = vi.fn((_email: string, _password: string) => new Promise<typeof account>((resolve) => (finish = resolve)));
    const { main } = await boot("/create-account", signedInAfterCreate(createAccount));
    fill("email", " pat@example.com ");
    fill("password", "long enough");
    submit();
    await settle();
    expect(main.querySelector<HTMLButtonElement>("form button[type=submit]")?.disabled).toBe(true);
    expect(createAccount).toHaveBeenCalledWith("pat@example.com", "long enough");

    finish(account);
    await settle();
    expect(window.location.pathname).toBe("/account/security");
    expect(text(main.querySelector("h1"))).toBe("Login and security settings");
  });
});
