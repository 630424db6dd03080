/**
 * ccusage's strict timestamp: `YYYY-MM-DDTHH:MM:SS`, optionally exactly 3 fractional digits, then `Z` or
 * `±HH:MM`. Anything else (`.1Z`, 6 digits, no zone, `+0900`, lower-case `t`/`z`) makes it skip the line.
 */
const STRICT_TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{3}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** The instant in UTC milliseconds, or undefined when ccusage would reject the timestamp. */
export function parseStrictTimestamp(text: string): number | undefined {
  const match = STRICT_TIMESTAMP.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, ms, sign, oh, om] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  // Impossible dates (Feb 30), hour 24 and leap second 60 are rejected, as chrono does.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const offsetHours = oh === undefined ? 0 : Number(oh);
  const offsetMinutes = om === undefined ? 0 : Number(om);
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms === undefined ? 0 : Number(ms)));
  if (year < 100) date.setUTCFullYear(year);
  const offset = (offsetHours * 60 + offsetMinutes) * 60_000;
  return date.getTime() - (sign === '-' ? -offset : offset);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
