import { type AccountId, type DeviceId, deviceViewKeys, type ViewKeys } from '@ccsync/contracts';
import type { Redis } from './redis.ts';

/** A device's views in the order they are preferred (see `shownDeviceHash`), as stored. */
export function readDeviceViews(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  device: DeviceId,
): Promise<Record<string, string>[]> {
  return Promise.all(deviceViewKeys(keys, account, device).map((key) => redis.hgetall(key)));
}
