import { describe, expect, it } from 'vitest';
import { BaseEnv, ConfigError, parseEnv, port } from './config.ts';

const ServiceEnv = BaseEnv.extend({ SERVICE_PORT: port(3000) });

describe('parseEnv', () => {
  it('applies defaults and coerces numbers', () => {
    const env = parseEnv(ServiceEnv, { SERVICE_PORT: '8080' });
    expect(env).toMatchObject({
      SERVICE_PORT: 8080,
      NATS_URL: 'nats://127.0.0.1:4222',
      REDIS_URL: 'redis://127.0.0.1:6379',
      CCSYNC_NAMESPACE: 'ccsync',
      NODE_ENV: 'development',
    });
  });

  it('treats empty variables as unset, as compose files produce them', () => {
    expect(parseEnv(ServiceEnv, { SERVICE_PORT: '', CCSYNC_NAMESPACE: '' })).toMatchObject({
      SERVICE_PORT: 3000,
      CCSYNC_NAMESPACE: 'ccsync',
    });
  });

  it('fails with one readable line per bad variable', () => {
    const attempt = () =>
      parseEnv(ServiceEnv, { SERVICE_PORT: '70000', REDIS_URL: 'http://example', CCSYNC_ADMIN_TOKEN: 'short' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const lines = (error as Error).message.split('\n');
      expect(lines[0]).toBe('Invalid configuration:');
      expect(lines.slice(1).map((line) => line.trim().split(':')[0])).toEqual([
        'REDIS_URL',
        'CCSYNC_ADMIN_TOKEN',
        'SERVICE_PORT',
      ]);
    }
  });
});
