import {
  ConfigReply,
  DEFAULT_METRIC_TTL_SECONDS,
  ErrorReply,
  type Names,
  RedisConfigReply,
  RuntimeSettings,
  RuntimeSettingsUpdate,
} from '@ccsync/contracts';
import {
  assertOperator,
  Errors,
  type HttpServer,
  principalOf,
  type Redis,
  type RuntimeConfig,
  redactUrl,
  SERVICE_VERSION,
} from '@ccsync/service-kit';
import { z } from 'zod';
import type { GatewayEnv } from '../config.ts';

export interface SettingsDeps {
  readonly env: GatewayEnv;
  readonly names: Names;
  readonly redis: Redis;
  readonly runtime: RuntimeConfig;
}

const SECRET = /TOKEN|SECRET|PASSWORD|KEY/;

/** The environment as read at start, with every secret replaced and credentials cut out of URLs. */
function redactedEnvironment(env: GatewayEnv): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(env).map(([name, value]) => {
      if (value === undefined) return [name, null];
      if (SECRET.test(name)) return [name, '[REDACTED]'];
      if (typeof value === 'string' && name.endsWith('_URL')) return [name, value.split(',').map(redactUrl).join(',')];
      return [name, value];
    }),
  );
}

/** A field of the INFO reply, or null. */
function infoField(info: string, field: string): string | null {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? null;
}

/**
 * The server's configuration, for operators (the server's admin token: it is the same for every
 * account): what was read from the environment, secrets redacted, and the settings that can change
 * at run time, changed in NATS KV so that every replica follows. Anything else needs a restart,
 * and asking to change it says so.
 */
export function registerSettingsRoutes(app: HttpServer, { env, names, redis, runtime }: SettingsDeps): void {
  const describe = (): ConfigReply => {
    const overrides = runtime.current();
    return {
      service: 'gateway',
      version: SERVICE_VERSION,
      environment: redactedEnvironment(env),
      runtime: {
        logLevel: overrides.logLevel ?? env.LOG_LEVEL,
        metricTtlSeconds: overrides.metricTtlSeconds ?? DEFAULT_METRIC_TTL_SECONDS,
      },
      overrides,
    };
  };
  const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 409: ErrorReply };

  app.get('/api/config', { schema: { response: { 200: ConfigReply, ...errors } } }, async (request) => {
    assertOperator(principalOf(request), 'read the server’s configuration');
    return describe();
  });

  app.put(
    '/api/config',
    { schema: { body: RuntimeSettingsUpdate, response: { 200: ConfigReply, ...errors } } },
    async (request) => {
      assertOperator(principalOf(request), 'change the server’s configuration');
      const changeable = Object.keys(RuntimeSettings.shape);
      for (const name of Object.keys(request.body)) {
        if (changeable.includes(name)) continue;
        if (name in env)
          throw new Errors.RestartRequired(
            `"${name}" is read at start: set it in the environment and restart. At run time, only ${changeable.join(', ')} can change.`,
          );
        throw new Errors.Validation(
          `"${name}" is not a setting; the ones that can change are ${changeable.join(', ')}`,
        );
      }
      const cleared = Object.fromEntries(Object.entries(request.body).filter(([, value]) => value === null));
      const set = RuntimeSettings.safeParse(
        Object.fromEntries(Object.entries(request.body).filter(([, value]) => value !== null)),
      );
      if (!set.success) throw new Errors.Validation(z.prettifyError(set.error));
      await runtime.update({ ...set.data, ...cleared });
      return describe();
    },
  );

  app.get('/api/config/redis', { schema: { response: { 200: RedisConfigReply, ...errors } } }, async (request) => {
    assertOperator(principalOf(request), 'read the server’s configuration');
    const info = await redis.info().catch(() => '');
    const number = (field: string) => {
      const value = infoField(info, field);
      return value === null ? null : Number(value);
    };
    return {
      url: redactUrl(env.REDIS_URL),
      status: redis.status,
      version: infoField(info, 'redis_version'),
      usedMemoryBytes: number('used_memory'),
      connectedClients: number('connected_clients'),
      keyPrefix: names.redisPrefix,
    };
  });

  app.put('/api/config/redis', { schema: { response: { ...errors } } }, async (request) => {
    assertOperator(principalOf(request), 'change the server’s configuration');
    throw new Errors.RestartRequired(
      'Redis connection settings are read at start: set REDIS_URL for every service and restart them. The views are rebuilt from the history if the new Redis is empty.',
    );
  });
}
