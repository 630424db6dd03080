import { z } from 'zod';
import { AccountId, DeviceId, StreamSeq } from '../ids.ts';

const count = z.number().int().nonnegative();

/** Token totals as ccusage names them in its reports. */
export const TokenTotals = z.object({
  entries: count,
  inputTokens: count,
  outputTokens: count,
  cacheCreationTokens: count,
  cacheReadTokens: count,
  totalTokens: count,
});
export type TokenTotals = z.infer<typeof TokenTotals>;

/** One device's totals, as the projector keeps them and the gateway serves them. */
export const DeviceUsage = TokenTotals.extend({
  account: AccountId,
  device: DeviceId,
  /** The stream sequence of the last event that changed these totals. */
  lastSeq: StreamSeq.nullable(),
  updatedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type DeviceUsage = z.infer<typeof DeviceUsage>;

/** Reads a device's totals from the Redis hash the projector writes; a missing hash is zero usage. */
export function deviceUsageFromHash(
  account: AccountId,
  device: DeviceId,
  hash: Readonly<Record<string, string>>,
): DeviceUsage {
  const count = (field: string) => Number(hash[field] ?? 0);
  const totals = {
    entries: count('entries'),
    inputTokens: count('inputTokens'),
    outputTokens: count('outputTokens'),
    cacheCreationTokens: count('cacheCreationTokens'),
    cacheReadTokens: count('cacheReadTokens'),
  };
  return DeviceUsage.parse({
    account,
    device,
    ...totals,
    totalTokens: totals.inputTokens + totals.outputTokens + totals.cacheCreationTokens + totals.cacheReadTokens,
    lastSeq: hash.lastSeq === undefined ? null : Number(hash.lastSeq),
    updatedAt: hash.updatedAt ?? null,
  });
}

/** Adds token totals, e.g. an account's devices. */
export function sumTotals(all: readonly TokenTotals[]): TokenTotals {
  const sum: TokenTotals = {
    entries: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    totalTokens: 0,
  };
  for (const totals of all) {
    for (const field of Object.keys(sum) as (keyof TokenTotals)[]) sum[field] += totals[field];
  }
  return sum;
}

/**
 * Published on core NATS after the projector applied an event, so gateways push updates
 * without polling. It is a notice, not history: a missed one is recovered from the stream.
 */
export const UsageChanged = z.object({
  seq: StreamSeq,
  account: AccountId,
  device: DeviceId,
  /** What this event added to the device's totals (zero for entries already applied). */
  delta: TokenTotals,
  usage: DeviceUsage,
});
export type UsageChanged = z.infer<typeof UsageChanged>;
