import {
  CreateAccountReply,
  ForgeDailyReply,
  ForgeMachinesReply,
  ForgeModelsReply,
  ForgeTotalsReply,
  IssuedToken,
  PushUsageReply,
  RegisterDeviceReply,
} from '@ccsync/contracts';
import { usageEntry, useTestNamespace, waitForProjection } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from './app.ts';
import { startTestStack, type TestStack } from './test-stack.ts';

/*
 * Claudeforge's read API (seed 002) over an account's every device, with its `X-API-Key` header.
 */
const ns = useTestNamespace();
let stack: TestStack;
let gateway: Gateway;
let admin: string;
let viewer: string;
let device: string;

const DAY_MS = 86_400_000;
const today = new Date().toISOString().slice(0, 10);
const dayBefore = (days: number) => new Date(Date.parse(`${today}T12:00:00.000Z`) - days * DAY_MS);

const post = (path: string, token: string, body: unknown) => stack.post(path, token, body);

/** A message of `input` input tokens and no others, on the given day. */
const message = (seed: string, day: Date, model: string, input: number) =>
  usageEntry(seed, {
    timestamp: day.toISOString(),
    model,
    usage: { inputTokens: input, outputTokens: 0, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
  });

beforeAll(async () => {
  stack = await startTestStack(ns);
  gateway = stack.gateway;

  admin = CreateAccountReply.parse(await post('/v1/accounts', ns.adminToken, { id: 'forge' })).adminToken.token;
  viewer = IssuedToken.parse(await post('/v1/tokens', admin, { scope: 'viewer' })).token;
  device = RegisterDeviceReply.parse(await post('/v1/devices', admin, { device: 'work-laptop' })).token.token;
  await post('/v1/usage', admin, {
    device: 'home-desktop',
    entries: [
      message('h1', dayBefore(0), 'claude-sonnet-4-5-20250929', 1000),
      message('h2', dayBefore(1), 'claude-opus-4-1-20250805', 100),
      message('h3', dayBefore(40), 'claude-sonnet-4-5-20250929', 7),
    ],
  });
  const { seq } = PushUsageReply.parse(
    await post('/v1/usage', device, { entries: [message('w1', dayBefore(0), 'claude-sonnet-4-5-20250929', 20)] }),
  );
  await waitForProjection(ns, seq);
});
afterAll(() => stack?.close());

const read = (path: string, headers: Record<string, string>) => fetch(`${gateway.url}${path}`, { headers });

// Sonnet 4.5 input is $3 per million tokens, Opus 4.1 $15.
const SONNET = 3e-6;
const OPUS = 15e-6;

describe('Claudeforge’s read API', () => {
  it('GET /v1/stats/daily lists the last days, zeros included, with each machine’s share', async () => {
    const response = await read('/v1/stats/daily?days=3', { 'x-api-key': viewer });
    expect(response.status).toBe(200);
    const { days, totals } = ForgeDailyReply.parse(await response.json());
    expect(
      days.map((day) => [day.date, day.inputTokens, day.machines.map((m) => [m.hostname, m.totalTokens])]),
    ).toEqual([
      [dayBefore(2).toISOString().slice(0, 10), 0, []],
      [dayBefore(1).toISOString().slice(0, 10), 100, [['home-desktop', 100]]],
      [
        today,
        1020,
        [
          ['home-desktop', 1000],
          ['work-laptop', 20],
        ],
      ],
    ]);
    expect(totals.totalTokens).toBe(1120);
    expect(totals.totalCost).toBeCloseTo(1020 * SONNET + 100 * OPUS, 12);
  });

  it('GET /v1/stats/totals, /machines and /models cover all time', async () => {
    const headers = { 'x-api-key': viewer };
    const totals = ForgeTotalsReply.parse(await (await read('/v1/stats/totals', headers)).json());
    expect(totals).toMatchObject({ entries: 4, inputTokens: 1127, totalTokens: 1127, machines: 2 });
    expect(totals.totalCost).toBeCloseTo(1027 * SONNET + 100 * OPUS, 12);

    const { machines } = ForgeMachinesReply.parse(await (await read('/v1/stats/machines', headers)).json());
    expect(machines.map((m) => [m.hostname, m.entries, m.totalTokens, m.online])).toEqual([
      ['home-desktop', 3, 1107, false],
      ['work-laptop', 1, 20, false],
    ]);

    const { models } = ForgeModelsReply.parse(await (await read('/v1/stats/models', headers)).json());
    // Most expensive first: 1027 Sonnet tokens cost more than 100 Opus ones.
    expect(models.map((m) => [m.model, m.entries, m.totalTokens])).toEqual([
      ['claude-sonnet-4-5-20250929', 3, 1027],
      ['claude-opus-4-1-20250805', 1, 100],
    ]);
    expect(models[0]?.lastSeenAt).toBe(dayBefore(0).toISOString());
  });

  it('needs a reading token: 401 without one, 403 for a device token, 400 for a bad query', async () => {
    for (const path of ['/v1/stats/daily', '/v1/stats/totals', '/v1/stats/machines', '/v1/stats/models']) {
      expect((await read(path, {})).status, path).toBe(401);
      expect((await read(path, { 'x-api-key': 'not-a-token' })).status, path).toBe(401);
      expect((await read(path, { 'x-api-key': device })).status, path).toBe(403);
      expect((await read(path, { authorization: `Bearer ${admin}` })).status, path).toBe(200);
    }
    expect((await read('/v1/stats/daily?days=0', { 'x-api-key': viewer })).status).toBe(400);
    expect((await read('/v1/stats/daily?tz=Nowhere/Town', { 'x-api-key': viewer })).status).toBe(400);
  });

  it('shows another account nothing of this one', async () => {
    const { machines } = ForgeMachinesReply.parse(
      await (await read('/v1/stats/machines', { 'x-api-key': ns.adminToken })).json(),
    );
    expect(machines).toEqual([]);
  });
});
