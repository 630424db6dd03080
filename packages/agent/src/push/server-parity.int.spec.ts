import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { AccountId, AccountUsageReply, type CcusageBlock, CreateAccountReply } from '@ccsync/contracts';
import type { Gateway } from '@ccsync/gateway';
import type { Ingest } from '@ccsync/ingest';
import { ProjectionRegistry, Redis } from '@ccsync/service-kit';
import {
  ccusageBinary,
  expectSameReport,
  generateTranscriptCorpus,
  useTestNamespace,
  waitForProjection,
  writeTranscriptCorpus,
} from '@ccsync/testkit';
import { blockSummary, type LastBlock, presentBlock } from '@ccsync/usage';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgentPush, startTestStack, type TestStack } from '../test-stack.ts';

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
    // An account of its own, so its account-wide views hold this corpus and nothing else.
    const created = await fetch(`${ingest.url}/v1/accounts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: `seed-${corpus.seed}` }),
    });
    const token = CreateAccountReply.parse(await created.json()).adminToken.token;

    // Devices push one after the other, in ccusage's directory order.
    let lastSeq = 0;
    for (const [index, dir] of configDirs.entries()) {
      const push = await runAgentPush({
        ingest: ingest.url,
        token,
        device: devices[index] ?? '',
        claudeDir: dir,
        stateDir: join(root, `state-${index}`),
        // Small batches make many events, which both projector replicas apply side by side.
        env: { CCSYNC_PUSH_BATCH_SIZE: '25' },
      });
      expect(push.exitCode).toBe(0);
      lastSeq = Math.max(lastSeq, Number(push.lastSeq ?? 0));
    }
    await waitForProjection(ns, lastSeq);

    const response = await fetch(`${gateway.url}/api/usage`, { headers: { authorization: `Bearer ${token}` } });
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

    // Account-wide 5-hour blocks over every device: ccusage's blocks over the union of the directories.
    const blocks = await fetch(`${gateway.url}/api/stats/blocks`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(blocks.status).toBe(200);
    const theirBlocks = await execa(await ccusageBinary(), ['claude', 'blocks', '--json', '--offline'], {
      cwd: root,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '', HOME: root, CLAUDE_CONFIG_DIR: configDirs.join(','), TZ: 'UTC' },
    });
    const theirBlocksReport = JSON.parse(theirBlocks.stdout) as { blocks: CcusageBlock[] };
    expectSameReport(await blocks.json(), theirBlocksReport);

    // The last block the projector keeps current event by event (in place, extended, or worked
    // out again) is ccusage's last block, whatever order the copies arrived in.
    const registry = new ProjectionRegistry(redis, ns.names);
    const stored = await redis.get((await registry.activeKeys()).lastBlock(AccountId.parse(`seed-${corpus.seed}`)));
    const theirLast = theirBlocksReport.blocks.filter((block) => !block.isGap).at(-1);
    const {
      burnRate: _burn,
      projection: _projection,
      isActive: _active,
      ...ours
    } = presentBlock(blockSummary(JSON.parse(stored ?? 'null') as LastBlock), Date.now());
    const { burnRate: _b, projection: _p, isActive: _a, ...theirs } = theirLast as CcusageBlock;
    expectSameReport(ours, theirs);

    // The account-wide period reports, from the quarter-hour buckets, in timezones with DST and
    // with a half-hour offset, and with ccusage's filters and options.
    const reports: { query: string; args: string[] }[] = [
      ...['UTC', 'America/New_York', 'Asia/Kolkata'].flatMap((timezone) =>
        (['daily', 'weekly', 'monthly'] as const).map((period) => ({
          query: `${period}?tz=${encodeURIComponent(timezone)}`,
          args: [period, '-z', timezone],
        })),
      ),
      { query: 'weekly?tz=Asia/Kolkata&startOfWeek=monday', args: ['weekly', '-z', 'Asia/Kolkata', '-w', 'monday'] },
      { query: 'session', args: ['session'] },
      { query: 'monthly?tz=UTC&breakdown=true', args: ['monthly', '-z', 'UTC', '--breakdown'] },
      {
        query: 'session?tz=America/Los_Angeles&since=2026-03-10&until=20260311',
        args: ['session', '-z', 'America/Los_Angeles', '--since', '20260310', '--until', '20260311'],
      },
      {
        query: 'daily?tz=America/New_York&since=20260301&until=2026-03-12&order=desc',
        args: ['daily', '-z', 'America/New_York', '--since', '20260301', '--until', '20260312', '--order', 'desc'],
      },
    ];
    for (const { query, args } of reports) {
      const ours = await fetch(`${gateway.url}/api/stats/${query}`, { headers: { authorization: `Bearer ${token}` } });
      expect(ours.status, query).toBe(200);
      const theirs = await execa(await ccusageBinary(), ['claude', ...args, '--json', '--offline'], {
        cwd: root,
        extendEnv: false,
        env: { PATH: process.env.PATH ?? '', HOME: root, CLAUDE_CONFIG_DIR: configDirs.join(',') },
      });
      const theirReport = JSON.parse(theirs.stdout);
      expect(
        Object.values(theirReport).some((rows) => Array.isArray(rows) && rows.length > 0),
        query,
      ).toBe(true);
      expectSameReport(await ours.json(), theirReport, query);
    }
  });
});
