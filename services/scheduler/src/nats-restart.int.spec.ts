import { DEFAULT_ACCOUNT } from '@ccsync/contracts';
import { type Gateway, GatewayEnv, startGateway } from '@ccsync/gateway';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { type LocalServer, spawnNatsServer, useTestNamespace, waitFor } from '@ccsync/testkit';
import { type KV, Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scheduler, startScheduler } from './app.ts';
import { SchedulerEnv } from './config.ts';
import { type RunClaim, RunClaims } from './runs/run-claims.ts';

/*
 * NATS crashes and comes back on the same data while the scheduler follows its KV buckets: a job
 * created through the gateway afterwards is scheduled at once, and a run claimed afterwards is
 * known to the replicas following the claims. (The gateway's change feed stalled 30 s here. KV
 * watches are ordered push consumers, which the server keeps on disk, so they go on at once; were
 * one lost, nats.js would recreate it only after two missed 30 s heartbeats, 60 to 90 s.)
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const operator = { authorization: `Bearer ${ns.adminToken}` };
let nats: LocalServer;
let gateway: Gateway;
let scheduler: Scheduler;
let nc: NatsConnection;
let runs: KV;
let claims: RunClaims;
let stopFollowing: (() => void) | undefined;

beforeAll(async () => {
  nats = await spawnNatsServer();
  const env = ns.env({
    NATS_URL: nats.url,
    GATEWAY_PORT: '0',
    SCHEDULER_PORT: '0',
    GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
    SCHEDULER_DEFAULT_JOBS: 'false',
  });
  gateway = await startGateway(parseEnv(GatewayEnv, env), logger);
  scheduler = await startScheduler(parseEnv(SchedulerEnv, env), logger);
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  runs = await new Kvm(nc).open(ns.names.cronRunsBucket);
  // A replica's view of the run claims, as the scheduler follows them for its sweep and overlap check.
  claims = await RunClaims.open(nc, ns.names, 1);
  stopFollowing = await claims.follow(() => undefined);
}, 60_000);
afterAll(async () => {
  stopFollowing?.();
  await nc?.close();
  await scheduler?.close();
  await gateway?.close();
  await nats?.dispose();
});

/** Creates a job that ticks every second and only asks agents to sync. */
async function createJob(name: string): Promise<void> {
  const response = await fetch(`${gateway.url}/api/cron/jobs`, {
    method: 'POST',
    headers: { ...operator, 'content-type': 'application/json' },
    body: JSON.stringify({ name, schedule: '* * * * * *', kind: 'sync' }),
  });
  expect(response.status, await response.clone().text()).toBe(201);
}

/**
 * True once the scheduler claimed a run of the job, which it does at each tick it has scheduled.
 * (Each call reads the keys through a consumer of its own: poll it gently.)
 */
async function claimed(job: string): Promise<boolean> {
  for await (const _key of await runs.keys(`${DEFAULT_ACCOUNT}.${job}.*`)) return true;
  return false;
}

const claim = (job: string): RunClaim => ({
  state: 'running',
  account: DEFAULT_ACCOUNT,
  job,
  kind: 'sync',
  scheduledAt: new Date().toISOString(),
  trigger: 'manual',
  attempt: 1,
  owner: 'nats-restart-test',
  leaseUntil: Date.now() + 60_000,
});

const ready = async (url: string) => (await fetch(`${url}/ready`)).status === 200;

describe('a NATS server killed and restarted under the scheduler', () => {
  it('goes on scheduling new jobs and following run claims within seconds', async () => {
    await createJob('before');
    await waitFor(() => claimed('before'), { intervalMs: 200, description: 'the job made before the restart to run' });
    await claims.claim('probe.before.1', claim('before'));
    await waitFor(() => claims.running('probe.before.').length === 1, { description: 'the claim to be followed' });
    expect((await fetch(`${gateway.url}/api/cron/jobs/before`, { method: 'DELETE', headers: operator })).status).toBe(
      204,
    );

    await nats.stop('SIGKILL');
    await nats.start();
    await waitFor(async () => (await ready(gateway.url)) && (await ready(scheduler.url)) && !nc.isClosed(), {
      timeoutMs: 20_000,
      description: 'the services to reconnect',
    });
    // The gateway may answer 503 while JetStream settles after its restart.
    await waitFor(
      async () => {
        await createJob('after');
        return true;
      },
      { timeoutMs: 20_000, description: 'the job to be created' },
    );

    // Each change after the restart is followed well before two missed heartbeats (60 s).
    await waitFor(() => claimed('after'), {
      timeoutMs: 8000,
      intervalMs: 200,
      description: 'the job made after the restart to run',
    });
    await claims.claim('probe.after.1', claim('after'));
    await waitFor(() => claims.running('probe.after.').length === 1, {
      timeoutMs: 8000,
      description: 'the claim made after the restart to be followed',
    });
  }, 90_000);
});
