import type { BlocksReport } from './blocks.ts';
import type { PeriodReport } from './periods.ts';
import type { SessionReport } from './sessions.ts';

/** Numbers ccusage prints as floats (`0.0`, `2.0`, `3e-6`): its costs, rates and percentages are f64. */
const FLOAT_KEYS: ReadonlySet<string> = new Set([
  'cost',
  'totalCost',
  'costPerHour',
  'tokensPerMinute',
  'tokensPerMinuteForIndicator',
  'percentUsed',
]);
/** Blocks' `costUSD` is an f64 that ccusage prints without `.0` when it is integral (`0`, `2`). */
const INTEGRAL_AS_INTEGER_KEYS: ReadonlySet<string> = new Set(['costUSD']);

/**
 * The report as `ccusage … --json` prints it: serde_json's pretty form (2 spaces), keys sorted, floats in
 * Rust's shortest round-trip notation. Byte-identical when the numbers are (without the trailing newline).
 */
export function formatCcusageJson(report: PeriodReport | SessionReport | BlocksReport): string {
  return formatValue(report, '', undefined);
}

function formatValue(value: unknown, indent: string, key: string | undefined): string {
  if (value === null) return 'null';
  if (typeof value === 'number') return formatNumber(value, key);
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((item) => inner + formatValue(item, inner, key)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (fields.length === 0) return '{}';
    const lines = fields.map(([name, field]) => `${inner}${JSON.stringify(name)}: ${formatValue(field, inner, name)}`);
    return `{\n${lines.join(',\n')}\n${indent}}`;
  }
  throw new TypeError(`cannot print ${typeof value} as ccusage JSON`);
}

function formatNumber(value: number, key: string | undefined): string {
  if (key !== undefined && FLOAT_KEYS.has(key)) return formatRustFloat(value);
  if (key !== undefined && INTEGRAL_AS_INTEGER_KEYS.has(key) && !Number.isInteger(value)) return formatRustFloat(value);
  return Object.is(value, -0) ? '0' : String(value);
}

/**
 * An f64 as serde_json writes it (the `ryu` crate): the shortest round-trip digits, in plain notation for
 * decimal exponents -5 < k ≤ 16, else `<d>[.<ddd>]e<exp>`; integral values keep `.0`.
 */
export function formatRustFloat(value: number): string {
  if (!Number.isFinite(value)) return 'null';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  if (value === 0) return `${sign}0.0`;
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const length = digits.length;
  // The value is 0.<digits> × 10^point, i.e. `point` digits come before the decimal point.
  const point = Number(exponentText) + 1;
  if (length <= point && point <= 16) return `${sign}${digits}${'0'.repeat(point - length)}.0`;
  if (point > 0 && point <= 16) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  if (point > -5 && point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  const exponent = point - 1;
  return length === 1 ? `${sign}${digits}e${exponent}` : `${sign}${digits[0]}.${digits.slice(1)}e${exponent}`;
}
