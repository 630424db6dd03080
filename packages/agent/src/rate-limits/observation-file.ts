import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RateLimitWindow, RateLimitWindows } from '@ccsync/contracts';

/*
 * The official rate-limit figures this device last saw in Claude Code's status-line JSON, waiting
 * to be sent to the server. The status line writes them (only when they changed); `push` and
 * `watch` send them and note which one they sent. This module is loaded by the status line's fast
 * path, so it uses node: builtins only: no zod, no write-file-atomic.
 */

/** One observation: the windows as Claude Code reported them, and when they were first seen so. */
export interface RateLimitObservation {
  readonly observedAt: string;
  readonly windows: RateLimitWindows;
}

export const RATE_LIMITS_FILE = 'rate-limits.json';
/** The `observedAt` of the observation the server last took. */
const SENT_FILE = 'rate-limits-sent.json';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isIsoTime = (value: unknown): value is string => typeof value === 'string' && !Number.isNaN(Date.parse(value));

/** A window as the API names it, or undefined when it is not one. */
export function rateLimitWindowOf(value: unknown): RateLimitWindow | undefined {
  if (!isRecord(value)) return undefined;
  const { usedPercentage, resetsAt } = value;
  if (typeof usedPercentage !== 'number' || !Number.isFinite(usedPercentage)) return undefined;
  if (resetsAt !== null && !isIsoTime(resetsAt)) return undefined;
  return { usedPercentage, resetsAt };
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Written to a temporary file and renamed, so a reader never sees half of it. */
function writeJsonAtomically(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function readRateLimitObservation(stateDir: string): RateLimitObservation | undefined {
  const value = readJson(join(stateDir, RATE_LIMITS_FILE));
  if (!isRecord(value) || !isIsoTime(value.observedAt) || !isRecord(value.windows)) return undefined;
  const windows: Record<string, RateLimitWindow> = {};
  for (const [name, window] of Object.entries(value.windows)) {
    const parsed = rateLimitWindowOf(window);
    if (parsed !== undefined) windows[name] = parsed;
  }
  return Object.keys(windows).length === 0 ? undefined : { observedAt: value.observedAt, windows };
}

export function sameWindows(a: RateLimitWindows, b: RateLimitWindows): boolean {
  const names = Object.keys(a);
  if (names.length !== Object.keys(b).length) return false;
  return names.every((name) => {
    const left = a[name];
    const right = b[name];
    return (
      left !== undefined &&
      right !== undefined &&
      left.usedPercentage === right.usedPercentage &&
      left.resetsAt === right.resetsAt
    );
  });
}

/**
 * Records what Claude Code reports now, unless it is what was recorded last: the status line runs
 * several times a second, and each change, not each refresh, is one observation. Returns the
 * observation in force, with the time its figures were first seen.
 */
export function recordRateLimits(stateDir: string, windows: RateLimitWindows, now: Date): RateLimitObservation {
  const last = readRateLimitObservation(stateDir);
  if (last !== undefined && sameWindows(last.windows, windows)) return last;
  const observation: RateLimitObservation = { observedAt: now.toISOString(), windows };
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeJsonAtomically(join(stateDir, RATE_LIMITS_FILE), observation);
  return observation;
}

/** The observation the server has not taken yet, if any. */
export function pendingRateLimitObservation(stateDir: string): RateLimitObservation | undefined {
  const observation = readRateLimitObservation(stateDir);
  if (observation === undefined) return undefined;
  const sent = readJson(join(stateDir, SENT_FILE));
  return isRecord(sent) && sent.observedAt === observation.observedAt ? undefined : observation;
}

/** Notes that the server took (or refused for good) the observation made at `observedAt`. */
export function markRateLimitObservationSent(stateDir: string, observedAt: string): void {
  writeJsonAtomically(join(stateDir, SENT_FILE), { observedAt });
}
