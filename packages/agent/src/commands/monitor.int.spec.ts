import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActiveBlockReply, type UsageEntry } from '@ccsync/contracts';
import { type Gateway, GatewayEnv, startGateway } from '@ccsync/gateway';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { freePort, usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { PLAN_LIMITS } from '@ccsync/usage';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCount, formatUsd } from '../output.ts';
import { AGENT_BIN as BIN, startTestStack, type TestStack } from '../test-stack.ts';

/*
 * `ccsync monitor` as people see it: the real binary in a real terminal (tmux), against a real
 * stack, with usage pushed by two devices into the current 5-hour block. The screen must show the
 * numbers `GET /api/blocks/active` answers, follow a new push without a restart, warn past the
 * plan's limit, reflow to the terminal's width, and give the terminal back on q.
 */
const ns = useTestNamespace();
let stack: TestStack;
let home: string;

const MINUTE = 60_000;
const now = Date.now();
const entry = (seed: string, minutesAgo: number, usage: Partial<UsageEntry['usage']>): UsageEntry =>
  usageEntry(`monitor-${seed}`, {
    timestamp: new Date(now - minutesAgo * MINUTE).toISOString(),
    sessionId: `monitor-${seed}`,
    usage: { inputTokens: 0, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0, ...usage },
  });

/**
 * A tmux server of this file's own, its socket in the temporary home, so its sessions get exactly
 * the environment given here and nothing is left behind.
 */
const tmux = (...args: string[]) =>
  execa('tmux', ['-S', join(home, 'tmux.sock'), ...args], { env: baseEnv(), extendEnv: false });

/** Only what the agent needs, so no stored login or NO_COLOR of the machine running the tests leaks in. */
function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: home, XDG_CONFIG_HOME: join(home, 'config'), LANG: 'C.UTF-8' };
}

/**
 * Starts `ccsync monitor` in a new tmux session. A fixed script runs it and then prints its exit
 * status and stays, so the test can see the terminal after it: the arguments reach it as "$@",
 * never as shell text.
 */
async function startMonitor(
  session: string,
  {
    width,
    height = 30,
    env = {},
    args = [],
  }: { width: number; height?: number; env?: Record<string, string>; args?: string[] },
): Promise<void> {
  const variables = Object.entries({
    CCSYNC_GATEWAY_URL: stack.gateway.url,
    CCSYNC_READ_TOKEN: ns.adminToken,
    ...env,
  }).flatMap(([name, value]) => ['-e', `${name}=${value}`]);
  await tmux(
    'new-session',
    '-d',
    '-s',
    session,
    '-x',
    String(width),
    '-y',
    String(height),
    ...variables,
    '--',
    'sh',
    '-c',
    '"$@"; echo "monitor exited with status $?"; exec sleep 600',
    'sh',
    process.execPath,
    BIN,
    'monitor',
    ...args,
  );
}

/** The visible screen; `-J` joins lines the terminal wrapped, so an overlong line shows as one. */
const screen = async (session: string, ...flags: string[]) =>
  (await tmux('capture-pane', '-p', '-J', ...flags, '-t', session)).stdout;

const waitForScreen = (session: string, condition: (text: string) => boolean, description: string) =>
  waitFor(
    async () => {
      const text = await screen(session);
      return condition(text) ? text : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 50, description: `the screen to show ${description}` },
  );

async function activeBlock(): Promise<ActiveBlockReply> {
  const response = await fetch(`${stack.gateway.url}/api/blocks/active`, {
    headers: { authorization: `Bearer ${ns.adminToken}` },
  });
  return ActiveBlockReply.parse(await response.json());
}

/** Messages pushed so far, every one of them inside the current block. */
let pushed = 0;
async function push(device: string, entries: UsageEntry[]): Promise<void> {
  await stack.post('/v1/usage', ns.adminToken, { device, entries });
  pushed += entries.length;
}

/** The reply once the views hold every message pushed so far. */
const settledBlock = () =>
  waitFor(
    async () => {
      const reply = await activeBlock();
      return reply.block?.entries === pushed ? reply : undefined;
    },
    // Gently: the gateway rate-limits a token to 600 requests a minute.
    { timeoutMs: 15_000, intervalMs: 200, description: 'an active block of every message pushed' },
  );

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every number of the reply, in the CLI's formatting, where the screen shows it. */
function showsReply(text: string, reply: ActiveBlockReply): boolean {
  const block = reply.block;
  if (block === null) return false;
  if (!text.includes(formatCount(block.totalTokens)) || !text.includes(formatUsd(block.costUSD))) return false;
  return reply.devices.every((share) => {
    const percent = ((share.totalTokens / block.totalTokens) * 100).toFixed(1);
    const row = `${literal(share.device)}\\s+${literal(formatCount(share.totalTokens))}\\s+${literal(formatUsd(share.costUSD))}\\s+${literal(percent)}%`;
    return new RegExp(row).test(text);
  });
}

/** The countdown to the reset, which the monitor's one-second timer redraws. */
const countdown = (text: string) => text.split('\n').find((line) => line.startsWith('Reset'));

/** How often `GET /api/blocks/active` was answered, from the gateway's Prometheus metrics. */
async function activeBlockReads(gateway: Gateway): Promise<number> {
  const response = await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${ns.adminToken}` } });
  const metrics = await response.text();
  const counts = metrics.matchAll(
    /^ccsync_http_request_duration_seconds_count\{[^}]*route="\/api\/blocks\/active"[^}]*\} (\d+)$/gm,
  );
  return [...counts].reduce((sum, [, count]) => sum + Number(count), 0);
}

const limitTokensOf = (reply: ActiveBlockReply) =>
  (reply.block?.tokenCounts.inputTokens ?? 0) + (reply.block?.tokenCounts.outputTokens ?? 0);

beforeAll(async () => {
  const tmuxVersion = await execa('tmux', ['-V'], { reject: false });
  if (tmuxVersion.exitCode !== 0)
    throw new Error('These tests drive a real terminal: install tmux (apt-get install tmux)');
  home = await mkdtemp(join(tmpdir(), 'ccsync-monitor-'));
  stack = await startTestStack(ns);
  // Two devices, inside the current block: 1,100 input + output tokens over most of an hour.
  await push('laptop', [
    entry('l1', 58, { inputTokens: 400, outputTokens: 100, cacheReadInputTokens: 50_000 }),
    entry('l2', 3, { inputTokens: 300, outputTokens: 100, cacheCreationInputTokens: 2_000 }),
  ]);
  await push('desktop', [entry('d1', 30, { inputTokens: 150, outputTokens: 50, cacheReadInputTokens: 20_000 })]);
  await settledBlock();
});
afterAll(async () => {
  await tmux('kill-server').catch(() => undefined);
  await stack?.close();
  if (home !== undefined) await rm(home, { recursive: true, force: true });
});

describe('ccsync monitor in a terminal', () => {
  it('shows the API’s numbers, follows a new push live, warns past the plan’s limit, and quits on q', async () => {
    const session = 'pro';
    await startMonitor(session, { width: 100, env: { NO_COLOR: '1' }, args: ['--plan', 'pro'] });
    const first = await settledBlock();
    expect(first.devices.map((share) => share.device).sort()).toEqual(['desktop', 'laptop']);
    const pro = PLAN_LIMITS.pro.tokenLimit;
    expect(pro).toBe(19_000);

    let text = await waitForScreen(
      session,
      (shown) => showsReply(shown, first) && /q quit {2}live/.test(shown),
      'the first reply, live',
    );
    const used = limitTokensOf(first);
    expect(used).toBe(1_100);
    expect(text).toContain(`${((used / pro) * 100).toFixed(1)}%  ${formatCount(used)} / 19,000`);
    expect(text).toContain('Pro plan');
    expect(text).not.toContain('!');
    // NO_COLOR: not one escape sequence on the screen, attributes included.
    expect(await screen(session, '-e')).not.toContain('\x1b[');

    // A push while it runs: the screen follows without a restart, and is now over the limit.
    await push('laptop', [entry('l3', 1, { inputTokens: 20_000, outputTokens: 1_000 })]);
    const second = await settledBlock();
    text = await waitForScreen(session, (shown) => showsReply(shown, second), 'the reply after the push');
    const over = limitTokensOf(second);
    expect(over).toBe(22_100);
    expect(text).toContain(`${((over / pro) * 100).toFixed(1)}%  ${formatCount(over)} / 19,000`);
    expect(text).toContain('! Over the Pro limit: 22,100 of 19,000 tokens');
    expect(text).toContain('! Projection exceeds the Pro limit before reset');

    await tmux('send-keys', '-t', session, 'q');
    text = await waitForScreen(session, (shown) => shown.includes('monitor exited with status'), 'the exit status');
    expect(text).toContain('monitor exited with status 0');
    expect(text).not.toContain('ccsync monitor');
    // Back on the normal screen, with the cursor shown again.
    expect((await tmux('display-message', '-p', '-t', session, '#{alternate_on} #{cursor_flag}')).stdout).toBe('0 1');
  });

  it('does not poll, shows that it is reconnecting while the gateway is away, then catches up with what it missed', async () => {
    // A gateway of its own on a fixed port, to stop and start again at the same address.
    const port = await freePort();
    const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
    const startOwnGateway = () => startGateway(parseEnv(GatewayEnv, ns.env({ GATEWAY_PORT: String(port) })), logger);
    let gateway: Gateway = await startOwnGateway();
    const session = 'reconnect';
    try {
      await startMonitor(session, { width: 100, env: { NO_COLOR: '1', CCSYNC_GATEWAY_URL: gateway.url } });
      const before = await settledBlock();
      let text = await waitForScreen(
        session,
        (shown) => showsReply(shown, before) && shown.includes('q quit  live'),
        'it live',
      );

      // No polling: while nothing changes, the clock ticks on the screen and the API is not asked.
      const reads = await activeBlockReads(gateway);
      for (let tick = 0; tick < 2; tick++) {
        const shown = countdown(text);
        text = await waitForScreen(session, (now) => countdown(now) !== shown, 'the countdown ticking');
      }
      expect(await activeBlockReads(gateway)).toBe(reads);

      await gateway.close();
      await waitForScreen(session, (shown) => /reconnecting in \d+s/.test(shown), 'that it is reconnecting');
      await push('desktop', [entry('d2', 1, { inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 7_000 })]);
      const missed = await settledBlock();
      gateway = await startOwnGateway();
      text = await waitForScreen(
        session,
        (shown) => showsReply(shown, missed) && shown.includes('q quit  live'),
        'the change it missed, live again',
      );
      expect(text).not.toContain('reconnecting');
      await tmux('send-keys', '-t', session, 'q');
      await waitForScreen(session, (shown) => shown.includes('monitor exited with status 0'), 'a clean exit');
    } finally {
      await gateway.close();
    }
  });

  it('fits a narrow terminal, reflows when it shrinks, colors without NO_COLOR, and stops on SIGTERM', async () => {
    const session = 'narrow';
    await startMonitor(session, { width: 50, height: 45 });
    const reply = await settledBlock();
    let text = await waitForScreen(session, (shown) => showsReply(shown, reply), 'the reply in 50 columns');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(50);
    // The default plan learns its limit from past blocks: with none completed, the Pro limit.
    expect(text).toContain('Custom plan');
    expect(text).toContain(`${formatCount(limitTokensOf(reply))} / 19,000`);
    expect(text).toContain('(P90 of past blocks)');
    expect(await screen(session, '-e')).toContain('\x1b[3');

    // SIGWINCH: narrower than 40 columns, labels take lines of their own.
    await tmux('resize-window', '-t', session, '-x', '36');
    text = await waitForScreen(
      session,
      (shown) => showsReply(shown, reply) && shown.split('\n').some((line) => line.trim() === 'Tokens'),
      'the reply reflowed to 36 columns',
    );
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(36);

    // SIGTERM (a closing terminal, a service manager) stops it as cleanly as q does.
    const shell = (await tmux('display-message', '-p', '-t', session, '#{pane_pid}')).stdout;
    const monitor = (await execa('ps', ['-o', 'pid=', '--ppid', shell])).stdout.trim();
    process.kill(Number(monitor), 'SIGTERM');
    text = await waitForScreen(session, (shown) => shown.includes('monitor exited with status'), 'the exit status');
    expect(text).toContain('monitor exited with status 0');
    expect((await tmux('display-message', '-p', '-t', session, '#{alternate_on} #{cursor_flag}')).stdout).toBe('0 1');
  });

  it('reports a refused token before taking over the screen', async () => {
    const session = 'refused';
    await startMonitor(session, { width: 100, env: { CCSYNC_READ_TOKEN: 'not-a-token' } });
    const text = await waitForScreen(
      session,
      (shown) => shown.includes('monitor exited with status'),
      'the exit status',
    );
    expect(text).toContain(`error The gateway at ${stack.gateway.url} refused the token`);
    expect(text).toContain('monitor exited with status 4');
    expect((await tmux('display-message', '-p', '-t', session, '#{alternate_on} #{cursor_flag}')).stdout).toBe('0 1');
  });
});

describe('ccsync monitor off a terminal and on errors', () => {
  const run = (args: string[], env: Record<string, string>) =>
    execa(process.execPath, [BIN, 'monitor', ...args], {
      env: { ...baseEnv(), ...env },
      extendEnv: false,
      reject: false,
    });
  const gateway = () => ({ CCSYNC_GATEWAY_URL: stack.gateway.url, CCSYNC_READ_TOKEN: ns.adminToken });

  it('prints one frame without escape sequences when stdout is not a terminal', async () => {
    const reply = await settledBlock();
    const result = await run(['--plan', 'max5'], { ...gateway(), COLUMNS: '60' });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toContain('\x1b');
    expect(showsReply(result.stdout, reply)).toBe(true);
    expect(result.stdout).toContain(`${((limitTokensOf(reply) / 88_000) * 100).toFixed(1)}%`);
    expect(result.stdout).not.toContain('q quit');
    for (const line of result.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
  });

  it('says when no block is active, with the last block’s end', async () => {
    const { adminToken } = (await stack.post('/v1/accounts', ns.adminToken, { id: 'quiet' })) as {
      adminToken: { token: string };
    };
    const token = adminToken.token;
    const fresh = await run(['--plan', 'pro'], { ...gateway(), CCSYNC_READ_TOKEN: token, TZ: 'UTC' });
    expect(fresh.exitCode).toBe(0);
    expect(fresh.stdout).toContain('No active 5-hour block');
    expect(fresh.stdout).toContain('Last block  none yet');

    // A block that ended hours ago.
    await stack.post('/v1/usage', token, {
      device: 'old-box',
      entries: [entry('o1', 9 * 60, { inputTokens: 700, outputTokens: 70 }), entry('o2', 8 * 60, { inputTokens: 5 })],
    });
    const blocks = await waitFor(
      async () => {
        const response = await fetch(`${stack.gateway.url}/api/stats/blocks`, {
          headers: { authorization: `Bearer ${token}` },
        });
        const { blocks } = (await response.json()) as {
          blocks: { startTime: string; endTime: string; entries: number }[];
        };
        return blocks.length === 1 && blocks[0]?.entries === 2 ? blocks : undefined;
      },
      { intervalMs: 200, description: 'the old block in the views' },
    );
    const old = blocks[0] as { startTime: string; endTime: string };
    const result = await run(['--plan', 'pro'], { ...gateway(), CCSYNC_READ_TOKEN: token, TZ: 'UTC' });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('No active 5-hour block');
    const utc = (iso: string) => iso.slice(0, 16).replace('T', ' ');
    expect(result.stdout).toContain(`Last block  ${utc(old.startTime)} - ${utc(old.endTime).slice(11)}  ended`);
    expect(result.stdout).toContain('775 tokens');
  });

  it('exits with the agent’s codes and a clear message when it cannot read the account', async () => {
    const noGateway = await run([], {});
    expect(noGateway.exitCode).toBe(3);
    expect(noGateway.stderr).toContain('No gateway configured');

    const noToken = await run([], { CCSYNC_GATEWAY_URL: stack.gateway.url });
    expect(noToken.exitCode).toBe(3);
    expect(noToken.stderr).toContain('No token to read with');

    const { token } = (await stack.post('/v1/devices', ns.adminToken, { device: 'pusher' })) as {
      token: { token: string };
    };
    const deviceToken = await run([], { ...gateway(), CCSYNC_READ_TOKEN: token.token });
    expect(deviceToken.exitCode).toBe(4);
    expect(deviceToken.stderr).toContain('may not read the account');

    const unreachable = await run([], { ...gateway(), CCSYNC_GATEWAY_URL: `http://127.0.0.1:${await freePort()}` });
    expect(unreachable.exitCode).toBe(9);
    expect(unreachable.stderr).toContain('Cannot reach the gateway');

    const badLimit = await run(['--token-limit', 'lots'], gateway());
    expect(badLimit.exitCode).toBe(2);
    expect(badLimit.stderr).toContain('--token-limit takes a positive whole number');
  });
});
