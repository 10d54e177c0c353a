// Markup for the NHS design system components this service uses, written to
// match the nhsuk-frontend 10.x Nunjucks templates (node_modules/nhsuk-frontend/
// dist/nhsuk/components/*/template.njk) class for class and attribute for
// attribute, so the package's CSS and JavaScript work on it unchanged.

import { html, type SafeHtml } from "./html";

type Content = SafeHtml | string;

export interface ButtonOptions {
  text: string;
  /** Turns the button into a link styled as a button. */
  href?: string;
  variant?: "secondary" | "login" | "reverse" | "warning";
  id?: string;
  /** nhsuk-frontend's own guard against a second click within a second. */
  preventDoubleClick?: boolean;
  type?: "submit" | "button";
}

export function button(options: ButtonOptions): SafeHtml {
  const classes = ["nhsuk-button", options.variant ? `nhsuk-button--${options.variant}` : ""]
    .filter(Boolean)
    .join(" ");
  const preventDoubleClick = options.preventDoubleClick ?? true;
  const id = options.id ? html` id="${options.id}"` : "";
  const dbl = preventDoubleClick ? html` data-prevent-double-click="true"` : "";
  if (options.href !== undefined) {
    return html`<a class="${classes}"${id} data-module="nhsuk-button"${dbl} href="${options.href}" role="button" draggable="false">${options.text}</a>`;
  }
  return html`<button class="${classes}"${id} data-module="nhsuk-button"${dbl} type="${options.type ?? "submit"}">${options.text}</button>`;
}

export function backLink(href: string, text = "Back"): SafeHtml {
  return html`<a class="nhsuk-back-link" href="${href}">${text}</a>`;
}

export interface InputOptions {
  id: string;
  name?: string;
  label: string;
  hint?: string;
  error?: string;
  value?: string;
  type?: "text" | "email";
  autocomplete?: string;
  spellcheck?: boolean;
  classes?: string;
}

function describedBy(id: string, hint?: string, error?: string): SafeHtml | string {
  const ids = [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ");
  return ids ? html` aria-describedby="${ids}"` : "";
}

function hintAndError(id: string, hint?: string, error?: string): SafeHtml {
  return html`${hint ? html`<div class="nhsuk-hint" id="${id}-hint">${hint}</div>` : ""}${
    error ? errorMessage(`${id}-error`, error) : ""
  }`;
}

export function errorMessage(id: string, text: string): SafeHtml {
  return html`<span class="nhsuk-error-message" id="${id}"><span class="nhsuk-u-visually-hidden">Error: </span>${text}</span>`;
}

export function input(options: InputOptions): SafeHtml {
  const { id, hint, error } = options;
  const groupClass = error ? "nhsuk-form-group nhsuk-form-group--error" : "nhsuk-form-group";
  const inputClass = ["nhsuk-input", error ? "nhsuk-input--error" : "", options.classes ?? ""]
    .filter(Boolean)
    .join(" ");
  const spellcheck = options.spellcheck === undefined ? "" : html` spellcheck="${String(options.spellcheck)}"`;
  const autocomplete = options.autocomplete ? html` autocomplete="${options.autocomplete}"` : "";
  return html`<div class="${groupClass}">
  <label class="nhsuk-label" for="${id}">${options.label}</label>
  ${hintAndError(id, hint, error)}
  <input class="${inputClass}" id="${id}" name="${options.name ?? id}" type="${options.type ?? "text"}"${spellcheck} value="${options.value ?? ""}"${describedBy(id, hint, error)}${autocomplete}>
</div>`;
}

export interface PasswordInputOptions {
  id: string;
  name?: string;
  label: string;
  /** The label is the page's h1 (one question on the page), as the template's `isPageHeading`. */
  labelIsPageHeading?: boolean;
  hint?: string;
  error?: string;
  autocomplete: "current-password" | "new-password" | "off";
  /** What the Show/Hide button says to screen readers, when the secret is not a password. */
  secretName?: string;
}

/** The password input component: nhsuk-frontend's JavaScript adds the Show/Hide toggle. */
export function passwordInput(options: PasswordInputOptions): SafeHtml {
  const { id, hint, error } = options;
  const groupClass = error
    ? "nhsuk-form-group nhsuk-form-group--error nhsuk-password-input"
    : "nhsuk-form-group nhsuk-password-input";
  const inputClass = ["nhsuk-input", error ? "nhsuk-input--error" : "", "nhsuk-password-input__input nhsuk-js-password-input-input"]
    .filter(Boolean)
    .join(" ");
  const secret = options.secretName;
  const i18n = secret
    ? html` data-i18n.show-password-aria-label="Show ${secret}" data-i18n.hide-password-aria-label="Hide ${secret}" data-i18n.password-shown-announcement="Your ${secret} is visible" data-i18n.password-hidden-announcement="Your ${secret} is hidden"`
    : "";
  const label = options.labelIsPageHeading
    ? html`<h1 class="nhsuk-label-wrapper">
    <label class="nhsuk-label nhsuk-label--l" for="${id}">${options.label}</label>
  </h1>`
    : html`<label class="nhsuk-label" for="${id}">${options.label}</label>`;
  return html`<div class="${groupClass}" data-module="nhsuk-password-input"${i18n}>
  ${label}
  ${hintAndError(id, hint, error)}
  <div class="nhsuk-input-wrapper">
    <input class="${inputClass}" id="${id}" name="${options.name ?? id}" type="password" spellcheck="false"${describedBy(id, hint, error)} autocomplete="${options.autocomplete}" autocapitalize="none">
    <button class="nhsuk-button nhsuk-button--secondary nhsuk-button--small nhsuk-password-input__toggle nhsuk-js-password-input-toggle" data-module="nhsuk-button" type="button" aria-label="Show ${secret ?? "password"}" aria-controls="${id}" hidden>Show</button>
  </div>
</div>`;
}

export interface RadioItem {
  value: string;
  text: string;
  hint?: string;
}

export interface RadiosOptions {
  /** Also the id prefix: the first radio is `#name`, so an error summary can link to it. */
  name: string;
  /** The question, shown as the page's h1 inside the legend (the template's `isPageHeading`). */
  legend: string;
  hint?: string;
  error?: string;
  items: RadioItem[];
  value?: string;
}

/** Radios in a fieldset whose legend is the page heading, as the radios template writes them. */
export function radios(options: RadiosOptions): SafeHtml {
  const { name, hint, error } = options;
  const groupClass = error ? "nhsuk-form-group nhsuk-form-group--error" : "nhsuk-form-group";
  const items = options.items.map((item, index) => {
    const itemId = index === 0 ? name : `${name}-${index + 1}`;
    const itemHintId = `${itemId}-item-hint`;
    const checked = options.value !== undefined && options.value === item.value ? " checked" : "";
    return html`<div class="nhsuk-radios__item">
      <input class="nhsuk-radios__input" id="${itemId}" name="${name}" type="radio" value="${item.value}"${checked}${
        item.hint ? html` aria-describedby="${itemHintId}"` : ""
      }>
      <label class="nhsuk-label nhsuk-radios__label" for="${itemId}">${item.text}</label>
      ${item.hint ? html`<div class="nhsuk-hint nhsuk-radios__hint" id="${itemHintId}">${item.hint}</div>` : ""}
    </div>`;
  });
  return html`<div class="${groupClass}">
  <fieldset class="nhsuk-fieldset"${describedBy(name, hint, error)}>
    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--l">
      <h1 class="nhsuk-fieldset__heading">${options.legend}</h1>
    </legend>
    ${hintAndError(name, hint, error)}
    <div class="nhsuk-radios" data-module="nhsuk-radios">
    ${items}
    </div>
  </fieldset>
</div>`;
}

/** Buttons (and links) side by side, spaced by the design system. */
export function buttonGroup(...buttons: SafeHtml[]): SafeHtml {
  return html`<div class="nhsuk-button-group">
  ${buttons}
</div>`;
}

export interface ErrorSummaryItem {
  text: string;
  /** `#field-id` for a problem with a field; leave out for a problem with no field. */
  href?: string;
}

/**
 * The error summary. Focus is moved to it by the router (see shell/router.ts), so the
 * component's own auto-focus is turned off to keep a single place that decides.
 */
export function errorSummary(items: ErrorSummaryItem[], after?: Content): SafeHtml {
  return html`<div class="nhsuk-error-summary" data-module="nhsuk-error-summary" data-disable-auto-focus="true">
  <div role="alert">
    <h2 class="nhsuk-error-summary__heading">There is a problem</h2>
    <div class="nhsuk-error-summary__body">
      <ul class="nhsuk-list nhsuk-error-summary__list">
        ${items.map((item) => html`<li>${item.href ? html`<a href="${item.href}">${item.text}</a>` : item.text}</li>`)}
      </ul>
      ${after ?? ""}
    </div>
  </div>
</div>`;
}

export interface SummaryListRow {
  key: string;
  value: Content;
  /** Links for the row ("Remove" with the hidden text " Work laptop"), as the row template's actions. */
  actions?: CardAction[];
}

function rowActions(actions: CardAction[]): SafeHtml {
  return html`<dd class="nhsuk-summary-list__actions">
      ${
        actions.length === 1
          ? actionLink(actions[0] as CardAction)
          : html`<ul class="nhsuk-summary-list__actions-list">
        ${actions.map((action) => html`<li class="nhsuk-summary-list__actions-list-item">${actionLink(action)}</li>`)}
      </ul>`
      }
    </dd>`;
}

/**
 * `classes`: extra classes, such as "nhsuk-summary-list--no-last-row-border" inside a card.
 * When any row has actions, a row without them is marked "--no-actions", as the template does.
 */
export function summaryList(rows: SummaryListRow[], classes?: string): SafeHtml {
  const hasActions = rows.some((row) => (row.actions ?? []).length > 0);
  return html`<dl class="${["nhsuk-summary-list", classes ?? ""].filter(Boolean).join(" ")}">
  ${rows.map((row) => {
    const actions = row.actions ?? [];
    const rowClass = hasActions && actions.length === 0 ? "nhsuk-summary-list__row nhsuk-summary-list__row--no-actions" : "nhsuk-summary-list__row";
    return html`<div class="${rowClass}">
    <dt class="nhsuk-summary-list__key">${row.key}</dt>
    <dd class="nhsuk-summary-list__value">${row.value}</dd>
    ${actions.length ? rowActions(actions) : ""}
  </div>`;
  })}
</dl>`;
}

/** What a link to a website adds to its text where it opens the person's web browser. */
export const OPENS_IN_BROWSER = "(opens in your web browser)";

/**
 * A link to a website outside the app. Where it opens the person's own web browser (the
 * desktop app's window, shell/router.ts), its text says so, as the NHS service manual asks of
 * a link that opens somewhere else ("opens in new tab"): everyone sees it, not only screen
 * reader users, and nobody is surprised when another program comes to the front.
 */
export function websiteLink(href: string, text: string, opensBrowser: boolean): SafeHtml {
  return html`<a href="${href}">${text}${opensBrowser ? ` ${OPENS_IN_BROWSER}` : ""}</a>`;
}

export function insetText(content: Content): SafeHtml {
  return html`<div class="nhsuk-inset-text">
  <span class="nhsuk-u-visually-hidden">Information: </span>
  ${content}
</div>`;
}

/**
 * Inset text that tells the outcome of what the person has just done on this page ("You
 * cancelled…", "You did not confirm it's you…"), shown as the page comes back with focus on
 * its h1. It is a status message (WCAG 4.1.3): a role="status" region that screen readers
 * announce without moving focus. A live region announces what changes in it, not what it
 * holds when it appears, so it is rendered empty and its words are put in just after, by
 * initComponents (ui/behaviour.ts), as LiveRegion does.
 */
export function statusInsetText(text: string): SafeHtml {
  return html`<div class="nhsuk-inset-text" role="status" aria-live="polite" data-status-text="${text}">
  <span class="nhsuk-u-visually-hidden">Information: </span>
  <p></p>
</div>`;
}

/**
 * The notification banner, as its template writes it with `role: "alert"`: it tells the outcome
 * of something that has just happened, and the router moves focus to it (auto-focus off).
 */
function notificationBanner(kind: "success" | "important", heading: string, body?: Content): SafeHtml {
  const success = kind === "success";
  return html`<div class="nhsuk-notification-banner${success ? " nhsuk-notification-banner--success" : ""}" data-module="nhsuk-notification-banner" data-disable-auto-focus="true" role="alert" aria-labelledby="nhsuk-notification-banner-title">
  <div class="nhsuk-notification-banner__header">
    <h2 class="nhsuk-notification-banner__title" id="nhsuk-notification-banner-title">${success ? "Success" : "Important"}</h2>
  </div>
  <div class="nhsuk-notification-banner__content">
    <h3 class="nhsuk-notification-banner__heading">${heading}</h3>
    ${body ?? ""}
  </div>
</div>`;
}

/** A success notification banner. */
export function successBanner(heading: string, body?: Content): SafeHtml {
  return notificationBanner("success", heading, body);
}

/**
 * An important notification banner (title "Important") that tells the outcome of something
 * that has just happened, such as being logged out. As the template allows with `role`, it
 * is role="alert" rather than a region.
 */
export function importantBanner(heading: string, body?: Content): SafeHtml {
  return notificationBanner("important", heading, body);
}

/** An area whose changes screen readers announce while the person waits. */
export function statusArea(id: string): SafeHtml {
  return html`<div class="nhsuk-body nhsuk-u-font-weight-bold" id="${id}" role="status" aria-live="polite"></div>`;
}

/** The details component: a summary the person opens to read more. */
export function details(summary: string, content: Content): SafeHtml {
  return html`<details class="nhsuk-details">
  <summary class="nhsuk-details__summary">
    <span class="nhsuk-details__summary-text">${summary}</span>
  </summary>
  <div class="nhsuk-details__text">
    ${content}
  </div>
</details>`;
}

export interface ContentsListItem {
  text: string;
  href: string;
  /** The page the person is on: shown as text, with aria-current="page". */
  current?: boolean;
}

/** The contents list of a guide made of several pages. */
export function contentsList(items: ContentsListItem[], ariaLabel = "Pages in this guide"): SafeHtml {
  return html`<nav class="nhsuk-contents-list" role="navigation" aria-label="${ariaLabel}">
  <h2 class="nhsuk-u-visually-hidden">Contents</h2>
  <ol class="nhsuk-contents-list__list">
    ${items.map((item) =>
      item.current
        ? html`<li class="nhsuk-contents-list__item" aria-current="page">
      <span class="nhsuk-contents-list__current">${item.text}</span>
    </li>`
        : html`<li class="nhsuk-contents-list__item">
      <a class="nhsuk-contents-list__link" href="${item.href}">${item.text}</a>
    </li>`,
    )}
  </ol>
</nav>`;
}

export interface PaginationLink {
  href: string;
  /** The title of the page the link goes to. */
  text: string;
}

const ARROW_LEFT =
  html`<svg class="nhsuk-icon nhsuk-icon--arrow-left" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true">
          <path d="M10.7 6.3c.4.4.4 1 0 1.4L7.4 11H19a1 1 0 0 1 0 2H7.4l3.3 3.3c.4.4.4 1 0 1.4a1 1 0 0 1-1.4 0l-5-5A1 1 0 0 1 4 12c0-.3.1-.5.3-.7l5-5a1 1 0 0 1 1.4 0Z"/>
        </svg>`;
const ARROW_RIGHT =
  html`<svg class="nhsuk-icon nhsuk-icon--arrow-right" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="16" height="16" focusable="false" aria-hidden="true">
          <path d="m14.7 6.3 5 5c.2.2.3.4.3.7 0 .3-.1.5-.3.7l-5 5a1 1 0 0 1-1.4-1.4l3.3-3.3H5a1 1 0 0 1 0-2h11.6l-3.3-3.3a1 1 0 1 1 1.4-1.4Z"/>
        </svg>`;

/** Previous and next links between the pages of a guide (pagination without page numbers). */
export function pagination(previous: PaginationLink | null, next: PaginationLink | null): SafeHtml {
  return html`<nav class="nhsuk-pagination" role="navigation" aria-label="Pagination">
  <ul class="nhsuk-list nhsuk-pagination__list">
    ${
      previous
        ? html`<li class="nhsuk-pagination-item--previous">
      <a class="nhsuk-pagination__link nhsuk-pagination__link--prev" href="${previous.href}" rel="prev">
        <span class="nhsuk-pagination__title">Previous<span class="nhsuk-u-visually-hidden"> page</span></span>
        <span class="nhsuk-u-visually-hidden">:</span>
        <span class="nhsuk-pagination__page">${previous.text}</span>
        ${ARROW_LEFT}
      </a>
    </li>`
        : ""
    }
    ${
      next
        ? html`<li class="nhsuk-pagination-item--next">
      <a class="nhsuk-pagination__link nhsuk-pagination__link--next" href="${next.href}" rel="next">
        <span class="nhsuk-pagination__title">Next<span class="nhsuk-u-visually-hidden"> page</span></span>
        <span class="nhsuk-u-visually-hidden">:</span>
        <span class="nhsuk-pagination__page">${next.text}</span>
        ${ARROW_RIGHT}
      </a>
    </li>`
        : ""
    }
  </ul>
</nav>`;
}

export interface CardAction {
  text: string;
  href: string;
  /** Said after `text` to screen readers only, naming what the action is for. */
  visuallyHiddenText?: string;
  /** data-* attributes, for the page's own script (name without "data-"). */
  data?: Record<string, string>;
}

/** A card's or a summary list row's action: a link, with its hidden text after a space. */
function actionLink(action: CardAction): SafeHtml {
  const data = Object.entries(action.data ?? {}).map(([name, value]) => html` data-${name}="${value}"`);
  const hidden = action.visuallyHiddenText
    ? html`<span class="nhsuk-u-visually-hidden"> ${action.visuallyHiddenText}</span>`
    : "";
  return html`<a class="nhsuk-link" href="${action.href}"${data}>${action.text}${hidden}</a>`;
}

export interface LinkCardOptions {
  /** The heading, which is the link: the name of the page it leads to. */
  heading: string;
  href: string;
  headingLevel?: 2 | 3;
  /** What the page holds, or what is below; with other content, such as a summary list, after it. */
  content: Content;
}

/**
 * A card whose heading is a link to another page, with content below: the card template's
 * "basic with summary list and heading link". It is not the clickable card: links in its
 * content (a summary list's actions) stay links of their own.
 */
export function linkCard(options: LinkCardOptions): SafeHtml {
  const link = html`<a class="nhsuk-card__link" href="${options.href}">${options.heading}</a>`;
  const heading =
    options.headingLevel === 3
      ? html`<h3 class="nhsuk-card__heading nhsuk-heading-m">${link}</h3>`
      : html`<h2 class="nhsuk-card__heading nhsuk-heading-m">${link}</h2>`;
  return html`<div class="nhsuk-card">
  <div class="nhsuk-card__content">
    ${heading}
    ${options.content}
  </div>
</div>`;
}

export interface SummaryCardOptions {
  heading: string;
  headingLevel?: 2 | 3;
  actions?: CardAction[];
  /** Usually a summaryList(…, "nhsuk-summary-list--no-last-row-border"). */
  content: Content;
}

/**
 * A summary card: the card component with a heading, actions beside it, and a summary list.
 * The actions' hidden text is written as the summary list's (" name"), not the card
 * template's " (heading)", so a screen reader hears "Remove Windows Hello".
 */
export function summaryCard(options: SummaryCardOptions): SafeHtml {
  const level = options.headingLevel ?? 3;
  const heading = level === 2
    ? html`<h2 class="nhsuk-card__heading">${options.heading}</h2>`
    : html`<h3 class="nhsuk-card__heading">${options.heading}</h3>`;
  const actions = options.actions ?? [];
  return html`<div class="nhsuk-card">
  <div class="nhsuk-card__heading-container">
    ${heading}
    ${
      actions.length
        ? html`<ul class="nhsuk-card__actions">
      ${actions.map((action) => html`<li class="nhsuk-card__action">${actionLink(action)}</li>`)}
    </ul>`
        : ""
    }
  </div>
  <div class="nhsuk-card__content">
    ${options.content}
  </div>
</div>`;
}

export type TagColour = "white" | "grey" | "green" | "aqua-green" | "blue" | "purple" | "pink" | "red" | "orange" | "yellow";

export function tag(text: string, colour?: TagColour): SafeHtml {
  return html`<strong class="nhsuk-tag${colour ? ` nhsuk-tag--${colour}` : ""}">${text}</strong>`;
}

export interface TableOptions {
  caption: string;
  head: string[];
  /** Each row's first cell is its header (scope="row"). */
  rows: Content[][];
}

export function table(options: TableOptions): SafeHtml {
  return html`<table class="nhsuk-table">
  <caption class="nhsuk-table__caption">${options.caption}</caption>
  <thead class="nhsuk-table__head">
    <tr class="nhsuk-table__row">
      ${options.head.map((cell) => html`<th class="nhsuk-table__header" scope="col">${cell}</th>`)}
    </tr>
  </thead>
  <tbody class="nhsuk-table__body">
    ${options.rows.map(
      (row) => html`<tr class="nhsuk-table__row">
      ${row.map((cell, index) =>
        index === 0
          ? html`<th class="nhsuk-table__header" scope="row">${cell}</th>`
          : html`<td class="nhsuk-table__cell">${cell}</td>`,
      )}
    </tr>`,
    )}
  </tbody>
</table>`;
}

/** The usual page column: two thirds of the width on a wide screen. */
export function column(content: SafeHtml): SafeHtml {
  return html`<div class="nhsuk-grid-row">
  <div class="nhsuk-grid-column-two-thirds">
    ${content}
  </div>
</div>`;
}

/** The warning callout (nhsuk-frontend 10: a card with the warning variant). */
export function warningCallout(heading: string, body: SafeHtml, level: 2 | 3 = 2): SafeHtml {
  const headingMarkup = html`<span role="text"><span class="nhsuk-u-visually-hidden">Important: </span>${heading}</span>`;
  return html`<div class="nhsuk-card nhsuk-card--warning">
  <div class="nhsuk-card__content">
    ${level === 2 ? html`<h2 class="nhsuk-card__heading">${headingMarkup}</h2>` : html`<h3 class="nhsuk-card__heading">${headingMarkup}</h3>`}
    ${body}
  </div>
</div>`;
}

export interface ActionRow {
  key: SafeHtml | string;
  value: SafeHtml | string;
  /** In-page actions: buttons styled as links, as the summary list's card actions. */
  actions?: { text: string; hidden: string; data: string }[];
}

/** A summary list whose rows may have actions (buttons styled as links). */
export function actionList(rows: ActionRow[]): SafeHtml {
  const anyActions = rows.some((row) => row.actions?.length);
  return html`<dl class="nhsuk-summary-list">
  ${rows.map((row) => {
    const actions = row.actions ?? [];
    const button = (a: { text: string; hidden: string; data: string }): SafeHtml =>
      html`<button class="nhsuk-link" type="button" data-action="${a.data}">${a.text}<span class="nhsuk-u-visually-hidden"> ${a.hidden}</span></button>`;
    return html`<div class="nhsuk-summary-list__row${anyActions && actions.length === 0 ? " nhsuk-summary-list__row--no-actions" : ""}">
    <dt class="nhsuk-summary-list__key">${row.key}</dt>
    <dd class="nhsuk-summary-list__value">${row.value}</dd>
    ${
      actions.length === 1
        ? html`<dd class="nhsuk-summary-list__actions">${button(actions[0] as (typeof actions)[0])}</dd>`
        : actions.length > 1
          ? html`<dd class="nhsuk-summary-list__actions"><ul class="nhsuk-summary-list__actions-list">${actions.map(
              (a) => html`<li class="nhsuk-summary-list__actions-list-item">${button(a)}</li>`,
            )}</ul></dd>`
          : ""
    }
  </div>`;
  })}
</dl>`;
}
