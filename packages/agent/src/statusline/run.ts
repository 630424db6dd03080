import { fstatSync, readFileSync } from 'node:fs';
import { defaultStateDir } from '../paths.ts';
import { type RateLimitObservation, recordRateLimits } from '../rate-limits/observation-file.ts';
import { readStatuslineCache } from './cache-file.ts';
import { rateLimitsFromClaudeStatus } from './claude-status.ts';
import { newestWindows, statuslineText } from './line.ts';

/*
 * `ccsync statusline`, run by Claude Code several times a second. bin/ccsync.js comes here
 * directly, without the CLI: commander, zod and the rest would cost ten times the budget
 * (50 ms). Only node: builtins and small local modules; no network: `watch` keeps the figures
 * in the state directory, and `push`/`watch` send what this records. It always prints one line
 * and exits 0, whatever it is given: a failing status line would show in Claude Code.
 */

export interface StatuslineOptions {
  readonly stateDir: string;
  readonly tokenLimit?: number | undefined;
}

const positiveInteger = (value: string | undefined) => {
  const number = Number(value);
  return Number.isInteger(number) && number > 0 ? number : undefined;
};

const VALUE_FLAGS = new Set(['--state-dir', '--token-limit', '-t']);

/** `--state-dir <dir>` and `--token-limit <n>` (also as `--flag=value`); anything else is ignored. */
export function statuslineOptionsFrom(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const values = new Map<string, string>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    const equals = arg.indexOf('=');
    if (arg.startsWith('--') && equals > 0) values.set(arg.slice(0, equals), arg.slice(equals + 1));
    else if (VALUE_FLAGS.has(arg) && args[index + 1] !== undefined) values.set(arg, args[++index] ?? '');
  }
  const stateDir = values.get('--state-dir');
  return {
    stateDir: stateDir === undefined || stateDir === '' ? defaultStateDir(env) : stateDir,
    tokenLimit: positiveInteger(values.get('--token-limit') ?? values.get('-t')),
  } satisfies StatuslineOptions;
}

/** Claude Code's JSON, or nothing on a terminal (someone trying the command by hand). */
async function readStdin(): Promise<string> {
  try {
    // A terminal (or /dev/null) is a character device; node:tty would cost 5% of the budget to say so.
    if (fstatSync(0).isCharacterDevice()) return '';
    return readFileSync(0, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return '';
  }
  // A non-blocking pipe: read it as a stream, and give up rather than hang the status line.
  return new Promise((resolve) => {
    let text = '';
    const done = () => {
      clearTimeout(timer);
      process.stdin.pause();
      resolve(text);
    };
    const timer = setTimeout(done, 1000);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk: string) => {
      text += chunk;
    });
    process.stdin.on('end', done);
    process.stdin.on('error', done);
  });
}

/** The line for Claude Code's status JSON `input`, from the cache in `stateDir`. */
export function statuslineFor(input: string, { stateDir, tokenLimit }: StatuslineOptions, now = new Date()): string {
  const reported = rateLimitsFromClaudeStatus(input);
  let own: RateLimitObservation | undefined;
  if (reported !== undefined) {
    try {
      own = recordRateLimits(stateDir, reported, now);
    } catch {
      // An unwritable state directory costs only the report to the server, never the line.
      own = { observedAt: now.toISOString(), windows: reported };
    }
  }
  const cache = readStatuslineCache(stateDir);
  const color = (process.env.NO_COLOR ?? '') === '';
  return statuslineText({ cache, windows: newestWindows(own, cache?.rateLimits), now, color, tokenLimit });
}

export async function printStatusline(options: StatuslineOptions): Promise<void> {
  let line: string;
  try {
    line = statuslineFor(await readStdin(), options);
  } catch {
    line = 'ccsync: status unavailable';
  }
  process.stdout.write(`${line}\n`);
}

/** The fast path's entry: `args` are what follows `statusline` on the command line. */
export function runStatusline(args: readonly string[]): Promise<void> {
  return printStatusline(statuslineOptionsFrom(args));
}
