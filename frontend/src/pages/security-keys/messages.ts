// What the "Security keys" pages say about a key (its PIN, its FIDO versions) and how a
// failed key operation becomes errors on the page. The PIN fields and their hints are ui/pin.ts's,
// which the ceremony's PIN steps share.

import type { SecurityKey } from "../../api/keys";
import { errorSummary, type ErrorSummaryItem } from "../../ui/components";
import type { SafeHtml } from "../../ui/html";
import { ApiError, SERVICE_PROBLEM } from "../../api/request";
import { messageFor } from "../../ceremony/ceremony";
import { triesLeft } from "../../ui/pin";

/** Field errors and a summary for a failed key operation. */
export interface Problem {
  summary: ErrorSummaryItem[];
  fields: Record<string, string>;
}

/**
 * Turns an API failure into errors on the page. `ids` maps the API's field names
 * ("pin", "newPin", "name") to the ids of this page's inputs; a wrong PIN is put
 * against the PIN field.
 */
export function problemFrom(error: unknown, ids: Record<string, string> = {}): Problem {
  const id = (name: string): string => ids[name] ?? name;
  if (error instanceof ApiError) {
    if (error.code === "invalid_input" && Object.keys(error.fields).length > 0) {
      const fields: Record<string, string> = {};
      for (const [name, text] of Object.entries(error.fields)) fields[id(name)] = text;
      return { fields, summary: Object.entries(fields).map(([field, text]) => ({ text, href: `#${field}` })) };
    }
    if (error.code === "pin_invalid") {
      return { fields: { [id("pin")]: error.message }, summary: [{ text: error.message, href: `#${id("pin")}` }] };
    }
  }
  return { fields: {}, summary: [{ text: messageFor(error, SERVICE_PROBLEM) }] };
}

export function summaryOf(problem: Problem | null): SafeHtml | string {
  return problem && problem.summary.length ? errorSummary(problem.summary) : "";
}

/** What a key's PIN is like, in words. */
export function pinStatus(key: SecurityKey): string {
  if (!key.pin.set) return "Not set";
  if (key.pin.blocked) return "Blocked. Reset the key to use it again. This deletes all the passkeys on it.";
  if (key.pin.mustChange) return "Must be changed before the key can be used";
  return key.pin.retriesLeft === null ? "Set" : `Set. ${triesLeft(key.pin.retriesLeft)}`;
}

/** The FIDO versions a key speaks, in words. */
export function versionsText(versions: string[]): string {
  const ctap = versions
    .filter((v) => v.startsWith("FIDO_2_"))
    .map((v) => v.replace("FIDO_2_", "2."))
    .sort();
  const parts = ctap.length ? [`FIDO2 (CTAP ${ctap.join(", ")})`] : [];
  if (versions.includes("U2F_V2")) parts.push("U2F");
  return parts.join(", ") || "Not known";
}
