import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateAccountReply,
  CronJobListReply,
  CronJobView,
  type CronRun,
  CronRunsReply,
  DeviceUsageReply,
  type DomainEvent,
  decodeEvent,
  ExecuteCronJobReply,
  IssuedToken,
} from '@ccsync/contracts';
import { type Gateway, GatewayEnv, startGateway } from '@ccsync/gateway';
import { type Ingest, IngestEnv, startIngest } from '@ccsync/ingest';
import { type Projector, ProjectorEnv, startProjector } from '@ccsync/projector';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import {
  ccusageBinary,
  expectSameReport,
  generateTranscriptCorpus,
  openTestSocket,
  useTestNamespace,
  waitFor,
  writeTranscriptCorpus,
} from '@ccsync/testkit';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scheduler, startScheduler } from './app.ts';
import { SchedulerEnv } from './config.ts';

/*
 * Jobs through the gateway, run by two scheduler replicas over real NATS and Redis: each tick once,
 * results as CronJobExecuted events in the history and on the `cron` channel, programs run without
 * a shell and within their limits, and a ccusage job's snapshot equal to what ccusage reports.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const FAKE_CLAUDE = fileURLToPath(new URL('../test/fake-claude.mjs', import.meta.url));
let ingest: Ingest;
let projector: Projector;
let gateway: Gateway;
let schedulers: Scheduler[];
let nc: NatsConnection;
let root: string;
let corpusDirs: string[];
const operator = { authorization: `Bearer ${ns.adminToken}` };
let admin: Record<string, string>;
let viewer: Record<string, string>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ccsync-scheduler-'));
  corpusDirs = await writeTranscriptCorpus(
    generateTranscriptCorpus({ seed: 8, devices: 1, sessionsPerDevice: 4 }),
    root,
  );
  const env = ns.env({
    INGEST_PORT: '0',
    GATEWAY_PORT: '0',
    SCHEDULER_PORT: '0',
    PROJECTOR_PORT: '0',
    GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
    INGEST_RATE_LIMIT_PER_MINUTE: '0',
    CCUSAGE_PATH: await ccusageBinary(),
    CLAUDE_CODE_PATH: FAKE_CLAUDE,
    CLAUDE_CONFIG_DIR: corpusDirs.join(','),
    SCHEDULER_DEVICE: 'server-box',
    SCHEDULER_WORK_DIR: join(root, 'work'),
    SCHEDULER_DEFAULT_JOBS: 'false',
    SCHEDULER_LEASE_SECONDS: '1',
    SCHEDULER_WEBHOOK_HOSTS: '127.0.0.1',
  });
  ingest = await startIngest(parseEnv(IngestEnv, env), logger);
  projector = await startProjector(parseEnv(ProjectorEnv, env), logger);
  gateway = await startGateway(parseEnv(GatewayEnv, env), logger);
  schedulers = await Promise.all([1, 2].map(() => startScheduler(parseEnv(SchedulerEnv, env), logger)));
  nc = await connect({ servers: ns.natsUrl });
  const account = await fetch(`${ingest.url}/v1/accounts`, {
    method: 'POST',
    headers: { ...operator, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'team' }),
  });
  const adminToken = CreateAccountReply.parse(await account.json()).adminToken.token;
  admin = { authorization: `Bearer ${adminToken}` };
  const issued = await fetch(`${ingest.url}/v1/tokens`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ scope: 'viewer' }),
  });
  viewer = { authorization: `Bearer ${IssuedToken.parse(await issued.json()).token}` };
}, 120_000);
afterAll(async () => {
  await nc?.close();
  await Promise.all((schedulers ?? []).map((scheduler) => scheduler.close()));
  await gateway?.close();
  await projector?.close();
  await ingest?.close();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
  fetch(`${gateway.url}${path}`, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

async function createJob(
  body: Record<string, unknown>,
  headers: Record<string, string> = operator,
): Promise<CronJobView> {
  const response = await call('POST', '/api/cron/jobs', headers, body);
  expect(response.status, await response.clone().text()).toBe(201);
  return CronJobView.parse(await response.json());
}

async function runs(job: string, headers: Record<string, string> = operator): Promise<CronRun[]> {
  const response = await call('GET', `/api/cron/jobs/${job}/runs?limit=200`, headers);
  expect(response.status).toBe(200);
  return CronRunsReply.parse(await response.json()).runs;
}

/** Every CronJobExecuted event in the history, read straight from JetStream. */
async function executedEvents(): Promise<DomainEvent<'CronJobExecuted'>[]> {
  const consumer = await jetstream(nc).consumers.get(ns.names.eventStream, {
    filter_subjects: ns.names.eventsOfType('CronJobExecuted'),
  });
  const events: DomainEvent<'CronJobExecuted'>[] = [];
  const pending = (await consumer.info()).num_pending;
  if (pending === 0) return events;
  const messages = await consumer.fetch({ max_messages: pending, expires: 5000 });
  for await (const message of messages) {
    const decoded = decodeEvent(message.json());
    if (decoded.ok && decoded.event.type === 'CronJobExecuted') events.push(decoded.event);
    if (events.length === pending) break;
  }
  return events;
}

describe('a job created through the gateway', () => {
  it('runs on schedule on one of two replicas per tick, and its event reaches the cron channel', async () => {
    const socket = await openTestSocket(`${gateway.url.replace('http', 'ws')}/ws`, operator);
    socket.send({ type: 'subscribe', channels: ['cron'] });
    await socket.next((message) => message.type === 'subscribed');

    const job = await createJob({ name: 'every-second', schedule: '* * * * * *', command: 'claude -p "hello there"' });
    expect(job).toMatchObject({ kind: 'claude', args: { prompt: 'hello there' }, enabled: true, retries: 0 });
    expect(Date.parse(job.nextRunAt ?? '')).toBeGreaterThan(Date.now() - 1000);

    const seen = await waitFor(
      async () => ((await runs('every-second')).length >= 4 ? runs('every-second') : undefined),
      {
        timeoutMs: 20_000,
      },
    );
    // Stop it before counting, so no tick is half-recorded.
    expect((await call('PUT', '/api/cron/jobs/every-second', operator, { enabled: false })).status).toBe(200);

    const latest = seen[0] as CronRun;
    expect(latest).toMatchObject({ job: 'every-second', kind: 'claude', trigger: 'schedule', status: 'succeeded' });
    expect(latest.exitCode).toBe(0);
    expect(latest.usage).toEqual({
      inputTokens: 10,
      outputTokens: 20,
      cacheCreationTokens: 30,
      cacheReadTokens: 40,
      totalTokens: 100,
      totalCost: 0.0123,
    });
    // Scheduled on whole seconds, and started at or after that time.
    expect(Date.parse(latest.scheduledAt) % 1000).toBe(0);
    expect(Date.parse(latest.startedAt)).toBeGreaterThanOrEqual(Date.parse(latest.scheduledAt));

    // The program got an argument array, its own folder and a clean environment.
    const { result } = JSON.parse(latest.stdout) as { result: string };
    const seenByProgram = JSON.parse(result) as { args: string[]; env: string[]; cwd: string };
    expect(seenByProgram.args).toEqual(['-p', 'hello there', '--output-format', 'json']);
    expect(seenByProgram.cwd).toBe(join(root, 'work', 'default', 'every-second'));
    expect(seenByProgram.env.filter((name) => /TOKEN|NATS|REDIS|CCSYNC/.test(name))).toEqual([]);

    // Each scheduled time ran exactly once across both replicas: one event each, and the program
    // ran as often as there are events (a run's event id is its run key, so the history alone
    // would hide a second execution).
    const events = (await executedEvents()).filter((event) => event.data.job === 'every-second');
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(new Set(events.map((event) => event.data.runId)).size).toBe(events.length);
    expect(new Set(events.map((event) => event.data.scheduledAt)).size).toBe(events.length);
    const invocations = async () =>
      (await readFile(join(root, 'work', 'default', 'every-second', 'invocations'), 'utf8')).split('\n').length - 1;
    const recorded = await waitFor(async () => {
      const all = (await executedEvents()).filter((event) => event.data.job === 'every-second').length;
      return all === (await invocations()) ? all : undefined;
    });
    expect(recorded).toBeGreaterThanOrEqual(events.length);

    // The cron channel carried the latest run with the sequence the views have.
    const pushed = await socket.next<{ payload: CronRun }>(
      (message) => message.type === 'cron_job_executed' && (message.payload as CronRun).runId === latest.runId,
    );
    expect(pushed.payload.seq).toBe(latest.seq);
    await socket.close();
  });

  it('is listed, read, changed and deleted through the gateway', async () => {
    await createJob({
      name: 'morning-prompt',
      schedule: '0 0 9 * * MON-FRI',
      timezone: 'Europe/Berlin',
      kind: 'claude',
      args: { prompt: 'start the block', model: 'sonnet' },
    });
    const list = CronJobListReply.parse(await (await call('GET', '/api/cron/jobs', operator)).json());
    expect(list.jobs.map((job) => job.name)).toContain('morning-prompt');
    const read = CronJobView.parse(await (await call('GET', '/api/cron/jobs/morning-prompt', operator)).json());
    // 09:00 in Berlin is 07:00 or 08:00 UTC, on a weekday.
    const next = new Date(read.nextRunAt ?? '');
    expect([7, 8]).toContain(next.getUTCHours());
    expect([1, 2, 3, 4, 5]).toContain(next.getUTCDay());

    const changed = await call('PUT', '/api/cron/jobs/morning-prompt', operator, {
      timeoutSeconds: 60,
      timezone: null,
    });
    expect(changed.status).toBe(200);
    const updated = CronJobView.parse(await changed.json());
    expect(updated).toMatchObject({ timeoutSeconds: 60, args: { prompt: 'start the block', model: 'sonnet' } });
    expect(updated.timezone).toBeUndefined();

    expect((await call('POST', '/api/cron/jobs', operator, { ...updated, nextRunAt: undefined })).status).toBe(400);
    const duplicate = await call('POST', '/api/cron/jobs', operator, {
      name: 'morning-prompt',
      schedule: '* * * * *',
      kind: 'sync',
    });
    expect(duplicate.status).toBe(409);

    expect((await call('DELETE', '/api/cron/jobs/morning-prompt', operator)).status).toBe(204);
    expect((await call('GET', '/api/cron/jobs/morning-prompt', operator)).status).toBe(404);
    expect((await call('DELETE', '/api/cron/jobs/morning-prompt', operator)).status).toBe(404);
  });
});

describe('limits', () => {
  it('kills a hanging job at its timeout, even one that ignores SIGTERM', async () => {
    await createJob({
      name: 'hangs',
      schedule: '0 0 1 1 *',
      kind: 'claude',
      args: { prompt: 'hang' },
      timeoutSeconds: 1,
    });
    const response = await call('POST', '/api/cron/jobs/hangs/execute?wait=true', operator);
    expect(response.status).toBe(200);
    const { result } = ExecuteCronJobReply.parse(await response.json());
    expect(result).toMatchObject({ status: 'timed_out', trigger: 'manual', error: 'stopped after its timeout of 1 s' });
    expect(result?.durationMs).toBeGreaterThanOrEqual(1000);
    const pid = Number(await readFile(join(root, 'work', 'default', 'hangs', 'hang.pids'), 'utf8'));
    expect(() => process.kill(pid, 0)).toThrow(/ESRCH/);
  });

  it('skips ticks that come while the previous run is still going, and says so', async () => {
    await createJob({
      name: 'slow',
      schedule: '* * * * * *',
      kind: 'claude',
      args: { prompt: 'hang' },
      timeoutSeconds: 2,
    });
    const seen = await waitFor(async () => {
      const all = await runs('slow');
      return all.some((run) => run.status === 'skipped') && all.some((run) => run.status === 'timed_out')
        ? all
        : undefined;
    });
    expect((await call('DELETE', '/api/cron/jobs/slow', operator)).status).toBe(204);
    const skipped = seen.find((run) => run.status === 'skipped');
    expect(skipped).toMatchObject({ error: 'the previous run was still going', exitCode: null, trigger: 'schedule' });
    // Only one run at a time got to start the program.
    const started = seen.filter((run) => run.status !== 'skipped');
    for (const [later, earlier] of started.slice(0, -1).map((run, at) => [run, started[at + 1]] as const)) {
      expect(Date.parse(later.startedAt)).toBeGreaterThanOrEqual(Date.parse(earlier?.finishedAt ?? ''));
    }
  });

  it('stops a job that writes more than its output cap and keeps only the cap', async () => {
    await createJob({ name: 'floods', schedule: '0 0 1 1 *', kind: 'claude', args: { prompt: 'flood' } });
    const response = await call('POST', '/api/cron/jobs/floods/execute?wait=true', operator);
    const { result } = ExecuteCronJobReply.parse(await response.json());
    expect(result).toMatchObject({ status: 'failed', outputTruncated: true });
    expect(Buffer.byteLength(result?.stdout ?? '')).toBeLessThanOrEqual(65_536);
  });
});

describe('commands that would need a shell', () => {
  it.each([
    ['a command chained with ;', 'ccusage daily; rm -rf /'],
    ['a command substitution', 'claude -p "$(cat /etc/passwd)"'],
    ['backticks', 'claude -p "`id`"'],
    ['a pipe', 'ccusage daily | sh'],
    ['a redirect', 'ccusage daily > /etc/motd'],
    ['an absolute path outside the allow-list', '/bin/sh -c id'],
    ['ccusage by another path', '/tmp/ccusage daily'],
    ['another program', 'rm -rf /'],
    ['a flag that is not allowed', 'claude -p "hi" --dangerously-skip-permissions'],
    ['a report that is not collected', 'ccusage monthly'],
  ])('refuses %s with 400, and creates nothing', async (_what, command) => {
    const response = await call('POST', '/api/cron/jobs', operator, {
      name: 'hostile',
      schedule: '* * * * *',
      command,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'CCSYNC_VALIDATION' });
    expect((await call('GET', '/api/cron/jobs/hostile', operator)).status).toBe(404);
  });

  it('refuses an invalid cron expression, timezone or argument with 400', async () => {
    for (const body of [
      { name: 'bad', schedule: '61 * * * *', kind: 'sync' },
      { name: 'bad', schedule: 'every day', kind: 'sync' },
      { name: 'bad', schedule: '* * * * *', timezone: 'Mars/Base', kind: 'sync' },
      { name: 'bad', schedule: '* * * * *', kind: 'claude', args: { prompt: '' } },
      { name: 'bad', schedule: '* * * * *', kind: 'claude', args: { prompt: 'x', flags: ['--yolo'] } },
      { name: 'Bad Name', schedule: '* * * * *', kind: 'sync' },
      { name: 'bad', schedule: '* * * * *', kind: 'webhook', args: { url: 'http://169.254.169.254/' } },
    ]) {
      const response = await call('POST', '/api/cron/jobs', operator, body);
      expect(response.status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('a ccusage job', () => {
  it('records the snapshot that ccusage reports for the transcripts', async () => {
    await createJob({ name: 'collect', schedule: '*/5 * * * *', command: 'ccusage daily --offline -z UTC' });
    const response = await call('POST', '/api/usage/ccusage?wait=true', operator);
    expect(response.status).toBe(200);
    const { result } = ExecuteCronJobReply.parse(await response.json());
    expect(result).toMatchObject({ job: 'collect', kind: 'ccusage', status: 'succeeded', exitCode: 0 });

    const oracle = await execa(await ccusageBinary(), ['claude', 'daily', '--json', '--offline', '--timezone', 'UTC'], {
      cwd: root,
      extendEnv: false,
      env: { PATH: process.env.PATH ?? '', HOME: root, CLAUDE_CONFIG_DIR: corpusDirs.join(',') },
    });
    const report = JSON.parse(oracle.stdout) as { totals: Record<string, number> };
    expect(report.totals.totalTokens).toBeGreaterThan(0);
    expect(result?.usage).toEqual({
      inputTokens: report.totals.inputTokens,
      outputTokens: report.totals.outputTokens,
      cacheCreationTokens: report.totals.cacheCreationTokens,
      cacheReadTokens: report.totals.cacheReadTokens,
      totalTokens: report.totals.totalTokens,
      totalCost: report.totals.totalCost,
    });

    // The snapshot event holds ccusage's report as it printed it.
    const consumer = await jetstream(nc).consumers.get(ns.names.eventStream, {
      filter_subjects: ns.names.eventsOfType('UsageSnapshotRecorded'),
    });
    const stored = decodeEvent((await consumer.next({ expires: 5000 }))?.json());
    expect(stored.ok && stored.event.id).toBe(result?.snapshotEventId);
    expect(stored.ok && stored.event.device).toBe('server-box');
    expectSameReport(stored.ok && stored.event.type === 'UsageSnapshotRecorded' && stored.event.data.report, report);

    // And the device shows those totals, from the snapshot, once the projector has it.
    const device = await waitFor(async () => {
      const read = await call('GET', '/api/usage/server-box', operator);
      return read.status === 200 ? DeviceUsageReply.parse(await read.json()) : undefined;
    });
    expect(device.totalTokens).toBe(report.totals.totalTokens);
    expect(device.totalCost).toBeCloseTo(report.totals.totalCost ?? Number.NaN, 9);
  });
});

describe('who may do what', () => {
  it('refuses viewers, keeps accounts apart, and keeps the server programs to the operator', async () => {
    expect((await call('GET', '/api/cron/jobs', viewer)).status).toBe(403);
    expect(
      (await call('POST', '/api/cron/jobs', viewer, { name: 'x', schedule: '* * * * *', kind: 'sync' })).status,
    ).toBe(403);
    expect((await call('GET', '/api/cron/jobs', {})).status).toBe(401);

    // An account's admin may schedule syncs and notices, but not run the server's programs.
    const refused = await call('POST', '/api/cron/jobs', admin, {
      name: 'steal',
      schedule: '* * * * *',
      command: 'ccusage daily',
    });
    expect(refused.status).toBe(403);
    await createJob({ name: 'team-sync', schedule: '0 * * * *', kind: 'sync' }, admin);
    expect((await call('POST', '/api/usage/ccusage', admin)).status).toBe(404);

    // Each account sees only its own jobs.
    const teamJobs = CronJobListReply.parse(await (await call('GET', '/api/cron/jobs', admin)).json()).jobs;
    expect(teamJobs.map((job) => job.name)).toEqual(['team-sync']);
    expect((await call('GET', '/api/cron/jobs/every-second', admin)).status).toBe(404);
    expect((await call('GET', '/api/cron/jobs/team-sync', operator)).status).toBe(404);
  });
});
