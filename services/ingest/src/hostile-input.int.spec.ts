import { usageEntry, useTestNamespace } from '@ccsync/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from './app.ts';
import { startTestIngest } from './test-ingest.ts';

/*
 * Random and hostile requests at every route: none may crash the service, answer 5xx, or write
 * an event unless it was accepted.
 */
const ns = useTestNamespace();
let ingest: Ingest;
let nc: NatsConnection;

beforeAll(async () => {
  ingest = await startTestIngest(ns, { INGEST_BODY_LIMIT_BYTES: '65536' });
  nc = await connect({ servers: ns.natsUrl });
});
afterAll(async () => {
  await ingest?.close();
  await nc?.close();
});

const storedEvents = async () => (await (await jetstreamManager(nc)).streams.info(ns.names.eventStream)).state.messages;

const ROUTES = [
  ['POST', '/v1/usage'],
  ['POST', '/v1/heartbeat'],
  ['POST', '/v1/logs'],
  ['POST', '/v1/metrics'],
  ['POST', '/v1/snapshots'],
  ['POST', '/v1/rate-limits'],
  ['POST', '/v1/accounts'],
  ['POST', '/v1/devices'],
  ['POST', '/v1/tokens'],
  ['GET', '/v1/tokens'],
  ['GET', '/v1/whoami'],
] as const;

/** Bodies that are almost right: a valid push with one part replaced by anything at all. */
const nearlyValidPush = fc
  .record({
    field: fc.constantFrom(
      'device',
      'source',
      'entries',
      'entries.0',
      'entries.0.usage',
      'entries.0.timestamp',
      'entries.0.id',
    ),
    value: fc.oneof(fc.anything(), fc.string(), fc.integer(), fc.double(), fc.constant(null), fc.array(fc.anything())),
  })
  .map(({ field, value }) => {
    const body: Record<string, unknown> = { device: 'laptop', entries: [usageEntry('fuzz')] };
    const path = field.split('.');
    let target: Record<string, unknown> = body;
    for (const part of path.slice(0, -1)) target = target[part] as Record<string, unknown>;
    target[path.at(-1) as string] = value;
    return JSON.stringify(body);
  });

const hostileText = fc.oneof(
  fc.json(),
  fc.string(),
  fc.constantFrom(
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{"x":1}}}',
    '[]',
    'null',
    '{"entries":[{}]}',
  ),
  nearlyValidPush,
);

const contentTypes = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  'application/x-protobuf',
);

describe('hostile input', () => {
  it('never answers 5xx, never writes what it refused, and stays healthy', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        hostileText,
        contentTypes,
        fc.constantFrom(ns.adminToken, 'wrong-token', ''),
        async ([method, path], body, contentType, token) => {
          const before = await storedEvents();
          const response = await fetch(`${ingest.url}${path}`, {
            method,
            headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) },
            ...(method === 'GET' ? {} : { body }),
          });
          expect(response.status).toBeLessThan(500);
          const reply = await response.text();
          if (response.status >= 400) {
            expect(JSON.parse(reply)).toMatchObject({ statusCode: response.status, code: expect.any(String) });
            expect(await storedEvents()).toBe(before);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect({} as Record<string, unknown>).not.toHaveProperty('polluted');
    expect((await fetch(`${ingest.url}/health`)).status).toBe(200);
  });

  it('answers 415 for a body that is not JSON, and 413 for one over the limit', async () => {
    const asText = await fetch(`${ingest.url}/v1/usage`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: `Bearer ${ns.adminToken}` },
      body: 'hello',
    });
    expect(asText.status).toBe(415);
    const huge = await fetch(`${ingest.url}/v1/usage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ns.adminToken}` },
      body: JSON.stringify({ device: 'laptop', entries: [usageEntry('x', { projectPath: 'p'.repeat(70_000) })] }),
    });
    expect(huge.status).toBe(413);
  });
});
