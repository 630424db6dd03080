import {
  type Names,
  parseRelayPayload,
  RelayEnvelope,
  type RelayEventType,
  relayRoom,
  type ServerMessage,
  SyncAnswered,
  SyncRequested,
  type SyncStatus,
} from '@ccsync/contracts';
import type { Logger, NatsConnection } from '@ccsync/service-kit';
import { z } from 'zod';
import type { Connection } from './connection.ts';
import type { FanOut } from './fan-out.ts';

export interface RelayDeps {
  readonly nc: NatsConnection;
  readonly names: Names;
  readonly logger: Logger;
}

/** Sends a sync request or an agent's answer to the account's `sync` subscribers on this replica. */
function sendSyncStatus(fanOut: FanOut, account: Connection['account'], status: SyncStatus): void {
  for (const connection of fanOut.connectionsOf(account)) {
    if (connection.channels.has('sync')) connection.send({ type: 'sync_status', channel: 'sync', payload: status });
  }
}

/** Sends a relayed event to the connections of its account it is meant for, never back to its sender. */
function sendRelayed(fanOut: FanOut, account: Connection['account'], envelope: RelayEnvelope): void {
  const payload = parseRelayPayload(envelope.type, envelope.payload);
  if (!payload.success) return;
  const room = relayRoom(envelope.type, payload.data as Record<string, unknown>);
  let text: string | undefined;
  for (const connection of fanOut.connectionsOf(account)) {
    if (connection.id === envelope.from?.connection) continue;
    if (room !== undefined && !connection.channels.has(room)) continue;
    if (envelope.type === 'terminal_command' && !connection.acceptsCommands) continue;
    // Serialized once, for however many sockets it goes to.
    text ??= JSON.stringify({
      type: envelope.type,
      ...(room === undefined ? {} : { channel: room }),
      payload: payload.data,
      ...(envelope.from === undefined ? {} : { from: envelope.from }),
    } satisfies ServerMessage);
    connection.sendText(text);
  }
}

/**
 * Listens on NATS for what reaches sockets without being stored: relayed events, sync requests
 * and agents' answers. Every replica listens, so sender and receiver may sit on different ones.
 * Returns a function that stops listening.
 */
export function startRelay(fanOut: FanOut, { nc, names, logger }: RelayDeps): () => void {
  const listen = <T>(subject: string, schema: z.ZodType<T>, deliver: (message: T, subject: string) => void) =>
    nc.subscribe(subject, {
      callback: (error, message) => {
        if (error) {
          logger.warn({ err: error, subject }, 'relay subscription failed');
          return;
        }
        let parsed: ReturnType<typeof schema.safeParse>;
        try {
          parsed = schema.safeParse(message.json());
        } catch {
          parsed = schema.safeParse(undefined);
        }
        if (parsed.success) deliver(parsed.data, message.subject);
        else logger.warn({ subject: message.subject }, 'ignoring a malformed relayed message');
      },
    });
  /** `<namespace>.relay.<account>`: the account is the subject's last token. */
  const accountOf = (subject: string) => subject.split('.')[2] as Connection['account'];
  const subscriptions = [
    listen(names.allRelaySubjects, RelayEnvelope, (envelope, subject) =>
      sendRelayed(fanOut, accountOf(subject), envelope),
    ),
    listen(names.allSyncRequestSubjects, SyncRequested, ({ account, ...request }) =>
      sendSyncStatus(fanOut, account, { ...request, state: 'requested' }),
    ),
    listen(names.allSyncAnsweredSubjects, SyncAnswered, ({ account, status }) =>
      sendSyncStatus(fanOut, account, status),
    ),
  ];
  return () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
  };
}

/**
 * Publishes a client's event for every replica, stamped with who sent it. Returns the reason it
 * was refused, if it was: commands need an admin token, since they ask a machine to run something.
 */
export function relayFromClient(
  connection: Connection,
  type: RelayEventType,
  payload: unknown,
  { nc, names }: Pick<RelayDeps, 'nc' | 'names'>,
): { code: string; message: string } | undefined {
  const { principal } = connection;
  if (principal.scope === 'metrics' || (type === 'terminal_command' && principal.scope !== 'admin')) {
    return { code: 'CCSYNC_FORBIDDEN', message: `This token may not send ${type}` };
  }
  const parsed = parseRelayPayload(type, payload);
  if (!parsed.success) return { code: 'CCSYNC_BAD_MESSAGE', message: `${type}: ${z.prettifyError(parsed.error)}` };
  const envelope: RelayEnvelope = {
    type,
    payload: parsed.data,
    from: {
      connection: connection.id,
      ...(principal.device === undefined ? {} : { device: principal.device }),
    },
    sentAt: new Date().toISOString(),
  };
  nc.publish(names.relaySubject(principal.account), JSON.stringify(envelope));
  return undefined;
}
