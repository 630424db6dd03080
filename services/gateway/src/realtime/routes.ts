import { randomBytes } from 'node:crypto';
import {
  type Channel,
  ClientMessage,
  CloseCodes,
  type DeviceHeartbeat,
  type DeviceId,
  type Names,
  type Position,
  type ServerMessage,
  type SyncAnswered,
} from '@ccsync/contracts';
import {
  type Authenticator,
  Counter,
  deviceForPush,
  Errors,
  Gauge,
  type HttpServer,
  type Logger,
  type NatsConnection,
  type Principal,
} from '@ccsync/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { DashboardPage } from '../dashboard/routes.ts';
import type { SimpleUsageRecorder } from '../usage/record-simple-usage.ts';
import type { Change, ChangeFeed } from './change-feed.ts';
import { deliveryOf, isHistoryBacked, maySubscribe, positionedText } from './channels.ts';
import { Connection, type ConnectionLimits, type Socket } from './connection.ts';
import type { ConnectionRegistry } from './connection-registry.ts';
import type { FanOut } from './fan-out.ts';
import { relayFromClient } from './relay.ts';

/** The socket @fastify/websocket hands over (a `ws` WebSocket), as far as it is used here. */
interface ServerSocket extends Socket {
  on(event: 'message', listener: (raw: Buffer, isBinary: boolean) => void): void;
  on(event: 'pong' | 'close', listener: () => void): void;
}

export interface RealtimeOptions extends ConnectionLimits {
  readonly authTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly maxRecovery: number;
  /** Origins whose pages may open sockets, besides the gateway's own. */
  readonly origins: readonly string[];
}

export interface RealtimeDeps {
  readonly nc: NatsConnection;
  readonly names: Names;
  readonly logger: Logger;
  readonly authenticator: Authenticator;
  readonly feed: ChangeFeed;
  readonly fanOut: FanOut;
  readonly registry: ConnectionRegistry;
  readonly metrics: Registry;
  readonly gatewayId: string;
  /** What a plain GET of `/` answers: the dashboard's page. */
  readonly page: DashboardPage;
  readonly recordSimpleUsage: SimpleUsageRecorder;
}

/** The most channels one socket may subscribe to. */
const MAX_CHANNELS = 256;

/** A gateway replica's name in connection ids and Redis: unique per process. */
export function newGatewayId(): string {
  return `gw-${randomBytes(6).toString('hex')}`;
}

/**
 * `GET /ws`, and `GET /` for seed 004's clients: one WebSocket protocol. The token comes with the
 * upgrade (bearer header or `?token=`) or in a first `auth` message. A plain GET of `/` is answered
 * with the dashboard's page. Returns a function that stops the server's heartbeats.
 */
export function registerRealtimeRoutes(app: HttpServer, deps: RealtimeDeps, options: RealtimeOptions): () => void {
  const { nc, names, logger, authenticator, feed, fanOut, registry, gatewayId, recordSimpleUsage } = deps;
  const startedAt = Date.now();
  let opened = 0;
  const slowConsumers = new Counter({
    name: 'ccsync_gateway_ws_slow_consumers_total',
    help: 'Sockets closed because the client read too slowly (close 4008)',
    registers: [deps.metrics],
  });
  const replays = new Counter({
    name: 'ccsync_gateway_ws_replays_total',
    help: 'Subscriptions with `since`, by whether the missed messages were replayed',
    labelNames: ['recovered'],
    registers: [deps.metrics],
  });
  new Gauge({
    name: 'ccsync_gateway_ws_connections',
    help: 'Authenticated sockets on this replica',
    registers: [deps.metrics],
    collect() {
      this.set(fanOut.size);
    },
  });

  const heartbeat = (connection: Connection) => {
    const { account, device } = connection.principal;
    if (device === undefined) return;
    // An agent's open socket keeps its device online, as its HTTP heartbeats do.
    const beat: DeviceHeartbeat = { account, device, at: new Date().toISOString() };
    nc.publish(names.presenceSubject(account), JSON.stringify(beat));
  };

  const recordUsage = async (
    principal: Principal,
    { type: _type, deviceId, ...usage }: Extract<ClientMessage, { type: 'update_usage' }>,
  ): Promise<ServerMessage> => {
    const outcome = await recordSimpleUsage({ principal, deviceId, usage });
    if (!outcome.ok) return { type: 'error', code: outcome.code, message: outcome.message };
    const { seq, duplicate } = outcome.reply;
    return { type: 'usage_recorded', idempotencyKey: usage.idempotencyKey, seq, duplicate };
  };

  /**
   * Subscribes, replaying first what the client missed when it says where it was. Live changes
   * wait meanwhile, then both go out merged in stream order, each once.
   */
  const subscribe = async (connection: Connection, channels: readonly Channel[], since?: Position) => {
    const refused = channels.find((channel) => !maySubscribe(connection.principal, channel));
    if (refused !== undefined) {
      connection.send({
        type: 'error',
        code: 'CCSYNC_FORBIDDEN',
        message: `This token may not subscribe to "${refused}"`,
      });
      return;
    }
    if (new Set([...connection.channels, ...channels]).size > MAX_CHANNELS) {
      connection.send({ type: 'error', code: 'CCSYNC_BAD_MESSAGE', message: `At most ${MAX_CHANNELS} channels` });
      return;
    }
    const position = feed.position;
    if (since === undefined) {
      for (const channel of channels) connection.startAt(channel, position);
      connection.send({
        type: 'subscribed',
        channels: [...connection.channels],
        position: { seq: position, epoch: feed.epoch },
      });
      return;
    }
    const resumed = channels.filter(isHistoryBacked);
    connection.hold();
    for (const channel of channels) connection.startAt(channel, isHistoryBacked(channel) ? since.seq : position);
    const outcome =
      since.epoch !== feed.epoch
        ? ({ ok: false, reason: 'epoch_changed' } as const)
        : await feed.replay(connection.account, since.seq, options.maxRecovery).catch((error: unknown) => {
            logger.warn({ err: error }, 'replaying missed changes failed');
            return { ok: false, reason: 'unavailable' } as const;
          });
    replays.inc({ recovered: String(outcome.ok) });
    const changes: readonly Change[] = outcome.ok ? outcome.changes : [];
    // Not recovered: the client reloads over REST, and is sent what changes from now on.
    if (!outcome.ok) for (const channel of resumed) connection.startAt(channel, position);
    const replayed = changes.flatMap((change) => {
      const delivery = deliveryOf(change);
      if (delivery === undefined) return [];
      return delivery.channels
        .filter((channel) => resumed.includes(channel))
        .map((channel) => ({
          channel,
          seq: change.seq,
          text: positionedText(delivery.message, channel, change.seq, feed.epoch),
        }));
    });
    connection.send({
      type: 'subscribed',
      channels: [...connection.channels],
      position: { seq: Math.max(position, changes.at(-1)?.seq ?? 0), epoch: feed.epoch },
      recovered: outcome.ok,
      replayed: new Set(replayed.map(({ seq }) => seq)).size,
      ...(outcome.ok ? {} : { reason: outcome.reason }),
    });
    connection.release(replayed);
  };

  const handle = async (connection: Connection, message: ClientMessage) => {
    const { principal } = connection;
    switch (message.type) {
      case 'auth':
        connection.send({ type: 'error', code: 'CCSYNC_BAD_MESSAGE', message: 'Already authenticated' });
        return;
      case 'subscribe':
        return subscribe(connection, message.channels, message.since);
      case 'join_session':
        return subscribe(connection, [`session:${message.sessionId}`]);
      case 'join_project':
        return subscribe(connection, [`project:${message.projectId}`]);
      case 'unsubscribe':
        for (const channel of message.channels) connection.stop(channel);
        connection.send({ type: 'unsubscribed', channels: message.channels });
        return;
      case 'accept_commands':
        if (principal.scope !== 'admin' && principal.scope !== 'device') {
          connection.send({ type: 'error', code: 'CCSYNC_FORBIDDEN', message: 'Only agents and admins run commands' });
          return;
        }
        connection.acceptsCommands = true;
        connection.send({ type: 'commands_accepted' });
        return;
      case 'ping':
        connection.send({ type: 'pong' });
        return;
      case 'update_usage':
        connection.send(await recordUsage(principal, message));
        return;
      case 'sync_result': {
        let device: DeviceId;
        try {
          device = deviceForPush(principal, message.device);
        } catch (error) {
          const { code, message: detail } = error as { code: string; message: string };
          connection.send({ type: 'error', code, message: detail });
          return;
        }
        const answered: SyncAnswered = {
          account: principal.account,
          status: {
            state: message.ok ? 'done' : 'failed',
            requestId: message.requestId,
            device,
            records: message.records,
            ...(message.error === undefined ? {} : { error: message.error }),
            at: new Date().toISOString(),
          },
        };
        nc.publish(names.syncAnsweredSubject(principal.account), JSON.stringify(answered));
        return;
      }
      default: {
        if (message.type === 'system_status' && message.payload === undefined) {
          const across = await registry.counts().catch(() => undefined);
          connection.send({
            type: 'system_status',
            payload: {
              status: 'ok',
              details: {
                gateway: gatewayId,
                uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
                socketsOnThisReplica: fanOut.size,
                ...(across === undefined ? {} : { replicas: across.replicas, sockets: across.connections }),
              },
            },
          });
          return;
        }
        const refused = relayFromClient(connection, message.type, message.payload, { nc, names });
        if (refused !== undefined) connection.send({ type: 'error', ...refused });
      }
    }
  };

  /** Refuses sockets opened by pages of other origins; clients that are not browsers send no Origin. */
  const checkOrigin = async (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (origin === undefined || options.origins.includes(origin)) return;
    const own = URL.parse(origin)?.host;
    if (own !== undefined && own === request.headers.host) return;
    throw new Errors.Forbidden(`open a socket from ${origin}`);
  };

  const open = (socket: ServerSocket, request: FastifyRequest) => {
    let connection: Connection | undefined;
    /** Messages are handled one at a time, in the order sent. */
    let queue: Promise<void> = Promise.resolve();
    const enqueue = (work: () => Promise<void>) => {
      queue = queue.then(work).catch((error: unknown) => logger.warn({ err: error }, 'a socket message failed'));
    };
    const refuse = (code: number, reason: string) => {
      socket.send(JSON.stringify({ type: 'error', code: 'CCSYNC_UNAUTHORIZED', message: reason }));
      socket.close(code, reason);
    };
    const accept = (principal: Principal) => {
      if (principal.scope === 'metrics') {
        refuse(1008, 'The metrics token may not open sockets');
        return;
      }
      connection = new Connection(`${gatewayId}/${++opened}`, principal, socket, options);
      connection.onSlowConsumer(() => slowConsumers.inc());
      fanOut.add(connection);
      heartbeat(connection);
      connection.send({
        type: 'authenticated',
        account: principal.account,
        scope: principal.scope,
        ...(principal.device === undefined ? {} : { device: principal.device }),
        connection: connection.id,
      });
    };
    const authTimer =
      request.principal === undefined
        ? setTimeout(() => refuse(CloseCodes.Unauthorized, 'No auth message in time'), options.authTimeoutMs)
        : undefined;
    if (request.principal !== undefined) accept(request.principal);

    socket.on('pong', () => {
      if (connection !== undefined) connection.alive = true;
    });
    socket.on('close', () => {
      clearTimeout(authTimer);
      if (connection !== undefined) fanOut.remove(connection);
    });
    socket.on('message', (raw, isBinary) => {
      let parsed: ReturnType<typeof ClientMessage.safeParse>;
      try {
        parsed = ClientMessage.safeParse(isBinary ? undefined : JSON.parse(raw.toString('utf8')));
      } catch {
        parsed = ClientMessage.safeParse(undefined);
      }
      if (connection === undefined) {
        if (!parsed.success || parsed.data.type !== 'auth') {
          refuse(CloseCodes.Unauthorized, 'Authenticate first: send {"type":"auth","token":"..."}');
          return;
        }
        const { token } = parsed.data;
        enqueue(async () => {
          const principal = await authenticator.authenticate(token).catch(() => undefined);
          if (connection !== undefined) return;
          if (principal === undefined) refuse(CloseCodes.Unauthorized, 'Invalid token');
          else {
            clearTimeout(authTimer);
            accept(principal);
          }
        });
        return;
      }
      const current = connection;
      current.alive = true;
      if (!parsed.success) {
        const detail = raw.length === 0 || isBinary ? 'Messages must be JSON' : z.prettifyError(parsed.error);
        current.send({ type: 'error', code: 'CCSYNC_BAD_MESSAGE', message: detail });
        return;
      }
      const message = parsed.data;
      if (message.type !== 'ping' && !current.allow()) {
        current.send({ type: 'error', code: 'CCSYNC_RATE_LIMITED', message: 'Too many messages; slow down' });
        return;
      }
      enqueue(() => handle(current, message));
    });
  };

  const route = {
    config: { allowQueryToken: true, authInSocket: true },
    onRequest: checkOrigin,
  } as const;
  const querystring = z.object({ token: z.string().optional() });
  const handler = (socket: unknown, request: FastifyRequest) => open(socket as ServerSocket, request);
  app.get('/ws', { ...route, websocket: true, schema: { querystring } }, handler);
  // Seed 004's clients connect to the server's root: the same socket, listed once in the API docs.
  // A plain GET there, with no token, is a browser opening the dashboard.
  app.route({
    method: 'GET',
    url: '/',
    ...route,
    config: { ...route.config, ...deps.page.config },
    schema: { hide: true, querystring },
    handler: deps.page.handler,
    wsHandler: handler,
  });

  // Heartbeats: a socket that did not answer the last ping is gone; an agent's open one is online.
  const pinger = setInterval(() => {
    for (const connection of fanOut.all()) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
      heartbeat(connection);
    }
  }, options.pingIntervalMs);
  return () => clearInterval(pinger);
}
