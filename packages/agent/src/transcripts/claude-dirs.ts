import { stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}

/**
 * The Claude Code data directories to read, chosen exactly as ccusage chooses them: the comma list
 * when one is given (each entry a config directory or its `projects/` directory; entries without
 * `projects/` are ignored), otherwise `$XDG_CONFIG_HOME/claude` and `~/.claude`, each if it has
 * `projects/`. Returns the `projects/` directories, without duplicates.
 */
export async function findProjectsDirs(
  commaList: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string[]> {
  const home = homedir();
  const candidates =
    commaList === undefined
      ? [join(env.XDG_CONFIG_HOME || join(home, '.config'), 'claude'), join(home, '.claude')]
      : commaList
          .split(',')
          .map((piece) => piece.trim())
          .filter((piece) => piece.length > 0)
          .map((piece) => resolve(piece === '~' ? home : piece.startsWith('~/') ? join(home, piece.slice(2)) : piece));
  const found: string[] = [];
  for (const candidate of candidates) {
    const configDir =
      basename(candidate) === 'projects' && (await isDirectory(candidate)) ? dirname(candidate) : candidate;
    const projects = join(configDir, 'projects');
    if (!found.includes(projects) && (await isDirectory(projects))) found.push(projects);
  }
  return found;
}
