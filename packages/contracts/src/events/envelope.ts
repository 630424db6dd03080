import { z } from 'zod';
import { AccountId, DeviceId, EventId } from '../ids.ts';
import { type EventData, type EventType, eventDefinitions, isEventType } from './registry.ts';

/** What every stored event carries around its data. */
export const EventEnvelope = z.object({
  /** Deterministic, and used as the JetStream `msgID`, so a retried publish is stored once. */
  id: EventId,
  type: z.string().min(1),
  /** The schema version of `data` as it was written. */
  version: z.number().int().positive(),
  /** When the thing happened on the device. */
  occurredAt: z.iso.datetime({ offset: true }),
  /** When ingest accepted it. */
  recordedAt: z.iso.datetime({ offset: true }),
  account: AccountId,
  device: DeviceId.optional(),
  data: z.unknown(),
});
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** A decoded event whose data has been validated and upcast to its type's current version. */
export type DomainEvent<T extends EventType = EventType> = {
  [K in T]: Omit<EventEnvelope, 'type' | 'data'> & { type: K; data: EventData<K> };
}[T];

export type DecodeResult =
  | { ok: true; event: DomainEvent }
  | { ok: false; reason: 'MALFORMED' | 'UNKNOWN_TYPE' | 'UNKNOWN_VERSION'; message: string };

/** Parses a stored event and upcasts it. Problems are values: a consumer decides what to skip. */
export function decodeEvent(raw: unknown): DecodeResult {
  const envelope = EventEnvelope.safeParse(raw);
  if (!envelope.success) {
    return { ok: false, reason: 'MALFORMED', message: z.prettifyError(envelope.error) };
  }
  const { type, version } = envelope.data;
  if (!isEventType(type)) {
    return { ok: false, reason: 'UNKNOWN_TYPE', message: `unknown event type "${type}"` };
  }
  const definition = eventDefinitions[type];
  const schema = (definition.schemas as Record<number, z.ZodType | undefined>)[version];
  if (schema === undefined || version > definition.version) {
    return { ok: false, reason: 'UNKNOWN_VERSION', message: `${type} has no version ${version}` };
  }
  const parsed = schema.safeParse(envelope.data.data);
  if (!parsed.success) {
    return { ok: false, reason: 'MALFORMED', message: z.prettifyError(parsed.error) };
  }
  let data: unknown = parsed.data;
  const upcasters = definition.upcasters as Record<number, ((old: unknown) => unknown) | undefined>;
  for (let from = version; from < definition.version; from++) {
    const upcast = upcasters[from];
    if (upcast === undefined) {
      return { ok: false, reason: 'UNKNOWN_VERSION', message: `no upcaster for ${type} v${from}` };
    }
    data = upcast(data);
  }
  const event = { ...envelope.data, version: definition.version, data } as DomainEvent;
  return { ok: true, event };
}

/** Builds a new event at its type's current version. */
export function newEvent<T extends EventType>(
  type: T,
  fields: Omit<EventEnvelope, 'type' | 'version' | 'data'> & { data: EventData<T> },
): DomainEvent<T> {
  return { ...fields, type, version: eventDefinitions[type].version } as DomainEvent<T>;
}
