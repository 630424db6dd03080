import type { UsageEntry } from '@ccsync/contracts';
import { compactDate, zonedDate } from '../calendar/zoned-date.ts';
import { dedupeEntries } from '../dedupe/usage-deduper.ts';
import type { PricingTable } from '../pricing/pricing-table.ts';
import { priceEntry } from './priced-entry.ts';

export interface DailyModelBreakdown {
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly cost: number;
  readonly inputTokens: number;
  /** Present (true) only when some of the model's messages had tokens but no price. */
  readonly missingPricing?: true;
  readonly modelName: string;
  readonly outputTokens: number;
}

export interface DailyRow {
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly date: string;
  readonly inputTokens: number;
  readonly modelBreakdowns: readonly DailyModelBreakdown[];
  readonly modelsUsed: readonly string[];
  readonly outputTokens: number;
  readonly totalCost: number;
  readonly totalTokens: number;
}

export interface DailyTotals {
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalCost: number;
  readonly totalTokens: number;
  /** Sorted names of the models flagged `missingPricing` in the rows; absent when there are none. */
  readonly unpricedModels?: readonly string[];
}

/** `ccusage claude daily --json --offline -z <timezone>`'s document. */
export interface DailyReport {
  readonly daily: readonly DailyRow[];
  readonly totals: DailyTotals;
}

export interface DailyReportOptions {
  /** IANA name, or `local` for the process's timezone. */
  readonly timezone: string;
  /** Inclusive `YYYYMMDD` or `YYYY-MM-DD`. */
  readonly since?: string;
  readonly until?: string;
  readonly pricing: PricingTable;
}

interface TokenSums {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  cost: number;
  missingPricing: boolean;
}

interface DayAccumulator {
  readonly sums: TokenSums;
  readonly models: Map<string, TokenSums>;
}

/**
 * ccusage's daily report. `entries` are every parsed entry in ccusage's order (files by full path, then
 * lines); they are de-duplicated here with ccsync's unified rules, priced, and grouped by date in
 * `timezone`. Sums are taken in entry order, so costs match ccusage's floating-point results.
 */
export function dailyReport(entries: Iterable<UsageEntry>, options: DailyReportOptions): DailyReport {
  const days = new Map<string, DayAccumulator>();
  for (const entry of dedupeEntries(entries)) {
    const priced = priceEntry(entry, options.pricing);
    const date = zonedDate(priced.epochMs, options.timezone);
    let day = days.get(date);
    if (day === undefined) {
      day = { sums: emptySums(), models: new Map() };
      days.set(date, day);
    }
    addTo(day.sums, priced.tokens, priced.costUSD, false);
    // No-model and <synthetic> messages count in the day's totals but have no breakdown.
    if (priced.modelName === undefined) continue;
    let model = day.models.get(priced.modelName);
    if (model === undefined) {
      model = emptySums();
      day.models.set(priced.modelName, model);
    }
    addTo(model, priced.tokens, priced.costUSD, priced.missingPricing);
  }

  const since = options.since === undefined ? undefined : compactDate(options.since);
  const until = options.until === undefined ? undefined : compactDate(options.until);
  const daily = [...days.entries()]
    .filter(([date]) => {
      const compact = compactDate(date);
      return (since === undefined || compact >= since) && (until === undefined || compact <= until);
    })
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([date, day]) => dailyRow(date, day));
  return { daily, totals: dailyTotals(daily) };
}

function dailyRow(date: string, day: DayAccumulator): DailyRow {
  const breakdowns = [...day.models.entries()].map(([modelName, sums]): DailyModelBreakdown => {
    const breakdown = {
      cacheCreationTokens: sums.cacheCreationTokens,
      cacheReadTokens: sums.cacheReadTokens,
      cost: sums.cost,
      inputTokens: sums.inputTokens,
      modelName,
      outputTokens: sums.outputTokens,
    };
    return sums.missingPricing ? { ...breakdown, missingPricing: true } : breakdown;
  });
  const { sums } = day;
  return {
    cacheCreationTokens: sums.cacheCreationTokens,
    cacheReadTokens: sums.cacheReadTokens,
    date,
    inputTokens: sums.inputTokens,
    // Stable sort by cost, highest first: equal costs keep first-appearance order.
    modelBreakdowns: breakdowns.sort((a, b) => b.cost - a.cost),
    modelsUsed: [...day.models.keys()],
    outputTokens: sums.outputTokens,
    totalCost: sums.cost,
    totalTokens: sums.inputTokens + sums.outputTokens + sums.cacheCreationTokens + sums.cacheReadTokens,
  };
}

function dailyTotals(rows: readonly DailyRow[]): DailyTotals {
  // Rust's f64 sum starts at -0.0: an empty report prints "totalCost": -0.0.
  let totalCost = -0;
  let inputTokens = 0;
  let outputTokens = 0;
  let cacheCreationTokens = 0;
  let cacheReadTokens = 0;
  const unpriced = new Set<string>();
  for (const row of rows) {
    totalCost += row.totalCost;
    inputTokens += row.inputTokens;
    outputTokens += row.outputTokens;
    cacheCreationTokens += row.cacheCreationTokens;
    cacheReadTokens += row.cacheReadTokens;
    for (const breakdown of row.modelBreakdowns) if (breakdown.missingPricing) unpriced.add(breakdown.modelName);
  }
  const totals = {
    cacheCreationTokens,
    cacheReadTokens,
    inputTokens,
    outputTokens,
    totalCost,
    totalTokens: inputTokens + outputTokens + cacheCreationTokens + cacheReadTokens,
  };
  return unpriced.size === 0 ? totals : { ...totals, unpricedModels: [...unpriced].sort() };
}

function emptySums(): TokenSums {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    cost: -0,
    missingPricing: false,
  };
}

function addTo(
  sums: TokenSums,
  tokens: { inputTokens: number; outputTokens: number; cacheCreationTokens: number; cacheReadTokens: number },
  cost: number,
  missingPricing: boolean,
): void {
  sums.inputTokens += tokens.inputTokens;
  sums.outputTokens += tokens.outputTokens;
  sums.cacheCreationTokens += tokens.cacheCreationTokens;
  sums.cacheReadTokens += tokens.cacheReadTokens;
  sums.cost += cost;
  if (missingPricing) sums.missingPricing = true;
}
