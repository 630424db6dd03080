import { decodeEvent, PushUsageReply, UsageRecordedV1 } from '@ccsync/contracts';
import { usageEntry, useTestNamespace } from '@ccsync/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from '../app.ts';
import { startTestIngest } from '../test-ingest.ts';

const ns = useTestNamespace();
let ingest: Ingest;
let nc: NatsConnection;

const push = (body: unknown, token: string | null = ns.adminToken) =>
  fetch(`${ingest.url}/v1/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const storedMessages = async () =>
  (await (await jetstreamManager(nc)).streams.info(ns.names.eventStream)).state.messages;

beforeAll(async () => {
  ingest = await startTestIngest(ns, { INGEST_BODY_LIMIT_BYTES: '65536' });
  nc = await connect({ servers: ns.natsUrl });
});
afterAll(async () => {
  await ingest?.close();
  await nc?.close();
});

describe('POST /v1/usage', () => {
  const entries = [
    usageEntry('a'),
    usageEntry('b', {
      usage: { inputTokens: 5, outputTokens: 7, cacheCreationInputTokens: 11, cacheReadInputTokens: 13 },
    }),
  ];

  it('replies 202 once JetStream has stored the batch as one UsageRecorded event', async () => {
    const response = await push({ device: 'laptop', entries });
    expect(response.status).toBe(202);
    const reply = PushUsageReply.parse(await response.json());
    expect(reply).toMatchObject({ accepted: 2, duplicate: false });

    const stored = await (await jetstreamManager(nc)).streams.getMessage(ns.names.eventStream, { seq: reply.seq });
    if (stored === null) throw new Error(`no message at ${reply.seq}`);
    expect(stored.subject).toBe(`${ns.namespace}.events.default.UsageRecorded`);
    const decoded = decodeEvent(stored.json());
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.event).toMatchObject({
      id: reply.eventId,
      type: 'UsageRecorded',
      version: 1,
      account: 'default',
      device: 'laptop',
    });
    expect(decoded.event.data).toEqual(UsageRecordedV1.parse({ source: 'transcript', entries }));
    expect(decoded.event.occurredAt).toBe(entries[1]?.timestamp);
  });

  it('stores a resent batch once: same event id and sequence, marked duplicate', async () => {
    const before = await storedMessages();
    const first = PushUsageReply.parse(await (await push({ device: 'desktop', entries })).json());
    const again = await push({ device: 'desktop', entries });
    expect(again.status).toBe(202);
    expect(PushUsageReply.parse(await again.json())).toEqual({ ...first, duplicate: true });
    expect(await storedMessages()).toBe(before + 1);
  });

  it('refuses a missing or unknown token with 401 and stores nothing', async () => {
    const before = await storedMessages();
    const anonymous = await push({ device: 'laptop', entries }, null);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ statusCode: 401, code: 'CCSYNC_UNAUTHORIZED' });
    expect((await push({ device: 'laptop', entries }, 'ccsync_admin_not-the-token-at-all-000000000')).status).toBe(401);
    expect(await storedMessages()).toBe(before);
  });

  it('needs the device named when the token is not bound to one', async () => {
    const response = await push({ entries });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'CCSYNC_DEVICE_REQUIRED' });
  });

  it.each([
    ['a body that is not JSON', '{"device":"laptop","entries":[', 'FST_ERR_CTP_INVALID_JSON_BODY'],
    ['no entries', { device: 'laptop', entries: [] }, 'CCSYNC_VALIDATION'],
    [
      'a negative token count',
      {
        device: 'laptop',
        entries: [
          usageEntry('n', {
            usage: { inputTokens: -1, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
          }),
        ],
      },
      'CCSYNC_VALIDATION',
    ],
    [
      'a timestamp that is not ISO 8601',
      { device: 'laptop', entries: [usageEntry('t', { timestamp: 'yesterday' })] },
      'CCSYNC_VALIDATION',
    ],
    ['a device id with a colon', { device: 'evil:device', entries }, 'CCSYNC_VALIDATION'],
  ])('answers 400 for %s and stores nothing', async (_case, body, code) => {
    const before = await storedMessages();
    const response = await push(body);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ statusCode: 400, code });
    expect(await storedMessages()).toBe(before);
  });

  it('names the offending field in a validation error', async () => {
    const response = await push({ device: 'laptop', entries: [usageEntry('f', { timestamp: 'yesterday' })] });
    expect(((await response.json()) as { message: string }).message).toContain('entries/0/timestamp');
  });

  it('answers 413 for a body over the configured limit and stores nothing', async () => {
    const before = await storedMessages();
    const many = Array.from({ length: 400 }, (_, index) => usageEntry(`big-${index}`));
    const response = await push({ device: 'laptop', entries: many });
    expect(response.status).toBe(413);
    expect(await storedMessages()).toBe(before);
  });

  it('answers 413, not a 503 to retry, for a batch larger than NATS takes in one message', async () => {
    const roomy = await startTestIngest(ns, { INGEST_BODY_LIMIT_BYTES: String(32 * 1024 * 1024) });
    try {
      const maxPayload = nc.info?.max_payload ?? 0;
      // Long project paths make each entry about 1 KiB, so 5,000 of them pass any max_payload up to 4 MiB.
      const entries = Array.from({ length: 5000 }, (_, index) =>
        usageEntry(`huge-${index}`, { projectPath: `/home/me/${'x'.repeat(900)}` }),
      );
      expect(JSON.stringify(entries).length).toBeGreaterThan(maxPayload);
      const before = await storedMessages();
      const response = await fetch(`${roomy.url}/v1/usage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ns.adminToken}` },
        body: JSON.stringify({ device: 'laptop', entries }),
      });
      expect(response.status).toBe(413);
      const reply = (await response.json()) as { code: string; message: string };
      expect(reply.code).toBe('CCSYNC_EVENT_TOO_LARGE');
      expect(reply.message).toContain(`max_payload ${maxPayload}`);
      expect(await storedMessages()).toBe(before);
    } finally {
      await roomy.close();
    }
  });
});

describe('probes', () => {
  it('answers /health and /ready without a token', async () => {
    const health = await fetch(`${ingest.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'ingest' });
    const ready = await fetch(`${ingest.url}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { nats: 'up', redis: 'up' } });
  });
});

describe('the event stream', () => {
  it('is created once and left as it is when another replica starts', async () => {
    const second = await startTestIngest(ns);
    try {
      const info = await (await jetstreamManager(nc)).streams.info(ns.names.eventStream);
      expect(info.config).toMatchObject({
        subjects: [`${ns.namespace}.events.>`],
        storage: 'file',
        max_age: 0,
        num_replicas: 1,
        deny_delete: true,
        deny_purge: true,
      });
    } finally {
      await second.close();
    }
  });
});
