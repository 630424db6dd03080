import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deviceIdFromHostname } from '@ccsync/contracts';
import { BaseEnv, port, StreamEnv } from '@ccsync/service-kit';
import { z } from 'zod';

const list = z
  .string()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim().toLowerCase())
      .filter((item) => item !== ''),
  );

export const SchedulerEnv = BaseEnv.extend({
  SCHEDULER_PORT: port(3003),
  /** The ccusage binary `ccusage` jobs run; by default `ccusage` found on PATH. */
  CCUSAGE_PATH: z.string().min(1).default('ccusage'),
  /** The Claude Code binary `claude` jobs run; by default `claude` found on PATH. */
  CLAUDE_CODE_PATH: z.string().min(1).default('claude'),
  /**
   * Where Claude Code keeps its data on this server (a comma list, as ccusage takes it); passed to
   * the programs jobs run. Unset: their defaults under HOME.
   */
  CLAUDE_CONFIG_DIR: z.string().min(1).optional(),
  /** The device a `ccusage` job's snapshot is recorded for, unless the job names one: this host's name. */
  SCHEDULER_DEVICE: z
    .string()
    .min(1)
    .default(() => deviceIdFromHostname(hostname()))
    .pipe(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/)),
  /** Each job runs in a folder of its own under here. */
  SCHEDULER_WORK_DIR: z
    .string()
    .min(1)
    .default(() => join(tmpdir(), 'ccsync-scheduler')),
  /** Hosts that `webhook` jobs may call (comma list); none by default. */
  SCHEDULER_WEBHOOK_HOSTS: list,
  /** Create the seed's default jobs (usage collection and sync) in an account that has none yet. */
  SCHEDULER_DEFAULT_JOBS: z
    .enum(['true', 'false'])
    .default('true')
    .transform((value) => value === 'true'),
  /**
   * A replica renews its claim on a running job this often; one that stops renewing for three
   * times as long is taken for dead, and its run is retried or recorded as lost.
   */
  SCHEDULER_LEASE_SECONDS: z.coerce.number().int().min(1).max(300).default(10),
  ...StreamEnv,
});
export type SchedulerEnv = z.infer<typeof SchedulerEnv>;
