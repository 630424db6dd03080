import { connect as tcpConnect } from 'node:net';
import {
  CloseCodes,
  DEFAULT_ACCOUNT,
  PushUsageReply,
  RegisterDeviceReply,
  type ServerMessage,
} from '@ccsync/contracts';
import { openTestSocket, type TestSocket, upgradeStatus, usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { connect } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Gateway } from '../app.ts';
import { startTestStack, type TestStack } from '../test-stack.ts';

/*
 * The WebSocket protocol on one gateway: authentication in the first message, resuming from a
 * position, the limits, and sync requests answered by agents. Several replicas: realtime.e2e.spec.ts.
 */
const ns = useTestNamespace();
const METRICS_TOKEN = 'ccsync_metrics_realtime_test_token_0123456789';
const MAX_RECOVERY = 10;
let stack: TestStack;
let gateway: Gateway;
let deviceToken: string;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  stack = await startTestStack(ns, {
    GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
    GATEWAY_WS_AUTH_TIMEOUT_MS: '300',
    GATEWAY_WS_MAX_RECOVERY: String(MAX_RECOVERY),
    GATEWAY_WS_MAX_BUFFERED_BYTES: String(64 * 1024),
    GATEWAY_WS_MESSAGES_PER_SECOND: '1000',
    CCSYNC_METRICS_TOKEN: METRICS_TOKEN,
  });
  gateway = stack.gateway;
  const registered = await stack.post('/v1/devices', ns.adminToken, { device: 'agent-box' });
  deviceToken = RegisterDeviceReply.parse(registered).token.token;
});
afterEach(async () => {
  await Promise.all(sockets.splice(0).map((socket) => socket.close()));
});
afterAll(() => stack?.close());

const wsBase = () => gateway.url.replace(/^http/, 'ws');
/** Opens a socket with the token in the URL, or with none (`null`) to authenticate in a message. */
async function open(path = '/ws', token: string | null = ns.adminToken): Promise<TestSocket> {
  const query = token === null ? '' : `?token=${encodeURIComponent(token)}`;
  const socket = await openTestSocket(`${wsBase()}${path}${query}`);
  sockets.push(socket);
  return socket;
}
async function subscribed(socket: TestSocket, message: Record<string, unknown>) {
  const before = socket.messages.length;
  socket.send(message);
  return socket.next<Extract<ServerMessage, { type: 'subscribed' }>>(
    (reply) => reply.type === 'subscribed' && socket.messages.indexOf(reply) >= before,
  );
}

let seed = 0;
/** Pushes one usage entry and returns the event's stream sequence. */
async function push(device = 'laptop'): Promise<number> {
  const reply = await stack.post('/v1/usage', ns.adminToken, { device, entries: [usageEntry(`rt-${seed++}`)] });
  return PushUsageReply.parse(reply).seq;
}
/**
 * Pushes and waits until `observer` saw the change: the projector coalesces events that arrive
 * together into one notice, so each push gets its own only when the next waits for it.
 */
async function pushSeen(observer: TestSocket, device = 'laptop'): Promise<number> {
  const seq = await push(device);
  await observer.next(updateFor(seq));
  return seq;
}
const usageUpdates = (socket: TestSocket) =>
  socket.messages.filter(
    (message): message is Extract<ServerMessage, { type: 'token_usage_update' }> =>
      (message as { type: string }).type === 'token_usage_update',
  );
const updateFor = (eventSeq: number) => (message: Record<string, unknown>) =>
  message.type === 'token_usage_update' && (message.payload as { seq: number }).seq === eventSeq;

describe('authentication', () => {
  it('accepts the token in a first auth message, on /ws and on / as seed 004 clients connect', async () => {
    for (const path of ['/ws', '/']) {
      const socket = await open(path, null);
      socket.send({ type: 'auth', token: ns.adminToken });
      const hello = await socket.next((message) => message.type === 'authenticated');
      expect(hello).toMatchObject({ account: 'default', scope: 'admin', connection: expect.stringMatching(/^gw-/) });
      expect((await subscribed(socket, { type: 'subscribe', channels: ['usage'] })).channels).toEqual(['usage']);
    }
  });

  it('closes with 4001 a socket that sends no token in time, a wrong one, or anything before it', async () => {
    const silent = await open('/ws', null);
    expect((await silent.closed).code).toBe(CloseCodes.Unauthorized);

    const wrong = await open('/ws', null);
    wrong.send({ type: 'auth', token: 'not-a-token' });
    expect(await wrong.closed).toEqual({ code: CloseCodes.Unauthorized, reason: 'Invalid token' });

    const eager = await open('/ws', null);
    eager.send({ type: 'subscribe', channels: ['usage'] });
    expect((await eager.closed).code).toBe(CloseCodes.Unauthorized);
    expect(eager.messages).toEqual([expect.objectContaining({ type: 'error', code: 'CCSYNC_UNAUTHORIZED' })]);
  });

  it('refuses the metrics token with 1008, and pages of other origins with 403', async () => {
    const metrics = await open('/ws', METRICS_TOKEN);
    expect((await metrics.closed).code).toBe(1008);

    const url = `${gateway.url}/ws?token=${encodeURIComponent(ns.adminToken)}`;
    expect(await upgradeStatus(url, { origin: 'https://evil.example' })).toBe(403);
  });
});

describe('resume', () => {
  it('replays exactly what a client missed, in order, then goes live', async () => {
    const observer = await open();
    await subscribed(observer, { type: 'subscribe', channels: ['usage'] });
    const first = await open();
    const { position } = await subscribed(first, { type: 'subscribe', channels: ['usage', 'device:laptop'] });
    const seen = [await pushSeen(first), await pushSeen(first)];
    await first.next(updateFor(seen[1] as number));
    const last = usageUpdates(first).at(-1);
    if (last === undefined) throw new Error('no update');
    await first.close();

    const missed = [await pushSeen(observer), await pushSeen(observer), await pushSeen(observer, 'desktop')];
    const second = await open();
    const reply = await subscribed(second, {
      type: 'subscribe',
      channels: ['usage', 'device:laptop'],
      since: { seq: last.seq, epoch: last.epoch },
    });
    expect(reply).toMatchObject({ recovered: true, replayed: 3, position: { epoch: position.epoch } });
    const live = await push();
    await second.next(updateFor(live));
    const received = usageUpdates(second).map((message) => [message.channel, message.payload.seq]);
    expect(received).toEqual([
      ['usage', missed[0]],
      ['device:laptop', missed[0]],
      ['usage', missed[1]],
      ['device:laptop', missed[1]],
      ['usage', missed[2]],
      ['usage', live],
      ['device:laptop', live],
    ]);
    // Positions only grow, and the first connection's are not sent again.
    const positions = usageUpdates(second).map((message) => message.seq);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(Math.min(...positions)).toBeGreaterThan(last.seq);
  });

  it('tells a client to reload when the gap is too large or the epoch changed, and stays live', async () => {
    const watcher = await open();
    const { position } = await subscribed(watcher, { type: 'subscribe', channels: ['usage'] });
    for (let i = 0; i <= MAX_RECOVERY; i++) await pushSeen(watcher);
    const tooFar = await open();
    expect(await subscribed(tooFar, { type: 'subscribe', channels: ['usage'], since: position })).toMatchObject({
      recovered: false,
      reason: 'gap_too_large',
      replayed: 0,
    });
    const otherEpoch = await open();
    expect(
      await subscribed(otherEpoch, { type: 'subscribe', channels: ['usage'], since: { seq: 1, epoch: 'old' } }),
    ).toMatchObject({ recovered: false, reason: 'epoch_changed' });

    const live = await push();
    for (const socket of [tooFar, otherEpoch]) {
      await socket.next(updateFor(live));
      expect(usageUpdates(socket)).toHaveLength(1);
    }
  });
});

describe('limits', () => {
  it('disconnects a client that stops reading with 4008, so it resumes instead of exhausting memory', async () => {
    // A raw client that upgrades, joins the room, then never reads again.
    const raw = tcpConnect(Number(new URL(gateway.url).port), '127.0.0.1');
    const received: Buffer[] = [];
    raw.on('data', (chunk: Buffer) => received.push(chunk));
    await new Promise((resolve) => raw.once('connect', resolve));
    raw.write(
      [
        `GET /ws?token=${encodeURIComponent(ns.adminToken)} HTTP/1.1`,
        `Host: 127.0.0.1`,
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        '',
        '',
      ].join('\r\n'),
    );
    await waitFor(() => Buffer.concat(received).includes('"authenticated"'), {
      description: 'the raw socket authenticated',
    });
    const join = Buffer.from(JSON.stringify({ type: 'join_session', sessionId: 'flood' }));
    // A masked client text frame (a zero mask leaves the payload as it is).
    raw.write(Buffer.concat([Buffer.from([0x81, 0x80 | join.length, 0, 0, 0, 0]), join]));
    await waitFor(() => Buffer.concat(received).includes('"subscribed"'), { description: 'the raw socket joined' });
    raw.pause();

    // Relayed events for the room, as another replica would forward them.
    const nc = await connect({ servers: ns.natsUrl });
    const content = 'x'.repeat(30_000);
    for (let i = 0; i < 1000; i++) {
      nc.publish(
        ns.names.relaySubject(DEFAULT_ACCOUNT),
        JSON.stringify({ type: 'chat_message', payload: { content, sessionId: 'flood' } }),
      );
    }
    await nc.flush();
    await nc.close();
    const scraped = await waitFor(
      async () => {
        const text = await (
          await fetch(`${gateway.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
        ).text();
        return /ccsync_gateway_ws_slow_consumers_total\{service="gateway"\} 1\n/.test(text) ? text : undefined;
      },
      { timeoutMs: 20_000, description: 'the slow consumer to be dropped' },
    );
    expect(scraped).toContain('ccsync_gateway_ws_slow_consumers_total{service="gateway"} 1\n');
    // What reaches the raw client once it reads again ends with a close frame of code 4008.
    raw.resume();
    const closeFrame = Buffer.from([0x88, 2 + 'slow consumer: reconnect and resume'.length, 0x0f, 0xa8]);
    await waitFor(() => Buffer.concat(received).includes(closeFrame), { description: 'the 4008 close frame' });
    raw.destroy();
  });

  it('refuses relayed events that are malformed or too large, and keeps the connection', async () => {
    const socket = await open();
    socket.send({ type: 'chat_message', payload: { content: 'x'.repeat(40_000), sessionId: 's' } });
    await socket.next((message) => message.type === 'error' && message.code === 'CCSYNC_BAD_MESSAGE');
    socket.send({ type: 'file_update', payload: { filePath: 'a.ts', projectId: 'p', action: 'rename' } });
    await socket.next((message) => message.type === 'error' && String(message.message).startsWith('file_update'));
    socket.send({ type: 'system_status' });
    const status = await socket.next((message) => message.type === 'system_status');
    expect(status).toMatchObject({ payload: { status: 'ok', details: { replicas: 1 } } });
    const { details } = (status as { payload: { details: Record<string, number> } }).payload;
    expect(details.socketsOnThisReplica).toBeGreaterThanOrEqual(1);
  });
});

describe('sync requests', () => {
  it('reach agents over their socket, and their answers come back as sync_status', async () => {
    const agent = await open('/ws', deviceToken);
    await subscribed(agent, { type: 'subscribe', channels: ['sync'] });
    const dashboard = await open();
    await subscribed(dashboard, { type: 'subscribe', channels: ['sync'] });

    const response = await fetch(`${gateway.url}/api/usage/sync`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ns.adminToken}` },
    });
    expect(response.status).toBe(202);
    const { requestId } = (await response.json()) as { requestId: string };
    const asked = await agent.next((message) => message.type === 'sync_status');
    expect(asked).toEqual({
      type: 'sync_status',
      channel: 'sync',
      payload: { requestId, requestedAt: expect.any(String), by: 'api', state: 'requested' },
    });

    agent.send({ type: 'sync_result', requestId, ok: true, records: 3 });
    const done = await dashboard.next(
      (message) => message.type === 'sync_status' && (message.payload as { state: string }).state === 'done',
    );
    expect(done).toMatchObject({ payload: { requestId, device: 'agent-box', records: 3, state: 'done' } });
    // A device token answers only for its own device; an account-wide token must name one.
    agent.send({ type: 'sync_result', requestId, device: 'laptop', ok: true, records: 1 });
    await agent.next((message) => message.type === 'error' && message.code === 'CCSYNC_FORBIDDEN');
    dashboard.send({ type: 'sync_result', requestId, ok: true, records: 1 });
    await dashboard.next((message) => message.type === 'error' && message.code === 'CCSYNC_DEVICE_REQUIRED');
  });
});
