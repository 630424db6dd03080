import {
  type AccountId,
  BURN_WINDOW_MINUTES,
  type DeviceId,
  type DomainEvent,
  deviceUsageFromHash,
  type LiveKeys,
  type StreamSeq,
  type SummaryKind,
  shownDeviceHash,
  sumTotals,
  type UsageChanged,
  type UsageDelta,
  type UsageEntry,
  type ViewKeys,
  zeroTotals,
} from '@ccsync/contracts';
import { hmgetAll, type Redis, readDeviceViews, slices } from '@ccsync/service-kit';
import {
  type CountedCopy,
  dedupeKeys,
  entryTokens,
  type LastBlock,
  messageCost,
  type PricingTable,
  reportedModelName,
} from '@ccsync/usage';
import type { ChainableCommander, Result } from 'ioredis';
import { bucketOf, settleFirsts } from './bucket-firsts.ts';
import { settleLastBlock } from './last-block.ts';
import { CONFLICT, execGuarded, retryOnConflict } from './optimistic.ts';
import { type CopyMove, type KnownMessages, type Settlement, settleCopies } from './settle-copies.ts';

/** A counted copy's member in `counted` and `counted-by-time`: unique per device and entry. */
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

/** How a message key is stored: where its counted copy is, or the key that holds it. */
type StoredPointer = { readonly at: string } | { readonly ref: string };

/**
 * Loads what the views know of the messages `entries` touch: their keys, the replay candidates
 * of their sessions, and the keys those point to, with each counted copy read from `counted`.
 * A pointer always names a key that holds a copy, so two levels reach every copy.
 */
async function loadKnown(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  entries: readonly UsageEntry[],
): Promise<KnownMessages> {
  const known: KnownMessages = { messages: new Map(), replays: new Map() };
  const wanted = new Set<string>();
  const replayKeys = new Set<string>();
  for (const entry of entries) {
    const entryKeys = dedupeKeys(entry);
    if (entryKeys === undefined) continue;
    wanted.add(entryKeys.copy);
    replayKeys.add(entryKeys.replay);
  }
  if (replayKeys.size > 0) {
    const list = [...replayKeys];
    const values = await hmgetAll(redis, keys.replays(account), list);
    list.forEach((key, index) => {
      const first = values[index];
      if (first !== null && first !== undefined) {
        known.replays.set(key, first);
        wanted.add(first);
      }
    });
  }
  for (let level = 0; level < 2 && wanted.size > 0; level++) {
    const list = [...wanted].filter((key) => !known.messages.has(key));
    wanted.clear();
    if (list.length === 0) break;
    const values = await hmgetAll(redis, keys.messages(account), list);
    const at = new Map<string, string>();
    list.forEach((key, index) => {
      const value = values[index];
      if (value === null || value === undefined) return;
      const pointer = JSON.parse(value) as StoredPointer;
      if ('ref' in pointer) {
        known.messages.set(key, pointer);
        wanted.add(pointer.ref);
      } else at.set(key, pointer.at);
    });
    if (at.size === 0) continue;
    const copies = await hmgetAll(redis, keys.counted(account), [...at.values()]);
    [...at.keys()].forEach((key, index) => {
      const copy = copies[index];
      if (copy !== null && copy !== undefined) known.messages.set(key, JSON.parse(copy) as CountedCopy);
    });
  }
  return known;
}

/** One event of a batch, with its stream sequence. */
export interface Sequenced<E> {
  readonly seq: StreamSeq;
  readonly event: E;
}

const TOKEN_FIELDS = ['inputTokens', 'outputTokens', 'cacheCreationTokens', 'cacheReadTokens'] as const;

/** Adds a move's tokens and cost, signed, to a hash's increments. */
function addMove(increments: Map<string, number>, move: CopyMove, field: (name: string) => string = (name) => name) {
  const tokens = entryTokens(move.copy.entry.usage);
  const add = (name: string, amount: number) => {
    const key = field(name);
    increments.set(key, (increments.get(key) ?? 0) + move.sign * amount);
  };
  add('entries', 1);
  for (const name of TOKEN_FIELDS) add(name, tokens[name]);
  add('costUSD', move.costUSD);
  if (move.missingPricing) add('unpriced', 1);
}

/** Cost is the one float: a hash field `costUSD`, or a bucket field whose JSON ends with it. */
const isCost = (field: string) => field === 'costUSD' || field.endsWith(',"costUSD"]');

/** Writes summed increments to a hash; cost is a float, everything else an integer. */
function incrementHash(transaction: ChainableCommander, key: string, increments: Map<string, number>) {
  for (const [field, amount] of increments) {
    if (amount === 0) continue;
    if (isCost(field)) transaction.hincrbyfloat(key, field, amount);
    else transaction.hincrby(key, field, amount);
  }
}

/**
 * What the moves of one event change in the time buckets and the session and model summaries,
 * summed first so that an event costs one increment per field, not one per entry.
 */
function aggregateMoves(moves: readonly CopyMove[]) {
  const buckets = new Map<number, Map<string, number>>();
  const summaries = { session: new Map<string, Map<string, number>>(), model: new Map<string, Map<string, number>>() };
  const lastSeen = { session: new Map<string, number>(), model: new Map<string, number>() };
  for (const move of moves) {
    const { device, entry } = move.copy;
    const time = Date.parse(entry.timestamp);
    const start = bucketOf(move.copy);
    const bucket = buckets.get(start) ?? new Map<string, number>();
    buckets.set(start, bucket);
    const model = reportedModelName(entry);
    const group = [device, model ?? '', entry.projectPath ?? ''];
    addMove(bucket, move, (field) => JSON.stringify([...group, field]));
    for (const [kind, id] of [
      ['session', entry.sessionId],
      ['model', model],
    ] as const) {
      if (id === undefined) continue;
      const summary = summaries[kind].get(id) ?? new Map<string, number>();
      summaries[kind].set(id, summary);
      addMove(summary, move);
      if (move.sign === 1) lastSeen[kind].set(id, Math.max(lastSeen[kind].get(id) ?? 0, time));
    }
  }
  return { buckets, summaries, lastSeen };
}

/** What applying a run changed that others may want to hear of. */
export interface UsageApplied {
  readonly notices: UsageChanged[];
  /** The account's last block, when the run changed it. */
  readonly lastBlock: LastBlock | undefined;
  readonly seq: StreamSeq;
}

/** How long a minute's burn counters are kept: past the window, so a read never misses one. */
const BURN_TTL_SECONDS = (BURN_WINDOW_MINUTES + 5) * 60;

/**
 * Adds the tokens and cost of recent messages to their minute's live counters, in the apply's own
 * transaction so that a redelivered event never adds twice. Older messages (a device catching up)
 * are history, not the current rate.
 */
function addToBurn(transaction: ChainableCommander, live: LiveKeys, account: AccountId, moves: readonly CopyMove[]) {
  const since = Date.now() - BURN_WINDOW_MINUTES * 60_000;
  const minutes = new Map<number, { tokens: number; costUSD: number }>();
  for (const { copy, sign, costUSD } of moves) {
    const time = Date.parse(copy.entry.timestamp);
    if (time < since) continue;
    const minute = Math.floor(time / 60_000);
    const sums = minutes.get(minute) ?? { tokens: 0, costUSD: 0 };
    sums.tokens += sign * entryTokens(copy.entry.usage).totalTokens;
    sums.costUSD += sign * costUSD;
    minutes.set(minute, sums);
  }
  for (const [minute, { tokens, costUSD }] of minutes) {
    const key = live.burnMinute(account, minute);
    transaction.hincrby(key, 'tokens', tokens).hincrbyfloat(key, 'costUSD', costUSD).expire(key, BURN_TTL_SECONDS);
  }
}

/**
 * Applies a run of UsageRecorded events of one account to the views, exactly once and with
 * ccusage's de-duplication across every device of the account. Everything the run changes
 * (messages, counted copies, device totals, buckets, summaries, applied entry ids, checkpoint)
 * is written in one MULTI, guarded by WATCH on the account's message keys and the devices'
 * applied ids: if another replica wrote them meanwhile, the run is settled again on fresh data.
 * A redelivered event finds its entries applied and changes nothing.
 */
export async function projectUsageRecorded(
  redis: Redis,
  keys: ViewKeys,
  account: AccountId,
  run: readonly Sequenced<DomainEvent<'UsageRecorded'>>[],
  pricing: PricingTable,
  live?: LiveKeys,
): Promise<UsageApplied> {
  const devices = run.map(({ event }) => {
    if (event.device === undefined) throw new Error(`UsageRecorded ${event.id} has no device`);
    return event.device;
  });
  const appliedKeys = [...new Set(devices)].map((device) => keys.appliedEntries(account, device));
  // Telemetry (source `otlp`) is kept in views of its own, and a run never mixes sources (see
  // `runKey`); which view a device shows is decided when reading.
  const telemetry = run[0]?.event.data.source === 'otlp';
  const totalsKey = telemetry ? keys.telemetryUsage : keys.deviceUsage;
  const lastSeq = run.reduce((highest, { seq }) => Math.max(highest, seq), 0) as StreamSeq;

  return retryOnConflict(`UsageRecorded run ending at ${lastSeq}`, async () => {
    await redis.watch(
      keys.messages(account),
      keys.replays(account),
      keys.bucketFirsts(account),
      keys.lastBlock(account),
      ...appliedKeys,
    );
    const lookups = redis.pipeline();
    for (const [index, { event }] of run.entries()) {
      lookups.smismember(
        keys.appliedEntries(account, devices[index] as DeviceId),
        event.data.entries.map((e) => e.id),
      );
    }
    const flags = ((await lookups.exec()) ?? []).map(([error, result]) => {
      if (error) throw error;
      return result as number[];
    });
    // An entry is new if no earlier event applied it, in Redis or earlier in this run.
    const seen = new Set<string>();
    const fresh = run.map(({ event }, index) =>
      event.data.entries.filter((entry, position) => {
        const id = `${devices[index]}:${entry.id}`;
        if (flags[index]?.[position] !== 0 || seen.has(id)) return false;
        seen.add(id);
        return true;
      }),
    );
    const known = await loadKnown(redis, keys, account, fresh.flat());
    const settlements: Settlement[] = fresh.map((entries, index) =>
      settleCopies(known, devices[index] as DeviceId, entries, pricing),
    );
    const aggregates = settlements.map((settlement) => aggregateMoves(settlement.moves));
    const moves = settlements.flatMap((settlement) => settlement.moves);
    const counted = new Map<string, CountedCopy | null>();
    for (const { copy, sign } of moves) counted.set(countedMember(copy), sign === 1 ? copy : null);
    const firsts = await settleFirsts(redis, keys, account, moves, counted);
    const last = await settleLastBlock(
      redis,
      keys,
      account,
      moves,
      counted,
      (copy) => messageCost(copy.entry, pricing).costUSD,
    );

    const transaction = redis.multi();
    const messageWrites = new Map(settlements.flatMap((settlement) => [...settlement.messageWrites]));
    if (messageWrites.size > 0) {
      const pointers = [...messageWrites].map(([key, stored]) => {
        const pointer: StoredPointer = 'ref' in stored ? stored : { at: countedMember(stored) };
        return [key, JSON.stringify(pointer)];
      });
      transaction.hset(keys.messages(account), Object.fromEntries(pointers));
    }
    const replayWrites = new Map(settlements.flatMap((settlement) => [...settlement.replayWrites]));
    if (replayWrites.size > 0) transaction.hset(keys.replays(account), Object.fromEntries(replayWrites));
    fresh.forEach((entries, index) => {
      if (entries.length > 0)
        transaction.sadd(
          keys.appliedEntries(account, devices[index] as DeviceId),
          entries.map((entry) => entry.id),
        );
    });

    if (firsts.set.size > 0) transaction.hset(keys.bucketFirsts(account), Object.fromEntries(firsts.set));
    if (firsts.remove.length > 0) transaction.hdel(keys.bucketFirsts(account), ...firsts.remove);
    const gone = [...counted].filter(([, copy]) => copy === null).map(([member]) => member);
    const kept = [...counted].filter((pair): pair is [string, CountedCopy] => pair[1] !== null);
    for (const slice of slices(gone)) {
      transaction.zrem(keys.countedByTime(account), ...slice).hdel(keys.counted(account), ...slice);
    }
    for (const slice of slices(kept)) {
      transaction.zadd(
        keys.countedByTime(account),
        ...slice.flatMap(([member, copy]) => [Date.parse(copy.entry.timestamp), member]),
      );
      transaction.hset(
        keys.counted(account),
        Object.fromEntries(slice.map(([member, copy]) => [member, JSON.stringify(copy)])),
      );
    }

    // Sums are written event by event, never across events: costs are floats, and the views must
    // come out the same however a replay happens to batch the history.
    const changed = new Map<DeviceId, { delta: UsageDelta; seq: StreamSeq }>();
    settlements.forEach((settlement, index) => {
      const { seq, event } = run[index] as Sequenced<DomainEvent<'UsageRecorded'>>;
      const { buckets, summaries, lastSeen } = aggregates[index] as ReturnType<typeof aggregateMoves>;
      for (const [start, increments] of buckets) incrementHash(transaction, keys.bucket(account, start), increments);
      if (buckets.size > 0)
        transaction.zadd(keys.bucketIndex(account), ...[...buckets.keys()].flatMap((start) => [start, start]));
      for (const kind of ['session', 'model'] as const satisfies SummaryKind[]) {
        for (const [id, increments] of summaries[kind])
          incrementHash(transaction, keys.summary(kind, account, id), increments);
        if (lastSeen[kind].size > 0) {
          transaction.zadd(
            keys.summaryIndex(kind, account),
            'GT',
            ...[...lastSeen[kind]].flatMap(([id, time]) => [time, id]),
          );
        }
      }
      for (const [device, delta] of settlement.deltas) {
        const usage = totalsKey(account, device);
        transaction.hincrby(usage, 'entries', delta.entries);
        for (const field of TOKEN_FIELDS) transaction.hincrby(usage, field, delta[field]);
        transaction.hincrbyfloat(usage, 'costUSD', delta.totalCost);
        transaction.ccsyncAdvanceDevice(usage, seq, event.recordedAt);
        transaction.sadd(keys.accountDevices(account), device);
        changed.set(device, { delta: sumTotals([changed.get(device)?.delta ?? zeroTotals(), delta]), seq });
      }
    });
    if (last.changed) {
      if (last.block === undefined) transaction.del(keys.lastBlock(account));
      else transaction.set(keys.lastBlock(account), JSON.stringify(last.block));
    }
    if (live !== undefined) addToBurn(transaction, live, account, moves);
    transaction.ccsyncAdvanceCheckpoint(keys.checkpoint, lastSeq);
    if ((await execGuarded(transaction)) === CONFLICT) return CONFLICT;

    const notices: UsageChanged[] = [];
    for (const [device, { delta, seq }] of changed) {
      const views = await readDeviceViews(redis, keys, account, device);
      // Telemetry of a device that also sends transcripts changes nothing anyone sees.
      if (telemetry && Object.keys(views[0] ?? {}).length > 0) continue;
      const usage = deviceUsageFromHash(account, device, shownDeviceHash(...views));
      notices.push({ seq, account, device, delta, usage });
    }
    return { notices, lastBlock: last.changed ? last.block : undefined, seq: lastSeq };
  });
}

/**
 * Events that may share one transaction: UsageRecorded of one account and one kind of source
 * (telemetry totals go to views of their own). Anything else is applied on its own.
 */
export function runKey(event: DomainEvent): string | undefined {
  if (event.type !== 'UsageRecorded') return undefined;
  return `${event.account}\n${event.data.source === 'otlp' ? 'otlp' : 'transcript'}`;
}
