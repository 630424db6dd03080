import {
  type AccountId,
  type DeviceId,
  type DomainEvent,
  type EventId,
  newEvent,
  type UsageEntry,
  type UsageSource,
} from '@ccsync/contracts';
import { eventIdOf } from '@ccsync/service-kit';

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
  return eventIdOf('UsageRecorded', account, device, source, ...entries.map((entry) => entry.id));
}

/** One UsageRecorded event for a batch; it occurred when its latest entry did. */
export function usageEvent(command: RecordUsageCommand): DomainEvent<'UsageRecorded'> {
  const occurredAt = command.entries.reduce(
    (latest, entry) => (entry.timestamp > latest ? entry.timestamp : latest),
    command.entries[0]?.timestamp ?? new Date().toISOString(),
  );
  return newEvent('UsageRecorded', {
    id: usageEventId(command),
    occurredAt,
    recordedAt: new Date().toISOString(),
    account: command.account,
    device: command.device,
    data: { source: command.source, entries: [...command.entries] },
  });
}
