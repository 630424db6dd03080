import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './local-servers.ts';
import { waitFor } from './wait-for.ts';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export type ServiceName = 'ingest' | 'gateway' | 'scheduler' | 'projector';

const PORT_VARIABLE: Record<ServiceName, string> = {
  ingest: 'INGEST_PORT',
  gateway: 'GATEWAY_PORT',
  scheduler: 'SCHEDULER_PORT',
  projector: 'PROJECTOR_PORT',
};

/** A service running as its own process, exactly as `npm start -w @ccsync/<name>` runs it. */
export interface ServiceProcess {
  readonly name: ServiceName;
  readonly url: string;
  /** Everything the process wrote, for assertions and for diagnosing a failure. */
  readonly output: () => string;
  /** Sends a signal and resolves with the exit code (null when killed by a signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServiceProcess(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  let output = '';
  const child: ResultPromise = execa('node', ['--import', 'tsx', join('services', name, 'src', 'main.ts')], {
    cwd: REPO_ROOT,
    preferLocal: true,
    reject: false,
    stdin: 'ignore',
    buffer: false,
    env: { ...env, [PORT_VARIABLE[name]]: String(port) },
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let exitCode: number | null | undefined;
  const exited = child.then((result) => {
    exitCode = result.exitCode ?? null;
    return exitCode;
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (exitCode !== undefined) throw new Error(`${name} exited with ${exitCode}:\n${output}`);
      return (await fetch(`${url}/ready`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 30_000, intervalMs: 100, description: `${name} to be ready` },
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    name,
    url,
    output: () => output,
    stop: async (signal = 'SIGTERM') => {
      child.kill(signal);
      return exited;
    },
  };
}
