/** Per-token rates of one token category set (USD per token, as ccusage's tables hold them). */
export interface CategoryRates {
  readonly input: number;
  readonly output: number;
  /** 5-minute cache writes. 1-hour writes always cost 2 × `input` (ccusage's rule, not the published price). */
  readonly cacheCreation: number;
  readonly cacheRead: number;
}

/** One model's prices, as ccusage 20.0.24 resolves them offline. */
export interface ModelPricing extends CategoryRates {
  /**
   * LiteLLM-style tier: each category's tokens above 200k in one message use these rates, category by
   * category (only the Sonnet 4 / 4.5 family and a few Bedrock ids among Claude models have them).
   */
  readonly above200k?: CategoryRates;
  /**
   * models.dev-style tier: when input + cache creation + cache read of one message exceed `above`,
   * every category of that message, output included, uses these rates.
   */
  readonly contextTier?: CategoryRates & { readonly above: number };
  /** Cost multiplier for `usage.speed: "fast"`; 1 when absent. */
  readonly fastMultiplier?: number;
}

export interface SecondaryModelPricing extends ModelPricing {
  /** ccusage matches this models.dev id only when spelled exactly (or with `.`/`@` written as `-`). */
  readonly exactOnly?: boolean;
}

/**
 * ccusage's two offline price sources: `primary` (its LiteLLM snapshot plus built-ins, searched exactly
 * and then fuzzily first) and `secondary` (its models.dev snapshot, the fallback).
 */
export interface PricingTable {
  readonly version: string;
  readonly primary: Readonly<Record<string, ModelPricing>>;
  readonly secondary: Readonly<Record<string, SecondaryModelPricing>>;
}
