/*
 * ccsync's entries in Claude Code's settings.json, merged into whatever is there and taken out
 * again exactly. Pure functions of the parsed file: the command (commands/hooks.ts) reads and
 * writes it.
 *
 *   "hooks": { "UserPromptSubmit": [{ "hooks": [{ "type": "command", "command": "… push --quiet", … }] }],
 *              "Stop": [ …the same… ] },
 *   "statusLine": { "type": "command", "command": "… statusline" }
 *
 * An entry is ccsync's when its command is ccsync's binary (`ccsync` or `ccsync.js`, possibly
 * after its interpreter) with exactly ccsync's arguments; so an install from another path is
 * recognised and updated, and nothing a person wrote around ccsync is ever taken for it.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Push on every prompt, so the other devices see it at once, and when Claude has answered. */
export const HOOK_EVENTS = ['UserPromptSubmit', 'Stop'] as const;
export type HookEvent = (typeof HOOK_EVENTS)[number];

export const PUSH_ARGS = ['push', '--quiet'] as const;
export const STATUSLINE_ARGS = ['statusline'] as const;
/**
 * Seconds Claude Code waits for a hook. `async` runs it in the background (Claude Code 2.1+), so
 * a push never delays a prompt; older versions ignore the field and wait at most this long.
 */
const HOOK_TIMEOUT_SECONDS = 30;

export interface CcsyncCommands {
  /** The shell command a hook runs: `push --quiet`. */
  readonly push: string;
  /** The status line's shell command. */
  readonly statusline: string;
}

export type HookChange = 'added' | 'updated' | 'present';
/** `foreign`: another status line is set and was left alone; `skipped`: not asked for. */
export type StatusLineChange = 'added' | 'updated' | 'present' | 'foreign' | 'skipped';

export type Invalid = { readonly invalid: string };

export interface Installed {
  readonly settings: JsonObject;
  readonly changed: boolean;
  readonly hooks: Readonly<Record<HookEvent, HookChange>>;
  readonly statusLine: StatusLineChange;
}

export interface Uninstalled {
  readonly settings: JsonObject;
  readonly changed: boolean;
  readonly removedHooks: number;
  readonly removedStatusLine: boolean;
}

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A word as POSIX shells read it: quoted only when it has to be. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_/.,:@%+=-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The words of a simple shell command, or undefined for one that is not (unbalanced quotes). */
export function shellWords(command: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let index = 0; index < command.length; index++) {
    const char = command[index] ?? '';
    if (char === "'") {
      const end = command.indexOf("'", index + 1);
      if (end < 0) return undefined;
      word += command.slice(index + 1, end);
      index = end;
      inWord = true;
    } else if (char === '"') {
      let end = index + 1;
      for (; end < command.length && command[end] !== '"'; end++) {
        if (command[end] === '\\' && '"\\$`'.includes(command[end + 1] ?? '')) end++;
        word += command[end] ?? '';
      }
      if (end >= command.length) return undefined;
      index = end;
      inWord = true;
    } else if (char === '\\') {
      word += command[++index] ?? '';
      inWord = true;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

const isCcsyncBinary = (word: string | undefined) => /(^|\/)ccsync(\.js)?$/.test(word ?? '');

/** `[interpreter] <…/ccsync[.js]> ...args`, and nothing else. */
export function isCcsyncCommand(command: JsonValue | undefined, args: readonly string[]): boolean {
  if (typeof command !== 'string') return false;
  const words = shellWords(command);
  if (words === undefined) return false;
  const binary = words.length - args.length - 1;
  if (binary < 0 || binary > 1 || !isCcsyncBinary(words[binary])) return false;
  return args.every((arg, index) => words[binary + 1 + index] === arg);
}

const isOurHook = (hook: JsonValue | undefined) =>
  isObject(hook) && hook.type === 'command' && isCcsyncCommand(hook.command, PUSH_ARGS);

function checkShape(settings: JsonObject): Invalid | undefined {
  const { hooks } = settings;
  if (hooks === undefined) return undefined;
  if (!isObject(hooks)) return { invalid: '"hooks" is not an object' };
  for (const event of HOOK_EVENTS) {
    if (hooks[event] !== undefined && !Array.isArray(hooks[event]))
      return { invalid: `"hooks.${event}" is not a list` };
  }
  return undefined;
}

/**
 * Adds ccsync's hooks and, when `statusline` is asked for and no other status line is set, its
 * status line. Every other key and hook stays as it is; what is there already is not added again.
 */
export function installCcsync(
  current: JsonObject,
  commands: CcsyncCommands,
  { statusline }: { readonly statusline: boolean },
): Installed | Invalid {
  const invalid = checkShape(current);
  if (invalid !== undefined) return invalid;
  const settings = structuredClone(current);
  let changed = false;
  const hooks = (isObject(settings.hooks) ? settings.hooks : {}) as Record<string, JsonValue[]>;
  const changes = {} as Record<HookEvent, HookChange>;
  for (const event of HOOK_EVENTS) {
    const groups = hooks[event] ?? [];
    const ours = groups
      .flatMap((group) => (isObject(group) && Array.isArray(group.hooks) ? group.hooks : []))
      .find(isOurHook) as JsonObject | undefined;
    if (ours === undefined) {
      groups.push({ hooks: [{ type: 'command', command: commands.push, timeout: HOOK_TIMEOUT_SECONDS, async: true }] });
      changes[event] = 'added';
    } else if (ours.command !== commands.push) {
      ours.command = commands.push;
      changes[event] = 'updated';
    } else {
      changes[event] = 'present';
    }
    if (changes[event] !== 'present') {
      hooks[event] = groups;
      changed = true;
    }
  }
  if (changed) settings.hooks = hooks;

  let statusLine: StatusLineChange = 'skipped';
  const existing = settings.statusLine;
  if (!statusline) {
    statusLine = 'skipped';
  } else if (existing === undefined || existing === null) {
    settings.statusLine = { type: 'command', command: commands.statusline };
    statusLine = 'added';
  } else if (!isObject(existing) || !isCcsyncCommand(existing.command, STATUSLINE_ARGS)) {
    statusLine = 'foreign';
  } else if (existing.command !== commands.statusline) {
    existing.command = commands.statusline;
    statusLine = 'updated';
  } else {
    statusLine = 'present';
  }
  return {
    settings,
    changed: changed || statusLine === 'added' || statusLine === 'updated',
    hooks: changes,
    statusLine,
  };
}

/**
 * Takes out what `installCcsync` put in: ccsync's hooks, the groups and lists left empty by
 * that, and ccsync's status line. Everything else stays as it is.
 */
export function uninstallCcsync(current: JsonObject): Uninstalled | Invalid {
  const invalid = checkShape(current);
  if (invalid !== undefined) return invalid;
  const settings = structuredClone(current);
  let removedHooks = 0;
  const { hooks } = settings;
  if (isObject(hooks)) {
    let emptied = false;
    for (const event of HOOK_EVENTS) {
      const groups = hooks[event];
      if (!Array.isArray(groups)) continue;
      let removedHere = 0;
      const kept = groups.filter((group) => {
        if (!isObject(group) || !Array.isArray(group.hooks)) return true;
        const before = group.hooks.length;
        group.hooks = group.hooks.filter((hook) => !isOurHook(hook));
        removedHere += before - group.hooks.length;
        return group.hooks.length > 0 || before === group.hooks.length;
      });
      if (removedHere === 0) continue;
      removedHooks += removedHere;
      if (kept.length === 0) {
        delete hooks[event];
        emptied = true;
      } else {
        hooks[event] = kept;
      }
    }
    if (emptied && Object.keys(hooks).length === 0) delete settings.hooks;
  }
  const removedStatusLine =
    isObject(settings.statusLine) && isCcsyncCommand(settings.statusLine.command, STATUSLINE_ARGS);
  if (removedStatusLine) delete settings.statusLine;
  return { settings, changed: removedHooks > 0 || removedStatusLine, removedHooks, removedStatusLine };
}
