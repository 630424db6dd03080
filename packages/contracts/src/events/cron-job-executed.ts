import { z } from 'zod';
import { CronJobId, CronJobKind } from '../cron/jobs.ts';
import { EventId } from '../ids.ts';
import { TokenTotals } from '../views/usage.ts';

const count = z.number().int().nonnegative();

/** How a run ended. `lost`: the scheduler replica running it stopped before it could say. */
export const CronRunStatus = z.enum(['succeeded', 'failed', 'timed_out', 'lost', 'skipped']);
export type CronRunStatus = z.infer<typeof CronRunStatus>;

/**
 * CronJobExecuted v1: one run of a scheduled job (the envelope names its account), with what it
 * produced. Output is bounded by the job's `maxOutputBytes`.
 */
export const CronJobExecutedV1 = z.object({
  job: CronJobId,
  kind: CronJobKind,
  /** The run's key: the job and its scheduled time, the same on every scheduler replica. */
  runId: z.string().min(1).max(300),
  trigger: z.enum(['schedule', 'manual']),
  /** 1 for the first try; retries count up. */
  attempt: z.number().int().positive(),
  scheduledAt: z.iso.datetime(),
  startedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime(),
  durationMs: count,
  status: CronRunStatus,
  /** The program's exit code, when one ran and exited. */
  exitCode: z.number().int().nullable(),
  /** Why it failed, for people. */
  error: z.string().max(4000).optional(),
  stdout: z.string(),
  stderr: z.string(),
  /** Output was cut at the job's `maxOutputBytes`. */
  outputTruncated: z.boolean(),
  /** Tokens and cost the run reported: a `claude` run's own usage, or a `ccusage` report's totals. */
  usage: TokenTotals.omit({ entries: true }).optional(),
  /** The UsageSnapshotRecorded event a `ccusage` run recorded. */
  snapshotEventId: EventId.optional(),
});
export type CronJobExecutedV1 = z.infer<typeof CronJobExecutedV1>;
