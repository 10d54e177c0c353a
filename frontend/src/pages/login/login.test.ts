import { describe, expect, it, vi } from "vitest";
import { ceremonyError, type Ceremonies } from "../../ceremony/ceremony";
import { boot, fakeApi, fill, settle, submit, text } from "../../testing/harness";
import { ApiError } from "../../api/request";

const account = { email: "pat@example.com", createdAt: "2025-03-03T10:00:00Z", hasPassword: true };
const requestOptions = { challenge: "Y2hhbGxlbmdl", rpId: "localhost" };

function ceremonies(get: Ceremonies["get"]): Ceremonies {
  return { client: "browser", unavailable: () => null, create: () => Promise.reject(new Error("not used")), get };
}

describe("log in with a passkey", () => {
  it("has the email field with passkey autofill and a way to use the password", async () => {
    const { main } = await boot("/login", fakeApi(), ceremonies(vi.fn()));
    expect(text(main.querySelector("h1"))).toBe("Log in");
    const email = main.querySelector<HTMLInputElement>("#email");
    expect(email?.getAttribute("autocomplete")).toBe("username webauthn");
    expect(text(main.querySelector('label[for="email"]'))).toBe("Email address");
    expect(text(main.querySelector("form button[type=submit]"))).toBe("Continue");
    expect(text(main.querySelector('a[href="/login/password"]'))).toBe("Log in with your password instead");
  });

  it("runs begin, the device, then finish, and lands on the settings", async () => {
    let signedIn = false;
    const credential = { id: "cred", type: "public-key" };
    const api = fakeApi({
      beginPasskeyLogin: vi.fn(() => Promise.resolve({ ceremony: "c1", publicKey: requestOptions })),
      finishPasskeyLogin: vi.fn(() => {
        signedIn = true;
        return Promise.resolve(account);
      }),
      getSession: () => Promise.resolve(signedIn ? { signedIn: true, account } : { signedIn: false }),
      listPasskeys: () => Promise.resolve([]),
    });
    const get = vi.fn(() => Promise.resolve(credential));
    const { main } = await boot("/login", api, ceremonies(get));
    fill("email", "pat@example.com");
    submit();
    await settle();
    expect(api.beginPasskeyLogin).toHaveBeenCalledWith("pat@example.com");
    // The email typed goes with the request, so a key with several accounts uses that one.
    expect(get).toHaveBeenCalledWith(requestOptions, expect.anything(), "pat@example.com");
    expect(api.finishPasskeyLogin).toHaveBeenCalledWith("c1", credential);
    expect(window.location.pathname).toBe("/account/security");
    expect(text(main.querySelector("h1"))).toBe("Login and security settings");
  });

  it("sends one finish however often Continue is pressed while the passkey is in use", async () => {
    let answer: (credential: Record<string, unknown>) => void = () => {};
    const api = fakeApi({
      beginPasskeyLogin: vi.fn(() => Promise.resolve({ ceremony: "c1", publicKey: requestOptions })),
      finishPasskeyLogin: vi.fn(() => Promise.resolve(account)),
      getSession: () => Promise.resolve({ signedIn: true, account }),
      listPasskeys: () => Promise.resolve([]),
    });
    const get = vi.fn(() => new Promise<Record<string, unknown>>((resolve) => (answer = resolve)));
    await boot("/login", api, ceremonies(get));
    fill("email", "pat@example.com");
    submit();
    submit(); // a double click
    await settle();
    submit(); // and again while the device is busy
    answer({ id: "cred", type: "public-key" });
    await settle();
    expect(get).toHaveBeenCalledTimes(1);
    expect(api.finishPasskeyLogin).toHaveBeenCalledTimes(1);
    expect(window.location.pathname).toBe("/account/security");
  });

  it("tells the person what is happening while the device is busy, with Continue disabled", async () => {
    const api = fakeApi({ beginPasskeyLogin: () => Promise.resolve({ ceremony: "c1", publicKey: requestOptions }) });
    const { main } = await boot("/login", api, ceremonies(() => new Promise(() => {})));
    submit();
    await settle();
    const status = main.querySelector('[role="status"]');
    expect(text(status)).toBe("Follow the instructions on your device.");
    expect(main.querySelector<HTMLButtonElement>("form button[type=submit]")?.disabled).toBe(true);
  });

  it("says the email address may be left empty, and what happens then", async () => {
    const { main } = await boot("/login", fakeApi(), ceremonies(vi.fn()));
    const hint = main.querySelector("#email-hint");
    expect(text(hint)).toBe(
      "You can leave this empty. Your device will then show you the passkeys it has for NHS login, so you can choose one.",
    );
    expect(main.querySelector("#email")?.getAttribute("aria-describedby")).toBe("email-hint");
    const desktop = await boot("/login", fakeApi(), { ...ceremonies(vi.fn()), client: "device" });
    expect(text(desktop.main.querySelector("#email-hint"))).toBe(
      "You can leave this empty. The app will then look for your passkey on the security key you choose.",
    );
  });

  it("when the email is left empty, asks the device for any passkey it has for NHS login", async () => {
    const api = fakeApi({ beginPasskeyLogin: vi.fn(() => Promise.resolve({ ceremony: "c1", publicKey: requestOptions })) });
    const get = vi.fn(() => new Promise<never>(() => {}));
    await boot("/login", api, ceremonies(get));
    submit();
    await settle();
    expect(api.beginPasskeyLogin).toHaveBeenCalledWith("");
    expect(get).toHaveBeenCalled();
  });

  // WebAuthn's NotAllowedError: cancelled, too slow, or no passkey here. After losing a
  // device the last is the likeliest, so it comes first, with the password.
  it("when the browser says not allowed, says first that the passkey may not be on this device, and offers the password", async () => {
    const api = fakeApi({ beginPasskeyLogin: () => Promise.resolve({ ceremony: "c1", publicKey: requestOptions }) });
    const { main } = await boot("/login", api, ceremonies(() => Promise.reject(ceremonyError("cancelled", "get"))));
    fill("email", "pat@example.com");
    submit();
    await settle();

    expect(document.title).toBe("Error: Log in – NHS login passkeys");
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(text(summary?.querySelector("li"))).toBe("Your passkey may not be on this device.");
    expect(text(summary)).not.toContain("You may have cancelled it, or your device took too long");
    expect(text(summary)).toContain("If you no longer have the device your passkey is on, log in with your password.");
    expect(text(summary)).toContain("Use a different phone or tablet");
    expect(text(summary?.querySelector('a[href="/login/password"]'))).toBe("Log in with your password");
    expect(main.querySelector<HTMLButtonElement>("form button[type=submit]")?.disabled).toBe(false);

    summary?.querySelector<HTMLAnchorElement>('a[href="/login/password"]')?.click();
    await settle();
    expect(window.location.pathname).toBe("/login/password");
    expect(window.location.search).toBe("");
    expect(text(main.querySelector("h1"))).toBe("Log in with your password");
    expect(main.querySelector<HTMLInputElement>("#email")?.value).toBe("pat@example.com");
  });

  it("in the desktop app, a key without the passkey says so, what to do if the device is gone, and offers the password", async () => {
    const api = fakeApi({ beginPasskeyLogin: () => Promise.resolve({ ceremony: "c1", publicKey: requestOptions }) });
    const shellSaid = "There are no passkeys for your NHS login on this security key.";
    const { main } = await boot("/login", api, {
      ...ceremonies(() => Promise.reject(ceremonyError("no_passkey_on_key", "get", shellSaid))),
      client: "device",
    });
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(text(summary?.querySelector("li"))).toBe(shellSaid);
    expect(text(summary)).toContain("Try a different security key");
    expect(text(summary)).toContain("If you no longer have the device your passkey is on, log in with your password.");
    expect(text(summary?.querySelector('a[href="/login/password"]'))).toBe("Log in with your password");
  });

  it("shows the server's reason when the passkey is not accepted", async () => {
    const api = fakeApi({
      beginPasskeyLogin: () => Promise.resolve({ ceremony: "c1", publicKey: requestOptions }),
      finishPasskeyLogin: () => Promise.reject(new ApiError(401, "passkey_not_accepted", "We could not log you in with that passkey")),
    });
    const { main } = await boot("/login", api, ceremonies(() => Promise.resolve({ id: "cred" })));
    submit();
    await settle();
    expect(text(main.querySelector(".nhsuk-error-summary li"))).toBe("We could not log you in with that passkey");
    expect(main.querySelector('.nhsuk-error-summary a[href="/login/password"]')).not.toBeNull();
  });

  it("checks a typed email before asking the server", async () => {
    const api = fakeApi({ beginPasskeyLogin: vi.fn() });
    const { main } = await boot("/login", api, ceremonies(vi.fn()));
    fill("email", "pat");
    submit();
    await settle();
    expect(api.beginPasskeyLogin).not.toHaveBeenCalled();
    expect(text(main.querySelector("#email-error"))).toMatch(/correct format/);
  });
});

describe("log in with a password", () => {
  it("has the fields and says why a login failed", async () => {
    const api = fakeApi({
      loginWithPassword: vi.fn(() => Promise.reject(new ApiError(401, "login_failed", "Your email address or password is incorrect"))),
    });
    const { main } = await boot("/login/password", api);
    expect(main.querySelector("#password")?.getAttribute("autocomplete")).toBe("current-password");
    expect(text(main.querySelector("form button[type=submit]"))).toBe("Log in");
    fill("email", "pat@example.com");
    fill("password", "wrong password");
    submit();
    await settle();
    expect(api.loginWithPassword).toHaveBeenCalledWith("pat@example.com", "wrong password");
    expect(document.title).toBe("Error: Log in with your password – NHS login passkeys");
    expect(text(main.querySelector(".nhsuk-error-summary li"))).toBe("Your email address or password is incorrect");
    expect(main.querySelector<HTMLInputElement>("#password")?.value).toBe("");
  });

  it("asks for both fields before sending anything", async () => {
    const api = fakeApi({ loginWithPassword: vi.fn() });
    const { main } = await boot("/login/password", api);
    submit();
    await settle();
    expect(api.loginWithPassword).not.toHaveBeenCalled();
    expect(text(main.querySelector("#email-error"))).toBe("Error: Enter your email address");
    expect(text(main.querySelector("#password-error"))).toBe("Error: Enter your password");
  });
});
