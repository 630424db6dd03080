import type { Redis } from '@ccsync/service-kit';

/** Variadic Redis commands get their arguments on the call stack: long lists go in slices of this many. */
const SLICE = 1000;

export function slices<T>(items: readonly T[], size = SLICE): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += size) result.push(items.slice(start, start + size));
  return result;
}

/** HMGET of any number of fields, in one round trip. */
export async function hmgetAll(redis: Redis, key: string, fields: readonly string[]): Promise<(string | null)[]> {
  if (fields.length <= SLICE) return redis.hmget(key, ...fields);
  const pipeline = redis.pipeline();
  for (const slice of slices(fields)) pipeline.hmget(key, ...slice);
  return ((await pipeline.exec()) ?? []).flatMap(([error, values]) => {
    if (error) throw error;
    return values as (string | null)[];
  });
}
