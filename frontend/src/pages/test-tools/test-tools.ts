// The test tools (desktop app started with --virtual-key only; README, "For
// accessibility testers"): choose what the virtual security key does next, see
// what it holds, reset it, or start again with a new account.
//
//   /test-tools              what the key will do next and what it holds
//   /test-tools/next         "What should the virtual security key do next?"
//   /test-tools/reset        are you sure? -> POST /api/device/tester/reset
//   /test-tools/start-again  are you sure? -> reset, log out, Create an account
//
// Every page asks the tester endpoints first: without them (404) it is "Page
// not found", as for any address the app does not have. The footer link is
// added the same way, once, when the app starts (offerTestTools).

import { afterLogout, type App } from "../../shell/app";
import { backLink, button, buttonGroup, errorSummary, radios, successBanner, summaryList, tag, type RadioItem, column, statusArea, warningCallout } from "../../ui/components";
import { formatDateTime } from "../../ui/dates";
import { markBusy, onSubmit } from "../../ui/forms";
import { html, type SafeHtml } from "../../ui/html";
import type { Page, PageContext } from "../../shell/router";
import { createTesterApi, type TesterApi, type TesterChoice, type TesterState } from "../../api/tester";
import { notFoundPage } from "../errors/not-found";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";

export const TEST_TOOLS_PATH = "/test-tools";
const NEXT_PATH = `${TEST_TOOLS_PATH}/next`;
const RESET_PATH = `${TEST_TOOLS_PATH}/reset`;
const START_AGAIN_PATH = `${TEST_TOOLS_PATH}/start-again`;

/** Each choice: the radio's label and hint, and how the page says it is next ("Next: …"). */
function choices(state: TesterState): { value: TesterChoice; text: string; hint: string; next: string }[] {
  const pin = state.testPin;
  const givesPin = state.pin.set ? "" : ` The key has no PIN, so it gets the test PIN ${pin}.`;
  return [
    { value: "succeed", text: "Succeed", hint: "The key works straight away.", next: "succeed" },
    {
      value: "wait-for-touch",
      text: "Wait for a touch, then succeed",
      hint: `The key asks you to touch it for ${state.touchSeconds} seconds, then carries on as if you had.`,
      next: "wait for a touch, then succeed",
    },
    { value: "cancel", text: "Be cancelled", hint: "As if you had cancelled on the key.", next: "be cancelled" },
    { value: "time-out", text: "Time out", hint: "As if nobody touched the key in time.", next: "time out" },
    {
      value: "ask-for-pin",
      text: "Ask for a PIN",
      hint: `A key with a PIN always asks for it.${givesPin}`,
      next: "ask for its PIN, then succeed",
    },
    {
      value: "wrong-pin",
      text: "Refuse a PIN as wrong",
      hint: `The next PIN you enter is treated as wrong, even if it is right, and the key has one try fewer.${givesPin}`,
      next: "refuse the PIN as wrong",
    },
    {
      value: "pin-blocked",
      text: "Be blocked",
      hint: `The key's PIN is blocked, as if the wrong PIN had been entered too many times. This lasts until you reset the key.${givesPin}`,
      next: "be blocked, until you reset it",
    },
    { value: "full", text: "Be full", hint: "When you set up a passkey, the key says it has no room for another one.", next: "be full" },
    {
      value: "already-registered",
      text: "Say the passkey is already on it",
      hint: "When you set up a passkey, the key says it already has one for this account.",
      next: "say the passkey is already on it",
    },
    {
      value: "unplugged",
      text: "Be unplugged",
      hint: "As if the key were taken out while it was being used. The app puts it back in straight away.",
      next: "be unplugged",
    },
  ];
}

function nextTag(state: TesterState): SafeHtml {
  const next = choices(state).find((c) => c.value === state.next)?.next ?? state.next;
  return tag(`Next: ${next}`, state.next === "succeed" || state.next === "ask-for-pin" ? "green" : "orange");
}

const TEST_TOOL_TAG = html`<p>${tag("Test tool", "purple")}</p>`;

const ONLY_FOR_TESTING = warningCallout(
  "Only for testing",
  html`<p>You see these tools because this app was started with a virtual security key (<code>--virtual-key</code>). They are not part of the service. Never use the virtual key for a real person's NHS login.</p>`,
);

function pinValue(state: TesterState): string {
  const { pin } = state;
  if (!pin.set) return "Not set. You will be asked to create one the first time you set up a passkey on the key.";
  if (pin.blocked) return "Blocked. Reset the virtual key to use it again.";
  if (pin.isTestPin) return `${state.testPin} (the test PIN)`;
  return "Set. It is the PIN you chose.";
}

function holds(state: TesterState): SafeHtml {
  const rows = [{ key: "PIN", value: pinValue(state) }];
  if (state.pin.set) rows.push({ key: "PIN tries left", value: String(state.pin.retriesLeft) });
  // A summary list rather than a table: it stacks on a narrow window, so nothing scrolls
  // sideways at 320 CSS px (the accessibility suite's reflow check).
  const passkeys = state.passkeys.length
    ? html`<h3>Passkeys on the virtual key (${String(state.passkeys.length)})</h3>
    ${summaryList(
      state.passkeys.map((p) => ({
        key: p.userName || p.userDisplayName || "No account name",
        value: html`<p class="nhsuk-body nhsuk-u-margin-bottom-1">Website: ${p.rpId}</p>
      <p class="nhsuk-body nhsuk-u-margin-bottom-0">Set up ${formatDateTime(p.createdAt)}</p>`,
      })),
    )}`
    : html`<p>The virtual key has no passkeys on it.</p>`;
  return html`${summaryList(rows)}
    ${passkeys}`;
}

/** The tester state, or null after showing "Page not found" (no test tools here). */
async function load(tester: TesterApi, ctx: PageContext): Promise<TesterState | null> {
  const state = await tester.get();
  if (!ctx.isCurrent()) return null;
  if (!state) {
    await notFoundPage(ctx);
    return null;
  }
  return state;
}

export function testToolsRoutes(app: App, tester: TesterApi = createTesterApi()): Record<string, Page> {
  /** Said once on the test tools page after a change. */
  let banner: { heading: string; body?: string } | null = null;

  const overview: Page = async (ctx) => {
    const state = await load(tester, ctx);
    if (state) renderOverview(ctx, state, null);
  };

  function renderOverview(ctx: PageContext, state: TesterState, problem: string | null): void {
    const said = banner;
    banner = null;
    const main = ctx.show({
      content: column(html`${problem ? errorSummary([{ text: problem }]) : ""}
    ${said ? successBanner(said.heading, said.body ? html`<p>${said.body}</p>` : undefined) : ""}
    ${TEST_TOOL_TAG}
    <h1>Test tools for the virtual security key</h1>
    ${ONLY_FOR_TESTING}
    <h2>What the virtual key does next</h2>
    <p id="tester-next">${nextTag(state)}</p>
    <p>A choice happens once, the next time the key is used. Then the key goes back to succeeding. A blocked PIN lasts until you reset the key.</p>
    ${button({ text: "Change what the key does next", href: NEXT_PATH, variant: "secondary" })}
    <h2>Plugged in or taken out</h2>
    <p id="tester-plugged">${state.plugged ? "The virtual key is plugged in." : "The virtual key is taken out. The app cannot use it until you put it back."}</p>
    <form method="post" novalidate data-plug="${state.plugged ? "out" : "in"}">
      ${statusArea("plug-status")}
      ${button({ text: state.plugged ? "Take the key out" : "Put the key back in", variant: "secondary" })}
    </form>
    <h2>What the virtual key holds</h2>
    ${holds(state)}
    <h2>Start again</h2>
    <p>Resetting the virtual key deletes its passkeys and its PIN, as resetting a real security key does.</p>
    ${button({ text: "Reset the virtual key", href: RESET_PATH, variant: "secondary" })}
    <p>To test as a new person, reset the key and log out, then create a new account.</p>
    ${button({ text: "Start again with a new account", href: START_AGAIN_PATH, variant: "secondary" })}`),
    });
    if (!main) return;
    // Taking the key out while someone is logged in is how a tester reaches kiosk mode's
    // "your security key was taken out" ending; at home it is just a key that is not there.
    onSubmit(main, async (form) => {
      const plugIn = form.dataset["plug"] === "in";
      const done = markBusy(form, plugIn ? "Putting the key back in…" : "Taking the key out…");
      try {
        await tester.plug(plugIn);
      } catch (error) {
        done();
        if (ctx.isCurrent()) renderOverview(ctx, state, messageFor(error, SERVICE_PROBLEM));
        return;
      }
      banner = { heading: plugIn ? "The virtual key is plugged in again" : "The virtual key is taken out" };
      if (ctx.isCurrent()) await ctx.navigate(TEST_TOOLS_PATH, { replace: true });
    });
  }

  const next: Page = async (ctx) => {
    const state = await load(tester, ctx);
    if (!state) return;
    renderNext(ctx, state, null);
  };

  function renderNext(ctx: PageContext, state: TesterState, problem: { text: string; field: boolean } | null): void {
    const legend = "What should the virtual security key do next?";
    const items: RadioItem[] = choices(state).map(({ value, text, hint }) => ({ value, text, hint }));
    const main = ctx.show({
      beforeContent: backLink(TEST_TOOLS_PATH),
      content: column(html`${problem ? errorSummary([{ text: problem.text, href: problem.field ? "#choice" : undefined }]) : ""}
    ${TEST_TOOL_TAG}
    <form method="post" novalidate>
      ${radios({
        name: "choice",
        legend,
        // What the key does (app/device/tester): one-shot behaviours, the set-up ones kept for
        // a set-up (virtualkey Full, Excluded), and the PIN states that last.
        hint: "Most choices happen once, the next time the key is used, then it goes back to succeeding. Be full and Say the passkey is already on it wait for the next passkey set-up. A PIN the key is given stays, and a blocked PIN stays blocked until you reset the key.",
        error: problem?.field ? problem.text : undefined,
        items,
      })}
      ${statusArea("choice-status")}
      ${button({ text: "Save" })}
    </form>`),
    });
    if (!main) return;
    onSubmit(main, async (form) => {
      const picked = form.querySelector<HTMLInputElement>('input[name="choice"]:checked');
      if (!picked) {
        renderNext(ctx, state, { text: "Select what the virtual security key should do next", field: true });
        return;
      }
      const done = markBusy(form, "Saving…");
      let saved: TesterState;
      try {
        saved = await tester.choose(picked.value);
      } catch (error) {
        done();
        if (!ctx.isCurrent()) return;
        const field = error instanceof ApiError ? error.fields["choice"] : undefined;
        renderNext(ctx, state, field ? { text: field, field: true } : { text: messageFor(error, SERVICE_PROBLEM), field: false });
        return;
      }
      // What the key will now do, which is what was picked, or, for "succeed" on a key
      // with a PIN, "ask for its PIN, then succeed".
      const phrase = choices(saved).find((c) => c.value === saved.next)?.next ?? saved.next;
      banner = {
        heading: `Saved. Next, the virtual key will ${phrase}`,
        body: saved.pin.isTestPin && !state.pin.set ? `The virtual key now has the test PIN ${saved.testPin}.` : undefined,
      };
      if (ctx.isCurrent()) await ctx.navigate(TEST_TOOLS_PATH);
    });
  }

  /** "Are you sure?" before a reset; `after` runs once the key is reset. */
  function confirm(options: { heading: string; body: (state: TesterState) => SafeHtml; action: string; after: (ctx: PageContext) => Promise<void> }): Page {
    const render = (ctx: PageContext, state: TesterState, problem: string | null): void => {
      const main = ctx.show({
        beforeContent: backLink(TEST_TOOLS_PATH),
        content: column(html`${problem ? errorSummary([{ text: problem }]) : ""}
    ${TEST_TOOL_TAG}
    <h1>${options.heading}</h1>
    ${options.body(state)}
    <form method="post" novalidate>
      ${statusArea("reset-status")}
      ${buttonGroup(button({ text: options.action, variant: "warning" }), html`<a class="nhsuk-link" href="${TEST_TOOLS_PATH}">Cancel</a>`)}
    </form>`),
      });
      if (!main) return;
      onSubmit(main, async (form) => {
        const done = markBusy(form, "Resetting the virtual key…");
        try {
          await tester.reset();
          await options.after(ctx);
        } catch (error) {
          done();
          if (ctx.isCurrent()) render(ctx, state, messageFor(error, SERVICE_PROBLEM));
        }
      });
    };
    return async (ctx) => {
      const state = await load(tester, ctx);
      if (state) render(ctx, state, null);
    };
  }

  const passkeysGo = (state: TesterState): string =>
    state.passkeys.length === 1 ? "the passkey on it" : `all ${state.passkeys.length} passkeys on it`;

  return {
    [TEST_TOOLS_PATH]: overview,
    [NEXT_PATH]: next,
    [RESET_PATH]: confirm({
      heading: "Are you sure you want to reset the virtual security key?",
      body: (state) => html`<p>This deletes ${state.passkeys.length ? passkeysGo(state) : "its PIN"}${
        state.passkeys.length ? " and its PIN" : ""
      }. Test accounts whose passkeys were on the key will not be able to log in with them.</p>`,
      action: "Reset the virtual key",
      after: async (ctx) => {
        banner = { heading: "The virtual key has been reset", body: "It has no passkeys and no PIN." };
        if (ctx.isCurrent()) await ctx.navigate(TEST_TOOLS_PATH);
      },
    }),
    [START_AGAIN_PATH]: confirm({
      heading: "Are you sure you want to start again with a new account?",
      body: () => html`<p>This resets the virtual security key, deleting its passkeys and its PIN, and logs you out. You can then create a new account to test with.</p>
    <p>The account you are using now stays in the app, but it cannot log in with the passkeys that were on the key.</p>`,
      action: "Reset the key and log out",
      // Ends the visit as logging out does anywhere: in kiosk mode a full load of the start page.
      after: async (ctx) => {
        await app.api.logout();
        await afterLogout(app, ctx, "/create-account");
      },
    }),
  };
}

/** Adds "Test tools" to the footer when the tester endpoints answer; asked once, when the app starts. */
export async function offerTestTools(root: ParentNode, tester: TesterApi = createTesterApi()): Promise<void> {
  let state: TesterState | null;
  try {
    state = await tester.get();
  } catch {
    return; // no answer: no link, as without the test tools
  }
  const list = root.querySelector(".nhsuk-footer__list");
  if (!state || !list || list.querySelector(`a[href="${TEST_TOOLS_PATH}"]`)) return;
  const item = document.createElement("li");
  item.className = "nhsuk-footer__list-item";
  item.innerHTML = html`<a class="nhsuk-footer__list-item-link" href="${TEST_TOOLS_PATH}">Test tools (virtual security key)</a>`.value;
  list.append(item);
}
