import { DEFAULT_ACCOUNT, namesFor } from '@ccsync/contracts';
import {
  adminTokenAuthenticator,
  connectNats,
  connectRedis,
  createEventHistory,
  createHttpServer,
  createMetrics,
  ensureEventStream,
  type Logger,
  natsIsUp,
  ProjectionRegistry,
  type RunningService,
  redisIsUp,
  resolveAdminToken,
  streamOptions,
} from '@ccsync/service-kit';
import { jetstreamManager } from '@nats-io/jetstream';
import type { SchedulerEnv } from './config.ts';
import { createDefaultJobs } from './jobs/default-jobs.ts';
import { JobStore } from './jobs/job-store.ts';
import { Schedules } from './jobs/schedules.ts';
import { startSchedulerResponder } from './requests.ts';
import { JobRunner } from './runs/job-runner.ts';
import { RunClaims } from './runs/run-claims.ts';

export interface Scheduler extends RunningService {
  readonly url: string;
}

/** How long a run's event may take to be stored. */
const PUBLISH_TIMEOUT_MS = 5000;

/**
 * Runs the jobs kept in NATS KV on their croner schedules, once per tick across replicas, and
 * answers the gateway's job requests. Results are CronJobExecuted events in the history.
 */
export async function startScheduler(env: SchedulerEnv, logger: Logger): Promise<Scheduler> {
  const names = namesFor(env.CCSYNC_NAMESPACE);
  const admin = await resolveAdminToken(env);
  const nc = await connectNats(env.NATS_URL, 'ccsync-scheduler', logger);
  const redis = connectRedis(env.REDIS_URL, 'ccsync-scheduler', logger);
  await ensureEventStream(await jetstreamManager(nc), names, streamOptions(env));

  const store = await JobStore.open(nc, names, logger, env.CCSYNC_STREAM_REPLICAS);
  const claims = await RunClaims.open(nc, names, env.CCSYNC_STREAM_REPLICAS);
  const stopFollowing = await claims.follow((error) => logger.error({ err: error }, 'following run claims stopped'));
  const history = createEventHistory(nc, names, PUBLISH_TIMEOUT_MS);
  const registry = new ProjectionRegistry(redis, names);
  const leaseMs = env.SCHEDULER_LEASE_SECONDS * 1000;
  const runner = new JobRunner({
    claims,
    store,
    leaseMs,
    context: { env, nc, names, redis, registry, history, logger },
  });
  const schedules = new Schedules((account, job, scheduledAt) => {
    runner.tick(account, job, scheduledAt).catch((error: unknown) => {
      logger.error({ err: error, account, job: job.name }, 'a scheduled run could not start');
    });
  }, logger);
  if (env.SCHEDULER_DEFAULT_JOBS) await createDefaultJobs(store, env, logger);
  const stopWatch = await store.watch(({ account, id, job }) => schedules.set(account, id, job));
  const sweep = setInterval(() => {
    runner.sweep().catch((error: unknown) => logger.warn({ err: error }, 'the sweep of lost runs failed'));
  }, leaseMs);
  const stopResponder = startSchedulerResponder({ nc, names, env, store, runner, logger });

  const metrics = createMetrics('scheduler');
  const app = await createHttpServer({
    service: 'scheduler',
    metrics,
    logger,
    authenticator: adminTokenAuthenticator(admin.token, DEFAULT_ACCOUNT, env.CCSYNC_METRICS_TOKEN),
    readiness: { nats: () => natsIsUp(nc), redis: () => redisIsUp(redis) },
  });
  const url = await app.listen({ host: env.HOST, port: env.SCHEDULER_PORT });
  return {
    url,
    async close() {
      stopResponder();
      stopWatch();
      schedules.stop();
      stopFollowing();
      clearInterval(sweep);
      // Runs in progress are stopped and recorded as failed before the connection goes.
      await runner.close();
      await app.close();
      await nc.drain();
      await redis.quit();
    },
  };
}
