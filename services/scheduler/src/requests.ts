import {
  type AccountId,
  type CronJob,
  type CronJobListReply,
  type CronJobView,
  type Names,
  type SchedulerCaller,
  type SchedulerReply,
  SchedulerRequest,
  SERVER_PROGRAM_KINDS,
} from '@ccsync/contracts';
import { Errors, errorOutcome, type Logger, type NatsConnection } from '@ccsync/service-kit';
import { z } from 'zod';
import type { SchedulerEnv } from './config.ts';
import { changeJob, defineJob, viewOf } from './jobs/define-job.ts';
import type { JobStore } from './jobs/job-store.ts';
import type { JobRunner } from './runs/job-runner.ts';

export interface RequestDeps {
  readonly nc: NatsConnection;
  readonly names: Names;
  readonly env: SchedulerEnv;
  readonly store: JobStore;
  readonly runner: JobRunner;
  readonly logger: Logger;
}

/** Two admins changing one job at once: the later one re-reads and applies its change on top. */
const MAX_UPDATE_ATTEMPTS = 10;

/**
 * Answers the gateway's job requests (`/api/cron/jobs`). A queue group shares them among the
 * scheduler replicas; any one can answer, since jobs live in NATS KV. Returns an unsubscribe.
 */
export function startSchedulerResponder(deps: RequestDeps): () => void {
  const { nc, names, logger } = deps;
  const subscription = nc.subscribe(names.schedulerRequests, {
    queue: 'scheduler',
    callback: (_error, message) => {
      void (async () => {
        let reply: SchedulerReply;
        try {
          const request = SchedulerRequest.safeParse(message.json());
          if (!request.success) throw new Errors.Validation(z.prettifyError(request.error));
          reply = await answer(request.data, deps);
        } catch (error) {
          reply = errorOutcome(error);
          if (reply.code === 'CCSYNC_INTERNAL') logger.error({ err: error }, 'a scheduler request failed');
        }
        message.respond(JSON.stringify(reply));
      })();
    },
  });
  return () => subscription.unsubscribe();
}

async function answer(request: SchedulerRequest, deps: RequestDeps): Promise<SchedulerReply> {
  const { store, env, runner } = deps;
  const { account } = request.caller;
  const now = new Date().toISOString();
  const found = (id: string) => storedJob(store, account, id);
  switch (request.op) {
    case 'list': {
      const body: CronJobListReply = { jobs: (await store.list(account)).map(viewOf) };
      return { ok: true, statusCode: 200, body };
    }
    case 'get':
      return { ok: true, statusCode: 200, body: viewOf((await found(request.id)).job) satisfies CronJobView };
    case 'create': {
      const job = defineJob(request.job, request.caller, env, now);
      if (!(await store.create(account, job))) throw new Errors.Conflict(`a job named ${job.name} exists`);
      return { ok: true, statusCode: 201, body: viewOf(job) };
    }
    case 'update': {
      for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
        const { job, revision } = await found(request.id);
        mayChange(job, request.caller);
        const changed = changeJob(job, request.change, request.caller, env, now);
        if (await store.replace(account, changed, revision))
          return { ok: true, statusCode: 200, body: viewOf(changed) };
      }
      throw new Errors.Conflict(`job ${request.id} kept changing; try again`);
    }
    case 'delete': {
      mayChange((await found(request.id)).job, request.caller);
      await store.delete(account, request.id);
      return { ok: true, statusCode: 204, body: null };
    }
    case 'execute': {
      const job = await jobToRun(request, store);
      mayChange(job, request.caller);
      return { ok: true, statusCode: request.wait ? 200 : 202, body: await runner.runNow(account, job, request.wait) };
    }
  }
}

async function storedJob(store: JobStore, account: AccountId, id: string) {
  const stored = await store.get(account, id);
  if (stored === undefined) throw new Errors.NotFound(`no job named ${id}`);
  return stored;
}

/** The job an `execute` names, or the account's first enabled job of the kind asked for. */
async function jobToRun(request: Extract<SchedulerRequest, { op: 'execute' }>, store: JobStore): Promise<CronJob> {
  const { account } = request.caller;
  if (request.id !== undefined) return (await storedJob(store, account, request.id)).job;
  const jobs = (await store.list(account)).filter((job) => job.kind === request.kind);
  const job = jobs.find((candidate) => candidate.enabled) ?? jobs[0];
  if (job === undefined) throw new Errors.NotFound(`no ${request.kind} job: create one with POST /api/cron/jobs`);
  return job;
}

/** A job that runs the server's programs is the operator's to change, run or delete. */
function mayChange(job: CronJob, caller: SchedulerCaller): void {
  if (SERVER_PROGRAM_KINDS.includes(job.kind) && !caller.operator) {
    throw new Errors.Forbidden(`change or run ${job.kind} jobs: only the server's operator may`);
  }
}
