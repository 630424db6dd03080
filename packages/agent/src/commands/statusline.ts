import { defaultStateDir } from '../paths.ts';
import { printStatusline } from '../statusline/run.ts';

export interface StatuslineFlags {
  readonly stateDir?: string;
  readonly tokenLimit?: string;
}

/**
 * `ccsync statusline` through the CLI. bin/ccsync.js normally answers it on its fast path
 * (statusline/run.ts) without loading the CLI; both print the same line.
 */
export async function runStatusline(flags: StatuslineFlags): Promise<void> {
  const tokenLimit = Number(flags.tokenLimit);
  await printStatusline({
    stateDir: flags.stateDir || defaultStateDir(),
    tokenLimit: Number.isInteger(tokenLimit) && tokenLimit > 0 ? tokenLimit : undefined,
  });
}
