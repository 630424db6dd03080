import { appendFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalServer, spawnNatsServer, useTestNamespace, waitFor } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgentPush, startTestStack, type TestStack } from '../test-stack.ts';

/*
 * NATS goes away in the middle of a device's history: ingest refuses with 503, the agent spools
 * and exits 0, and once NATS is back the spool is delivered and the totals are exact.
 */
const ns = useTestNamespace();
let nats: LocalServer;
let stack: TestStack;
let root: string;

beforeAll(async () => {
  nats = await spawnNatsServer();
  stack = await startTestStack(ns, { NATS_URL: nats.url, INGEST_PUBLISH_TIMEOUT_MS: '1000' });
  root = await mkdtemp(join(tmpdir(), 'ccsync-outage-'));
});
afterAll(async () => {
  await stack?.close();
  await nats?.dispose();
});

const line = (id: number) =>
  `${JSON.stringify({
    type: 'assistant',
    timestamp: '2026-11-20T10:00:00.000Z',
    sessionId: 'outage',
    requestId: `req_${id}`,
    message: { id: `msg_${id}`, model: 'claude-haiku-4-5-20251001', usage: { input_tokens: id, output_tokens: 1 } },
  })}\n`;
const lines = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, index) => line(from + index)).join('');

describe('NATS stops during a push', () => {
  it('makes the agent spool and retry, and the final totals are exact', async () => {
    const transcript = join(root, 'claude', 'projects', 'p', 's.jsonl');
    await mkdir(join(root, 'claude', 'projects', 'p'), { recursive: true });
    const push = () =>
      runAgentPush({
        ingest: stack.ingest.url,
        token: ns.adminToken,
        device: 'survivor',
        claudeDir: join(root, 'claude'),
        stateDir: join(root, 'state'),
      });

    await writeFile(transcript, lines(1, 100));
    expect(await push()).toMatchObject({ exitCode: 0, acknowledged: 100, spooled: 0, waiting: 0 });

    await nats.stop();
    await appendFile(transcript, lines(101, 150));
    expect(await push()).toMatchObject({ exitCode: 0, entriesRead: 50, acknowledged: 0, spooled: 50, waiting: 50 });

    await nats.start();
    // Until every service has reconnected, a push may spool again; it always exits 0.
    await waitFor(async () => (await push()).waiting === 0, {
      timeoutMs: 20_000,
      intervalMs: 250,
      description: 'a push that leaves nothing in the spool',
    });

    const expectedInput = (150 * 151) / 2;
    const usage = await waitFor(
      async () => {
        const current = await stack.serverUsage('survivor');
        return current?.entries === 150 ? current : undefined;
      },
      { timeoutMs: 20_000 },
    );
    expect(usage).toMatchObject({ entries: 150, inputTokens: expectedInput, outputTokens: 150 });
  });
});
