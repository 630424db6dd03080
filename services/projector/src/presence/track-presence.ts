import {
  type AccountId,
  DeviceHeartbeat,
  DeviceId,
  type LiveKeys,
  type Names,
  type PresenceChanged,
} from '@ccsync/contracts';
import type { Logger, NatsConnection, Redis } from '@ccsync/service-kit';

export interface PresenceDeps {
  readonly nc: NatsConnection;
  readonly redis: Redis;
  readonly names: Names;
  readonly live: LiveKeys;
  readonly logger: Logger;
  /** A device is online until this long after its last heartbeat. */
  readonly ttlSeconds: number;
}

/**
 * Device presence from heartbeats: a heartbeat refreshes a key that expires `ttlSeconds` later,
 * and a sweep notices the keys that expired. Every change is published once, whatever the number
 * of projector replicas: the set of online devices decides it (SADD and SREM answer 1 once).
 * Returns a function that stops tracking.
 */
export function trackPresence({ nc, redis, names, live, logger, ttlSeconds }: PresenceDeps): () => void {
  const announce = (change: PresenceChanged) =>
    nc.publish(names.presenceChangedSubject(change.account), JSON.stringify(change));

  const onHeartbeat = async ({ account, device, at }: DeviceHeartbeat) => {
    // The key first: the sweep removes a device from the set only when its key is gone.
    await redis.set(live.presence(account, device), at, 'EX', ttlSeconds);
    await redis.sadd(live.onlineAccounts, account);
    if ((await redis.sadd(live.online(account), device)) === 1) announce({ account, device, online: true, at });
  };

  const sweep = async () => {
    for (const account of await redis.smembers(live.onlineAccounts)) {
      const devices = await redis.smembers(live.online(account as AccountId));
      if (devices.length === 0) {
        await redis.srem(live.onlineAccounts, account);
        continue;
      }
      for (const device of devices) {
        const parsed = DeviceId.safeParse(device);
        if (!parsed.success) continue;
        if ((await redis.exists(live.presence(account as AccountId, parsed.data))) === 1) continue;
        if ((await redis.srem(live.online(account as AccountId), device)) === 1) {
          announce({ account: account as AccountId, device: parsed.data, online: false, at: new Date().toISOString() });
        }
      }
    }
  };

  // Heartbeats are shared among replicas; each is handled once.
  const subscription = nc.subscribe(names.allPresenceSubjects, {
    queue: 'projector-presence',
    callback: (_error, message) => {
      const heartbeat = DeviceHeartbeat.safeParse(message.json());
      if (!heartbeat.success) return;
      void onHeartbeat(heartbeat.data).catch((error: unknown) =>
        logger.warn({ err: error }, 'recording a heartbeat failed'),
      );
    },
  });
  const interval = Math.min(5000, Math.max(200, (ttlSeconds * 1000) / 3));
  const timer = setInterval(() => {
    void sweep().catch((error: unknown) => logger.warn({ err: error }, 'presence sweep failed'));
  }, interval);
  return () => {
    clearInterval(timer);
    subscription.unsubscribe();
  };
}
