import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type BaseEnv, ConfigError } from './config.ts';

/** Admin tokens start with a prefix that secret scanners can recognise. */
export function generateAdminToken(): string {
  return `ccsync_admin_${randomBytes(32).toString('base64url')}`;
}

export interface ResolvedAdminToken {
  readonly token: string;
  /** True only for the process that generated it: that one prints it, once. */
  readonly generated: boolean;
  readonly path?: string;
}

/**
 * The bootstrap admin token: from CCSYNC_ADMIN_TOKEN, or in development generated once into the
 * data directory so every local service (and every restart) shares it. Production never
 * generates one: a token nobody saw would lock the operator out.
 */
export async function resolveAdminToken(
  env: Pick<BaseEnv, 'CCSYNC_ADMIN_TOKEN' | 'CCSYNC_DATA_DIR' | 'NODE_ENV'>,
): Promise<ResolvedAdminToken> {
  if (env.CCSYNC_ADMIN_TOKEN !== undefined) return { token: env.CCSYNC_ADMIN_TOKEN, generated: false };
  if (env.NODE_ENV === 'production') {
    throw new ConfigError('Invalid configuration:\n  CCSYNC_ADMIN_TOKEN: required in production');
  }
  const path = join(env.CCSYNC_DATA_DIR, 'admin-token');
  await mkdir(env.CCSYNC_DATA_DIR, { recursive: true, mode: 0o700 });
  const token = generateAdminToken();
  try {
    // 'wx' makes creation exclusive: services starting together agree on one token.
    await writeFile(path, `${token}\n`, { flag: 'wx', mode: 0o600 });
    return { token, generated: true, path };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return { token: (await readFile(path, 'utf8')).trim(), generated: false, path };
  }
}

/** Shown once, on the terminal, when a development token is first generated. */
export function announceGeneratedToken({ token, path }: ResolvedAdminToken): void {
  process.stderr.write(
    `\n  No CCSYNC_ADMIN_TOKEN was set, so a development admin token was generated (kept in ${path}):\n\n    ${token}\n\n`,
  );
}
