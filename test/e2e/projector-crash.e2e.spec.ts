import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccountUsageReply, CURRENT_PROJECTION_VERSION, viewKeys } from '@ccsync/contracts';
import {
  ccusageBinary,
  generateTranscriptCorpus,
  type ServiceProcess,
  startServiceProcess,
  useTestNamespace,
  waitFor,
  writeTranscriptCorpus,
} from '@ccsync/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * Truths 1 and 2 under failure: the projector is killed with SIGKILL at random points while two
 * devices push their histories, and restarted each time; the final totals are still exactly
 * ccusage's over the same transcripts.
 */
const ns = useTestNamespace();
const AGENT = fileURLToPath(new URL('../../packages/agent/bin/ccsync.js', import.meta.url));
const env = ns.env({ LOG_LEVEL: 'warn' });
let ingest: ServiceProcess;
let gateway: ServiceProcess;
let projector: ServiceProcess;
let redis: Redis;
let root: string;

beforeAll(async () => {
  [ingest, gateway, projector] = await Promise.all([
    startServiceProcess('ingest', env),
    startServiceProcess('gateway', env),
    startServiceProcess('projector', env),
  ]);
  redis = new Redis(ns.redisUrl);
  root = await mkdtemp(join(tmpdir(), 'ccsync-crash-'));
});
afterAll(async () => {
  await Promise.all([ingest, gateway, projector].map((service) => service?.stop('SIGKILL')));
  redis?.disconnect();
  await rm(root, { recursive: true, force: true });
});

describe('a projector killed with SIGKILL while usage streams in', () => {
  it('ends, after restarts, with totals exactly equal to ccusage’s', async () => {
    const configDirs = await writeTranscriptCorpus(
      generateTranscriptCorpus({ seed: 77, devices: 2, sessionsPerDevice: 60 }),
      root,
    );
    const checkpoint = viewKeys(ns.names, CURRENT_PROJECTION_VERSION).checkpoint;
    const applied = async () => Number(await redis.get(checkpoint));

    const pushes = configDirs.map((dir, index) =>
      execa(
        'node',
        [
          AGENT,
          'push',
          '--json',
          '--ingest',
          ingest.url,
          '--token',
          ns.adminToken,
          '--device',
          basename(dir),
          '--claude-dir',
          dir,
          '--state-dir',
          join(root, `state-${index}`),
        ],
        { preferLocal: true, env: { CCSYNC_PUSH_BATCH_SIZE: '20' } },
      ),
    );

    // Three times: let the projector apply a little more, then kill it mid-work and start another.
    for (let kill = 0; kill < 3; kill++) {
      const reached = await applied();
      await waitFor(async () => (await applied()) > reached + 5 + Math.floor(Math.random() * 20), {
        timeoutMs: 30_000,
        intervalMs: 5,
      });
      expect(await projector.stop('SIGKILL')).toBeNull();
      projector = await startServiceProcess('projector', env);
    }

    const lastSeq = Math.max(
      ...(await Promise.all(pushes)).map((result) => JSON.parse(result.stdout).lastSeq as number),
    );
    // Caught up means every event acknowledged: what a killed projector held unacknowledged comes
    // back only after the ack wait, possibly after later events were applied.
    const nc = await connect({ servers: ns.natsUrl });
    const jsm = await jetstreamManager(nc);
    const consumer = ns.names.projectorConsumer(CURRENT_PROJECTION_VERSION);
    await waitFor(
      async () => {
        const info = await jsm.consumers.info(ns.names.eventStream, consumer);
        return (await applied()) >= lastSeq && info.num_pending === 0 && info.num_ack_pending === 0;
      },
      { timeoutMs: 120_000, intervalMs: 250, description: 'the projector to apply and acknowledge every event' },
    );
    await nc.close();

    const response = await fetch(`${gateway.url}/api/usage`, { headers: { authorization: `Bearer ${ns.adminToken}` } });
    const { totals } = AccountUsageReply.parse(await response.json());
    const ccusage = await execa(await ccusageBinary(), ['claude', 'daily', '--json', '--offline', '-z', 'UTC'], {
      cwd: root,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '', HOME: root, CLAUDE_CONFIG_DIR: configDirs.join(',') },
    });
    const expected = JSON.parse(ccusage.stdout).totals;
    expect({
      inputTokens: totals.inputTokens,
      outputTokens: totals.outputTokens,
      cacheCreationTokens: totals.cacheCreationTokens,
      cacheReadTokens: totals.cacheReadTokens,
      totalTokens: totals.totalTokens,
    }).toEqual({
      inputTokens: expected.inputTokens,
      outputTokens: expected.outputTokens,
      cacheCreationTokens: expected.cacheCreationTokens,
      cacheReadTokens: expected.cacheReadTokens,
      totalTokens: expected.totalTokens,
    });
    expect(Math.abs(totals.totalCost - expected.totalCost)).toBeLessThan(1e-6);
  }, 180_000);
});
