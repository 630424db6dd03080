import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CronJobListReply, DEFAULT_ACCOUNT, ExecuteCronJobReply } from '@ccsync/contracts';
import { type Gateway, GatewayEnv, startGateway } from '@ccsync/gateway';
import { createLogger, parseEnv } from '@ccsync/service-kit';
import { ccusageBinary, useTestNamespace, waitFor } from '@ccsync/testkit';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Scheduler, startScheduler } from './app.ts';
import { SchedulerEnv } from './config.ts';

/*
 * The seed's default jobs, created once, and the jobs that tell people things: a notice to the
 * account's clients and a webhook, each only while its condition holds.
 */
const ns = useTestNamespace();
const logger = createLogger('test', { LOG_LEVEL: 'silent', LOG_FORMAT: 'json' });
const operator = { authorization: `Bearer ${ns.adminToken}` };
let gateway: Gateway;
let scheduler: Scheduler | undefined;
let nc: NatsConnection;
let hooks: Server;
const received: unknown[] = [];
let env: SchedulerEnv;

beforeAll(async () => {
  hooks = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    request.on('end', () => {
      received.push({ method: request.method, body: JSON.parse(body) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => hooks.listen(0, '127.0.0.1', resolve));
  const base = ns.env({
    GATEWAY_PORT: '0',
    SCHEDULER_PORT: '0',
    GATEWAY_RATE_LIMIT_PER_MINUTE: '0',
    CCUSAGE_PATH: await ccusageBinary(),
    SCHEDULER_WEBHOOK_HOSTS: '127.0.0.1',
  });
  env = parseEnv(SchedulerEnv, base);
  gateway = await startGateway(parseEnv(GatewayEnv, base), logger);
  scheduler = await startScheduler(env, logger);
  nc = await connect({ servers: ns.natsUrl });
}, 60_000);
afterAll(async () => {
  await nc?.close();
  await scheduler?.close();
  await gateway?.close();
  await new Promise((resolve) => hooks?.close(resolve));
});

const call = (method: string, path: string, body?: unknown) =>
  fetch(`${gateway.url}${path}`, {
    method,
    headers: body === undefined ? operator : { ...operator, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const jobNames = async () =>
  CronJobListReply.parse(await (await call('GET', '/api/cron/jobs')).json()).jobs.map((job) => [
    job.name,
    job.kind,
    job.enabled,
  ]);

describe('the default jobs', () => {
  it('are created once, editable, and not brought back after being deleted', async () => {
    expect(await jobNames()).toEqual([
      ['usage-collection', 'ccusage', true],
      ['usage-sync', 'sync', true],
    ]);
    expect((await call('DELETE', '/api/cron/jobs/usage-sync')).status).toBe(204);
    await scheduler?.close();
    scheduler = await startScheduler(env, logger);
    expect(await jobNames()).toEqual([['usage-collection', 'ccusage', true]]);
  });
});

describe('notify and webhook jobs', () => {
  it('send a notice to the account’s clients', async () => {
    const relayed: unknown[] = [];
    const subscription = nc.subscribe(ns.names.relaySubject(DEFAULT_ACCOUNT), {
      callback: (_error, message) => {
        relayed.push(message.json());
      },
    });
    const created = await call('POST', '/api/cron/jobs', {
      name: 'tell',
      schedule: '0 0 1 1 *',
      kind: 'notify',
      args: { message: 'time for a break' },
    });
    expect(created.status).toBe(201);
    const { result } = ExecuteCronJobReply.parse(
      await (await call('POST', '/api/cron/jobs/tell/execute?wait=true')).json(),
    );
    expect(result).toMatchObject({ status: 'succeeded', stdout: 'notified: time for a break' });
    await waitFor(() => relayed.length === 1);
    expect(relayed).toEqual([
      { type: 'tts_notification', payload: { message: 'time for a break', source: 'cron:tell' } },
    ]);
    subscription.unsubscribe();
  });

  it('act only while their condition on the active block holds', async () => {
    const { port } = hooks.address() as AddressInfo;
    const created = await call('POST', '/api/cron/jobs', {
      name: 'limit-alert',
      schedule: '0 0 1 1 *',
      kind: 'webhook',
      args: { url: `http://127.0.0.1:${port}/alert`, when: { activeBlockPercent: 80, tokenLimit: 1000 } },
    });
    expect(created.status).toBe(201);
    const quiet = ExecuteCronJobReply.parse(
      await (await call('POST', '/api/cron/jobs/limit-alert/execute?wait=true')).json(),
    );
    // No usage at all: the block is at 0%, so nothing is called.
    expect(quiet.result).toMatchObject({ status: 'succeeded', stdout: 'the active block is at 0.0% of 1000 tokens' });
    expect(received).toEqual([]);

    expect(
      (await call('PUT', '/api/cron/jobs/limit-alert', { args: { url: `http://127.0.0.1:${port}/alert` } })).status,
    ).toBe(200);
    const called = ExecuteCronJobReply.parse(
      await (await call('POST', '/api/cron/jobs/limit-alert/execute?wait=true')).json(),
    );
    expect(called.result).toMatchObject({ status: 'succeeded' });
    expect(received).toEqual([
      {
        method: 'POST',
        body: { account: 'default', job: 'limit-alert', message: 'scheduled notice', at: expect.any(String) },
      },
    ]);
  });
});
