import { ForgeDailyReply } from '@ccsync/contracts';
import { dailyReport, loadPricingTable, zonedDate } from '@ccsync/usage';
import asciichart from 'asciichart';
import pc from 'picocolors';
import { AgentError, ExitCode } from '../errors.ts';
import { formatCount, formatUsd, printJson, printLine } from '../output.ts';
import { reportTimeZone } from '../reports/options.ts';
import { gatewayReader } from '../server/gateway-reader.ts';
import type { AgentSettings } from '../settings.ts';
import { readLocalEntries } from './report.ts';

export interface TokensFlags {
  readonly days: string;
  readonly timezone?: string;
  readonly local?: boolean;
  readonly cost?: boolean;
}

/** Daily figures of each device and their sum, oldest day first. */
export interface DailySeries {
  readonly dates: readonly string[];
  readonly devices: readonly { readonly device: string; readonly values: readonly number[] }[];
  readonly total: readonly number[];
}

type Metric = 'totalTokens' | 'totalCost';

/** The last `days` calendar days up to today in `timezone`, as YYYY-MM-DD, oldest first. */
export function lastDays(days: number, timezone: string, now = Date.now()): string[] {
  const [year, month, day] = zonedDate(now, timezone).split('-').map(Number) as [number, number, number];
  return Array.from({ length: days }, (_, index) =>
    new Date(Date.UTC(year, month - 1, day - (days - 1 - index))).toISOString().slice(0, 10),
  );
}

async function serverSeries(
  settings: AgentSettings,
  days: number,
  timezone: string,
  metric: Metric,
): Promise<DailySeries> {
  const reply = await gatewayReader(settings).get(
    `/v1/stats/daily?days=${days}&tz=${encodeURIComponent(timezone)}`,
    ForgeDailyReply,
  );
  const names = [...new Set(reply.days.flatMap((day) => day.machines.map((machine) => machine.hostname)))].sort();
  return {
    dates: reply.days.map((day) => day.date),
    devices: names.map((device) => ({
      device,
      values: reply.days.map((day) => day.machines.find((machine) => machine.hostname === device)?.[metric] ?? 0),
    })),
    total: reply.days.map((day) => day[metric]),
  };
}

async function localSeries(
  settings: AgentSettings,
  days: number,
  timezone: string,
  metric: Metric,
): Promise<DailySeries> {
  const dates = lastDays(days, timezone);
  const report = dailyReport(await readLocalEntries(settings), {
    timezone,
    pricing: await loadPricingTable(undefined),
    since: dates[0] ?? '',
  });
  const byDate = new Map(report.daily.map((day) => [day.date, day[metric]]));
  const values = dates.map((date) => byDate.get(date) ?? 0);
  return { dates, devices: [{ device: settings.device, values }], total: values };
}

const PALETTE = [pc.cyan, pc.magenta, pc.yellow, pc.green, pc.blue, pc.red] as const;
const ASCII_COLORS = [
  asciichart.cyan,
  asciichart.magenta,
  asciichart.yellow,
  asciichart.green,
  asciichart.blue,
  asciichart.red,
] as const;
const LABEL_WIDTH = 10;

const compact = (value: number, metric: Metric) =>
  metric === 'totalCost'
    ? formatUsd(value)
    : new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(value);

/** Stretches daily points to `width` columns, straight lines between days. */
function stretch(values: readonly number[], perDay: number): number[] {
  if (values.length < 2 || perDay <= 1) return [...values];
  const points: number[] = [];
  for (let index = 0; index < values.length - 1; index++) {
    const from = values[index] ?? 0;
    const to = values[index + 1] ?? 0;
    for (let step = 0; step < perDay; step++) points.push(from + ((to - from) * step) / perDay);
  }
  points.push(values.at(-1) ?? 0);
  return points;
}

/**
 * The chart: the total and, in color, one line per device; without color one line cannot be told
 * from another, so it draws the total alone and the per-day figures follow as a list.
 */
function printChart(series: DailySeries, metric: Metric): void {
  const width = process.stdout.isTTY ? (process.stdout.columns ?? 80) : 80;
  const color = pc.isColorSupported;
  const perDay = Math.max(1, Math.floor((width - LABEL_WIDTH - 3) / Math.max(1, series.dates.length - 1)));
  const lines =
    color && series.devices.length > 1
      ? [series.total, ...series.devices.map((device) => device.values)]
      : [series.total];
  const chart = asciichart.plot(
    lines.map((values) => stretch(values, perDay)),
    {
      height: 12,
      format: (value: number) => compact(Math.max(0, value), metric).padStart(LABEL_WIDTH - 1),
      ...(color
        ? {
            colors: [
              asciichart.default,
              ...series.devices.map((_, index) => ASCII_COLORS[index % ASCII_COLORS.length]),
            ],
          }
        : {}),
    },
  );
  printLine(chart);
  // Dates under the first, middle and last day.
  const span = (series.dates.length - 1) * perDay;
  const axis = Array.from({ length: LABEL_WIDTH + span + 1 }, () => ' ');
  const mark = (index: number, align: 'start' | 'center' | 'end') => {
    const date = (series.dates[index] ?? '').slice(5);
    const at = LABEL_WIDTH + index * perDay;
    const from = align === 'start' ? at : align === 'end' ? at - date.length + 1 : at - Math.floor(date.length / 2);
    for (const [offset, char] of [...date].entries()) if (from + offset >= 0) axis[from + offset] = char;
  };
  mark(0, 'start');
  if (series.dates.length > 4) mark(Math.floor((series.dates.length - 1) / 2), 'center');
  if (series.dates.length > 1) mark(series.dates.length - 1, 'end');
  printLine(pc.dim(axis.join('').trimEnd()));
}

/** `ccsync tokens`: daily usage as a chart in the terminal, one line per device and one for the total. */
export async function runTokens(settings: AgentSettings, flags: TokensFlags): Promise<void> {
  const days = Number(flags.days);
  if (!Number.isInteger(days) || days < 1 || days > 366) {
    throw new AgentError(ExitCode.Usage, `--days takes a whole number from 1 to 366, not "${flags.days}"`);
  }
  const timezone = reportTimeZone(flags.timezone);
  const metric: Metric = flags.cost === true ? 'totalCost' : 'totalTokens';
  const series =
    flags.local === true
      ? await localSeries(settings, days, timezone, metric)
      : await serverSeries(settings, days, timezone, metric);

  if (settings.json) {
    printJson({
      timezone,
      metric,
      days: series.dates.map((date, index) => ({
        date,
        total: series.total[index],
        devices: Object.fromEntries(series.devices.map((device) => [device.device, device.values[index]])),
      })),
    });
    return;
  }
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  const format = (value: number) => (metric === 'totalCost' ? formatUsd(value) : formatCount(value));
  const unit = metric === 'totalCost' ? 'cost (USD)' : 'tokens';
  printLine(
    pc.bold(`Daily ${unit}, last ${days} days (${timezone})${flags.local === true ? ', this machine only' : ''}`),
  );
  if (series.total.every((value) => value === 0)) {
    printLine(`No usage in the last ${days} days.`);
    return;
  }
  printChart(series, metric);
  printLine();
  printLine(`${pc.bold('━━ total')}  ${format(sum(series.total))}`);
  if (series.devices.length > 1) {
    for (const [index, device] of series.devices.entries()) {
      const paint = pc.isColorSupported ? (PALETTE[index % PALETTE.length] ?? pc.reset) : pc.reset;
      printLine(`${paint(`━━ ${device.device}`)}  ${format(sum(device.values))}`);
    }
  }
  if (!pc.isColorSupported && series.devices.length > 1) {
    printLine();
    for (const [index, date] of series.dates.entries()) {
      const parts = series.devices.map((device) => `${device.device} ${format(device.values[index] ?? 0)}`);
      printLine(`${date}  ${format(series.total[index] ?? 0).padStart(14)}  (${parts.join(', ')})`);
    }
  }
}
