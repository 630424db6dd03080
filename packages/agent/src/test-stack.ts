import { fileURLToPath } from 'node:url';
import { DeviceUsage } from '@ccsync/contracts';
import { type Gateway, GatewayEnv, startGateway } from '@ccsync/gateway';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { type Projector, ProjectorEnv, startProjector } from '@ccsync/projector';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import type { TestNamespace } from '@ccsync/testkit';
import { execa } from 'execa';

/** The agent's binary, run by tests exactly as users run it. */
export const AGENT_BIN = fileURLToPath(new URL('../bin/ccsync.js', import.meta.url));

/** Ingest, projector and gateway in this process, in the test file's namespace. */
export interface TestStack {
  readonly ingest: Ingest;
  readonly gateway: Gateway;
  /** A device's totals as the gateway serves them, or undefined before it has any. */
  serverUsage(device: string): Promise<DeviceUsage | undefined>;
  close(): Promise<void>;
}

/**
 * `env` overrides the namespace's environment, e.g. a NATS_URL of the test's own server;
 * `projectors` replicas share the projection, as they would behind one deployment.
 */
export async function startTestStack(
  ns: TestNamespace,
  env: Record<string, string> = {},
  projectors = 1,
): Promise<TestStack> {
  const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
  const ingest: Ingest = await startIngest(parseEnv(IngestEnv, ns.env({ ...env, INGEST_PORT: '0' })), logger);
  const replicas: Projector[] = [];
  for (let replica = 0; replica < projectors; replica++) {
    replicas.push(await startProjector(parseEnv(ProjectorEnv, ns.env({ ...env, PROJECTOR_PORT: '0' })), logger));
  }
  const gateway: Gateway = await startGateway(parseEnv(GatewayEnv, ns.env({ ...env, GATEWAY_PORT: '0' })), logger);
  return {
    ingest,
    gateway,
    async serverUsage(device) {
      const response = await fetch(`${gateway.url}/api/usage/${device}`, {
        headers: { authorization: `Bearer ${ns.adminToken}` },
      });
      return response.status === 200 ? DeviceUsage.parse(await response.json()) : undefined;
    },
    async close() {
      await Promise.all([gateway.close(), ingest.close(), ...replicas.map((replica) => replica.close())]);
    },
  };
}

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
