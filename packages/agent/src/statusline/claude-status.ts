import type { RateLimitWindow, RateLimitWindows } from '@ccsync/contracts';

/*
 * What the status line reads from the JSON Claude Code pipes to it. Only `rate_limits` matters
 * here: `{"five_hour":{"used_percentage":42.5,"resets_at":1763726400},"seven_day":{…}}`, present
 * for subscribers once the session has had an answer from the API. Anything else in it, or
 * anything malformed, is ignored: the status line must never fail.
 */

/** The API's window names (contracts' RateLimitWindowName); the contract allows up to 16 windows. */
const WINDOW_NAME = /^[a-z0-9_]{1,40}$/;
const MAX_WINDOWS = 16;
const MAX_PERCENTAGE = 1000;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `resets_at` is Unix seconds; an ISO string is taken too, in case Claude Code ever sends one. */
function resetsAtOf(value: unknown): string | null | undefined {
  if (value === undefined || value === null) return null;
  const time = typeof value === 'number' ? value * 1000 : typeof value === 'string' ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(time)) return undefined;
  const date = new Date(time);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The official windows in Claude Code's status JSON, or undefined when it carries none. */
export function rateLimitsFromClaudeStatus(text: string): RateLimitWindows | undefined {
  let status: unknown;
  try {
    status = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(status) || !isRecord(status.rate_limits)) return undefined;
  const windows: Record<string, RateLimitWindow> = {};
  for (const [name, window] of Object.entries(status.rate_limits)) {
    if (Object.keys(windows).length === MAX_WINDOWS) break;
    if (!WINDOW_NAME.test(name) || !isRecord(window)) continue;
    const used = window.used_percentage;
    if (typeof used !== 'number' || !Number.isFinite(used) || used < 0 || used > MAX_PERCENTAGE) continue;
    const resetsAt = resetsAtOf(window.resets_at);
    if (resetsAt === undefined) continue;
    windows[name] = { usedPercentage: used, resetsAt };
  }
  return Object.keys(windows).length === 0 ? undefined : windows;
}
