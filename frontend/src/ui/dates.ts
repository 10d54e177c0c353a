// Dates from the API are RFC 3339 in UTC; people read them as "3 March 2025"
// in their own time zone (NHS style: no leading zero, month in full).

// Made when first needed, not when the module loads: creating an Intl formatter loads the
// engine's ICU data (about 2.6 MB more memory in WebKitGTK's web process), and the start page
// shows no dates (issue #21: nothing the first page does not need).
let longDate: Intl.DateTimeFormat | undefined;

export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  longDate ??= new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });
  return longDate.format(date);
}

/** "2:05pm", "2pm", "midnight" or "midday": the time of day of `date` in the person's time zone. */
function clockTime(date: Date): string {
  const hours = date.getHours();
  const minutes = date.getMinutes();
  if (minutes === 0 && hours === 0) return "midnight";
  if (minutes === 0 && hours === 12) return "midday";
  const hour = hours % 12 === 0 ? 12 : hours % 12;
  const clock = minutes === 0 ? `${hour}` : `${hour}:${String(minutes).padStart(2, "0")}`;
  return `${clock}${hours < 12 ? "am" : "pm"}`;
}

/**
 * "3 March 2025 at 2:05pm" (or "at 2pm") in the person's time zone (NHS style: 12-hour
 * clock, no space before am or pm, "midnight" and "midday" rather than 12am and 12pm).
 */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${formatDate(iso)} at ${clockTime(date)}`;
}

/**
 * When something that ends soon ends (a paused login), in the person's time zone and NHS
 * style: "3:45pm" when it is today, "4 March 2025 at 12:15am" when it is not (a pause may
 * run past midnight). Null when `iso` is not a time.
 */
export function formatTimeSoon(iso: string, now: Date = new Date()): string | null {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return null;
  const sameDay =
    date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? clockTime(date) : formatDateTime(iso);
}
