import { describe, expect, it } from "vitest";
import { formatDate, formatDateTime } from "./dates";

// Local times, so the tests read the same in every time zone.
const local = (hours: number, minutes: number) => new Date(2025, 2, 3, hours, minutes).toISOString();

describe("dates and times in NHS style", () => {
  it.each([
    [local(14, 5), "3 March 2025 at 2:05pm"],
    [local(9, 0), "3 March 2025 at 9am"],
    [local(9, 30), "3 March 2025 at 9:30am"],
    [local(0, 0), "3 March 2025 at midnight"],
    [local(12, 0), "3 March 2025 at midday"],
    [local(12, 15), "3 March 2025 at 12:15pm"],
    [local(0, 15), "3 March 2025 at 12:15am"],
  ])("%s reads as %j", (iso, words) => {
    expect(formatDateTime(iso)).toBe(words);
  });

  it("leaves something that is not a date as it is", () => {
    expect(formatDateTime("not a date")).toBe("not a date");
    expect(formatDate("not a date")).toBe("not a date");
  });
});
