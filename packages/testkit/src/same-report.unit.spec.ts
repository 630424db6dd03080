import { describe, expect, it } from 'vitest';
import { reportDifferences } from './same-report.ts';

const oracle = {
  daily: [{ date: '2026-11-20', inputTokens: 10, totalCost: 0.5, modelsUsed: ['claude-opus-4-6'] }],
  totals: { inputTokens: 10, totalCost: 0.5 },
};

describe('reportDifferences', () => {
  it('finds none in the same report, costs within 1e-6 and fields set to undefined included', () => {
    const ours = structuredClone(oracle) as typeof oracle & { extra?: undefined };
    ours.totals.totalCost += 5e-7;
    ours.extra = undefined;
    expect(reportDifferences(ours, oracle)).toEqual([]);
  });

  it('names each differing value by its path', () => {
    const ours = structuredClone(oracle);
    ours.daily[0] = { date: '2026-11-20', inputTokens: 12, totalCost: 0.5, modelsUsed: ['claude-sonnet-4-6'] };
    ours.totals.totalCost = 0.6;
    expect(reportDifferences(ours, oracle)).toEqual([
      '$.daily[0].inputTokens: 12 vs ccusage 10',
      '$.daily[0].modelsUsed[0]: "claude-sonnet-4-6" vs ccusage "claude-opus-4-6"',
      '$.totals.totalCost: 0.6 vs ccusage 0.5',
    ]);
  });

  it('reports missing rows and keys instead of comparing further', () => {
    expect(reportDifferences({ daily: [], totals: oracle.totals }, oracle)).toEqual(['$.daily.length: 0 vs ccusage 1']);
    expect(reportDifferences({ daily: oracle.daily }, oracle, '$daily')).toEqual([
      '$daily keys: daily vs ccusage daily,totals',
    ]);
  });
});
