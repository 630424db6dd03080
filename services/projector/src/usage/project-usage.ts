import {
  type DeviceUsage,
  type DomainEvent,
  deviceUsageFromHash,
  type StreamSeq,
  type TokenTotals,
  type ViewKeys,
} from '@ccsync/contracts';
import type { Redis } from '@ccsync/service-kit';
import { entryTokens } from '@ccsync/usage';
import type { Result } from 'ioredis';

/*
 * One Lua script applies a whole event, so the entry ids, the totals and the checkpoint change
 * together or not at all: a crash between them cannot count an entry twice or lose it, and a
 * redelivered event finds its entries already applied and changes nothing.
 *
 * KEYS: applied-entries set, device hash, account devices set, checkpoint
 * ARGV: seq, updatedAt, device, then per entry: id, input, output, cacheCreation, cacheRead
 * Returns: the delta (entries, input, output, cacheCreation, cacheRead) and the device hash.
 */
const APPLY_USAGE = `
local seq = tonumber(ARGV[1])
local n, input, output, creation, read = 0, 0, 0, 0, 0
for i = 4, #ARGV, 5 do
  if redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    n = n + 1
    input = input + tonumber(ARGV[i + 1])
    output = output + tonumber(ARGV[i + 2])
    creation = creation + tonumber(ARGV[i + 3])
    read = read + tonumber(ARGV[i + 4])
  end
end
if n > 0 then
  redis.call('HINCRBY', KEYS[2], 'entries', n)
  redis.call('HINCRBY', KEYS[2], 'inputTokens', input)
  redis.call('HINCRBY', KEYS[2], 'outputTokens', output)
  redis.call('HINCRBY', KEYS[2], 'cacheCreationTokens', creation)
  redis.call('HINCRBY', KEYS[2], 'cacheReadTokens', read)
  local last = tonumber(redis.call('HGET', KEYS[2], 'lastSeq') or '0')
  if seq > last then redis.call('HSET', KEYS[2], 'lastSeq', seq, 'updatedAt', ARGV[2]) end
  redis.call('SADD', KEYS[3], ARGV[3])
end
local checkpoint = tonumber(redis.call('GET', KEYS[4]) or '0')
if seq > checkpoint then redis.call('SET', KEYS[4], seq) end
return {n, input, output, creation, read, redis.call('HGETALL', KEYS[2])}
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    ccsyncApplyUsage(...args: (string | number)[]): Result<[number, number, number, number, number, string[]], Context>;
  }
}

export function defineProjectionCommands(redis: Redis): void {
  redis.defineCommand('ccsyncApplyUsage', { numberOfKeys: 4, lua: APPLY_USAGE });
}

export interface UsageProjected {
  /** What this event added; all zero when every entry had been applied before. */
  readonly delta: TokenTotals;
  readonly usage: DeviceUsage;
}

/** Applies one UsageRecorded event to the per-device totals, idempotently. */
export async function projectUsageRecorded(
  redis: Redis,
  keys: ViewKeys,
  seq: StreamSeq,
  event: DomainEvent<'UsageRecorded'>,
): Promise<UsageProjected> {
  const { account } = event;
  const device = event.device;
  if (device === undefined) throw new Error(`UsageRecorded ${event.id} has no device`);
  const args: (string | number)[] = [seq, event.recordedAt, device];
  for (const entry of event.data.entries) {
    const tokens = entryTokens(entry.usage);
    args.push(entry.id, tokens.inputTokens, tokens.outputTokens, tokens.cacheCreationTokens, tokens.cacheReadTokens);
  }
  const [entries, input, output, creation, read, flat] = await redis.ccsyncApplyUsage(
    keys.appliedEntries(account, device),
    keys.deviceUsage(account, device),
    keys.accountDevices(account),
    keys.checkpoint,
    ...args,
  );
  const hash: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
  return {
    delta: {
      entries,
      inputTokens: input,
      outputTokens: output,
      cacheCreationTokens: creation,
      cacheReadTokens: read,
      totalTokens: input + output + creation + read,
    },
    usage: deviceUsageFromHash(account, device, hash),
  };
}
