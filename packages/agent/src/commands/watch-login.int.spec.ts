import { appendFile, mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ingest } from '@ccsync/ingest';
import { useTestNamespace, waitFor } from '@ccsync/testkit';
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
});

describe('ccsync login', () => {
  it('registers the device with an admin token, keeps only the device token, and later commands use it', async () => {
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
    expect(JSON.parse(login.stdout)).toMatchObject({ ingestUrl: ingest.url, account: 'default', device: 'logged-in' });
    const stored = join(config, 'ccsync', 'config.json');
    const saved = JSON.parse(await readFile(stored, 'utf8'));
    expect(saved).toEqual({ ingestUrl: ingest.url, token: expect.stringMatching(/^ccs_/), device: 'logged-in' });
    expect((await stat(stored)).mode & 0o777).toBe(0o600);
    const whoami = await fetch(`${ingest.url}/v1/whoami`, { headers: { authorization: `Bearer ${saved.token}` } });
    expect(await whoami.json()).toEqual({ account: 'default', scope: 'device', device: 'logged-in' });

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
