import { CreateAccountReply, IssuedToken, RegisterDeviceReply } from '@ccsync/contracts';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { type ServiceProcess, startServiceProcess, useTestNamespace } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './app.ts';
import { GatewayEnv } from './config.ts';

/*
 * Who may call what on the gateway: every route against every kind of caller, and two accounts
 * on one server. A refusal is 401 without a valid token and 403 with one of the wrong scope.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
let ingest: Ingest;
let gateway: Gateway;
// A process, since the scheduler's own tests start the gateway: the cron routes need one to answer.
let scheduler: ServiceProcess;

type Caller = 'nobody' | 'forged' | 'operator' | 'admin' | 'viewer' | 'device' | 'metrics';
const tokens = {} as Record<Caller, string | undefined>;
const METRICS_TOKEN = 'm'.repeat(40);

beforeAll(async () => {
  scheduler = await startServiceProcess('scheduler', ns.env({ SCHEDULER_DEFAULT_JOBS: 'false' }));
  // Limits off: the matrix makes a few hundred requests with each token.
  ingest = await startIngest(
    parseEnv(IngestEnv, ns.env({ INGEST_PORT: '0', INGEST_RATE_LIMIT_PER_MINUTE: '0' })),
    logger,
  );
  gateway = await startGateway(
    parseEnv(
      GatewayEnv,
      ns.env({ GATEWAY_PORT: '0', GATEWAY_RATE_LIMIT_PER_MINUTE: '0', CCSYNC_METRICS_TOKEN: METRICS_TOKEN }),
    ),
    logger,
  );
  const post = async (path: string, token: string, body: unknown) => {
    const response = await fetch(`${ingest.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBeLessThan(300);
    return response.json();
  };
  // The callers belong to an account of their own; the server's admin token is the operator.
  const admin = CreateAccountReply.parse(await post('/v1/accounts', ns.adminToken, { id: 'team' })).adminToken.token;
  Object.assign(tokens, {
    nobody: undefined,
    forged: 'ccsync_forged_token_that_was_never_issued',
    operator: ns.adminToken,
    admin,
    viewer: IssuedToken.parse(await post('/v1/tokens', admin, { scope: 'viewer' })).token,
    device: RegisterDeviceReply.parse(await post('/v1/devices', admin, { device: 'team-box' })).token.token,
    metrics: METRICS_TOKEN,
  });
});
afterAll(async () => {
  await scheduler?.stop();
  await gateway?.close();
  await ingest?.close();
});

interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
  /** The callers allowed, and the status they get; everyone else is refused. */
  readonly allowed: Partial<Record<Caller, number>>;
}

const readers = { operator: 200, admin: 200, viewer: 200 } as const;
const ROUTES: readonly Route[] = [
  { method: 'GET', path: '/api/status', allowed: readers },
  { method: 'GET', path: '/api/usage', allowed: readers },
  { method: 'GET', path: '/api/devices', allowed: readers },
  { method: 'GET', path: '/api/usage/team-box', allowed: { operator: 404, admin: 404, viewer: 404 } },
  { method: 'GET', path: '/api/stats/daily', allowed: readers },
  { method: 'GET', path: '/api/stats/weekly', allowed: readers },
  { method: 'GET', path: '/api/stats/monthly', allowed: readers },
  { method: 'GET', path: '/api/stats/session', allowed: readers },
  { method: 'GET', path: '/api/stats/blocks', allowed: readers },
  { method: 'GET', path: '/api/blocks/active', allowed: readers },
  { method: 'GET', path: '/api/rate-limits', allowed: readers },
  { method: 'GET', path: '/v1/stats/daily', allowed: readers },
  { method: 'GET', path: '/v1/stats/totals', allowed: readers },
  { method: 'GET', path: '/v1/stats/machines', allowed: readers },
  { method: 'GET', path: '/v1/stats/models', allowed: readers },
  { method: 'GET', path: '/api/metrics', allowed: readers },
  { method: 'GET', path: '/api/metrics/matrix.key', allowed: { operator: 404, admin: 404, viewer: 404 } },
  {
    method: 'POST',
    path: '/api/metrics/matrix.written',
    body: { value: 1 },
    allowed: { operator: 200, admin: 200, device: 200 },
  },
  { method: 'DELETE', path: '/api/metrics/matrix.absent', allowed: { operator: 404, admin: 404, device: 404 } },
  // Each account has its own jobs, so the operator and the account's admin each create one.
  { method: 'GET', path: '/api/cron/jobs', allowed: { operator: 200, admin: 200 } },
  {
    method: 'POST',
    path: '/api/cron/jobs',
    body: { name: 'matrix-sync', schedule: '0 0 1 1 *', kind: 'sync' },
    allowed: { operator: 201, admin: 201 },
  },
  { method: 'GET', path: '/api/cron/jobs/matrix-sync', allowed: { operator: 200, admin: 200 } },
  {
    method: 'PUT',
    path: '/api/cron/jobs/matrix-sync',
    body: { enabled: false },
    allowed: { operator: 200, admin: 200 },
  },
  { method: 'POST', path: '/api/cron/jobs/matrix-sync/execute', allowed: { operator: 202, admin: 202 } },
  { method: 'GET', path: '/api/cron/jobs/matrix-sync/runs', allowed: { operator: 200, admin: 200 } },
  { method: 'DELETE', path: '/api/cron/jobs/matrix-sync', allowed: { operator: 204, admin: 204 } },
  { method: 'POST', path: '/api/usage/ccusage', allowed: { operator: 404, admin: 404 } },
  { method: 'PUT', path: '/api/usage/sync', allowed: { operator: 202, admin: 202 } },
  { method: 'GET', path: '/api/admin/projections', allowed: { operator: 200 } },
  { method: 'GET', path: '/api/config', allowed: { operator: 200 } },
  { method: 'PUT', path: '/api/config', body: {}, allowed: { operator: 200 } },
  { method: 'GET', path: '/api/config/redis', allowed: { operator: 200 } },
  { method: 'PUT', path: '/api/config/redis', body: {}, allowed: { operator: 409 } },
  { method: 'POST', path: '/api/admin/projections/rebuild', allowed: { operator: 202 } },
  { method: 'GET', path: '/metrics', allowed: { operator: 200, admin: 200, metrics: 200 } },
  {
    method: 'GET',
    path: '/health',
    allowed: { nobody: 200, forged: 200, operator: 200, admin: 200, viewer: 200, device: 200, metrics: 200 },
  },
];

const CALLERS: readonly Caller[] = ['nobody', 'forged', 'operator', 'admin', 'viewer', 'device', 'metrics'];

describe('the authorization matrix', () => {
  it.each(ROUTES)('$method $path', async ({ method, path, body, allowed }) => {
    const statuses: Record<string, number> = {};
    for (const caller of CALLERS) {
      const token = tokens[caller];
      const response = await fetch(`${gateway.url}${path}`, {
        method,
        headers: {
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      await response.arrayBuffer();
      statuses[caller] = response.status;
    }
    const refused = (caller: Caller) => (caller === 'nobody' || caller === 'forged' ? 401 : 403);
    expect(statuses).toEqual(Object.fromEntries(CALLERS.map((caller) => [caller, allowed[caller] ?? refused(caller)])));
  });
});

describe('two accounts on one server', () => {
  it('keep their live metrics and device usage apart', async () => {
    const call = (token: string, path: string, init: RequestInit = {}) =>
      fetch(`${gateway.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    const set = await call(tokens.admin as string, '/api/metrics/shared.name', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 'team' }),
    });
    expect(set.status).toBe(200);
    // The server's own account (the operator's) has a metric of the same name only once it sets one.
    expect((await call(ns.adminToken, '/api/metrics/shared.name')).status).toBe(404);
    expect((await call(tokens.viewer as string, '/api/metrics/shared.name')).status).toBe(200);
    // A device of the other account is not found, never forbidden: nothing says it exists.
    expect((await call(tokens.viewer as string, '/api/usage/laptop')).status).toBe(404);
  });
});
