import {
  CURRENT_PROJECTION_VERSION,
  type DomainEvent,
  decodeEvent,
  type Names,
  StreamSeq,
  type UsageChanged,
  viewKeys,
} from '@ccsync/contracts';
import type { Logger, NatsConnection, Redis } from '@ccsync/service-kit';
import type { PricingTable } from '@ccsync/usage';
import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamManager,
  type JsMsg,
  jetstream,
} from '@nats-io/jetstream';
import { projectCountersObserved } from './usage/project-counters.ts';
import { projectUsageSnapshot } from './usage/project-snapshot.ts';
import { projectUsageRecorded } from './usage/project-usage.ts';

export interface ProjectionConsumer {
  /** Resolves when the consume loop has stopped after `stop()`. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface ProjectionConsumerDeps {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly redis: Redis;
  readonly names: Names;
  readonly logger: Logger;
  readonly batchSize: number;
  readonly pricing: PricingTable;
}

/** How long a failed event waits before JetStream redelivers it, e.g. while Redis is down. */
const RETRY_DELAY_MS = 1000;
/** How often the projector checks that Redis still has its views. */
const VIEWS_CHECK_MS = 2000;

/**
 * Applies the event history to the Redis views through a durable pull consumer. Every event is
 * applied before it is acked, so a crash at any point means redelivery, and redelivery is safe
 * because applying is idempotent. Several replicas may share the consumer.
 */
export async function startProjectionConsumer(deps: ProjectionConsumerDeps): Promise<ProjectionConsumer> {
  const { nc, jsm, redis, names, logger, pricing } = deps;
  const version = CURRENT_PROJECTION_VERSION;
  const keys = viewKeys(names, version);
  const durable = names.projectorConsumer(version);
  const config = {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.eventSubjects,
    ack_wait: 30_000_000_000,
    max_ack_pending: 10_000,
  };
  await jsm.consumers.add(names.eventStream, config);

  /**
   * The views are gone while the consumer is past events: Redis lost its data (FLUSHALL, or a
   * restart without persistence). Every handled message advances the checkpoint, so a missing
   * checkpoint with a moved consumer means exactly that. A Redis that does not answer is not lost.
   */
  const viewsLost = async () => {
    try {
      if ((await redis.exists(keys.checkpoint)) === 1) return false;
      return (await jsm.consumers.info(names.eventStream, durable)).ack_floor.stream_seq > 0;
    } catch {
      return false;
    }
  };
  /** Replays the whole history into the views: the consumer starts again from the first event. */
  const rebuildFromStart = async () => {
    logger.warn('the views are gone from Redis; rebuilding them from the start of the history');
    await jsm.consumers.delete(names.eventStream, durable).catch(() => undefined);
    await jsm.consumers.add(names.eventStream, config);
  };

  /** Each event type's projection; every one advances the checkpoint. */
  const project = async (event: DomainEvent, seq: StreamSeq): Promise<UsageChanged[]> => {
    switch (event.type) {
      case 'UsageRecorded':
        return projectUsageRecorded(redis, keys, seq, event, pricing);
      case 'UsageCountersObserved':
        return projectCountersObserved(redis, keys, seq, event);
      case 'UsageSnapshotRecorded':
        return projectUsageSnapshot(redis, keys, seq, event);
      case 'DeviceRegistered':
        await redis.ccsyncAdvanceCheckpoint(keys.checkpoint, seq);
        return [];
    }
  };

  /** Applies one stored message. Nothing in a message can throw out of here and stop the loop. */
  const handle = async (message: JsMsg) => {
    let raw: unknown;
    try {
      raw = message.json();
    } catch {
      raw = undefined;
    }
    const decoded = decodeEvent(raw);
    if (!decoded.ok) {
      // It stays in the history for a later version to read; this one cannot apply it.
      logger.error({ seq: message.seq, reason: decoded.reason, detail: decoded.message }, 'skipping unreadable event');
      await redis.ccsyncAdvanceCheckpoint(keys.checkpoint, message.seq).catch(() => undefined);
      message.term();
      return;
    }
    const event = decoded.event;
    const seq = StreamSeq.parse(message.seq);
    try {
      const notices = await project(event, seq);
      message.ack();
      for (const notice of notices) nc.publish(names.usageChangedSubject(event.account), JSON.stringify(notice));
    } catch (error) {
      logger.warn({ err: error, seq }, 'applying event failed; it will be redelivered');
      message.nak(RETRY_DELAY_MS);
    }
  };

  let stopping = false;
  let messages: ConsumerMessages | undefined;
  const done = (async () => {
    while (!stopping) {
      if (await viewsLost()) await rebuildFromStart();
      const consumer = await jetstream(nc).consumers.get(names.eventStream, durable);
      messages = await consumer.consume({ max_messages: deps.batchSize });
      for await (const message of messages) await handle(message);
    }
  })();
  // Redis can lose its data at any time, not only before a start: look every few seconds.
  const watchdog = setInterval(() => {
    void viewsLost().then((lost) => {
      if (lost && !stopping) void messages?.close();
    });
  }, VIEWS_CHECK_MS);

  return {
    done,
    async stop() {
      stopping = true;
      clearInterval(watchdog);
      await messages?.close();
      await done;
    },
  };
}
