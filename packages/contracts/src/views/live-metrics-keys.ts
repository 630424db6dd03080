import type { MetricKey } from '../http/live-metrics.ts';
import type { AccountId } from '../ids.ts';
import type { Names } from '../names.ts';

/** The Redis keys of the seed's live metrics, under `<ns>:live:` like the other live data. */
export interface LiveMetricKeys {
  /** One metric: JSON `{ value, updatedAt, expiresAt }` (string, expires with the metric). */
  metric(account: AccountId, key: MetricKey): string;
  /** The account's metric keys by expiry in epoch milliseconds (sorted set), so they can be listed. */
  index(account: AccountId): string;
}

export function liveMetricKeys(names: Names): LiveMetricKeys {
  const prefix = `${names.redisPrefix}live:`;
  return {
    metric: (account, key) => `${prefix}metrics:${account}:${key}`,
    index: (account) => `${prefix}metrics-index:${account}`,
  };
}
