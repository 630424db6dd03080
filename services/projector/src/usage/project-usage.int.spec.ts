import {
  CURRENT_PROJECTION_VERSION,
  DEFAULT_ACCOUNT,
  DeviceId,
  EventId,
  newEvent,
  type UsageChanged,
  type UsageEntry,
  viewKeys,
} from '@ccsync/contracts';
import { createLogger, parseEnv, Redis } from '@ccsync/service-kit';
import { usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Projector, startProjector } from '../app.ts';
import { ProjectorEnv } from '../config.ts';

const ns = useTestNamespace();
const keys = viewKeys(ns.names, CURRENT_PROJECTION_VERSION);
const logger = createLogger('projector', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const startOne = () => startProjector(parseEnv(ProjectorEnv, ns.env({ PROJECTOR_PORT: '0' })), logger);
let projector: Projector;
let nc: NatsConnection;
let redis: Redis;
const notices: UsageChanged[] = [];

/** Appends a UsageRecorded event to the stream the way ingest does, and returns its sequence. */
async function append(id: string, device: string, entries: UsageEntry[]): Promise<number> {
  const event = newEvent('UsageRecorded', {
    id: EventId.parse(id),
    occurredAt: '2026-11-20T10:00:00.000Z',
    recordedAt: '2026-11-20T10:00:01.000Z',
    account: DEFAULT_ACCOUNT,
    device: DeviceId.parse(device),
    data: { source: 'transcript', entries },
  });
  const ack = await jetstream(nc).publish(
    ns.names.eventSubject(DEFAULT_ACCOUNT, 'UsageRecorded'),
    JSON.stringify(event),
    {
      msgID: id,
    },
  );
  return ack.seq;
}

const checkpoint = async () => Number(await redis.get(keys.checkpoint));
const device = (id: string) => redis.hgetall(keys.deviceUsage(DEFAULT_ACCOUNT, DeviceId.parse(id)));

beforeAll(async () => {
  projector = await startOne();
  nc = await connect({ servers: ns.natsUrl });
  nc.subscribe(ns.names.allUsageChangedSubjects, {
    callback: (_error, message) => {
      notices.push(message.json());
    },
  });
  redis = new Redis(ns.redisUrl);
});
afterAll(async () => {
  await projector?.close();
  await nc?.close();
  redis?.disconnect();
});

describe('projecting UsageRecorded', () => {
  const tokens = (input: number, output: number, creation: number, read: number) => ({
    inputTokens: input,
    outputTokens: output,
    cacheCreationInputTokens: creation,
    cacheReadInputTokens: read,
  });

  it('adds each entry to its device totals and moves the checkpoint in the same step', async () => {
    const seq = await append('event-one-0001', 'laptop', [
      usageEntry('p1', { usage: tokens(10, 20, 30, 40) }),
      usageEntry('p2', {
        usage: { ...tokens(1, 2, 999, 4), cacheCreation: { ephemeral5mInputTokens: 5, ephemeral1hInputTokens: 6 } },
      }),
    ]);
    await waitFor(async () => (await checkpoint()) >= seq, { description: 'the checkpoint to reach the event' });
    expect(await device('laptop')).toEqual({
      entries: '2',
      inputTokens: '11',
      outputTokens: '22',
      cacheCreationTokens: '41',
      cacheReadTokens: '44',
      lastSeq: String(seq),
      updatedAt: '2026-11-20T10:00:01.000Z',
    });
    expect(await redis.smembers(keys.accountDevices(DEFAULT_ACCOUNT))).toEqual(['laptop']);
  });

  it('publishes a change notice with the delta and the new totals', async () => {
    const seq = await append('event-two-0002', 'desktop', [usageEntry('p3', { usage: tokens(100, 0, 0, 0) })]);
    const notice = await waitFor(() => notices.find((candidate) => candidate.seq === seq));
    expect(notice).toMatchObject({
      account: 'default',
      device: 'desktop',
      delta: { entries: 1, inputTokens: 100, totalTokens: 100 },
      usage: { device: 'desktop', entries: 1, inputTokens: 100, totalTokens: 100, lastSeq: seq },
    });
  });

  it('changes nothing when entries it already applied arrive again in another event', async () => {
    const before = await device('laptop');
    const seq = await append('event-three-0003', 'laptop', [usageEntry('p1', { usage: tokens(10, 20, 30, 40) })]);
    await waitFor(async () => (await checkpoint()) >= seq);
    expect(await device('laptop')).toEqual(before);
    expect(notices.some((notice) => notice.seq === seq)).toBe(false);
  });

  it('continues from its durable consumer after a restart, applying only what it missed', async () => {
    await projector.close();
    const seq = await append('event-four-0004', 'laptop', [usageEntry('p4', { usage: tokens(1000, 0, 0, 0) })]);
    projector = await startOne();
    await waitFor(async () => (await checkpoint()) >= seq);
    expect(await device('laptop')).toMatchObject({ entries: '3', inputTokens: '1011', lastSeq: String(seq) });
  });
});
