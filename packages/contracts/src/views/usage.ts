import { z } from 'zod';
import { AccountId, DeviceId, StreamSeq } from '../ids.ts';

const count = z.number().int().nonnegative();

/**
 * Totals as ccusage names them in its reports. `entries` counts messages once each, after
 * de-duplication; `totalCost` is in USD.
 */
export const TokenTotals = z.object({
  entries: count,
  inputTokens: count,
  outputTokens: count,
  cacheCreationTokens: count,
  cacheReadTokens: count,
  totalTokens: count,
  totalCost: z.number().nonnegative(),
});
export type TokenTotals = z.infer<typeof TokenTotals>;

/**
 * A change of totals. It can be negative: when a later, larger copy of a message arrives from
 * another device, the message moves to that device.
 */
export const UsageDelta = z.object({
  entries: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheCreationTokens: z.number().int(),
  cacheReadTokens: z.number().int(),
  totalTokens: z.number().int(),
  totalCost: z.number(),
});
export type UsageDelta = z.infer<typeof UsageDelta>;

/** Zero of every total, to add to. */
export function zeroTotals(): TokenTotals {
  return {
    entries: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    totalTokens: 0,
    totalCost: 0,
  };
}

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
    // HINCRBYFLOAT sums in long double; removing a cost added earlier leaves at most ~1e-15.
    totalCost: Math.max(Number(hash.costUSD ?? 0), 0),
    lastSeq: hash.lastSeq === undefined ? null : Number(hash.lastSeq),
    updatedAt: hash.updatedAt ?? null,
  });
}

/**
 * The totals a device shows, from the first of its views that has any: transcripts (and the
 * simple form), then telemetry events, then telemetry counters. A device that sends several is
 * counted once, from the most exact.
 */
export function shownDeviceHash(
  ...views: readonly Readonly<Record<string, string>>[]
): Readonly<Record<string, string>> {
  return views.find((hash) => Object.keys(hash).length > 0) ?? {};
}

/** Adds totals, e.g. an account's devices. */
export function sumTotals(all: readonly TokenTotals[]): TokenTotals {
  const sum = zeroTotals();
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
  /** What this event changed in the device's totals. */
  delta: UsageDelta,
  usage: DeviceUsage,
});
export type UsageChanged = z.infer<typeof UsageChanged>;

/** Published on core NATS when a device starts or stops sending heartbeats. */
export const PresenceChanged = z.object({
  account: AccountId,
  device: DeviceId,
  online: z.boolean(),
  at: z.iso.datetime(),
});
export type PresenceChanged = z.infer<typeof PresenceChanged>;
