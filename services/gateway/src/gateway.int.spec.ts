import {
  AccountUsageReply,
  CreateAccountReply,
  DeviceListReply,
  DeviceUsage,
  IssuedToken,
  PushUsageReply,
  RegisterDeviceReply,
  ServerMessage,
  StatusReply,
} from '@ccsync/contracts';
import type { Ingest } from '@ccsync/ingest';
import { openTestSocket, type TestSocket, upgradeStatus, usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from './app.ts';
import { startTestStack, type TestStack } from './test-stack.ts';

const ns = useTestNamespace();
let stack: TestStack;
let ingest: Ingest;
let gateway: Gateway;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  stack = await startTestStack(ns, { PROJECTOR_PRESENCE_TTL_SECONDS: '1' });
  ({ ingest, gateway } = stack);
});
afterAll(async () => {
  await Promise.all(sockets.map((socket) => socket.close()));
  await stack?.close();
});

/** The stream sequence of the event a change message reflects. */
const eventSeq = (message: Record<string, unknown>) => (message.payload as { seq?: number } | undefined)?.seq;

const auth = { authorization: `Bearer ${ns.adminToken}` };
const wsUrl = (token = ns.adminToken) => `${gateway.url.replace(/^http/, 'ws')}/ws?token=${encodeURIComponent(token)}`;

async function push(device: string, seeds: string[], inputTokens: number): Promise<number> {
  const response = await fetch(`${ingest.url}/v1/usage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth },
    body: JSON.stringify({
      device,
      entries: seeds.map((seed) =>
        usageEntry(seed, {
          usage: { inputTokens, outputTokens: 1, cacheCreationInputTokens: 0, cacheReadInputTokens: 2 },
        }),
      ),
    }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { seq: number }).seq;
}

describe('usage over WebSocket and REST', () => {
  it('pushes token_usage_update with the event’s stream sequence to subscribers, and serves the same totals over REST', async () => {
    const socket = await openTestSocket(wsUrl());
    sockets.push(socket);
    socket.send({ type: 'subscribe', channels: ['usage'] });
    await socket.next((message) => message.type === 'subscribed');

    const seq = await push('laptop', ['g1', 'g2'], 10);
    const update = ServerMessage.parse(
      await socket.next((message) => message.type === 'token_usage_update' && eventSeq(message) === seq),
    );
    if (update.type !== 'token_usage_update') throw new Error('unreachable');
    expect(update.payload).toMatchObject({
      account: 'default',
      device: 'laptop',
      delta: {
        entries: 2,
        inputTokens: 20,
        outputTokens: 2,
        cacheCreationTokens: 0,
        cacheReadTokens: 4,
        totalTokens: 26,
      },
    });

    const response = await fetch(`${gateway.url}/api/usage/laptop`, { headers: auth });
    expect(response.status).toBe(200);
    const usage = DeviceUsage.parse(await response.json());
    expect(usage).toEqual(update.payload.usage);
    expect(usage).toMatchObject({ entries: 2, inputTokens: 20, totalTokens: 26, lastSeq: seq });
  });

  it('sends nothing to a client that did not subscribe to the channel', async () => {
    const idle = await openTestSocket(wsUrl());
    const watcher = await openTestSocket(wsUrl());
    sockets.push(idle, watcher);
    watcher.send({ type: 'subscribe', channels: ['usage'] });
    await watcher.next((message) => message.type === 'subscribed');
    const seq = await push('laptop', ['g3'], 1);
    await watcher.next((message) => eventSeq(message) === seq);
    expect(idle.messages).toEqual([expect.objectContaining({ type: 'authenticated' })]);
  });

  it('lists every device of the account with their sum', async () => {
    await push('desktop', ['g4'], 100);
    const reply = await waitFor(async () => {
      const response = await fetch(`${gateway.url}/api/usage`, { headers: auth });
      expect(response.status).toBe(200);
      const body = AccountUsageReply.parse(await response.json());
      return body.totals.entries === 4 ? body : undefined;
    });
    expect(reply.devices.map((device) => device.device)).toEqual(['desktop', 'laptop']);
    // Sonnet 4.5 per million tokens: input $3, output $15, cache read $0.30.
    expect(reply.totals).toEqual({
      entries: 4,
      inputTokens: 121,
      outputTokens: 4,
      cacheCreationTokens: 0,
      cacheReadTokens: 8,
      totalTokens: 133,
      totalCost: expect.closeTo((121 * 3 + 4 * 15 + 8 * 0.3) / 1e6, 12),
    });
  });

  it('answers 404 for a device with no usage', async () => {
    const response = await fetch(`${gateway.url}/api/usage/never-seen`, { headers: auth });
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'CCSYNC_NOT_FOUND' });
  });

  it('records update_usage through ingest, once per idempotency key, and streams the change', async () => {
    const socket = await openTestSocket(wsUrl());
    sockets.push(socket);
    socket.send({ type: 'subscribe', channels: ['usage'] });
    await socket.next((message) => message.type === 'subscribed');
    const update = { type: 'update_usage', deviceId: 'phone', tokens: 250, idempotencyKey: 'ws-1' };
    socket.send(update);
    const recorded = await socket.next<{ seq: number; duplicate: boolean }>(
      (message) => message.type === 'usage_recorded' && message.idempotencyKey === 'ws-1',
    );
    expect(recorded.duplicate).toBe(false);
    const change = ServerMessage.parse(
      await socket.next((message) => message.type === 'token_usage_update' && eventSeq(message) === recorded.seq),
    );
    expect(change).toMatchObject({ payload: { device: 'phone', delta: { entries: 1, inputTokens: 250 } } });

    socket.send(update);
    await socket.next((message) => message.type === 'usage_recorded' && message.duplicate === true);
    // Neither a total nor counts: ingest refuses it as it would over REST.
    socket.send({ type: 'update_usage', deviceId: 'phone', idempotencyKey: 'ws-2' });
    const refused = await socket.next<{ message: string }>(
      (message) => message.type === 'error' && message.code === 'CCSYNC_VALIDATION',
    );
    expect(refused.message).toContain('either tokens or');
  });

  it('answers a malformed client message with an error and keeps the connection', async () => {
    const socket = await openTestSocket(wsUrl());
    sockets.push(socket);
    socket.send({ type: 'subscribe', channels: ['everything'] });
    await socket.next((message) => message.type === 'error' && message.code === 'CCSYNC_BAD_MESSAGE');
    socket.send({ type: 'ping' });
    await socket.next((message) => message.type === 'pong');
  });
});

describe('presence', () => {
  it('sends device_connected on a first heartbeat, and device_disconnected once heartbeats stop', async () => {
    const socket = await openTestSocket(wsUrl());
    sockets.push(socket);
    socket.send({ type: 'subscribe', channels: ['presence'] });
    await socket.next((message) => message.type === 'subscribed');
    const beat = () =>
      fetch(`${ingest.url}/v1/heartbeat`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ device: 'beating' }),
      });
    expect((await beat()).status).toBe(204);
    expect((await beat()).status).toBe(204);
    const connected = await socket.next((message) => message.type === 'device_connected');
    expect(connected).toMatchObject({ payload: { account: 'default', device: 'beating', online: true } });
    const gone = await socket.next((message) => message.type === 'device_disconnected', 10_000);
    expect(gone).toMatchObject({ payload: { account: 'default', device: 'beating', online: false } });
    // Two heartbeats, one connection: the change is announced once.
    expect(socket.messages.filter((message) => (message as { type: string }).type === 'device_connected')).toHaveLength(
      1,
    );
  });

  it('lists devices with their totals and whether they are online', async () => {
    // This file's projector forgets a device 1 s after its heartbeat, so each look beats first.
    const listed = await waitFor(async () => {
      const beat = await fetch(`${ingest.url}/v1/heartbeat`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ device: 'listed-online' }),
      });
      expect(beat.status).toBe(204);
      const response = await fetch(`${gateway.url}/api/devices`, { headers: auth });
      const body = DeviceListReply.parse(await response.json());
      return body.devices.find((device) => device.device === 'listed-online')?.online ? body : undefined;
    });
    expect(listed.devices.find((device) => device.device === 'listed-online')).toMatchObject({
      online: true,
      entries: 0,
      lastHeartbeatAt: expect.any(String),
    });
    expect(listed.devices.find((device) => device.device === 'laptop')).toMatchObject({
      online: false,
      lastHeartbeatAt: null,
    });
  });
});

describe('two accounts on one server', () => {
  it('never show each other’s usage, over REST or WebSocket; device tokens cannot read', async () => {
    const { post } = stack;
    const acmeAdmin = CreateAccountReply.parse(await post('/v1/accounts', ns.adminToken, { id: 'acme' })).adminToken
      .token;
    const deviceToken = RegisterDeviceReply.parse(await post('/v1/devices', acmeAdmin, { device: 'acme-box' })).token
      .token;
    const viewerToken = IssuedToken.parse(await post('/v1/tokens', acmeAdmin, { scope: 'viewer' })).token;

    const acmeSocket = await openTestSocket(wsUrl(viewerToken));
    const defaultSocket = await openTestSocket(wsUrl());
    sockets.push(acmeSocket, defaultSocket);
    for (const socket of [acmeSocket, defaultSocket]) {
      socket.send({ type: 'subscribe', channels: ['usage'] });
      await socket.next((message) => message.type === 'subscribed');
    }
    const acmeSeq = PushUsageReply.parse(await post('/v1/usage', deviceToken, { entries: [usageEntry('acme-1')] })).seq;
    const defaultSeq = await push('laptop', ['iso-1'], 1);
    await acmeSocket.next((message) => eventSeq(message) === acmeSeq);
    await defaultSocket.next((message) => eventSeq(message) === defaultSeq);
    const seqs = (socket: TestSocket) =>
      socket.messages.flatMap((message) => eventSeq(message as Record<string, unknown>) ?? []);
    expect(seqs(acmeSocket)).toEqual([acmeSeq]);
    expect(seqs(defaultSocket)).not.toContain(acmeSeq);

    const read = (path: string, token: string) =>
      fetch(`${gateway.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const acmeUsage = AccountUsageReply.parse(await (await read('/api/usage', viewerToken)).json());
    expect(acmeUsage.devices.map((usage) => [usage.account, usage.device])).toEqual([['acme', 'acme-box']]);
    expect((await read('/api/usage/laptop', viewerToken)).status).toBe(404);
    const defaultUsage = AccountUsageReply.parse(await (await read('/api/usage', ns.adminToken)).json());
    expect(defaultUsage.devices.some((usage) => usage.device === 'acme-box')).toBe(false);
    expect((await read('/api/usage', deviceToken)).status).toBe(403);

    // Over the socket, the device token may push as itself only, and may not subscribe.
    const deviceSocket = await openTestSocket(wsUrl(deviceToken));
    sockets.push(deviceSocket);
    deviceSocket.send({ type: 'subscribe', channels: ['usage'] });
    await deviceSocket.next((message) => message.type === 'error' && message.code === 'CCSYNC_FORBIDDEN');
    deviceSocket.send({ type: 'update_usage', deviceId: 'laptop', tokens: 1, idempotencyKey: 'steal' });
    await deviceSocket.next(
      (message) =>
        message.type === 'error' && message.code === 'CCSYNC_FORBIDDEN' && deviceSocket.messages.length === 3,
    );
    deviceSocket.send({ type: 'update_usage', deviceId: 'acme-box', tokens: 1, idempotencyKey: 'own' });
    await deviceSocket.next((message) => message.type === 'usage_recorded');
  });
});

describe('POST /api/usage/:deviceId, the simple form', () => {
  const simple = (device: string, body: unknown, headers: Record<string, string> = {}, token = ns.adminToken) =>
    fetch(`${gateway.url}/api/usage/${device}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
      body: JSON.stringify(body),
    });

  it('is recorded by ingest as an api-sourced entry, once per idempotency key', async () => {
    const first = await simple('tablet', { tokens: 1500 }, { 'idempotency-key': 'req-42' });
    expect(first.status).toBe(202);
    const reply = PushUsageReply.parse(await first.json());
    expect(reply).toMatchObject({ accepted: 1, duplicate: false });
    const again = PushUsageReply.parse(
      await (await simple('tablet', { tokens: 1500 }, { 'idempotency-key': 'req-42' })).json(),
    );
    expect(again).toEqual({ ...reply, duplicate: true });

    const counts = { inputTokens: 1, outputTokens: 2, cacheCreationTokens: 3, cacheReadTokens: 4 };
    const second = await simple('tablet', { ...counts, model: 'claude-opus-4-6', idempotencyKey: 'req-43' });
    expect(second.status).toBe(202);
    const usage = await waitFor(async () => {
      const current = await stack.serverUsage('tablet');
      return current?.entries === 2 ? current : undefined;
    });
    expect(usage).toMatchObject({ inputTokens: 1501, outputTokens: 2, cacheCreationTokens: 3, cacheReadTokens: 4 });
  });

  it.each([
    ['no idempotency key', { tokens: 1 }, 'idempotency key'],
    ['both a total and counts', { tokens: 1, inputTokens: 1, idempotencyKey: 'k' }, 'either tokens or'],
    ['neither', { idempotencyKey: 'k' }, 'either tokens or'],
    ['a negative total', { tokens: -5, idempotencyKey: 'k' }, 'tokens'],
  ])('refuses %s with 400', async (_case, body, message) => {
    const response = await simple('tablet', body);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { message: string }).message).toContain(message);
  });

  it('lets a device token record only its own device, as ingest decides', async () => {
    const { token } = RegisterDeviceReply.parse(
      await stack.post('/v1/devices', ns.adminToken, { device: 'watch' }),
    ).token;
    const other = await simple('tablet', { tokens: 1, idempotencyKey: 'steal' }, {}, token);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ code: 'CCSYNC_FORBIDDEN' });
    expect((await simple('watch', { tokens: 1, idempotencyKey: 'own' }, {}, token)).status).toBe(202);
  });
});

describe('GET /api/status', () => {
  it('reports NATS, Redis, the history, the views’ lag and the account’s devices', async () => {
    const seq = await push('status-box', ['status-1'], 5);
    await waitFor(async () => {
      const reply = StatusReply.parse(await (await fetch(`${gateway.url}/api/status`, { headers: auth })).json());
      return reply.views.checkpoint >= seq ? reply : undefined;
    }).then((reply) => {
      expect(reply).toMatchObject({
        service: 'ccsync',
        nats: { connected: true },
        redis: { connected: true },
        history: { lastSeq: seq },
        views: { lagEvents: 0 },
        account: { id: 'default' },
      });
      expect(reply.history.events).toBeGreaterThanOrEqual(seq);
      expect(reply.views.version).toBeGreaterThan(0);
      expect(reply.account.devices).toBeGreaterThan(0);
    });
  });
});

describe('reports', () => {
  it('answer 400 for a timezone or date that is not one, and 401 without a token', async () => {
    const badZone = await fetch(`${gateway.url}/api/stats/daily?tz=Mars/Olympus`, { headers: auth });
    expect(badZone.status).toBe(400);
    expect(((await badZone.json()) as { message: string }).message).toContain('IANA timezone');
    expect((await fetch(`${gateway.url}/api/stats/daily?since=yesterday`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${gateway.url}/api/stats/blocks?tokenLimit=-3`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${gateway.url}/api/stats/daily`)).status).toBe(401);
  });
});

describe('authentication', () => {
  it('refuses REST reads without a valid token', async () => {
    expect((await fetch(`${gateway.url}/api/usage/laptop`)).status).toBe(401);
    expect((await fetch(`${gateway.url}/api/usage`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('refuses a WebSocket upgrade with an invalid token, and accepts the bearer header', async () => {
    const base = `${gateway.url}/ws`;
    expect(await upgradeStatus(`${base}?token=wrong`)).toBe(401);
    expect(await upgradeStatus(base, { authorization: 'Bearer wrong' })).toBe(401);
    const withHeader = await openTestSocket(base, auth);
    sockets.push(withHeader);
    withHeader.send({ type: 'ping' });
    await withHeader.next((message) => message.type === 'pong');
  });

  it('does not accept ?token= on REST routes, where it would end up in logs and proxies', async () => {
    const response = await fetch(`${gateway.url}/api/usage?token=${encodeURIComponent(ns.adminToken)}`);
    expect(response.status).toBe(401);
  });

  it('leaves /health and /ready open', async () => {
    expect((await fetch(`${gateway.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${gateway.url}/ready`)).json()).toEqual({
      status: 'ready',
      checks: { nats: 'up', redis: 'up' },
    });
  });
});
