import {
  DEFAULT_ACCOUNT,
  decodeEvent,
  ErrorReply,
  IssuedToken,
  RateLimitsReply,
  RebuildReply,
  RecordRateLimitsReply,
  RegisterDeviceReply,
  type ServerMessage,
} from '@ccsync/contracts';
import { ProjectionRegistry, Redis } from '@ccsync/service-kit';
import { openTestSocket, type TestSocket, useTestNamespace, waitFor, waitForProjection } from '@ccsync/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from './test-stack.ts';

/*
 * Claude Code's official rate-limit figures: devices report what their status line showed
 * (`POST /v1/rate-limits` on ingest), the projector keeps the newest observation of each window,
 * and the gateway serves it (`GET /api/rate-limits`) and pushes each change on `blocks`.
 */
const ns = useTestNamespace();
let stack: TestStack;
let nc: NatsConnection;
let redis: Redis;
let laptopToken: string;
let viewerToken: string;
let socket: TestSocket;

beforeAll(async () => {
  stack = await startTestStack(ns, { INGEST_RATE_LIMIT_PER_MINUTE: '0', GATEWAY_RATE_LIMIT_PER_MINUTE: '0' });
  nc = await connect({ servers: ns.natsUrl });
  redis = new Redis(ns.redisUrl);
  laptopToken = RegisterDeviceReply.parse(await stack.post('/v1/devices', ns.adminToken, { device: 'laptop' })).token
    .token;
  viewerToken = IssuedToken.parse(await stack.post('/v1/tokens', ns.adminToken, { scope: 'viewer' })).token;
  socket = await openTestSocket(`${stack.gateway.url.replace(/^http/, 'ws')}/ws?token=${viewerToken}`);
  socket.send({ type: 'subscribe', channels: ['blocks'] });
  await socket.next((message) => message.type === 'subscribed');
});
afterAll(async () => {
  await socket?.close();
  redis?.disconnect();
  await nc?.close();
  await stack?.close();
});

const report = (token: string, body: unknown) =>
  fetch(`${stack.ingest.url}/v1/rate-limits`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
/** Reports an observation that must be accepted, and returns ingest's reply. */
async function accepted(token: string, body: unknown) {
  const response = await report(token, body);
  expect(response.status).toBe(202);
  return RecordRateLimitsReply.parse(await response.json());
}
async function rateLimits(token = viewerToken) {
  const response = await fetch(`${stack.gateway.url}/api/rate-limits`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status).toBe(200);
  return RateLimitsReply.parse(await response.json());
}
const storedEvents = async () => (await (await jetstreamManager(nc)).streams.info(ns.names.eventStream)).state.messages;
type RateLimitsUpdate = Extract<ServerMessage, { type: 'rate_limits_update' }>;
const updates = () =>
  socket.messages.filter(
    (message): message is RateLimitsUpdate => (message as RateLimitsUpdate).type === 'rate_limits_update',
  );
const updateFor = (seq: number) =>
  socket.next<RateLimitsUpdate>(
    (message) => message.type === 'rate_limits_update' && (message.payload as { seq: number }).seq === seq,
  );

const earlier = '2026-11-20T10:00:00.000Z';
const later = '2026-11-20T10:05:00.000Z';
const latest = '2026-11-20T10:09:30.250Z';
const fiveHourResets = '2026-11-20T14:00:00.000Z';
const sevenDayResets = '2026-11-24T08:00:00.000Z';
/** The laptop's report, sent first although it is the newer of the two. */
const laptopReport = {
  observedAt: later,
  windows: {
    five_hour: { usedPercentage: 42, resetsAt: fiveHourResets },
    seven_day: { usedPercentage: 12.5, resetsAt: sevenDayResets },
  },
};
/** The desktop's older report of the same windows, and of one the laptop does not show. */
const desktopReport = {
  device: 'desktop',
  observedAt: earlier,
  windows: {
    five_hour: { usedPercentage: 30, resetsAt: fiveHourResets },
    seven_day: { usedPercentage: 11, resetsAt: sevenDayResets },
    seven_day_opus: { usedPercentage: 3, resetsAt: null },
  },
};
/** What the account shows once both reports are applied. */
let shown: RateLimitsReply;
/** Where the laptop's report is in the history. */
let laptopReported: RecordRateLimitsReply;

describe('GET /api/rate-limits', () => {
  it('shows no windows before any device reported', async () => {
    expect(await rateLimits()).toEqual({ account: DEFAULT_ACCOUNT, windows: {} });
  });

  it('keeps the newest observation of each window across devices, whichever arrives last', async () => {
    // A device token names no device: its own. The account's admin names the desktop.
    const first = await accepted(laptopToken, laptopReport);
    laptopReported = first;
    const second = await accepted(ns.adminToken, desktopReport);
    expect({ first: first.duplicate, second: second.duplicate }).toEqual({ first: false, second: false });
    await waitForProjection(ns, second.seq);

    shown = RateLimitsReply.parse({
      account: DEFAULT_ACCOUNT,
      windows: {
        five_hour: { usedPercentage: 42, resetsAt: fiveHourResets, device: 'laptop', observedAt: later },
        seven_day: { usedPercentage: 12.5, resetsAt: sevenDayResets, device: 'laptop', observedAt: later },
        seven_day_opus: { usedPercentage: 3, resetsAt: null, device: 'desktop', observedAt: earlier },
      },
    });
    expect(await rateLimits()).toEqual(shown);
    expect(await rateLimits(ns.adminToken)).toEqual(shown);

    // Each change reached the `blocks` channel, with the account's figures after it.
    const firstUpdate = await updateFor(first.seq);
    expect(firstUpdate).toEqual({
      type: 'rate_limits_update',
      channel: 'blocks',
      seq: expect.any(Number),
      epoch: expect.any(String),
      payload: {
        account: DEFAULT_ACCOUNT,
        seq: first.seq,
        windows: { five_hour: shown.windows.five_hour, seven_day: shown.windows.seven_day },
      },
    });
    const secondUpdate = await updateFor(second.seq);
    expect(secondUpdate).toEqual({
      type: 'rate_limits_update',
      channel: 'blocks',
      seq: expect.any(Number),
      epoch: expect.any(String),
      payload: { ...shown, seq: second.seq },
    });
    expect(secondUpdate.seq).toBeGreaterThan(firstUpdate.seq);
    expect(secondUpdate.epoch).toBe(firstUpdate.epoch);
  });

  it('neither shows nor announces an observation older than every window it names', async () => {
    const stale = await accepted(ns.adminToken, {
      device: 'desktop',
      observedAt: earlier.replace('10:00', '09:59'),
      windows: { five_hour: { usedPercentage: 99, resetsAt: fiveHourResets } },
    });
    await waitForProjection(ns, stale.seq);
    expect(await rateLimits()).toEqual(shown);

    // A later change is announced; the stale one, applied before it, was not.
    const newer = await accepted(laptopToken, {
      observedAt: latest,
      windows: { seven_day_opus: { usedPercentage: 4, resetsAt: null } },
    });
    await updateFor(newer.seq);
    shown = RateLimitsReply.parse({
      ...shown,
      windows: {
        ...shown.windows,
        seven_day_opus: { usedPercentage: 4, resetsAt: null, device: 'laptop', observedAt: latest },
      },
    });
    expect(updates().map((update) => update.payload.seq)).not.toContain(stale.seq);
    expect(updates().at(-1)?.payload).toEqual({ ...shown, seq: newer.seq });
    expect(await rateLimits()).toEqual(shown);
  });

  it('stores the same observation sent again once, whatever the order of its windows', async () => {
    const before = await storedEvents();
    const original = await accepted(laptopToken, laptopReport);
    expect(original.duplicate).toBe(true);
    const reordered = {
      device: 'laptop',
      observedAt: later,
      windows: { seven_day: laptopReport.windows.seven_day, five_hour: laptopReport.windows.five_hour },
    };
    const again = await accepted(ns.adminToken, reordered);
    expect(again).toEqual({ eventId: original.eventId, seq: original.seq, duplicate: true });
    expect(await storedEvents()).toBe(before);
    expect(await rateLimits()).toEqual(shown);
  });
});

describe('POST /v1/rate-limits', () => {
  it('records the observation as a RateLimitsObserved event of the device, in the history', async () => {
    const stored = await (await jetstreamManager(nc)).streams.getMessage(ns.names.eventStream, {
      seq: laptopReported.seq,
    });
    expect(stored?.subject).toBe(`${ns.namespace}.events.default.RateLimitsObserved`);
    const decoded = decodeEvent(stored?.json());
    if (!decoded.ok) throw new Error(decoded.message);
    expect(decoded.event).toMatchObject({
      id: laptopReported.eventId,
      type: 'RateLimitsObserved',
      version: 1,
      account: 'default',
      device: 'laptop',
      occurredAt: later,
    });
    expect(decoded.event.data).toEqual(laptopReport);
  });

  const valid = { device: 'laptop', observedAt: latest, windows: { five_hour: { usedPercentage: 1, resetsAt: null } } };
  const seventeen = Object.fromEntries(
    Array.from({ length: 17 }, (_, index) => [`window_${index}`, { usedPercentage: 1, resetsAt: null }]),
  );
  const windows = (value: unknown) => ({ ...valid, windows: value });
  /** What is sent, by whom, and the status, code and start of the message naming what is wrong. */
  const cases: readonly [string, () => string, unknown, number, string, string][] = [
    [
      'a window name out of its alphabet',
      () => ns.adminToken,
      windows({ 'Five-Hour': { usedPercentage: 1, resetsAt: null } }),
      400,
      'CCSYNC_VALIDATION',
      'body/windows/Five-Hour ',
    ],
    [
      'a window name that does not start with a letter',
      () => ns.adminToken,
      windows({ five_hour: { usedPercentage: 1, resetsAt: null }, _hidden: { usedPercentage: 1, resetsAt: null } }),
      400,
      'CCSYNC_VALIDATION',
      'body/windows/_hidden ',
    ],
    [
      'a negative percentage',
      () => ns.adminToken,
      windows({ five_hour: { usedPercentage: -1, resetsAt: null } }),
      400,
      'CCSYNC_VALIDATION',
      'body/windows/five_hour/usedPercentage ',
    ],
    [
      '17 windows',
      () => ns.adminToken,
      windows(seventeen),
      400,
      'CCSYNC_VALIDATION',
      'body/windows between 1 and 16 windows',
    ],
    ['no windows', () => ns.adminToken, windows({}), 400, 'CCSYNC_VALIDATION', 'body/windows between 1 and 16 windows'],
    [
      'a reset time in Unix seconds',
      () => ns.adminToken,
      windows({ five_hour: { usedPercentage: 1, resetsAt: 1763647200 } }),
      400,
      'CCSYNC_VALIDATION',
      'body/windows/five_hour/resetsAt ',
    ],
    [
      'an observation from the future',
      () => ns.adminToken,
      { ...valid, observedAt: '2099-01-01T00:00:00.000Z' },
      400,
      'CCSYNC_VALIDATION',
      'body/observedAt is more than 5 minutes ahead',
    ],
    [
      'an account-wide token that names no device',
      () => ns.adminToken,
      { observedAt: latest, windows: valid.windows },
      400,
      'CCSYNC_DEVICE_REQUIRED',
      'Name the device',
    ],
    [
      'a device token naming another device',
      () => laptopToken,
      { ...valid, device: 'desktop' },
      403,
      'CCSYNC_FORBIDDEN',
      'This token may not push usage as device "desktop"',
    ],
    ['a viewer token', () => viewerToken, valid, 403, 'CCSYNC_FORBIDDEN', 'This token may not push usage'],
  ];

  it.each(cases)('refuses %s, and changes nothing', async (_name, token, body, statusCode, code, message) => {
    const before = await storedEvents();
    const response = await report(token(), body);
    expect(response.status).toBe(statusCode);
    const { message: said, ...error } = ErrorReply.parse(await response.json());
    expect({ ...error, said: said.slice(0, message.length) }).toMatchObject({ statusCode, code, said: message });
    expect(await storedEvents()).toBe(before);
    expect(await rateLimits()).toEqual(shown);
  });
});

describe('a rebuild of the views from the history', () => {
  it('gives the same figures', async () => {
    const registry = new ProjectionRegistry(redis, ns.names);
    const response = await fetch(`${stack.gateway.url}/api/admin/projections/rebuild`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ns.adminToken}` },
    });
    expect(response.status).toBe(202);
    const { version } = RebuildReply.parse(await response.json());
    await waitFor(async () => (await registry.activeVersion()) === version, {
      timeoutMs: 20_000,
      description: `reads to switch to version ${version}`,
    });
    expect(await rateLimits()).toEqual(shown);
  });
});

describe('the API reference', () => {
  it('documents both routes from their schemas', async () => {
    type Document = { paths: Record<string, Record<string, { requestBody?: unknown; responses: object }>> };
    const documentOf = async (url: string) => (await (await fetch(`${url}/docs/json`)).json()) as Document;
    const post = (await documentOf(stack.ingest.url)).paths['/v1/rate-limits']?.post;
    expect(post?.requestBody).toMatchObject({ content: { 'application/json': { schema: expect.any(Object) } } });
    expect(Object.keys(post?.responses ?? {}).sort()).toEqual(['202', '400', '401', '403', '503']);
    const get = (await documentOf(stack.gateway.url)).paths['/api/rate-limits']?.get;
    expect(Object.keys(get?.responses ?? {}).sort()).toEqual(['200', '401', '403']);
  });
});
