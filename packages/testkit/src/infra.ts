import { spawnNatsServer, spawnRedisServer } from './local-servers.ts';

/** Where the real NATS and Redis for a test run are, and how each was obtained. */
export interface Infra {
  readonly natsUrl: string;
  readonly redisUrl: string;
  readonly sources: { readonly nats: InfraSource; readonly redis: InfraSource };
  stop(): Promise<void>;
}

export type InfraSource = 'environment' | 'testcontainers' | 'process';

interface Started {
  readonly url: string;
  readonly source: InfraSource;
  stop(): Promise<void>;
}

async function dockerAnswers(): Promise<boolean> {
  if (process.env.CCSYNC_TEST_NO_DOCKER === '1') return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 5000).unref());
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return true;
  } catch {
    return false;
  }
}

async function startNats(docker: boolean): Promise<Started> {
  if (docker) {
    const { NatsContainer } = await import('@testcontainers/nats');
    const container = await new NatsContainer('nats:2.9-alpine').withJetStream().start();
    const { user, pass } = container.getConnectionOptions();
    const credentials = user === undefined ? '' : `${user}:${pass ?? ''}@`;
    return {
      url: `nats://${credentials}${container.getHost()}:${container.getMappedPort(4222)}`,
      source: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  }
  const server = await spawnNatsServer();
  return { url: server.url, source: 'process', stop: server.dispose };
}

async function startRedis(docker: boolean): Promise<Started> {
  if (docker) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer('redis:7-alpine').start();
    return {
      url: container.getConnectionUrl(),
      source: 'testcontainers',
      stop: async () => void (await container.stop()),
    };
  }
  const server = await spawnRedisServer();
  return { url: server.url, source: 'process', stop: server.dispose };
}

const fromEnvironment = (url: string): Started => ({ url, source: 'environment', stop: async () => {} });

/**
 * Real NATS JetStream and Redis for a test run. Each comes from NATS_URL / REDIS_URL when set;
 * otherwise from a container when a Docker engine answers; otherwise from a private
 * `nats-server -js` / `redis-server` process on a free port with temporary data.
 */
export async function startInfra(env: NodeJS.ProcessEnv = process.env): Promise<Infra> {
  const docker = env.NATS_URL && env.REDIS_URL ? false : await dockerAnswers();
  const [nats, redis] = await Promise.allSettled([
    env.NATS_URL ? fromEnvironment(env.NATS_URL) : startNats(docker),
    env.REDIS_URL ? fromEnvironment(env.REDIS_URL) : startRedis(docker),
  ]);
  if (nats.status === 'rejected' || redis.status === 'rejected') {
    await Promise.all([nats, redis].map((result) => (result.status === 'fulfilled' ? result.value.stop() : undefined)));
    throw nats.status === 'rejected' ? nats.reason : (redis as PromiseRejectedResult).reason;
  }
  return {
    natsUrl: nats.value.url,
    redisUrl: redis.value.url,
    sources: { nats: nats.value.source, redis: redis.value.source },
    stop: async () => {
      await Promise.all([nats.value.stop(), redis.value.stop()]);
    },
  };
}
