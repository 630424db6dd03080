import type { ObservedRateLimitWindow } from '@ccsync/contracts';
import type { RateLimitObservation } from '../rate-limits/observation-file.ts';
import type { StatuslineCache } from './cache-file.ts';

/** Figures `watch` wrote longer ago than this are shown as stale: watch is not running, or the server is away. */
export const STALE_AFTER_MS = 10 * 60_000;

/** An official window as the status line shows it: its figures and when they were seen. */
export interface ShownWindow {
  readonly usedPercentage: number;
  readonly resetsAt: string | null;
  readonly observedAt: string;
}

/**
 * Per window, the newer of what this session's Claude Code reports and the account's latest from
 * the server: another device may have seen newer figures than this session's last API answer.
 */
export function newestWindows(
  own: RateLimitObservation | undefined,
  account: Readonly<Record<string, ObservedRateLimitWindow>> | null | undefined,
): Map<string, ShownWindow> {
  const shown = new Map<string, ShownWindow>();
  for (const [name, window] of Object.entries(account ?? {})) shown.set(name, window);
  for (const [name, window] of Object.entries(own?.windows ?? {})) {
    const theirs = shown.get(name);
    if (own !== undefined && (theirs === undefined || Date.parse(own.observedAt) >= Date.parse(theirs.observedAt)))
      shown.set(name, { ...window, observedAt: own.observedAt });
  }
  return shown;
}

export interface StatuslineInput {
  readonly cache: StatuslineCache | undefined;
  readonly windows: ReadonlyMap<string, ShownWindow>;
  readonly now: Date;
  /** ANSI colours; off when NO_COLOR is set. */
  readonly color: boolean;
  /** A token limit per block, to show the block's share of it. */
  readonly tokenLimit?: number | undefined;
}

const ansi = (open: number, close: number) => (on: boolean, text: string) =>
  on ? `\u001b[${open}m${text}\u001b[${close}m` : text;
const dim = ansi(2, 22);
const green = ansi(32, 39);
const yellow = ansi(33, 39);
const red = ansi(31, 39);

/** A share of a limit, yellow then red as it grows. */
function percentage(color: boolean, value: number): string {
  const text = `${Math.round(value)}%`;
  return value >= 90 ? red(color, text) : value >= 70 ? yellow(color, text) : green(color, text);
}

/** 950 → "950", 1234 → "1.2k", 1_234_567 → "1.2M". */
export function compactTokens(tokens: number): string {
  if (tokens < 1000) return String(Math.round(tokens));
  if (tokens < 999_950) return `${(tokens / 1e3).toFixed(1)}k`;
  if (tokens < 999_950_000) return `${(tokens / 1e6).toFixed(1)}M`;
  return `${(tokens / 1e9).toFixed(1)}B`;
}

export const dollars = (cost: number) => `$${cost.toFixed(2)}`;

const twoDigits = (value: number) => String(value).padStart(2, '0');
/** HH:MM in the local timezone. */
export const localClock = (date: Date) => `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}`;
/** YYYY-MM-DD in the local timezone. */
export const localDay = (date: Date) =>
  `${date.getFullYear()}-${twoDigits(date.getMonth() + 1)}-${twoDigits(date.getDate())}`;

/** Five-hour first, then weekly, then any other window Claude Code reports, by name. */
function windowOrder(name: string): string {
  return name === 'five_hour' ? '0' : name === 'seven_day' ? '1' : `2${name}`;
}

/** five_hour → "5h", seven_day_opus → "7d opus". */
function windowLabel(name: string): string {
  return name
    .replace(/^five_hour/, '5h')
    .replace(/^seven_day/, '7d')
    .replaceAll('_', ' ')
    .trim();
}

/**
 * The one line Claude Code shows, e.g.
 * `ccsync ◷ 1.2M tok $4.20 · 38% elapsed, resets 14:00 · today $12.34 · 5h 42% · 7d 13%`:
 * the account's active block (tokens, cost, share of its five hours gone, local reset time), the
 * account's cost today, and the official figures of each window that has not reset yet.
 */
export function statuslineText({ cache, windows, now, color, tokenLimit }: StatuslineInput): string {
  const parts: string[] = [];
  if (cache === undefined) {
    parts.push('ccsync: no data yet (run ccsync watch)');
  } else {
    const stale = now.getTime() - Date.parse(cache.writtenAt) > STALE_AFTER_MS;
    const cached = (text: string) => dim(color && stale, text);
    const { block } = cache;
    const start = block === null ? Number.NaN : Date.parse(block.startTime);
    const end = block === null ? Number.NaN : Date.parse(block.endTime);
    if (block !== null && now.getTime() < end) {
      const tokens =
        tokenLimit === undefined
          ? `${compactTokens(block.totalTokens)} tok`
          : `${compactTokens(block.totalTokens)}/${compactTokens(tokenLimit)} tok ${percentage(color, (block.totalTokens / tokenLimit) * 100)}`;
      const elapsed = Math.min(100, Math.max(0, Math.floor(((now.getTime() - start) / (end - start)) * 100)));
      parts.push(
        `${stale ? 'ccsync?' : 'ccsync'} ${cached(`◷ ${tokens} ${dollars(block.costUSD)}`)}`,
        cached(`${elapsed}% elapsed, resets ${localClock(new Date(end))}`),
      );
    } else {
      parts.push(`${stale ? 'ccsync?' : 'ccsync'} ${cached('◷ no active block')}`);
    }
    // A figure of an earlier day says nothing about today, which has had no usage since.
    parts.push(cached(`today ${dollars(cache.today.date === localDay(now) ? cache.today.costUSD : 0)}`));
  }
  // Compared by code unit: localeCompare would load ICU's collation, a fifth of the time budget.
  const names = [...windows.keys()].sort((a, b) => (windowOrder(a) < windowOrder(b) ? -1 : 1));
  for (const name of names) {
    const window = windows.get(name);
    // A window that has reset since says nothing about the new one.
    if (window === undefined || (window.resetsAt !== null && Date.parse(window.resetsAt) <= now.getTime())) continue;
    parts.push(`${windowLabel(name)} ${percentage(color, window.usedPercentage)}`);
  }
  return parts.join(' · ');
}
