/**
 * deploy/docker-compose.yml, docker-compose.dev.yml, .env.example and the edge's Caddyfile, checked
 * against what they deploy: the services' environment schemas and routes, the Dockerfile's stages
 * and images, and each other. Nothing runs: Docker is not needed.
 */
import { parseEnv } from '@ccsync/service-kit';
import { describe, expect, it } from 'vitest';
import { EdgeRoutes } from './caddyfile.ts';
import {
  type ComposeService,
  durationMs,
  loadCompose,
  parseDotEnv,
  parsePort,
  parseVolume,
  RequiredVariableError,
  variableReferences,
} from './compose-file.ts';
import { Dockerfile } from './dockerfile.ts';
import { readRepoFile, repoHas } from './repository.ts';
import { configProblems, SERVICE_ENV, SERVICE_NAMES, type ServiceName, unknownVariables } from './service-env.ts';
import { describeRoute, registeredRoutes, samplePath } from './service-routes.ts';

const COMPOSE_FILES = ['docker-compose.yml', 'docker-compose.dev.yml'] as const;
const composeText = (file: string) => readRepoFile('deploy', file);

const example = parseDotEnv(readRepoFile('deploy', '.env.example'));
/** What an operator fills in: .env.example with a test value for each secret it leaves required and empty. */
const TEST_SECRET = 'compose-test-secret-0123456789abcdef';
/** Every `${VAR…}` in the compose files' values. */
const references = COMPOSE_FILES.flatMap((file) => variableReferences(composeText(file)));
const required = new Set(
  references
    .filter((reference) => reference.operator === ':?' || reference.operator === '?')
    .map((reference) => reference.name),
);
const operatorEnv = Object.fromEntries(
  example.map(({ name, value }) => [name, value === '' && required.has(name) ? TEST_SECRET : value]),
);
/** The least an operator can set: the required secrets alone, every other value the compose file's default. */
const minimalEnv = Object.fromEntries([...required].map((name) => [name, TEST_SECRET]));

const production = loadCompose(composeText('docker-compose.yml'), operatorEnv);
const development = loadCompose(composeText('docker-compose.dev.yml'), operatorEnv);
const dockerfile = new Dockerfile(readRepoFile('Dockerfile'));
const edge = new EdgeRoutes(readRepoFile('deploy', 'Caddyfile'));

function service(name: string, file = production): ComposeService {
  const found = file.services[name];
  if (found === undefined) throw new Error(`no service "${name}"`);
  return found;
}

/** The environment a ccsync container starts with: its image's, then the compose file's. */
function containerEnv(name: ServiceName, file = production): Record<string, string> {
  const { build, environment = {} } = service(name, file);
  const image = dockerfile.env(build?.target ?? 'ccsync');
  const own = Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value ?? '')]));
  return { ...image, ...own };
}

const settings = (name: ServiceName) => parseEnv(SERVICE_ENV[name], containerEnv(name)) as Record<string, unknown>;
const portOf = (name: ServiceName) => settings(name)[`${name.toUpperCase()}_PORT`];

/** NATS's own configuration file, which both compose files mount. */
const natsConf = readRepoFile('deploy', 'nats.conf');
function natsSetting(key: string): string {
  const match = new RegExp(`^\\s*${key}:\\s*(\\S+)`, 'm').exec(natsConf);
  if (match?.[1] === undefined) throw new Error(`nats.conf sets no ${key}`);
  return match[1];
}
/** NATS's size units: MB is 1024 * 1024 bytes, M is 1000 * 1000. */
function natsBytes(size: string): number {
  const match = /^(\d+)(KB|MB|GB|K|M|G)?$/i.exec(size);
  if (match === null) throw new Error(`unsupported size ${size}`);
  const unit = { '': 1, K: 1e3, KB: 1024, M: 1e6, MB: 1024 ** 2, G: 1e9, GB: 1024 ** 3 };
  return Number(match[1]) * unit[(match[2] ?? '').toUpperCase() as keyof typeof unit];
}

describe('deploy/.env.example', () => {
  it('declares exactly the variables the compose files use', () => {
    const used = new Set(references.map((reference) => reference.name));
    expect(example.map((entry) => entry.name).sort()).toEqual([...used].sort());
  });

  it('explains every variable in a comment above it', () => {
    const unexplained = example.filter((entry) => entry.comment.length < 20).map((entry) => entry.name);
    expect(unexplained).toEqual([]);
  });

  it('shows the defaults the compose files fall back to', () => {
    const defaults = references.filter((reference) => reference.operator === ':-');
    expect(defaults.length).toBeGreaterThan(0);
    for (const { name, operand } of defaults) {
      expect({ name, value: operatorEnv[name] }).toEqual({ name, value: operand });
    }
  });

  it('ships no secret: tokens and secrets are left empty, to be generated', () => {
    const secrets = example.filter((entry) => /TOKEN|SECRET|PASSWORD|KEY/.test(entry.name));
    expect(secrets.map((entry) => entry.name)).toContain('CCSYNC_ADMIN_TOKEN');
    expect(secrets.filter((entry) => entry.value !== '')).toEqual([]);
  });
});

describe('deploy/docker-compose.yml', () => {
  it('refuses to start without an admin token', () => {
    const withoutToken = { ...operatorEnv, CCSYNC_ADMIN_TOKEN: '' };
    expect(() => loadCompose(composeText('docker-compose.yml'), withoutToken)).toThrow(RequiredVariableError);
    expect(() => loadCompose(composeText('docker-compose.yml'), withoutToken)).toThrow(/CCSYNC_ADMIN_TOKEN/);
  });

  it('runs each ccsync service from its own main, under its own name', () => {
    const mains = Object.entries(production.services).flatMap(([name, { command }]) => {
      const main = /^services\/(\w+)\/src\/main\.ts$/.exec(command?.[1] ?? '');
      return command?.[0] === 'node' && main !== null ? [[name, main[1]]] : [];
    });
    expect(Object.fromEntries(mains)).toEqual(Object.fromEntries(SERVICE_NAMES.map((name) => [name, name])));
    for (const name of SERVICE_NAMES) expect(repoHas(service(name).command?.[1] ?? '')).toBe(true);
  });

  it('builds the scheduler image for the scheduler and the ccsync image for the others, from the Dockerfile', () => {
    const builds = Object.entries(production.services).flatMap(([name, { build, image }]) =>
      build === undefined ? [] : [[name, { target: build.target, image }]],
    );
    expect(Object.fromEntries(builds)).toEqual({
      ingest: { target: 'ccsync', image: 'ccsync:latest' },
      projector: { target: 'ccsync', image: 'ccsync:latest' },
      gateway: { target: 'ccsync', image: 'ccsync:latest' },
      scheduler: { target: 'scheduler', image: 'ccsync-scheduler:latest' },
    });
    const stages = dockerfile.stages.map((stage) => stage.name);
    for (const { build } of Object.values(production.services)) {
      if (build === undefined) continue;
      // Paths in a compose file are relative to its folder, deploy/.
      expect(build.context).toBe('..');
      expect(repoHas(build.dockerfile ?? 'Dockerfile')).toBe(true);
      expect(stages).toContain(build.target);
    }
  });

  it.each(COMPOSE_FILES)('%s mounts only files that exist, and volumes it declares', (file) => {
    const compose = loadCompose(composeText(file), operatorEnv);
    for (const { volumes = [] } of Object.values(compose.services)) {
      for (const volume of volumes.map(parseVolume)) {
        if (volume.named) expect(Object.keys(compose.volumes ?? {})).toContain(volume.source);
        else expect(repoHas('deploy', volume.source), volume.source).toBe(true);
      }
    }
  });

  const environments = { '.env.example': operatorEnv, 'the required secrets alone': minimalEnv };
  it.each(SERVICE_NAMES.flatMap((name) => Object.entries(environments).map(([given, env]) => ({ name, given, env }))))(
    'starts $name with an environment it reads in full and accepts, given $given',
    ({ name, env }) => {
      const container = containerEnv(name, loadCompose(composeText('docker-compose.yml'), env));
      expect(unknownVariables(name, Object.keys(container))).toEqual([]);
      expect(configProblems(name, container)).toBeUndefined();
      expect(container).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', CCSYNC_ADMIN_TOKEN: TEST_SECRET });
    },
  );

  it.each(SERVICE_NAMES)('connects %s to the NATS and Redis services, on the port NATS listens on', (name) => {
    const { NATS_URL, REDIS_URL } = settings(name) as { NATS_URL: string; REDIS_URL: string };
    const nats = new URL(NATS_URL);
    expect(nats.hostname).toBe('nats');
    expect(nats.port).toBe(natsSetting('port'));
    expect(new URL(REDIS_URL).hostname).toBe('redis');
  });

  it.each(SERVICE_NAMES)('starts %s once NATS and Redis are healthy, and checks it is ready', (name) => {
    const { depends_on, healthcheck } = service(name);
    expect(depends_on).toEqual({ nats: { condition: 'service_healthy' }, redis: { condition: 'service_healthy' } });
    expect(healthcheck?.test).toEqual(['CMD', 'node', 'deploy/docker/healthcheck.mjs', '/ready']);
    expect(repoHas('deploy/docker/healthcheck.mjs')).toBe(true);
  });

  it('counts NATS healthy once JetStream is up, and Redis once it answers', () => {
    const healthz = `http://127.0.0.1:${natsSetting('http_port')}/healthz?js-enabled-only=true`;
    expect(service('nats').healthcheck?.test).toEqual(['CMD', 'wget', '-q', '--spider', healthz]);
    expect(service('redis').healthcheck?.test).toEqual(['CMD-SHELL', 'redis-cli ping | grep -q PONG']);
  });

  it.each(SERVICE_NAMES)('lets %s finish its graceful shutdown before Docker kills it', (name) => {
    const grace = service(name).stop_grace_period;
    expect(grace).toBeDefined();
    expect(durationMs(grace ?? '')).toBeGreaterThan(settings(name).SHUTDOWN_TIMEOUT_MS as number);
  });

  it('keeps the event history, the views and Claude Code state on named volumes', () => {
    const mounts = (name: string) => (service(name).volumes ?? []).map(parseVolume).filter((volume) => volume.named);
    expect(service('nats').command).toEqual(['nats-server', '--config', '/etc/nats/ccsync.conf']);
    expect(service('nats').volumes).toContain('./nats.conf:/etc/nats/ccsync.conf:ro');
    expect(mounts('nats').map((volume) => volume.target)).toEqual([natsSetting('store_dir')]);
    expect(service('redis').command).toEqual(['redis-server', '--appendonly', 'yes']);
    expect(mounts('redis').map((volume) => volume.target)).toEqual(['/data']);
    const claudeDir = containerEnv('scheduler').CLAUDE_CONFIG_DIR;
    expect(mounts('scheduler').map((volume) => volume.target)).toEqual([claudeDir]);
  });

  it('lets NATS carry the largest batch ingest accepts, as one message', () => {
    expect(natsBytes(natsSetting('max_payload'))).toBeGreaterThanOrEqual(
      settings('ingest').INGEST_BODY_LIMIT_BYTES as number,
    );
  });

  it('runs several gateways, and publishes the edge alone', () => {
    expect(service('gateway').deploy?.replicas).toBeGreaterThanOrEqual(2);
    const published = Object.entries(production.services).filter(([, { ports }]) => (ports ?? []).length > 0);
    expect(published.map(([name]) => name)).toEqual(['edge']);
    expect(service('edge').ports?.map(parsePort)).toEqual([{ ip: undefined, host: '8080', container: '80' }]);
  });
});

describe('deploy/Caddyfile', () => {
  const ingestRoutes = registeredRoutes('ingest');
  // Served by every service (service-kit's probes, metrics and API reference) or by the gateway's
  // static files: through the edge, they are the gateway's.
  const gatewayRoutes = [
    ...registeredRoutes('gateway'),
    ...['/health', '/ready', '/metrics', '/docs', '/docs/json', '/assets/index.js'].map((path) => ({
      method: 'GET',
      path,
    })),
  ];

  it('reads the routes of both services, those that overlap at the edge included', () => {
    expect(ingestRoutes.map(describeRoute)).toEqual(expect.arrayContaining(['POST /v1/usage', 'POST /v1/logs']));
    expect(gatewayRoutes.map(describeRoute)).toEqual(
      expect.arrayContaining([
        'GET /api/usage/:deviceId',
        'POST /api/usage/:deviceId',
        'POST /api/usage/ccusage',
        'GET /v1/stats/daily',
        'GET /ws',
      ]),
    );
  });

  it('sends every ingest route to ingest and every other route to a gateway', () => {
    const reaching = (service: string) =>
      [...ingestRoutes, ...gatewayRoutes]
        .filter((route) => edge.upstreamFor(route.method, samplePath(route)).service === service)
        .map(describeRoute)
        .sort();
    expect(reaching('ingest')).toEqual(ingestRoutes.map(describeRoute).sort());
    expect(reaching('gateway')).toEqual(gatewayRoutes.map(describeRoute).sort());
  });

  it('proxies to the compose services, on the ports they listen on, every replica', () => {
    for (const upstream of edge.upstreams) {
      expect(SERVICE_NAMES).toContain(upstream.service);
      expect(upstream.port).toBe(portOf(upstream.service as ServiceName));
    }
    expect(edge.upstreams.map((upstream) => upstream.service).sort()).toEqual(['gateway', 'ingest']);
    // A lookup of every replica's address, not one address for the name.
    expect(edge.upstreamSnippet).toContain('dynamic a {args[0]} {args[1]}');
  });

  it('is what the edge service mounts and serves, once ingest and the gateways are healthy', () => {
    const { image, volumes, ports, depends_on } = service('edge');
    expect(image).toMatch(/^caddy:2\.\d+-alpine$/);
    expect(volumes).toEqual(['./Caddyfile:/etc/caddy/Caddyfile:ro']);
    expect(edge.address).toBe(`:${parsePort(ports?.[0] ?? '').container}`);
    expect(depends_on).toEqual({ ingest: { condition: 'service_healthy' }, gateway: { condition: 'service_healthy' } });
  });
});

describe('deploy/docker-compose.dev.yml', () => {
  it('publishes NATS and Redis on this machine only, where npm start looks for them', () => {
    const defaults = parseEnv(SERVICE_ENV.gateway, {});
    const published = Object.fromEntries(
      Object.entries(development.services).map(([name, { ports = [] }]) => [name, ports.map(parsePort)]),
    );
    expect(published).toEqual({
      nats: [
        { ip: '127.0.0.1', host: new URL(defaults.NATS_URL).port, container: natsSetting('port') },
        { ip: '127.0.0.1', host: natsSetting('http_port'), container: natsSetting('http_port') },
      ],
      redis: [{ ip: '127.0.0.1', host: new URL(defaults.REDIS_URL).port, container: '6379' }],
    });
  });

  it('runs NATS and Redis exactly as a deployment does', () => {
    for (const name of ['nats', 'redis']) {
      const { ports: _devPorts, ...dev } = service(name, development);
      const { restart: _restart, stop_grace_period: _grace, ...deployed } = service(name);
      expect(dev).toEqual(deployed);
    }
  });
});
