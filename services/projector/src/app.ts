import { DEFAULT_ACCOUNT, liveKeys, namesFor } from '@ccsync/contracts';
import {
  adminTokenAuthenticator,
  connectNats,
  connectRedis,
  createHttpServer,
  createMetrics,
  ensureEventStream,
  type Logger,
  natsIsUp,
  type RunningService,
  redisIsUp,
  resolveAdminToken,
  waitForRedis,
} from '@ccsync/service-kit';
import { loadPricingTable } from '@ccsync/usage';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ProjectorEnv } from './config.ts';
import { startProjectionConsumer } from './consumer.ts';
import { trackPresence } from './presence/track-presence.ts';
import { defineProjectionCommands } from './usage/project-usage.ts';

export interface Projector extends RunningService {
  readonly url: string;
}

export async function startProjector(env: ProjectorEnv, logger: Logger): Promise<Projector> {
  const names = namesFor(env.CCSYNC_NAMESPACE);
  const admin = await resolveAdminToken(env);
  const nc = await connectNats(env.NATS_URL, 'ccsync-projector', logger);
  const redis = connectRedis(env.REDIS_URL, 'ccsync-projector', logger);
  defineProjectionCommands(redis);
  await waitForRedis(redis);
  const jsm = await jetstreamManager(nc);
  // The projector may start before ingest has ever run; the stream is created the same way by both.
  await ensureEventStream(jsm, names, {
    replicas: env.CCSYNC_STREAM_REPLICAS,
    maxAgeSeconds: env.CCSYNC_STREAM_MAX_AGE_SECONDS,
    duplicateWindowSeconds: env.CCSYNC_STREAM_DUPLICATE_WINDOW_SECONDS,
  });
  const pricing = await loadPricingTable(env.CCSYNC_PRICING_FILE);
  const consumer = await startProjectionConsumer({
    nc,
    jsm,
    redis,
    names,
    logger,
    batchSize: env.PROJECTOR_BATCH_SIZE,
    pricing,
  });

  const metrics = createMetrics('projector');
  const stopPresence = trackPresence({
    nc,
    redis,
    names,
    live: liveKeys(names),
    logger,
    ttlSeconds: env.PROJECTOR_PRESENCE_TTL_SECONDS,
  });

  const app = await createHttpServer({
    service: 'projector',
    metrics,
    logger,
    authenticator: adminTokenAuthenticator(admin.token, DEFAULT_ACCOUNT, env.CCSYNC_METRICS_TOKEN),
    readiness: { nats: () => natsIsUp(nc), redis: () => redisIsUp(redis) },
  });
  const url = await app.listen({ host: env.HOST, port: env.PROJECTOR_PORT });

  let closing = false;
  // The consume loop ends only when stopped; if it ever ends otherwise, exit so an orchestrator
  // restarts the projector instead of leaving it alive and idle.
  void consumer.done.then(
    () => closing || fail(new Error('the event consumer stopped')),
    (error: unknown) => closing || fail(error),
  );
  function fail(error: unknown): void {
    logger.fatal({ err: error }, 'projection stopped unexpectedly');
    process.exit(1);
  }

  return {
    url,
    async close() {
      closing = true;
      stopPresence();
      await app.close();
      // Stop pulling, let the event in hand finish and ack, then drain what is left to flush.
      await consumer.stop();
      await nc.drain();
      await redis.quit();
    },
  };
}
