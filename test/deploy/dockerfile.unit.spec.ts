/**
 * The Dockerfile and .dockerignore, checked against the repository they package: its workspaces,
 * the services' schemas, the Node and ccusage releases it pins. No image is built here.
 */
import { parseEnv } from '@ccsync/service-kit';
import { CCUSAGE_ORACLE_VERSION } from '@ccsync/testkit';
import { describe, expect, it } from 'vitest';
import { Dockerfile, DockerIgnore } from './dockerfile.ts';
import { readRepoFile, repoHas, type Workspace, workspaces } from './repository.ts';
import { SERVICE_ENV, SERVICE_NAMES } from './service-env.ts';

const dockerfile = new Dockerfile(readRepoFile('Dockerfile'));
const ignore = new DockerIgnore(readRepoFile('.dockerignore'));
const RUNTIME_STAGES = ['ccsync', 'scheduler'] as const;
const WORKDIR = '/app';

const all = workspaces();
const serviceWorkspaces = all.filter((workspace) => workspace.dir.startsWith('services/'));
const byName = (name: string): Workspace => {
  const found = all.find((workspace) => workspace.name === name);
  if (found === undefined) throw new Error(`no workspace ${name}`);
  return found;
};

/** The services and every workspace they need at run time, transitively. */
function runtimeWorkspaces(): Workspace[] {
  const needed = new Map<string, Workspace>();
  const visit = (workspace: Workspace) => {
    if (needed.has(workspace.name)) return;
    needed.set(workspace.name, workspace);
    for (const dependency of workspace.workspaceDependencies) visit(byName(dependency));
  };
  for (const workspace of serviceWorkspaces) visit(workspace);
  return [...needed.values()];
}

describe('Dockerfile', () => {
  it('builds every stage on the Node release the repository pins', () => {
    const { devDependencies } = JSON.parse(readRepoFile('package.json')) as { devDependencies: { node: string } };
    expect(dockerfile.globalArgs.NODE_IMAGE).toMatch(new RegExp(`^node:${devDependencies.node}-[a-z]+-slim$`));
    const bases = new Set(dockerfile.stages.map((stage) => stage.base));
    const stageNames = new Set(dockerfile.stages.map((stage) => stage.name));
    expect([...bases].filter((base) => !stageNames.has(base))).toEqual([dockerfile.globalArgs.NODE_IMAGE]);
  });

  it('copies every workspace manifest before it installs', () => {
    const copied = dockerfile.copies('manifests').flatMap((copy) => copy.sources);
    const manifests = all.map((workspace) => `${workspace.dir}/package.json`);
    expect(copied.sort()).toEqual(['.npmrc', 'package-lock.json', 'package.json', ...manifests].sort());
  });

  it('installs the runtime dependencies of every service, and of the dashboard the gateway serves', () => {
    const install = dockerfile.runs('production-deps').join(' ');
    // Left in, the services' devDependencies would lead npm to the test kit (vitest, testcontainers).
    expect(install).toMatch(
      /npm pkg delete devDependencies --workspaces --include-workspace-root && npm ci --omit=dev /,
    );
    const selected = [...install.matchAll(/-w (\S+)/g)].map((match) => match[1]);
    expect(selected.sort()).toEqual(
      [...serviceWorkspaces.map((workspace) => workspace.name), '@ccsync/dashboard'].sort(),
    );
  });

  it('copies the sources of exactly the workspaces the services run, where node_modules links them', () => {
    const sourceCopies = dockerfile
      .copies('ccsync')
      .filter((copy) => copy.from === undefined && copy.sources.every((source) => source.endsWith('/src')));
    const sources = sourceCopies.flatMap((copy) => copy.sources);
    expect(sources.sort()).toEqual(
      runtimeWorkspaces()
        .map((workspace) => `${workspace.dir}/src`)
        .sort(),
    );
    expect(sourceCopies.map((copy) => copy.destination)).toEqual(sourceCopies.map((copy) => copy.sources.join()));
    expect(dockerfile.inherited('ccsync', 'WORKDIR').at(-1)?.args).toBe(WORKDIR);
  });

  it('ships the dashboard it builds where the gateway finds it', () => {
    expect(dockerfile.runs('build')).toContain('npm run build -w @ccsync/dashboard');
    const dist = dockerfile.copies('ccsync').filter((copy) => copy.from === 'build');
    expect(dist).toEqual([
      { from: 'build', sources: [`${WORKDIR}/packages/dashboard/dist`], destination: 'packages/dashboard/dist' },
    ]);
  });

  it.each(RUNTIME_STAGES)(
    'runs the %s image as a non-root user, in production, listening on every interface',
    (stage) => {
      const user = dockerfile.user(stage);
      expect(user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
      expect(dockerfile.env(stage)).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0' });
      expect(dockerfile.healthcheck(stage)).toMatch(/CMD \["node", "deploy\/docker\/healthcheck\.mjs"\]$/);
      expect(dockerfile.inherited(stage, 'STOPSIGNAL').at(-1)?.args).toBe('SIGTERM');
    },
  );

  it.each(RUNTIME_STAGES)('starts the %s image as its service', (stage) => {
    const service = stage === 'ccsync' ? 'gateway' : stage;
    expect(dockerfile.cmd(stage)).toEqual(['node', `services/${service}/src/main.ts`]);
  });

  it('checks health on each service port, with the defaults the services use', () => {
    const script = readRepoFile('deploy', 'docker', 'healthcheck.mjs');
    const ports = Object.fromEntries(
      [...script.matchAll(/(\w+_PORT): (\d+)/g)].map(([, name, port]) => [name, Number(port)]),
    );
    const defaults = Object.fromEntries(
      SERVICE_NAMES.map((name) => {
        const variable = `${name.toUpperCase()}_PORT`;
        return [variable, (parseEnv(SERVICE_ENV[name], {}) as Record<string, unknown>)[variable]];
      }),
    );
    expect(ports).toEqual(defaults);
  });

  it('gives the scheduler the ccusage release ccsync reproduces, and a pinned Claude Code', () => {
    const { CCUSAGE_VERSION, CLAUDE_CODE_VERSION } = dockerfile.args('scheduler');
    expect(CCUSAGE_VERSION).toBe(CCUSAGE_ORACLE_VERSION);
    expect(CLAUDE_CODE_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    const install = dockerfile.runs('scheduler').find((run) => run.includes('npm install --global'));
    expect(install).toContain(`"ccusage@${CCUSAGE_ORACLE_VERSION}"`);
    expect(install).toContain(`"@anthropic-ai/claude-code@${CLAUDE_CODE_VERSION}"`);
    // The build fails unless both programs run, as the service's user will find them.
    expect(install).toContain(`[ "$(ccusage --version)" = "ccusage ${CCUSAGE_ORACLE_VERSION}" ]`);
    expect(install).toContain('claude --version');
  });

  it('keeps Claude Code state on a volume, in a folder the scheduler user owns', () => {
    const { CLAUDE_CONFIG_DIR, SCHEDULER_WORK_DIR } = dockerfile.env('scheduler');
    expect(dockerfile.volumes('scheduler')).toEqual([CLAUDE_CONFIG_DIR]);
    expect(dockerfile.runs('scheduler')).toContain(
      `install -d -o ccsync -g ccsync -m 0700 ${CLAUDE_CONFIG_DIR} ${SCHEDULER_WORK_DIR}`,
    );
    expect(dockerfile.runs('ccsync').join(' ')).toMatch(/useradd --uid 10001 --gid ccsync --create-home/);
    expect(dockerfile.user('scheduler')).toBe('10001:10001');
  });
});

describe('.dockerignore', () => {
  it('keeps every file the Dockerfile copies in the build context', () => {
    const sources = dockerfile.stages.flatMap((stage) =>
      dockerfile.copies(stage.name).flatMap((copy) => (copy.from === undefined ? copy.sources : [])),
    );
    expect(sources.filter((source) => !repoHas(source))).toEqual([]);
    expect(sources.filter((source) => ignore.ignores(source))).toEqual([]);
  });

  it('keeps dependencies, builds, local state and secrets out', () => {
    const leftOut = [
      'node_modules/zod/package.json',
      'services/ingest/node_modules/protobufjs/package.json',
      'packages/dashboard/dist/index.html',
      'services/gateway/src/gateway.int.spec.ts',
      '.ccsync/admin-token',
      '.git/config',
      'deploy/.env',
    ];
    expect(leftOut.filter((path) => !ignore.ignores(path))).toEqual([]);
    expect(ignore.ignores('deploy/docker/healthcheck.mjs')).toBe(false);
    expect(ignore.ignores('services/gateway/src/main.ts')).toBe(false);
  });
});
