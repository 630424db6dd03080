import { randomBytes } from 'node:crypto';
import { type Names, Namespace, namesFor } from '@ccsync/contracts';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import { afterAll, inject } from 'vitest';

export interface TestNamespace {
  readonly namespace: Namespace;
  readonly names: Names;
  readonly natsUrl: string;
  readonly redisUrl: string;
  /** A bootstrap admin token for the services under test. */
  readonly adminToken: string;
  /** The environment a service under test is started with, plus any overrides. */
  env(overrides?: Record<string, string>): Record<string, string>;
}

/** Removes everything a namespace left in NATS and Redis. */
export async function dropNamespace(names: Names, natsUrl: string, redisUrl: string): Promise<void> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await jetstreamManager(nc);
    // The event and change streams, and the KV buckets (streams named KV_<bucket>) of the namespace.
    const streams = [names.eventStream, names.changeStream];
    for await (const name of jsm.streams.names()) {
      if (name.startsWith(`KV_${names.namespace}_`)) streams.push(name);
    }
    for (const stream of streams) {
      await jsm.streams.delete(stream).catch((error: unknown) => {
        if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound)) throw error;
      });
    }
  } finally {
    await nc.close();
  }
  const redis = new Redis(redisUrl);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${names.redisPrefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/**
 * A namespace of its own for the calling test file, so files run in parallel against the same
 * servers without seeing each other. Its stream and keys are removed after the file.
 */
export function useTestNamespace(): TestNamespace {
  const namespace = Namespace.parse(`t${randomBytes(6).toString('hex')}`);
  const names = namesFor(namespace);
  const natsUrl = inject('natsUrl');
  const redisUrl = inject('redisUrl');
  const adminToken = `ccsync_admin_test_${randomBytes(24).toString('base64url')}`;
  afterAll(() => dropNamespace(names, natsUrl, redisUrl));
  return {
    namespace,
    names,
    natsUrl,
    redisUrl,
    adminToken,
    env: (overrides = {}) => ({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      NATS_URL: natsUrl,
      REDIS_URL: redisUrl,
      CCSYNC_NAMESPACE: namespace,
      CCSYNC_ADMIN_TOKEN: adminToken,
      ...overrides,
    }),
  };
}
