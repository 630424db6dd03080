import type { ChainableCommander } from 'ioredis';

/** Another replica wrote the same keys between our read and our write: read again, up to this often. */
const MAX_ATTEMPTS = 50;

/** What an attempt returns when its guarded transaction did not run (`EXEC` answered null). */
export const CONFLICT = Symbol('conflict');

/**
 * Runs a WATCH-read-MULTI attempt until its transaction runs. Projector replicas may apply events
 * touching the same keys at once; optimistic retries keep each apply atomic without a lock.
 */
export async function retryOnConflict<T>(what: string, attempt: () => Promise<T | typeof CONFLICT>): Promise<T> {
  for (let tries = 0; tries < MAX_ATTEMPTS; tries++) {
    const result = await attempt();
    if (result !== CONFLICT) return result;
  }
  throw new Error(`${what}: gave up after ${MAX_ATTEMPTS} conflicting attempts`);
}

/**
 * EXEC of a WATCH-guarded transaction: CONFLICT when another replica wrote a watched key first.
 * Redis runs the rest of a transaction when one command fails, so a failed command is a bug in
 * the views' layout and must be loud, never a silently missing sum.
 */
export async function execGuarded(transaction: ChainableCommander): Promise<typeof CONFLICT | undefined> {
  const results = await transaction.exec();
  if (results === null) return CONFLICT;
  const failed = results.find(([error]) => error !== null);
  if (failed) throw new Error(`a projection write failed: ${failed[0]?.message}`);
  return undefined;
}
