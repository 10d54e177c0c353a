// Small pieces every form page shares: reading fields, turning field errors
// into error summary links, and marking a button busy while a request runs.

import type { ErrorSummaryItem } from "./components";
import type { FieldErrors } from "./validation";
import type { ApiError } from "../api/request";

export function fieldValue(root: ParentNode, id: string): string {
  const field = root.querySelector<HTMLInputElement>(`#${id}`);
  return field?.value ?? "";
}

/** Error summary links in the order the fields appear on the page. */
export function summaryItems(errors: FieldErrors, order: (keyof FieldErrors)[]): ErrorSummaryItem[] {
  return order.flatMap((id) => {
    const text = errors[id];
    return text ? [{ text, href: `#${id}` }] : [];
  });
}

/** The server's inline messages for the fields this form has. */
export function fieldErrorsFrom(error: ApiError, names: (keyof FieldErrors)[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const name of names) {
    const text = error.fields[name];
    if (text) errors[name] = text;
  }
  return errors;
}

/**
 * While the form's request runs: disables its submit button (and says so to assistive
 * technology; onSubmit also ignores a second submit) and puts `message` in the form's
 * role="status" region (statusArea), which must be on the page, empty, before this: a live
 * region added together with its text is not announced. Returns the function that undoes both.
 */
export function markBusy(form: HTMLFormElement, message: string): () => void {
  const button = submitButton(form);
  const status = form.querySelector<HTMLElement>('[role="status"]');
  if (!status) throw new Error("markBusy: the form has no role=status region (statusArea) to say what is happening");
  if (button) disable(button, status);
  status.textContent = message;
  return () => {
    if (button) {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
      if (document.activeElement === status) button.focus();
    }
    status.textContent = "";
  };
}

/**
 * Disables a button. If it has focus, focus goes to `keeper` first (a status region, or the
 * h1): a disabled element loses focus, which falls to <body> (HTML's focus fixup rule), and a
 * keyboard or screen reader user would start again from the top of the page. The keeper takes
 * focus before the status says anything, so the words are announced once, as a live region's.
 */
function disable(button: HTMLButtonElement, keeper: HTMLElement | null): void {
  if (keeper && document.activeElement === button) {
    keeper.setAttribute("tabindex", "-1");
    keeper.focus();
  }
  button.disabled = true;
  button.setAttribute("aria-disabled", "true");
}

/** Runs `onSubmit` for the form, never letting the browser submit it itself. */
export function onSubmit(root: ParentNode, handler: (form: HTMLFormElement) => Promise<void>): void {
  const form = root.querySelector("form");
  if (!form) return;
  let running = false;
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (running) return;
    running = true;
    handler(form)
      .catch((error: unknown) => console.error(error))
      .finally(() => {
        running = false;
      });
  });
}

export function submitButton(form: HTMLFormElement): HTMLButtonElement | null {
  return form.querySelector<HTMLButtonElement>('button[type="submit"]');
}


/**
 * Calls `handle` with the data-action of whichever action button is selected.
 * The listener goes on the freshly rendered content, not on <main>, which every
 * render reuses (a listener there would outlive the step).
 */
export function onAction(main: HTMLElement, handle: (action: string) => void): void {
  const scope = main.firstElementChild;
  scope?.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target.closest<HTMLElement>("[data-action]") : null;
    if (!target || !scope.contains(target)) return;
    event.preventDefault();
    handle(target.dataset["action"] ?? "");
  });
}

/** Reads a secret's field (a PIN, a password) and empties it: the page keeps no secret once it has been sent. */
export function takeField(main: ParentNode, id: string): string {
  const field = main.querySelector<HTMLInputElement>(`#${id}`);
  const value = field?.value ?? "";
  if (field) field.value = "";
  return value;
}

/**
 * Disables every button in `main` (Show/Hide on a password field excepted) and says so to
 * assistive technology: the page's buttons must not be used twice while a request or a key
 * is working. The page is rendered again afterwards, so nothing turns them back on.
 */
export function disableButtons(main: HTMLElement): void {
  const keeper = main.querySelector<HTMLElement>('[role="status"]') ?? main.querySelector<HTMLElement>("h1");
  for (const b of main.querySelectorAll<HTMLButtonElement>("button:not(.nhsuk-password-input__toggle)")) disable(b, keeper);
}
