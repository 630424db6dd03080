import { describe, expect, it } from 'vitest';
import { decodeEvent } from './envelope.ts';

const envelope = {
  id: 'evt_0123456789',
  type: 'UsageRecorded',
  version: 1,
  occurredAt: '2026-11-20T10:00:00.000Z',
  recordedAt: '2026-11-20T10:00:01.000Z',
  account: 'default',
  device: 'laptop',
  data: {
    source: 'transcript',
    entries: [
      {
        id: 'entry_0001',
        timestamp: '2026-11-20T10:00:00.000Z',
        usage: { inputTokens: 3, outputTokens: 4 },
      },
    ],
  },
};

describe('decodeEvent', () => {
  it('validates a current event and fills the defaults of its schema', () => {
    const result = decodeEvent(envelope);
    expect(result).toEqual({
      ok: true,
      event: {
        ...envelope,
        data: {
          source: 'transcript',
          entries: [
            {
              id: 'entry_0001',
              timestamp: '2026-11-20T10:00:00.000Z',
              isSidechain: false,
              usage: { inputTokens: 3, outputTokens: 4, cacheCreationInputTokens: 0, cacheReadInputTokens: 0 },
            },
          ],
        },
      },
    });
  });

  it('reports an unknown type as a value, not an exception', () => {
    expect(decodeEvent({ ...envelope, type: 'SomethingNew' })).toMatchObject({ ok: false, reason: 'UNKNOWN_TYPE' });
  });

  it('reports a version newer than this code knows', () => {
    expect(decodeEvent({ ...envelope, version: 2 })).toMatchObject({ ok: false, reason: 'UNKNOWN_VERSION' });
  });

  it('reports malformed data with the path of the problem', () => {
    const result = decodeEvent({ ...envelope, data: { source: 'transcript', entries: [{ id: 'x' }] } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.reason).toBe('MALFORMED');
    expect(result.message).toContain('entries[0]');
  });

  it('refuses an envelope without an account', () => {
    const { account: _account, ...withoutAccount } = envelope;
    expect(decodeEvent(withoutAccount)).toMatchObject({ ok: false, reason: 'MALFORMED' });
  });
});
