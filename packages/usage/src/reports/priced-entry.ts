import type { UsageEntry } from '@ccsync/contracts';
import { messageCost, SYNTHETIC_MODEL } from '../pricing/message-cost.ts';
import type { PricingTable } from '../pricing/pricing-table.ts';
import { type EntryTokens, entryTokens } from '../tokens.ts';

/** One counted message with everything a report adds up. */
export interface PricedEntry {
  readonly entry: UsageEntry;
  readonly epochMs: number;
  readonly tokens: EntryTokens;
  readonly costUSD: number;
  /** The name reports list it under; undefined for no model and `<synthetic>`, which are never listed. */
  readonly modelName: string | undefined;
  /** Unpriced with a non-zero token total: what makes ccusage flag a model `missingPricing`. */
  readonly missingPricing: boolean;
}

export function priceEntry(entry: UsageEntry, pricing: PricingTable): PricedEntry {
  const tokens = entryTokens(entry.usage);
  const cost = messageCost(entry, pricing);
  return {
    entry,
    epochMs: Date.parse(entry.timestamp),
    tokens,
    costUSD: cost.costUSD,
    modelName: reportedModelName(entry),
    missingPricing: cost.unpriced && tokens.totalTokens > 0,
  };
}

/**
 * ccusage lists a fast-mode message under `<model>-fast`, a model of its own in every report; the price is
 * still looked up with the original name.
 */
export function reportedModelName(entry: UsageEntry): string | undefined {
  const model = entry.model;
  if (model === undefined || model === SYNTHETIC_MODEL) return undefined;
  return entry.speed === 'fast' ? `${model}-fast` : model;
}
