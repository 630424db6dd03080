import type { CcusageDailyReport, ForgeDailyReply } from '@ccsync/contracts';
import { el, show } from '../dom.ts';
import { formatCompact, formatCount, formatDay, formatUSD, localMidnight } from '../format.ts';
import { MAX_SERIES, onSchemeChange } from '../theme.ts';
import { StackedBarChart, type StackedBars, type StackedSeries } from './stacked-bars.ts';

/** The days the charts cover, today included. */
export const DAYS_SHOWN = 30;

export type Metric = 'tokens' | 'cost';

/** The two daily reports the charts are drawn from, over the same days. */
export interface DailyUsage {
  /** `/v1/stats/daily`: every day, zero days included, with each device's share. */
  readonly byDevice: ForgeDailyReply;
  /** `/api/stats/daily`: ccusage's report, days with usage only, with each model's share. */
  readonly byModel: CcusageDailyReport;
}

interface DayValue {
  readonly tokens: number;
  readonly cost: number;
}

/** One stack per series name: the value of each day. */
type Breakdown = Map<string, Map<string, DayValue>>;

/**
 * Daily usage stacked by device and by model, in tokens or cost. Each chart has its numbers as a
 * table too, for screen readers and for reading exact values.
 */
export class DailyView {
  readonly #total: HTMLElement;
  readonly #byDevice: DailyFigure;
  readonly #byModel: DailyFigure;
  readonly #stopWatchingScheme: () => void;
  readonly #listening = new AbortController();
  #metric: Metric = 'tokens';
  #usage: DailyUsage | undefined;

  constructor(root: HTMLElement) {
    this.#total = find(root, '[data-role=total]');
    this.#byDevice = new DailyFigure(find(root, '[data-role=by-device]'), 'device');
    this.#byModel = new DailyFigure(find(root, '[data-role=by-model]'), 'model');
    for (const input of root.querySelectorAll<HTMLInputElement>('input[name=metric]')) {
      input.checked = input.value === this.#metric;
      input.addEventListener(
        'change',
        () => {
          if (!input.checked) return;
          this.#metric = input.value === 'cost' ? 'cost' : 'tokens';
          this.#draw();
        },
        { signal: this.#listening.signal },
      );
    }
    this.#stopWatchingScheme = onSchemeChange(() => this.#draw());
  }

  show(usage: DailyUsage): void {
    this.#usage = usage;
    this.#draw();
  }

  destroy(): void {
    this.#listening.abort();
    this.#stopWatchingScheme();
    this.#byDevice.destroy();
    this.#byModel.destroy();
  }

  #draw(): void {
    const usage = this.#usage;
    if (usage === undefined) return;
    const { totals } = usage.byDevice;
    show(
      this.#total,
      el('span', { 'data-testid': 'daily-total-tokens' }, formatCount(totals.totalTokens)),
      ' tokens · ',
      el('span', { 'data-testid': 'daily-total-cost' }, formatUSD(totals.totalCost)),
      ` in ${usage.byDevice.days.length} days`,
    );
    const days = usage.byDevice.days.map((day) => day.date);
    this.#byDevice.draw(days, devicesOf(usage.byDevice), dayTotals(usage.byDevice.days), this.#metric);
    this.#byModel.draw(days, modelsOf(usage.byModel), dayTotals(usage.byModel.daily), this.#metric);
  }
}

function find(root: HTMLElement, selector: string): HTMLElement {
  const element = root.querySelector<HTMLElement>(selector);
  if (element === null) throw new Error(`index.html has no ${selector} in #${root.id}`);
  return element;
}

function devicesOf(report: ForgeDailyReply): Breakdown {
  const breakdown: Breakdown = new Map();
  for (const day of report.days) {
    for (const machine of day.machines) {
      add(breakdown, machine.hostname, day.date, { tokens: machine.totalTokens, cost: machine.totalCost });
    }
  }
  return breakdown;
}

function modelsOf(report: CcusageDailyReport): Breakdown {
  const breakdown: Breakdown = new Map();
  for (const day of report.daily) {
    for (const model of day.modelBreakdowns) {
      const tokens = model.inputTokens + model.outputTokens + model.cacheCreationTokens + model.cacheReadTokens;
      add(breakdown, model.modelName, day.date, { tokens, cost: model.cost });
    }
  }
  return breakdown;
}

function add(breakdown: Breakdown, name: string, date: string, value: DayValue): void {
  const days = breakdown.get(name) ?? new Map<string, DayValue>();
  const before = days.get(date) ?? { tokens: 0, cost: 0 };
  days.set(date, { tokens: before.tokens + value.tokens, cost: before.cost + value.cost });
  breakdown.set(name, days);
}

function dayTotals(days: readonly { date: string; totalTokens: number; totalCost: number }[]): Map<string, DayValue> {
  return new Map(days.map((day) => [day.date, { tokens: day.totalTokens, cost: day.totalCost }]));
}

/**
 * The series to stack, largest over the period at the bottom. Past the palette's size the smallest
 * are summed into "Other", so every colour means one thing.
 */
function stackOf(days: readonly string[], breakdown: Breakdown, metric: Metric): StackedSeries[] {
  const series = [...breakdown].map(([label, values]) => ({
    label,
    values: days.map((day) => values.get(day)?.[metric] ?? 0),
  }));
  const total = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0);
  series.sort((a, b) => total(b.values) - total(a.values) || (a.label < b.label ? -1 : 1));
  if (series.length <= MAX_SERIES) return series;
  const kept = series.slice(0, MAX_SERIES - 1);
  const rest = series.slice(MAX_SERIES - 1);
  return [...kept, { label: 'Other', values: days.map((_, day) => total(rest.map((one) => one.values[day] ?? 0))) }];
}

/** One chart with its table. */
class DailyFigure {
  readonly #root: HTMLElement;
  readonly #plot: HTMLElement;
  readonly #table: HTMLElement;
  readonly #kind: string;
  readonly #chart: StackedBarChart;

  constructor(root: HTMLElement, kind: string) {
    this.#root = root;
    this.#plot = find(root, '[data-role=plot]');
    this.#table = find(root, '[data-role=table]');
    this.#kind = kind;
    this.#chart = new StackedBarChart(this.#plot);
  }

  draw(days: readonly string[], breakdown: Breakdown, totals: Map<string, DayValue>, metric: Metric): void {
    const format = metric === 'tokens' ? formatCount : formatUSD;
    const formatAxis = metric === 'tokens' ? formatCompact : (value: number) => `$${formatCompact(value)}`;
    const series = stackOf(days, breakdown, metric);
    const bars: StackedBars = { days, x: days.map((day) => localMidnight(day).getTime() / 1000), series };
    this.#root.dataset.series = String(series.length);
    this.#plot.setAttribute(
      'aria-label',
      `Stacked bars of daily ${metric} by ${this.#kind}, ${days.length} days; the table below lists the numbers`,
    );
    this.#chart.draw(bars, format, formatAxis);
    show(this.#table, this.#tableOf(days, series, totals, metric, format));
  }

  destroy(): void {
    this.#chart.destroy();
  }

  /** Days with usage, newest first; the total is the report's own. */
  #tableOf(
    days: readonly string[],
    series: readonly StackedSeries[],
    totals: Map<string, DayValue>,
    metric: Metric,
    format: (value: number) => string,
  ): HTMLElement {
    const rows = days
      .map((day, index) => ({ day, index, total: totals.get(day) ?? { tokens: 0, cost: 0 } }))
      .filter(({ total }) => total.tokens > 0 || total.cost > 0)
      .reverse()
      .map(({ day, index, total }) =>
        el(
          'tr',
          { 'data-testid': `daily-${this.#kind}-row`, 'data-date': day },
          el('th', { scope: 'row' }, formatDay(day)),
          ...series.map((one) => el('td', { class: 'num', 'data-series': one.label }, format(one.values[index] ?? 0))),
          el('td', { class: 'num total', 'data-testid': 'daily-day-total' }, format(total[metric])),
        ),
      );
    if (rows.length === 0) return el('p', { class: 'empty' }, `No usage in the last ${days.length} days.`);
    return el(
      'table',
      { class: 'data' },
      el('caption', { class: 'visually-hidden' }, `Daily ${metric} by ${this.#kind}`),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col' }, 'Day'),
          ...series.map((one) => el('th', { scope: 'col', class: 'num' }, one.label)),
          el('th', { scope: 'col', class: 'num' }, 'Total'),
        ),
      ),
      el('tbody', {}, ...rows),
    );
  }
}
