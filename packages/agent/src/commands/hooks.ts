import { realpathSync } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { AgentError, ExitCode } from '../errors.ts';
import {
  type CcsyncCommands,
  HOOK_EVENTS,
  installCcsync,
  type JsonObject,
  PUSH_ARGS,
  STATUSLINE_ARGS,
  shellQuote,
  uninstallCcsync,
} from '../hooks/claude-settings.ts';
import { printJson, printLine } from '../output.ts';

export interface HooksFlags {
  readonly settings?: string;
  /** false with --no-statusline. */
  readonly statusline?: boolean;
  readonly json?: boolean;
}

/** `--settings`, else Claude Code's own: `settings.json` in CLAUDE_CONFIG_DIR (its first entry), else ~/.claude. */
export function claudeSettingsFile(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined && flag !== '') return resolve(flag);
  const configDir = env.CLAUDE_CONFIG_DIR?.split(',')
    .map((dir) => dir.trim())
    .find((dir) => dir !== '');
  const home = homedir();
  if (configDir === undefined) return join(home, '.claude', 'settings.json');
  return join(configDir.startsWith('~/') ? join(home, configDir.slice(2)) : resolve(configDir), 'settings.json');
}

/**
 * The commands Claude Code runs: this Node and this binary by absolute path, so they work
 * whatever PATH Claude Code has (and whichever Node it finds first).
 */
function ccsyncCommands(): CcsyncCommands {
  const prefix = `${shellQuote(process.execPath)} ${shellQuote(realpathSync(process.argv[1] ?? ''))}`;
  return { push: `${prefix} ${PUSH_ARGS.join(' ')}`, statusline: `${prefix} ${STATUSLINE_ARGS.join(' ')}` };
}

interface SettingsFile {
  readonly path: string;
  /** The file as it was; undefined when there was none. */
  readonly text: string | undefined;
  readonly settings: JsonObject;
}

async function readSettingsFile(path: string): Promise<SettingsFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, text: undefined, settings: {} };
    throw error;
  }
  let settings: unknown;
  try {
    settings = JSON.parse(text);
  } catch (error) {
    throw new AgentError(
      ExitCode.ClaudeSettingsInvalid,
      `${path} is not valid JSON (${(error as Error).message}); fix it, or name another file with --settings. Nothing was changed.`,
    );
  }
  if (typeof settings !== 'object' || settings === null || Array.isArray(settings)) {
    throw new AgentError(
      ExitCode.ClaudeSettingsInvalid,
      `${path} is not a JSON object, as Claude Code's settings are. Nothing was changed.`,
    );
  }
  return { path, text, settings: settings as JsonObject };
}

function refuse(path: string, reason: string): never {
  throw new AgentError(
    ExitCode.ClaudeSettingsInvalid,
    `${path}: ${reason}, so ccsync cannot merge its hooks into it. Nothing was changed.`,
  );
}

/**
 * Replaces the file atomically, keeping the previous one as `<file>.bak` (with its mode). Returns
 * the backup's path, or null when there was no file before.
 */
async function writeSettingsFile(file: SettingsFile, settings: JsonObject): Promise<string | null> {
  await mkdir(dirname(file.path), { recursive: true });
  let backup: string | null = null;
  if (file.text !== undefined) {
    backup = `${file.path}.bak`;
    await writeFileAtomic(backup, file.text, { mode: (await stat(file.path)).mode & 0o777 });
  }
  await writeFileAtomic(file.path, `${JSON.stringify(settings, null, 2)}\n`);
  return backup;
}

const statusLineSentence = {
  added: 'status line: added',
  updated: 'status line: updated to this ccsync',
  present: 'status line: already there',
  foreign: 'status line: another one is set, and was left as it is (remove it and install again to use ccsync’s)',
  skipped: 'status line: not touched (--no-statusline)',
} as const;

/** `ccsync hooks install`: ccsync's hooks and status line, merged into Claude Code's settings. */
export async function runHooksInstall(flags: HooksFlags): Promise<void> {
  const file = await readSettingsFile(claudeSettingsFile(flags.settings));
  const commands = ccsyncCommands();
  const installed = installCcsync(file.settings, commands, { statusline: flags.statusline !== false });
  if ('invalid' in installed) refuse(file.path, installed.invalid);
  const backup = installed.changed ? await writeSettingsFile(file, installed.settings) : null;
  if (flags.json === true) {
    printJson({
      settings: file.path,
      changed: installed.changed,
      backup,
      hooks: installed.hooks,
      statusLine: installed.statusLine,
      commands,
    });
    return;
  }
  printLine(
    installed.changed
      ? `Updated ${file.path}${backup === null ? '' : ` (the previous file is ${backup})`}:`
      : `Nothing to change in ${file.path}:`,
  );
  for (const event of HOOK_EVENTS) printLine(`  ${event} hook: ${installed.hooks[event]} (${commands.push})`);
  printLine(`  ${statusLineSentence[installed.statusLine]}`);
}

/** `ccsync hooks uninstall`: takes out exactly what install put in. */
export async function runHooksUninstall(flags: HooksFlags): Promise<void> {
  const file = await readSettingsFile(claudeSettingsFile(flags.settings));
  const uninstalled = uninstallCcsync(file.settings);
  if ('invalid' in uninstalled) refuse(file.path, uninstalled.invalid);
  const backup = uninstalled.changed ? await writeSettingsFile(file, uninstalled.settings) : null;
  if (flags.json === true) {
    printJson({
      settings: file.path,
      changed: uninstalled.changed,
      backup,
      removed: { hooks: uninstalled.removedHooks, statusLine: uninstalled.removedStatusLine },
    });
    return;
  }
  printLine(
    uninstalled.changed
      ? `Removed ${uninstalled.removedHooks} hooks${uninstalled.removedStatusLine ? ' and the status line' : ''} from ${file.path}${backup === null ? '' : ` (the previous file is ${backup})`}`
      : `ccsync has nothing in ${file.path}`,
  );
}
