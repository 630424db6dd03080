import table from './ccusage-20.0.24-offline.json' with { type: 'json' };
import type { PricingTable } from './pricing-table.ts';

/**
 * ccusage 20.0.24's embedded offline pricing (`--offline`), extracted from its binary: every model it
 * prices, Claude and others, so that the fuzzy name lookup sees exactly the keys ccusage sees.
 */
export const CCUSAGE_OFFLINE_PRICING: PricingTable = table;
