import { z } from 'zod';
import { AccountId, DeviceId, StreamSeq } from '../ids.ts';

/** One 5-hour block as `ccusage claude blocks --json` prints it. */
export const CcusageBlock = z.object({
  id: z.string(),
  startTime: z.iso.datetime(),
  endTime: z.iso.datetime(),
  actualEndTime: z.iso.datetime().nullable(),
  isActive: z.boolean(),
  isGap: z.boolean(),
  entries: z.number().int(),
  tokenCounts: z.object({
    inputTokens: z.number().int(),
    outputTokens: z.number().int(),
    cacheCreationInputTokens: z.number().int(),
    cacheReadInputTokens: z.number().int(),
  }),
  totalTokens: z.number().int(),
  costUSD: z.number(),
  models: z.array(z.string()).readonly(),
  burnRate: z
    .object({ costPerHour: z.number(), tokensPerMinute: z.number(), tokensPerMinuteForIndicator: z.number() })
    .nullable(),
  projection: z.object({ remainingMinutes: z.number(), totalCost: z.number(), totalTokens: z.number() }).nullable(),
});
export type CcusageBlock = z.infer<typeof CcusageBlock>;

/** A device's share of a block. */
export const BlockDeviceShare = z.object({
  device: DeviceId,
  entries: z.number().int(),
  totalTokens: z.number().int(),
  costUSD: z.number(),
});
export type BlockDeviceShare = z.infer<typeof BlockDeviceShare>;

/** Tokens and cost per time over the last minutes, from every device of the account. */
export const LiveBurnRate = z.object({
  windowMinutes: z.number().int().positive(),
  tokensPerMinute: z.number(),
  costPerHour: z.number(),
});
export type LiveBurnRate = z.infer<typeof LiveBurnRate>;

/**
 * The account's current 5-hour block over every device: ccusage's block (null when none is
 * active), each device's share, and the burn rate over the last minutes.
 */
export const ActiveBlockReply = z.object({
  account: AccountId,
  block: CcusageBlock.nullable(),
  devices: z.array(BlockDeviceShare),
  burn: LiveBurnRate,
});
export type ActiveBlockReply = z.infer<typeof ActiveBlockReply>;

/** The projector's notice that the account's last block changed, at the event that changed it. */
export const BlockChanged = z.object({
  account: AccountId,
  seq: StreamSeq,
  /** The block as it stood when the notice was sent (it may since have ended). */
  block: CcusageBlock,
  devices: z.array(BlockDeviceShare),
});
export type BlockChanged = z.infer<typeof BlockChanged>;
