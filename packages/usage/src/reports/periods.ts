import type { UsageEntry } from '@ccsync/contracts';
import { type CalendarDate, compactDate, zonedDate } from '../calendar/zoned-date.ts';
import { dedupeEntries } from '../dedupe/usage-deduper.ts';
import type { PricingTable } from '../pricing/pricing-table.ts';
import { priceEntry } from './priced-entry.ts';

export interface ModelBreakdown {
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly cost: number;
  readonly inputTokens: number;
  /** Present (true) only when some of the model's messages had tokens but no price. */
  readonly missingPricing?: true;
  readonly modelName: string;
  readonly outputTokens: number;
}

export interface PeriodRowFields {
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly inputTokens: number;
  readonly modelBreakdowns: readonly ModelBreakdown[];
  readonly modelsUsed: readonly string[];
  readonly outputTokens: number;
  readonly totalCost: number;
  readonly totalTokens: number;
}

export type DailyRow = PeriodRowFields & { readonly date: CalendarDate };
/** `week` is the date the week starts on. */
export type WeeklyRow = PeriodRowFields & { readonly week: CalendarDate };
/** `month` is `YYYY-MM`. */
export type MonthlyRow = PeriodRowFields & { readonly month: string };

export interface PeriodTotals {
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalCost: number;
  readonly totalTokens: number;
  /** Sorted names of the models flagged `missingPricing` in the rows; absent when there are none. */
  readonly unpricedModels?: readonly string[];
}

/** `ccusage claude daily|weekly|monthly --json --offline`'s documents. */
export interface DailyReport {
  readonly daily: readonly DailyRow[];
  readonly totals: PeriodTotals;
}
export interface WeeklyReport {
  readonly weekly: readonly WeeklyRow[];
  readonly totals: PeriodTotals;
}
export interface MonthlyReport {
  readonly monthly: readonly MonthlyRow[];
  readonly totals: PeriodTotals;
}

export type Period = 'daily' | 'weekly' | 'monthly';
export type PeriodReport = DailyReport | WeeklyReport | MonthlyReport;

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface PeriodReportOptions {
  /** IANA name, or `local` for the process's timezone. */
  readonly timezone: string;
  /** Inclusive `YYYYMMDD` or `YYYY-MM-DD`, compared with each day before days are grouped. */
  readonly since?: string;
  readonly until?: string;
  /** Rows oldest first (ccusage's default) or newest first. */
  readonly order?: 'asc' | 'desc';
  /** The day weeks start on (`--start-of-week`), Sunday by default. */
  readonly startOfWeek?: Weekday;
}

export interface DailyReportOptions extends PeriodReportOptions {
  readonly pricing: PricingTable;
}

/**
 * What the period reports add up: one priced message, or the sum of several messages of one model
 * within a quarter hour (the projector's buckets; no timezone splits a quarter hour).
 */
export interface UsageCell {
  readonly epochMs: number;
  /** The name reports list it under; undefined for no model and `<synthetic>`, which are never listed. */
  readonly modelName: string | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheCreationTokens: number;
  readonly cacheReadTokens: number;
  readonly costUSD: number;
  /** Some of it had tokens but no price: what makes ccusage flag a model `missingPricing`. */
  readonly missingPricing: boolean;
}

interface Sums {
  inputTokens: number;
  outputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  cost: number;
  missingPricing: boolean;
}

export interface PeriodAccumulator {
  readonly sums: Sums;
  readonly models: Map<string, Sums>;
}

/**
 * ccusage's daily report. `entries` are every parsed entry in ccusage's order (files by full path, then
 * lines); they are de-duplicated here with ccsync's unified rules, priced, and grouped by date in
 * `timezone`. Sums are taken in entry order, so costs match ccusage's floating-point results.
 */
export function dailyReport(entries: Iterable<UsageEntry>, options: DailyReportOptions): DailyReport {
  return periodReport(entryCells(entries, options.pricing), 'daily', options) as DailyReport;
}

/** Entries in ccusage's order as the cells of a period report: de-duplicated and priced, one cell each. */
export function entryCells(entries: Iterable<UsageEntry>, pricing: PricingTable): UsageCell[] {
  return dedupeEntries(entries).map((entry): UsageCell => {
    const priced = priceEntry(entry, pricing);
    return {
      epochMs: priced.epochMs,
      modelName: priced.modelName,
      ...priced.tokens,
      costUSD: priced.costUSD,
      missingPricing: priced.missingPricing,
    };
  });
}

/**
 * ccusage's `--since` / `--until`: whether a day (in the report's timezone) is in the range; both
 * ends are included and either may be absent. They are `YYYYMMDD` or `YYYY-MM-DD`.
 */
export function dayRangeFilter(range: { readonly since?: string; readonly until?: string }) {
  const since = range.since === undefined ? undefined : compactDate(range.since);
  const until = range.until === undefined ? undefined : compactDate(range.until);
  return (date: CalendarDate): boolean => {
    const compact = compactDate(date);
    return (since === undefined || compact >= since) && (until === undefined || compact <= until);
  };
}

/**
 * ccusage's daily, weekly or monthly report over `cells` in ccusage's read order: a model is listed
 * in `modelsUsed` where it first appears. Days are taken in `timezone`, filtered by `since` and
 * `until`, then grouped into weeks or months.
 */
export function periodReport(cells: Iterable<UsageCell>, period: Period, options: PeriodReportOptions): PeriodReport {
  const inRange = dayRangeFilter(options);
  const days = new Map<CalendarDate, PeriodAccumulator>();
  for (const cell of cells) {
    const date = zonedDate(cell.epochMs, options.timezone);
    if (!inRange(date)) continue;
    const day = accumulatorFor(days, date);
    addTo(day.sums, cell, false);
    // No-model and <synthetic> messages count in the totals but have no breakdown.
    if (cell.modelName === undefined) continue;
    addTo(modelSums(day, cell.modelName), cell, cell.missingPricing);
  }
  const byDate = [...days.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (options.order === 'desc') byDate.reverse();

  // As in ccusage, weeks and months are made of the days in the report's order, each day's models
  // in the order they appeared that day.
  const startOfWeek = WEEKDAYS.indexOf(options.startOfWeek ?? 'sunday');
  const labelOf = (date: CalendarDate) =>
    period === 'daily' ? date : period === 'monthly' ? date.slice(0, 7) : weekStart(date, startOfWeek);
  const periods = new Map<string, PeriodAccumulator>();
  for (const [date, day] of byDate) {
    if (period === 'daily') {
      periods.set(date, day);
      continue;
    }
    const merged = accumulatorFor(periods, labelOf(date));
    addSums(merged.sums, day.sums);
    for (const [model, sums] of day.models) addSums(modelSums(merged, model), sums);
  }

  const labelKey = period === 'daily' ? 'date' : period === 'weekly' ? 'week' : 'month';
  const rows = [...periods.entries()].map(
    ([label, accumulator]) => ({ ...periodRow(accumulator), [labelKey]: label }) as PeriodRowFields,
  );
  const totals = periodTotals(rows);
  if (period === 'daily') return { daily: rows as DailyRow[], totals };
  if (period === 'weekly') return { weekly: rows as WeeklyRow[], totals };
  return { monthly: rows as MonthlyRow[], totals };
}

export function accumulatorFor(periods: Map<string, PeriodAccumulator>, label: string): PeriodAccumulator {
  let accumulator = periods.get(label);
  if (accumulator === undefined) {
    accumulator = { sums: emptySums(), models: new Map() };
    periods.set(label, accumulator);
  }
  return accumulator;
}

export function modelSums(accumulator: PeriodAccumulator, model: string): Sums {
  let sums = accumulator.models.get(model);
  if (sums === undefined) {
    sums = emptySums();
    accumulator.models.set(model, sums);
  }
  return sums;
}

/** The date a week starts on, for a date and the weekday weeks start on (0 is Sunday). */
function weekStart(date: CalendarDate, startOfWeek: number): CalendarDate {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const utc = new Date(Date.UTC(year, month - 1, day));
  const back = (utc.getUTCDay() - startOfWeek + 7) % 7;
  utc.setUTCDate(utc.getUTCDate() - back);
  return utc.toISOString().slice(0, 10);
}

export function periodRow({ sums, models }: PeriodAccumulator): PeriodRowFields {
  const breakdowns = [...models.entries()].map(([modelName, model]): ModelBreakdown => {
    const breakdown = {
      cacheCreationTokens: model.cacheCreationTokens,
      cacheReadTokens: model.cacheReadTokens,
      cost: model.cost,
      inputTokens: model.inputTokens,
      modelName,
      outputTokens: model.outputTokens,
    };
    return model.missingPricing ? { ...breakdown, missingPricing: true } : breakdown;
  });
  return {
    cacheCreationTokens: sums.cacheCreationTokens,
    cacheReadTokens: sums.cacheReadTokens,
    inputTokens: sums.inputTokens,
    // Stable sort by cost, highest first: equal costs keep first-appearance order.
    modelBreakdowns: breakdowns.sort((a, b) => b.cost - a.cost),
    modelsUsed: [...models.keys()],
    outputTokens: sums.outputTokens,
    totalCost: sums.cost,
    totalTokens: sums.inputTokens + sums.outputTokens + sums.cacheCreationTokens + sums.cacheReadTokens,
  };
}

export function periodTotals(rows: readonly PeriodRowFields[]): PeriodTotals {
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

function emptySums(): Sums {
  return {
    inputTokens: 0,
    outputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    cost: -0,
    missingPricing: false,
  };
}

function addSums(sums: Sums, more: Sums): void {
  addTo(sums, { ...more, costUSD: more.cost }, more.missingPricing);
}

export function addTo(sums: Sums, cell: Omit<UsageCell, 'epochMs' | 'modelName'>, missingPricing: boolean): void {
  sums.inputTokens += cell.inputTokens;
  sums.outputTokens += cell.outputTokens;
  sums.cacheCreationTokens += cell.cacheCreationTokens;
  sums.cacheReadTokens += cell.cacheReadTokens;
  sums.cost += cell.costUSD;
  if (missingPricing) sums.missingPricing = true;
}
