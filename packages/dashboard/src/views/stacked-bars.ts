import uPlot from 'uplot';
import { formatDay, formatShortDay } from '../format.ts';
import { chartColors, seriesColor } from '../theme.ts';

export interface StackedSeries {
  readonly label: string;
  /** One value per bar. */
  readonly values: readonly number[];
}

export interface StackedBars {
  /** Each bar's day, as `YYYY-MM-DD`. */
  readonly days: readonly string[];
  /** Each bar's time in seconds (the day's local midnight). */
  readonly x: readonly number[];
  /** Bottom of the stack first. */
  readonly series: readonly StackedSeries[];
}

const HEIGHT = 240;
const HALF_DAY_SECONDS = 12 * 3600;
const bars = uPlot.paths.bars?.({ size: [0.7, 48], align: 0 });

/** A series' value on a day, or its total when no day is pointed at. */
function valueAt(values: readonly number[], day: number | null): number {
  return day === null ? values.reduce((sum, value) => sum + value, 0) : (values[day] ?? 0);
}

/**
 * Daily bars stacked by series, on uPlot. uPlot draws each series from zero, so each is given the
 * running sum of the series below it and the tallest is drawn first: every lower one paints over
 * its part. The legend shows each series' own value for the day under the pointer, or its total.
 */
export class StackedBarChart {
  readonly #container: HTMLElement;
  readonly #resize: ResizeObserver;
  #plot: uPlot | undefined;

  constructor(container: HTMLElement) {
    this.#container = container;
    this.#resize = new ResizeObserver(() => this.#plot?.setSize({ width: this.#width(), height: HEIGHT }));
    this.#resize.observe(container);
  }

  draw(data: StackedBars, format: (value: number) => string, formatAxis: (value: number) => string): void {
    this.#plot?.destroy();
    const colors = chartColors();
    const sums: number[][] = [];
    let running = data.x.map(() => 0);
    for (const series of data.series) {
      running = running.map((sum, index) => sum + (series.values[index] ?? 0));
      sums.push(running);
    }
    // The top of the stack first: drawn first, listed first.
    const order = data.series.map((_, index) => index).reverse();
    const axis = {
      stroke: colors.text,
      grid: { stroke: colors.grid, width: 1 },
      ticks: { stroke: colors.grid, width: 1 },
    };
    const options: uPlot.Options = {
      width: this.#width(),
      height: HEIGHT,
      series: [
        {
          label: '',
          value: (_plot, _x, _series, index) =>
            index === null ? `Last ${data.days.length} days` : formatDay(data.days[index] ?? ''),
        },
        ...order.map(
          (index): uPlot.Series => ({
            label: data.series[index]?.label ?? '',
            fill: seriesColor(index),
            stroke: seriesColor(index),
            width: 0,
            points: { show: false },
            ...(bars === undefined ? {} : { paths: bars }),
            value: (_plot, _sum, _series, day) => format(valueAt(data.series[index]?.values ?? [], day)),
          }),
        ),
      ],
      scales: {
        x: { time: true, range: (_plot, min, max) => [min - HALF_DAY_SECONDS, max + HALF_DAY_SECONDS] },
        y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.08 : 1] },
      },
      axes: [
        { ...axis, space: 56, values: (_plot, splits) => splits.map(formatShortDay) },
        { ...axis, size: 64, values: (_plot, splits) => splits.map(formatAxis) },
      ],
      cursor: { y: false, points: { show: false }, drag: { x: false, y: false } },
      legend: { live: true },
    };
    this.#plot = new uPlot(options, [[...data.x], ...order.map((index) => sums[index] ?? [])], this.#container);
  }

  destroy(): void {
    this.#resize.disconnect();
    this.#plot?.destroy();
    this.#plot = undefined;
  }

  #width(): number {
    return Math.max(this.#container.clientWidth, 280);
  }
}
