import {
  type AccountId,
  DEFAULT_METRIC_TTL_SECONDS,
  ErrorReply,
  LiveMetric,
  type LiveMetricChanged,
  LiveMetricsReply,
  liveMetricKeys,
  MAX_METRIC_TTL_SECONDS,
  type MetricKey,
  MetricKeyParams,
  metricsChangedSubject,
  type Names,
  SetMetricRequest,
} from '@ccsync/contracts';
import {
  assertCanRead,
  assertCanWriteMetrics,
  Errors,
  type HttpServer,
  type NatsConnection,
  principalOf,
  type Redis,
  type RuntimeConfig,
} from '@ccsync/service-kit';
import { z } from 'zod';

export interface LiveMetricRouteDeps {
  readonly redis: Redis;
  readonly nc: NatsConnection;
  readonly names: Names;
  /** Where the default TTL may have been changed at run time. */
  readonly runtime: RuntimeConfig;
}

/** What a metric's Redis string holds: the metric less its key, which the Redis key carries. */
const StoredMetric = LiveMetric.omit({ key: true });

/** Runs a MULTI and returns its commands' replies, throwing the first command's error. */
async function execAll(transaction: ReturnType<Redis['multi']>): Promise<unknown[]> {
  const results = await transaction.exec();
  if (results === null) throw new Error('MULTI was discarded');
  return results.map(([error, reply]) => {
    if (error !== null) throw error;
    return reply;
  });
}

/**
 * The seed's live metrics: `/api/metrics` and `/api/metrics/:key`. Each metric is a Redis string
 * that expires with it; the account's index (a sorted set by expiry) is what lets them be listed
 * without scanning keys. Every change is announced on core NATS for gateways to fan out.
 */
export function registerLiveMetricRoutes(app: HttpServer, { redis, nc, names, runtime }: LiveMetricRouteDeps): void {
  const keys = liveMetricKeys(names);
  const announce = (account: AccountId, notice: LiveMetricChanged) =>
    nc.publish(metricsChangedSubject(names, account), JSON.stringify(notice));
  const metricFrom = (key: MetricKey, stored: string): LiveMetric => ({
    key,
    ...StoredMetric.parse(JSON.parse(stored)),
  });

  app.get(
    '/api/metrics',
    { schema: { response: { 200: LiveMetricsReply, 401: ErrorReply, 403: ErrorReply } } },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const { account } = principal;
      const index = keys.index(account);
      const [, listed] = await execAll(
        redis.multi().zremrangebyscore(index, '-inf', Date.now()).zrange(index, 0, '-1'),
      );
      const metricKeys = (listed as string[]).sort();
      if (metricKeys.length === 0) return { metrics: [] };
      // A metric may expire between the index and the read: it is then simply not listed.
      const stored = await redis.mget(...metricKeys.map((key) => keys.metric(account, key)));
      return {
        metrics: metricKeys.flatMap((key, position) => {
          const json = stored[position];
          return json === null || json === undefined ? [] : [metricFrom(key, json)];
        }),
      };
    },
  );

  app.get(
    '/api/metrics/:key',
    {
      schema: {
        params: MetricKeyParams,
        response: { 200: LiveMetric, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      assertCanRead(principal);
      const { key } = request.params;
      const stored = await redis.get(keys.metric(principal.account, key));
      if (stored === null) throw new Errors.NotFound(`No live metric "${key}" (never set, deleted or expired)`);
      return metricFrom(key, stored);
    },
  );

  app.post(
    '/api/metrics/:key',
    {
      schema: {
        params: MetricKeyParams,
        body: SetMetricRequest,
        response: { 200: LiveMetric, 400: ErrorReply, 401: ErrorReply, 403: ErrorReply },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      assertCanWriteMetrics(principal);
      const { account } = principal;
      const { key } = request.params;
      const { value } = request.body;
      const ttlSeconds = request.body.ttlSeconds ?? runtime.current().metricTtlSeconds ?? DEFAULT_METRIC_TTL_SECONDS;
      const now = Date.now();
      const expiresAtMs = now + ttlSeconds * 1000;
      const metric: LiveMetric = {
        key,
        value,
        updatedAt: new Date(now).toISOString(),
        expiresAt: new Date(expiresAtMs).toISOString(),
      };
      const index = keys.index(account);
      await execAll(
        redis
          .multi()
          .set(
            keys.metric(account, key),
            JSON.stringify({ value, updatedAt: metric.updatedAt, expiresAt: metric.expiresAt }),
            'PX',
            ttlSeconds * 1000,
          )
          .zadd(index, expiresAtMs, key)
          // Writes keep the index to live metrics, and it outlives every member by at most a day,
          // so an account that stops writing leaves nothing behind.
          .zremrangebyscore(index, '-inf', now)
          .pexpire(index, MAX_METRIC_TTL_SECONDS * 1000),
      );
      announce(account, { type: 'metric_updated', key, metric });
      return metric;
    },
  );

  app.delete(
    '/api/metrics/:key',
    {
      schema: {
        params: MetricKeyParams,
        response: { 204: z.null(), 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      assertCanWriteMetrics(principal);
      const { account } = principal;
      const { key } = request.params;
      const [deleted] = await execAll(redis.multi().del(keys.metric(account, key)).zrem(keys.index(account), key));
      if (deleted === 0) throw new Errors.NotFound(`No live metric "${key}" (never set, deleted or expired)`);
      announce(account, { type: 'metric_deleted', key });
      return reply.status(204).send(null);
    },
  );
}
