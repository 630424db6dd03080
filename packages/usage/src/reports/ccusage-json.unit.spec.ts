import { describe, expect, it } from 'vitest';
import { formatRustFloat } from './ccusage-json.ts';

describe('formatRustFloat', () => {
  // Values as ccusage 20.0.24 printed them (docs/ccusage-parity.md §11).
  it.each([
    [0.005925000000000001, '0.005925000000000001'],
    [3e-6, '3e-6'],
    [0.000018, '0.000018'],
    [0.000012, '0.000012'],
    [3e-8, '3e-8'],
    [123456789012.5, '123456789012.5'],
    [2, '2.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [1073, '1073.0'],
    [0.00007500000000000001, '0.00007500000000000001'],
  ])('prints %s as %s', (value, printed) => {
    expect(formatRustFloat(value)).toBe(printed);
  });
});
