import { DeviceUsage, PushUsageReply, ServerMessage } from '@ccsync/contracts';
import {
  openTestSocket,
  type ServiceProcess,
  startServiceProcess,
  usageEntry,
  useTestNamespace,
} from '@ccsync/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The first slice, end to end, with every service as its own process: a device's batch goes in
 * at ingest, is stored in JetStream, projected into Redis, and comes out of the gateway over REST
 * and WebSocket.
 */
const ns = useTestNamespace();
const services: Partial<Record<ServiceProcess['name'], ServiceProcess>> = {};
const service = (name: ServiceProcess['name']) => {
  const running = services[name];
  if (running === undefined) throw new Error(`${name} is not running`);
  return running;
};

beforeAll(async () => {
  const env = ns.env({ LOG_LEVEL: 'info' });
  const started = await Promise.all(
    (['ingest', 'projector', 'gateway', 'scheduler'] as const).map((name) => startServiceProcess(name, env)),
  );
  for (const running of started) services[running.name] = running;
});
afterAll(async () => {
  await Promise.all(Object.values(services).map((running) => running.stop('SIGKILL')));
});

describe('one usage record, from device to dashboard', () => {
  it('is acknowledged by ingest, then shows on a WebSocket subscriber and over REST with the same totals', async () => {
    const auth = { authorization: `Bearer ${ns.adminToken}` };
    const socket = await openTestSocket(`${service('gateway').url.replace(/^http/, 'ws')}/ws`, auth);
    socket.send({ type: 'subscribe', channels: ['usage'] });
    await socket.next((message) => message.type === 'subscribed');

    const entry = usageEntry('e2e-1', {
      usage: { inputTokens: 1200, outputTokens: 345, cacheCreationInputTokens: 6000, cacheReadInputTokens: 70000 },
    });
    const response = await fetch(`${service('ingest').url}/v1/usage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify({ device: 'workstation', entries: [entry] }),
    });
    expect(response.status).toBe(202);
    const { seq } = PushUsageReply.parse(await response.json());

    const message = ServerMessage.parse(await socket.next((candidate) => candidate.type === 'token_usage_update'));
    expect(message).toMatchObject({ type: 'token_usage_update', channel: 'usage', payload: { seq } });

    const read = await fetch(`${service('gateway').url}/api/usage/workstation`, { headers: auth });
    expect(read.status).toBe(200);
    expect(DeviceUsage.parse(await read.json())).toEqual({
      account: 'default',
      device: 'workstation',
      entries: 1,
      inputTokens: 1200,
      outputTokens: 345,
      cacheCreationTokens: 6000,
      cacheReadTokens: 70000,
      totalTokens: 77545,
      // Sonnet 4.5 per million tokens: input $3, output $15, cache write $3.75, cache read $0.30.
      totalCost: expect.closeTo((1200 * 3 + 345 * 15 + 6000 * 3.75 + 70000 * 0.3) / 1e6, 12),
      lastSeq: seq,
      updatedAt: expect.any(String),
    });
    await socket.close();
  });

  it('shuts every service down gracefully on SIGTERM, exiting 0', async () => {
    const codes = await Promise.all(Object.values(services).map((running) => running.stop('SIGTERM')));
    expect(codes).toEqual([0, 0, 0, 0]);
    for (const running of Object.values(services)) expect(running.output()).toContain('"msg":"stopped"');
  });
});
