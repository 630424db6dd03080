import type { AccountId, DeviceId, DomainEvent, Names } from '@ccsync/contracts';
import { decodeEvent } from '@ccsync/contracts';
import type { NatsConnection } from '@ccsync/service-kit';
import { JetStreamApiCodes, JetStreamApiError, jetstream } from '@nats-io/jetstream';

/**
 * The devices removed from their accounts, and where in the history: a view built from the
 * history leaves out every usage event of a device that precedes its removal. A rebuild reads
 * them all before it applies the first event, so it never counts what it would later remove.
 */
export class Removals {
  readonly #at = new Map<string, number[]>();

  add(account: AccountId, device: DeviceId, seq: number): void {
    const key = `${account}\n${device}`;
    this.#at.set(key, [...(this.#at.get(key) ?? []), seq]);
  }

  /** The event is usage of a device that was removed after it. */
  hides(event: DomainEvent, seq: number): boolean {
    if (event.device === undefined || event.type === 'DeviceRemoved' || event.type === 'DeviceRegistered') return false;
    return (this.#at.get(`${event.account}\n${event.device}`) ?? []).some((removedAt) => removedAt > seq);
  }
}

/** Every DeviceRemoved event of the history, read with a filtered ordered consumer. */
export async function loadRemovals(nc: NatsConnection, names: Names): Promise<Removals> {
  const removals = new Removals();
  const js = jetstream(nc);
  const consumer = await js.consumers
    // One subject as a string: nats.js then sends `filter_subject`, which nats-server 2.9 knows.
    .get(names.eventStream, { filter_subjects: names.eventsOfType('DeviceRemoved') })
    .catch((error: unknown) => {
      // No stream yet: no history, so nothing removed. Anything else must not pass for "none".
      if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) return undefined;
      throw error;
    });
  if (consumer === undefined) return removals;
  let pending = (await consumer.info()).num_pending;
  while (pending > 0) {
    const batch = await consumer.fetch({ max_messages: Math.min(pending, 1000), expires: 2000 });
    let received = 0;
    for await (const message of batch) {
      received++;
      pending = message.info.pending;
      const decoded = decodeEvent(message.json());
      if (decoded.ok && decoded.event.device !== undefined)
        removals.add(decoded.event.account, decoded.event.device, message.seq);
    }
    if (received === 0) break;
  }
  await consumer.delete().catch(() => undefined);
  return removals;
}
