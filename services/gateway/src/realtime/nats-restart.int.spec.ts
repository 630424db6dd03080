import { PushUsageReply, type ServerMessage } from '@ccsync/contracts';
import {
  type LocalServer,
  openTestSocket,
  spawnNatsServer,
  type TestSocket,
  usageEntry,
  useTestNamespace,
  waitFor,
} from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../test-stack.ts';

/*
 * NATS crashes and comes back on the same data while a client is connected: the server forgets
 * the gateway's ordered consumer of the change stream, and the client must go on receiving every
 * change live, at once, without reconnecting. (Found by `npm run drill`: nats.js recreated the
 * consumer but pulled only what the lost one still owed, then waited 30 s for missed heartbeats.)
 */
const ns = useTestNamespace();
let nats: LocalServer;
let stack: TestStack;
let socket: TestSocket;

beforeAll(async () => {
  nats = await spawnNatsServer();
  stack = await startTestStack(ns, { NATS_URL: nats.url, INGEST_PUBLISH_TIMEOUT_MS: '1000' });
});
afterAll(async () => {
  await socket?.close();
  await stack?.close();
  await nats?.dispose();
});

let seed = 0;
/** Pushes one entry, once ingest can store it again, and returns its stream sequence. */
const push = () =>
  waitFor(
    async () => {
      const response = await fetch(`${stack.ingest.url}/v1/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ device: 'laptop', entries: [usageEntry(`nats-restart-${seed}`)] }),
      });
      if (response.status !== 202) return undefined;
      seed++;
      return PushUsageReply.parse(await response.json()).seq;
    },
    { timeoutMs: 20_000, intervalMs: 100, description: 'ingest to store usage' },
  );
const sawEvent = (seq: number) => (message: Record<string, unknown>) =>
  message.type === 'token_usage_update' &&
  (message as Extract<ServerMessage, { type: 'token_usage_update' }>).payload.seq === seq;

describe('a NATS server killed and restarted under a connected client', () => {
  it('leaves the client receiving every change within seconds, on the same socket', async () => {
    socket = await openTestSocket(`${stack.gateway.url.replace(/^http/, 'ws')}/ws?token=${ns.adminToken}`);
    socket.send({ type: 'subscribe', channels: ['usage', 'blocks'] });
    await socket.next((message) => message.type === 'subscribed');
    for (let i = 0; i < 3; i++) await socket.next(sawEvent(await push()));

    await nats.stop('SIGKILL');
    await nats.start();

    // Each change after the restart reaches the socket well before two missed heartbeats (30 s).
    for (let i = 0; i < 5; i++) await socket.next(sawEvent(await push()), 10_000);
    const positions = socket.messages.flatMap((message) =>
      typeof (message as { seq?: unknown }).seq === 'number' ? [(message as { seq: number }).seq] : [],
    );
    expect(new Set(positions).size).toBe(positions.length);
  }, 90_000);
});
