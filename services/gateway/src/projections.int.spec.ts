import { AccountUsageReply, IssuedToken, ProjectionsReply, RebuildReply } from '@ccsync/contracts';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { type Projector, ProjectorEnv, startProjector } from '@ccsync/projector';
import { createLogger, ProjectionRegistry, parseEnv, Redis } from '@ccsync/service-kit';
import { usageEntry, useTestNamespace, waitFor, waitForProjection } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Gateway, startGateway } from './app.ts';
import { GatewayEnv } from './config.ts';

/*
 * Rebuilding the views from the history while usage keeps arriving: reads are served throughout,
 * switch to the new version when it has caught up, and nothing is lost. Two projector replicas
 * share the work, as they would in a deployment.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const auth = { authorization: `Bearer ${ns.adminToken}` };
let ingest: Ingest;
let projectors: Projector[];
let gateway: Gateway;
let redis: Redis;
let registry: ProjectionRegistry;

beforeAll(async () => {
  // The test pushes and reads as fast as it can, well over the per-token limits meant for people.
  ingest = await startIngest(
    parseEnv(IngestEnv, ns.env({ INGEST_PORT: '0', INGEST_RATE_LIMIT_PER_MINUTE: '0' })),
    logger,
  );
  const projectorEnv = parseEnv(ProjectorEnv, ns.env({ PROJECTOR_PORT: '0' }));
  projectors = await Promise.all([startProjector(projectorEnv, logger), startProjector(projectorEnv, logger)]);
  gateway = await startGateway(
    parseEnv(GatewayEnv, ns.env({ GATEWAY_PORT: '0', GATEWAY_RATE_LIMIT_PER_MINUTE: '0' })),
    logger,
  );
  redis = new Redis(ns.redisUrl);
  registry = new ProjectionRegistry(redis, ns.names);
});
afterAll(async () => {
  await gateway?.close();
  await Promise.all((projectors ?? []).map((projector) => projector.close()));
  await ingest?.close();
  redis?.disconnect();
});

let pushed = 0;
/** Pushes `count` new entries of 10 input tokens each from one of three devices; returns the sequence. */
async function push(count: number): Promise<number> {
  const device = ['laptop', 'desktop', 'server'][pushed % 3];
  const entries = Array.from({ length: count }, () => {
    pushed++;
    return usageEntry(`entry-${pushed}`, {
      messageId: `msg_${pushed}`,
      requestId: `req_${pushed}`,
      usage: { inputTokens: 10, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
    });
  });
  const response = await fetch(`${ingest.url}/v1/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({ device, entries }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { seq: number }).seq;
}

async function projections() {
  const response = await fetch(`${gateway.url}/api/admin/projections`, { headers: auth });
  expect(response.status).toBe(200);
  return ProjectionsReply.parse(await response.json());
}

async function usage() {
  const response = await fetch(`${gateway.url}/api/usage`, { headers: auth });
  expect(response.status).toBe(200);
  return AccountUsageReply.parse(await response.json());
}

describe('GET /api/admin/projections', () => {
  it('shows an empty history, not an error, on a server whose ingest never started', async () => {
    // A namespace of its own: no stream, no projector, no registry.
    const empty = await startGateway(
      parseEnv(GatewayEnv, ns.env({ GATEWAY_PORT: '0', CCSYNC_NAMESPACE: `${ns.names.namespace}x` })),
      logger,
    );
    try {
      const response = await fetch(`${empty.url}/api/admin/projections`, { headers: auth });
      expect(response.status).toBe(200);
      expect(ProjectionsReply.parse(await response.json())).toEqual({
        projections: [],
        stream: { events: 0, lastSeq: 0 },
      });
    } finally {
      await empty.close();
    }
  });

  it('shows the active version caught up with the stream, and its apply rate', async () => {
    const seq = await push(5);
    const state = await waitFor(async () => {
      const body = await projections();
      return body.projections[0]?.acknowledgedThrough === seq ? body : undefined;
    });
    expect(state.projections).toHaveLength(1);
    expect(state.projections[0]).toMatchObject({
      version: 1,
      state: 'active',
      layout: expect.any(Number),
      checkpoint: seq,
      lagEvents: 0,
      lagSeconds: 0,
    });
    expect(state.stream.lastSeq).toBe(seq);
    // The rate counts whole seconds before now: the event applied a moment ago shows within one.
    await waitFor(async () => ((await projections()).projections[0]?.eventsPerSecond ?? 0) > 0);
  });

  it('is for the server’s admin token only: an account admin or a viewer gets 403', async () => {
    const post = async (path: string, token: string, body: unknown) =>
      fetch(`${ingest.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const viewer = IssuedToken.parse(await (await post('/v1/tokens', ns.adminToken, { scope: 'viewer' })).json());
    const admin = IssuedToken.parse(await (await post('/v1/tokens', ns.adminToken, { scope: 'admin' })).json());
    for (const token of [viewer.token, admin.token]) {
      const headers = { authorization: `Bearer ${token}` };
      expect((await fetch(`${gateway.url}/api/admin/projections`, { headers })).status).toBe(403);
      const rebuild = await fetch(`${gateway.url}/api/admin/projections/rebuild`, { method: 'POST', headers });
      expect(rebuild.status).toBe(403);
    }
    expect((await fetch(`${gateway.url}/api/admin/projections`)).status).toBe(401);
    expect((await registry.list()).map((entry) => entry.version)).toEqual([1]);
  });
});

describe('POST /api/admin/projections/rebuild', () => {
  it('builds a new version while usage keeps arriving, serves reads throughout, and loses nothing', {
    timeout: 90_000,
  }, async () => {
    for (let batch = 0; batch < 30; batch++) await push(20);
    const before = await waitFor(async () => {
      const body = await usage();
      return body.totals.entries === pushed ? body : undefined;
    });

    // Usage keeps arriving, and reads keep being answered, until the switch is done.
    let ingesting = true;
    const writer = (async () => {
      while (ingesting) await push(10);
    })();
    const reads: number[] = [];
    let reading = true;
    const reader = (async () => {
      while (reading) reads.push((await usage()).totals.inputTokens);
    })();

    try {
      const response = await fetch(`${gateway.url}/api/admin/projections/rebuild`, { method: 'POST', headers: auth });
      expect(response.status).toBe(202);
      expect(RebuildReply.parse(await response.json())).toEqual({ version: 2, created: true });
      const again = await fetch(`${gateway.url}/api/admin/projections/rebuild`, { method: 'POST', headers: auth });
      expect(RebuildReply.parse(await again.json())).toEqual({ version: 2, created: false });
      await waitFor(async () => (await registry.activeVersion()) === 2, {
        timeoutMs: 30_000,
        description: 'reads to switch to the rebuilt version',
      });
    } finally {
      ingesting = false;
      await writer;
    }
    const lastSeq = await push(1);
    try {
      await waitForProjection(ns, lastSeq);
    } finally {
      reading = false;
      await reader;
    }

    // Every read was answered, and none fell back below what was there before the rebuild.
    expect(reads.length).toBeGreaterThan(0);
    expect(Math.min(...reads)).toBeGreaterThanOrEqual(before.totals.inputTokens);
    const after = await usage();
    expect(after.totals.entries).toBe(pushed);
    expect(after.totals.inputTokens).toBe(pushed * 10);
    expect(after.devices.map((device) => device.device)).toEqual(['desktop', 'laptop', 'server']);

    // The replaced version is removed after its grace period: its consumer, its keys, its entry.
    await waitFor(async () => (await registry.list()).length === 1, { timeoutMs: 30_000 });
    expect(await redis.keys(`${ns.names.redisPrefix}v1:*`)).toEqual([]);
    const state = await projections();
    expect(state.projections.map(({ version, state: phase }) => [version, phase])).toEqual([[2, 'active']]);
    expect(state.projections[0]?.reason).toBe('requested through the API');
  });
});
