import {
  type AccountId,
  type AccountUsageReply,
  type DeviceId,
  DeviceId as DeviceIdSchema,
  type DeviceListReply,
  type DeviceUsage,
  deviceUsageFromHash,
  deviceViewKeys,
  type LiveKeys,
  shownDeviceHash,
  sumTotals,
  type ViewKeys,
} from '@ccsync/contracts';
import { type Redis, readDeviceViews } from '@ccsync/service-kit';

/** One device's totals, or undefined when the account has no usage from it. */
export async function readDeviceUsage(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  device: DeviceId,
): Promise<DeviceUsage | undefined> {
  const views = await readDeviceViews(redis, keys, account, device);
  const hash = shownDeviceHash(...views);
  return Object.keys(hash).length === 0 ? undefined : deviceUsageFromHash(account, device, hash);
}

/** Every device of an account with its totals, sorted by device id, and their sum. */
export async function readAccountUsage(redis: Redis, keys: ViewKeys, account: AccountId): Promise<AccountUsageReply> {
  const devices = (await redis.smembers(keys.accountDevices(account)))
    .sort()
    .map((member) => DeviceIdSchema.parse(member));
  const pipeline = redis.pipeline();
  const viewKeysOf = devices.map((device) => deviceViewKeys(keys, account, device));
  for (const key of viewKeysOf.flat()) pipeline.hgetall(key);
  const results = (await pipeline.exec()) ?? [];
  let next = 0;
  const usage = devices.map((device, index) => {
    const views = (viewKeysOf[index] ?? []).map(() => {
      const [error, hash] = results[next++] ?? [new Error('missing pipeline reply'), {}];
      if (error) throw error;
      return hash as Record<string, string>;
    });
    return deviceUsageFromHash(account, device, shownDeviceHash(...views));
  });
  return { devices: usage, totals: sumTotals(usage) };
}

/** The device list with presence: devices with usage, and devices online that have none yet. */
export async function readDeviceList(
  redis: Redis,
  keys: ViewKeys,
  live: LiveKeys,
  account: AccountId,
): Promise<DeviceListReply> {
  const { devices } = await readAccountUsage(redis, keys, account);
  const known = new Set<string>(devices.map((usage) => usage.device));
  const online = (await redis.smembers(live.online(account))).filter((device) => !known.has(device)).sort();
  const all = [...devices, ...online.map((device) => deviceUsageFromHash(account, DeviceIdSchema.parse(device), {}))];
  const heartbeats =
    all.length === 0 ? [] : await redis.mget(...all.map((usage) => live.presence(account, usage.device)));
  return {
    devices: all.map((usage, index) => ({
      ...usage,
      online: heartbeats[index] !== null && heartbeats[index] !== undefined,
      lastHeartbeatAt: heartbeats[index] ?? null,
    })),
  };
}
