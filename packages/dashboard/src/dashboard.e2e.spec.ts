import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import {
  type ActiveBlockReply,
  type CcusageDailyReport,
  type CronJobListReply,
  type CronRunsReply,
  type DeviceListReply,
  type ForgeDailyReply,
  IssuedToken,
  PushUsageReply,
  RegisterDeviceReply,
  type UsageEntry,
} from '@ccsync/contracts';
import { type Gateway, GatewayEnv, startGateway } from '@ccsync/gateway';
import { startTestStack, type TestStack } from '@ccsync/gateway/test-stack';
import { type Scheduler, SchedulerEnv, startScheduler } from '@ccsync/scheduler';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { freePort, usageEntry, useTestNamespace, waitFor, waitForProjection } from '@ccsync/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The dashboard in Chromium, served by a gateway of a stack running in this process, with the
 * usage of three devices over two weeks, three models and a scheduler. What the page shows must be
 * exactly what the API answers, follow changes without a reload, and resume after the gateway
 * restarts. With CCSYNC_SCREENSHOT=1 it also writes docs/dashboard.png.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const TIMEZONE = 'Europe/Berlin';
const SCREENSHOT = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url));
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

let stack: TestStack;
let scheduler: Scheduler;
let workDir: string;
/** The gateway the page is served by, restarted on the same port by one test. */
let pageGateway: Gateway;
let pageEnv: GatewayEnv;
let browser: Browser;
let viewerToken: string;
let deviceToken: string;

/** Numbers as the CLIs print them. */
const count = (value: number) => Math.round(value).toLocaleString('en-US');
const usd = (value: number) => `$${value.toFixed(2)}`;

beforeAll(async () => {
  const limits = { GATEWAY_RATE_LIMIT_PER_MINUTE: '0', INGEST_RATE_LIMIT_PER_MINUTE: '0' };
  stack = await startTestStack(ns, limits);
  workDir = await mkdtemp(join(tmpdir(), 'ccsync-dashboard-'));
  scheduler = await startScheduler(
    parseEnv(
      SchedulerEnv,
      ns.env({ SCHEDULER_PORT: '0', SCHEDULER_DEFAULT_JOBS: 'false', SCHEDULER_WORK_DIR: workDir }),
    ),
    logger,
  );
  pageEnv = parseEnv(GatewayEnv, ns.env({ ...limits, GATEWAY_PORT: String(await freePort()) }));
  pageGateway = await startGateway(pageEnv, logger);
  viewerToken = IssuedToken.parse(await stack.post('/v1/tokens', ns.adminToken, { scope: 'viewer' })).token;
  deviceToken = RegisterDeviceReply.parse(await stack.post('/v1/devices', ns.adminToken, { device: 'laptop' })).token
    .token;
  await seedUsage();
  await seedCronRuns();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await pageGateway?.close();
  await scheduler?.close();
  await stack?.close();
  if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Usage as several machines would push it: deterministic, so every run draws the same dashboard.

const MODELS = ['claude-sonnet-4-5-20250929', 'claude-opus-4-7', 'claude-haiku-4-5-20251001'] as const;

/** mulberry32: a small seeded generator. */
function randomFrom(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let entrySeed = 0;
function entry(random: () => number, timestampMs: number, device: string): UsageEntry {
  const pick = random();
  const model = pick < 0.6 ? MODELS[0] : pick < 0.85 ? MODELS[1] : MODELS[2];
  const between = (low: number, high: number) => Math.round(low + random() * (high - low));
  return usageEntry(`${device}-${entrySeed++}`, {
    timestamp: new Date(timestampMs).toISOString(),
    model,
    sessionId: `${device}-session-${Math.floor(timestampMs / (3 * 3600_000))}`,
    usage: {
      inputTokens: between(40, 3000),
      outputTokens: between(200, 7000),
      cacheCreationInputTokens: between(1000, 30_000),
      cacheReadInputTokens: between(10_000, 320_000),
    },
  });
}

async function push(device: string, entries: UsageEntry[]): Promise<number> {
  return PushUsageReply.parse(await stack.post('/v1/usage', ns.adminToken, { device, entries })).seq;
}

/** Entries of the current block: every one at least a minute old, some within the burn window. */
function recentEntries(device: string, seed: number, minutesAgo: readonly number[]): UsageEntry[] {
  const random = randomFrom(seed);
  const now = Date.now();
  return minutesAgo.map((minutes) => entry(random, now - minutes * MINUTE, device));
}

async function heartbeat(device: string): Promise<void> {
  const response = await fetch(`${stack.ingest.url}/v1/heartbeat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ device }),
  });
  expect(response.status).toBe(204);
}

/** Minutes ago of `messages` messages spread over the last `minutes`, the latest a minute ago. */
function spread(messages: number, minutes: number): number[] {
  return Array.from({ length: messages }, (_, index) => Math.round(minutes - ((minutes - 1) * index) / (messages - 1)));
}

/**
 * Four weeks of three devices (the build server only some days), each day's messages at least a
 * day old, so the current block holds only the last hours' messages of the laptop and the desktop.
 */
async function seedUsage(): Promise<void> {
  const now = Date.now();
  const devices = [
    { device: 'laptop', seed: 1, perDay: [25, 50], everyDay: 0.9, recent: spread(24, 190) },
    { device: 'desktop', seed: 2, perDay: [10, 30], everyDay: 0.7, recent: spread(12, 100) },
    { device: 'build-server', seed: 3, perDay: [4, 14], everyDay: 0.45, recent: [] },
  ];
  let last = 0;
  for (const { device, seed, perDay, everyDay, recent } of devices) {
    const random = randomFrom(seed);
    const entries: UsageEntry[] = [];
    for (let daysAgo = 27; daysAgo >= 1; daysAgo--) {
      if (random() > everyDay) continue;
      const [fewest = 1, most = 1] = perDay;
      const messages = fewest + Math.floor(random() * (most - fewest + 1));
      const start = now - daysAgo * DAY - 10 * 3600_000;
      for (let message = 0; message < messages; message++) {
        entries.push(entry(random, start + random() * 9 * 3600_000, device));
      }
    }
    entries.push(...recentEntries(device, seed + 100, recent));
    last = Math.max(last, await push(device, entries));
  }
  await waitForProjection(ns, last);
  await Promise.all([heartbeat('laptop'), heartbeat('desktop')]);
  await waitFor(
    async () => {
      const { devices: listed } = await api<DeviceListReply>('/api/devices');
      return listed.filter((device) => device.online).length === 2;
    },
    { description: 'the laptop and the desktop to be online' },
  );
}

/**
 * Two jobs the account's admin may schedule, each run now, so there are runs to list. Their
 * schedules do not come round during the test: every run is one the test asked for.
 */
async function seedCronRuns(): Promise<void> {
  const jobs = [
    { name: 'standup-reminder', schedule: '0 9 1 1 *', kind: 'notify', args: { message: 'Stand-up in 5 min' } },
    { name: 'usage-sync', schedule: '15 3 1 1 *', kind: 'sync' },
  ];
  for (const job of jobs) {
    expect((await call('POST', '/api/cron/jobs', job)).status).toBe(201);
  }
  for (const job of ['usage-sync', 'standup-reminder', 'usage-sync']) await runJob(job);
}

async function runJob(job: string): Promise<void> {
  const response = await call('POST', `/api/cron/jobs/${job}/execute?wait=true`);
  expect(response.status).toBe(200);
}

// ---------------------------------------------------------------------------------------------
// The API, as the page reads it.

function call(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.gateway.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${ns.adminToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function api<T>(path: string, token = ns.adminToken): Promise<T> {
  const response = await fetch(`${stack.gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}`);
  return (await response.json()) as T;
}

// ---------------------------------------------------------------------------------------------
// A page, and what the browser saw while it was open.

interface Watched {
  readonly page: Page;
  /** Console errors, uncaught exceptions and CSP violations. */
  readonly errors: string[];
  /** Errors the browser reports for what a test provokes on purpose (a refused token, a stopped server). */
  expected: RegExp[];
  /** Every message sent and received on every socket the page opened, in order. */
  readonly frames: { readonly socket: number; readonly direction: 'sent' | 'received'; readonly message: Frame }[];
  readonly sockets: string[];
  readonly requests: string[];
  /** Main-frame navigations: 1 after the first load; a reload would make it 2. */
  navigations: number;
  /** The last `/api/blocks/active` reply the page received. */
  block: ActiveBlockReply | undefined;
}

type Frame = Record<string, unknown> & { type: string };

async function openPage(colorScheme: 'light' | 'dark' = 'light'): Promise<Watched> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    timezoneId: TIMEZONE,
    locale: 'en-US',
    colorScheme,
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  const page = await context.newPage();
  const watched: Watched = {
    page,
    errors: [],
    expected: [],
    frames: [],
    sockets: [],
    requests: [],
    navigations: 0,
    block: undefined,
  };
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const text = message.text();
    if (!watched.expected.some((expected) => expected.test(text))) watched.errors.push(text);
  });
  page.on('pageerror', (error) => watched.errors.push(`uncaught: ${error.message}`));
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) watched.navigations++;
  });
  page.on('request', (request) => watched.requests.push(request.url()));
  page.on('response', (response) => {
    if (new URL(response.url()).pathname !== '/api/blocks/active' || !response.ok()) return;
    // A reply cut off by a reload has no body to read, and was not shown either.
    response.json().then(
      (reply: ActiveBlockReply) => {
        watched.block = reply;
      },
      () => undefined,
    );
  });
  page.on('websocket', (socket) => {
    const index = watched.sockets.push(socket.url()) - 1;
    const record = (direction: 'sent' | 'received') => (frame: { payload: string | Buffer }) =>
      watched.frames.push({ socket: index, direction, message: JSON.parse(String(frame.payload)) as Frame });
    socket.on('framesent', record('sent'));
    socket.on('framereceived', record('received'));
  });
  return watched;
}

async function closePage(watched: Watched): Promise<void> {
  const { errors } = watched;
  await watched.page.context().close();
  expect(errors).toEqual([]);
}

const testId = (page: Page, id: string) => page.getByTestId(id);
const connectionState = (page: Page) => testId(page, 'connection-state').getAttribute('data-state');

async function signIn(watched: Watched, token: string): Promise<void> {
  const { page } = watched;
  await page.goto(`${pageGateway.url}/`);
  await testId(page, 'token-input').fill(token);
  await testId(page, 'sign-in').click();
  await waitFor(async () => (await connectionState(page)) === 'live', { description: 'the live connection' });
  await waitFor(
    async () =>
      page.evaluate(() =>
        [...document.querySelectorAll('section[aria-busy]')].every(
          (section) => section.getAttribute('aria-busy') === 'false',
        ),
      ),
    { description: 'every section to be loaded' },
  );
}

/** Leaves a mark in the page's window that a reload or navigation would wipe out. */
async function mark(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { ccsyncTestMark: string }).ccsyncTestMark = 'same page';
  });
}
const stillMarked = (page: Page) =>
  page.evaluate(() => (window as unknown as { ccsyncTestMark?: string }).ccsyncTestMark === 'same page');

/**
 * Waits until what `read` finds on the page equals what `expected` derives from the API, both
 * read afresh each time, and fails with the difference if they never meet.
 */
async function expectShown(description: string, read: () => Promise<unknown>, expected: () => Promise<unknown>) {
  let last: { shown: unknown; wanted: unknown } | undefined;
  await waitFor(
    async () => {
      const [shown, wanted] = await Promise.all([read(), expected()]);
      last = { shown, wanted };
      return isDeepStrictEqual(shown, wanted);
    },
    { timeoutMs: 15_000, description },
  ).catch(() => undefined);
  expect(last?.shown, description).toEqual(last?.wanted);
}

// ---------------------------------------------------------------------------------------------
// What the page shows, read from the DOM by data-testid, and what the API says it should be.

function shownBlock(page: Page) {
  return page.evaluate(() => {
    const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
    const devices = [...document.querySelectorAll('[data-testid="block-device"]')].map((row) => [
      row.getAttribute('data-device'),
      row.querySelector('[data-testid="block-device-tokens"]')?.textContent,
      row.querySelector('[data-testid="block-device-cost"]')?.textContent,
    ]);
    return {
      tokens: text('block-tokens'),
      cost: text('block-cost'),
      devices,
      reset: document.querySelector('[data-testid="block-reset"]')?.getAttribute('data-end') ?? null,
    };
  });
}

async function blockFromApi(token: string) {
  const { block, devices } = await api<ActiveBlockReply>('/api/blocks/active', token);
  if (block === null) throw new Error('no active block');
  return {
    tokens: count(block.totalTokens),
    cost: usd(block.costUSD),
    devices: devices.map((share) => [share.device, count(share.totalTokens), usd(share.costUSD)]),
    reset: block.endTime,
  };
}

/** Burn rate and projection depend on the minute they are asked in: compared with the reply the page got. */
function shownRates(page: Page) {
  return page.evaluate(() => {
    const text = (id: string) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
    return {
      burnTokens: text('burn-tokens'),
      burnCost: text('burn-cost'),
      projectedTokens: text('projected-tokens'),
      projectedCost: text('projected-cost'),
    };
  });
}

function ratesOf(reply: ActiveBlockReply | undefined) {
  if (reply?.block?.projection == null) return undefined;
  return {
    burnTokens: count(reply.burn.tokensPerMinute),
    burnCost: usd(reply.burn.costPerHour),
    projectedTokens: count(reply.block.projection.totalTokens),
    projectedCost: usd(reply.block.projection.totalCost),
  };
}

function shownDevices(page: Page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('[data-testid="device-row"]')].map((row) => {
        const cell = (id: string) => row.querySelector(`[data-testid="${id}"]`)?.textContent;
        return [
          row.getAttribute('data-device'),
          {
            status: cell('device-status'),
            entries: cell('device-entries'),
            tokens: cell('device-tokens'),
            cost: cell('device-cost'),
          },
        ];
      }),
    ),
  );
}

async function devicesFromApi(token: string) {
  const { devices } = await api<DeviceListReply>('/api/devices', token);
  return Object.fromEntries(
    devices.map((device) => [
      device.device,
      {
        status: device.online ? 'Online' : 'Offline',
        entries: count(device.entries),
        tokens: count(device.totalTokens),
        cost: usd(device.totalCost),
      },
    ]),
  );
}

type Metric = 'tokens' | 'cost';

function shownDaily(page: Page) {
  return page.evaluate(() => {
    const table = (kind: string) =>
      Object.fromEntries(
        [...document.querySelectorAll(`[data-testid="daily-${kind}-row"]`)].map((row) => [
          row.getAttribute('data-date'),
          {
            total: row.querySelector('[data-testid="daily-day-total"]')?.textContent,
            series: Object.fromEntries(
              [...row.querySelectorAll('td[data-series]')].map((cell) => [
                cell.getAttribute('data-series'),
                cell.textContent,
              ]),
            ),
          },
        ]),
      );
    return {
      tokens: document.querySelector('[data-testid="daily-total-tokens"]')?.textContent,
      cost: document.querySelector('[data-testid="daily-total-cost"]')?.textContent,
      byDevice: table('device'),
      byModel: table('model'),
    };
  });
}

/** Each day with usage: the report's total, and every series of the chart (zero where it had none). */
async function dailyFromApi(token: string, metric: Metric) {
  const tz = encodeURIComponent(TIMEZONE);
  const forge = await api<ForgeDailyReply>(`/v1/stats/daily?days=30&tz=${tz}`, token);
  const since = forge.days[0]?.date.replaceAll('-', '') ?? '';
  const report = await api<CcusageDailyReport>(`/api/stats/daily?tz=${tz}&since=${since}`, token);
  const format = metric === 'tokens' ? count : usd;
  const value = (tokens: number, cost: number) => format(metric === 'tokens' ? tokens : cost);
  const hosts = new Set(forge.days.flatMap((day) => day.machines.map((machine) => machine.hostname)));
  const models = new Set(report.daily.flatMap((day) => day.modelBreakdowns.map((model) => model.modelName)));
  const byDevice = forge.days
    .filter((day) => day.totalTokens > 0)
    .map((day) => [
      day.date,
      {
        total: value(day.totalTokens, day.totalCost),
        series: Object.fromEntries(
          [...hosts].map((host) => {
            const machine = day.machines.find((one) => one.hostname === host);
            return [host, value(machine?.totalTokens ?? 0, machine?.totalCost ?? 0)];
          }),
        ),
      },
    ]);
  const byModel = report.daily
    .filter((day) => day.totalTokens > 0 && forge.days.some((shown) => shown.date === day.date))
    .map((day) => [
      day.date,
      {
        total: value(day.totalTokens, day.totalCost),
        series: Object.fromEntries(
          [...models].map((name) => {
            const model = day.modelBreakdowns.find((one) => one.modelName === name);
            const tokens =
              (model?.inputTokens ?? 0) +
              (model?.outputTokens ?? 0) +
              (model?.cacheCreationTokens ?? 0) +
              (model?.cacheReadTokens ?? 0);
            return [name, value(tokens, model?.cost ?? 0)];
          }),
        ),
      },
    ]);
  return {
    tokens: count(forge.totals.totalTokens),
    cost: usd(forge.totals.totalCost),
    byDevice: Object.fromEntries(byDevice),
    byModel: Object.fromEntries(byModel),
  };
}

function shownCronRuns(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="cron-run"]')].map((row) => row.getAttribute('data-run')),
  );
}

async function cronRunsFromApi() {
  const { jobs } = await api<CronJobListReply>('/api/cron/jobs');
  const replies = await Promise.all(jobs.map((job) => api<CronRunsReply>(`/api/cron/jobs/${job.name}/runs?limit=15`)));
  return replies
    .flatMap((reply) => reply.runs)
    .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.seq - a.seq)
    .slice(0, 15)
    .map((run) => run.runId);
}

/** Everything the page shows, against the API, in tokens. */
async function expectSameAsApi(watched: Watched, token: string): Promise<void> {
  const { page } = watched;
  await expectShown(
    'the active block',
    () => shownBlock(page),
    () => blockFromApi(token),
  );
  await expectShown(
    'the burn rate and projection',
    () => shownRates(page),
    async () => ratesOf(watched.block),
  );
  await expectShown(
    'the devices',
    () => shownDevices(page),
    () => devicesFromApi(token),
  );
  await expectShown(
    'the daily usage',
    () => shownDaily(page),
    () => dailyFromApi(token, 'tokens'),
  );
}

// ---------------------------------------------------------------------------------------------

describe('the dashboard at /', () => {
  it('refuses a wrong token and a device token, saying why, and keeps neither', async () => {
    const watched = await openPage();
    const { page } = watched;
    // The browser itself reports the refused requests.
    watched.expected = [/status of 401/, /status of 403/];
    await page.goto(`${pageGateway.url}/`);
    const error = testId(page, 'login-error');

    await testId(page, 'sign-in').click();
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toBe('Paste a token first.');

    await testId(page, 'token-input').fill('ccs_not_a_real_token');
    await testId(page, 'sign-in').click();
    await waitFor(async () => (await error.textContent())?.startsWith('That token was not accepted'), {
      description: 'the wrong token to be refused',
    });

    await testId(page, 'token-input').fill(deviceToken);
    await testId(page, 'sign-in').click();
    await waitFor(async () => (await error.textContent())?.startsWith('This token cannot read usage'), {
      description: 'the device token to be refused',
    });
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(watched.sockets).toEqual([]);
    await closePage(watched);
  });

  it('shows a viewer exactly what the API answers, in tokens and in cost', async () => {
    const watched = await openPage();
    const { page } = watched;
    await signIn(watched, viewerToken);
    await expectSameAsApi(watched, viewerToken);

    await page.locator('label[for="metric-cost"]').click();
    await expectShown(
      'the daily cost',
      () => shownDaily(page),
      () => dailyFromApi(viewerToken, 'cost'),
    );

    // Three devices, three models, several days: the charts have something to stack.
    expect(await page.getByTestId('daily-by-device').getAttribute('data-series')).toBe('3');
    expect(await page.getByTestId('daily-by-model').getAttribute('data-series')).toBe('3');
    expect(Object.keys(await shownDaily(page).then((daily) => daily.byDevice)).length).toBeGreaterThan(5);
    const note = testId(page, 'cron-note');
    expect(await note.getAttribute('data-reason')).toBe('needs_admin');
    expect(await testId(page, 'account').textContent()).toBe('defaultviewer');

    // The token went in headers and in the socket's first message, never in a URL.
    expect(watched.requests.filter((url) => url.includes(viewerToken))).toEqual([]);
    expect(watched.sockets).toEqual([`${pageGateway.url.replace(/^http/, 'ws')}/ws`]);
    expect(watched.frames[0]).toEqual({ socket: 0, direction: 'sent', message: { type: 'auth', token: viewerToken } });
    expect(await page.evaluate(() => sessionStorage.getItem('ccsync.token'))).toBe(viewerToken);
    await closePage(watched);
  });

  it('shows an admin the latest cron runs, and a new run as it happens', async () => {
    const watched = await openPage();
    const { page } = watched;
    await signIn(watched, ns.adminToken);
    await expectShown('the cron runs', () => shownCronRuns(page), cronRunsFromApi);
    expect((await shownCronRuns(page)).length).toBe(3);
    await expectSameAsApi(watched, ns.adminToken);

    if (process.env.CCSYNC_SCREENSHOT === '1') {
      // The chart's legend shows the day under the pointer: point at a day with usage.
      const plot = page.locator('[data-testid="daily-by-device"] .u-over');
      const box = await plot.boundingBox();
      if (box !== null) await page.mouse.move(box.x + box.width * 0.83, box.y + box.height * 0.6);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      await page.mouse.move(0, 0);
    }

    await mark(page);
    await runJob('standup-reminder');
    await expectShown('the new cron run', () => shownCronRuns(page), cronRunsFromApi);
    expect((await shownCronRuns(page)).length).toBe(4);
    expect(await stillMarked(page)).toBe(true);
    await closePage(watched);
  });

  it('follows new usage and a new device as they come, without reloading the page', async () => {
    const watched = await openPage('dark');
    const { page } = watched;
    await signIn(watched, viewerToken);
    await expectSameAsApi(watched, viewerToken);
    const before = await shownBlock(page);
    await mark(page);
    const loads = watched.navigations;

    await waitForProjection(ns, await push('tablet', recentEntries('tablet', 7, [3, 2])));
    await expectSameAsApi(watched, viewerToken);
    const after = await shownBlock(page);
    expect(after.tokens).not.toBe(before.tokens);
    expect(after.cost).not.toBe(before.cost);
    expect(after.devices.map(([device]) => device)).toContain('tablet');
    expect(Object.keys(await shownDevices(page))).toContain('tablet');

    expect(await stillMarked(page)).toBe(true);
    expect(watched.navigations).toBe(loads);
    await closePage(watched);
  });

  // A longer limit than the others: the waits below add up to a minute, and on a loaded CI machine
  // the restarted gateway was once still starting when the default minute ran out.
  it('resumes after the gateway restarts, with what changed while it was down', async () => {
    const watched = await openPage();
    const { page } = watched;
    await signIn(watched, ns.adminToken);
    await expectSameAsApi(watched, ns.adminToken);
    await mark(page);
    const loads = watched.navigations;
    const framesBefore = watched.frames.length;
    const socketsBefore = watched.sockets.length;

    // While the gateway is down the browser reports each refused attempt to reconnect.
    watched.expected = [/WebSocket connection to .* failed/];
    await pageGateway.close();
    await waitFor(async () => (await connectionState(page)) === 'reconnecting', {
      description: 'the page to notice the lost connection',
    });
    const missed = await push('desktop', recentEntries('desktop', 8, [2, 1]));
    await waitForProjection(ns, missed);
    pageGateway = await startGateway(pageEnv, logger);
    await waitFor(async () => (await connectionState(page)) === 'live', {
      timeoutMs: 30_000,
      description: 'the page to reconnect',
    });
    watched.expected = [];

    // Every channel was subscribed again from its own position, and the missed changes replayed.
    const after = watched.frames.slice(framesBefore).filter(({ socket }) => socket >= socketsBefore);
    const resubscribed = after.filter(({ direction, message }) => direction === 'sent' && message.type === 'subscribe');
    expect(
      resubscribed.map(({ message }) => [message.channels, typeof (message.since as { seq?: unknown })?.seq]),
    ).toEqual([
      [['usage'], 'number'],
      [['blocks'], 'number'],
      [['presence'], 'number'],
      [['cron'], 'number'],
    ]);
    const answers = after.filter(({ direction, message }) => direction === 'received' && message.type === 'subscribed');
    expect(answers.map(({ message }) => message.recovered)).toEqual([true, true, true, true]);
    expect(answers.reduce((sum, { message }) => sum + Number(message.replayed), 0)).toBeGreaterThan(0);

    await expectSameAsApi(watched, ns.adminToken);
    expect(await stillMarked(page)).toBe(true);
    expect(watched.navigations).toBe(loads);
    await closePage(watched);
  }, 120_000);

  it('keeps the session in the tab across a reload, and forgets it on sign-out', async () => {
    const watched = await openPage();
    const { page } = watched;
    await signIn(watched, viewerToken);
    await page.reload();
    await waitFor(async () => (await connectionState(page)) === 'live', { description: 'the page to reconnect' });
    expect(await page.locator('#login-view').isHidden()).toBe(true);

    await testId(page, 'sign-out').click();
    await page.locator('#login-view').waitFor({ state: 'visible' });
    expect(await page.evaluate(() => sessionStorage.getItem('ccsync.token'))).toBeNull();
    expect(await page.locator('#dashboard').isHidden()).toBe(true);
    expect(await page.locator('[data-testid="device-row"]').count()).toBe(0);
    await page.reload();
    await page.locator('#login-view').waitFor({ state: 'visible' });
    await closePage(watched);
  });
});
