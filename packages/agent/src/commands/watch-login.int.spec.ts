import { appendFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ingest } from '@ccsync/ingest';
import { openTestSocket, useTestNamespace, waitFor } from '@ccsync/testkit';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN as BIN, startTestStack, type TestStack } from '../test-stack.ts';

const ns = useTestNamespace();
let stack: TestStack;
let ingest: Ingest;
let root: string;

beforeAll(async () => {
  stack = await startTestStack(ns);
  ingest = stack.ingest;
  root = await mkdtemp(join(tmpdir(), 'ccsync-watch-'));
});
afterAll(() => stack?.close());

const line = (id: string, input: number) =>
  `${JSON.stringify({
    type: 'assistant',
    timestamp: '2026-11-20T10:00:00.000Z',
    sessionId: 'watch',
    requestId: `req_${id}`,
    message: { id: `msg_${id}`, model: 'claude-opus-4-6', usage: { input_tokens: input, output_tokens: 1 } },
  })}\n`;

const serverUsage = (device: string) => stack.serverUsage(device);

async function claudeDir(name: string): Promise<{ dir: string; transcript: string }> {
  const dir = join(root, name, 'claude');
  await mkdir(join(dir, 'projects', 'p'), { recursive: true });
  return { dir, transcript: join(dir, 'projects', 'p', 'session.jsonl') };
}

/** `ccsync watch` as a device, with its own Claude and state directories. */
const startWatch = (device: string, dir: string, flags: string[] = []) =>
  execa(
    'node',
    [
      BIN,
      'watch',
      '--ingest',
      ingest.url,
      ...flags,
      '--token',
      ns.adminToken,
      '--device',
      device,
      '--claude-dir',
      dir,
      '--state-dir',
      join(root, device, 'state'),
    ],
    // Judged by its exit code after SIGTERM: not killed when a loaded machine makes it slow to stop.
    { preferLocal: true, reject: false, forceKillAfterDelay: false },
  );

describe('ccsync watch', () => {
  it('pushes a new line within a second, sends heartbeats, and stops cleanly on SIGTERM', async () => {
    const nc = await connect({ servers: ns.natsUrl });
    const heartbeats: unknown[] = [];
    nc.subscribe(ns.names.allPresenceSubjects, {
      callback: (_error, message) => {
        heartbeats.push(message.json());
      },
    });
    await nc.flush();
    const { dir, transcript } = await claudeDir('watcher');
    await writeFile(transcript, line('w0', 5));
    const watch = startWatch('watcher', dir);
    await waitFor(async () => (await serverUsage('watcher'))?.entries === 1, { timeoutMs: 15_000 });

    // Within a second of the write, the line is stored in the history (what the agent controls);
    // the views follow.
    const jsm = await jetstreamManager(nc);
    const stored = async () => (await jsm.streams.info(ns.names.eventStream)).state.messages;
    const before = await stored();
    const written = Date.now();
    await appendFile(transcript, line('w1', 7));
    await waitFor(async () => (await stored()) > before, { timeoutMs: 5000, intervalMs: 10 });
    expect(Date.now() - written).toBeLessThan(1000);
    await waitFor(async () => (await serverUsage('watcher'))?.entries === 2, { timeoutMs: 5000 });
    expect(await serverUsage('watcher')).toMatchObject({ entries: 2, inputTokens: 12 });

    expect(await waitFor(() => heartbeats[0])).toMatchObject({ account: 'default', device: 'watcher' });
    await nc.close();

    watch.kill('SIGTERM');
    expect((await watch).exitCode).toBe(0);
  });

  it('pushes when asked over the gateway socket, and answers the sync request', async () => {
    const { dir, transcript } = await claudeDir('syncer');
    await writeFile(transcript, line('s0', 3));
    const dashboard = await openTestSocket(`${stack.gateway.url.replace(/^http/, 'ws')}/ws?token=${ns.adminToken}`);
    dashboard.send({ type: 'subscribe', channels: ['sync'] });
    await dashboard.next((message) => message.type === 'subscribed');
    const watch = startWatch('syncer', dir, ['--gateway', stack.gateway.url]);
    let output = '';
    watch.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    // The first push is over once watch says so (the server may hold the entry a moment earlier):
    // a request before that would be answered with the first push's records.
    await waitFor(() => output.includes('1 stored on the server'), { timeoutMs: 15_000 });
    expect((await serverUsage('syncer'))?.entries).toBe(1);
    // Until the agent's socket is subscribed, a request would reach nobody: ask until one is answered.
    const answered = await waitFor(
      async () => {
        const response = await fetch(`${stack.gateway.url}/api/usage/sync`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${ns.adminToken}` },
        });
        expect(response.status).toBe(202);
        const { requestId } = (await response.json()) as { requestId: string };
        return dashboard
          .next(
            (message) =>
              message.type === 'sync_status' &&
              (message.payload as { requestId: string; state: string }).requestId === requestId &&
              (message.payload as { state: string }).state !== 'requested',
            1000,
          )
          .catch(() => undefined);
      },
      { timeoutMs: 15_000, description: 'an answered sync request' },
    );
    // Everything was already pushed: the sync sent nothing more, and said so.
    expect(answered).toMatchObject({ channel: 'sync', payload: { state: 'done', device: 'syncer', records: 0 } });
    await dashboard.close();
    watch.kill('SIGTERM');
    expect((await watch).exitCode).toBe(0);
  });
});

describe('ccsync login', () => {
  it('registers the device with an admin token, keeps a device token and a viewer token, and later commands use them', async () => {
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
      device: 'logged-in',
      access: 'push and read',
    });
    const stored = join(config, 'ccsync', 'config.json');
    const saved = JSON.parse(await readFile(stored, 'utf8'));
    expect(saved).toEqual({
      ingestUrl: ingest.url,
      token: expect.stringMatching(/^ccs_/),
      readToken: expect.stringMatching(/^ccs_/),
      device: 'logged-in',
    });
    expect((await stat(stored)).mode & 0o777).toBe(0o600);
    const whoami = async (token: string) =>
      (await fetch(`${ingest.url}/v1/whoami`, { headers: { authorization: `Bearer ${token}` } })).json();
    // The admin token itself is not kept: one token pushes as this device, the other only reads.
    expect(await whoami(saved.token)).toEqual({ account: 'default', scope: 'device', device: 'logged-in' });
    expect(await whoami(saved.readToken)).toMatchObject({ account: 'default', scope: 'viewer' });

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

  it('keeps a viewer token as a read-only install', async () => {
    const config = join(root, 'xdg-config-viewer');
    const issued = await fetch(`${ingest.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ns.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'viewer' }),
    });
    const viewer = ((await issued.json()) as { token: string }).token;
    const login = await execa('node', [BIN, 'login', ingest.url, '--token', viewer, '--device', 'watcher', '--json'], {
      preferLocal: true,
      env: { XDG_CONFIG_HOME: config },
    });
    expect(JSON.parse(login.stdout)).toMatchObject({ access: 'read-only' });
    const saved = JSON.parse(await readFile(join(config, 'ccsync', 'config.json'), 'utf8'));
    expect(saved).toEqual({ ingestUrl: ingest.url, readToken: viewer, device: 'watcher' });
  });
});
