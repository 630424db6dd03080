import { CURRENT_PROJECTION_VERSION, decodeEvent, type Names, StreamSeq, viewKeys } from '@ccsync/contracts';
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
  await jsm.consumers.add(names.eventStream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.eventSubjects,
    ack_wait: 30_000_000_000,
    max_ack_pending: 10_000,
  });
  const consumer = await jetstream(nc).consumers.get(names.eventStream, durable);
  const messages: ConsumerMessages = await consumer.consume({ max_messages: deps.batchSize });

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
      message.term();
      return;
    }
    const event = decoded.event;
    const seq = StreamSeq.parse(message.seq);
    try {
      if (event.type === 'UsageRecorded') {
        const notices = await projectUsageRecorded(redis, keys, seq, event, pricing);
        message.ack();
        for (const notice of notices) nc.publish(names.usageChangedSubject(event.account), JSON.stringify(notice));
      } else {
        message.ack();
      }
    } catch (error) {
      logger.warn({ err: error, seq }, 'applying event failed; it will be redelivered');
      message.nak(RETRY_DELAY_MS);
    }
  };

  const done = (async () => {
    for await (const message of messages) await handle(message);
  })();

  return {
    done,
    async stop() {
      await messages.close();
      await done;
    },
  };
}
