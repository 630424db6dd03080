import {
  AccountId,
  DeviceId,
  type DomainEvent,
  EventId,
  newEvent,
  type RateLimitWindows,
  rateLimitsFromHash,
  StreamSeq,
} from '@ccsync/contracts';
import { describe, expect, it } from 'vitest';
import { windowsTaken } from './project-rate-limits.ts';

const account = AccountId.parse('acme');

/** One device's observation, as ingest records it. */
function observed(device: string, observedAt: string, windows: RateLimitWindows): DomainEvent<'RateLimitsObserved'> {
  return newEvent('RateLimitsObserved', {
    id: EventId.parse(`event-${device}-${Date.parse(observedAt)}`),
    occurredAt: observedAt,
    recordedAt: observedAt,
    account,
    device: DeviceId.parse(device),
    data: { observedAt, windows },
  });
}

/** Applies events in the given order to one hash, as the projector does. */
function applyInOrder(events: readonly [number, DomainEvent<'RateLimitsObserved'>][]) {
  let hash: Record<string, string> = {};
  for (const [seq, event] of events) hash = { ...hash, ...windowsTaken(hash, StreamSeq.parse(seq), event) };
  return rateLimitsFromHash(account, hash).windows;
}

const early = '2026-11-20T10:00:00.000Z';
const late = '2026-11-20T10:05:00Z';
const resets = '2026-11-20T14:00:00.000Z';
const laptopLate = observed('laptop', late, {
  five_hour: { usedPercentage: 42, resetsAt: resets },
  seven_day: { usedPercentage: 12.5, resetsAt: null },
});
const desktopEarly = observed('desktop', early, {
  five_hour: { usedPercentage: 30, resetsAt: resets },
  seven_day_opus: { usedPercentage: 3, resetsAt: null },
});

describe('windowsTaken', () => {
  it('keeps the newest observation of each window, whichever arrives last', () => {
    const expected = {
      five_hour: { usedPercentage: 42, resetsAt: resets, device: 'laptop', observedAt: late },
      seven_day: { usedPercentage: 12.5, resetsAt: null, device: 'laptop', observedAt: late },
      seven_day_opus: { usedPercentage: 3, resetsAt: null, device: 'desktop', observedAt: early },
    };
    expect(
      applyInOrder([
        [1, laptopLate],
        [2, desktopEarly],
      ]),
    ).toEqual(expected);
    expect(
      applyInOrder([
        [1, desktopEarly],
        [2, laptopLate],
      ]),
    ).toEqual(expected);
  });

  it('takes no window from a newer one, so an older observation changes nothing', () => {
    const hash = windowsTaken({}, StreamSeq.parse(1), laptopLate);
    const older = observed('desktop', early, { five_hour: { usedPercentage: 99, resetsAt: resets } });
    expect(windowsTaken(hash, StreamSeq.parse(2), older)).toEqual({});
  });

  it('leaves a window made at the same instant to the event earlier in the history, in any order of applying', () => {
    const first = observed('laptop', early, { five_hour: { usedPercentage: 10, resetsAt: null } });
    const second = observed('desktop', early, { five_hour: { usedPercentage: 20, resetsAt: null } });
    const kept = { five_hour: { usedPercentage: 10, resetsAt: null, device: 'laptop', observedAt: early } };
    expect(
      applyInOrder([
        [1, first],
        [2, second],
      ]),
    ).toEqual(kept);
    // Two replicas may apply them the other way round: seq 1 still wins.
    let hash = windowsTaken({}, StreamSeq.parse(2), second);
    hash = { ...hash, ...windowsTaken(hash, StreamSeq.parse(1), first) };
    expect(rateLimitsFromHash(account, hash).windows).toEqual(kept);
  });

  it('compares instants, not their spelling', () => {
    const hash = windowsTaken({}, StreamSeq.parse(1), laptopLate);
    const sameInstant = observed('desktop', '2026-11-20T10:05:00.000Z', {
      five_hour: { usedPercentage: 1, resetsAt: null },
    });
    expect(windowsTaken(hash, StreamSeq.parse(2), sameInstant)).toEqual({});
    const later = observed('desktop', '2026-11-20T10:05:00.001Z', { five_hour: { usedPercentage: 1, resetsAt: null } });
    expect(Object.keys(windowsTaken(hash, StreamSeq.parse(3), later))).toEqual(['five_hour']);
  });

  it('gives a redelivered event the windows it took, so its notice is sent again', () => {
    const hash = windowsTaken({}, StreamSeq.parse(7), laptopLate);
    expect(windowsTaken(hash, StreamSeq.parse(7), laptopLate)).toEqual(hash);
  });
});
