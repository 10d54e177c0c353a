import { describe, expect, it, vi } from "vitest";
import { formatDate, formatDateTime, formatTimeSoon } from "./dates";

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

  // A paused login ends within the hour: the time alone, unless that is another day.
  it.each([
    [local(15, 45), "3:45pm"],
    [local(16, 0), "4pm"],
    [local(12, 0), "midday"],
    [local(23, 59), "11:59pm"],
  ])("%s, later the same day, reads as %j", (iso, words) => {
    expect(formatTimeSoon(iso, new Date(2025, 2, 3, 15, 30))).toBe(words);
  });

  it("says the date too when the time is on another day", () => {
    expect(formatTimeSoon(new Date(2025, 2, 4, 0, 10).toISOString(), new Date(2025, 2, 3, 23, 55))).toBe("4 March 2025 at 12:10am");
  });

  it("reads a time from the server in UTC in the person's own time zone", () => {
    const utc = "2025-03-03T15:45:00Z";
    const at = new Date(utc);
    const hour = at.getHours() % 12 === 0 ? 12 : at.getHours() % 12;
    const expected = at.getMinutes() === 0 ? `${hour}` : `${hour}:${String(at.getMinutes()).padStart(2, "0")}`;
    expect(formatTimeSoon(utc, at)).toBe(`${expected}${at.getHours() < 12 ? "am" : "pm"}`);
  });

  it("gives nothing for something that is not a time", () => {
    expect(formatTimeSoon("not a time")).toBeNull();
  });
});

describe("the date formatter", () => {
  // Creating an Intl formatter loads the engine's ICU data; the start page shows no dates,
  // so loading this module must not create one (issue #21).
  it("is not made until a date is formatted", async () => {
    vi.resetModules();
    const made = vi.spyOn(Intl, "DateTimeFormat");
    try {
      const dates = await import("./dates");
      expect(made).not.toHaveBeenCalled();
      expect(dates.formatDate(local(9, 0))).toBe("3 March 2025");
      expect(made).toHaveBeenCalledTimes(1);
      dates.formatDate(local(10, 0));
      expect(made).toHaveBeenCalledTimes(1);
    } finally {
      made.mockRestore();
    }
  });
});
