import {
  CRON_RUNS_KEPT,
  type CronRun,
  type CronRunChanged,
  type DomainEvent,
  type StreamSeq,
  type ViewKeys,
} from '@ccsync/contracts';
import type { Redis } from '@ccsync/service-kit';
import { execGuarded } from '../usage/optimistic.ts';

/**
 * Adds a run to its job's latest runs. The member is the run's JSON and its score the stream
 * sequence, so a redelivered event adds nothing; the oldest runs beyond the kept number go.
 */
export async function projectCronJobExecuted(
  redis: Redis,
  keys: ViewKeys,
  seq: StreamSeq,
  event: DomainEvent<'CronJobExecuted'>,
): Promise<CronRunChanged> {
  const run: CronRun = { ...event.data, seq, eventId: event.id };
  const key = keys.cronRuns(event.account, run.job);
  await execGuarded(
    redis
      .multi()
      .zadd(key, seq, JSON.stringify(run))
      .zremrangebyrank(key, 0, -(CRON_RUNS_KEPT + 1))
      .ccsyncAdvanceCheckpoint(keys.checkpoint, seq),
  );
  return { account: event.account, seq, run };
}
