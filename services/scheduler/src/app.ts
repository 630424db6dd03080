import { DEFAULT_ACCOUNT } from '@ccsync/contracts';
import {
  adminTokenAuthenticator,
  connectNats,
  connectRedis,
  createHttpServer,
  createMetrics,
  type Logger,
  natsIsUp,
  type RunningService,
  redisIsUp,
  resolveAdminToken,
} from '@ccsync/service-kit';
import type { SchedulerEnv } from './config.ts';

export interface Scheduler extends RunningService {
  readonly url: string;
}

/**
 * The scheduler's process: connections, probes and shutdown. Its jobs (croner schedules of
 * ccusage and claude, kept in NATS KV) are built on this.
 */
export async function startScheduler(env: SchedulerEnv, logger: Logger): Promise<Scheduler> {
  const admin = await resolveAdminToken(env);
  const nc = await connectNats(env.NATS_URL, 'ccsync-scheduler', logger);
  const redis = connectRedis(env.REDIS_URL, 'ccsync-scheduler', logger);
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
      await app.close();
      await nc.drain();
      await redis.quit();
    },
  };
}
