import { DeviceUsage } from '@ccsync/contracts';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { type Projector, ProjectorEnv, startProjector } from '@ccsync/projector';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import type { TestNamespace } from '@ccsync/testkit';
import { type Gateway, startGateway } from './app.ts';
import { GatewayEnv } from './config.ts';

/** Ingest, projector and gateway in this process, in the test file's namespace: for tests only. */
export interface TestStack {
  readonly ingest: Ingest;
  readonly gateway: Gateway;
  /** POSTs JSON to ingest (accounts, tokens, devices, usage) and returns the reply; fails the test on 4xx/5xx. */
  post(path: string, token: string, body: unknown): Promise<unknown>;
  /** A device's totals as the gateway serves them, or undefined before it has any. */
  serverUsage(device: string): Promise<DeviceUsage | undefined>;
  close(): Promise<void>;
}

/**
 * `env` overrides the namespace's environment for all three, e.g. a NATS_URL of the test's own
 * server; `projectors` replicas share the projection, as they would behind one deployment.
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
    async post(path, token, body) {
      const response = await fetch(`${ingest.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status >= 300) throw new Error(`POST ${path} answered ${response.status}: ${await response.text()}`);
      return response.json();
    },
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
