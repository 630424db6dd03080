import { namesFor } from '@ccsync/contracts';
import {
  accountAuthenticator,
  announceGeneratedToken,
  changeStreamOptions,
  connectNats,
  connectRedis,
  createHttpServer,
  createMetrics,
  ensureChangeStream,
  type Logger,
  natsIsUp,
  ProjectionRegistry,
  type RunningService,
  RuntimeConfig,
  redisIsUp,
  resolveAdminToken,
  TokenStore,
} from '@ccsync/service-kit';
import { loadPricingTable } from '@ccsync/usage';
import websocket from '@fastify/websocket';
import { jetstreamManager } from '@nats-io/jetstream';
import { registerAdminRoutes } from './admin/routes.ts';
import { registerBlockRoutes } from './blocks/routes.ts';
import { registerForgeRoutes } from './claudeforge/routes.ts';
import type { GatewayEnv } from './config.ts';
import { registerCronRoutes } from './cron/routes.ts';
import { registerDashboardRoutes } from './dashboard/routes.ts';
import { registerLiveMetricRoutes } from './live-metrics/routes.ts';
import { registerRateLimitRoutes } from './rate-limits/routes.ts';
import { startChangeFeed } from './realtime/change-feed.ts';
import { startConnectionRegistry } from './realtime/connection-registry.ts';
import { FanOut } from './realtime/fan-out.ts';
import { startRelay } from './realtime/relay.ts';
import { newGatewayId, registerRealtimeRoutes } from './realtime/routes.ts';
import { registerSettingsRoutes } from './settings/routes.ts';
import { registerStatsRoutes } from './stats/routes.ts';
import { registerStatusRoutes } from './status/routes.ts';
import { simpleUsageRecorder } from './usage/record-simple-usage.ts';
import { registerUsageRoutes } from './usage/routes.ts';

export interface Gateway extends RunningService {
  readonly url: string;
}

export async function startGateway(env: GatewayEnv, logger: Logger): Promise<Gateway> {
  const names = namesFor(env.CCSYNC_NAMESPACE);
  const admin = await resolveAdminToken(env);
  if (admin.generated) announceGeneratedToken(admin);
  const nc = await connectNats(env.NATS_URL, 'ccsync-gateway', logger);
  const redis = connectRedis(env.REDIS_URL, 'ccsync-gateway', logger);

  const store = await TokenStore.open(nc, names);
  const runtime = await RuntimeConfig.open(nc, names, logger);
  const metrics = createMetrics('gateway');
  const authenticator = accountAuthenticator(env, store, admin.token);
  const app = await createHttpServer({
    service: 'gateway',
    metrics,
    ...(env.GATEWAY_RATE_LIMIT_PER_MINUTE === 0
      ? {}
      : {
          rateLimit: {
            redis,
            keyPrefix: `${names.redisPrefix}ratelimit:gateway:`,
            perMinute: env.GATEWAY_RATE_LIMIT_PER_MINUTE,
          },
        }),
    logger,
    authenticator,
    bodyLimit: env.GATEWAY_BODY_LIMIT_BYTES,
    corsOrigins: env.GATEWAY_CORS_ORIGINS,
    readiness: { nats: () => natsIsUp(nc), redis: () => redisIsUp(redis) },
  });
  // A level set at run time wins over the one the process started with, until it is cleared.
  // Fastify's request loggers are children of app.log, made per request, so they follow it.
  const startLevel = logger.level;
  runtime.onChange((settings) => {
    logger.level = settings.logLevel ?? startLevel;
    app.log.level = logger.level;
  });
  await app.register(websocket, { options: { maxPayload: env.GATEWAY_WS_MAX_MESSAGE_BYTES } });
  // Sockets: every replica follows the change stream and the relay, and serves its own clients.
  const jsm = await jetstreamManager(nc);
  await ensureChangeStream(jsm, names, changeStreamOptions(env));
  const gatewayId = newGatewayId();
  const fanOut = new FanOut();
  const feed = await startChangeFeed({ nc, jsm, names, logger }, (change, epoch) =>
    fanOut.publishChange(change, epoch),
  );
  const stopRelay = startRelay(fanOut, { nc, names, logger });
  const sockets = startConnectionRegistry({ redis, names, logger }, gatewayId, fanOut, 5000);
  const registry = new ProjectionRegistry(redis, names);
  registerStatusRoutes(app, { nc, redis, names, registry });
  const recordSimpleUsage = simpleUsageRecorder(nc, names);
  registerUsageRoutes(app, { redis, names, registry, recordSimpleUsage });
  registerAdminRoutes(app, { nc, redis, names, registry });
  registerStatsRoutes(app, { redis, registry, pricing: await loadPricingTable(env.CCSYNC_PRICING_FILE) });
  registerBlockRoutes(app, { redis, names, registry });
  registerRateLimitRoutes(app, { redis, registry });
  registerForgeRoutes(app, { redis, names, registry });
  registerCronRoutes(app, { nc, redis, names, registry });
  registerLiveMetricRoutes(app, { redis, nc, names, runtime });
  registerSettingsRoutes(app, { env, names, redis, runtime });
  const page = await registerDashboardRoutes(app);
  const stopHeartbeats = registerRealtimeRoutes(
    app,
    { nc, names, logger, authenticator, feed, fanOut, registry: sockets, metrics, gatewayId, page, recordSimpleUsage },
    {
      authTimeoutMs: env.GATEWAY_WS_AUTH_TIMEOUT_MS,
      pingIntervalMs: env.GATEWAY_WS_PING_SECONDS * 1000,
      maxBufferedBytes: env.GATEWAY_WS_MAX_BUFFERED_BYTES,
      messagesPerSecond: env.GATEWAY_WS_MESSAGES_PER_SECOND,
      maxRecovery: env.GATEWAY_WS_MAX_RECOVERY,
      origins: env.GATEWAY_CORS_ORIGINS,
    },
  );
  const url = await app.listen({ host: env.HOST, port: env.GATEWAY_PORT });

  return {
    url,
    async close() {
      stopHeartbeats();
      stopRelay();
      // Going away (1001) tells clients to reconnect, to another replica if there is one, and resume.
      for (const client of app.websocketServer.clients) client.close(1001, 'server shutting down');
      await sockets.stop();
      await feed.stop();
      await app.close();
      runtime.close();
      await nc.drain();
      await redis.quit();
    },
  };
}
