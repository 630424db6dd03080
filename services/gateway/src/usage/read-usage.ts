import {
  type AccountId,
  type AccountUsageReply,
  type DeviceId,
  DeviceId as DeviceIdSchema,
  type DeviceUsage,
  deviceUsageFromHash,
  sumTotals,
  type ViewKeys,
} from '@ccsync/contracts';
import type { Redis } from '@ccsync/service-kit';

/** One device's totals, or undefined when the account has no usage from it. */
export async function readDeviceUsage(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  device: DeviceId,
): Promise<DeviceUsage | undefined> {
  const hash = await redis.hgetall(keys.deviceUsage(account, device));
  return Object.keys(hash).length === 0 ? undefined : deviceUsageFromHash(account, device, hash);
}

/** Every device of an account with its totals, sorted by device id, and their sum. */
export async function readAccountUsage(redis: Redis, keys: ViewKeys, account: AccountId): Promise<AccountUsageReply> {
  const members = (await redis.smembers(keys.accountDevices(account))).sort();
  const pipeline = redis.pipeline();
  for (const device of members) pipeline.hgetall(keys.deviceUsage(account, DeviceIdSchema.parse(device)));
  const results = (await pipeline.exec()) ?? [];
  const devices = members.map((device, index) => {
    const [error, hash] = results[index] ?? [new Error('missing pipeline reply'), {}];
    if (error) throw error;
    return deviceUsageFromHash(account, DeviceIdSchema.parse(device), hash as Record<string, string>);
  });
  return { devices, totals: sumTotals(devices) };
}
