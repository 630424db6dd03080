import { z } from 'zod';
import { CronJobExecutedV1 } from '../events/cron-job-executed.ts';
import { AccountId, EventId, StreamSeq } from '../ids.ts';
import { CronJobId } from './jobs.ts';

/** One run as the views keep it: the event's data and where it is in the history. */
export const CronRun = CronJobExecutedV1.extend({ seq: StreamSeq, eventId: EventId });
export type CronRun = z.infer<typeof CronRun>;

/** The projector's notice that a job ran, for the gateways' `cron` channel. */
export const CronRunChanged = z.object({ account: AccountId, seq: StreamSeq, run: CronRun });
export type CronRunChanged = z.infer<typeof CronRunChanged>;

/** `GET /api/cron/jobs/:id/runs`: the latest runs first. */
export const CronRunsQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) });
export const CronRunsReply = z.object({ job: CronJobId, runs: z.array(CronRun) });
export type CronRunsReply = z.infer<typeof CronRunsReply>;

/** How many runs of each job the views keep. */
export const CRON_RUNS_KEPT = 200;

/**
 * The answer to `execute`: the run's id, and its result when the caller waited for it (`null` when
 * the run could not finish within the wait).
 */
export const ExecuteCronJobReply = z.object({
  job: CronJobId,
  runId: z.string(),
  scheduledAt: z.iso.datetime(),
  result: CronJobExecutedV1.nullable(),
});
export type ExecuteCronJobReply = z.infer<typeof ExecuteCronJobReply>;
