import type { UsageEntry, UsageTokens } from '@ccsync/contracts';
import type { CategoryRates, ModelPricing, PricingTable } from './pricing-table.ts';
import { resolveModelPricing } from './resolve-model.ts';

/** ccusage's per-message, per-category tier threshold. */
const TIER_THRESHOLD = 200_000;

/** `<synthetic>` is Claude Code's marker for messages no model produced: tokens count, nothing is priced. */
export const SYNTHETIC_MODEL = '<synthetic>';

/** What one message costs, and whether a price was missing for it. */
export interface MessageCost {
  readonly costUSD: number;
  /** The model has a name but no price, and the line carried no `costUSD` (ccusage's `missingPricing`). */
  readonly unpriced: boolean;
}

/**
 * ccusage's `auto` cost mode: the line's own `costUSD` as is when present (even offline, even 0);
 * otherwise tokens × the model's rates. No model or `<synthetic>` costs 0 and is not unpriced; a model
 * with no price costs 0 and is unpriced.
 */
export function messageCost(entry: UsageEntry, table: PricingTable): MessageCost {
  if (entry.costUSD !== undefined) return { costUSD: entry.costUSD, unpriced: false };
  const model = entry.model;
  if (model === undefined || model === SYNTHETIC_MODEL) return { costUSD: 0, unpriced: false };
  const resolved = resolveModelPricing(table, model);
  if (resolved === null) return { costUSD: 0, unpriced: true };
  return { costUSD: calculateCost(entry.usage, resolved.pricing, entry.speed === 'fast'), unpriced: false };
}

/**
 * Tokens × rates, ccusage's way: each category tiered separately above 200k tokens of this message, 1-hour
 * cache writes at 2 × the input rate, the whole multiplied for fast mode. The summation order is ccusage's,
 * so even the floating-point noise matches.
 */
export function calculateCost(usage: UsageTokens, pricing: ModelPricing, fast: boolean): number {
  const split = usage.cacheCreation;
  const cache5m = split === undefined ? usage.cacheCreationInputTokens : split.ephemeral5mInputTokens;
  const cache1h = split === undefined ? 0 : split.ephemeral1hInputTokens;
  const { inputTokens: input, outputTokens: output, cacheReadInputTokens: cacheRead } = usage;

  const context = pricing.contextTier;
  let cost: number;
  if (context !== undefined && input + cache5m + cache1h + cacheRead > context.above) {
    // models.dev context tiers switch every category, output included, once the prompt is large.
    cost = flatCost(input, output, cache5m, cache1h, cacheRead, context);
  } else {
    const above = pricing.above200k;
    cost =
      tiered(input, pricing.input, above?.input) +
      tiered(output, pricing.output, above?.output) +
      tiered(cache5m, pricing.cacheCreation, above?.cacheCreation) +
      tiered(cache1h, 2 * pricing.input, above === undefined ? undefined : 2 * above.input) +
      tiered(cacheRead, pricing.cacheRead, above?.cacheRead);
  }
  return fast ? cost * (pricing.fastMultiplier ?? 1) : cost;
}

function flatCost(
  input: number,
  output: number,
  cache5m: number,
  cache1h: number,
  cacheRead: number,
  rates: CategoryRates,
): number {
  return (
    tiered(input, rates.input, undefined) +
    tiered(output, rates.output, undefined) +
    tiered(cache5m, rates.cacheCreation, undefined) +
    tiered(cache1h, 2 * rates.input, undefined) +
    tiered(cacheRead, rates.cacheRead, undefined)
  );
}

function tiered(tokens: number, rate: number, rateAbove: number | undefined): number {
  if (tokens === 0) return 0;
  if (rateAbove === undefined || tokens <= TIER_THRESHOLD) return tokens * rate;
  return TIER_THRESHOLD * rate + (tokens - TIER_THRESHOLD) * rateAbove;
}
