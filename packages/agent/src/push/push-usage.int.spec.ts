import { appendFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ingest } from '@ccsync/ingest';
import { freePort, useTestNamespace, waitFor } from '@ccsync/testkit';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../errors.ts';
import { AGENT_BIN as BIN, startTestStack, type TestStack } from '../test-stack.ts';

/*
 * The agent as users run it: the real `ccsync` binary against a real ingest, projector and
 * gateway, reading transcripts written the way Claude Code writes them.
 */
const ns = useTestNamespace();
let stack: TestStack;
let ingest: Ingest;
let root: string;

beforeAll(async () => {
  stack = await startTestStack(ns);
  ingest = stack.ingest;
  root = await mkdtemp(join(tmpdir(), 'ccsync-agent-'));
});
afterAll(() => stack?.close());

interface Message {
  readonly id: string;
  readonly input: number;
  readonly output: number;
  readonly timestamp?: string;
}

/** One assistant line, as Claude Code writes it: compact JSON, one object per line. */
function transcriptLine({ id, input, output, timestamp = '2026-11-20T10:00:00.000Z' }: Message): string {
  return `${JSON.stringify({
    type: 'assistant',
    timestamp,
    sessionId: 'session-1',
    requestId: `req_${id}`,
    message: {
      id: `msg_${id}`,
      model: 'claude-sonnet-4-5-20250929',
      usage: { input_tokens: input, output_tokens: output },
    },
  })}\n`;
}

/** A fresh device: its own Claude data directory and agent state directory. */
async function device(name: string) {
  const claudeDir = join(root, name, 'claude');
  const stateDir = join(root, name, 'state');
  await mkdir(join(claudeDir, 'projects', '-home-me-repo'), { recursive: true });
  const transcript = (session: string) => join(claudeDir, 'projects', '-home-me-repo', `${session}.jsonl`);
  const run = (args: string[], ingestUrl = ingest.url, env: Record<string, string> = {}) =>
    execa(
      'node',
      [
        BIN,
        ...args,
        '--ingest',
        ingestUrl,
        '--token',
        ns.adminToken,
        '--device',
        name,
        '--claude-dir',
        claudeDir,
        '--state-dir',
        stateDir,
        '--json',
      ],
      {
        preferLocal: true,
        reject: false,
        env: { NO_COLOR: '1', ...env },
      },
    );
  const push = async (ingestUrl?: string, env?: Record<string, string>) => {
    const result = await run(['push'], ingestUrl, env);
    return {
      exitCode: result.exitCode,
      stderr: result.stderr,
      json: result.stdout ? JSON.parse(result.stdout) : undefined,
    };
  };
  const serverUsage = () => stack.serverUsage(name);
  return { name, claudeDir, stateDir, transcript, run, push, serverUsage };
}

const messages = (prefix: string, count: number): Message[] =>
  Array.from({ length: count }, (_, index) => ({ id: `${prefix}-${index}`, input: 100 + index, output: 10 + index }));
const sum = (list: Message[]) => ({
  entries: list.length,
  inputTokens: list.reduce((total, message) => total + message.input, 0),
  outputTokens: list.reduce((total, message) => total + message.output, 0),
});

describe('ccsync push', () => {
  it('pushes every usage line once, and the server totals equal the transcripts', async () => {
    const laptop = await device('laptop');
    const first = messages('a', 30);
    const second = messages('b', 12);
    await writeFile(laptop.transcript('s1'), `{"type":"user","message":"hi"}\n${first.map(transcriptLine).join('')}`);
    await writeFile(laptop.transcript('s2'), second.map(transcriptLine).join(''));

    const result = await laptop.push();
    expect(result).toMatchObject({
      exitCode: 0,
      json: { filesRead: 2, entriesRead: 42, acknowledged: 42, spooled: 0 },
    });
    const usage = await waitFor(async () => {
      const current = await laptop.serverUsage();
      return current?.entries === 42 ? current : undefined;
    });
    expect(usage).toMatchObject(sum([...first, ...second]));
  });

  it('reads only new lines on the next run, and leaves a half-written line for later', async () => {
    const desktop = await device('desktop');
    const initial = messages('c', 5);
    await writeFile(desktop.transcript('s1'), initial.map(transcriptLine).join(''));
    expect((await desktop.push()).json).toMatchObject({ entriesRead: 5 });

    const appended = messages('d', 3);
    const last = transcriptLine({ id: 'e-0', input: 7, output: 7 });
    await appendFile(desktop.transcript('s1'), appended.map(transcriptLine).join('') + last.slice(0, 40));
    expect((await desktop.push()).json).toMatchObject({ filesRead: 1, entriesRead: 3 });
    // Nothing changed since: the file is not even opened.
    expect((await desktop.push()).json).toMatchObject({ filesRead: 0, entriesRead: 0 });

    await appendFile(desktop.transcript('s1'), last.slice(40));
    expect((await desktop.push()).json).toMatchObject({ filesRead: 1, entriesRead: 1 });
    expect((await desktop.push()).json).toMatchObject({ filesRead: 0, entriesRead: 0 });
    const expected = sum([...initial, ...appended, { id: 'e-0', input: 7, output: 7 }]);
    expect(
      await waitFor(async () => ((await desktop.serverUsage())?.entries === 9 ? desktop.serverUsage() : undefined)),
    ).toMatchObject(expected);
  });

  it('reads a rewritten file again from the start', async () => {
    const box = await device('devbox');
    await writeFile(box.transcript('s1'), messages('f', 4).map(transcriptLine).join(''));
    expect((await box.push()).json).toMatchObject({ entriesRead: 4 });
    await writeFile(box.transcript('s1'), messages('g', 2).map(transcriptLine).join(''));
    expect((await box.push()).json).toMatchObject({ filesRead: 1, entriesRead: 2 });
  });

  it('spools when the server is unreachable, exits 0, and delivers the spool on the next run', async () => {
    const offline = await device('offline');
    const lines = messages('h', 20);
    await writeFile(offline.transcript('s1'), lines.map(transcriptLine).join(''));
    const unreachable = `http://127.0.0.1:${await freePort()}`;

    const away = await offline.push(unreachable);
    expect(away).toMatchObject({ exitCode: 0, json: { entriesRead: 20, acknowledged: 0, spooled: 20 } });
    const status = JSON.parse((await offline.run(['status'])).stdout);
    expect(status).toMatchObject({ spool: { batches: 1, entries: 20 }, lastPush: { entriesSpooled: 20 } });

    // A file in the spool that is not a batch is set aside, never sent and never deleted.
    await writeFile(join(offline.stateDir, 'spool', '000000000000000-garbage.json'), '{"half":');
    const back = await offline.push();
    expect(back).toMatchObject({ exitCode: 0, json: { entriesRead: 0, acknowledged: 20, spooled: 0 } });
    expect(JSON.parse((await offline.run(['status'])).stdout)).toMatchObject({ spool: { batches: 0, entries: 0 } });
    expect(await readFile(join(offline.stateDir, 'spool', 'unreadable', '000000000000000-garbage.json'), 'utf8')).toBe(
      '{"half":',
    );
    expect(
      await waitFor(async () => ((await offline.serverUsage())?.entries === 20 ? offline.serverUsage() : undefined)),
    ).toMatchObject(sum(lines));
  });

  it('sends a batch larger than NATS takes in one message in halves, each entry once', async () => {
    const big = await device('big');
    // 5,000 entries encode to about 1.9 MB, more than NATS's default max_payload of 1 MiB.
    const lines = messages('m', 5000);
    await writeFile(big.transcript('s1'), lines.map(transcriptLine).join(''));

    const result = await big.push(undefined, { CCSYNC_PUSH_BATCH_SIZE: '5000' });
    expect(result).toMatchObject({ exitCode: 0, json: { entriesRead: 5000, acknowledged: 5000, spooled: 0 } });
    const usage = await waitFor(async () => {
      const current = await big.serverUsage();
      return current?.entries === 5000 ? current : undefined;
    });
    expect(usage).toMatchObject(sum(lines));
  });

  it('loses and doubles nothing when killed mid-push and run again', async () => {
    const crashy = await device('crashy');
    const all: Message[] = [];
    for (let file = 0; file < 20; file++) {
      const lines = messages(`k${file}`, 500);
      all.push(...lines);
      await writeFile(crashy.transcript(`s${String(file).padStart(2, '0')}`), lines.map(transcriptLine).join(''));
    }
    const first = crashy.run(['push']);
    // Kill it as soon as the server has stored part of the history, well before the end.
    await waitFor(async () => ((await crashy.serverUsage())?.entries ?? 0) > 0, { timeoutMs: 20_000, intervalMs: 5 });
    first.kill('SIGKILL');
    await first;
    const partial = (await crashy.serverUsage())?.entries ?? 0;
    expect(partial).toBeLessThan(all.length);

    // The killed process's lock on the state directory goes stale, and the next run takes it.
    expect((await crashy.push()).exitCode).toBe(0);
    const usage = await waitFor(async () => {
      const current = await crashy.serverUsage();
      return current?.entries === all.length ? current : undefined;
    });
    expect(usage).toMatchObject(sum(all));
  });

  it('exits with a distinct code for each failure', async () => {
    const misconfigured = await device('misconfigured');
    const noServer = await execa(
      'node',
      [BIN, 'push', '--state-dir', misconfigured.stateDir, '--claude-dir', misconfigured.claudeDir],
      {
        reject: false,
        preferLocal: true,
        env: { CCSYNC_INGEST_URL: '', CCSYNC_TOKEN: '', XDG_CONFIG_HOME: join(root, 'empty-config') },
      },
    );
    expect(noServer.exitCode).toBe(ExitCode.NotConfigured);
    expect(noServer.stderr).toContain('ccsync login');

    await writeFile(misconfigured.transcript('s1'), transcriptLine({ id: 'z', input: 1, output: 1 }));
    const badToken = await execa(
      'node',
      [
        BIN,
        'push',
        '--ingest',
        ingest.url,
        '--token',
        'wrong',
        '--device',
        'x',
        '--claude-dir',
        misconfigured.claudeDir,
        '--state-dir',
        misconfigured.stateDir,
      ],
      {
        reject: false,
        preferLocal: true,
      },
    );
    expect(badToken.exitCode).toBe(ExitCode.AuthRefused);

    const noTranscripts = await execa(
      'node',
      [
        BIN,
        'push',
        '--ingest',
        ingest.url,
        '--token',
        ns.adminToken,
        '--claude-dir',
        join(root, 'nothing-here'),
        '--state-dir',
        misconfigured.stateDir,
      ],
      {
        reject: false,
        preferLocal: true,
      },
    );
    expect(noTranscripts.exitCode).toBe(ExitCode.NoTranscripts);

    const badFlag = await execa('node', [BIN, 'push', '--no-such-flag'], { reject: false, preferLocal: true });
    expect(badFlag.exitCode).toBe(ExitCode.Usage);
  });
});
