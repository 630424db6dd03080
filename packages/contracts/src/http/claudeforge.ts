import { z } from 'zod';
import { DeviceUsage } from '../views/usage.ts';
import { TimeZone } from './common.ts';

/**
 * The read API of Claudeforge (seed 002), served from ccsync's views so that its `forge tokens`
 * style clients work against an account's every device. A machine is a device; its hostname is
 * the device id.
 */
const Tokens = {
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheCreationTokens: z.number().int(),
  cacheReadTokens: z.number().int(),
  totalTokens: z.number().int(),
  totalCost: z.number(),
};

export const ForgeDailyQuery = z.object({
  days: z.coerce.number().int().min(1).max(366).default(30),
  /** Days are taken in this IANA timezone; UTC when omitted. */
  tz: TimeZone.default('UTC'),
});

/** One day: the account's totals and each machine's share; days without usage are listed as zero. */
export const ForgeDay = z.object({
  date: z.string(),
  ...Tokens,
  machines: z.array(z.object({ hostname: z.string(), totalTokens: z.number().int(), totalCost: z.number() })),
});

export const ForgeDailyReply = z.object({ days: z.array(ForgeDay), totals: z.object(Tokens) });
export type ForgeDailyReply = z.infer<typeof ForgeDailyReply>;

export const ForgeTotalsReply = z.object({
  ...Tokens,
  entries: z.number().int(),
  machines: z.number().int(),
  /** The latest change to any machine's totals. */
  updatedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type ForgeTotalsReply = z.infer<typeof ForgeTotalsReply>;

export const ForgeMachinesReply = z.object({
  machines: z.array(
    DeviceUsage.extend({
      hostname: z.string(),
      online: z.boolean(),
      lastHeartbeatAt: z.iso.datetime().nullable(),
    }),
  ),
});
export type ForgeMachinesReply = z.infer<typeof ForgeMachinesReply>;

export const ForgeModelsReply = z.object({
  models: z.array(z.object({ model: z.string(), entries: z.number().int(), ...Tokens, lastSeenAt: z.iso.datetime() })),
});
export type ForgeModelsReply = z.infer<typeof ForgeModelsReply>;
