import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder, where the Dockerfile and `deploy/` are. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export const repoPath = (...segments: string[]): string => join(REPO_ROOT, ...segments);

export const readRepoFile = (...segments: string[]): string => readFileSync(repoPath(...segments), 'utf8');

export const repoHas = (...segments: string[]): boolean => existsSync(repoPath(...segments));

export interface Workspace {
  /** The package name, e.g. `@ccsync/gateway`. */
  readonly name: string;
  /** Its folder from the root, e.g. `services/gateway`. */
  readonly dir: string;
  /** The workspaces it needs at run time (its `dependencies` on `@ccsync/*`), by name. */
  readonly workspaceDependencies: readonly string[];
}

/** Every npm workspace of the repository, from the `workspaces` folders of the root package.json. */
export function workspaces(): Workspace[] {
  const root = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
  return root.workspaces.flatMap((pattern) => {
    const parent = pattern.replace(/\/\*$/, '');
    const folders = readdirSync(repoPath(parent), { withFileTypes: true }).filter((entry) => entry.isDirectory());
    return folders
      .map((folder) => `${parent}/${folder.name}`)
      .filter((dir) => repoHas(dir, 'package.json'))
      .map((dir) => {
        const manifest = JSON.parse(readRepoFile(dir, 'package.json')) as {
          name: string;
          dependencies?: Record<string, string>;
        };
        const dependencies = Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@ccsync/'));
        return { name: manifest.name, dir, workspaceDependencies: dependencies };
      });
  });
}
