import pc from 'picocolors';

/** Machine-readable output: one JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Errors go to stderr, red on a terminal unless NO_COLOR is set (picocolors checks). */
export function printError(message: string): void {
  process.stderr.write(`${pc.red('error')} ${message}\n`);
}

export const formatCount = (value: number) => value.toLocaleString('en-US');

/** Dollars as ccusage's tables show them, and every table and screen here: `$1234.56`. */
export const formatUsd = (value: number) => `$${value.toFixed(2)}`;
