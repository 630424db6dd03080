/*
 * Numbers as the ccsync and ccusage CLIs print them: counts with en-US grouping, money as `$x.xx`.
 * Dates and times follow the browser's locale and timezone.
 */

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** `1,234,567`: tokens and other counts; rates are rounded to whole ones. */
export const formatCount = (value: number): string => Math.round(value).toLocaleString('en-US');

/** `$12.34`. */
export const formatUSD = (value: number): string => `$${value.toFixed(2)}`;

/** `1.2M`, for chart axes. */
export const formatCompact = (value: number): string => compact.format(value);

/** `2 h 05 min`, `45 min`, `< 1 min`. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 1) return '< 1 min';
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return `${hours} h ${String(rest).padStart(2, '0')} min`;
}

const clock = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dateTime = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: 'numeric',
  minute: '2-digit',
});
const day = new Intl.DateTimeFormat(undefined, { weekday: 'short', month: 'short', day: 'numeric' });
const shortDay = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** `14:05`, for times within the block. */
export const formatClock = (iso: string): string => clock.format(new Date(iso));

/** `Nov 21, 14:05`. */
export const formatDateTime = (iso: string): string => dateTime.format(new Date(iso));

/** `Fri, Nov 21`, for a `YYYY-MM-DD` day of the report. */
export const formatDay = (date: string): string => day.format(localMidnight(date));

/** `Nov 21`, for chart axes; `seconds` since the epoch, as uPlot keeps time. */
export const formatShortDay = (seconds: number): string => shortDay.format(new Date(seconds * 1000));

/** How long a run took: `850 ms`, `12.4 s`, `3 min`. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return formatDuration(ms);
}

/** Midnight of a `YYYY-MM-DD` day in the browser's timezone, where the reports' days are taken. */
export function localMidnight(date: string): Date {
  const [year = 0, month = 1, dayOfMonth = 1] = date.split('-').map(Number);
  return new Date(year, month - 1, dayOfMonth);
}
