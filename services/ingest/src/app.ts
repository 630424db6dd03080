import { namesFor } from '@ccsync/contracts';
import {
  accountAuthenticator,
  announceGeneratedToken,
  connectNats,
  connectRedis,
  createEventHistory,
  createHttpServer,
  createMetrics,
  ensureEventStream,
  type Logger,
  natsIsUp,
  type RunningService,
  redisIsUp,
  resolveAdminToken,
  streamOptions,
  TokenStore,
} from '@ccsync/service-kit';
import { jetstreamManager } from '@nats-io/jetstream';
import { registerAccountRoutes } from './accounts/routes.ts';
import type { IngestEnv } from './config.ts';
import { registerDeviceRoutes } from './devices/routes.ts';
import { createIngestMetrics } from './ingest-metrics.ts';
import { registerOtlpRoutes } from './otlp/routes.ts';
import { registerRateLimitRoutes } from './rate-limits/routes.ts';
import { registerUsageRoutes } from './usage/routes.ts';
import { startSimpleUsageResponder } from './usage/simple-usage-responder.ts';
import { registerSnapshotRoutes } from './usage/snapshot-routes.ts';
import { createUsageRecorder } from './usage/usage-recorder.ts';

export interface Ingest extends RunningService {
  /** The bound HTTP address, e.g. http://127.0.0.1:3001. */
  readonly url: string;
}

/** Connects, makes sure the event stream exists, and starts accepting usage. */
export async function startIngest(env: IngestEnv, logger: Logger): Promise<Ingest> {
  const names = namesFor(env.CCSYNC_NAMESPACE);
  const admin = await resolveAdminToken(env);
  if (admin.generated) announceGeneratedToken(admin);

  const nc = await connectNats(env.NATS_URL, 'ccsync-ingest', logger);
  const redis = connectRedis(env.REDIS_URL, 'ccsync-ingest', logger);
  await ensureEventStream(await jetstreamManager(nc), names, streamOptions(env));

  const store = await TokenStore.open(nc, names, env.CCSYNC_STREAM_REPLICAS);
  const metrics = createMetrics('ingest');
  const app = await createHttpServer({
    service: 'ingest',
    metrics,
    ...(env.INGEST_RATE_LIMIT_PER_MINUTE === 0
      ? {}
      : {
          rateLimit: {
            redis,
            keyPrefix: `${names.redisPrefix}ratelimit:ingest:`,
            perMinute: env.INGEST_RATE_LIMIT_PER_MINUTE,
          },
        }),
    logger,
    authenticator: accountAuthenticator(env, store, admin.token),
    bodyLimit: env.INGEST_BODY_LIMIT_BYTES,
    readiness: { nats: () => natsIsUp(nc), redis: () => redisIsUp(redis) },
  });
  const history = createEventHistory(nc, names, env.INGEST_PUBLISH_TIMEOUT_MS);
  const record = createUsageRecorder(history, createIngestMetrics(metrics, nc));
  registerUsageRoutes(app, record);
  registerSnapshotRoutes(app, history);
  registerRateLimitRoutes(app, history);
  registerOtlpRoutes(app, record, history);
  const stopResponder = startSimpleUsageResponder(nc, names, record, logger);
  registerDeviceRoutes(app, { nc, names });
  registerAccountRoutes(app, { store, history });
  const url = await app.listen({ host: env.HOST, port: env.INGEST_PORT });

  return {
    url,
    async close() {
      // Stop taking requests first, so every accepted one finishes its publish before the drain.
      await app.close();
      stopResponder();
      await nc.drain();
      await redis.quit();
    },
  };
}
