import { DEFAULT_ACCOUNT, DeviceId, EventId, newEvent, type UsageChanged, type UsageEntry } from '@ccsync/contracts';
import { createLogger, ProjectionRegistry, parseEnv, Redis } from '@ccsync/service-kit';
import { usageEntry, useTestNamespace, waitFor } from '@ccsync/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Projector, startProjector } from '../app.ts';
import { ProjectorEnv } from '../config.ts';

const ns = useTestNamespace();
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

let registry: ProjectionRegistry;
/** The views reads come from now: they move to a new version when the history is replayed. */
const keys = () => registry.activeKeys();
const checkpoint = () => registry.activeCheckpoint();
const device = async (id: string) => redis.hgetall((await keys()).deviceUsage(DEFAULT_ACCOUNT, DeviceId.parse(id)));

beforeAll(async () => {
  projector = await startOne();
  nc = await connect({ servers: ns.natsUrl });
  nc.subscribe(ns.names.allUsageChangedSubjects, {
    callback: (_error, message) => {
      notices.push(message.json());
    },
  });
  redis = new Redis(ns.redisUrl);
  registry = new ProjectionRegistry(redis, ns.names);
});
afterAll(async () => {
  await projector?.close();
  await nc?.close();
  redis?.disconnect();
});

describe('projecting UsageRecorded', () => {
  const copy = (seed: string, device: string, output: number, extra: Partial<UsageEntry> = {}) =>
    usageEntry(`${seed}-${device}-${output}`, {
      messageId: `msg_${seed}`,
      requestId: `req_${seed}`,
      usage: tokens(0, output, 0, 0),
      ...extra,
    });

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
    const { costUSD, ...counts } = await device('laptop');
    expect(counts).toEqual({
      entries: '2',
      inputTokens: '11',
      outputTokens: '22',
      cacheCreationTokens: '41',
      cacheReadTokens: '44',
      lastSeq: String(seq),
      updatedAt: '2026-11-20T10:00:01.000Z',
    });
    // Sonnet 4.5 per million: input $3, output $15, 5m cache write $3.75, 1h write $6 (2x input), read $0.30.
    const expectedCost = (11 * 3 + 22 * 15 + 35 * 3.75 + 6 * 6 + 44 * 0.3) / 1e6;
    expect(Number(costUSD)).toBeCloseTo(expectedCost, 12);
    expect(await redis.smembers((await keys()).accountDevices(DEFAULT_ACCOUNT))).toEqual(['laptop']);
  });

  it('publishes a change notice with the delta and the new totals', async () => {
    const seq = await append('event-two-0002', 'desktop', [usageEntry('p3', { usage: tokens(100, 0, 0, 0) })]);
    const notice = await waitFor(() => notices.find((candidate) => candidate.seq === seq));
    expect(notice).toMatchObject({
      account: 'default',
      device: 'desktop',
      delta: { entries: 1, inputTokens: 100, totalTokens: 100, totalCost: expect.closeTo(0.0003, 12) },
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

  it('counts copies of one message once, and moves it to the device of a later, larger copy', async () => {
    const first = await append('move-0001-aaaa', 'phone', [copy('m1', 'phone', 10)]);
    await waitFor(async () => (await checkpoint()) >= first);
    await append('move-0002-aaaa', 'tablet', [copy('m1', 'tablet', 5), copy('m2', 'tablet', 7)]);
    const seq = await append('move-0003-aaaa', 'tablet', [copy('m1', 'tablet', 50)]);
    await waitFor(async () => (await checkpoint()) >= seq);
    expect(await device('phone')).toMatchObject({ entries: '0', outputTokens: '0', costUSD: '0' });
    expect(await device('tablet')).toMatchObject({ entries: '2', outputTokens: '57' });
    // The two events may be applied one by one or together; the notices add up the same.
    await waitFor(() => notices.some((notice) => notice.seq === seq));
    const moved = new Map<string, [number, number]>();
    for (const notice of notices.filter((candidate) => candidate.seq > first && candidate.seq <= seq)) {
      const [entries, output] = moved.get(notice.device) ?? [0, 0];
      moved.set(notice.device, [entries + notice.delta.entries, output + notice.delta.outputTokens]);
    }
    expect(Object.fromEntries(moved)).toEqual({ phone: [-1, -10], tablet: [2, 57] });
  });

  it('lets a main-chain copy replace a sidechain replay of the same message in its session', async () => {
    const sidechain = copy('m3', 'watch', 90, { isSidechain: true, requestId: 'req_replay' });
    const main = copy('m3', 'watch', 20, { requestId: 'req_main' });
    const seq = await append('replay-0001-aa', 'watch', [sidechain, main]);
    await waitFor(async () => (await checkpoint()) >= seq);
    expect(await device('watch')).toMatchObject({ entries: '1', outputTokens: '20' });
  });

  it('skips what it cannot read (not JSON, an unknown type, a malformed event) and keeps projecting', async () => {
    const subject = ns.names.eventSubject(DEFAULT_ACCOUNT, 'UsageRecorded');
    const js = jetstream(nc);
    await js.publish(subject, 'not json at all');
    await js.publish(subject, JSON.stringify({ type: 'FromTheFuture', version: 9 }));
    await js.publish(subject, JSON.stringify({ id: 'bad-event-0001', type: 'UsageRecorded', version: 1, data: {} }));
    const seq = await append('after-garbage-1', 'sturdy', [usageEntry('sturdy-1', { usage: tokens(3, 0, 0, 0) })]);
    await waitFor(async () => (await checkpoint()) >= seq);
    expect(await device('sturdy')).toMatchObject({ entries: '1', inputTokens: '3' });
  });

  it('rebuilds identical views from the history by itself when Redis loses them', async () => {
    const snapshot = async () => {
      const devices = (await redis.smembers((await keys()).accountDevices(DEFAULT_ACCOUNT))).sort();
      return Promise.all(devices.map(async (name) => [name, await device(name)] as const));
    };
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(3);
    // As FLUSHALL would, for this namespace only: the other test files share this Redis.
    const lost = await redis.keys(`${ns.names.redisPrefix}*`);
    await redis.del(...lost);
    await waitFor(async () => JSON.stringify(await snapshot()) === JSON.stringify(before), {
      timeoutMs: 20_000,
      description: 'the views to be rebuilt',
    });
    expect(await snapshot()).toEqual(before);
  });

  it('continues from its durable consumer after a restart, applying only what it missed', async () => {
    await projector.close();
    const seq = await append('event-four-0004', 'laptop', [usageEntry('p4', { usage: tokens(1000, 0, 0, 0) })]);
    projector = await startOne();
    await waitFor(async () => (await checkpoint()) >= seq);
    expect(await device('laptop')).toMatchObject({ entries: '3', inputTokens: '1011', lastSeq: String(seq) });
  });
});
