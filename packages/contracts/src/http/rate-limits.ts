import { z } from 'zod';
import { AccountId, DeviceId, EventId, StreamSeq } from '../ids.ts';

/**
 * Claude Code's official rate-limit figures, as its status line JSON carries them in
 * `rate_limits` (`five_hour`, `seven_day`, …: `used_percentage`, `resets_at` in Unix seconds),
 * renamed to this API's style. A device reports them; every device then sees the latest.
 * A window's name starts with a letter: one such as `__proto__` must never become an object key.
 */
export const RateLimitWindowName = z
  .string()
  .regex(/^[a-z][a-z0-9_]{0,39}$/, 'a window name such as five_hour or seven_day');

export const RateLimitWindow = z.object({
  /** The share of the window used, as Claude Code reports it (0 to 100, a little more when over). */
  usedPercentage: z.number().min(0).max(1000),
  /** When the window resets; null when Claude Code did not say. */
  resetsAt: z.iso.datetime().nullable(),
});
export type RateLimitWindow = z.infer<typeof RateLimitWindow>;

/** The windows of one observation, by name: what the RateLimitsObserved event carries too. */
export const RateLimitWindows = z
  .record(RateLimitWindowName, RateLimitWindow)
  .refine((windows) => Object.keys(windows).length >= 1 && Object.keys(windows).length <= 16, {
    message: 'between 1 and 16 windows',
  });
export type RateLimitWindows = z.infer<typeof RateLimitWindows>;

/** `POST /v1/rate-limits` (ingest): one observation of the official figures. */
export const RateLimitsRequest = z.object({
  /** The device that saw them; a device token may only name itself. */
  device: DeviceId.optional(),
  /** When Claude Code handed them over: the newest observation of a window wins, whatever arrives last. */
  observedAt: z.iso.datetime(),
  windows: RateLimitWindows,
});
export type RateLimitsRequest = z.infer<typeof RateLimitsRequest>;

/** The 202 to `POST /v1/rate-limits`: stored at `seq`; `duplicate` when it had been stored before. */
export const RecordRateLimitsReply = z.object({ eventId: EventId, seq: StreamSeq, duplicate: z.boolean() });
export type RecordRateLimitsReply = z.infer<typeof RecordRateLimitsReply>;

/** One window as the account's latest official figure, with who saw it and when. */
export const ObservedRateLimitWindow = RateLimitWindow.extend({
  device: DeviceId,
  observedAt: z.iso.datetime(),
});
export type ObservedRateLimitWindow = z.infer<typeof ObservedRateLimitWindow>;

/** `GET /api/rate-limits` (gateway): the newest observation of each window across the account's devices. */
export const RateLimitsReply = z.object({
  account: AccountId,
  windows: z.record(RateLimitWindowName, ObservedRateLimitWindow),
});
export type RateLimitsReply = z.infer<typeof RateLimitsReply>;

/** The projector's notice that the account's official figures changed (`rate_limits_update` on `blocks`). */
export const RateLimitsChanged = RateLimitsReply.extend({ seq: StreamSeq });
export type RateLimitsChanged = z.infer<typeof RateLimitsChanged>;
