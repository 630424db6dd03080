import { type LocalServer, spawnNatsServer, usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ingest } from '../app.ts';
import { startTestIngest } from '../test-ingest.ts';

// This file stops and restarts NATS, so it runs against a NATS server of its own.
const ns = useTestNamespace();
let nats: LocalServer;
let ingest: Ingest;

beforeAll(async () => {
  nats = await spawnNatsServer();
  ingest = await startTestIngest(ns, { NATS_URL: nats.url, INGEST_PUBLISH_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  await ingest?.close();
  await nats?.dispose();
});

const push = (seed: string) =>
  fetch(`${ingest.url}/v1/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ns.adminToken}` },
    body: JSON.stringify({ device: 'laptop', entries: [usageEntry(seed)] }),
  });

describe('while NATS is down', () => {
  it('answers 503 with Retry-After, is not ready, and accepts again once NATS is back', async () => {
    expect((await push('before')).status).toBe(202);
    await nats.stop();

    const refused = await push('during');
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toMatchObject({ code: 'CCSYNC_STORE_UNAVAILABLE' });
    expect((await fetch(`${ingest.url}/ready`)).status).toBe(503);

    await nats.start();
    const accepted = await waitFor(async () => ((await push('after')).status === 202 ? true : undefined), {
      timeoutMs: 20_000,
      description: 'ingest to accept again after NATS restarted',
    });
    expect(accepted).toBe(true);
  });
});
