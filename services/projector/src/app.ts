import { DEFAULT_ACCOUNT, liveKeys, namesFor } from '@ccsync/contracts';
import {
  adminTokenAuthenticator,
  changeStreamOptions,
  connectNats,
  connectRedis,
  createHttpServer,
  createMetrics,
  ensureChangeStream,
  ensureEventStream,
  type Logger,
  natsIsUp,
  ProjectionRegistry,
  type RunningService,
  redisIsUp,
  resolveAdminToken,
  streamOptions,
  waitForRedis,
} from '@ccsync/service-kit';
import { loadPricingTable } from '@ccsync/usage';
import { jetstreamManager } from '@nats-io/jetstream';
import type { ProjectorEnv } from './config.ts';
import { trackPresence } from './presence/track-presence.ts';
import { startSupervisor } from './supervisor.ts';
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
  await ensureEventStream(jsm, names, streamOptions(env));
  // The notices it writes, for gateways to fan out and replay.
  await ensureChangeStream(jsm, names, changeStreamOptions(env));
  const pricing = await loadPricingTable(env.CCSYNC_PRICING_FILE);
  const supervisor = startSupervisor({
    nc,
    jsm,
    redis,
    names,
    logger,
    batchSize: env.PROJECTOR_BATCH_SIZE,
    pricing,
    registry: new ProjectionRegistry(redis, names),
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

  return {
    url,
    async close() {
      stopPresence();
      await app.close();
      // Stop pulling, let the batch in hand finish and ack, then drain what is left to flush.
      await supervisor.stop();
      await nc.drain();
      await redis.quit();
    },
  };
}
