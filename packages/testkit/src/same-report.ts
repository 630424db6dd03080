import { expect } from 'vitest';

/** How far a cost may be from ccusage's: sums taken in another order differ in the last digits. */
export const COST_TOLERANCE = 1e-6;

/**
 * Where a report differs from ccusage's, one line per difference (`$.daily[3].inputTokens: 10 vs
 * ccusage 12`); empty when they are the same. The same keys, arrays and values, except that a
 * number under a cost key (`cost`, `totalCost`, `costUSD`, `costPerHour`) may differ by up to
 * 1e-6. Fields set to undefined on our side count as absent, as in JSON.
 */
export function reportDifferences(ours: unknown, oracle: unknown, path = '$'): string[] {
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (typeof oracle === 'number' && typeof ours === 'number' && /cost/i.test(key)) {
    return Math.abs(ours - oracle) <= COST_TOLERANCE ? [] : [`${path}: ${ours} vs ccusage ${oracle}`];
  }
  if (Array.isArray(oracle)) {
    if (!Array.isArray(ours)) return [`${path}: not an array`];
    if (ours.length !== oracle.length) return [`${path}.length: ${ours.length} vs ccusage ${oracle.length}`];
    return oracle.flatMap((item, index) => reportDifferences(ours[index], item, `${path}[${index}]`));
  }
  if (typeof oracle === 'object' && oracle !== null) {
    if (typeof ours !== 'object' || ours === null) return [`${path}: not an object`];
    const record = ours as Record<string, unknown>;
    const ourKeys = Object.keys(record)
      .filter((name) => record[name] !== undefined)
      .sort();
    const theirKeys = Object.keys(oracle).sort();
    if (ourKeys.join() !== theirKeys.join()) return [`${path} keys: ${ourKeys.join()} vs ccusage ${theirKeys.join()}`];
    return Object.entries(oracle).flatMap(([name, value]) => reportDifferences(record[name], value, `${path}.${name}`));
  }
  return Object.is(ours, oracle) ? [] : [`${path}: ${JSON.stringify(ours)} vs ccusage ${JSON.stringify(oracle)}`];
}

/** Fails the test unless the report is ccusage's, listing every difference (see `reportDifferences`). */
export function expectSameReport(ours: unknown, oracle: unknown, path = '$'): void {
  expect(reportDifferences(ours, oracle, path), `${path}: differences from ccusage`).toEqual([]);
}
