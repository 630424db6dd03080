import {
  type DeviceId,
  type DomainEvent,
  deviceUsageFromHash,
  type StreamSeq,
  shownDeviceHash,
  type UsageChanged,
  type ViewKeys,
} from '@ccsync/contracts';
import { type Redis, readDeviceViews } from '@ccsync/service-kit';
import { dedupeKeys, type PricingTable } from '@ccsync/usage';
import type { Result } from 'ioredis';
import { CONFLICT, retryOnConflict } from './optimistic.ts';
import { type CountedCopy, type KnownMessages, type StoredMessage, settleCopies } from './settle-copies.ts';

/** A counted copy's member in the by-time views: unique per device and entry. */
const countedMember = ({ device, entry }: CountedCopy) => `${device}:${entry.id}`;

/*
 * Small scripts for the two values that must only move forward, whatever order replicas apply
 * events in: the checkpoint, and a device's last sequence.
 */
const ADVANCE_CHECKPOINT = `
if tonumber(ARGV[1]) > tonumber(redis.call('GET', KEYS[1]) or '0') then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;
const ADVANCE_DEVICE = `
if tonumber(ARGV[1]) > tonumber(redis.call('HGET', KEYS[1], 'lastSeq') or '0') then
  redis.call('HSET', KEYS[1], 'lastSeq', ARGV[1], 'updatedAt', ARGV[2])
end
return 1`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ccsyncAdvanceCheckpoint(key: string, seq: number): Result<number, Context>;
    ccsyncAdvanceDevice(key: string, seq: number, updatedAt: string): Result<number, Context>;
  }
  interface ChainableCommander {
    ccsyncAdvanceCheckpoint(key: string, seq: number): ChainableCommander;
    ccsyncAdvanceDevice(key: string, seq: number, updatedAt: string): ChainableCommander;
  }
}

export function defineProjectionCommands(redis: Redis): void {
  redis.defineCommand('ccsyncAdvanceCheckpoint', { numberOfKeys: 1, lua: ADVANCE_CHECKPOINT });
  redis.defineCommand('ccsyncAdvanceDevice', { numberOfKeys: 1, lua: ADVANCE_DEVICE });
}

const parseStored = (json: string | null): StoredMessage | undefined =>
  json === null ? undefined : (JSON.parse(json) as StoredMessage);

/** Loads the stored messages and replays the entries' keys touch, following pointers one level. */
async function loadKnown(
  redis: Redis,
  keys: ViewKeys,
  event: DomainEvent<'UsageRecorded'>,
  entries: typeof event.data.entries,
) {
  const known: KnownMessages = { messages: new Map(), replays: new Map() };
  const copyKeys = new Set<string>();
  const replayKeys = new Set<string>();
  for (const entry of entries) {
    const entryKeys = dedupeKeys(entry);
    if (entryKeys === undefined) continue;
    copyKeys.add(entryKeys.copy);
    replayKeys.add(entryKeys.replay);
  }
  const fetchMessages = async (wanted: Iterable<string>) => {
    const list = [...wanted].filter((key) => !known.messages.has(key));
    if (list.length === 0) return;
    const values = await redis.hmget(keys.messages(event.account), ...list);
    list.forEach((key, index) => {
      const stored = parseStored(values[index] ?? null);
      if (stored !== undefined) known.messages.set(key, stored);
    });
  };
  await fetchMessages(copyKeys);
  if (replayKeys.size > 0) {
    const list = [...replayKeys];
    const values = await redis.hmget(keys.replays(event.account), ...list);
    list.forEach((key, index) => {
      const first = values[index];
      if (first !== null && first !== undefined) known.replays.set(key, first);
    });
  }
  // Pointers and replay candidates name keys of their own; one more read resolves them.
  const more = new Set<string>(known.replays.values());
  for (const stored of known.messages.values()) if ('ref' in stored) more.add(stored.ref);
  await fetchMessages(more);
  const refs = new Set<string>();
  for (const stored of known.messages.values()) if ('ref' in stored) refs.add(stored.ref);
  await fetchMessages(refs);
  return known;
}

/**
 * Applies one UsageRecorded event to the views, exactly once and with ccusage's de-duplication
 * across every device of the account. Everything the event changes (counted copies, replays,
 * applied entry ids, device totals, checkpoint) is written in one MULTI, guarded by WATCH on the
 * account's message keys and the device's applied ids: if another replica wrote them meanwhile,
 * the event is settled again on fresh data. A redelivered event finds its entries applied and
 * changes nothing.
 */
export async function projectUsageRecorded(
  redis: Redis,
  keys: ViewKeys,
  seq: StreamSeq,
  event: DomainEvent<'UsageRecorded'>,
  pricing: PricingTable,
): Promise<UsageChanged[]> {
  const { account } = event;
  const device = event.device;
  if (device === undefined) throw new Error(`UsageRecorded ${event.id} has no device`);
  const applied = keys.appliedEntries(account, device);
  // Telemetry is kept in views of its own; which one a device shows is decided when reading.
  const totalsKey = event.data.source === 'otlp' ? keys.telemetryUsage : keys.deviceUsage;

  return retryOnConflict(`UsageRecorded ${event.id}`, async () => {
    await redis.watch(keys.messages(account), keys.replays(account), applied);
    const flags = await redis.smismember(applied, ...event.data.entries.map((entry) => entry.id));
    const fresh = event.data.entries.filter((_, index) => flags[index] === 0);
    const settlement = settleCopies(await loadKnown(redis, keys, event, fresh), device, fresh, pricing);

    const transaction = redis.multi();
    if (settlement.messageWrites.size > 0) {
      transaction.hset(
        keys.messages(account),
        Object.fromEntries([...settlement.messageWrites].map(([key, stored]) => [key, JSON.stringify(stored)])),
      );
    }
    if (settlement.replayWrites.size > 0)
      transaction.hset(keys.replays(account), Object.fromEntries(settlement.replayWrites));
    if (fresh.length > 0) transaction.sadd(applied, ...fresh.map((entry) => entry.id));
    // Counted copies by time, for the reports that need the entries themselves (5-hour blocks).
    for (const copy of settlement.uncounted) {
      transaction
        .zrem(keys.countedByTime(account), countedMember(copy))
        .hdel(keys.counted(account), countedMember(copy));
    }
    for (const copy of settlement.counted) {
      const member = countedMember(copy);
      transaction.zadd(keys.countedByTime(account), Date.parse(copy.entry.timestamp), member);
      transaction.hset(keys.counted(account), member, JSON.stringify(copy));
    }
    for (const [changed, delta] of settlement.deltas) {
      const usage = totalsKey(account, changed);
      transaction.hincrby(usage, 'entries', delta.entries);
      transaction.hincrby(usage, 'inputTokens', delta.inputTokens);
      transaction.hincrby(usage, 'outputTokens', delta.outputTokens);
      transaction.hincrby(usage, 'cacheCreationTokens', delta.cacheCreationTokens);
      transaction.hincrby(usage, 'cacheReadTokens', delta.cacheReadTokens);
      transaction.hincrbyfloat(usage, 'costUSD', delta.totalCost);
      transaction.ccsyncAdvanceDevice(usage, seq, event.recordedAt);
      transaction.sadd(keys.accountDevices(account), changed);
    }
    transaction.ccsyncAdvanceCheckpoint(keys.checkpoint, seq);
    if ((await transaction.exec()) === null) return CONFLICT;

    const notices: UsageChanged[] = [];
    for (const [changed, delta] of settlement.deltas) {
      const views = await readDeviceViews(redis, keys, account, changed);
      // Telemetry of a device that also sends transcripts changes nothing anyone sees.
      if (event.data.source === 'otlp' && Object.keys(views[0] ?? {}).length > 0) continue;
      const usage = deviceUsageFromHash(account, changed as DeviceId, shownDeviceHash(...views));
      notices.push({ seq, account, device: changed, delta, usage });
    }
    return notices;
  });
}
