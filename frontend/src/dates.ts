// Dates from the API are RFC 3339 in UTC; people read them as "3 March 2025"
// in their own time zone (NHS style: no leading zero, month in full).

const LONG_DATE = new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "long", year: "numeric" });

export function formatDate(iso: string, format: Intl.DateTimeFormat = LONG_DATE): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : format.format(date);
}
