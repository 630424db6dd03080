import { describe, expect, it } from 'vitest';
import measured from './ccusage-measured-rates.fixture.json' with { type: 'json' };
import { CCUSAGE_OFFLINE_PRICING } from './default-table.ts';
import { extendPricingTable, PricingTableError, parsePricingOverrides } from './load-pricing-table.ts';
import { resolveModelPricing } from './resolve-model.ts';

const resolve = (model: string) => resolveModelPricing(CCUSAGE_OFFLINE_PRICING, model);

describe('resolveModelPricing (ccusage 20.0.24 --offline)', () => {
  // The fixture holds the rates the real binary charged for 349 names: the lookup must land on the same ones.
  it.each(Object.entries(measured.rates))('prices %s at the rates ccusage charged', (model, rates) => {
    const [input, output, cache5m, cache1h, cacheRead, fast, inputAbove200k, contextTierInput] = rates;
    const pricing = resolve(model)?.pricing;
    expect(pricing).toBeDefined();
    expect(pricing?.input).toBeCloseTo(input ?? Number.NaN, 15);
    expect(pricing?.output).toBeCloseTo(output ?? Number.NaN, 15);
    expect(pricing?.cacheCreation).toBeCloseTo(cache5m ?? Number.NaN, 15);
    expect(2 * (pricing?.input ?? 0)).toBeCloseTo(cache1h ?? Number.NaN, 15);
    expect(pricing?.cacheRead).toBeCloseTo(cacheRead ?? Number.NaN, 15);
    expect(pricing?.fastMultiplier ?? 1).toBe(fast);
    expect(pricing?.above200k?.input ?? null).toEqual(
      typeof inputAbove200k === 'number' ? expect.closeTo(inputAbove200k, 15) : null,
    );
    expect(pricing?.contextTier?.input ?? null).toEqual(
      typeof contextTierInput === 'number' ? expect.closeTo(contextTierInput, 15) : null,
    );
  });

  it.each(measured.unpriced)('leaves %s unpriced, as ccusage does', (model) => {
    expect(resolve(model)).toBeNull();
  });

  it('matches a dated or [1m] name to its family key, but not another version', () => {
    expect(resolve('claude-sonnet-4-20250515')?.key).toBe('claude-sonnet-4');
    expect(resolve('claude-sonnet-4-5-20250929[1m]')?.pricing.above200k?.input).toBe(6e-6);
    expect(resolve('claude-opus-4-6[1m]')?.pricing.fastMultiplier).toBe(6);
    expect(resolve('claude-sonnet-4-7')).toBeNull();
    expect(resolve('<synthetic>')).toBeNull();
  });
});

describe('price overrides', () => {
  it('adds a model and overrides an existing one, leaving the rest', () => {
    const table = extendPricingTable(
      CCUSAGE_OFFLINE_PRICING,
      parsePricingOverrides({
        version: 'team-2026',
        models: { 'local-llama': { input: 1e-7, output: 2e-7 }, 'claude-opus-4-6': { input: 1e-6, output: 2e-6 } },
      }),
    );
    expect(table.version).toBe('ccusage-20.0.24-offline+team-2026');
    expect(resolveModelPricing(table, 'local-llama')?.pricing).toEqual({
      input: 1e-7,
      output: 2e-7,
      cacheCreation: 1.25e-7,
      cacheRead: 1e-8,
    });
    expect(resolveModelPricing(table, 'claude-opus-4-6')?.pricing.input).toBe(1e-6);
    expect(resolveModelPricing(table, 'claude-sonnet-4-20250514')?.pricing.input).toBe(3e-6);
  });

  it('rejects a file without models or with a negative rate', () => {
    expect(() => parsePricingOverrides({ prices: {} })).toThrow(PricingTableError);
    expect(() => parsePricingOverrides({ models: { x: { input: -1, output: 0 } } })).toThrow(
      /input must be a non-negative number/,
    );
  });
});
