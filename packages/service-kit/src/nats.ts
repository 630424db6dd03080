import type { Names } from '@ccsync/contracts';
import {
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from './logger.ts';

export type { NatsConnection } from '@nats-io/transport-node';

/**
 * The one way a service connects to NATS: it keeps reconnecting for ever, and waits for a server
 * that is not up yet, because in compose and Kubernetes start order is not guaranteed.
 */
export async function connectNats(url: string, name: string, logger: Logger): Promise<NatsConnection> {
  const nc = await connect({
    servers: url.split(',').map((server) => server.trim()),
    name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    waitOnFirstConnect: true,
  });
  logger.info({ server: nc.getServer() }, 'connected to NATS');
  void (async () => {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect' || status.type === 'error') logger.warn({ status }, 'NATS connection problem');
      else if (status.type === 'reconnect') logger.info({ server: status.server }, 'reconnected to NATS');
    }
  })();
  return nc;
}

/** True when a round trip to the server succeeds within the timeout. */
export async function natsIsUp(nc: NatsConnection, timeoutMs = 1000): Promise<boolean> {
  if (nc.isClosed()) return false;
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([
    nc.rtt().then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
}

const nanos = (seconds: number) => seconds * 1_000_000_000;

export interface EventStreamOptions {
  /** 1 for a single server, 3 for a JetStream cluster. */
  readonly replicas: number;
  /** 0 keeps history for ever, which is the default: the stream is the source of truth. */
  readonly maxAgeSeconds: number;
  /** How long JetStream remembers a `msgID` to drop a retried publish. */
  readonly duplicateWindowSeconds: number;
}

/**
 * Creates the event stream, or brings its adjustable settings in line. Safe to call from every
 * replica at every start: JetStream accepts an identical `add`, and `update` is a no-op when
 * nothing changed.
 */
export async function ensureEventStream(
  jsm: JetStreamManager,
  names: Names,
  options: EventStreamOptions,
): Promise<void> {
  await ensureStream(jsm, {
    name: names.eventStream,
    subjects: [names.eventSubjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeSeconds),
    duplicate_window: nanos(options.duplicateWindowSeconds),
    num_replicas: options.replicas,
    // The history must not be edited; a rebuild depends on every event staying where it is.
    deny_delete: true,
    deny_purge: true,
    allow_direct: true,
  });
}

export interface ChangeStreamOptions {
  readonly replicas: number;
  /** How long a reconnecting client can be sent what it missed; older gaps reload over REST. */
  readonly maxAgeSeconds: number;
  readonly maxBytes: number;
}

/**
 * Creates the stream of change notices, which gateways fan out and replay to clients that
 * resume. It is a bounded window, not history: the views, and the events, are the truth.
 */
export async function ensureChangeStream(
  jsm: JetStreamManager,
  names: Names,
  options: ChangeStreamOptions,
): Promise<void> {
  await ensureStream(jsm, {
    name: names.changeStream,
    subjects: [names.changeSubjects],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeSeconds),
    max_bytes: options.maxBytes,
    // A notice republished after a projector restart is dropped by its msgID.
    duplicate_window: nanos(120),
    num_replicas: options.replicas,
  });
}

/** The settings `ensureStream` brings in line on an existing stream. */
const ADJUSTABLE = ['max_age', 'max_bytes', 'duplicate_window', 'num_replicas'] as const;

async function ensureStream(jsm: JetStreamManager, config: Partial<StreamConfig> & { name: string }): Promise<void> {
  try {
    const current = (await jsm.streams.info(config.name)).config;
    const changed = ADJUSTABLE.filter((key) => config[key] !== undefined && current[key] !== config[key]);
    if (changed.length > 0) {
      await jsm.streams.update(config.name, Object.fromEntries(changed.map((key) => [key, config[key]])));
    }
  } catch (error) {
    if (!(error instanceof JetStreamApiError) || error.code !== JetStreamApiCodes.StreamNotFound) throw error;
    await jsm.streams.add(config);
  }
}
