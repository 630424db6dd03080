import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DeviceId, deviceIdFromHostname } from '@ccsync/contracts';
import { z } from 'zod';
import { AgentError, ExitCode } from './errors.ts';
import { configDir, defaultStateDir } from './paths.ts';

/** What `ccsync login` keeps in the config directory. */
export const StoredConfig = z.object({
  ingestUrl: z.url().optional(),
  /** The gateway, for sync requests over its WebSocket; optional, as pushing needs only ingest. */
  gatewayUrl: z.url().optional(),
  token: z.string().min(1).optional(),
  /**
   * A viewer token for the account-wide reads (reports, monitor, status line). Kept apart from
   * the device token, which may only push as this device.
   */
  readToken: z.string().min(1).optional(),
  device: DeviceId.optional(),
});
export type StoredConfig = z.infer<typeof StoredConfig>;

export const configFile = (env: NodeJS.ProcessEnv = process.env) => join(configDir(env), 'config.json');

export async function readStoredConfig(env: NodeJS.ProcessEnv = process.env): Promise<StoredConfig> {
  const path = configFile(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  const parsed = StoredConfig.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new AgentError(
      ExitCode.NotConfigured,
      `${path} is not a valid ccsync config: ${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** The flags every command shares, as commander hands them over. */
export interface CommonFlags {
  readonly ingest?: string;
  readonly gateway?: string;
  readonly token?: string;
  readonly readToken?: string;
  readonly device?: string;
  readonly claudeDir?: string;
  readonly stateDir?: string;
  readonly json?: boolean;
}

export interface AgentSettings {
  readonly ingestUrl: string | undefined;
  readonly gatewayUrl: string | undefined;
  readonly token: string | undefined;
  /** The token for reading the account: the stored viewer token, else the push token. */
  readonly readToken: string | undefined;
  readonly device: DeviceId;
  /** The comma list from --claude-dir or CLAUDE_CONFIG_DIR; undefined means ccusage's defaults. */
  readonly claudeDirs: string | undefined;
  readonly stateDir: string;
  readonly json: boolean;
  /** Entries per request (CCSYNC_PUSH_BATCH_SIZE); each request becomes one event on the server. */
  readonly batchSize: number;
}

/** This machine's device id unless one is configured: its hostname, made valid. */
export function deviceFromHostname(name: string = hostname()): DeviceId {
  return deviceIdFromHostname(name);
}

const MAX_BATCH_SIZE = 5000;

function batchSizeFrom(value: string | undefined): number {
  if (value === undefined) return 2000;
  const size = Number(value);
  if (!Number.isInteger(size) || size < 1 || size > MAX_BATCH_SIZE) {
    throw new AgentError(ExitCode.Usage, `CCSYNC_PUSH_BATCH_SIZE must be a whole number from 1 to ${MAX_BATCH_SIZE}`);
  }
  return size;
}

/** Flags win over the environment, which wins over the stored config, which wins over defaults. */
export async function resolveSettings(
  flags: CommonFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AgentSettings> {
  const stored = await readStoredConfig(env);
  // Empty values count as unset, as they do in shells and compose files.
  const pick = (...values: (string | undefined)[]) => values.find((value) => value !== undefined && value !== '');
  const requested = pick(flags.device, env.CCSYNC_DEVICE, stored.device);
  let device = deviceFromHostname();
  if (requested !== undefined) {
    const parsed = DeviceId.safeParse(requested);
    if (!parsed.success) {
      throw new AgentError(ExitCode.Usage, `Invalid device id "${requested}": use letters, digits, ".", "_" or "-"`);
    }
    device = parsed.data;
  }
  return {
    ingestUrl: pick(flags.ingest, env.CCSYNC_INGEST_URL, stored.ingestUrl)?.replace(/\/+$/, ''),
    gatewayUrl: pick(flags.gateway, env.CCSYNC_GATEWAY_URL, stored.gatewayUrl)?.replace(/\/+$/, ''),
    token: pick(flags.token, env.CCSYNC_TOKEN, stored.token),
    // A token given now (flag or environment) wins over the stored pair.
    readToken: pick(
      flags.readToken,
      env.CCSYNC_READ_TOKEN,
      flags.token,
      env.CCSYNC_TOKEN,
      stored.readToken,
      stored.token,
    ),
    device,
    claudeDirs: pick(flags.claudeDir, env.CLAUDE_CONFIG_DIR),
    stateDir: pick(flags.stateDir) ?? defaultStateDir(env),
    batchSize: batchSizeFrom(pick(env.CCSYNC_PUSH_BATCH_SIZE)),
    json: flags.json === true,
  };
}
