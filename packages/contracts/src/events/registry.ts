import type { z } from 'zod';
import { CronJobExecutedV1 } from './cron-job-executed.ts';
import { DeviceRegisteredV1 } from './device-registered.ts';
import { DeviceRemovedV1 } from './device-removed.ts';
import { RateLimitsObservedV1 } from './rate-limits-observed.ts';
import { UsageCountersObservedV1 } from './usage-counters-observed.ts';
import { UsageRecordedV1 } from './usage-recorded.ts';
import { UsageSnapshotRecordedV1 } from './usage-snapshot-recorded.ts';

/**
 * Every event type, every schema version it has had, and the upcaster from each old version to
 * the next. Events are stored as they were written and upcast when read, so a rebuild over a
 * history of mixed versions sees only current shapes.
 */
interface EventDefinition<Current extends z.ZodType> {
  /** The version new events are written with. */
  readonly version: number;
  /** The schema of every version, old and current. */
  readonly schemas: Readonly<Record<number, z.ZodType>>;
  /** `upcasters[n]` turns version n's data into version n + 1's. */
  readonly upcasters: Readonly<Record<number, (data: unknown) => unknown>>;
  readonly current: Current;
}

export const eventDefinitions = {
  UsageRecorded: {
    version: 1,
    schemas: { 1: UsageRecordedV1 },
    upcasters: {},
    current: UsageRecordedV1,
  },
  UsageCountersObserved: {
    version: 1,
    schemas: { 1: UsageCountersObservedV1 },
    upcasters: {},
    current: UsageCountersObservedV1,
  },
  UsageSnapshotRecorded: {
    version: 1,
    schemas: { 1: UsageSnapshotRecordedV1 },
    upcasters: {},
    current: UsageSnapshotRecordedV1,
  },
  DeviceRegistered: {
    version: 1,
    schemas: { 1: DeviceRegisteredV1 },
    upcasters: {},
    current: DeviceRegisteredV1,
  },
  DeviceRemoved: {
    version: 1,
    schemas: { 1: DeviceRemovedV1 },
    upcasters: {},
    current: DeviceRemovedV1,
  },
  CronJobExecuted: {
    version: 1,
    schemas: { 1: CronJobExecutedV1 },
    upcasters: {},
    current: CronJobExecutedV1,
  },
  RateLimitsObserved: {
    version: 1,
    schemas: { 1: RateLimitsObservedV1 },
    upcasters: {},
    current: RateLimitsObservedV1,
  },
} as const satisfies Record<string, EventDefinition<z.ZodType>>;

export type EventType = keyof typeof eventDefinitions;
export type EventData<T extends EventType> = z.infer<(typeof eventDefinitions)[T]['current']>;

export const EVENT_TYPES = Object.keys(eventDefinitions) as EventType[];

export function isEventType(type: string): type is EventType {
  return Object.hasOwn(eventDefinitions, type);
}
