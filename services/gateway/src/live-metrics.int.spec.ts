import {
  AccountId,
  CreateAccountReply,
  IssuedToken,
  LiveMetric,
  LiveMetricChanged,
  LiveMetricsReply,
  metricsChangedSubject,
  RegisterDeviceReply,
} from '@ccsync/contracts';
import { useTestNamespace, waitFor } from '@ccsync/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from './app.ts';
import { startTestStack, type TestStack } from './test-stack.ts';

/*
 * The seed's live metrics (`/api/metrics`): values with a TTL, per account, announced on NATS.
 * Ingest issues the tokens and the second account.
 */
const ns = useTestNamespace();
let stack: TestStack;
let gateway: Gateway;
let nc: NatsConnection;
let viewerToken: string;
let deviceToken: string;
let acmeAdminToken: string;

const issue = (path: string, token: string, body: unknown) => stack.post(path, token, body);

beforeAll(async () => {
  stack = await startTestStack(ns);
  gateway = stack.gateway;
  nc = await connect({ servers: ns.natsUrl });
  viewerToken = IssuedToken.parse(await issue('/v1/tokens', ns.adminToken, { scope: 'viewer' })).token;
  deviceToken = RegisterDeviceReply.parse(await issue('/v1/devices', ns.adminToken, { device: 'laptop' })).token.token;
  acmeAdminToken = CreateAccountReply.parse(await issue('/v1/accounts', ns.adminToken, { id: 'acme' })).adminToken
    .token;
});
afterAll(async () => {
  await nc?.close();
  await stack?.close();
});

function call(method: string, path: string, token: string | undefined, body?: unknown): Promise<Response> {
  return fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const setMetric = async (key: string, body: unknown, token = ns.adminToken) => {
  const response = await call('POST', `/api/metrics/${key}`, token, body);
  expect(response.status).toBe(200);
  return LiveMetric.parse(await response.json());
};
const listMetrics = async (token = ns.adminToken) => {
  const response = await call('GET', '/api/metrics', token);
  expect(response.status).toBe(200);
  return LiveMetricsReply.parse(await response.json());
};

describe('setting and reading live metrics', () => {
  it('answers 401 without a valid token, on every route', async () => {
    expect((await call('GET', '/api/metrics', undefined)).status).toBe(401);
    expect((await call('GET', '/api/metrics/cpu', undefined)).status).toBe(401);
    expect((await call('POST', '/api/metrics/cpu', undefined, { value: 1 })).status).toBe(401);
    expect((await call('DELETE', '/api/metrics/cpu', undefined)).status).toBe(401);
    expect((await call('GET', '/api/metrics', 'wrong')).status).toBe(401);
  });

  it('serves back exactly the value that was set, with a five-minute TTL by default', async () => {
    const value = { tokensPerMinute: 1234.5, models: ['claude-sonnet-4-5'], active: true, note: null };
    const before = Date.now();
    const set = await setMetric('burn.rate', { value });
    expect(set).toMatchObject({ key: 'burn.rate', value });
    const updatedAt = Date.parse(set.updatedAt);
    expect(updatedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(set.expiresAt) - updatedAt).toBe(300_000);

    const response = await call('GET', '/api/metrics/burn.rate', ns.adminToken);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(set);
  });

  it('keeps null, strings and numbers as they are, and replaces a value set again', async () => {
    await setMetric('session:count', { value: 1 });
    const replaced = await setMetric('session:count', { value: 'two', ttlSeconds: 60 });
    expect(Date.parse(replaced.expiresAt) - Date.parse(replaced.updatedAt)).toBe(60_000);
    const read = LiveMetric.parse(await (await call('GET', '/api/metrics/session:count', ns.adminToken)).json());
    expect(read.value).toBe('two');
    expect((await setMetric('nothing', { value: null })).value).toBeNull();
  });

  it('lists every live metric of the account, sorted by key', async () => {
    await setMetric('zeta', { value: 26 });
    await setMetric('alpha', { value: 1 });
    await setMetric('Mid_key-1', { value: { nested: [1, 2] } });
    const { metrics } = await listMetrics();
    expect(metrics.map((metric) => metric.key)).toEqual([
      'Mid_key-1',
      'alpha',
      'burn.rate',
      'nothing',
      'session:count',
      'zeta',
    ]);
    expect(metrics.find((metric) => metric.key === 'Mid_key-1')?.value).toEqual({ nested: [1, 2] });
    expect(metrics.find((metric) => metric.key === 'zeta')?.value).toBe(26);
  });

  it('forgets a metric when its TTL runs out: 404 and no longer listed', async () => {
    const set = await setMetric('short-lived', { value: 'soon gone', ttlSeconds: 1 });
    expect(Date.parse(set.expiresAt) - Date.parse(set.updatedAt)).toBe(1000);
    expect((await listMetrics()).metrics.some((metric) => metric.key === 'short-lived')).toBe(true);
    await waitFor(async () => (await call('GET', '/api/metrics/short-lived', ns.adminToken)).status === 404, {
      intervalMs: 100,
      description: 'the metric to expire',
    });
    const gone = await call('GET', '/api/metrics/short-lived', ns.adminToken);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ statusCode: 404, code: 'CCSYNC_NOT_FOUND' });
    expect((await listMetrics()).metrics.some((metric) => metric.key === 'short-lived')).toBe(false);
  });

  it('deletes a metric with 204, then answers 404 for it', async () => {
    await setMetric('to-delete', { value: 1 });
    expect((await call('DELETE', '/api/metrics/to-delete', ns.adminToken)).status).toBe(204);
    const read = await call('GET', '/api/metrics/to-delete', ns.adminToken);
    expect(read.status).toBe(404);
    expect(await read.json()).toEqual({
      statusCode: 404,
      code: 'CCSYNC_NOT_FOUND',
      error: 'Not Found',
      message: 'No live metric "to-delete" (never set, deleted or expired)',
    });
    expect((await listMetrics()).metrics.some((metric) => metric.key === 'to-delete')).toBe(false);
    const again = await call('DELETE', '/api/metrics/to-delete', ns.adminToken);
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ code: 'CCSYNC_NOT_FOUND' });
  });

  it('answers 404 for a metric never set', async () => {
    const response = await call('GET', '/api/metrics/never-set', ns.adminToken);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'CCSYNC_NOT_FOUND' });
  });
});

describe('refused requests', () => {
  it('answers 400 with the shared error shape for a key that is not one', async () => {
    for (const key of ['bad%20key', 'bad*key', 'x'.repeat(129), 'caf%C3%A9']) {
      const response = await call('GET', `/api/metrics/${key}`, ns.adminToken);
      expect(response.status).toBe(400);
      const body = (await response.json()) as { message: string };
      expect(body).toMatchObject({ statusCode: 400, code: 'CCSYNC_VALIDATION', error: 'Bad Request' });
      expect(body.message).toContain('letters, digits, ".", "_", ":" or "-", 1 to 128 characters');
    }
    expect((await call('POST', '/api/metrics/bad*key', ns.adminToken, { value: 1 })).status).toBe(400);
    expect((await call('DELETE', '/api/metrics/bad*key', ns.adminToken)).status).toBe(400);
    expect((await call('GET', `/api/metrics/${'x'.repeat(128)}`, ns.adminToken)).status).toBe(404);
  });

  it('answers 400 for a body without a value or with a TTL out of range, and stores nothing', async () => {
    const missing = await call('POST', '/api/metrics/refused', ns.adminToken, { ttlSeconds: 10 });
    expect(missing.status).toBe(400);
    expect(((await missing.json()) as { message: string }).message).toContain('value is required');
    for (const ttlSeconds of [0, 1.5, 86_401, '60']) {
      const response = await call('POST', '/api/metrics/refused', ns.adminToken, { value: 1, ttlSeconds });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'CCSYNC_VALIDATION' });
    }
    expect((await call('GET', '/api/metrics/refused', ns.adminToken)).status).toBe(404);
  });

  it('answers 415 for a body that is not JSON', async () => {
    const response = await fetch(`${gateway.url}/api/metrics/plain`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'text/plain' },
      body: 'value=1',
    });
    expect(response.status).toBe(415);
  });

  it('lets a viewer read but not set or delete; lets a device token set', async () => {
    await setMetric('shared', { value: 'seen by viewers' });
    const read = await call('GET', '/api/metrics/shared', viewerToken);
    expect(read.status).toBe(200);
    expect(LiveMetric.parse(await read.json()).value).toBe('seen by viewers');
    expect((await listMetrics(viewerToken)).metrics.some((metric) => metric.key === 'shared')).toBe(true);

    const post = await call('POST', '/api/metrics/shared', viewerToken, { value: 'overwritten' });
    expect(post.status).toBe(403);
    expect(await post.json()).toMatchObject({ statusCode: 403, code: 'CCSYNC_FORBIDDEN' });
    expect((await call('DELETE', '/api/metrics/shared', viewerToken)).status).toBe(403);
    expect(LiveMetric.parse(await (await call('GET', '/api/metrics/shared', viewerToken)).json()).value).toBe(
      'seen by viewers',
    );

    expect((await setMetric('from-device', { value: 7 }, deviceToken)).value).toBe(7);
    // Device tokens push; reading stays with viewers and admins, as for usage.
    expect((await call('GET', '/api/metrics/from-device', deviceToken)).status).toBe(403);
    expect((await call('GET', '/api/metrics', deviceToken)).status).toBe(403);
  });
});

describe('two accounts', () => {
  it('never see each other’s metrics, even under the same key', async () => {
    await setMetric('same-key', { value: 'default’s' });
    await setMetric('same-key', { value: 'acme’s' }, acmeAdminToken);
    await setMetric('acme-only', { value: 1 }, acmeAdminToken);

    const acme = await listMetrics(acmeAdminToken);
    expect(acme.metrics.map((metric) => [metric.key, metric.value])).toEqual([
      ['acme-only', 1],
      ['same-key', 'acme’s'],
    ]);
    const own = LiveMetric.parse(await (await call('GET', '/api/metrics/same-key', ns.adminToken)).json());
    expect(own.value).toBe('default’s');
    expect((await call('GET', '/api/metrics/acme-only', ns.adminToken)).status).toBe(404);
    expect((await listMetrics()).metrics.some((metric) => metric.key === 'acme-only')).toBe(false);
    // Nor delete them.
    expect((await call('DELETE', '/api/metrics/acme-only', ns.adminToken)).status).toBe(404);
    expect((await call('GET', '/api/metrics/acme-only', acmeAdminToken)).status).toBe(200);
  });
});

describe('change notices on NATS', () => {
  it('announces a set and a delete on the account’s metrics subject, and nothing to another account', async () => {
    const received: unknown[] = [];
    const elsewhere: unknown[] = [];
    const subscription = nc.subscribe(metricsChangedSubject(ns.names, AccountId.parse('default')), {
      callback: (_error, message) => {
        received.push(message.json());
      },
    });
    const acmeSubscription = nc.subscribe(metricsChangedSubject(ns.names, AccountId.parse('acme')), {
      callback: (_error, message) => {
        elsewhere.push(message.json());
      },
    });
    await nc.flush();
    try {
      expect(metricsChangedSubject(ns.names, AccountId.parse('default'))).toBe(
        `${ns.namespace}.changes.default.metrics`,
      );
      const metric = await setMetric('announced', { value: { cpu: 0.5 } });
      const updated = LiveMetricChanged.parse(await waitFor(() => received[0]));
      expect(updated).toEqual({ type: 'metric_updated', key: 'announced', metric });

      expect((await call('DELETE', '/api/metrics/announced', ns.adminToken)).status).toBe(204);
      const deleted = LiveMetricChanged.parse(await waitFor(() => received[1]));
      expect(deleted).toEqual({ type: 'metric_deleted', key: 'announced' });

      // A refused write announces nothing: the gateway's notices arrive in order, so any notice of
      // the refused writes would come before the next accepted one.
      expect((await call('DELETE', '/api/metrics/announced', ns.adminToken)).status).toBe(404);
      expect((await call('POST', '/api/metrics/announced', viewerToken, { value: 1 })).status).toBe(403);
      const next = await setMetric('announced-after', { value: 2 });
      await waitFor(() => received[2]);
      expect(received.slice(2)).toEqual([{ type: 'metric_updated', key: 'announced-after', metric: next }]);
      expect(elsewhere).toEqual([]);
    } finally {
      subscription.unsubscribe();
      acmeSubscription.unsubscribe();
    }
  });
});
