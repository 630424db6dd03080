export { CCUSAGE_OFFLINE_PRICING } from './default-table.ts';
export type { PricingOverrides } from './load-pricing-table.ts';
export {
  extendPricingTable,
  loadPricingTable,
  PricingTableError,
  parsePricingOverrides,
} from './load-pricing-table.ts';
export type { MessageCost } from './message-cost.ts';
export { calculateCost, messageCost, SYNTHETIC_MODEL } from './message-cost.ts';
export type { CategoryRates, ModelPricing, PricingTable, SecondaryModelPricing } from './pricing-table.ts';
export type { ResolvedPricing } from './resolve-model.ts';
export { resolveModelPricing } from './resolve-model.ts';
