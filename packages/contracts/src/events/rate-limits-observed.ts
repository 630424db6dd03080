import { z } from 'zod';
import { RateLimitWindows } from '../http/rate-limits.ts';

/**
 * RateLimitsObserved v1: Claude Code's official rate-limit figures as one device saw them (the
 * envelope names the account and the device). The figures are the account's, whichever device
 * saw them: the newest observation of each window is the one shown.
 */
export const RateLimitsObservedV1 = z.object({
  /** When Claude Code handed them over; also the envelope's `occurredAt`. */
  observedAt: z.iso.datetime(),
  windows: RateLimitWindows,
});
export type RateLimitsObservedV1 = z.infer<typeof RateLimitsObservedV1>;
