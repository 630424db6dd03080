import { appendFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceUsage } from '@ccsync/contracts';
import { type Gateway, GatewayEnv, startGateway } from '@ccsync/gateway';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { type Projector, ProjectorEnv, startProjector } from '@ccsync/projector';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { useTestNamespace, waitFor } from '@ccsync/testkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const BIN = fileURLToPath(new URL('../../bin/ccsync.js', import.meta.url));
let ingest: Ingest;
let projector: Projector;
let gateway: Gateway;
let root: string;

beforeAll(async () => {
  ingest = await startIngest(parseEnv(IngestEnv, ns.env({ INGEST_PORT: '0' })), logger);
  projector = await startProjector(parseEnv(ProjectorEnv, ns.env({ PROJECTOR_PORT: '0' })), logger);
  gateway = await startGateway(parseEnv(GatewayEnv, ns.env({ GATEWAY_PORT: '0' })), logger);
  root = await mkdtemp(join(tmpdir(), 'ccsync-watch-'));
});
afterAll(async () => {
  await Promise.all([gateway?.close(), projector?.close(), ingest?.close()]);
});

const line = (id: string, input: number) =>
  `${JSON.stringify({
    type: 'assistant',
    timestamp: '2026-11-20T10:00:00.000Z',
    sessionId: 'watch',
    requestId: `req_${id}`,
    message: { id: `msg_${id}`, model: 'claude-opus-4-6', usage: { input_tokens: input, output_tokens: 1 } },
  })}\n`;

const serverUsage = async (device: string) => {
  const response = await fetch(`${gateway.url}/api/usage/${device}`, {
    headers: { authorization: `Bearer ${ns.adminToken}` },
  });
  return response.status === 200 ? DeviceUsage.parse(await response.json()) : undefined;
};

async function claudeDir(name: string): Promise<{ dir: string; transcript: string }> {
  const dir = join(root, name, 'claude');
  await mkdir(join(dir, 'projects', 'p'), { recursive: true });
  return { dir, transcript: join(dir, 'projects', 'p', 'session.jsonl') };
}

describe('ccsync watch', () => {
  it('pushes a new line within a second, and stops cleanly on SIGTERM', async () => {
    const { dir, transcript } = await claudeDir('watcher');
    await writeFile(transcript, line('w0', 5));
    const watch = execa(
      'node',
      [
        BIN,
        'watch',
        '--ingest',
        ingest.url,
        '--token',
        ns.adminToken,
        '--device',
        'watcher',
        '--claude-dir',
        dir,
        '--state-dir',
        join(root, 'watcher', 'state'),
      ],
      { preferLocal: true, reject: false },
    );
    await waitFor(async () => (await serverUsage('watcher'))?.entries === 1, { timeoutMs: 15_000 });

    const written = Date.now();
    await appendFile(transcript, line('w1', 7));
    await waitFor(async () => (await serverUsage('watcher'))?.entries === 2, { timeoutMs: 5000, intervalMs: 10 });
    expect(Date.now() - written).toBeLessThan(1000);
    expect(await serverUsage('watcher')).toMatchObject({ entries: 2, inputTokens: 12 });

    watch.kill('SIGTERM');
    expect((await watch).exitCode).toBe(0);
  });
});

describe('ccsync login', () => {
  it('checks the token with the server, stores it privately, and later commands use it', async () => {
    const config = join(root, 'xdg-config');
    const env = { XDG_CONFIG_HOME: config };
    const refused = await execa('node', [BIN, 'login', ingest.url, '--token', 'not-a-token'], {
      preferLocal: true,
      reject: false,
      env,
    });
    expect(refused.exitCode).toBe(4);

    const login = await execa(
      'node',
      [BIN, 'login', ingest.url, '--token', ns.adminToken, '--device', 'logged-in', '--json'],
      {
        preferLocal: true,
        env,
      },
    );
    expect(JSON.parse(login.stdout)).toMatchObject({
      ingestUrl: ingest.url,
      account: 'default',
      scope: 'admin',
      device: 'logged-in',
    });
    const stored = join(config, 'ccsync', 'config.json');
    expect(JSON.parse(await readFile(stored, 'utf8'))).toEqual({
      ingestUrl: ingest.url,
      token: ns.adminToken,
      device: 'logged-in',
    });
    expect((await stat(stored)).mode & 0o777).toBe(0o600);

    const { dir, transcript } = await claudeDir('logged-in');
    await writeFile(transcript, line('l0', 3));
    const push = await execa(
      'node',
      [BIN, 'push', '--claude-dir', dir, '--state-dir', join(root, 'logged-in', 'state'), '--json'],
      {
        preferLocal: true,
        env,
      },
    );
    expect(JSON.parse(push.stdout)).toMatchObject({ device: 'logged-in', acknowledged: 1 });
    await waitFor(async () => (await serverUsage('logged-in'))?.entries === 1);
  });
});
