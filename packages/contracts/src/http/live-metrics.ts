import { z } from 'zod';
import type { AccountId } from '../ids.ts';
import type { Names } from '../names.ts';

/*
 * The seed's live metrics: small JSON values a client sets under a key of its account, kept for a
 * few minutes (the TTL), never history. Served by the gateway under `/api/metrics`.
 */

/** The name of a live metric. It ends the metric's Redis key, after the account. */
export const MetricKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits, ".", "_", ":" or "-", 1 to 128 characters');
export type MetricKey = z.infer<typeof MetricKey>;

export const MetricKeyParams = z.object({ key: MetricKey });

/** The TTL a metric gets when the request names none: the seed's five minutes, unless changed at run time. */
export const DEFAULT_METRIC_TTL_SECONDS = 300;
/** The longest a metric may live: a day. */
export const MAX_METRIC_TTL_SECONDS = 86_400;

/** `POST /api/metrics/:key`: any JSON value (null included), kept for `ttlSeconds` (or the default). */
export const SetMetricRequest = z.object({
  value: z.unknown().refine((value) => value !== undefined, { message: 'value is required (any JSON value)' }),
  ttlSeconds: z.number().int().min(1).max(MAX_METRIC_TTL_SECONDS).optional(),
});
export type SetMetricRequest = z.infer<typeof SetMetricRequest>;

/** One live metric, as `GET /api/metrics/:key` and `POST /api/metrics/:key` answer it. */
export const LiveMetric = z.object({
  key: MetricKey,
  value: z.unknown(),
  updatedAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
});
export type LiveMetric = z.infer<typeof LiveMetric>;

/** `GET /api/metrics`: every live metric of the caller's account, sorted by key. */
export const LiveMetricsReply = z.object({ metrics: z.array(LiveMetric) });
export type LiveMetricsReply = z.infer<typeof LiveMetricsReply>;

/** Published on core NATS after a metric is set or deleted, for gateways to fan out. */
export const LiveMetricChanged = z.discriminatedUnion('type', [
  z.object({ type: z.literal('metric_updated'), key: MetricKey, metric: LiveMetric }),
  z.object({ type: z.literal('metric_deleted'), key: MetricKey }),
]);
export type LiveMetricChanged = z.infer<typeof LiveMetricChanged>;

/** The core NATS subject of an account's metric notices, beside its usage and presence notices. */
export function metricsChangedSubject(names: Names, account: AccountId): string {
  return `${names.namespace}.changes.${account}.metrics`;
}
