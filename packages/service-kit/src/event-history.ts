import { createHash } from 'node:crypto';
import {
  type AccountId,
  type CcusageDailyReport,
  type DeviceId,
  type DomainEvent,
  EventId,
  type Names,
  newEvent,
  StreamSeq,
} from '@ccsync/contracts';
import type { JetStreamClient } from '@nats-io/jetstream';
import { Errors } from './errors.ts';
import type { Logger } from './logger.ts';

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

/**
 * A device's ccusage daily report as a UsageSnapshotRecorded event. Its id is the report's digest,
 * so the same report sent again is stored once.
 */
export function usageSnapshotEvent(
  account: AccountId,
  device: DeviceId,
  report: CcusageDailyReport,
  timezone: string | undefined,
  now = new Date().toISOString(),
): DomainEvent<'UsageSnapshotRecorded'> {
  const digest = createHash('sha256')
    .update(`UsageSnapshotRecorded\0${account}\0${device}\0${timezone ?? ''}\0`)
    .update(JSON.stringify(report));
  return newEvent('UsageSnapshotRecorded', {
    id: EventId.parse(digest.digest('base64url').slice(0, 32)),
    occurredAt: now,
    recordedAt: now,
    account,
    device,
    data: { tool: 'ccusage', report, ...(timezone === undefined ? {} : { timezone }) },
  });
}
