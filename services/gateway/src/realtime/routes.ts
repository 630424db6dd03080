import {
  BlockChanged,
  ClientMessage,
  CronRunChanged,
  type Names,
  PresenceChanged,
  type ServerMessage,
  type SimpleUsageCommand,
  SimpleUsageOutcome,
  SyncRequested,
  UsageChanged,
} from '@ccsync/contracts';
import { type HttpServer, type Logger, type NatsConnection, type Principal, principalOf } from '@ccsync/service-kit';
import { z } from 'zod';
import type { FanOut, RealtimeClient } from './fan-out.ts';

export interface RealtimeDeps {
  readonly nc: NatsConnection;
  readonly names: Names;
  readonly logger: Logger;
}

/**
 * Relays the change notices (usage, blocks, presence and cron runs from the projector, sync requests
 * from the API and jobs) to subscribed sockets. Returns a
 * function that stops listening to NATS.
 */
export function startChangeRelay(fanOut: FanOut, { nc, names, logger }: RealtimeDeps): () => void {
  const relay = <T>(subject: string, schema: z.ZodType<T>, deliver: (notice: T) => void) =>
    nc.subscribe(subject, {
      callback: (error, message) => {
        if (error) {
          logger.warn({ err: error, subject }, 'change notice subscription failed');
          return;
        }
        const notice = schema.safeParse(message.json());
        if (notice.success) deliver(notice.data);
        else logger.warn({ subject: message.subject }, 'ignoring malformed change notice');
      },
    });
  const subscriptions = [
    relay(names.allUsageChangedSubjects, UsageChanged, (notice) =>
      fanOut.publish(notice.account, 'usage', { type: 'token_usage_update', seq: notice.seq, payload: notice }),
    ),
    relay(names.allBlocksChangedSubjects, BlockChanged, (notice) =>
      fanOut.publish(notice.account, 'blocks', { type: 'block_update', seq: notice.seq, payload: notice }),
    ),
    relay(names.allCronChangedSubjects, CronRunChanged, (notice) =>
      fanOut.publish(notice.account, 'cron', { type: 'cron_job_executed', seq: notice.seq, payload: notice.run }),
    ),
    relay(names.allSyncRequestSubjects, SyncRequested, ({ account, ...request }) =>
      fanOut.publish(account, 'sync', { type: 'sync_status', payload: { ...request, state: 'requested' } }),
    ),
    relay(names.allPresenceChangedSubjects, PresenceChanged, (notice) =>
      fanOut.publish(notice.account, 'presence', {
        type: notice.online ? 'device_connected' : 'device_disconnected',
        payload: notice,
      }),
    ),
  ];
  return () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
  };
}

/** `GET /ws`: authenticated by the bearer header or `?token=`, then JSON messages both ways. */
export function registerRealtimeRoutes(
  app: HttpServer,
  fanOut: FanOut,
  { nc, names }: Pick<RealtimeDeps, 'nc' | 'names'>,
): void {
  /** Ingest is the only writer of history: `update_usage` is recorded there, over NATS. */
  const recordUsage = async (
    principal: Principal,
    { type: _type, deviceId, ...usage }: Extract<ClientMessage, { type: 'update_usage' }>,
  ): Promise<ServerMessage> => {
    const command: SimpleUsageCommand = { principal, deviceId, usage };
    const response = await nc
      .request(names.ingestUsageRequests, JSON.stringify(command), { timeout: 5000 })
      .catch(() => undefined);
    const outcome = SimpleUsageOutcome.safeParse(response?.json());
    if (!outcome.success) {
      return {
        type: 'error',
        code: 'CCSYNC_STORE_UNAVAILABLE',
        message: 'The event store is unavailable; retry later',
      };
    }
    if (!outcome.data.ok) return { type: 'error', code: outcome.data.code, message: outcome.data.message };
    const { seq, duplicate } = outcome.data.reply;
    return { type: 'usage_recorded', idempotencyKey: usage.idempotencyKey, seq, duplicate };
  };

  app.get(
    '/ws',
    {
      websocket: true,
      config: { allowQueryToken: true },
      schema: { querystring: z.object({ token: z.string().optional() }) },
    },
    (socket, request) => {
      const principal = principalOf(request);
      const client: RealtimeClient = {
        account: principal.account,
        channels: new Set(),
        send: (message: ServerMessage) => socket.send(JSON.stringify(message)),
      };
      fanOut.add(client);
      socket.on('close', () => fanOut.remove(client));
      socket.on('message', (raw: Buffer, isBinary: boolean) => {
        let parsed: ReturnType<typeof ClientMessage.safeParse>;
        try {
          parsed = ClientMessage.safeParse(isBinary ? undefined : JSON.parse(raw.toString('utf8')));
        } catch {
          client.send({ type: 'error', code: 'CCSYNC_BAD_MESSAGE', message: 'Messages must be JSON' });
          return;
        }
        if (!parsed.success) {
          client.send({ type: 'error', code: 'CCSYNC_BAD_MESSAGE', message: z.prettifyError(parsed.error) });
          return;
        }
        const message = parsed.data;
        switch (message.type) {
          case 'subscribe':
            // Subscribing is reading: device tokens may push (update_usage) but not read.
            if (principal.scope !== 'admin' && principal.scope !== 'viewer') {
              client.send({ type: 'error', code: 'CCSYNC_FORBIDDEN', message: 'This token may not read usage' });
              break;
            }
            for (const channel of message.channels) client.channels.add(channel);
            client.send({ type: 'subscribed', channels: [...client.channels] });
            break;
          case 'unsubscribe':
            for (const channel of message.channels) client.channels.delete(channel);
            client.send({ type: 'unsubscribed', channels: message.channels });
            break;
          case 'ping':
            client.send({ type: 'pong' });
            break;
          case 'update_usage':
            void recordUsage(principal, message).then(client.send);
            break;
        }
      });
    },
  );
}
