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
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
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
   * once JetStream has stored it. Any failure means it may not be stored: 503, never 2xx. An event
   * larger than the server's `max_payload` is refused with 413 instead, as retrying cannot help.
   */
  append(event: DomainEvent, log: Pick<Logger, 'warn'>): Promise<Stored>;
}

/** Room for the headers JetStream's publish adds (`Nats-Msg-Id`), which count toward `max_payload`. */
const HEADER_ALLOWANCE_BYTES = 256;

export function createEventHistory(nc: NatsConnection, names: Names, publishTimeoutMs: number): EventHistory {
  const js = jetstream(nc);
  return {
    async append(event, log) {
      // Encoded once, here: its size is what the server limits, and the client sends these bytes.
      const payload = Buffer.from(JSON.stringify(event));
      const bytes = payload.byteLength;
      // Read on every append: after a reconnect the server, and its limit, may be another one.
      const maxPayload = nc.info?.max_payload;
      if (maxPayload !== undefined && bytes + HEADER_ALLOWANCE_BYTES > maxPayload) {
        throw new Errors.EventTooLarge(
          `The ${event.type} event would be ${bytes} bytes, more than the NATS server takes in one message (max_payload ${maxPayload}); send fewer entries at a time`,
        );
      }
      try {
        const ack = await js.publish(names.eventSubject(event.account, event.type), payload, {
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
 * A deterministic event id: the SHA-256 of `parts` joined by NUL, base64url, 32 characters. The
 * same facts give the same id, which doubles as JetStream's msgID, so a resent event is stored once.
 */
export function eventIdOf(...parts: readonly (string | number)[]): EventId {
  const hash = createHash('sha256');
  for (const [index, part] of parts.entries()) hash.update(index === 0 ? String(part) : `\0${part}`);
  return EventId.parse(hash.digest('base64url').slice(0, 32));
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
  return newEvent('UsageSnapshotRecorded', {
    id: eventIdOf('UsageSnapshotRecorded', account, device, timezone ?? '', JSON.stringify(report)),
    occurredAt: now,
    recordedAt: now,
    account,
    device,
    data: { tool: 'ccusage', report, ...(timezone === undefined ? {} : { timezone }) },
  });
}
