import {
  type BlockChanged,
  type DeviceId,
  type DomainEvent,
  decodeEvent,
  deviceViewKeys,
  liveKeys,
  type Names,
  StreamSeq,
  type UsageChanged,
  type ViewKeys,
  viewKeys,
} from '@ccsync/contracts';
import { type Logger, type NatsConnection, ProjectionRegistry, type Redis } from '@ccsync/service-kit';
import { blockSummary, deviceShares, type PricingTable, presentBlock } from '@ccsync/usage';
import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
} from '@nats-io/jetstream';
import { projectCronJobExecuted } from './cron/project-cron-run.ts';
import { projectRateLimitsObserved } from './rate-limits/project-rate-limits.ts';
import { loadRemovals } from './removals.ts';
import { projectCountersObserved } from './usage/project-counters.ts';
import { projectUsageSnapshot } from './usage/project-snapshot.ts';
import { defineProjectionCommands, projectUsageRecorded, runKey, type Sequenced } from './usage/project-usage.ts';

export interface RunnerDeps {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly redis: Redis;
  readonly names: Names;
  readonly logger: Logger;
  /** The most events applied in one transaction. */
  readonly batchSize: number;
  readonly pricing: PricingTable;
}

/** One projection version being applied by this replica. */
export interface ProjectionRunner {
  readonly version: number;
  readonly keys: ViewKeys;
  /** Only the active version's changes are announced: nobody reads the others yet. */
  announce: boolean;
  /** Resolves when the loop has stopped after `stop()`; rejects if it failed. */
  readonly done: Promise<void>;
  /** Every event up to here is applied and acknowledged (the consumer's ack floor). */
  appliedThrough(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A change notice for the gateways, stored in the change stream. Its id makes a notice sent again
 * (the events redelivered after a crash between announcing and acking) a duplicate JetStream drops.
 */
interface Notice {
  readonly subject: string;
  readonly id: string;
  readonly body: unknown;
}

/** How long a failed event waits before JetStream redelivers it, e.g. while Redis is down. */
const RETRY_DELAY_MS = 1000;
/** How long a replica may hold an event unacknowledged before another gets it: well above a batch's apply time. */
const ACK_WAIT_NS = 10_000_000_000;
/** How much the consumer asks JetStream for at once. */
const PULL_BYTES = 16 * 1024 * 1024;
/** The most usage entries one transaction applies, so that a replay's MULTI stays a few MB. */
const MAX_RUN_ENTRIES = 20_000;
/** How long the applied-events counters are kept, for the rate over the last seconds. */
const RATE_COUNTER_TTL_SECONDS = 120;

/** The durable consumer of one version: every event from the first, acknowledged one by one. */
export function consumerConfig(names: Names, version: number): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: names.projectorConsumer(version),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.eventSubjects,
    ack_wait: ACK_WAIT_NS,
    max_ack_pending: 20_000,
  };
}

/**
 * Applies the event history to one version's Redis views through its durable pull consumer.
 * Events are applied in batches: whatever has arrived while the previous batch was applied, so
 * a quiet stream is applied event by event and a replay thousands at a time. Every event is
 * applied before it is acked, so a crash at any point means redelivery, and redelivery is safe
 * because applying is idempotent. Several replicas may share the consumer.
 */
export async function startProjectionRunner(
  deps: RunnerDeps,
  version: number,
  announce: boolean,
): Promise<ProjectionRunner> {
  const { nc, jsm, names, logger, pricing } = deps;
  // A connection of its own: WATCH belongs to a connection, and an EXEC from another flow on a
  // shared one (presence, the supervisor, another version's runner) would silently clear it.
  const redis = deps.redis.duplicate();
  defineProjectionCommands(redis);
  const keys = viewKeys(names, version);
  const config = consumerConfig(names, version);
  // Before the first event: a removal later in the history hides the device's earlier usage.
  const removals = await loadRemovals(nc, names);
  const registry = new ProjectionRegistry(deps.redis, names);
  await jsm.consumers.add(names.eventStream, config);
  const log = logger.child({ version });

  const runner: ProjectionRunner = {
    version,
    keys,
    announce,
    done: Promise.resolve(),
    async appliedThrough() {
      return (await jsm.consumers.info(names.eventStream, config.durable_name)).ack_floor.stream_seq;
    },
    async stop() {
      stopping = true;
      await messages?.close();
      await runner.done.catch(() => undefined);
      await redis.quit().catch(() => undefined);
    },
  };

  /**
   * Applies events that may share a transaction (see `runKey`), or one event of another type, and
   * returns the notices to send if this version is the one read from.
   */
  const apply = async (events: readonly Sequenced<DomainEvent>[]): Promise<Notice[]> => {
    const run = events.filter(({ seq, event }) => !removals.hides(event, seq));
    if (run.length < events.length) {
      // Hidden events are applied as nothing, so the checkpoint still passes them.
      const last = events.reduce((highest, { seq }) => Math.max(highest, seq), 0);
      await redis.ccsyncAdvanceCheckpoint(keys.checkpoint, last);
    }
    const [first] = run;
    if (first === undefined) return [];
    const { seq, event } = first;
    const usageNotices = (notices: readonly UsageChanged[]) =>
      notices.map((notice) => {
        const subject = names.usageChangedSubject(notice.account);
        return { subject, id: `${subject}:${notice.device}:${notice.seq}`, body: notice };
      });
    switch (event.type) {
      case 'UsageRecorded': {
        const live = runner.announce ? liveKeys(names) : undefined;
        const applied = await projectUsageRecorded(
          redis,
          keys,
          event.account,
          run as Sequenced<typeof event>[],
          pricing,
          live,
        );
        const notices: Notice[] = usageNotices(applied.notices);
        if (applied.lastBlock !== undefined) {
          const { lastBlock } = applied;
          const body: BlockChanged = {
            account: event.account,
            seq: applied.seq,
            block: presentBlock(blockSummary(lastBlock), Date.now()),
            devices: deviceShares(lastBlock),
          };
          const subject = names.blocksChangedSubject(event.account);
          notices.push({ subject, id: `${subject}:${applied.seq}`, body });
        }
        return notices;
      }
      case 'UsageCountersObserved':
        return usageNotices(await projectCountersObserved(redis, keys, seq, event));
      case 'UsageSnapshotRecorded':
        return usageNotices(await projectUsageSnapshot(redis, keys, seq, event));
      case 'DeviceRegistered':
        await redis.ccsyncAdvanceCheckpoint(keys.checkpoint, seq);
        return [];
      case 'CronJobExecuted': {
        const notice = await projectCronJobExecuted(redis, keys, seq, event);
        const subject = names.cronChangedSubject(event.account);
        return [{ subject, id: `${subject}:${seq}`, body: notice }];
      }
      case 'RateLimitsObserved': {
        const notice = await projectRateLimitsObserved(redis, keys, seq, event);
        if (notice === undefined) return [];
        const subject = names.rateLimitsChangedSubject(event.account);
        return [{ subject, id: `${subject}:${seq}`, body: notice }];
      }
      case 'DeviceRemoved': {
        const device = event.device as DeviceId;
        removals.add(event.account, device, seq);
        // The device leaves the device list and totals at once; the account-wide views (its
        // messages in blocks and reports, and copies on other devices that now count) come
        // exactly from a rebuild that leaves its earlier events out.
        await redis
          .multi()
          .del(...deviceViewKeys(keys, event.account, device), keys.counterSeries(event.account, device))
          .srem(keys.accountDevices(event.account), device)
          .ccsyncAdvanceCheckpoint(keys.checkpoint, seq)
          .exec();
        if (runner.announce) {
          await registry.requestRebuild(jsm, `device ${device} of ${event.account} removed`, { supersede: true });
          nc.publish(names.projectionsChangedSubject, '');
        }
        return [];
      }
    }
  };

  const js = jetstream(nc);
  /**
   * Stores the notices before the events are acked, so a client resuming from the change stream
   * misses none. A notice that cannot be stored is logged and dropped: the views are already
   * right, and each usage notice carries the device's whole totals, so the next one mends it.
   */
  const storeNotices = async (notices: readonly Notice[]) => {
    await Promise.all(
      notices.map(({ subject, id, body }) =>
        js.publish(subject, JSON.stringify(body), { msgID: id, retries: 3 }).catch((error: unknown) => {
          log.warn({ err: error, subject }, 'a change notice could not be stored');
        }),
      ),
    );
  };

  /** Applies one batch in stream order. Nothing in a message can throw out of here and stop the loop. */
  const applyBatch = async (batch: readonly JsMsg[]) => {
    const startedAt = performance.now();
    const decoded = batch.map((message) => {
      let raw: unknown;
      try {
        raw = message.json();
      } catch {
        raw = undefined;
      }
      return { message, result: decodeEvent(raw) };
    });
    let applied = 0;
    for (let start = 0; start < decoded.length; ) {
      const head = decoded[start];
      if (head === undefined) break;
      if (!head.result.ok) {
        // It stays in the history for a later version to read; this one cannot apply it.
        const { reason, message: detail } = head.result;
        log.error({ seq: head.message.seq, reason, detail }, 'skipping unreadable event');
        await redis.ccsyncAdvanceCheckpoint(keys.checkpoint, head.message.seq).catch(() => undefined);
        head.message.term();
        start++;
        continue;
      }
      const key = runKey(head.result.event);
      let end = start + 1;
      let entries = entryCount(head.result.event);
      while (key !== undefined && end < decoded.length) {
        const next = decoded[end]?.result;
        if (next === undefined || !next.ok || runKey(next.event) !== key) break;
        entries += entryCount(next.event);
        if (entries > MAX_RUN_ENTRIES) break;
        end++;
      }
      const run = decoded.slice(start, end);
      const events = run.map(({ message, result }) => ({
        seq: StreamSeq.parse(message.seq),
        event: (result as { ok: true; event: DomainEvent }).event,
      }));
      try {
        const notices = await apply(events);
        if (runner.announce) await storeNotices(notices);
        for (const { message } of run) message.ack();
        applied += run.length;
      } catch (error) {
        // Later events wait too, so that one replica applies a device's events in order.
        log.warn({ err: error, seq: events[0]?.seq }, 'applying events failed; they will be redelivered');
        for (const { message } of decoded.slice(start)) message.nak(RETRY_DELAY_MS);
        break;
      }
      start = end;
    }
    log.debug({ events: batch.length, applied, ms: performance.now() - startedAt }, 'applied a batch');
    if (applied > 0) {
      const counter = keys.appliedInSecond(Math.floor(Date.now() / 1000));
      await redis
        .multi()
        .incrby(counter, applied)
        .expire(counter, RATE_COUNTER_TTL_SECONDS)
        .exec()
        .catch(() => undefined);
    }
  };

  let stopping = false;
  let messages: ConsumerMessages | undefined;
  (runner as { done: Promise<void> }).done = (async () => {
    while (!stopping) {
      const consumer = await js.consumers.get(names.eventStream, config.durable_name);
      // Bounded by bytes, not count: a few thousand large events at once would make nats-server
      // drop this client as a slow consumer.
      messages = await consumer.consume({ max_bytes: PULL_BYTES });
      for await (const batch of inBatches(messages, deps.batchSize)) await applyBatch(batch);
    }
  })();
  return runner;
}

const entryCount = (event: DomainEvent) => (event.type === 'UsageRecorded' ? event.data.entries.length : 1);

const NOTHING_YET = Symbol('nothing yet');

/**
 * Groups what an iterator has already delivered into batches of at most `max`, without waiting
 * for more: the first message of a batch is awaited, the rest are taken only if they are there.
 */
export async function* inBatches<T>(source: AsyncIterable<T>, max: number): AsyncGenerator<T[]> {
  const iterator = source[Symbol.asyncIterator]();
  let next = iterator.next();
  for (;;) {
    const first = await next;
    if (first.done) return;
    const batch = [first.value];
    next = iterator.next();
    while (batch.length < max) {
      // A macrotask lets every delivered message settle first; only then is "nothing yet" true.
      const ready = await Promise.race([
        next,
        new Promise<typeof NOTHING_YET>((resolve) => setImmediate(resolve, NOTHING_YET)),
      ]);
      if (ready === NOTHING_YET || ready.done) break;
      batch.push(ready.value);
      next = iterator.next();
    }
    yield batch;
  }
}
