import { describe, expect, it } from 'vitest';
import { CCUSAGE_OFFLINE_PRICING } from '../pricing/index.ts';
import { parseTranscripts } from '../transcript/parse-transcript.ts';
import { formatCcusageJson } from './ccusage-json.ts';
import { dailyReport, type PeriodReport, periodReport, type UsageCell } from './periods.ts';

const pricing = CCUSAGE_OFFLINE_PRICING;

describe('dailyReport', () => {
  // docs/ccusage-parity.md example `shape`: ccusage 20.0.24's exact output, bytes included.
  it('prints what ccusage daily --json prints', () => {
    const entries = parseTranscripts({
      'proj/s1.jsonl': [
        '{"type":"assistant","timestamp":"2026-01-15T10:00:00.000Z","sessionId":"s1","requestId":"r1","message":{"id":"m1","model":"claude-sonnet-4-20250514","usage":{"input_tokens":100,"output_tokens":50,"cache_creation_input_tokens":1000,"cache_read_input_tokens":2000}}}',
        '{"type":"assistant","timestamp":"2026-01-15T11:00:00.000Z","sessionId":"s1","requestId":"r2","message":{"id":"m2","model":"claude-opus-4-20250514","usage":{"input_tokens":10,"output_tokens":5}}}',
        '{"type":"assistant","timestamp":"2026-01-16T23:30:00.000Z","sessionId":"s1","requestId":"r3","message":{"id":"m3","model":"claude-sonnet-4-20250514","usage":{"input_tokens":1,"output_tokens":1}}}',
      ].join('\n'),
    });
    const report = dailyReport(entries, { timezone: 'UTC', pricing });
    expect(JSON.parse(formatCcusageJson(report))).toEqual({
      daily: [
        {
          cacheCreationTokens: 1000,
          cacheReadTokens: 2000,
          date: '2026-01-15',
          inputTokens: 110,
          modelBreakdowns: [
            {
              cacheCreationTokens: 1000,
              cacheReadTokens: 2000,
              cost: 0.0054,
              inputTokens: 100,
              modelName: 'claude-sonnet-4-20250514',
              outputTokens: 50,
            },
            {
              cacheCreationTokens: 0,
              cacheReadTokens: 0,
              cost: 0.000525,
              inputTokens: 10,
              modelName: 'claude-opus-4-20250514',
              outputTokens: 5,
            },
          ],
          modelsUsed: ['claude-sonnet-4-20250514', 'claude-opus-4-20250514'],
          outputTokens: 55,
          totalCost: 0.005925000000000001,
          totalTokens: 3165,
        },
        {
          cacheCreationTokens: 0,
          cacheReadTokens: 0,
          date: '2026-01-16',
          inputTokens: 1,
          modelBreakdowns: [
            {
              cacheCreationTokens: 0,
              cacheReadTokens: 0,
              cost: 0.000018,
              inputTokens: 1,
              modelName: 'claude-sonnet-4-20250514',
              outputTokens: 1,
            },
          ],
          modelsUsed: ['claude-sonnet-4-20250514'],
          outputTokens: 1,
          totalCost: 0.000018,
          totalTokens: 2,
        },
      ],
      totals: {
        cacheCreationTokens: 1000,
        cacheReadTokens: 2000,
        inputTokens: 111,
        outputTokens: 56,
        totalCost: 0.005943,
        totalTokens: 3167,
      },
    });
    expect(formatCcusageJson(report)).toContain('"totalCost": 0.005925000000000001');
  });

  // docs/ccusage-parity.md example `timezone`.
  it.each([
    ['UTC', [['2026-01-15', 111]]],
    [
      'Asia/Tokyo',
      [
        ['2026-01-15', 11],
        ['2026-01-16', 100],
      ],
    ],
    [
      'America/New_York',
      [
        ['2026-01-14', 1],
        ['2026-01-15', 110],
      ],
    ],
  ])('groups days in %s', (timezone, days) => {
    const entries = parseTranscripts({
      'proj/s1.jsonl': [
        ['z1', '2026-01-15T02:00:00.000Z', 1],
        ['z2', '2026-01-15T14:00:00.000Z', 10],
        ['z3', '2026-01-15T23:30:00.000Z', 100],
      ]
        .map(
          ([id, ts, input]) =>
            `{"type":"assistant","timestamp":"${ts}","sessionId":"s1","requestId":"r${id}","message":{"id":"${id}","model":"claude-sonnet-4-20250514","usage":{"input_tokens":${input},"output_tokens":0}}}`,
        )
        .join('\n'),
    });
    expect(dailyReport(entries, { timezone, pricing }).daily.map((row) => [row.date, row.inputTokens])).toEqual(days);
  });

  // docs/ccusage-parity.md example `cost_sources`.
  it('lists fast models apart, flags unpriced ones, and leaves <synthetic> out of the breakdowns', () => {
    const line = (id: string, model: string, usage: string, extra = '') =>
      `{"type":"assistant","timestamp":"2026-07-01T10:0${id}:00.000Z","sessionId":"s1","requestId":"r${id}"${extra},"message":{"id":"u${id}","model":"${model}","usage":${usage}}}`;
    const entries = parseTranscripts({
      'proj/s1.jsonl': [
        line('1', 'claude-sonnet-4-20250514', '{"input_tokens":100,"output_tokens":50}', ',"costUSD":1.25'),
        line('2', '<synthetic>', '{"input_tokens":100,"output_tokens":50}'),
        line('3', 'my-custom-model', '{"input_tokens":100,"output_tokens":50}'),
        line('4', 'claude-opus-4-6', '{"input_tokens":100,"output_tokens":50,"speed":"fast"}'),
        line('5', 'claude-sonnet-4-20250514', '{"input_tokens":100,"output_tokens":50,"speed":"fast"}'),
      ].join('\n'),
    });
    const { daily, totals } = dailyReport(entries, { timezone: 'UTC', pricing });
    expect(daily[0]?.modelsUsed).toEqual([
      'claude-sonnet-4-20250514',
      'my-custom-model',
      'claude-opus-4-6-fast',
      'claude-sonnet-4-20250514-fast',
    ]);
    expect(daily[0]?.modelBreakdowns.map((row) => [row.modelName, row.cost, row.missingPricing])).toEqual([
      ['claude-sonnet-4-20250514', 1.25, undefined],
      ['claude-opus-4-6-fast', 0.0105, undefined],
      ['claude-sonnet-4-20250514-fast', 0.0010500000000000002, undefined],
      ['my-custom-model', 0, true],
    ]);
    expect(totals).toEqual({
      cacheCreationTokens: 0,
      cacheReadTokens: 0,
      inputTokens: 500,
      outputTokens: 250,
      totalCost: 1.26155,
      totalTokens: 750,
      unpricedModels: ['my-custom-model'],
    });
  });

  it('prints an empty report as ccusage does, with a negative zero cost', () => {
    expect(formatCcusageJson(dailyReport([], { timezone: 'UTC', pricing }))).toBe(
      '{\n  "daily": [],\n  "totals": {\n    "cacheCreationTokens": 0,\n    "cacheReadTokens": 0,\n    "inputTokens": 0,\n    "outputTokens": 0,\n    "totalCost": -0.0,\n    "totalTokens": 0\n  }\n}',
    );
  });
});

describe('periodReport', () => {
  const cell = (iso: string, modelName: string, inputTokens: number): UsageCell => ({
    epochMs: Date.parse(iso),
    modelName,
    inputTokens,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    costUSD: inputTokens / 1000,
    missingPricing: false,
  });
  // Saturday 2026-03-07, Sunday 2026-03-08, Monday 2026-03-09 (UTC).
  const cells = [
    cell('2026-03-09T10:00:00.000Z', 'b', 4),
    cell('2026-03-07T10:00:00.000Z', 'a', 1),
    cell('2026-03-08T10:00:00.000Z', 'b', 2),
    cell('2026-03-08T11:00:00.000Z', 'a', 8),
  ];
  const rows = (report: PeriodReport) =>
    (Object.values(report)[0] as (Record<string, unknown> & { modelsUsed: string[]; inputTokens: number })[]).map(
      (row) => [row.week ?? row.month, row.inputTokens, row.modelsUsed],
    );

  it('starts weeks on the chosen day, with models in the order the days list them', () => {
    expect(rows(periodReport(cells, 'weekly', { timezone: 'UTC' }))).toEqual([
      ['2026-03-01', 1, ['a']],
      ['2026-03-08', 14, ['b', 'a']],
    ]);
    expect(rows(periodReport(cells, 'weekly', { timezone: 'UTC', startOfWeek: 'monday' }))).toEqual([
      ['2026-03-02', 11, ['a', 'b']],
      ['2026-03-09', 4, ['b']],
    ]);
  });

  it('filters days before grouping, and lists newest first on request', () => {
    expect(rows(periodReport(cells, 'monthly', { timezone: 'UTC', since: '2026-03-08', order: 'desc' }))).toEqual([
      ['2026-03', 14, ['b', 'a']],
    ]);
    expect(rows(periodReport(cells, 'weekly', { timezone: 'UTC', startOfWeek: 'monday', order: 'desc' }))).toEqual([
      ['2026-03-09', 4, ['b']],
      ['2026-03-02', 11, ['b', 'a']],
    ]);
  });
});
