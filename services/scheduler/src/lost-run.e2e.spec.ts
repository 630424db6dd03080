import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CronRun, CronRunsReply, ExecuteCronJobReply } from '@ccsync/contracts';
import { type Gateway, GatewayEnv, startGateway } from '@ccsync/gateway';
import { type Projector, ProjectorEnv, startProjector } from '@ccsync/projector';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { type ServiceProcess, startServiceProcess, useTestNamespace, waitFor } from '@ccsync/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Scheduler, startScheduler } from './app.ts';
import { SchedulerEnv } from './config.ts';

/*
 * A scheduler replica killed in the middle of a run: the run is never silently lost. Another
 * replica notices that its lease ran out, records the attempt as lost, and retries it as the
 * job's policy says.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const FAKE_CLAUDE = fileURLToPath(new URL('../test/fake-claude.mjs', import.meta.url));
const operator = { authorization: `Bearer ${ns.adminToken}` };
let root: string;
let projector: Projector;
let gateway: Gateway;
let doomed: ServiceProcess | undefined;
let survivor: Scheduler | undefined;
let env: Record<string, string>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'ccsync-lost-run-'));
  env = ns.env({
    GATEWAY_PORT: '0',
    PROJECTOR_PORT: '0',
    SCHEDULER_PORT: '0',
    GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
    CLAUDE_CODE_PATH: FAKE_CLAUDE,
    SCHEDULER_WORK_DIR: join(root, 'work'),
    SCHEDULER_DEFAULT_JOBS: 'false',
    SCHEDULER_LEASE_SECONDS: '1',
    LOG_LEVEL: 'warn',
  });
  projector = await startProjector(parseEnv(ProjectorEnv, env), logger);
  gateway = await startGateway(parseEnv(GatewayEnv, env), logger);
}, 60_000);
afterAll(async () => {
  await doomed?.stop('SIGKILL');
  await survivor?.close();
  await gateway?.close();
  await projector?.close();
  // The killed replica's program is an orphan now, and it ignores SIGTERM.
  const pids = await readFile(join(root, 'work', 'default', 'stuck', 'hang.pids'), 'utf8').catch(() => '');
  for (const pid of pids.split('\n').filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {}
  }
  await rm(root, { recursive: true, force: true });
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${gateway.url}${path}`, {
    method,
    headers: body === undefined ? operator : { ...operator, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

it('records a run whose replica was killed as lost, and retries it on another', async () => {
  doomed = await startServiceProcess('scheduler', env);
  const created = await call('POST', '/api/cron/jobs', {
    name: 'stuck',
    schedule: '0 0 1 1 *',
    kind: 'claude',
    args: { prompt: 'hang' },
    timeoutSeconds: 3,
    retries: 1,
  });
  expect(created.status).toBe(201);

  // Only the doomed replica is up, so it takes the run; it is killed once the program runs.
  const started = await call('POST', '/api/cron/jobs/stuck/execute');
  expect(started.status).toBe(202);
  const { runId } = ExecuteCronJobReply.parse(await started.json());
  await waitFor(() => readFile(join(root, 'work', 'default', 'stuck', 'hang.pids'), 'utf8').catch(() => undefined));
  await doomed.stop('SIGKILL');
  doomed = undefined;

  survivor = await startScheduler(parseEnv(SchedulerEnv, env), logger);
  const runs = await waitFor(
    async () => {
      const reply = CronRunsReply.parse(await (await call('GET', '/api/cron/jobs/stuck/runs')).json());
      return reply.runs.length >= 2 ? reply.runs : undefined;
    },
    { timeoutMs: 30_000, description: 'the lost attempt and its retry' },
  );
  const [retry, lost] = runs as [CronRun, CronRun];
  expect(lost).toMatchObject({ runId, attempt: 1, status: 'lost', trigger: 'manual' });
  expect(lost.error).toMatch(/stopped before it finished/);
  expect(retry).toMatchObject({ runId, attempt: 2, status: 'timed_out' });
  expect(runs).toHaveLength(2);
});
