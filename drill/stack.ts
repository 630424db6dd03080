import {
  AccountUsageReply,
  CreateAccountReply,
  IssuedToken,
  type Names,
  Namespace,
  namesFor,
  RegisterDeviceReply,
} from '@ccsync/contracts';
import { generateAdminToken, ProjectionRegistry, Redis } from '@ccsync/service-kit';
import {
  type LocalServer,
  type ServiceName,
  type ServiceProcess,
  spawnNatsServer,
  spawnRedisServer,
  startServiceProcess,
} from '@ccsync/testkit';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { DrillContext } from './drill.ts';

/**
 * A whole ccsync stack of the drill's own: private `nats-server -js` and `redis-server` on free
 * loopback ports with temporary data, and each service as its own process, as `npm start` runs
 * them. The drill kills and restarts any part of it; `close` (deferred on the context) stops
 * whatever still runs.
 */
export interface DrillStack {
  readonly nats: LocalServer;
  readonly redis: LocalServer;
  readonly names: Names;
  readonly adminToken: string;
  readonly ingest: ServiceProcess;
  /** The current projector: replaced by `restartProjector`. */
  readonly projector: ServiceProcess;
  readonly gateways: readonly ServiceProcess[];
  /** A Redis client of the drill's, for FLUSHALL and the projection registry. */
  readonly redisClient: Redis;
  /** SIGKILLs the projector and starts another; resolves once the new one is ready. */
  restartProjector(): Promise<void>;
  /** Registers a device (as `ccsync login` with an admin token does) and returns its device token. */
  registerDevice(device: string): Promise<string>;
  /** Issues an account-wide viewer token, as a dashboard or CLI reader holds. */
  issueViewerToken(): Promise<string>;
  /** Creates another account and returns its first admin token. */
  createAccount(id: string): Promise<string>;
  /** The last sequence stored in the event history. */
  lastSeq(): Promise<number>;
  /** Every event up to this sequence is applied to the active views and acknowledged. */
  appliedThrough(): Promise<number>;
  /** The highest sequence the active views have applied (another may still be unacknowledged). */
  checkpoint(): Promise<number>;
  /** True when the active views hold and acknowledge the whole history, with nothing in flight. */
  caughtUp(): Promise<boolean>;
  /** The account's totals over every device, from a gateway that is never killed. */
  totals(): Promise<AccountUsageReply>;
  /** GET from that gateway with the admin token. */
  read(path: string): Promise<unknown>;
}

export interface DrillStackOptions {
  readonly gateways?: number;
  /** Extra environment for every service. */
  readonly env?: Record<string, string>;
}

/** Drills load only this machine: every address they are handed must be loopback. */
export function assertLoopback(url: string): string {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== '[::1]' && host !== 'localhost') {
    throw new Error(`drills target 127.0.0.1 only; refusing ${url}`);
  }
  return url;
}

export async function startDrillStack(context: DrillContext, options: DrillStackOptions = {}): Promise<DrillStack> {
  const started = new Set<ServiceProcess>();
  let closed = false;
  const [nats, redis] = await Promise.all([spawnNatsServer(), spawnRedisServer()]);
  context.defer(() => Promise.all([nats.dispose(), redis.dispose()]));
  const names = namesFor(Namespace.parse('drill'));
  const adminToken = generateAdminToken();
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    NATS_URL: assertLoopback(nats.url),
    REDIS_URL: assertLoopback(redis.url),
    CCSYNC_NAMESPACE: names.namespace,
    CCSYNC_ADMIN_TOKEN: adminToken,
    // Backfills of whole histories, and hundreds of sockets reading at once, from one token.
    INGEST_RATE_LIMIT_PER_MINUTE: '0',
    GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
    ...options.env,
  };
  const start = async (name: ServiceName) => {
    context.signal.throwIfAborted();
    if (closed) throw new Error(`the stack is closed; not starting ${name}`);
    const service = await startServiceProcess(name, env);
    started.add(service);
    context.diagnose(() => {
      const tail = service.output().trimEnd().split('\n').slice(-20).join('\n');
      return `--- ${name} at ${service.url}, last lines ---\n${tail}\n`;
    });
    assertLoopback(service.url);
    return service;
  };
  context.defer(async () => {
    closed = true;
    await Promise.all([...started].map((service) => service.stop('SIGKILL')));
  });

  const [ingest, projector, ...gateways] = await Promise.all([
    start('ingest'),
    start('projector'),
    ...Array.from({ length: options.gateways ?? 1 }, () => start('gateway')),
  ]);
  if (ingest === undefined || projector === undefined) throw new Error('the stack did not start');
  const reader = gateways.at(-1);
  if (reader === undefined) throw new Error('a stack needs a gateway');

  // The drill's own connections keep retrying while NATS is down, and give up on a request
  // within a second, so a poll never hangs on a server that is being restarted.
  const nc: NatsConnection = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  const jsm: JetStreamManager = await jetstreamManager(nc, { timeout: 1000 });
  const redisClient = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  context.defer(async () => {
    redisClient.disconnect();
    await nc.close();
  });
  const registry = new ProjectionRegistry(redisClient, names);

  const admin = { authorization: `Bearer ${adminToken}` };
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${ingest.url}${path}`, {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  };
  const read = async (path: string) => {
    const response = await fetch(`${reader.url}${path}`, { headers: admin });
    if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    return response.json();
  };
  const lastSeq = async () => (await jsm.streams.info(names.eventStream)).state.last_seq;

  const stack = {
    nats,
    redis,
    names,
    adminToken,
    ingest,
    projector,
    gateways,
    redisClient,
    async restartProjector() {
      await stack.projector.stop('SIGKILL');
      stack.projector = await start('projector');
    },
    registerDevice: async (device: string) =>
      RegisterDeviceReply.parse(await post('/v1/devices', { device })).token.token,
    issueViewerToken: async () => IssuedToken.parse(await post('/v1/tokens', { scope: 'viewer' })).token,
    createAccount: async (id: string) => CreateAccountReply.parse(await post('/v1/accounts', { id })).adminToken.token,
    lastSeq,
    appliedThrough: () => registry.activeAppliedThrough(jsm),
    checkpoint: () => registry.activeCheckpoint(),
    async caughtUp() {
      const version = await registry.activeVersion();
      if (version === undefined) return false;
      const [last, consumer] = await Promise.all([
        lastSeq(),
        jsm.consumers.info(names.eventStream, names.projectorConsumer(version)),
      ]);
      return consumer.ack_floor.stream_seq >= last && consumer.num_pending === 0 && consumer.num_ack_pending === 0;
    },
    totals: async () => AccountUsageReply.parse(await read('/api/usage')),
    read,
  };
  return stack;
}
