import { describe, expect, it } from 'vitest';
import { AccountId, Namespace } from '../ids.ts';
import { namesFor } from '../names.ts';
import { liveMetricKeys } from '../views/live-metrics-keys.ts';
import { MetricKey, metricsChangedSubject, SetMetricRequest } from './live-metrics.ts';

const names = namesFor(Namespace.parse('ccsync'));
const acme = AccountId.parse('acme');

describe('live metric names', () => {
  it('keeps each account’s metrics under its own live keys and notice subject', () => {
    const keys = liveMetricKeys(names);
    expect(keys.metric(acme, MetricKey.parse('burn.rate:5m'))).toBe('ccsync:live:metrics:acme:burn.rate:5m');
    expect(keys.index(acme)).toBe('ccsync:live:metrics-index:acme');
    expect(metricsChangedSubject(names, acme)).toBe('ccsync.changes.acme.metrics');
  });

  it.each(['a', 'Burn.rate_1:5m-x', 'x'.repeat(128)])('accepts the key %j', (key) => {
    expect(MetricKey.safeParse(key).success).toBe(true);
  });

  it.each(['', 'x'.repeat(129), 'a b', 'a/b', 'a*', 'café', 'a\n'])('refuses the key %j', (key) => {
    expect(MetricKey.safeParse(key).success).toBe(false);
  });
});

describe('SetMetricRequest', () => {
  it('takes any JSON value, null included, with a five-minute TTL by default', () => {
    expect(SetMetricRequest.parse({ value: null })).toEqual({ value: null });
    expect(SetMetricRequest.parse({ value: [1, { a: 'b' }], ttlSeconds: 86_400 })).toEqual({
      value: [1, { a: 'b' }],
      ttlSeconds: 86_400,
    });
  });

  it('needs a value and a whole TTL from 1 second to a day', () => {
    expect(SetMetricRequest.safeParse({ ttlSeconds: 10 }).success).toBe(false);
    for (const ttlSeconds of [0, 0.5, 86_401, '60']) {
      expect(SetMetricRequest.safeParse({ value: 1, ttlSeconds }).success).toBe(false);
    }
  });
});
