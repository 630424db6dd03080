import { z } from 'zod';

/**
 * One data point of Claude Code's usage counters (`claude_code.token.usage` and
 * `claude_code.cost.usage`), exactly as exported. Cumulative points are turned into increments by
 * the projector, which remembers each series' last value, so the history keeps the raw facts.
 */
export const CounterPoint = z.object({
  /** Stable per series: the metric, its attributes and its start time. */
  series: z.string().regex(/^[A-Za-z0-9_-]{8,128}$/),
  kind: z.enum(['tokens', 'cost']),
  tokenType: z.enum(['input', 'output', 'cacheRead', 'cacheCreation']).optional(),
  model: z.string().min(1).max(256).optional(),
  sessionId: z.string().min(1).max(256).optional(),
  /** Nanoseconds since the epoch, as decimal strings (they exceed 2^53). */
  startTimeUnixNano: z.string().regex(/^\d{1,20}$/),
  timeUnixNano: z.string().regex(/^\d{1,20}$/),
  value: z.number().nonnegative().max(Number.MAX_SAFE_INTEGER),
  cumulative: z.boolean(),
});
export type CounterPoint = z.infer<typeof CounterPoint>;

/** UsageCountersObserved v1: a device's telemetry exported these counter points. */
export const UsageCountersObservedV1 = z.object({ points: z.array(CounterPoint).min(1).max(5000) });
export type UsageCountersObservedV1 = z.infer<typeof UsageCountersObservedV1>;
