import { describe, expect, it } from 'vitest';
import { zonedDate } from './zoned-date.ts';

describe('zonedDate', () => {
  it.each([
    ['2026-01-15T23:30:00.000Z', 'Asia/Tokyo', '2026-01-16'],
    ['2026-01-15T02:00:00.000Z', 'America/New_York', '2026-01-14'],
    // Kolkata is UTC+05:30: 18:29 UTC is still the same day, 18:30 the next.
    ['2026-01-15T18:29:59.999Z', 'Asia/Kolkata', '2026-01-15'],
    ['2026-01-15T18:30:00.000Z', 'Asia/Kolkata', '2026-01-16'],
    // New York switches to EDT (UTC-4) on 2026-03-08: 03:59 UTC is 23:59 on the 7th, not 22:59.
    ['2026-03-09T03:59:00.000Z', 'America/New_York', '2026-03-08'],
    ['2026-03-09T04:00:00.000Z', 'America/New_York', '2026-03-09'],
  ])('%s is %s in %s', (instant, timezone, date) => {
    expect(zonedDate(Date.parse(instant), timezone)).toBe(date);
  });

  it('refuses an unknown timezone', () => {
    expect(() => zonedDate(0, 'Mars/Olympus')).toThrow(RangeError);
  });
});
