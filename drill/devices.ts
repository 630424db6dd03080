import { basename, join } from 'node:path';
import { type AgentPushResult, runAgentPush, waitFor } from '@ccsync/testkit';
import type { DrillContext } from './drill.ts';
import type { DrillStack } from './stack.ts';

/** A machine running the agent: its transcripts, its agent state and its device token. */
export interface DrillDevice {
  readonly name: string;
  readonly claudeDir: string;
  readonly stateDir: string;
  readonly token: string;
}

/** Registers one device per config directory, named after it, as `ccsync login` would. */
export async function enrollDevices(
  stack: DrillStack,
  configDirs: readonly string[],
  workDir: string,
): Promise<DrillDevice[]> {
  return Promise.all(
    configDirs.map(async (claudeDir) => {
      const name = basename(claudeDir);
      return { name, claudeDir, stateDir: join(workDir, `state-${name}`), token: await stack.registerDevice(name) };
    }),
  );
}

export interface PushOptions {
  /** Entries per request (`CCSYNC_PUSH_BATCH_SIZE`); each request is one event. */
  readonly batchSize?: number;
  /** Another state directory than the device's: a reinstall that has forgotten what it sent. */
  readonly stateDir?: string;
}

/**
 * `ccsync push` on the device, the real binary. Exit code 0 is the agent's promise that
 * everything read was acknowledged or is safely in its spool; anything else fails the drill.
 */
export async function push(
  context: DrillContext,
  device: DrillDevice,
  ingestUrl: string,
  options: PushOptions = {},
): Promise<AgentPushResult> {
  context.signal.throwIfAborted();
  const result = await runAgentPush({
    ingest: ingestUrl,
    token: device.token,
    device: device.name,
    claudeDir: device.claudeDir,
    stateDir: options.stateDir ?? device.stateDir,
    env: { CCSYNC_PUSH_BATCH_SIZE: String(options.batchSize ?? 2000) },
    signal: context.signal,
  });
  if (result.exitCode !== 0) {
    throw new Error(`ccsync push on ${device.name} exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return result;
}

/**
 * Runs `ccsync push` again until a run leaves nothing in the spool, as the hooks and `watch`
 * would; returns how many runs it took.
 */
export async function pushUntilDelivered(
  context: DrillContext,
  device: DrillDevice,
  ingestUrl: string,
  timeoutMs = 60_000,
): Promise<number> {
  let runs = 0;
  await waitFor(
    async () => {
      runs++;
      const result = await push(context, device, ingestUrl);
      return result.waiting === 0 && result.spooled === 0;
    },
    { timeoutMs, intervalMs: 200, description: `${device.name}'s spool to be delivered` },
  );
  return runs;
}
