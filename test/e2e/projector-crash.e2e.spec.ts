import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AccountUsageReply } from '@ccsync/contracts';
import { ProjectionRegistry } from '@ccsync/service-kit';
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
// Two backfills of 200k lines are well over the per-token request limit meant for live use.
const env = ns.env({ LOG_LEVEL: 'warn', INGEST_RATE_LIMIT_PER_MINUTE: '0' });
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
      // About 200k transcript lines.
      generateTranscriptCorpus({ seed: 77, devices: 2, sessionsPerDevice: 1950 }),
      root,
    );
    const registry = new ProjectionRegistry(redis, ns.names);
    const applied = () => registry.activeCheckpoint();

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
        { preferLocal: true, env: { CCSYNC_PUSH_BATCH_SIZE: '200' } },
      ),
    );

    let pushing = true;
    const pushed = Promise.all(pushes).finally(() => {
      pushing = false;
    });
    // Up to three times while usage streams in: let the projector apply a little more, then kill
    // it at a random moment of its work and start another.
    let kills = 0;
    while (kills < 3 && pushing) {
      const target = (await applied()) + 1 + Math.floor(Math.random() * 100);
      await waitFor(async () => !pushing || (await applied()) >= target, { timeoutMs: 60_000, intervalMs: 5 });
      if (!pushing) break;
      expect(await projector.stop('SIGKILL')).toBeNull();
      kills++;
      projector = await startServiceProcess('projector', env);
    }
    expect(kills).toBeGreaterThan(0);

    const results = (await pushed).map((result) => JSON.parse(result.stdout) as { spooled: number; lastSeq: number });
    expect(results.map((result) => result.spooled)).toEqual([0, 0]);
    const lastSeq = Math.max(...results.map((result) => result.lastSeq));
    // Caught up means every event acknowledged: what a killed projector held unacknowledged comes
    // back only after the ack wait, possibly after later events were applied.
    const nc = await connect({ servers: ns.natsUrl });
    const jsm = await jetstreamManager(nc);
    const consumer = ns.names.projectorConsumer((await registry.activeVersion()) ?? 0);
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
