import { z } from 'zod';
import { MAX_METRIC_TTL_SECONDS } from './live-metrics.ts';

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/**
 * The settings that can change while the services run. They are kept in NATS KV, so every
 * replica sees a change at once; everything else is read from the environment at start.
 */
export const RuntimeSettings = z.strictObject({
  /** Overrides `LOG_LEVEL` on every gateway replica until cleared. */
  logLevel: LogLevel.optional(),
  /** How long a live metric set without `ttlSeconds` is kept. */
  metricTtlSeconds: z.number().int().min(1).max(MAX_METRIC_TTL_SECONDS).optional(),
});
export type RuntimeSettings = z.infer<typeof RuntimeSettings>;

/**
 * `PUT /api/config`: settings to change; `null` clears one back to its default. Any other field
 * is refused: it needs a restart.
 */
export const RuntimeSettingsUpdate = z.record(z.string(), z.unknown());

/** `GET /api/config` and the reply to a `PUT`: the effective configuration, secrets redacted. */
export const ConfigReply = z.object({
  service: z.string(),
  version: z.string(),
  /** What this replica read from its environment at start; changing it needs a restart. */
  environment: z.record(z.string(), z.unknown()),
  /** The runtime settings in force, defaults filled in. */
  runtime: z.object({ logLevel: LogLevel, metricTtlSeconds: z.number().int() }),
  /** The runtime settings someone set (the rest are defaults). */
  overrides: RuntimeSettings,
});
export type ConfigReply = z.infer<typeof ConfigReply>;

/** `GET /api/config/redis`: where the views are, the password redacted, and how Redis is doing. */
export const RedisConfigReply = z.object({
  url: z.string(),
  status: z.string(),
  version: z.string().nullable(),
  usedMemoryBytes: z.number().int().nullable(),
  connectedClients: z.number().int().nullable(),
  keyPrefix: z.string(),
});
export type RedisConfigReply = z.infer<typeof RedisConfigReply>;
