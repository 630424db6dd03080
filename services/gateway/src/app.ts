import { namesFor } from '@ccsync/contracts';
import {
  accountAuthenticator,
  announceGeneratedToken,
  connectNats,
  connectRedis,
  createHttpServer,
  createMetrics,
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
import { registerAdminRoutes } from './admin/routes.ts';
import { registerBlockRoutes } from './blocks/routes.ts';
import { registerForgeRoutes } from './claudeforge/routes.ts';
import type { GatewayEnv } from './config.ts';
import { registerCronRoutes } from './cron/routes.ts';
import { registerLiveMetricRoutes } from './live-metrics/routes.ts';
import { FanOut } from './realtime/fan-out.ts';
import { registerRealtimeRoutes, startChangeRelay } from './realtime/routes.ts';
import { registerSettingsRoutes } from './settings/routes.ts';
import { registerStatsRoutes } from './stats/routes.ts';
import { registerStatusRoutes } from './status/routes.ts';
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
    authenticator: accountAuthenticator(env, store, admin.token),
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
  const fanOut = new FanOut();
  const stopRelay = startChangeRelay(fanOut, { nc, names, logger });
  const registry = new ProjectionRegistry(redis, names);
  registerStatusRoutes(app, { nc, redis, names, registry });
  registerUsageRoutes(app, { redis, names, registry });
  registerAdminRoutes(app, { nc, redis, names, registry });
  registerStatsRoutes(app, { redis, registry, pricing: await loadPricingTable(env.CCSYNC_PRICING_FILE) });
  registerBlockRoutes(app, { redis, names, registry });
  registerForgeRoutes(app, { redis, names, registry });
  registerCronRoutes(app, { nc, redis, names, registry });
  registerLiveMetricRoutes(app, { redis, nc, names, runtime });
  registerSettingsRoutes(app, { env, names, redis, runtime });
  registerRealtimeRoutes(app, fanOut, { nc, names });
  const url = await app.listen({ host: env.HOST, port: env.GATEWAY_PORT });

  return {
    url,
    async close() {
      stopRelay();
      // Going away (1001) tells clients to reconnect, to another replica if there is one.
      for (const client of app.websocketServer.clients) client.close(1001, 'server shutting down');
      await app.close();
      runtime.close();
      await nc.drain();
      await redis.quit();
    },
  };
}
