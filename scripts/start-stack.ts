/**
 * `npm start`: the whole stack on this machine. It uses NATS and Redis where NATS_URL / REDIS_URL
 * (or the default local ports) answer, and otherwise starts `nats-server -js` and `redis-server`
 * with their data under .ccsync/. Then it runs the four services with prefixed log lines, and
 * Ctrl-C stops everything it started.
 */

import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { announceGeneratedToken, BaseEnv, ConfigError, parseEnv, resolveAdminToken } from '@ccsync/service-kit';
import {
  type LocalServer,
  MissingServerBinaryError,
  portAnswers,
  spawnNatsServer,
  spawnRedisServer,
} from '@ccsync/testkit/local-servers';
import { waitFor } from '@ccsync/testkit/wait-for';
import { execa, type ResultPromise } from 'execa';

const SERVICES = [
  { name: 'ingest', portVar: 'INGEST_PORT', port: 3001, color: 36 },
  { name: 'projector', portVar: 'PROJECTOR_PORT', port: 3002, color: 35 },
  { name: 'gateway', portVar: 'GATEWAY_PORT', port: 3000, color: 32 },
  { name: 'scheduler', portVar: 'SCHEDULER_PORT', port: 3003, color: 33 },
] as const;

const useColor = process.stdout.isTTY && process.env.NO_COLOR === undefined;
const paint = (color: number, text: string) => (useColor ? `\u001b[${color}m${text}\u001b[0m` : text);
const say = (line: string) => process.stdout.write(`${paint(1, '[ccsync]   ')} ${line}\n`);

/** Host and port of a nats:// or redis:// URL (the first, for a NATS server list). */
function endpoint(url: string, fallbackPort: number): { host: string; port: number } {
  const parsed = new URL(url.split(',')[0]?.trim() ?? url);
  return { host: parsed.hostname, port: parsed.port === '' ? fallbackPort : Number(parsed.port) };
}

async function useOrStart(
  what: 'NATS' | 'Redis',
  configured: string | undefined,
  defaultUrl: string,
  start: (port: number) => Promise<LocalServer>,
): Promise<{ url: string; server?: LocalServer }> {
  // The configured (or default) address is used when it answers, and otherwise served here.
  const url = configured ?? defaultUrl;
  const { host, port } = endpoint(url, what === 'NATS' ? 4222 : 6379);
  if (await portAnswers(port, host)) {
    say(`using ${what} at ${url}`);
    return { url };
  }
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
    throw new Error(`${what} at ${url} does not answer, and a server can only be started here on this machine`);
  }
  const server = await start(port);
  say(`started ${what} at ${server.url} (data in ${server.dataDir})`);
  return { url: server.url, server };
}

async function main(): Promise<void> {
  let env: BaseEnv;
  try {
    env = parseEnv(BaseEnv);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const servers: LocalServer[] = [];
  const children: ResultPromise[] = [];
  let stopping = false;

  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    say('stopping…');
    for (const child of children) child.kill('SIGTERM');
    await Promise.allSettled(children);
    await Promise.allSettled(servers.map((server) => server.stop()));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  let nats: { url: string; server?: LocalServer };
  let redis: { url: string; server?: LocalServer };
  try {
    nats = await useOrStart('NATS', process.env.NATS_URL, 'nats://127.0.0.1:4222', (port) =>
      spawnNatsServer({ port, dataDir: join(env.CCSYNC_DATA_DIR, 'nats') }),
    );
    if (nats.server) servers.push(nats.server);
    redis = await useOrStart('Redis', process.env.REDIS_URL, 'redis://127.0.0.1:6379', (port) =>
      spawnRedisServer({ port, dataDir: join(env.CCSYNC_DATA_DIR, 'redis') }),
    );
    if (redis.server) servers.push(redis.server);
  } catch (error) {
    if (error instanceof MissingServerBinaryError) process.stderr.write(`\n${error.message}\n\n`);
    else process.stderr.write(`${String(error)}\n`);
    await stopAll(1);
    return;
  }

  const admin = await resolveAdminToken(env);
  if (admin.generated) announceGeneratedToken(admin);

  const width = Math.max(...SERVICES.map((service) => service.name.length));
  for (const service of SERVICES) {
    const port = Number(process.env[service.portVar] ?? service.port);
    const child = execa('node', ['--import', 'tsx', join('services', service.name, 'src', 'main.ts')], {
      preferLocal: true,
      reject: false,
      stdin: 'ignore',
      buffer: false,
      // A process group of its own: Ctrl-C reaches only this launcher, which then stops each
      // service once, with SIGTERM, as an orchestrator would.
      detached: true,
      env: {
        NATS_URL: nats.url,
        REDIS_URL: redis.url,
        CCSYNC_ADMIN_TOKEN: admin.token,
        CCSYNC_DATA_DIR: env.CCSYNC_DATA_DIR,
        LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
        [service.portVar]: String(port),
      },
    });
    children.push(child);
    const prefix = paint(service.color, `[${service.name.padEnd(width)}]`);
    for (const stream of [child.stdout, child.stderr]) {
      if (stream) createInterface({ input: stream }).on('line', (line) => process.stdout.write(`${prefix} ${line}\n`));
    }
    void child.then((result) => {
      if (!stopping) {
        say(`${service.name} exited (${result.exitCode ?? result.signal}); stopping the stack`);
        void stopAll(1);
      }
    });
  }

  const gatewayPort = Number(process.env.GATEWAY_PORT ?? 3000);
  const ingestPort = Number(process.env.INGEST_PORT ?? 3001);
  await Promise.all(
    SERVICES.map((service) => {
      const port = Number(process.env[service.portVar] ?? service.port);
      return waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.ok === true, {
        timeoutMs: 60_000,
        intervalMs: 200,
        description: `${service.name} to be ready`,
      });
    }),
  ).catch(async (error: unknown) => {
    say(String(error));
    await stopAll(1);
  });
  say(`ready: gateway http://127.0.0.1:${gatewayPort} (WebSocket /ws), ingest http://127.0.0.1:${ingestPort}`);
  say(
    `admin token: ${admin.path === undefined ? 'from CCSYNC_ADMIN_TOKEN' : `in ${admin.path}`}; Ctrl-C stops everything`,
  );
}

await main();
