import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActiveBlockReply, type CcusageBlock } from '@ccsync/contracts';
import { ccusageBinary, openTestSocket, type TestSocket, useTestNamespace } from '@ccsync/testkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgentPush, startTestStack, type TestStack } from '../test-stack.ts';

/*
 * The account's active 5-hour block, kept current by the projector with every event: after each
 * push from any device, `GET /api/blocks/active` and the `blocks` channel show what ccusage's
 * `blocks --active` shows over the union of the devices' directories, as of now.
 */
const ns = useTestNamespace();
let stack: TestStack;
let workDir: string;
let socket: TestSocket;

const MINUTE = 60_000;
const now = Date.now();
const at = (minutesAgo: number) => new Date(now - minutesAgo * MINUTE).toISOString();

/** An assistant line as Claude Code writes it. */
function line(id: string, minutesAgo: number, model: string, input: number, output: number): string {
  return JSON.stringify({
    type: 'assistant',
    timestamp: at(minutesAgo),
    sessionId: 'live-session',
    requestId: `req_${id}`,
    message: { id: `msg_${id}`, model, usage: { input_tokens: input, output_tokens: output } },
  });
}

const dirOf = (device: string) => join(workDir, device);

async function write(device: string, lines: readonly string[]): Promise<void> {
  const folder = join(dirOf(device), 'projects', '-home-me-app');
  await mkdir(folder, { recursive: true });
  await appendFile(join(folder, 'live-session.jsonl'), `${lines.join('\n')}\n`);
}

async function push(device: string): Promise<number> {
  const result = await runAgentPush({
    ingest: stack.ingest.url,
    token: ns.adminToken,
    device,
    claudeDir: dirOf(device),
    stateDir: join(workDir, `state-${device}`),
  });
  expect(result.exitCode).toBe(0);
  return Number(result.lastSeq);
}

async function ccusageActive(devices: readonly string[]): Promise<CcusageBlock> {
  const { stdout } = await execa(await ccusageBinary(), ['claude', 'blocks', '--active', '--json', '--offline'], {
    cwd: workDir,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '', HOME: workDir, TZ: 'UTC', CLAUDE_CONFIG_DIR: devices.map(dirOf).join(',') },
  });
  const { blocks } = JSON.parse(stdout) as { blocks: CcusageBlock[] };
  expect(blocks).toHaveLength(1);
  return blocks[0] as CcusageBlock;
}

async function ours(): Promise<ActiveBlockReply> {
  const response = await fetch(`${stack.gateway.url}/api/blocks/active`, {
    headers: { authorization: `Bearer ${ns.adminToken}` },
  });
  expect(response.status).toBe(200);
  return ActiveBlockReply.parse(await response.json());
}

/** Equal to ccusage's block: tokens and models exactly, costs within 1e-6, the projection to the minute. */
function expectSameBlock(block: CcusageBlock | null, theirs: CcusageBlock): void {
  expect(block).not.toBeNull();
  const { costUSD, burnRate, projection, ...rest } = block as CcusageBlock;
  const { costUSD: theirCost, burnRate: theirBurn, projection: theirProjection, ...theirRest } = theirs;
  expect(rest).toEqual(theirRest);
  expect(Math.abs(costUSD - theirCost)).toBeLessThan(1e-6);
  expect(burnRate?.tokensPerMinute).toBeCloseTo(theirBurn?.tokensPerMinute ?? Number.NaN, 6);
  expect(Math.abs((burnRate?.costPerHour ?? 0) - (theirBurn?.costPerHour ?? 0))).toBeLessThan(1e-6);
  expect(Math.abs((projection?.remainingMinutes ?? 0) - (theirProjection?.remainingMinutes ?? 0))).toBeLessThanOrEqual(
    1,
  );
}

beforeAll(async () => {
  stack = await startTestStack(ns);
  workDir = await mkdtemp(join(tmpdir(), 'ccsync-live-block-'));
  socket = await openTestSocket(`${stack.gateway.url.replace('http', 'ws')}/ws?token=${ns.adminToken}`);
  socket.send({ type: 'subscribe', channels: ['blocks'] });
  await socket.next((message) => message.type === 'subscribed');
});
afterAll(async () => {
  await socket?.close();
  await stack?.close();
  await rm(workDir, { recursive: true, force: true });
});

describe('the account-wide active block', () => {
  it('has no block before any usage', async () => {
    const reply = await ours();
    expect(reply.block).toBeNull();
    expect(reply.devices).toEqual([]);
    expect(reply.burn).toEqual({ windowMinutes: 10, tokensPerMinute: 0, costPerHour: 0 });
  });

  it('follows every push from every device, equal to ccusage over their union', async () => {
    const blockUpdate = async (seq: number) =>
      (
        await socket.next<{ payload: { block: CcusageBlock; devices: unknown[] } }>(
          (message) => message.type === 'block_update' && (message.payload as { seq: number }).seq >= seq,
        )
      ).payload;

    // Device A: a stretch of work from 2.5 to 1 hours ago.
    await write('laptop', [
      line('a1', 150, 'claude-sonnet-4-20250514', 1200, 300),
      line('a2', 120, 'claude-opus-4-20250514', 800, 900),
      line('a3', 90, 'claude-sonnet-4-20250514', 500, 100),
      line('a4', 60, 'claude-opus-4-20250514', 300, 50),
    ]);
    const first = await blockUpdate(await push('laptop'));
    expect(first.block.entries).toBe(4);
    expectSameBlock((await ours()).block, await ccusageActive(['laptop']));

    // Device B: a message before the block's start (it now starts sooner: worked out again), a copy of one of
    // A's messages (counted once), and recent work that the burn rate sees.
    await write('desktop', [
      line('b1', 215, 'claude-haiku-4-5-20251001', 2000, 10),
      line('a2', 120, 'claude-opus-4-20250514', 800, 900),
      line('b2', 4, 'claude-sonnet-4-20250514', 6000, 1000),
      line('b3', 3, 'claude-haiku-4-5-20251001', 3000, 500),
    ]);
    const second = await blockUpdate(await push('desktop'));
    expect(second.block.entries).toBe(7);
    const afterB = await ours();
    expectSameBlock(afterB.block, await ccusageActive(['laptop', 'desktop']));
    // Both hold a2; as in ccusage, the copy read first (directories in path order) counts.
    expect(afterB.devices.map(({ device, entries, totalTokens }) => [device, entries, totalTokens])).toEqual([
      ['desktop', 4, 2010 + 1700 + 7000 + 3500],
      ['laptop', 3, 1500 + 600 + 350],
    ]);
    expect(afterB.burn.tokensPerMinute).toBe((7000 + 3500) / 10);

    // Device A again: one more message, added to the block in place.
    await write('laptop', [line('a5', 1, 'claude-opus-4-20250514', 100, 20)]);
    const third = await blockUpdate(await push('laptop'));
    expect(third.block.entries).toBe(8);
    expectSameBlock((await ours()).block, await ccusageActive(['laptop', 'desktop']));
    expect((await ours()).burn.tokensPerMinute).toBe((7000 + 3500 + 120) / 10);
  });
});
