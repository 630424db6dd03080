import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AccountUsageReply, RemoveMachineReply } from '@ccsync/contracts';
import { ProjectionRegistry, Redis } from '@ccsync/service-kit';
import {
  ccusageBinary,
  expectSameReport,
  generateTranscriptCorpus,
  useTestNamespace,
  waitFor,
  waitForProjection,
  writeTranscriptCorpus,
} from '@ccsync/testkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgentPush, startTestStack, type TestStack } from '../test-stack.ts';

/*
 * Claudeforge's "remove a machine" as an event: afterwards the account's views are exactly
 * ccusage's over the other machines' transcripts, including copies of messages the removed
 * machine held first, which now count for the machine that also holds them.
 */
const ns = useTestNamespace();
let stack: TestStack;
let redis: Redis;
let workDir: string;
const auth = { authorization: `Bearer ${ns.adminToken}` };

beforeAll(async () => {
  stack = await startTestStack(ns);
  redis = new Redis(ns.redisUrl);
  workDir = await mkdtemp(join(tmpdir(), 'ccsync-remove-machine-'));
});
afterAll(async () => {
  await stack?.close();
  redis?.disconnect();
  await rm(workDir, { recursive: true, force: true });
});

async function ccusage(configDirs: readonly string[], args: readonly string[]): Promise<unknown> {
  const { stdout } = await execa(await ccusageBinary(), ['claude', ...args, '--json', '--offline'], {
    cwd: workDir,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '', HOME: workDir, TZ: 'UTC', CLAUDE_CONFIG_DIR: configDirs.join(',') },
  });
  return JSON.parse(stdout);
}

const read = async (path: string) => (await fetch(`${stack.gateway.url}${path}`, { headers: auth })).json();

describe('DELETE /v1/machines/:hostname', () => {
  it('leaves views equal to ccusage over the remaining machines', async () => {
    // Two machines sharing some identical copies of messages (the corpus writes them).
    const configDirs = await writeTranscriptCorpus(
      generateTranscriptCorpus({ seed: 7, devices: 2, sessionsPerDevice: 6 }),
      join(workDir, 'devices'),
    );
    let lastSeq = 0;
    for (const [index, dir] of configDirs.entries()) {
      const push = await runAgentPush({
        ingest: stack.ingest.url,
        token: ns.adminToken,
        device: basename(dir),
        claudeDir: dir,
        stateDir: join(workDir, `state-${index}`),
      });
      expect(push.exitCode).toBe(0);
      lastSeq = Math.max(lastSeq, Number(push.lastSeq ?? 0));
    }
    await waitForProjection(ns, lastSeq);
    const registry = new ProjectionRegistry(redis, ns.names);
    const before = await registry.activeVersion();
    expect(AccountUsageReply.parse(await read('/api/usage')).devices).toHaveLength(2);

    const [removed, kept] = configDirs.map((dir) => basename(dir)) as [string, string];
    const response = await fetch(`${stack.ingest.url}/v1/machines/${removed}`, { method: 'DELETE', headers: auth });
    expect(response.status).toBe(202);
    const { seq } = RemoveMachineReply.parse(await response.json());

    // The device leaves the list at once; the rebuilt views without its history take over.
    await waitFor(async () => (await registry.activeVersion()) !== before, { timeoutMs: 30_000 });
    await waitForProjection(ns, seq);
    const usage = AccountUsageReply.parse(await read('/api/usage'));
    expect(usage.devices.map((device) => device.device)).toEqual([kept]);

    const remaining = configDirs.filter((dir) => basename(dir) === kept);
    const theirDaily = (await ccusage(remaining, ['daily'])) as { totals: { totalTokens: number } };
    expect(usage.totals.totalTokens).toBe(theirDaily.totals.totalTokens);
    expectSameReport(await read('/api/stats/daily'), theirDaily);
    expectSameReport(await read('/api/stats/blocks'), await ccusage(remaining, ['blocks']));
    expectSameReport(await read('/api/stats/session'), await ccusage(remaining, ['session']));
  });
});
