import { access, constants } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import { type CronJob, CronJobSpec, DEFAULT_ACCOUNT } from '@ccsync/contracts';
import type { Logger } from '@ccsync/service-kit';
import type { SchedulerEnv } from '../config.ts';
import type { JobStore } from './job-store.ts';

/**
 * The seed's default jobs, created once in the operator's account and editable like any other:
 * usage collection with ccusage (enabled when a ccusage binary is found) and a sync request.
 */
export async function createDefaultJobs(store: JobStore, env: SchedulerEnv, logger: Logger): Promise<void> {
  if (!(await store.firstTime(DEFAULT_ACCOUNT, 'defaults'))) return;
  const now = new Date().toISOString();
  const ccusage = await findProgram(env.CCUSAGE_PATH);
  const specs = [
    { name: 'usage-collection', schedule: '*/5 * * * *', kind: 'ccusage', enabled: ccusage },
    { name: 'usage-sync', schedule: '*/5 * * * *', kind: 'sync' },
  ];
  for (const spec of specs) {
    const job: CronJob = { ...CronJobSpec.parse(spec), createdAt: now, updatedAt: now };
    await store.create(DEFAULT_ACCOUNT, job);
  }
  if (!ccusage) {
    logger.info(
      { CCUSAGE_PATH: env.CCUSAGE_PATH },
      'created the usage-collection job disabled: no ccusage binary found; set CCUSAGE_PATH and enable it',
    );
  }
}

/** Whether a program can be run: a path, or a name found on PATH (as execa, without a shell, finds it). */
async function findProgram(program: string): Promise<boolean> {
  const candidates = isAbsolute(program)
    ? [program]
    : (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return true;
    } catch {}
  }
  return false;
}
