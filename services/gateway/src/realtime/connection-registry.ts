import { type LiveKeys, liveKeys, type Names } from '@ccsync/contracts';
import type { Logger, Redis } from '@ccsync/service-kit';
import { z } from 'zod';
import type { FanOut } from './fan-out.ts';

/** Sockets across every gateway replica, as each last reported them. */
export interface ConnectionCounts {
  readonly replicas: number;
  readonly connections: number;
  readonly byAccount: Readonly<Record<string, number>>;
}

export interface ConnectionRegistry {
  counts(): Promise<ConnectionCounts>;
  /** Removes this replica's entry: its sockets are closed. */
  stop(): Promise<void>;
}

const ReplicaEntry = z.object({ connections: z.number(), byAccount: z.record(z.string(), z.number()) });

/**
 * Each replica writes its socket counts to Redis every `intervalMs`, with a TTL of three
 * intervals, so the counts of a replica that dies leave on their own and no replica keeps
 * another's state.
 */
export function startConnectionRegistry(
  { redis, names, logger }: { redis: Redis; names: Names; logger: Logger },
  gatewayId: string,
  fanOut: FanOut,
  intervalMs: number,
): ConnectionRegistry {
  const keys: LiveKeys = liveKeys(names);
  const ttlMs = intervalMs * 3;
  const report = async () => {
    const now = Date.now();
    const entry = JSON.stringify({ connections: fanOut.size, byAccount: fanOut.counts() });
    await redis
      .multi()
      .set(keys.gateway(gatewayId), entry, 'PX', ttlMs)
      .zadd(keys.gateways, now + ttlMs, gatewayId)
      .zremrangebyscore(keys.gateways, '-inf', now)
      .exec();
  };
  const timer = setInterval(() => {
    void report().catch((error: unknown) => logger.warn({ err: error }, 'reporting socket counts failed'));
  }, intervalMs);
  void report().catch(() => undefined);

  return {
    async counts() {
      const ids = await redis.zrangebyscore(keys.gateways, Date.now(), '+inf');
      const entries = ids.length === 0 ? [] : await redis.mget(ids.map((id) => keys.gateway(id)));
      const byAccount: Record<string, number> = {};
      let replicas = 0;
      let connections = 0;
      for (const raw of entries) {
        const entry = raw === null ? undefined : ReplicaEntry.safeParse(JSON.parse(raw));
        if (entry === undefined || !entry.success) continue;
        replicas++;
        connections += entry.data.connections;
        for (const [account, count] of Object.entries(entry.data.byAccount)) {
          byAccount[account] = (byAccount[account] ?? 0) + count;
        }
      }
      return { replicas, connections, byAccount };
    },
    async stop() {
      clearInterval(timer);
      await redis
        .multi()
        .del(keys.gateway(gatewayId))
        .zrem(keys.gateways, gatewayId)
        .exec()
        .catch(() => undefined);
    },
  };
}
