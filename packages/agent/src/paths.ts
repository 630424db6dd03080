import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$XDG_CONFIG_HOME/ccsync`: the server address and token `ccsync login` stores. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'ccsync');
}

/** `$CCSYNC_STATE_DIR`, else `$XDG_STATE_HOME/ccsync`: cursors, spool and last-push status. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.CCSYNC_STATE_DIR || join(env.XDG_STATE_HOME || join(homedir(), '.local', 'state'), 'ccsync');
}
