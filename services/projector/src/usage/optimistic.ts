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
