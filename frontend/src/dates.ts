// Dates from the API are RFC 3339 in UTC; people read them as "3 March 2025"
// in their own time zone (NHS style: no leading zero, month in full).

const LONG_DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });

export function formatDate(iso: string, format: Intl.DateTimeFormat = LONG_DATE): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : format.format(date);
}

/**
 * "3 March 2025 at 2:05pm" (or "at 2pm") in the person's time zone (NHS style: 12-hour
 * clock, no space before am or pm, "midnight" and "midday" rather than 12am and 12pm).
 */
export function formatDateTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const hours = date.getHours();
  const minutes = date.getMinutes();
  let time: string;
  if (minutes === 0 && hours === 0) time = "midnight";
  else if (minutes === 0 && hours === 12) time = "midday";
  else {
    const hour = hours % 12 === 0 ? 12 : hours % 12;
    const clock = minutes === 0 ? `${hour}` : `${hour}:${String(minutes).padStart(2, "0")}`;
    time = `${clock}${hours < 12 ? "am" : "pm"}`;
  }
  return `${formatDate(iso)} at ${time}`;
}
