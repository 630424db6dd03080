import { mkdir } from 'node:fs/promises';
import lockfile from 'proper-lockfile';
import { AgentError, ExitCode } from '../errors.ts';

/**
 * Runs `work` while holding the state directory, so a hook-triggered push and `watch` never read
 * and advance the same cursors at once. A lock left by a crashed process goes stale and is taken.
 */
export async function withStateLock<T>(stateDir: string, work: () => Promise<T>): Promise<T> {
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(stateDir, {
      lockfilePath: `${stateDir}/agent.lock`,
      // A live holder refreshes the lock every 2.5 s; one a killed process left is taken after 5 s.
      stale: 5_000,
      retries: { retries: 40, minTimeout: 100, maxTimeout: 500 },
    });
  } catch (error) {
    throw new AgentError(ExitCode.Busy, `Another ccsync is using ${stateDir}; try again`, { cause: error });
  }
  try {
    return await work();
  } finally {
    await release();
  }
}
