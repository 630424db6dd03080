import { type DomainEvent, type Names, StreamSeq } from '@ccsync/contracts';
import { Errors, type Logger } from '@ccsync/service-kit';
import type { JetStreamClient } from '@nats-io/jetstream';

export interface Stored {
  readonly seq: StreamSeq;
  /** JetStream had stored this event id before (a retried request). */
  readonly duplicate: boolean;
}

/** The one door into the event history. */
export interface EventHistory {
  /**
   * Appends an event with its id as the `msgID`, so a retried publish is stored once, and resolves
   * once JetStream has stored it. Any failure means it may not be stored: 503, never 2xx.
   */
  append(event: DomainEvent, log: Pick<Logger, 'warn'>): Promise<Stored>;
}

export function createEventHistory(js: JetStreamClient, names: Names, publishTimeoutMs: number): EventHistory {
  return {
    async append(event, log) {
      try {
        const ack = await js.publish(names.eventSubject(event.account, event.type), JSON.stringify(event), {
          msgID: event.id,
          timeout: publishTimeoutMs,
        });
        return { seq: StreamSeq.parse(ack.seq), duplicate: ack.duplicate };
      } catch (error) {
        log.warn({ err: error, event: event.type }, 'publish to JetStream failed');
        throw new Errors.StoreUnavailable();
      }
    },
  };
}
