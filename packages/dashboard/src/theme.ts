/**
 * Colours come from the stylesheet's custom properties, which follow `prefers-color-scheme`;
 * charts, drawn on canvas, read them when they are drawn and are redrawn when the scheme changes.
 */

/** Series colours that stay apart from each other on light and dark backgrounds (Tableau 10). */
const SERIES_COLORS = [
  '#4e79a7',
  '#f28e2b',
  '#59a14f',
  '#e15759',
  '#76b7b2',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
] as const;

export const seriesColor = (index: number): string => SERIES_COLORS[index % SERIES_COLORS.length] ?? '#888888';

/** The most series a chart shows; the rest are summed into "Other". */
export const MAX_SERIES = SERIES_COLORS.length;

export interface ChartColors {
  readonly text: string;
  readonly grid: string;
}

export function chartColors(): ChartColors {
  const style = getComputedStyle(document.documentElement);
  return {
    text: style.getPropertyValue('--muted').trim() || '#666666',
    grid: style.getPropertyValue('--grid').trim() || '#dddddd',
  };
}

/** Calls `redraw` whenever the colour scheme changes; returns the function that stops it. */
export function onSchemeChange(redraw: () => void): () => void {
  const query = matchMedia('(prefers-color-scheme: dark)');
  query.addEventListener('change', redraw);
  return () => query.removeEventListener('change', redraw);
}
