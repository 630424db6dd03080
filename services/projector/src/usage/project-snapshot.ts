import {
  type DomainEvent,
  deviceUsageFromHash,
  type StreamSeq,
  shownDeviceHash,
  type UsageChanged,
  type ViewKeys,
} from '@ccsync/contracts';
import { type Redis, readDeviceViews } from '@ccsync/service-kit';
import { CONFLICT, execGuarded, retryOnConflict } from './optimistic.ts';

/**
 * Replaces the device's snapshot view with the totals of its latest ccusage report. A snapshot is
 * a whole picture, so it overwrites rather than adds; an older one (by stream sequence) arriving
 * late changes nothing.
 */
export async function projectUsageSnapshot(
  redis: Redis,
  keys: ViewKeys,
  seq: StreamSeq,
  event: DomainEvent<'UsageSnapshotRecorded'>,
): Promise<UsageChanged[]> {
  const { account, device } = event;
  if (device === undefined) throw new Error(`UsageSnapshotRecorded ${event.id} has no device`);
  const key = keys.snapshotUsage(account, device);
  const { totals } = event.data.report;
  return retryOnConflict(`UsageSnapshotRecorded ${event.id}`, async () => {
    await redis.watch(key);
    const previous = await redis.hgetall(key);
    const newer = Number(previous.lastSeq ?? 0) < seq;
    const transaction = redis.multi();
    if (newer) {
      transaction.del(key);
      transaction.hset(key, {
        entries: 0,
        inputTokens: totals.inputTokens,
        outputTokens: totals.outputTokens,
        cacheCreationTokens: totals.cacheCreationTokens,
        cacheReadTokens: totals.cacheReadTokens,
        costUSD: totals.totalCost,
        lastSeq: seq,
        updatedAt: event.recordedAt,
      });
      transaction.sadd(keys.accountDevices(account), device);
    }
    transaction.ccsyncAdvanceCheckpoint(keys.checkpoint, seq);
    if ((await execGuarded(transaction)) === CONFLICT) return CONFLICT;
    if (!newer) return [];
    const views = await readDeviceViews(redis, keys, account, device);
    // A snapshot of a device that sends anything more exact changes nothing anyone sees.
    if (views.slice(0, -1).some((hash) => Object.keys(hash).length > 0)) return [];
    const before = deviceUsageFromHash(account, device, previous);
    const usage = deviceUsageFromHash(account, device, shownDeviceHash(...views));
    const delta = {
      entries: 0,
      inputTokens: usage.inputTokens - before.inputTokens,
      outputTokens: usage.outputTokens - before.outputTokens,
      cacheCreationTokens: usage.cacheCreationTokens - before.cacheCreationTokens,
      cacheReadTokens: usage.cacheReadTokens - before.cacheReadTokens,
      totalTokens: usage.totalTokens - before.totalTokens,
      totalCost: usage.totalCost - before.totalCost,
    };
    return [{ seq, account, device, delta, usage }];
  });
}
