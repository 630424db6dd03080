import {
  type AccountId,
  type AccountUsageReply,
  type DeviceId,
  DeviceId as DeviceIdSchema,
  type DeviceUsage,
  deviceUsageFromHash,
  shownDeviceHash,
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
  const [transcripts, telemetry] = await Promise.all([
    redis.hgetall(keys.deviceUsage(account, device)),
    redis.hgetall(keys.telemetryUsage(account, device)),
  ]);
  const hash = shownDeviceHash(transcripts, telemetry);
  return Object.keys(hash).length === 0 ? undefined : deviceUsageFromHash(account, device, hash);
}

/** Every device of an account with its totals, sorted by device id, and their sum. */
export async function readAccountUsage(redis: Redis, keys: ViewKeys, account: AccountId): Promise<AccountUsageReply> {
  const members = (await redis.smembers(keys.accountDevices(account))).sort();
  const pipeline = redis.pipeline();
  for (const member of members) {
    const device = DeviceIdSchema.parse(member);
    pipeline.hgetall(keys.deviceUsage(account, device)).hgetall(keys.telemetryUsage(account, device));
  }
  const results = (await pipeline.exec()) ?? [];
  const hashAt = (index: number) => {
    const [error, hash] = results[index] ?? [new Error('missing pipeline reply'), {}];
    if (error) throw error;
    return hash as Record<string, string>;
  };
  const devices = members.map((device, index) =>
    deviceUsageFromHash(
      account,
      DeviceIdSchema.parse(device),
      shownDeviceHash(hashAt(2 * index), hashAt(2 * index + 1)),
    ),
  );
  return { devices, totals: sumTotals(devices) };
}
