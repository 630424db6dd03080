import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The agent's binary, run by tests and drills exactly as users run it. */
export const AGENT_BIN = join(
  fileURLToPath(new URL('../../..', import.meta.url)),
  'packages',
  'agent',
  'bin',
  'ccsync.js',
);

export interface AgentPushOptions {
  readonly ingest: string;
  readonly token: string;
  readonly device: string;
  readonly claudeDir: string;
  readonly stateDir: string;
  /** Extra environment, e.g. a smaller batch size. */
  readonly env?: Record<string, string>;
  /** Kills the push when aborted (a drill out of time). */
  readonly signal?: AbortSignal;
}

/** `ccsync push --json`'s summary, with its exit code and what it wrote to stderr. */
export type AgentPushResult = { exitCode: number; stderr: string } & Record<string, unknown>;

/**
 * Runs `ccsync push --json` as users run it, and returns its exit code and JSON summary
 * (`lastSeq`, `acknowledged`, `spooled`, `waiting`, …). A failing push is returned, not thrown.
 */
export async function runAgentPush(options: AgentPushOptions): Promise<AgentPushResult> {
  const result = await execa(
    'node',
    [
      AGENT_BIN,
      'push',
      '--json',
      '--ingest',
      options.ingest,
      '--token',
      options.token,
      '--device',
      options.device,
      '--claude-dir',
      options.claudeDir,
      '--state-dir',
      options.stateDir,
    ],
    {
      preferLocal: true,
      reject: false,
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.signal === undefined ? {} : { cancelSignal: options.signal }),
    },
  );
  return { exitCode: result.exitCode ?? 1, stderr: String(result.stderr), ...JSON.parse(result.stdout || '{}') };
}
