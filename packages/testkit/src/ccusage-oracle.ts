import { access, chmod, constants, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The ccusage release whose numbers ccsync reproduces. */
export const CCUSAGE_ORACLE_VERSION = '20.0.24';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const cacheRoot = join(repoRoot, 'node_modules', '.cache', 'ccusage-oracle');
const installDir = join(cacheRoot, CCUSAGE_ORACLE_VERSION);
const nativeBinary = (dir: string) => join(dir, 'node_modules', '@ccusage', 'ccusage-linux-x64', 'bin', 'ccusage');

let installing: Promise<string> | undefined;

/**
 * The path of the native ccusage 20.0.24 binary, installed on first use into a cache folder outside
 * the workspace lockfile. The folder has its own package.json so npm never touches the workspace's.
 * Several test files may ask at once: each installs into a private staging folder and renames it into
 * place, so the first complete install wins and a half-written one is never seen.
 */
export function ccusageBinary(): Promise<string> {
  installing ??= ensureInstalled();
  return installing;
}

/**
 * ccusage's `--json` report (`args`, e.g. `['daily', '-z', 'UTC']`) over the union of the given
 * Claude config directories, combined as it combines a `CLAUDE_CONFIG_DIR` comma list: offline
 * prices, UTC as the local zone, and nothing from the caller's environment but PATH.
 */
export async function ccusageJson(
  args: readonly string[],
  configDirs: readonly string[],
  home: string,
): Promise<unknown> {
  const result = await execa(await ccusageBinary(), ['claude', ...args, '--json', '--offline'], {
    cwd: home,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? '', HOME: home, CLAUDE_CONFIG_DIR: configDirs.join(','), TZ: 'UTC' },
    maxBuffer: 1e9,
  });
  return JSON.parse(result.stdout);
}

async function ensureInstalled(): Promise<string> {
  const binary = nativeBinary(installDir);
  if (await exists(binary)) return makeExecutable(binary);

  await mkdir(cacheRoot, { recursive: true });
  const staging = await mkdtemp(join(cacheRoot, 'staging-'));
  try {
    await writeFile(
      join(staging, 'package.json'),
      `${JSON.stringify({ name: 'ccusage-oracle', private: true, version: '0.0.0' }, null, 2)}\n`,
    );
    await execa(
      'npm',
      [
        'install',
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--ignore-scripts',
        `ccusage@${CCUSAGE_ORACLE_VERSION}`,
      ],
      // npm resolves the nearest package.json upwards; cwd = staging keeps it out of the workspace.
      { cwd: staging, env: { npm_config_workspaces: 'false' }, stdio: 'pipe' },
    );
    // npm installs the platform package without the exec bit; the launcher would chmod it itself.
    await makeExecutable(nativeBinary(staging));
    try {
      await rename(staging, installDir);
    } catch (error) {
      // Another process renamed its complete install into place first: use that one.
      if (!(await exists(binary))) throw error;
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return makeExecutable(binary);
}

async function makeExecutable(binary: string): Promise<string> {
  await chmod(binary, 0o755);
  return binary;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}
