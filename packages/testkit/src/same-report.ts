import { expect } from 'vitest';

/** How far a cost may be from ccusage's: sums taken in another order differ in the last digits. */
export const COST_TOLERANCE = 1e-6;

/**
 * Deep equality with a report of ccusage's: the same keys, arrays and values, except that a
 * number under a cost key (`cost`, `totalCost`, `costUSD`, `costPerHour`) may differ by up to
 * 1e-6. Fields set to undefined on our side count as absent, as in JSON.
 */
export function expectSameReport(ours: unknown, oracle: unknown, path = '$'): void {
  const key = path.slice(path.lastIndexOf('.') + 1);
  if (typeof oracle === 'number' && typeof ours === 'number' && /cost/i.test(key)) {
    expect(Math.abs(ours - oracle), `${path}: ${ours} vs ccusage ${oracle}`).toBeLessThanOrEqual(COST_TOLERANCE);
    return;
  }
  if (Array.isArray(oracle)) {
    expect(Array.isArray(ours), `${path} is an array`).toBe(true);
    const list = ours as unknown[];
    expect(list.length, `${path}.length`).toBe(oracle.length);
    oracle.forEach((item, index) => {
      expectSameReport(list[index], item, `${path}[${index}]`);
    });
    return;
  }
  if (typeof oracle === 'object' && oracle !== null) {
    expect(typeof ours === 'object' && ours !== null, `${path} is an object`).toBe(true);
    const record = ours as Record<string, unknown>;
    const ourKeys = Object.keys(record).filter((name) => record[name] !== undefined);
    expect(ourKeys.sort(), `${path} keys`).toEqual(Object.keys(oracle).sort());
    for (const [name, value] of Object.entries(oracle)) expectSameReport(record[name], value, `${path}.${name}`);
    return;
  }
  expect(ours, path).toEqual(oracle);
}
