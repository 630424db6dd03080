import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ActiveBlockReply,
  CcusageDailyReport,
  IssuedToken,
  RateLimitsReply,
  RegisterDeviceReply,
} from '@ccsync/contracts';
import { useTestNamespace, waitFor } from '@ccsync/testkit';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN as BIN, startTestStack, type TestStack } from '../test-stack.ts';

/*
 * `ccsync statusline` as Claude Code runs it: the real binary, fed Claude Code's status JSON on
 * stdin, printing the account's figures that `ccsync watch` keeps in the state directory, from a
 * real stack. Every expected line is built from the gateway's own replies.
 */
const ns = useTestNamespace();
// Half-hour offsets, so a day or an hour taken in the wrong zone shows.
const TZ = 'Australia/Adelaide';
let stack: TestStack;
let root: string;
let viewerToken: string;
let watch: ResultPromise | undefined;

beforeAll(async () => {
  stack = await startTestStack(ns, { INGEST_RATE_LIMIT_PER_MINUTE: '0', GATEWAY_RATE_LIMIT_PER_MINUTE: '0' });
  root = await mkdtemp(join(tmpdir(), 'ccsync-statusline-'));
  viewerToken = IssuedToken.parse(await stack.post('/v1/tokens', ns.adminToken, { scope: 'viewer' })).token;
});
afterAll(async () => {
  watch?.kill('SIGTERM');
  await stack?.close();
});

/** One assistant message of `input` tokens for `device`, written now. */
const pushUsage = (device: string, id: string, input: number) =>
  stack.post('/v1/usage', ns.adminToken, {
    device,
    entries: [
      {
        id: `statusline-${id}`,
        timestamp: new Date().toISOString(),
        messageId: `msg_${id}`,
        requestId: `req_${id}`,
        model: 'claude-sonnet-4-5-20250929',
        usage: { inputTokens: input, outputTokens: 1000, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
      },
    ],
  });

async function read<T>(path: string, schema: { parse(value: unknown): T }): Promise<T> {
  const response = await fetch(`${stack.gateway.url}${path}`, { headers: { authorization: `Bearer ${viewerToken}` } });
  expect(response.status).toBe(200);
  return schema.parse(await response.json());
}

const localDay = (date = new Date()) =>
  new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(date);
const localClock = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(
    new Date(iso),
  );

/** The account's block and today's cost, as the gateway serves them now. */
async function serverFigures() {
  const { block, devices } = await read('/api/blocks/active', ActiveBlockReply);
  const day = localDay();
  const daily = await read(`/api/stats/daily?tz=${TZ}&since=${day.replaceAll('-', '')}`, CcusageDailyReport);
  return { block, devices, todayCost: daily.daily.find((entry) => entry.date === day)?.totalCost ?? 0 };
}
type Figures = Awaited<ReturnType<typeof serverFigures>>;

/**
 * The line for these figures at `at`: the block's tokens in millions (every block here has a
 * million or more), its cost, the share of its five hours gone (rounded down), its reset time in
 * TZ, and today's cost in TZ.
 */
function expectedLine({ block, todayCost }: Figures, at: number, windows = ''): string {
  if (block === null) throw new Error('no active block');
  expect(block.totalTokens).toBeGreaterThanOrEqual(1e6);
  const start = Date.parse(block.startTime);
  const elapsed = Math.floor(((at - start) / (Date.parse(block.endTime) - start)) * 100);
  return `ccsync ◷ ${(block.totalTokens / 1e6).toFixed(1)}M tok $${block.costUSD.toFixed(2)} · ${elapsed}% elapsed, resets ${localClock(block.endTime)} · today $${todayCost.toFixed(2)}${windows}`;
}

/** A status JSON as Claude Code pipes it, with `rate_limits` when given. */
function claudeStatus(rateLimits?: Record<string, { used_percentage: number; resets_at: number }>): string {
  return JSON.stringify({
    hook_event_name: 'Status',
    session_id: '4f0c2a8e-6b1d-4a52-9d0e-2f3b8c7a1e55',
    transcript_path: '/home/me/.claude/projects/-home-me-app/4f0c2a8e.jsonl',
    cwd: '/home/me/app',
    model: { id: 'claude-opus-4-6', display_name: 'Opus 4.6' },
    workspace: { current_dir: '/home/me/app', project_dir: '/home/me/app' },
    version: '2.1.90',
    output_style: { name: 'default' },
    cost: { total_cost_usd: 0.42, total_duration_ms: 45_000, total_api_duration_ms: 2300, total_lines_added: 156 },
    exceeds_200k_tokens: false,
    ...(rateLimits === undefined ? {} : { rate_limits: rateLimits }),
  });
}

/** Runs the status line as Claude Code would: JSON on stdin, no colours. Returns the line and the run's span. */
async function statusline(stateDir: string, input: string) {
  const before = Date.now();
  const result = await execa('node', [BIN, 'statusline', '--state-dir', stateDir], {
    input,
    env: { NO_COLOR: '1', TZ },
    preferLocal: true,
    reject: false,
  });
  return { exitCode: result.exitCode, stderr: result.stderr, line: result.stdout, before, after: Date.now() };
}

/** The line is exactly the one for these figures, at some instant of its run. */
function expectLineFor(run: Awaited<ReturnType<typeof statusline>>, figures: Figures, windows = '') {
  expect(run.exitCode).toBe(0);
  expect([expectedLine(figures, run.before, windows), expectedLine(figures, run.after, windows)]).toContain(run.line);
}

const cacheOf = async (stateDir: string) =>
  JSON.parse(await readFile(join(stateDir, 'statusline.json'), 'utf8').catch(() => 'null'));

describe('ccsync statusline with ccsync watch', () => {
  const stateDir = () => join(root, 'laptop', 'state');
  const inAnHour = Math.floor(Date.now() / 1000) + 3600;
  const limits = {
    five_hour: { used_percentage: 42.4, resets_at: inAnHour },
    seven_day: { used_percentage: 13.1, resets_at: inAnHour + 4 * 86_400 },
  };

  it('prints the account’s block, reset time and today’s cost across devices, and follows new usage', async () => {
    await pushUsage('laptop', 'a1', 700_000);
    await pushUsage('desktop', 'b1', 600_000);
    const first = await waitFor(
      async () => {
        const figures = await serverFigures();
        return figures.devices.length === 2 && figures.block?.totalTokens === 1_302_000 && figures;
      },
      { description: 'both devices in the active block' },
    );

    const claudeDir = join(root, 'laptop', 'claude');
    await mkdir(join(claudeDir, 'projects'), { recursive: true });
    watch = execa(
      'node',
      [
        BIN,
        'watch',
        '--ingest',
        stack.ingest.url,
        '--token',
        ns.adminToken,
        '--gateway',
        stack.gateway.url,
        '--read-token',
        viewerToken,
        '--device',
        'laptop',
        '--claude-dir',
        claudeDir,
        '--state-dir',
        stateDir(),
      ],
      // Judged by its exit code after SIGTERM: not killed when a loaded machine makes it slow to stop.
      { env: { TZ }, preferLocal: true, reject: false, forceKillAfterDelay: false },
    );
    await waitFor(async () => (await cacheOf(stateDir()))?.block?.totalTokens === 1_302_000, {
      timeoutMs: 15_000,
      description: 'the cache with both devices’ block',
    });
    expect(await cacheOf(stateDir())).toMatchObject({
      version: 1,
      account: 'default',
      block: { startTime: first.block?.startTime, endTime: first.block?.endTime, costUSD: first.block?.costUSD },
      today: { date: localDay(), timeZone: TZ, costUSD: first.todayCost },
    });
    expectLineFor(await statusline(stateDir(), claudeStatus()), first);

    // Another device's usage reaches this device's status line through the gateway's socket.
    await pushUsage('desktop', 'b2', 500_000);
    const second = await waitFor(
      async () => {
        const figures = await serverFigures();
        return figures.block?.totalTokens === 1_803_000 && figures;
      },
      { description: 'the new usage in the active block' },
    );
    expect(second.block?.costUSD).toBeGreaterThan(first.block?.costUSD ?? 0);
    await waitFor(
      async () => {
        const run = await statusline(stateDir(), claudeStatus());
        return [expectedLine(second, run.before), expectedLine(second, run.after)].includes(run.line);
      },
      { timeoutMs: 5000, description: 'the status line with the new usage' },
    );
  });

  it('shows Claude Code’s official figures, records them once per change, and watch sends them', async () => {
    const figures = await serverFigures();
    const run = await statusline(stateDir(), claudeStatus(limits));
    expectLineFor(run, figures, ' · 5h 42% · 7d 13%');

    const file = join(stateDir(), 'rate-limits.json');
    const recorded = JSON.parse(await readFile(file, 'utf8'));
    expect(recorded).toEqual({
      observedAt: expect.any(String),
      windows: {
        five_hour: { usedPercentage: 42.4, resetsAt: new Date(inAnHour * 1000).toISOString() },
        seven_day: { usedPercentage: 13.1, resetsAt: new Date((inAnHour + 4 * 86_400) * 1000).toISOString() },
      },
    });
    expect(Date.parse(recorded.observedAt)).toBeGreaterThanOrEqual(run.before);
    // The same figures again are not a new observation.
    const { mtimeMs } = await stat(file);
    expect((await statusline(stateDir(), claudeStatus(limits))).exitCode).toBe(0);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(recorded);
    expect((await stat(file)).mtimeMs).toBe(mtimeMs);

    // watch sends the observation with the device token; the account's figures then carry it.
    const account = await waitFor(
      async () => {
        const reply = await read('/api/rate-limits', RateLimitsReply);
        return reply.windows.five_hour?.observedAt === recorded.observedAt && reply;
      },
      { timeoutMs: 15_000, description: 'the observation on the server' },
    );
    expect(account.windows).toEqual({
      five_hour: { ...recorded.windows.five_hour, device: 'laptop', observedAt: recorded.observedAt },
      seven_day: { ...recorded.windows.seven_day, device: 'laptop', observedAt: recorded.observedAt },
    });
    await waitFor(async () => (await cacheOf(stateDir()))?.rateLimits?.five_hour?.observedAt === recorded.observedAt, {
      description: 'the official figures in the cache',
    });
    expect(JSON.parse(await readFile(join(stateDir(), 'rate-limits-sent.json'), 'utf8'))).toEqual({
      observedAt: recorded.observedAt,
    });
  });

  it('shows another device’s newer official figures over this session’s older ones', async () => {
    const figures = await serverFigures();
    await stack.post('/v1/rate-limits', ns.adminToken, {
      device: 'desktop',
      observedAt: new Date().toISOString(),
      windows: { five_hour: { usedPercentage: 55, resetsAt: new Date(inAnHour * 1000).toISOString() } },
    });
    await waitFor(
      async () => {
        const run = await statusline(stateDir(), claudeStatus(limits));
        const windows = ' · 5h 55% · 7d 13%';
        return [expectedLine(figures, run.before, windows), expectedLine(figures, run.after, windows)].includes(
          run.line,
        );
      },
      { timeoutMs: 10_000, description: 'the desktop’s five-hour figure on the laptop’s status line' },
    );
  });

  it('stops cleanly on SIGTERM', async () => {
    watch?.kill('SIGTERM');
    expect((await watch)?.exitCode).toBe(0);
    watch = undefined;
  });
});

describe('ccsync watch with a token that cannot read the account', () => {
  it('says once that the status line’s figures are not kept, writes no cache, and goes on watching', async () => {
    const { token } = RegisterDeviceReply.parse(await stack.post('/v1/devices', ns.adminToken, { device: 'reader' }));
    const stateDir = join(root, 'reader', 'state');
    const claudeDir = join(root, 'reader', 'claude');
    await mkdir(join(claudeDir, 'projects'), { recursive: true });
    const deviceWatch = execa(
      'node',
      [BIN, 'watch', '--ingest', stack.ingest.url, '--gateway', stack.gateway.url, '--token', token.token].concat([
        '--claude-dir',
        claudeDir,
        '--state-dir',
        stateDir,
      ]),
      { preferLocal: true, reject: false, forceKillAfterDelay: false },
    );
    let stderr = '';
    deviceWatch.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor(() => stderr.includes("The status line's figures will not be kept"), {
      timeoutMs: 15_000,
      description: 'the notice on stderr',
    });
    deviceWatch.kill('SIGTERM');
    const result = await deviceWatch;
    expect(result.exitCode).toBe(0);
    expect(result.stderr.match(/will not be kept/g)).toHaveLength(1);
    expect(result.stderr).toContain('only pushes');
    await expect(stat(join(stateDir, 'statusline.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('ccsync push and the official figures', () => {
  it('sends a pending observation with the device token, and keeps it pending while the server is away', async () => {
    const stateDir = join(root, 'pusher', 'state');
    const claudeDir = join(root, 'pusher', 'claude');
    await mkdir(join(claudeDir, 'projects'), { recursive: true });
    const resetsAt = Math.floor(Date.now() / 1000) + 7200;
    await statusline(stateDir, claudeStatus({ five_hour: { used_percentage: 77, resets_at: resetsAt } }));
    const { observedAt } = JSON.parse(await readFile(join(stateDir, 'rate-limits.json'), 'utf8'));
    const push = (ingest: string) =>
      execa(
        'node',
        [BIN, 'push', '--quiet', '--ingest', ingest, '--token', ns.adminToken, '--device', 'pusher'].concat([
          '--claude-dir',
          claudeDir,
          '--state-dir',
          stateDir,
        ]),
        { preferLocal: true, reject: false },
      );

    const away = await push('http://127.0.0.1:9');
    expect({ exitCode: away.exitCode, stdout: away.stdout, stderr: away.stderr }).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    await expect(stat(join(stateDir, 'rate-limits-sent.json'))).rejects.toMatchObject({ code: 'ENOENT' });

    const sent = await push(stack.ingest.url);
    expect({ exitCode: sent.exitCode, stdout: sent.stdout, stderr: sent.stderr }).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(JSON.parse(await readFile(join(stateDir, 'rate-limits-sent.json'), 'utf8'))).toEqual({ observedAt });
    const account = await waitFor(async () => {
      const reply = await read('/api/rate-limits', RateLimitsReply);
      return reply.windows.five_hour?.device === 'pusher' && reply;
    });
    expect(account.windows.five_hour).toEqual({
      usedPercentage: 77,
      resetsAt: new Date(resetsAt * 1000).toISOString(),
      device: 'pusher',
      observedAt,
    });
  });

  it('push --quiet prints nothing and exits 0 without a server, and keeps the reason for `ccsync status`', async () => {
    const stateDir = join(root, 'unconfigured', 'state');
    const result = await execa('node', [BIN, 'push', '--quiet', '--state-dir', stateDir], {
      preferLocal: true,
      reject: false,
      env: { XDG_CONFIG_HOME: join(root, 'no-config'), CCSYNC_INGEST_URL: '', CCSYNC_TOKEN: '' },
    });
    expect({ exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }).toEqual({
      exitCode: 0,
      stdout: '',
      stderr: '',
    });
    expect(JSON.parse(await readFile(join(stateDir, 'last-push.json'), 'utf8'))).toMatchObject({
      entriesRead: 0,
      error: expect.stringContaining('No server configured'),
    });
  });
});

describe('ccsync statusline without figures', () => {
  const limits = JSON.stringify({
    rate_limits: { five_hour: { used_percentage: 9.6, resets_at: Math.floor(Date.now() / 1000) + 600 } },
  });

  it.each([
    ['empty input', ''],
    ['input that is not JSON', '{"session_id": "abc", '],
    ['JSON without rate_limits', claudeStatus()],
  ])('prints a line and exits 0 on %s and no cache', async (_name, input) => {
    const run = await statusline(join(root, 'empty-state'), input);
    expect({ exitCode: run.exitCode, line: run.line, stderr: run.stderr }).toEqual({
      exitCode: 0,
      line: 'ccsync: no data yet (run ccsync watch)',
      stderr: '',
    });
  });

  it('treats a corrupt cache as none, and still shows this session’s official figures', async () => {
    const stateDir = join(root, 'corrupt-state');
    await mkdir(stateDir, { recursive: true });
    await writeFile(join(stateDir, 'statusline.json'), '{"version":1,"writtenAt":');
    const run = await statusline(stateDir, limits);
    expect({ exitCode: run.exitCode, line: run.line }).toEqual({
      exitCode: 0,
      line: 'ccsync: no data yet (run ccsync watch) · 5h 10%',
    });
  });

  it('marks figures watch wrote long ago as stale', async () => {
    const stateDir = join(root, 'stale-state');
    await mkdir(stateDir, { recursive: true });
    await writeFile(
      join(stateDir, 'statusline.json'),
      JSON.stringify({
        version: 1,
        writtenAt: new Date(Date.now() - 11 * 60_000).toISOString(),
        account: 'default',
        block: null,
        today: { date: localDay(), timeZone: TZ, costUSD: 3.5 },
        rateLimits: null,
      }),
    );
    const run = await statusline(stateDir, '');
    expect({ exitCode: run.exitCode, line: run.line }).toEqual({
      exitCode: 0,
      line: 'ccsync? ◷ no active block · today $3.50',
    });
  });
});
