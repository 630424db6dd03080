import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export { startTestStack, type TestStack } from '@ccsync/gateway/test-stack';

/** The agent's binary, run by tests exactly as users run it. */
export const AGENT_BIN = fileURLToPath(new URL('../bin/ccsync.js', import.meta.url));

export interface AgentPushOptions {
  readonly ingest: string;
  readonly token: string;
  readonly device: string;
  readonly claudeDir: string;
  readonly stateDir: string;
  /** Extra environment, e.g. a smaller batch size. */
  readonly env?: Record<string, string>;
}

/**
 * Runs `ccsync push --json` as users run it, and returns its exit code and JSON summary
 * (`lastSeq`, `acknowledged`, `spooled`, …). A failing push is returned, not thrown.
 */
export async function runAgentPush(options: AgentPushOptions): Promise<{ exitCode: number } & Record<string, unknown>> {
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
    { preferLocal: true, reject: false, ...(options.env === undefined ? {} : { env: options.env }) },
  );
  return { exitCode: result.exitCode ?? 1, ...JSON.parse(result.stdout || '{}') };
}
