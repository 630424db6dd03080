import type { CcusageJobArgs, ClaudeJobArgs } from '@ccsync/contracts';
import type { z } from 'zod';

/** What a seed-style command line maps to. */
export type MappedCommand =
  | { readonly kind: 'ccusage'; readonly args: z.input<typeof CcusageJobArgs> }
  | { readonly kind: 'claude'; readonly args: z.input<typeof ClaudeJobArgs> }
  | { readonly kind: 'sync'; readonly args: Record<string, never> };

/** The programs a command line may name, by their configured paths. */
export interface Programs {
  readonly ccusage: string;
  readonly claude: string;
}

export class CommandRefused extends Error {
  override readonly name = 'CommandRefused';
}

/** Characters a word outside quotes may have: no globbing, expansion, redirection or chaining. */
const PLAIN = /^[A-Za-z0-9._/:=,+@%-]$/;
/** Inside quotes a shell would still expand these, so they are refused there too. */
const EXPANDING = /[`$\\]/;

/**
 * Splits a command line into words the way a shell would for plain words and quoted strings, and
 * refuses everything else a shell would interpret. Nothing here is ever given to a shell: refusing
 * shell syntax is so that a command written for one is never silently read differently.
 */
export function splitCommandLine(line: string): string[] {
  // Any control character but the tab, which separates words.
  if (/(?!\t)\p{Cc}/u.test(line)) throw new CommandRefused('control characters and line breaks are not allowed');
  const words: string[] = [];
  let word: string | undefined;
  for (let at = 0; at < line.length; at++) {
    const char = line[at] as string;
    if (char === ' ' || char === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (char === '"' || char === "'") {
      const end = line.indexOf(char, at + 1);
      if (end === -1) throw new CommandRefused(`an unclosed ${char} quote`);
      const quoted = line.slice(at + 1, end);
      const expanding = EXPANDING.exec(quoted);
      if (expanding !== null) {
        throw new CommandRefused(`"${expanding[0]}" is shell syntax, which ccsync never runs; use kind and args`);
      }
      word = (word ?? '') + quoted;
      at = end;
    } else if (PLAIN.test(char)) {
      word = (word ?? '') + char;
    } else {
      throw new CommandRefused(`"${char}" is shell syntax, which ccsync never runs; use kind and args`);
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * Maps the seed's free-form `command` to a job kind: `ccusage daily [--since D] [--until D]
 * [-z ZONE] [--offline]`, `claude -p "prompt" [--model M] [--max-turns N]`, and the seed's own sync
 * examples (`ccusage sync`, `claude usage sync`). Anything else is refused.
 */
export function mapCommandLine(line: string, programs: Programs): MappedCommand {
  const [program, ...rest] = splitCommandLine(line);
  if (program === undefined) throw new CommandRefused('the command is empty');
  if (program === 'ccusage' || program === programs.ccusage) return mapCcusage(rest);
  if (program === 'claude' || program === programs.claude) return mapClaude(rest);
  throw new CommandRefused(
    `"${program}" is not a program jobs may run: only ccusage (CCUSAGE_PATH) and claude (CLAUDE_CODE_PATH)`,
  );
}

function mapCcusage(words: string[]): MappedCommand {
  const rest = words[0] === 'claude' ? words.slice(1) : words;
  if (rest.length === 1 && rest[0] === 'sync') return { kind: 'sync', args: {} };
  const [command = 'daily', ...flags] = rest[0]?.startsWith('-') ? ['daily', ...rest] : rest;
  if (command !== 'daily') {
    throw new CommandRefused(`only "ccusage daily" can be scheduled: its report becomes the device's snapshot`);
  }
  const args: z.input<typeof CcusageJobArgs> = {};
  for (let at = 0; at < flags.length; at++) {
    const flag = flags[at] as string;
    const value = () => {
      const next = flags[++at];
      if (next === undefined) throw new CommandRefused(`${flag} needs a value`);
      return next;
    };
    if (flag === '--json' || flag === '-j') continue;
    else if (flag === '--offline' || flag === '-O') args.offline = true;
    else if (flag === '--no-offline') args.offline = false;
    else if (flag === '--since' || flag === '-s') args.since = value();
    else if (flag === '--until' || flag === '-u') args.until = value();
    else if (flag === '--timezone' || flag === '-z') args.timezone = value();
    else throw new CommandRefused(`ccusage ${flag} is not allowed in a job`);
  }
  return { kind: 'ccusage', args };
}

function mapClaude(words: string[]): MappedCommand {
  if (words.join(' ') === 'usage sync') return { kind: 'sync', args: {} };
  let print = false;
  let prompt: string | undefined;
  const args: Partial<z.input<typeof ClaudeJobArgs>> = {};
  for (let at = 0; at < words.length; at++) {
    const word = words[at] as string;
    const value = () => {
      const next = words[++at];
      if (next === undefined) throw new CommandRefused(`${word} needs a value`);
      return next;
    };
    if (word === '-p' || word === '--print') print = true;
    else if (word === '--model') args.model = value();
    else if (word === '--max-turns') args.maxTurns = Number(value());
    else if (word === '--output-format') {
      if (value() !== 'json') throw new CommandRefused('claude jobs always use --output-format json');
    } else if (word.startsWith('-')) throw new CommandRefused(`claude ${word} is not allowed in a job`);
    else if (prompt === undefined) prompt = word;
    else throw new CommandRefused('give the prompt as one quoted argument');
  }
  if (!print) throw new CommandRefused('claude jobs run in print mode: claude -p "prompt"');
  if (prompt === undefined) throw new CommandRefused('claude -p needs a prompt');
  return { kind: 'claude', args: { ...args, prompt } };
}
