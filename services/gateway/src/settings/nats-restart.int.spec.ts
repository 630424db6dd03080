import { ConfigReply, CreateAccountReply, IssuedToken } from '@ccsync/contracts';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { type LocalServer, spawnNatsServer, useTestNamespace, waitFor } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from '../app.ts';
import { GatewayEnv } from '../config.ts';

/*
 * NATS crashes and comes back on the same data under two gateway replicas: a run-time setting
 * changed through one afterwards is in force on the other at once (it follows a KV watch), and a
 * token revoked afterwards is refused by the other within its cache time (it reads KV).
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const operator = { authorization: `Bearer ${ns.adminToken}` };
let nats: LocalServer;
let ingest: Ingest;
let first: Gateway;
let second: Gateway;

beforeAll(async () => {
  nats = await spawnNatsServer();
  const env = ns.env({
    NATS_URL: nats.url,
    GATEWAY_PORT: '0',
    INGEST_PORT: '0',
    GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
    INGEST_RATE_LIMIT_PER_MINUTE: '0',
  });
  ingest = await startIngest(parseEnv(IngestEnv, env), logger);
  [first, second] = await Promise.all([
    startGateway(parseEnv(GatewayEnv, env), logger),
    startGateway(parseEnv(GatewayEnv, env), logger),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([first?.close(), second?.close(), ingest?.close()]);
  await nats?.dispose();
});

const call = async (url: string, method: string, headers: Record<string, string>, body?: unknown) => {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (response.status >= 300) throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? undefined : response.json();
};
/** The TTL of live metrics in force on a replica. */
const ttlOn = async (gateway: Gateway) =>
  ConfigReply.parse(await call(`${gateway.url}/api/config`, 'GET', operator)).runtime.metricTtlSeconds;
/** 403 while the token is valid (it is not the operator's), 401 once it is revoked. */
const statusWith = async (gateway: Gateway, token: string) =>
  (await fetch(`${gateway.url}/api/config`, { headers: { authorization: `Bearer ${token}` } })).status;
const ready = async (url: string) => (await fetch(`${url}/ready`)).status === 200;

describe('a NATS server killed and restarted under two gateway replicas', () => {
  it('leaves settings and revocations reaching the other replica within seconds', async () => {
    const account = CreateAccountReply.parse(await call(`${ingest.url}/v1/accounts`, 'POST', operator, { id: 'team' }));
    const admin = { authorization: `Bearer ${account.adminToken.token}` };
    const issue = async () =>
      IssuedToken.parse(await call(`${ingest.url}/v1/tokens`, 'POST', admin, { scope: 'viewer' }));
    const [before, after] = [await issue(), await issue()];
    expect(await statusWith(second, before.token)).toBe(403);
    expect(await statusWith(second, after.token)).toBe(403);

    await call(`${first.url}/api/config`, 'PUT', operator, { metricTtlSeconds: 60 });
    await waitFor(async () => (await ttlOn(second)) === 60, { description: 'the setting before the restart' });
    await call(`${ingest.url}/v1/tokens/${before.id}`, 'DELETE', admin);
    await waitFor(async () => (await statusWith(second, before.token)) === 401, { description: 'the revocation' });

    await nats.stop('SIGKILL');
    await nats.start();
    await waitFor(async () => (await ready(first.url)) && (await ready(second.url)) && (await ready(ingest.url)), {
      timeoutMs: 20_000,
      description: 'the services to reconnect',
    });
    // They may answer 5xx while JetStream settles after its restart.
    await waitFor(() => call(`${first.url}/api/config`, 'PUT', operator, { metricTtlSeconds: 120 }), {
      timeoutMs: 20_000,
      description: 'the setting to be stored',
    });
    await waitFor(() => call(`${ingest.url}/v1/tokens/${after.id}`, 'DELETE', admin).then(() => true), {
      timeoutMs: 20_000,
      description: 'the token to be revoked',
    });

    // Well before two missed heartbeats of a forgotten watch (60 s); a revocation takes 2 s.
    await waitFor(async () => (await ttlOn(second)) === 120, {
      timeoutMs: 8000,
      description: 'the setting after the restart on the other replica',
    });
    await waitFor(async () => (await statusWith(second, after.token)) === 401, {
      timeoutMs: 8000,
      description: 'the revocation after the restart on the other replica',
    });
  }, 90_000);
});
