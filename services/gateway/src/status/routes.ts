import { ErrorReply, liveKeys, type Names, StatusReply } from '@ccsync/contracts';
import {
  assertCanRead,
  type HttpServer,
  type NatsConnection,
  natsIsUp,
  type ProjectionRegistry,
  principalOf,
  type Redis,
  redisIsUp,
  SERVICE_VERSION,
} from '@ccsync/service-kit';
import { historyState, jetStreamManagerOf } from '../admin/routes.ts';

export interface StatusDeps {
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly names: Names;
  readonly registry: ProjectionRegistry;
}

/**
 * `GET /api/status`: the seed's status, for anyone who may read the account. It says whether
 * NATS and Redis answer, how large the history is, how far the views lag behind it, and how many
 * of the account's devices are online; nothing about other accounts, and no configuration (that
 * is `/api/config`, for operators).
 */
export function registerStatusRoutes(app: HttpServer, { nc, redis, names, registry }: StatusDeps): void {
  const startedAt = new Date();
  const live = liveKeys(names);
  app.get(
    '/api/status',
    { schema: { response: { 200: StatusReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const [natsUp, redisUp] = await Promise.all([natsIsUp(nc), redisIsUp(redis)]);
      const history = natsUp
        ? await historyState(await jetStreamManagerOf(nc), names).catch(() => ({ messages: 0, last_seq: 0 }))
        : { messages: 0, last_seq: 0 };
      const keys = await registry.activeKeys();
      const [version, checkpoint, devices, online] = redisUp
        ? await Promise.all([
            registry.activeVersion(),
            registry.activeCheckpoint(),
            redis.scard(keys.accountDevices(principal.account)),
            redis.scard(live.online(principal.account)),
          ])
        : [0, 0, 0, 0];
      return {
        service: 'ccsync' as const,
        version: SERVICE_VERSION,
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.floor((Date.now() - startedAt.getTime()) / 1000),
        nats: { connected: natsUp },
        redis: { connected: redisUp },
        history: { events: history.messages, lastSeq: history.last_seq },
        views: { version: version ?? 0, checkpoint, lagEvents: Math.max(history.last_seq - checkpoint, 0) },
        account: { id: principal.account, devices, online },
        sockets: app.websocketServer?.clients.size ?? 0,
      };
    },
  );
}
