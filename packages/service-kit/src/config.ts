import { join } from 'node:path';
import { Namespace } from '@ccsync/contracts';
import { z } from 'zod';

/** Thrown when the environment does not describe a usable service; the message names each variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);

/** Variables every service reads. Each service extends this with its own. */
export const BaseEnv = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  /** One NATS URL, or a comma-separated list of a cluster's. */
  NATS_URL: z.string().min(1).default('nats://127.0.0.1:4222'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  CCSYNC_NAMESPACE: Namespace.default(Namespace.parse('ccsync')),
  /** The bootstrap admin bearer token. Required in production; generated once in development. */
  CCSYNC_ADMIN_TOKEN: z.string().min(32, 'at least 32 characters').optional(),
  /** JWTs signed with this HS256 secret are accepted as tokens (seed 004's web and mobile clients). */
  CCSYNC_JWT_SECRET: z.string().min(32, 'at least 32 characters').optional(),
  /** JWTs signed with the private half of this PEM public key (RS256, ES256, EdDSA) are accepted. */
  CCSYNC_JWT_PUBLIC_KEY: z.string().min(1).optional(),
  /** When set, a JWT's `iss` must be this. */
  CCSYNC_JWT_ISSUER: z.string().min(1).optional(),
  /** A JWT's `aud` must be this. */
  CCSYNC_JWT_AUDIENCE: z.string().min(1).default('ccsync'),
  /** A token that may read `/metrics` and nothing else, for Prometheus. */
  CCSYNC_METRICS_TOKEN: z.string().min(32, 'at least 32 characters').optional(),
  /**
   * Where development state (the generated admin token, local NATS and Redis data) is kept. npm
   * sets INIT_CWD to where it was run, so `npm start -w <service>` finds the root's folder too.
   */
  CCSYNC_DATA_DIR: z
    .string()
    .min(1)
    .default(() => join(process.env.INIT_CWD ?? process.cwd(), '.ccsync')),
  /** The address HTTP servers listen on. Containers set 0.0.0.0. */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** How long a graceful shutdown may take before the process exits anyway. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
});
export type BaseEnv = z.infer<typeof BaseEnv>;

/** The event stream's settings, for the services that write to it (each makes sure it exists). */
export const StreamEnv = {
  /** Stream replicas: 1 for one NATS server, 3 for a JetStream cluster. */
  CCSYNC_STREAM_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  /** 0 keeps the event history for ever. */
  CCSYNC_STREAM_MAX_AGE_SECONDS: z.coerce.number().int().nonnegative().default(0),
  CCSYNC_STREAM_DUPLICATE_WINDOW_SECONDS: z.coerce.number().int().positive().default(120),
};

/** The change stream's settings, for the projector that writes it and the gateways that replay it. */
export const ChangeStreamEnv = {
  CCSYNC_STREAM_REPLICAS: StreamEnv.CCSYNC_STREAM_REPLICAS,
  /** How long a WebSocket client that reconnects can be sent what it missed. */
  CCSYNC_CHANGES_MAX_AGE_SECONDS: z.coerce.number().int().positive().default(86_400),
  CCSYNC_CHANGES_MAX_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(1024 * 1024 * 1024),
};

/** The change stream options the environment describes. */
export function changeStreamOptions(env: {
  CCSYNC_STREAM_REPLICAS: number;
  CCSYNC_CHANGES_MAX_AGE_SECONDS: number;
  CCSYNC_CHANGES_MAX_BYTES: number;
}) {
  return {
    replicas: env.CCSYNC_STREAM_REPLICAS,
    maxAgeSeconds: env.CCSYNC_CHANGES_MAX_AGE_SECONDS,
    maxBytes: env.CCSYNC_CHANGES_MAX_BYTES,
  };
}

/** The stream options the environment describes. */
export function streamOptions(env: {
  CCSYNC_STREAM_REPLICAS: number;
  CCSYNC_STREAM_MAX_AGE_SECONDS: number;
  CCSYNC_STREAM_DUPLICATE_WINDOW_SECONDS: number;
}) {
  return {
    replicas: env.CCSYNC_STREAM_REPLICAS,
    maxAgeSeconds: env.CCSYNC_STREAM_MAX_AGE_SECONDS,
    duplicateWindowSeconds: env.CCSYNC_STREAM_DUPLICATE_WINDOW_SECONDS,
  };
}

/**
 * Parses the environment with a service's schema, failing fast with one readable line per
 * problem. Empty strings count as unset, as they do in compose files and shells.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(env)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
}
