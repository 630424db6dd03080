import { ConfigReply, CreateAccountReply, LiveMetric, RedisConfigReply } from '@ccsync/contracts';
import { IngestEnv, startIngest } from '@ccsync/ingest';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { useTestNamespace, waitFor } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './app.ts';
import { GatewayEnv } from './config.ts';

/*
 * The server's configuration: read with secrets redacted, and the run-time settings changed
 * through one gateway replica and followed by the other, through NATS KV.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
let first: Gateway;
let second: Gateway;
const operator = { authorization: `Bearer ${ns.adminToken}` };

beforeAll(async () => {
  const env = parseEnv(GatewayEnv, ns.env({ GATEWAY_PORT: '0', GATEWAY_RATE_LIMIT_PER_MINUTE: '0' }));
  [first, second] = await Promise.all([startGateway(env, logger), startGateway(env, logger)]);
});
afterAll(async () => {
  await Promise.all([first?.close(), second?.close()]);
});

const put = (gateway: Gateway, path: string, body: unknown, headers = operator) =>
  fetch(`${gateway.url}${path}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const config = async (gateway: Gateway) =>
  ConfigReply.parse(await (await fetch(`${gateway.url}/api/config`, { headers: operator })).json());

describe('GET /api/config', () => {
  it('shows what the gateway runs with, secrets redacted', async () => {
    const reply = await config(first);
    expect(reply.service).toBe('gateway');
    expect(reply.environment.CCSYNC_ADMIN_TOKEN).toBe('[REDACTED]');
    expect(JSON.stringify(reply)).not.toContain(ns.adminToken);
    expect(reply.environment.REDIS_URL).toBe(ns.redisUrl);
    expect(reply.runtime).toEqual({ logLevel: reply.environment.LOG_LEVEL, metricTtlSeconds: 300 });
    expect(reply.overrides).toEqual({});
  });
});

describe('PUT /api/config', () => {
  it('changes a run-time setting on every replica, and clears it with null', async () => {
    const response = await put(first, '/api/config', { metricTtlSeconds: 60, logLevel: 'warn' });
    expect(response.status).toBe(200);
    expect(ConfigReply.parse(await response.json()).runtime).toEqual({ logLevel: 'warn', metricTtlSeconds: 60 });

    // The other replica follows, and uses it: a metric set there without a TTL lives a minute.
    await waitFor(async () => (await config(second)).overrides.metricTtlSeconds === 60);
    const set = await fetch(`${second.url}/api/metrics/settings.probe`, {
      method: 'POST',
      headers: { ...operator, 'content-type': 'application/json' },
      body: JSON.stringify({ value: 1 }),
    });
    const metric = LiveMetric.parse(await set.json());
    expect(Date.parse(metric.expiresAt) - Date.parse(metric.updatedAt)).toBe(60_000);

    const cleared = await put(second, '/api/config', { metricTtlSeconds: null });
    expect(ConfigReply.parse(await cleared.json()).overrides).toEqual({ logLevel: 'warn' });
    await waitFor(async () => (await config(first)).runtime.metricTtlSeconds === 300);
    await put(first, '/api/config', { logLevel: null });
  });

  it('refuses what needs a restart, unknown settings and bad values, and changes nothing', async () => {
    const restart = await put(first, '/api/config', { GATEWAY_PORT: 4000 });
    expect(restart.status).toBe(409);
    const body = (await restart.json()) as { code: string; message: string };
    expect(body.code).toBe('CCSYNC_RESTART_REQUIRED');
    expect(body.message).toContain('"GATEWAY_PORT" is read at start');

    const unknown = await put(first, '/api/config', { colour: 'blue' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { message: string }).message).toContain('"colour" is not a setting');
    expect((await put(first, '/api/config', { logLevel: 'loud' })).status).toBe(400);
    expect((await put(first, '/api/config', { metricTtlSeconds: 0 })).status).toBe(400);
    expect((await config(first)).overrides).toEqual({});
  });

  it('is for the server’s admin token only', async () => {
    const token = await accountAdmin();
    for (const path of ['/api/config', '/api/config/redis']) {
      expect((await fetch(`${first.url}${path}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
      expect((await put(first, path, {}, { authorization: `Bearer ${token}` })).status).toBe(403);
      expect((await fetch(`${first.url}${path}`)).status).toBe(401);
    }
  });
});

describe('/api/config/redis', () => {
  it('shows the connection and the server, and refuses changes that need a restart', async () => {
    const reply = RedisConfigReply.parse(
      await (await fetch(`${first.url}/api/config/redis`, { headers: operator })).json(),
    );
    expect(reply).toMatchObject({ url: ns.redisUrl, status: 'ready', keyPrefix: ns.names.redisPrefix });
    expect(reply.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(reply.usedMemoryBytes).toBeGreaterThan(0);

    const change = await put(first, '/api/config/redis', { url: 'redis://elsewhere:6379' });
    expect(change.status).toBe(409);
    expect(((await change.json()) as { message: string }).message).toContain('set REDIS_URL');
  });
});

/** An admin of an account of its own, made through the token store the gateway reads. */
async function accountAdmin(): Promise<string> {
  const ingest = await startIngest(parseEnv(IngestEnv, ns.env({ INGEST_PORT: '0' })), logger);
  try {
    const response = await fetch(`${ingest.url}/v1/accounts`, {
      method: 'POST',
      headers: { ...operator, 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'tenant' }),
    });
    return CreateAccountReply.parse(await response.json()).adminToken.token;
  } finally {
    await ingest.close();
  }
}
