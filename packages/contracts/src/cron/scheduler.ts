import { z } from 'zod';
import { AccountId } from '../ids.ts';
import { CronJobId, CronJobKind } from './jobs.ts';

/** Who asks, as the gateway authenticated them. Only the operator may run the server's programs. */
export const SchedulerCaller = z.object({ account: AccountId, operator: z.boolean() });
export type SchedulerCaller = z.infer<typeof SchedulerCaller>;

/**
 * What the gateway asks the scheduler over NATS request/reply. Job bodies travel as the client sent
 * them: the scheduler validates them, because only it knows the configured programs.
 */
export const SchedulerRequest = z.discriminatedUnion('op', [
  z.object({ op: z.literal('list'), caller: SchedulerCaller }),
  z.object({ op: z.literal('get'), caller: SchedulerCaller, id: CronJobId }),
  z.object({ op: z.literal('create'), caller: SchedulerCaller, job: z.unknown() }),
  z.object({ op: z.literal('update'), caller: SchedulerCaller, id: CronJobId, change: z.unknown() }),
  z.object({ op: z.literal('delete'), caller: SchedulerCaller, id: CronJobId }),
  /** Runs a job now: the one named, or the account's first job of `kind`. */
  z.object({
    op: z.literal('execute'),
    caller: SchedulerCaller,
    id: CronJobId.optional(),
    kind: CronJobKind.optional(),
    wait: z.boolean(),
  }),
]);
export type SchedulerRequest = z.infer<typeof SchedulerRequest>;

/** The scheduler's answer: an HTTP status and body, or the error the gateway replies with. */
export const SchedulerReply = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), statusCode: z.number().int(), body: z.unknown() }),
  z.object({ ok: z.literal(false), statusCode: z.number().int(), code: z.string(), message: z.string() }),
]);
export type SchedulerReply = z.infer<typeof SchedulerReply>;

/** A request that the account's connected agents push now, from the API or a `sync` job. */
export const SyncRequested = z.object({
  account: AccountId,
  requestId: z.string().min(1).max(100),
  requestedAt: z.iso.datetime(),
  by: z.enum(['api', 'cron']),
});
export type SyncRequested = z.infer<typeof SyncRequested>;
