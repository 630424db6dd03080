import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceId, ObservedRateLimitWindow } from '@ccsync/contracts';
import { rateLimitWindowOf } from '../rate-limits/observation-file.ts';

/*
 * `<stateDir>/statusline.json`: the account's figures the status line shows, kept fresh by
 * `ccsync watch` from the gateway. The status line reads it without touching the network, so
 * this module uses node: builtins only (the writer, in cache-keeper.ts, may load more).
 */

export const STATUSLINE_CACHE_FILE = 'statusline.json';

/** The account's active 5-hour block, as much of ccusage's block as the status line shows. */
export interface CachedBlock {
  readonly startTime: string;
  readonly endTime: string;
  readonly totalTokens: number;
  readonly costUSD: number;
}

export interface StatuslineCache {
  readonly version: 1;
  /** When watch wrote it: older figures are shown as stale. */
  readonly writtenAt: string;
  readonly account: string;
  /** null when no block is active. */
  readonly block: CachedBlock | null;
  /** The account's cost on `date` (YYYY-MM-DD) in `timeZone`, the day it was written. */
  readonly today: { readonly date: string; readonly timeZone: string; readonly costUSD: number };
  /** The account's latest official figures per window; null when the server does not offer them. */
  readonly rateLimits: Readonly<Record<string, ObservedRateLimitWindow>> | null;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function blockOf(value: unknown): CachedBlock | null | undefined {
  if (value === null) return null;
  if (!isRecord(value)) return undefined;
  const { startTime, endTime, totalTokens, costUSD } = value;
  if (!isTime(startTime) || !isTime(endTime) || !isNumber(totalTokens) || !isNumber(costUSD)) return undefined;
  return { startTime, endTime, totalTokens, costUSD };
}

function rateLimitsOf(value: unknown): Record<string, ObservedRateLimitWindow> | null | undefined {
  if (value === null) return null;
  if (!isRecord(value)) return undefined;
  const windows: Record<string, ObservedRateLimitWindow> = {};
  for (const [name, window] of Object.entries(value)) {
    const parsed = rateLimitWindowOf(window);
    if (parsed === undefined || !isRecord(window) || !isTime(window.observedAt) || typeof window.device !== 'string')
      continue;
    windows[name] = { ...parsed, observedAt: window.observedAt, device: window.device as DeviceId };
  }
  return windows;
}

/** The cache, or undefined when it is missing, unreadable or not in this version's shape. */
export function readStatuslineCache(stateDir: string): StatuslineCache | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(join(stateDir, STATUSLINE_CACHE_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(value) || value.version !== 1 || !isTime(value.writtenAt) || typeof value.account !== 'string')
    return undefined;
  const block = blockOf(value.block);
  const rateLimits = rateLimitsOf(value.rateLimits);
  const today = value.today;
  if (block === undefined || rateLimits === undefined || !isRecord(today)) return undefined;
  if (typeof today.date !== 'string' || typeof today.timeZone !== 'string' || !isNumber(today.costUSD))
    return undefined;
  return {
    version: 1,
    writtenAt: value.writtenAt,
    account: value.account,
    block,
    today: { date: today.date, timeZone: today.timeZone, costUSD: today.costUSD },
    rateLimits,
  };
}
