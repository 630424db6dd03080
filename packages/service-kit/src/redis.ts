import { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

export { Redis } from 'ioredis';

/** The one way a service connects to Redis. Commands fail fast while it is down, rather than queueing. */
export function connectRedis(url: string, name: string, logger: Logger): Redis {
  const redis = new Redis(url, { connectionName: name, maxRetriesPerRequest: 1 });
  let down = false;
  redis.on('error', (error) => {
    if (!down) logger.warn({ err: error }, 'Redis connection problem');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('reconnected to Redis');
    down = false;
  });
  return redis;
}

export async function redisIsUp(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  return Promise.race([
    redis.ping().then(
      () => true,
      () => false,
    ),
    timeout,
  ]);
}

/** Waits until Redis answers, so a service does not start serving before its store is there. */
export async function waitForRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => redis.once('ready', () => resolve()));
}

/** Variadic Redis commands get their arguments on the call stack: long lists go in slices of this many. */
const SLICE = 1000;

export function slices<T>(items: readonly T[], size = SLICE): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** HMGET of any number of fields (none included), in one round trip. */
export async function hmgetAll(redis: Redis, key: string, fields: readonly string[]): Promise<(string | null)[]> {
  if (fields.length === 0) return [];
  if (fields.length <= SLICE) return redis.hmget(key, ...fields);
  const pipeline = redis.pipeline();
  for (const slice of slices(fields)) pipeline.hmget(key, ...slice);
  return ((await pipeline.exec()) ?? []).flatMap(([error, values]) => {
    if (error) throw error;
    return values as (string | null)[];
  });
}
