/** A calendar date `YYYY-MM-DD`, as ccusage prints days. */
export type CalendarDate = string;

/** `local` (accepted by ccusage's `-z`) means the process's own timezone. */
export const LOCAL_TIMEZONE = 'local';

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Every UTC offset in use is a whole number of quarter hours, so a date never changes inside one. */
const QUARTER_HOUR_MS = 15 * 60_000;
const datesByQuarter = new Map<string, Map<number, CalendarDate>>();

/**
 * The date an instant falls on in an IANA timezone (ccusage groups days in `-z`'s timezone). Throws a
 * RangeError for an unknown timezone, as ccusage refuses one. Formatting is slow, so each quarter hour
 * is formatted once.
 */
export function zonedDate(epochMs: number, timezone: string): CalendarDate {
  let dates = datesByQuarter.get(timezone);
  if (dates === undefined) {
    dates = new Map();
    datesByQuarter.set(timezone, dates);
  }
  const quarter = Math.floor(epochMs / QUARTER_HOUR_MS);
  let date = dates.get(quarter);
  if (date === undefined) {
    date = formatDate(quarter * QUARTER_HOUR_MS, timezone);
    dates.set(quarter, date);
  }
  return date;
}

function formatDate(epochMs: number, timezone: string): CalendarDate {
  const parts = formatterFor(timezone).formatToParts(epochMs);
  let year = '';
  let month = '';
  let day = '';
  for (const part of parts) {
    if (part.type === 'year') year = part.value;
    else if (part.type === 'month') month = part.value;
    else if (part.type === 'day') day = part.value;
  }
  return `${year.padStart(4, '0')}-${month}-${day}`;
}

/** A date filter value (`YYYYMMDD` or `YYYY-MM-DD`, as ccusage's `--since`/`--until` accept) as `YYYYMMDD`. */
export function compactDate(date: string): string {
  return date.replaceAll('-', '');
}

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone === LOCAL_TIMEZONE ? undefined : timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      calendar: 'gregory',
      numberingSystem: 'latn',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

const HOUR_MS = 3_600_000;

/**
 * The instants that can fall on the dates from `since` to `until` (inclusive, `YYYYMMDD` or
 * `YYYY-MM-DD`) in some timezone: offsets run from -12 to +14 hours. Reading this range and then
 * filtering by the zoned date reads only what can matter.
 */
export function anyZoneRange(since?: string, until?: string): { fromMs?: number; toMs?: number } {
  const utcMidnight = (date: string) => {
    const digits = compactDate(date);
    return Date.UTC(Number(digits.slice(0, 4)), Number(digits.slice(4, 6)) - 1, Number(digits.slice(6, 8)));
  };
  return {
    ...(since === undefined ? {} : { fromMs: utcMidnight(since) - 14 * HOUR_MS }),
    ...(until === undefined ? {} : { toMs: utcMidnight(until) + 36 * HOUR_MS }),
  };
}
