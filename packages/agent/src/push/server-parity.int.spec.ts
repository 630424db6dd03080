import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AccountUsageReply, CURRENT_PROJECTION_VERSION, viewKeys } from '@ccsync/contracts';
import type { Gateway } from '@ccsync/gateway';
import type { Ingest } from '@ccsync/ingest';
import { Redis } from '@ccsync/service-kit';
import {
  ccusageBinary,
  generateTranscriptCorpus,
  useTestNamespace,
  waitFor,
  writeTranscriptCorpus,
} from '@ccsync/testkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN as BIN, startTestStack, type TestStack } from '../test-stack.ts';

/*
 * Truth 1 on the server: after each device pushed its transcripts, the account's totals equal
 * what ccusage reports over the union of the devices' directories.
 */
const ns = useTestNamespace();
let stack: TestStack;
let ingest: Ingest;
let gateway: Gateway;
let redis: Redis;
let workDir: string;

beforeAll(async () => {
  // Two projector replicas share the work, so every total below is also their agreement.
  stack = await startTestStack(ns, {}, 2);
  ({ ingest, gateway } = stack);
  redis = new Redis(ns.redisUrl);
  workDir = await mkdtemp(join(tmpdir(), 'ccsync-server-parity-'));
});
afterAll(async () => {
  await stack?.close();
  redis?.disconnect();
  await rm(workDir, { recursive: true, force: true });
});

/** Each corpus gets an account-wide view of its own by using a distinct device-name prefix. */
describe.each([
  { seed: 5, devices: 1, sessionsPerDevice: 8 },
  { seed: 23, devices: 3, sessionsPerDevice: 5 },
  { seed: 61, devices: 4, sessionsPerDevice: 6 },
])('server totals after push, corpus seed $seed ($devices devices)', (corpus) => {
  it('equal ccusage’s totals over the same transcripts', async () => {
    const root = join(workDir, `seed-${corpus.seed}`);
    const configDirs = await writeTranscriptCorpus(generateTranscriptCorpus(corpus), root);
    const devices = configDirs.map((dir) => `s${corpus.seed}-${basename(dir)}`);

    // Devices push one after the other, in ccusage's directory order.
    let lastSeq = 0;
    for (const [index, dir] of configDirs.entries()) {
      const push = await execa(
        'node',
        [
          BIN,
          'push',
          '--json',
          '--ingest',
          ingest.url,
          '--token',
          ns.adminToken,
          '--device',
          devices[index] ?? '',
          '--claude-dir',
          dir,
          '--state-dir',
          join(root, `state-${index}`),
        ],
        // Small batches make many events, which both projector replicas apply side by side.
        { preferLocal: true, env: { CCSYNC_PUSH_BATCH_SIZE: '25' } },
      );
      lastSeq = Math.max(lastSeq, JSON.parse(push.stdout).lastSeq ?? 0);
    }
    const checkpoint = viewKeys(ns.names, CURRENT_PROJECTION_VERSION).checkpoint;
    await waitFor(async () => Number(await redis.get(checkpoint)) >= lastSeq, { timeoutMs: 20_000 });

    const response = await fetch(`${gateway.url}/api/usage`, { headers: { authorization: `Bearer ${ns.adminToken}` } });
    const server = AccountUsageReply.parse(await response.json()).devices.filter((device) =>
      devices.includes(device.device),
    );
    const sum = (
      field: 'inputTokens' | 'outputTokens' | 'cacheCreationTokens' | 'cacheReadTokens' | 'totalTokens' | 'totalCost',
    ) => server.reduce((total, device) => total + device[field], 0);

    const ccusage = await execa(await ccusageBinary(), ['claude', 'daily', '--json', '--offline', '-z', 'UTC'], {
      cwd: root,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '', HOME: root, CLAUDE_CONFIG_DIR: configDirs.join(',') },
    });
    const { totals } = JSON.parse(ccusage.stdout);
    expect(totals.totalTokens).toBeGreaterThan(0);
    expect({
      inputTokens: sum('inputTokens'),
      outputTokens: sum('outputTokens'),
      cacheCreationTokens: sum('cacheCreationTokens'),
      cacheReadTokens: sum('cacheReadTokens'),
      totalTokens: sum('totalTokens'),
    }).toEqual({
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      cacheCreationTokens: totals.cacheCreationTokens,
      cacheReadTokens: totals.cacheReadTokens,
      totalTokens: totals.totalTokens,
    });
    expect(Math.abs(sum('totalCost') - totals.totalCost)).toBeLessThan(1e-6);
  });
});
