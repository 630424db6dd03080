import { readFile } from 'node:fs/promises';
import { CCUSAGE_OFFLINE_PRICING } from './default-table.ts';
import type { CategoryRates, ModelPricing, PricingTable } from './pricing-table.ts';

/** A user's price file is unreadable or not a valid table. */
export class PricingTableError extends Error {
  override readonly name = 'PricingTableError';
}

/**
 * A price file's shape: `{ "version"?: "…", "models": { "<model name>": { "input": 3e-6, … } } }`, rates
 * in USD per token like ccusage's. Its models join the primary table (exact and fuzzy lookup) and win
 * over ccusage's entry of the same name.
 */
export interface PricingOverrides {
  readonly version?: string;
  readonly models: Readonly<Record<string, ModelPricing>>;
}

/** ccusage's offline table, extended or overridden by the JSON file at `overridePath` when given. */
export async function loadPricingTable(overridePath?: string): Promise<PricingTable> {
  if (overridePath === undefined) return CCUSAGE_OFFLINE_PRICING;
  let text: string;
  try {
    text = await readFile(overridePath, 'utf8');
  } catch (cause) {
    throw new PricingTableError(`cannot read the price file ${overridePath}`, { cause });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PricingTableError(`the price file ${overridePath} is not JSON`, { cause });
  }
  return extendPricingTable(CCUSAGE_OFFLINE_PRICING, parsePricingOverrides(json, overridePath));
}

export function extendPricingTable(base: PricingTable, overrides: PricingOverrides): PricingTable {
  return {
    version: `${base.version}+${overrides.version ?? 'custom'}`,
    primary: { ...base.primary, ...overrides.models },
    secondary: base.secondary,
  };
}

export function parsePricingOverrides(json: unknown, where = 'price file'): PricingOverrides {
  if (!isRecord(json) || !isRecord(json.models)) throw new PricingTableError(`${where}: expected {"models":{…}}`);
  if (json.version !== undefined && typeof json.version !== 'string') {
    throw new PricingTableError(`${where}: "version" must be a string`);
  }
  const models: Record<string, ModelPricing> = {};
  for (const [name, value] of Object.entries(json.models)) {
    models[name] = parseModelPricing(value, `${where}: models["${name}"]`);
  }
  return json.version === undefined ? { models } : { version: json.version, models };
}

function parseModelPricing(value: unknown, where: string): ModelPricing {
  if (!isRecord(value)) throw new PricingTableError(`${where} must be an object`);
  const rates = parseRates(value, where);
  const pricing: { -readonly [K in keyof ModelPricing]: ModelPricing[K] } = { ...rates };
  if (value.above200k !== undefined) pricing.above200k = parseRates(value.above200k, `${where}.above200k`);
  if (value.contextTier !== undefined) {
    const tier = value.contextTier;
    if (!isRecord(tier)) throw new PricingTableError(`${where}.contextTier must be an object`);
    pricing.contextTier = {
      ...parseRates(tier, `${where}.contextTier`),
      above: rate(tier.above, `${where}.contextTier.above`),
    };
  }
  if (value.fastMultiplier !== undefined)
    pricing.fastMultiplier = rate(value.fastMultiplier, `${where}.fastMultiplier`);
  return pricing;
}

function parseRates(value: unknown, where: string): CategoryRates {
  if (!isRecord(value)) throw new PricingTableError(`${where} must be an object`);
  const input = rate(value.input, `${where}.input`);
  return {
    input,
    output: rate(value.output, `${where}.output`),
    // ccusage's defaults for a source without cache prices.
    cacheCreation:
      value.cacheCreation === undefined ? input * 1.25 : rate(value.cacheCreation, `${where}.cacheCreation`),
    cacheRead: value.cacheRead === undefined ? input * 0.1 : rate(value.cacheRead, `${where}.cacheRead`),
  };
}

function rate(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new PricingTableError(`${where} must be a non-negative number`);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
