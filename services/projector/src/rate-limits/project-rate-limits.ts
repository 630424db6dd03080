import {
  type DomainEvent,
  type RateLimitsChanged,
  rateLimitsFromHash,
  StoredRateLimitWindow,
  type StreamSeq,
  type ViewKeys,
} from '@ccsync/contracts';
import type { Redis } from '@ccsync/service-kit';
import { CONFLICT, execGuarded, retryOnConflict } from '../usage/optimistic.ts';

/**
 * The windows an observation takes: those where it is newer than the one stored (by `observedAt`,
 * to the millisecond). At the same instant the earlier event in the history keeps the window, so
 * the result is the same whatever order replicas apply events in, and a rebuild gives it again; an
 * event finds the windows it already took when it is redelivered, and takes them again.
 */
export function windowsTaken(
  stored: Readonly<Record<string, string>>,
  seq: StreamSeq,
  event: DomainEvent<'RateLimitsObserved'>,
): Record<string, string> {
  const { device } = event;
  if (device === undefined) throw new Error(`RateLimitsObserved ${event.id} has no device`);
  const { observedAt, windows } = event.data;
  const at = Date.parse(observedAt);
  const taken: Record<string, string> = {};
  for (const [name, window] of Object.entries(windows)) {
    const raw = stored[name];
    if (raw !== undefined) {
      const held = StoredRateLimitWindow.parse(JSON.parse(raw));
      const heldAt = Date.parse(held.observedAt);
      if (heldAt > at || (heldAt === at && held.seq < seq)) continue;
    }
    const observation: StoredRateLimitWindow = { ...window, device, observedAt, seq };
    taken[name] = JSON.stringify(observation);
  }
  return taken;
}

/**
 * Keeps the account's newest observation of each window. Returns the notice to announce when the
 * observation took any window, with every window as it now stands; nothing when all were older.
 */
export async function projectRateLimitsObserved(
  redis: Redis,
  keys: ViewKeys,
  seq: StreamSeq,
  event: DomainEvent<'RateLimitsObserved'>,
): Promise<RateLimitsChanged | undefined> {
  const key = keys.rateLimits(event.account);
  return retryOnConflict(`RateLimitsObserved ${event.id}`, async () => {
    await redis.watch(key);
    const stored = await redis.hgetall(key);
    const taken = windowsTaken(stored, seq, event);
    const transaction = redis.multi();
    if (Object.keys(taken).length > 0) transaction.hset(key, taken);
    transaction.ccsyncAdvanceCheckpoint(keys.checkpoint, seq);
    if ((await execGuarded(transaction)) === CONFLICT) return CONFLICT;
    if (Object.keys(taken).length === 0) return undefined;
    return { ...rateLimitsFromHash(event.account, { ...stored, ...taken }), seq };
  });
}
