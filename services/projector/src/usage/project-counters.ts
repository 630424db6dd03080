import {
  type CounterPoint,
  type DomainEvent,
  deviceUsageFromHash,
  type StreamSeq,
  shownDeviceHash,
  type UsageChanged,
  type ViewKeys,
  zeroTotals,
} from '@ccsync/contracts';
import { type Redis, readDeviceViews } from '@ccsync/service-kit';
import { CONFLICT, execGuarded, retryOnConflict } from './optimistic.ts';

const TOKEN_FIELD = {
  input: 'inputTokens',
  output: 'outputTokens',
  cacheRead: 'cacheReadTokens',
  cacheCreation: 'cacheCreationTokens',
} as const satisfies Record<NonNullable<CounterPoint['tokenType']>, string>;

/** A delta point is applied once: its id is its series and end time. */
const deltaId = (point: CounterPoint) => `${point.series}@${point.timeUnixNano}`;

/**
 * Applies Claude Code's usage counters to the device's counter view. A delta point adds its value
 * once; a cumulative point adds what it grew since the series' last value (all of it after a
 * reset, when it went down), and never counts growth twice, because the series' last value is
 * written in the same guarded transaction as the totals.
 */
export async function projectCountersObserved(
  redis: Redis,
  keys: ViewKeys,
  seq: StreamSeq,
  event: DomainEvent<'UsageCountersObserved'>,
): Promise<UsageChanged[]> {
  const { account, device } = event;
  if (device === undefined) throw new Error(`UsageCountersObserved ${event.id} has no device`);
  const seriesKey = keys.counterSeries(account, device);
  const applied = keys.appliedEntries(account, device);
  const usageKey = keys.counterUsage(account, device);
  const { points } = event.data;

  return retryOnConflict(`UsageCountersObserved ${event.id}`, async () => {
    await redis.watch(seriesKey, applied);
    const cumulative = points.filter((point) => point.cumulative);
    const deltas = points.filter((point) => !point.cumulative);
    const last =
      cumulative.length === 0 ? [] : await redis.hmget(seriesKey, ...cumulative.map((point) => point.series));
    const seen = deltas.length === 0 ? [] : await redis.smismember(applied, ...deltas.map(deltaId));

    const delta = zeroTotals();
    const lastValues = new Map<string, number>();
    const add = (point: CounterPoint, amount: number) => {
      if (amount <= 0) return;
      if (point.kind === 'cost') delta.totalCost += amount;
      else if (point.tokenType !== undefined) {
        delta[TOKEN_FIELD[point.tokenType]] += amount;
        delta.totalTokens += amount;
      }
    };
    cumulative.forEach((point, index) => {
      const previous = lastValues.get(point.series) ?? Number(last[index] ?? 0);
      add(point, point.value >= previous ? point.value - previous : point.value);
      lastValues.set(point.series, point.value);
    });
    deltas.forEach((point, index) => {
      if (seen[index] === 0) add(point, point.value);
    });

    const transaction = redis.multi();
    if (lastValues.size > 0)
      transaction.hset(
        seriesKey,
        Object.fromEntries([...lastValues].map(([series, value]) => [series, String(value)])),
      );
    if (deltas.length > 0) transaction.sadd(applied, ...deltas.map(deltaId));
    const changed = delta.totalTokens > 0 || delta.totalCost > 0;
    if (changed) {
      for (const field of ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'] as const) {
        if (delta[field] > 0) transaction.hincrby(usageKey, field, delta[field]);
      }
      if (delta.totalCost > 0) transaction.hincrbyfloat(usageKey, 'costUSD', delta.totalCost);
      transaction.ccsyncAdvanceDevice(usageKey, seq, event.recordedAt);
      transaction.sadd(keys.accountDevices(account), device);
    }
    transaction.ccsyncAdvanceCheckpoint(keys.checkpoint, seq);
    if ((await execGuarded(transaction)) === CONFLICT) return CONFLICT;
    if (!changed) return [];

    const views = await readDeviceViews(redis, keys, account, device);
    // Counters of a device with transcripts or telemetry events change nothing anyone sees.
    if (Object.keys(views[0] ?? {}).length > 0 || Object.keys(views[1] ?? {}).length > 0) return [];
    return [{ seq, account, device, delta, usage: deviceUsageFromHash(account, device, shownDeviceHash(...views)) }];
  });
}
