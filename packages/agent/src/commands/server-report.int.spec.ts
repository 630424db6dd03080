import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DeviceListReply, ForgeDailyReply } from '@ccsync/contracts';
import {
  ccusageBinary,
  expectSameReport,
  generateTranscriptCorpus,
  usageEntry,
  useTestNamespace,
  waitFor,
  waitForProjection,
  writeTranscriptCorpus,
} from '@ccsync/testkit';
import { formatCcusageJson, type PeriodReport } from '@ccsync/usage';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN, runAgentPush, startTestStack, type TestStack } from '../test-stack.ts';

/*
 * `ccsync report …` reads the account from the gateway: its JSON is ccusage's over the union of
 * every device's transcripts, its tables show the API's numbers with a column per device, and
 * `ccsync tokens` charts the API's daily figures.
 */
const ns = useTestNamespace();
let stack: TestStack;
let workDir: string;
let configDirs: string[];
let devices: string[];
let viewer: string;

beforeAll(async () => {
  stack = await startTestStack(ns);
  workDir = await mkdtemp(join(tmpdir(), 'ccsync-server-report-'));
  configDirs = await writeTranscriptCorpus(
    generateTranscriptCorpus({ seed: 17, devices: 3, sessionsPerDevice: 4 }),
    join(workDir, 'corpus'),
  );
  devices = configDirs.map((dir) => basename(dir));
  let lastSeq = 0;
  for (const [index, dir] of configDirs.entries()) {
    const push = await runAgentPush({
      ingest: stack.ingest.url,
      token: ns.adminToken,
      device: devices[index] ?? '',
      claudeDir: dir,
      stateDir: join(workDir, `state-${index}`),
    });
    expect(push.exitCode).toBe(0);
    lastSeq = Math.max(lastSeq, Number(push.lastSeq));
  }
  await waitForProjection(ns, lastSeq);
  viewer = ((await stack.post('/v1/tokens', ns.adminToken, { scope: 'viewer' })) as { token: string }).token;
});
afterAll(async () => {
  await stack?.close();
  await rm(workDir, { recursive: true, force: true });
});

/** The real binary, reading with the viewer token; never the user's own config. */
function ccsync(args: readonly string[], env: Record<string, string> = {}) {
  return execa('node', [AGENT_BIN, ...args], {
    preferLocal: true,
    reject: false,
    env: {
      XDG_CONFIG_HOME: join(workDir, 'config'),
      CCSYNC_GATEWAY_URL: stack.gateway.url,
      CCSYNC_READ_TOKEN: viewer,
      NO_COLOR: '1',
      TZ: 'UTC',
      ...env,
    },
  });
}

async function api<T>(path: string, parse: (body: unknown) => T = (body) => body as T): Promise<T> {
  const response = await fetch(`${stack.gateway.url}${path}`, { headers: { authorization: `Bearer ${viewer}` } });
  expect(response.status, path).toBe(200);
  return parse(await response.json());
}

async function ccusage(args: readonly string[]): Promise<unknown> {
  const { stdout } = await execa(await ccusageBinary(), ['claude', ...args, '--json', '--offline'], {
    cwd: workDir,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '', HOME: workDir, CLAUDE_CONFIG_DIR: configDirs.join(','), TZ: 'UTC' },
  });
  return JSON.parse(stdout);
}

describe('ccsync report --json', () => {
  it.each([
    { ours: ['daily', '-z', 'Asia/Kolkata'], theirs: ['daily', '-z', 'Asia/Kolkata'] },
    { ours: ['weekly', '-z', 'UTC', '-w', 'monday'], theirs: ['weekly', '-z', 'UTC', '-w', 'monday'] },
    { ours: ['monthly', '-z', 'America/New_York'], theirs: ['monthly', '-z', 'America/New_York'] },
    { ours: ['session', '-z', 'UTC'], theirs: ['session', '-z', 'UTC'] },
    { ours: ['blocks'], theirs: ['blocks'] },
    { ours: ['blocks', '--token-limit', 'max'], theirs: ['blocks', '--token-limit', 'max'] },
  ])('report $ours.0 is ccusage’s report over every device ($ours)', async ({ ours, theirs }) => {
    const result = await ccsync(['report', ...ours, '--json']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(Object.values(report).some((rows) => Array.isArray(rows) && rows.length > 1)).toBe(true);
    expectSameReport(report, await ccusage(theirs));
  });

  it('prints the API’s report in ccusage’s JSON form, byte for byte', async () => {
    const result = await ccsync(['report', 'daily', '--json', '-z', 'UTC', '--order', 'desc']);
    const reply = await api<PeriodReport>('/api/stats/daily?tz=UTC&order=desc');
    // execa drops the final newline the command printed.
    expect(result.stdout).toBe(formatCcusageJson(reply));
  });

  it('narrows to one device with --only-device', async () => {
    const device = devices[1] ?? '';
    const result = await ccsync(['report', 'monthly', '--json', '--only-device', device]);
    expect(JSON.parse(result.stdout)).toEqual(await api(`/api/stats/monthly?tz=UTC&device=${device}`));
  });

  it('lists the devices as /api/devices does', async () => {
    const result = await ccsync(['report', 'devices', '--json']);
    const reply = await api('/api/devices', (body) => DeviceListReply.parse(body));
    expect(reply.devices.map((device) => device.device).sort()).toEqual([...devices].sort());
    expect(JSON.parse(result.stdout)).toEqual(reply);
  });
});

describe('ccsync report tables', () => {
  type Row = { date: string; totalCost: number; totalTokens: number };

  it('show each day’s API totals and a cost column per device that adds up', async () => {
    const result = await ccsync(['report', 'daily', '-z', 'UTC']);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    const header = lines.find((line) => line.includes('Date')) ?? '';
    for (const device of devices) expect(header).toContain(device);

    const report = await api<{ daily: Row[]; totals: Row }>('/api/stats/daily?tz=UTC');
    const perDevice = await Promise.all(
      devices.map((device) => api<{ daily: Row[] }>(`/api/stats/daily?tz=UTC&device=${device}`)),
    );
    for (const day of report.daily) {
      const cells = (lines.find((line) => line.includes(` ${day.date} `)) ?? '').split('│').map((cell) => cell.trim());
      expect(cells).toContain(day.totalTokens.toLocaleString('en-US'));
      expect(cells).toContain(`$${day.totalCost.toFixed(2)}`);
      // The device columns, in the header's order, hold each device's API cost of the day.
      const deviceCells = cells.slice(-devices.length - 1, -1);
      const expected = [...devices].sort().map((device) => {
        const row = perDevice[devices.indexOf(device)]?.daily.find((other) => other.date === day.date);
        return row === undefined ? '' : `$${row.totalCost.toFixed(2)}`;
      });
      expect(deviceCells).toEqual(expected);
    }
    const total = lines.find((line) => line.includes('Total') && !line.includes('Total tokens')) ?? '';
    expect(total).toContain(`$${report.totals.totalCost.toFixed(2)}`);
    expect(total).toContain(report.totals.totalTokens.toLocaleString('en-US'));
  });

  it('fit a narrow terminal, saying which columns are hidden', async () => {
    const session = `ccsync-report-${process.pid}`;
    const env = {
      XDG_CONFIG_HOME: join(workDir, 'config'),
      CCSYNC_GATEWAY_URL: stack.gateway.url,
      CCSYNC_READ_TOKEN: viewer,
      NO_COLOR: '1',
      TZ: 'UTC',
    };
    // tmux, on a server of the test's own, gives the command a real 70-column terminal whose
    // screen stays readable after the command exits.
    const tmux = (args: readonly string[]) => execa('tmux', ['-L', session, '-f', '/dev/null', ...args]);
    await tmux(['new-session', '-d', '-s', session, '-x', '70', '-y', '50', 'cat']);
    await tmux(['set-option', '-t', session, 'remain-on-exit', 'on']);
    await tmux([
      'respawn-pane',
      '-k',
      '-t',
      session,
      ...Object.entries(env).flatMap(([name, value]) => ['-e', `${name}=${value}`]),
      process.execPath,
      AGENT_BIN,
      'report',
      'weekly',
    ]);
    try {
      let screen = '';
      await waitFor(
        async () => {
          screen = (await tmux(['capture-pane', '-p', '-t', session])).stdout;
          return screen.includes('Some columns are hidden');
        },
        { description: 'the weekly report on a 70-column screen' },
      );
      const width = Math.max(...screen.split('\n').map((line) => line.length));
      expect(width).toBeLessThanOrEqual(70);
      const report = await api<{ totals: Row }>('/api/stats/weekly?tz=UTC');
      expect(screen).toContain(`$${report.totals.totalCost.toFixed(2)}`);
    } finally {
      await execa('tmux', ['-L', session, 'kill-server'], { reject: false });
    }
  });
});

describe('ccsync tokens', () => {
  const DAY = 86_400_000;
  const today = new Date();
  const daysAgo = (days: number) => new Date(today.getTime() - days * DAY).toISOString();

  beforeAll(async () => {
    // Recent usage from two devices, so the last days are not empty.
    const entries = (device: string, days: number[]) =>
      days.map((day, index) =>
        usageEntry(`${device}-${day}-${index}`, {
          timestamp: daysAgo(day),
          usage: {
            inputTokens: 1000 * (day + 1),
            outputTokens: 500,
            cacheCreationInputTokens: 0,
            cacheReadInputTokens: 0,
          },
        }),
      );
    const first = (await stack.post('/v1/usage', ns.adminToken, {
      device: 'laptop',
      entries: entries('laptop', [0, 2]),
    })) as {
      seq: number;
    };
    const second = (await stack.post('/v1/usage', ns.adminToken, {
      device: 'desktop',
      entries: entries('desktop', [0, 1, 3]),
    })) as { seq: number };
    await waitForProjection(ns, Math.max(first.seq, second.seq));
  });

  it('--json gives the API’s daily figures per device and in total', async () => {
    const result = await ccsync(['tokens', '-d', '5', '--json', '-z', 'UTC']);
    expect(result.exitCode).toBe(0);
    const reply = await api('/v1/stats/daily?days=5&tz=UTC', (body) => ForgeDailyReply.parse(body));
    const chart = JSON.parse(result.stdout) as {
      days: { date: string; total: number; devices: Record<string, number> }[];
    };
    expect(chart.days.map((day) => day.date)).toEqual(reply.days.map((day) => day.date));
    for (const [index, day] of reply.days.entries()) {
      expect(chart.days[index]?.total).toBe(day.totalTokens);
      for (const machine of day.machines)
        expect(chart.days[index]?.devices[machine.hostname]).toBe(machine.totalTokens);
    }
    expect(chart.days.at(-1)?.devices.laptop).toBe(1500);
    expect(chart.days.at(-2)?.devices.desktop).toBe(2500);
  });

  it('draws the total and lists each device’s sum over the days', async () => {
    const result = await ccsync(['tokens', '-d', '5', '-z', 'UTC']);
    expect(result.exitCode).toBe(0);
    const reply = await api('/v1/stats/daily?days=5&tz=UTC', (body) => ForgeDailyReply.parse(body));
    const sum = (pick: (day: (typeof reply.days)[number]) => number) =>
      reply.days.reduce((total, day) => total + pick(day), 0).toLocaleString('en-US');
    expect(result.stdout).toContain(`━━ total  ${sum((day) => day.totalTokens)}`);
    expect(result.stdout).toContain(
      `━━ laptop  ${sum((day) => day.machines.find((machine) => machine.hostname === 'laptop')?.totalTokens ?? 0)}`,
    );
    // The chart's axis: a line of box-drawing characters under labels.
    expect(result.stdout).toMatch(/[╭╮╰╯─│┤┼]/);
  });
  it('--local charts this machine’s transcripts without a server', async () => {
    const dir = join(workDir, 'local-claude');
    const folder = join(dir, 'projects', '-home-me-app');
    await mkdir(folder, { recursive: true });
    const line = (id: string, days: number, input: number) =>
      JSON.stringify({
        type: 'assistant',
        timestamp: daysAgo(days),
        sessionId: 'local-session',
        requestId: `req_${id}`,
        message: { id: `msg_${id}`, model: 'claude-opus-4-6', usage: { input_tokens: input, output_tokens: 10 } },
      });
    await writeFile(
      join(folder, 'local-session.jsonl'),
      `${[line('a', 0, 100), line('b', 0, 200), line('c', 2, 40)].join('\n')}\n`,
    );
    const result = await ccsync(
      ['tokens', '--local', '-d', '3', '--json', '-z', 'UTC', '--claude-dir', dir, '--device', 'here'],
      {
        CCSYNC_GATEWAY_URL: '',
      },
    );
    expect(result.exitCode).toBe(0);
    expect(
      JSON.parse(result.stdout).days.map((day: { total: number; devices: Record<string, number> }) => [
        day.total,
        day.devices.here,
      ]),
    ).toEqual([
      [50, 50],
      [0, 0],
      [320, 320],
    ]);
  });
});

describe('errors a script can rely on', () => {
  it.each([
    {
      name: 'no gateway',
      args: ['report', 'daily'],
      env: { CCSYNC_GATEWAY_URL: '' },
      code: 3,
      message: 'No gateway configured',
    },
    {
      name: 'a device token',
      args: ['report', 'daily'],
      env: { CCSYNC_READ_TOKEN: 'device' },
      code: 4,
      message: 'may not read',
    },
    {
      name: 'a wrong token',
      args: ['report', 'devices'],
      env: { CCSYNC_READ_TOKEN: 'ccs_nope_nope' },
      code: 4,
      message: 'refused',
    },
    {
      name: 'an unreachable gateway',
      args: ['report', 'daily'],
      env: { CCSYNC_GATEWAY_URL: 'http://127.0.0.1:9' },
      code: 9,
      message: 'Cannot reach',
    },
    { name: 'a bad order', args: ['report', 'daily', '--order', 'up'], env: {}, code: 2, message: '--order' },
    { name: 'a bad day count', args: ['tokens', '-d', '0'], env: {}, code: 2, message: '--days' },
  ])('$name exits $code', async ({ args, env, code, message }) => {
    let environment = env as Record<string, string>;
    if (env.CCSYNC_READ_TOKEN === 'device') {
      const registered = (await stack.post('/v1/devices', ns.adminToken, { device: 'reader-test' })) as {
        token: { token: string };
      };
      environment = { CCSYNC_READ_TOKEN: registered.token.token };
    }
    const result = await ccsync(args, environment);
    expect(result.exitCode).toBe(code);
    expect(result.stderr).toContain(message);
    expect(result.stdout).toBe('');
  });
});
