import { describe, expect, it } from 'vitest';
import type { StatuslineCache } from './cache-file.ts';
import { rateLimitsFromClaudeStatus } from './claude-status.ts';
import { compactTokens, newestWindows, statuslineText } from './line.ts';

// Local times in these tests are the process's; vitest runs them with the machine's TZ, so each
// expectation builds its clock from the same Date getters as a person would read them.
const at = (iso: string) => new Date(iso);
const clock = (iso: string) => {
  const date = new Date(iso);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
};
const localDay = (date: Date) =>
  `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;

const now = at('2026-11-21T10:30:00.000Z');
const cache = (overrides: Partial<StatuslineCache> = {}): StatuslineCache => ({
  version: 1,
  writtenAt: '2026-11-21T10:29:00.000Z',
  account: 'default',
  block: {
    startTime: '2026-11-21T09:00:00.000Z',
    endTime: '2026-11-21T14:00:00.000Z',
    totalTokens: 1_234_567,
    costUSD: 4.2,
  },
  today: { date: localDay(now), timeZone: 'UTC', costUSD: 12.344 },
  rateLimits: null,
  ...overrides,
});
const plain = { now, color: false, windows: new Map() } as const;

describe('statuslineText', () => {
  it('shows the block, its share of five hours gone, its local reset time and today’s cost', () => {
    expect(statuslineText({ ...plain, cache: cache() })).toBe(
      `ccsync ◷ 1.2M tok $4.20 · 30% elapsed, resets ${clock('2026-11-21T14:00:00.000Z')} · today $12.34`,
    );
  });

  it('shows the share of a token limit when one is given', () => {
    expect(statuslineText({ ...plain, cache: cache(), tokenLimit: 1_500_000 })).toBe(
      `ccsync ◷ 1.2M/1.5M tok 82% $4.20 · 30% elapsed, resets ${clock('2026-11-21T14:00:00.000Z')} · today $12.34`,
    );
  });

  it('says when no block is active, and when the cached block has ended since', () => {
    expect(statuslineText({ ...plain, cache: cache({ block: null }) })).toBe('ccsync ◷ no active block · today $12.34');
    expect(statuslineText({ ...plain, now: at('2026-11-21T14:00:00.000Z'), cache: cache() })).toMatch(
      /^ccsync\?? ◷ no active block · /,
    );
  });

  it('counts today from zero when the cached figure is of an earlier day', () => {
    const yesterday = new Date(now.getTime() - 86_400_000);
    expect(
      statuslineText({
        ...plain,
        cache: cache({ block: null, today: { date: localDay(yesterday), timeZone: 'UTC', costUSD: 9 } }),
      }),
    ).toBe('ccsync ◷ no active block · today $0.00');
  });

  it('marks figures older than ten minutes as stale, and dims them in colour', () => {
    const old = cache({ block: null, writtenAt: '2026-11-21T10:19:59.000Z' });
    expect(statuslineText({ ...plain, cache: old })).toBe('ccsync? ◷ no active block · today $12.34');
    expect(statuslineText({ ...plain, cache: old, color: true })).toBe(
      'ccsync? \u001b[2m◷ no active block\u001b[22m · \u001b[2mtoday $12.34\u001b[22m',
    );
  });

  it('shows the official windows, five-hour first, and leaves out one that has reset', () => {
    const windows = new Map([
      ['seven_day_opus', { usedPercentage: 5, resetsAt: '2026-11-25T00:00:00.000Z', observedAt: now.toISOString() }],
      ['seven_day', { usedPercentage: 13.2, resetsAt: '2026-11-25T00:00:00.000Z', observedAt: now.toISOString() }],
      ['five_hour', { usedPercentage: 71.5, resetsAt: '2026-11-21T12:00:00.000Z', observedAt: now.toISOString() }],
      ['old_window', { usedPercentage: 99, resetsAt: '2026-11-21T10:00:00.000Z', observedAt: now.toISOString() }],
    ]);
    expect(statuslineText({ ...plain, cache: cache({ block: null }), windows })).toBe(
      'ccsync ◷ no active block · today $12.34 · 5h 72% · 7d 13% · 7d opus 5%',
    );
    expect(statuslineText({ ...plain, color: true, cache: undefined, windows })).toBe(
      'ccsync: no data yet (run ccsync watch) · 5h \u001b[33m72%\u001b[39m · 7d \u001b[32m13%\u001b[39m · 7d opus \u001b[32m5%\u001b[39m',
    );
  });

  it('colours a share red from 90%', () => {
    const windows = new Map([['five_hour', { usedPercentage: 90, resetsAt: null, observedAt: now.toISOString() }]]);
    expect(statuslineText({ ...plain, color: true, cache: undefined, windows })).toContain(
      '5h \u001b[31m90%\u001b[39m',
    );
  });
});

describe('newestWindows', () => {
  const account = {
    five_hour: {
      usedPercentage: 50,
      resetsAt: null,
      observedAt: '2026-11-21T10:20:00.000Z',
      device: 'desktop',
    },
    seven_day: {
      usedPercentage: 20,
      resetsAt: null,
      observedAt: '2026-11-21T10:00:00.000Z',
      device: 'desktop',
    },
  } as const;
  it('takes, per window, the newer of this session’s figures and the account’s', () => {
    const own = {
      observedAt: '2026-11-21T10:10:00.000Z',
      windows: { five_hour: { usedPercentage: 40, resetsAt: null }, seven_day: { usedPercentage: 10, resetsAt: null } },
    };
    const shown = newestWindows(own, account as never);
    expect(shown.get('five_hour')?.usedPercentage).toBe(50);
    expect(shown.get('seven_day')?.usedPercentage).toBe(10);
    expect(newestWindows(undefined, null).size).toBe(0);
  });
});

describe('compactTokens', () => {
  it.each([
    [950, '950'],
    [1234, '1.2k'],
    [999_949, '999.9k'],
    [999_950, '1.0M'],
    [1_234_567, '1.2M'],
    [2_500_000_000, '2.5B'],
  ])('%d → %s', (tokens, text) => expect(compactTokens(tokens)).toBe(text));
});

describe('rateLimitsFromClaudeStatus', () => {
  it('reads the windows, with resets_at in Unix seconds as ISO', () => {
    const status = {
      session_id: 's',
      model: { id: 'claude-opus-4-6' },
      rate_limits: {
        five_hour: { used_percentage: 42.5, resets_at: 1_763_726_400 },
        seven_day: { used_percentage: 13 },
        'Bad-Name': { used_percentage: 1, resets_at: 1 },
        broken: { used_percentage: 'x' },
      },
    };
    expect(rateLimitsFromClaudeStatus(JSON.stringify(status))).toEqual({
      five_hour: { usedPercentage: 42.5, resetsAt: new Date(1_763_726_400_000).toISOString() },
      seven_day: { usedPercentage: 13, resetsAt: null },
    });
  });

  it('finds nothing in malformed or limit-less input', () => {
    for (const text of ['', 'not json', 'null', '[]', '{"rate_limits":5}', '{"model":{}}', '{"rate_limits":{}}'])
      expect(rateLimitsFromClaudeStatus(text)).toBeUndefined();
  });
});
