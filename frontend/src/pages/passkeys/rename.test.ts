import { describe, expect, it, vi } from "vitest";
import { type Api } from "../../api/service";
import { account, passkey, signedInAs } from "../../testing/accounts";
import { boot, fakeApi, fill, settle, submit, text } from "../../testing/harness";
import { ApiError } from "../../api/request";

const hello = passkey({ id: "cred-1", name: "Windows Hello" });

function api(overrides: Partial<Api> = {}): Api {
  return fakeApi({ getSession: signedInAs(account()), listPasskeys: () => Promise.resolve([hello]), ...overrides });
}

/** The rename page for Windows Hello, chosen as the Passkeys page chooses it. */
async function openRename(theApi: Api) {
  const harness = await boot("/elsewhere", theApi);
  harness.app.journey.passkey = "cred-1";
  await harness.router.navigate("/account/passkeys/rename");
  return harness;
}

describe("rename a passkey", () => {
  it("shows the current name, a field holding it, and a way back", async () => {
    const { main } = await openRename(api());
    expect(document.title).toBe("Rename your passkey – NHS login passkeys");
    expect(document.activeElement).toBe(main.querySelector("h1"));
    expect(text(main)).toContain("This passkey is called “Windows Hello”.");
    expect(text(main.querySelector('label[for="name"]'))).toBe("New name");
    expect(main.querySelector<HTMLInputElement>("#name")?.value).toBe("Windows Hello");
    expect(text(main.querySelector("#name-hint"))).toContain("64 characters or fewer");
    expect(text(main.querySelector("form button[type=submit]"))).toBe("Save name");
    expect(main.querySelector('form a[href="/account/passkeys"]')?.textContent).toBe("Cancel");
    expect(document.querySelector("[data-before-content] .nhsuk-back-link")?.getAttribute("href")).toBe("/account/passkeys");
  });

  it("without a chosen passkey (reloaded, or opened directly), goes back to Passkeys", async () => {
    await boot("/account/passkeys/rename", api());
    expect(window.location.pathname).toBe("/account/passkeys");
  });

  it("sends someone who is not signed in to log in", async () => {
    await boot("/account/passkeys/rename", fakeApi());
    expect(window.location.pathname).toBe("/login");
  });

  it("renames it (trimmed) and shows Passkeys with a focused success banner", async () => {
    const renamePasskey = vi.fn((id: string, name: string) => Promise.resolve({ ...hello, id, name }));
    const { main, app } = await openRename(api({ renamePasskey }));
    fill("name", "  Work laptop  ");
    submit();
    await settle();
    expect(renamePasskey).toHaveBeenCalledWith("cred-1", "Work laptop", undefined);
    expect(window.location.pathname).toBe("/account/passkeys");
    const banner = main.querySelector(".nhsuk-notification-banner--success");
    expect(text(banner)).toContain("Passkey renamed");
    expect(text(banner)).toContain("Your passkey is now called “Work laptop”.");
    expect(document.activeElement).toBe(banner);
    expect(app.journey.passkey).toBeNull();
  });

  it.each([
    ["", "Enter a name for your passkey"],
    ["   ", "Enter a name for your passkey"],
    ["x".repeat(65), "Passkey name must be 64 characters or fewer"],
  ])("checks %j before sending: %s", async (name, message) => {
    const renamePasskey = vi.fn();
    const { main } = await openRename(api({ renamePasskey }));
    fill("name", name);
    submit();
    await settle();
    expect(renamePasskey).not.toHaveBeenCalled();
    expect(document.title).toBe("Error: Rename your passkey – NHS login passkeys");
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(document.activeElement).toBe(summary);
    expect(summary?.querySelector('a[href="#name"]')?.textContent).toBe(message);
    expect(text(main.querySelector("#name-error"))).toBe(`Error: ${message}`);
    expect(main.querySelector("#name")?.getAttribute("aria-describedby")).toBe("name-hint name-error");
  });

  it("accepts 64 characters, counted as a person counts them", async () => {
    const renamePasskey = vi.fn((_id: string, name: string) => Promise.resolve({ ...hello, name }));
    await openRename(api({ renamePasskey }));
    fill("name", "🔑".repeat(64));
    submit();
    await settle();
    expect(renamePasskey).toHaveBeenCalledOnce();
  });

  it("shows 409 name_taken on the field", async () => {
    const taken = new ApiError(409, "name_taken", "You already have a passkey with this name. Choose a different name.");
    const { main } = await openRename(api({ renamePasskey: () => Promise.reject(taken) }));
    fill("name", "Laptop");
    submit();
    await settle();
    expect(main.querySelector('.nhsuk-error-summary a[href="#name"]')?.textContent).toBe(taken.message);
    expect(main.querySelector<HTMLInputElement>("#name")?.value).toBe("Laptop");
    expect(window.location.pathname).toBe("/account/passkeys/rename");
  });

  it("shows the server's 422 message for the name (invisible characters)", async () => {
    const invalid = new ApiError(422, "invalid_input", "There is a problem", {
      name: "Passkey name must only include letters, numbers, spaces, punctuation and symbols",
    });
    const { main } = await openRename(api({ renamePasskey: () => Promise.reject(invalid) }));
    fill("name", "Laptop\u200b");
    submit();
    await settle();
    expect(text(main.querySelector("#name-error"))).toContain("must only include letters, numbers");
  });

  it("when the passkey has gone meanwhile (404), says so and links back to Passkeys", async () => {
    const gone = new ApiError(404, "not_found", "We could not find that passkey. It may have been removed already.");
    const { main } = await openRename(api({ renamePasskey: () => Promise.reject(gone) }));
    submit();
    await settle();
    const summary = main.querySelector(".nhsuk-error-summary");
    expect(text(summary)).toContain(gone.message);
    expect(summary?.querySelector('a[href="/account/passkeys"]')).not.toBeNull();
  });
});
