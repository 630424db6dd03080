import { createHash } from 'node:crypto';
import {
  type AccountId,
  type DeviceId,
  type DomainEvent,
  EventId,
  type Names,
  newEvent,
  type PushUsageReply,
  StreamSeq,
  type UsageEntry,
  type UsageSource,
} from '@ccsync/contracts';
import type { JetStreamClient } from '@nats-io/jetstream';

export interface RecordUsageCommand {
  readonly account: AccountId;
  readonly device: DeviceId;
  readonly source: UsageSource;
  readonly entries: readonly UsageEntry[];
}

/**
 * The event id is a hash of what identifies the batch, so a batch resent after a lost reply gets
 * the same id, and JetStream's duplicate window stores it once.
 */
export function usageEventId({ account, device, source, entries }: RecordUsageCommand): EventId {
  const hash = createHash('sha256').update(`UsageRecorded\0${account}\0${device}\0${source}`);
  for (const entry of entries) hash.update(`\0${entry.id}`);
  return EventId.parse(hash.digest('base64url').slice(0, 32));
}

/** Appends one UsageRecorded event to the history and resolves once JetStream has stored it. */
export async function recordUsage(
  js: JetStreamClient,
  names: Names,
  command: RecordUsageCommand,
  timeoutMs: number,
): Promise<PushUsageReply> {
  const id = usageEventId(command);
  const occurredAt = command.entries.reduce(
    (latest, entry) => (entry.timestamp > latest ? entry.timestamp : latest),
    command.entries[0]?.timestamp ?? new Date().toISOString(),
  );
  const event = newEvent('UsageRecorded', {
    id,
    occurredAt,
    recordedAt: new Date().toISOString(),
    account: command.account,
    device: command.device,
    data: { source: command.source, entries: [...command.entries] },
  });
  const stored = await appendEvent(js, names, event, timeoutMs);
  return { eventId: id, ...stored, accepted: command.entries.length };
}

/**
 * Appends an event to the history with its id as the `msgID`, so a retried publish is stored
 * once, and resolves once JetStream has stored it.
 */
export async function appendEvent(
  js: JetStreamClient,
  names: Names,
  event: DomainEvent,
  timeoutMs: number,
): Promise<{ seq: StreamSeq; duplicate: boolean }> {
  const ack = await js.publish(names.eventSubject(event.account, event.type), JSON.stringify(event), {
    msgID: event.id,
    timeout: timeoutMs,
  });
  return { seq: StreamSeq.parse(ack.seq), duplicate: ack.duplicate };
}
