import { describe, expect, it } from 'vitest';
import { AccountId, Namespace } from './ids.ts';
import { namesFor } from './names.ts';
import { viewKeys } from './views/keys.ts';

describe('names derived from a namespace', () => {
  const a = namesFor(Namespace.parse('ccsync'));
  const b = namesFor(Namespace.parse('staging'));
  const account = AccountId.parse('acme');

  it('gives each namespace its own stream, subjects, consumers and key prefix', () => {
    expect(a).toMatchObject({ eventStream: 'ccsync_events', eventSubjects: 'ccsync.events.>', redisPrefix: 'ccsync:' });
    expect(a.eventSubject(account, 'UsageRecorded')).toBe('ccsync.events.acme.UsageRecorded');
    expect(a.usageChangedSubject(account)).toBe('ccsync.changes.acme.usage');
    expect(a.projectorConsumer(1)).toBe('ccsync_projector_v1');
    expect(b.eventStream).not.toBe(a.eventStream);
    expect(b.eventSubject(account, 'UsageRecorded').startsWith('staging.')).toBe(true);
    expect(viewKeys(b, 1).checkpoint).toBe('staging:v1:checkpoint');
  });

  it('keeps projection versions apart in Redis', () => {
    expect(viewKeys(a, 1).deviceUsage(account, 'laptop' as never)).toBe('ccsync:v1:usage:acme:device:laptop');
    expect(viewKeys(a, 2).deviceUsage(account, 'laptop' as never)).toBe('ccsync:v2:usage:acme:device:laptop');
  });

  it.each(['CCSYNC', 'a.b', 'a*', 'a>', 'a b', '', 'x'.repeat(33)])('refuses the namespace %j', (value) => {
    expect(Namespace.safeParse(value).success).toBe(false);
  });
});
