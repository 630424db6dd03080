import { describe, expect, it } from 'vitest';
import {
  blockLimitStatus,
  DEFAULT_CUSTOM_COST_LIMIT_USD,
  type LimitedBlock,
  limitTokens,
  MIN_CUSTOM_TOKEN_LIMIT,
  maxTokenLimit,
  PLAN_LIMITS,
  type PlanBlock,
  p90CostLimit,
  p90TokenLimit,
} from './plans.ts';

/** A block as ccusage's `blocks --json` has it, with `tokens` of input + output split 3:1. */
function block(tokens: number, { isGap = false, isActive = false, costUSD = 0, cacheRead = 0 } = {}): PlanBlock {
  const outputTokens = Math.floor(tokens / 4);
  return {
    isGap,
    isActive,
    costUSD,
    tokenCounts: {
      inputTokens: tokens - outputTokens,
      outputTokens,
      cacheCreationInputTokens: 0,
      cacheReadInputTokens: cacheRead,
    } as PlanBlock['tokenCounts'],
  };
}
const completed = (...totals: number[]) => totals.map((tokens) => block(tokens));

describe('plan limits (Claude-Code-Usage-Monitor v3.1.0)', () => {
  it('has its token and cost limits per 5-hour block', () => {
    expect(PLAN_LIMITS).toEqual({
      pro: { displayName: 'Pro', tokenLimit: 19_000, costLimitUSD: 18 },
      max5: { displayName: 'Max5', tokenLimit: 88_000, costLimitUSD: 35 },
      max20: { displayName: 'Max20', tokenLimit: 220_000, costLimitUSD: 140 },
    });
  });

  it('counts input and output tokens against a limit, never cache tokens', () => {
    expect(limitTokens(block(2000, { cacheRead: 1_000_000 }))).toBe(2000);
  });
});

// Expected values are Python's `int(statistics.quantiles(sample, n=10)[8])`, as run by the tool.
describe('p90TokenLimit (the custom plan)', () => {
  it('is the Pro limit without any completed block', () => {
    expect(p90TokenLimit([])).toBe(19_000);
    expect(p90TokenLimit([block(500_000, { isActive: true }), block(0, { isGap: true })])).toBe(MIN_CUSTOM_TOKEN_LIMIT);
  });

  it('takes only the blocks within 95% of a known limit when there are any', () => {
    // 5,000 and 10,000 hit nothing; 18,050 is exactly 95% of 19,000.
    expect(p90TokenLimit(completed(5_000, 18_050, 10_000, 25_000, 30_000))).toBe(33_000);
  });

  it('draws the line at exactly 95% of a limit', () => {
    expect(p90TokenLimit(completed(18_050, 100_000, 5_000))).toBe(157_365);
    // 18,049 is no hit, so 100,000 stands alone and gives itself.
    expect(p90TokenLimit(completed(18_049, 100_000, 5_000))).toBe(100_000);
  });

  it('falls back to every completed block, extrapolating on small samples as Python does', () => {
    expect(p90TokenLimit(completed(10_000, 18_000))).toBe(23_600);
  });

  it('never goes below the Pro limit', () => {
    expect(p90TokenLimit(completed(1_000, 2_000, 3_000))).toBe(19_000);
  });

  it('truncates to a whole number', () => {
    expect(p90TokenLimit(completed(18_050, 25_001, 30_000))).toBe(32_999);
  });

  it('interpolates between neighbours on larger samples', () => {
    expect(
      p90TokenLimit(
        completed(20_000, 40_000, 60_000, 80_000, 100_000, 120_000, 140_000, 160_000, 180_000, 200_000, 220_000),
      ),
    ).toBe(216_000);
  });

  it('ignores the active block, gaps, empty blocks and cache tokens', () => {
    const blocks = [
      ...completed(25_000, 30_000),
      block(18_050),
      block(900_000, { isActive: true }),
      block(0, { isGap: true }),
      block(0),
      block(1_000, { cacheRead: 5_000_000 }),
    ];
    expect(p90TokenLimit(blocks)).toBe(33_000);
  });
});

describe('p90CostLimit and maxTokenLimit', () => {
  it('is the 90th percentile (numpy, linear) of the costs of blocks that hit a limit', () => {
    const blocks = [10, 20, 30, 40].map((costUSD) => block(20_000, { costUSD }));
    blocks.push(block(1_000, { costUSD: 500 }), block(90_000, { costUSD: 900, isActive: true }));
    expect(p90CostLimit(blocks)).toBeCloseTo(37, 10);
  });

  it('is $200 when no completed block hit a limit', () => {
    expect(p90CostLimit(completed(1_000))).toBe(DEFAULT_CUSTOM_COST_LIMIT_USD);
    expect(DEFAULT_CUSTOM_COST_LIMIT_USD).toBe(200);
  });

  it('max is the largest completed block, or nothing', () => {
    expect(maxTokenLimit([...completed(3_000, 7_000), block(50_000, { isActive: true })])).toBe(7_000);
    expect(maxTokenLimit([block(50_000, { isActive: true })])).toBeUndefined();
  });
});

describe('blockLimitStatus', () => {
  const active = (used: number, rate: number | null, remainingMinutes = 120): LimitedBlock => ({
    tokenCounts: { inputTokens: used - 100, outputTokens: 100 },
    burnRate: rate === null ? null : { tokensPerMinuteForIndicator: rate },
    projection: rate === null ? null : { remainingMinutes },
  });

  it('warns from 80% and alarms from 95%', () => {
    expect(blockLimitStatus(active(15_199, null), 19_000).level).toBe('ok');
    expect(blockLimitStatus(active(15_200, null), 19_000).level).toBe('warning');
    expect(blockLimitStatus(active(18_049, null), 19_000).level).toBe('warning');
    expect(blockLimitStatus(active(18_050, null), 19_000).level).toBe('critical');
    expect(blockLimitStatus(active(40_000, null), 19_000)).toMatchObject({
      level: 'critical',
      percentUsed: 40_000 / 190,
    });
  });

  it('projects the block’s end at its input + output rate, as ccusage projects its total', () => {
    expect(blockLimitStatus(active(10_000, 50.25, 120), 19_000)).toEqual({
      limit: 19_000,
      used: 10_000,
      percentUsed: (10_000 / 19_000) * 100,
      level: 'ok',
      projectedUsed: 16_030,
      exceedsBeforeReset: false,
      minutesToLimit: 9_000 / 50.25,
    });
    expect(blockLimitStatus(active(10_000, 100, 120), 19_000)).toMatchObject({
      projectedUsed: 22_000,
      exceedsBeforeReset: true,
      minutesToLimit: 90,
    });
  });

  it('has no projection or time to the limit without a rate, and 0 minutes once over', () => {
    expect(blockLimitStatus(active(1_000, null), 19_000)).toMatchObject({
      projectedUsed: null,
      exceedsBeforeReset: false,
      minutesToLimit: null,
    });
    expect(blockLimitStatus(active(20_000, 10), 19_000)).toMatchObject({
      minutesToLimit: 0,
      exceedsBeforeReset: true,
    });
  });
});
