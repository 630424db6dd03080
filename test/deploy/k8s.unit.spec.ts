import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from '@ccsync/service-kit';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { IService } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import {
  connectionAllowed,
  containerPort,
  type LabelSelector,
  type Peer,
  type PodTemplate,
  podTemplates,
  quantity,
  routeRequest,
  selects,
} from './k8s-semantics.ts';
import { validationProblems } from './k8s-validate.ts';
import { type KubeObject, renderKustomization, withFiles } from './kustomize.ts';
import { readRepoFile, repoHas, repoPath } from './repository.ts';
import { configProblems, SERVICE_ENV, SERVICE_NAMES, type ServiceName, unknownVariables } from './service-env.ts';
import { describeRoute, type Route, registeredRoutes, samplePath } from './service-routes.ts';

/*
 * deploy/k8s, checked without a cluster: both overlays are rendered as `kubectl apply -k` would
 * render them, every object is validated against the Kubernetes API schema, and then what the
 * cluster would do with them is worked out: which probes hit which port, whether each service's
 * environment passes its own config schema, where the Ingress sends each route the services
 * register, and which connections the NetworkPolicies let through.
 */
const K8S = repoPath('deploy/k8s');
const OVERLAYS = ['single-node', 'ha'] as const;
type Overlay = (typeof OVERLAYS)[number];
const NAMESPACE = 'ccsync';
const HOST = 'ccsync.example.com';

// ---------------------------------------------------------------------------------------------
// Rendering, with the secrets.env a user writes from the example
// ---------------------------------------------------------------------------------------------

const EXAMPLE = readFileSync(join(K8S, 'base/secrets.env.example'), 'utf8');
const ASSIGNMENT = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/;
const testSecret = (key: string) => `test-${key.toLowerCase()}-`.padEnd(48, 'x');

/** secrets.env with every key of the example filled in, or only the ones it does not comment out. */
function secretsEnv(keys: 'all' | 'required'): string {
  return EXAMPLE.split('\n')
    .flatMap((line) => {
      const match = ASSIGNMENT.exec(line.trim());
      if (match === null || (keys === 'required' && match[1] !== undefined)) return [];
      return [`${match[2]}=${testSecret(match[2] as string)}`];
    })
    .join('\n');
}

function render(overlay: Overlay, keys: 'all' | 'required' = 'all'): KubeObject[] {
  const files = withFiles({ [join(K8S, 'base/secrets.env')]: secretsEnv(keys) });
  return renderKustomization(join(K8S, 'overlays', overlay), files);
}

const RENDERED: Record<Overlay, KubeObject[]> = { 'single-node': render('single-node'), ha: render('ha') };

// ---------------------------------------------------------------------------------------------
// Reading rendered objects
// ---------------------------------------------------------------------------------------------

function ofKind<T>(objects: readonly KubeObject[], kind: string): (T & KubeObject)[] {
  return objects.filter((object) => object.kind === kind) as unknown as (T & KubeObject)[];
}

function named<T>(objects: readonly KubeObject[], kind: string, name: string): T & KubeObject {
  const found = ofKind<T>(objects, kind).filter((object) => object.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name}, found ${found.length}`);
  return found[0] as T & KubeObject;
}

/** ConfigMaps and Secrets by the name they were generated under (the rendered one has a hash). */
function generated(objects: readonly KubeObject[], kind: 'ConfigMap' | 'Secret', name: string): KubeObject {
  const found = objects.filter(
    (object) => object.kind === kind && new RegExp(`^${name}-[a-z0-9]{10}$`).test(object.metadata.name),
  );
  if (found.length !== 1) throw new Error(`expected one generated ${kind} ${name}, found ${found.length}`);
  return found[0] as KubeObject;
}

function dataOf(object: KubeObject): Record<string, string> {
  const data = (object.data ?? {}) as Record<string, string>;
  if (object.kind !== 'Secret') return data;
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]));
}

const nameLabel = (template: PodTemplate) => template.labels['app.kubernetes.io/name'] as string;
const containersOf = (template: PodTemplate) => [...template.spec.containers, ...(template.spec.initContainers ?? [])];

/** What a container runs: its command (else the image's entrypoint), then its args. */
const commandLine = (container: IContainer) => [...(container.command ?? ['<entrypoint>']), ...(container.args ?? [])];

/** The container that runs a service, and which one: `node services/<name>/src/main.ts`. */
function serviceContainers(
  objects: readonly KubeObject[],
): { service: ServiceName; container: IContainer; template: PodTemplate }[] {
  return podTemplates(objects).flatMap((template) =>
    template.spec.containers.flatMap((container) => {
      const match = /(?:^| )node services\/([a-z-]+)\/src\/main\.ts$/.exec(commandLine(container).join(' '));
      return match === null ? [] : [{ service: match[1] as ServiceName, container, template }];
    }),
  );
}

/**
 * A container's environment as the kubelet builds it: envFrom first, then env, which wins. A
 * reference that does not resolve is skipped when optional and reported otherwise.
 */
function environmentOf(
  objects: readonly KubeObject[],
  container: IContainer,
): { env: Record<string, string>; missing: string[] } {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  const find = (kind: 'ConfigMap' | 'Secret', name: string) =>
    objects.find(
      (object) => object.kind === kind && object.metadata.name === name && object.metadata.namespace === NAMESPACE,
    );
  for (const source of container.envFrom ?? []) {
    if (source.prefix !== undefined) throw new Error('envFrom prefixes are not checked');
    const reference = source.configMapRef ?? source.secretRef;
    const object = find(source.configMapRef === undefined ? 'Secret' : 'ConfigMap', reference?.name ?? '');
    if (object === undefined) {
      if (reference?.optional !== true) missing.push(reference?.name ?? '?');
      continue;
    }
    Object.assign(env, dataOf(object));
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      if (variable.value.includes('$(')) throw new Error(`${variable.name}: $(VAR) expansion is not checked`);
      env[variable.name] = variable.value;
      continue;
    }
    const from = variable.valueFrom;
    if (from?.fieldRef !== undefined) {
      env[variable.name] = `<${from.fieldRef.fieldPath}>`;
      continue;
    }
    const reference = from?.secretKeyRef ?? from?.configMapKeyRef;
    if (reference === undefined) throw new Error(`${variable.name}: this kind of valueFrom is not checked`);
    const object = find(from?.secretKeyRef === undefined ? 'ConfigMap' : 'Secret', reference.name ?? '');
    const value = object === undefined ? undefined : dataOf(object)[reference.key];
    if (value !== undefined) env[variable.name] = value;
    else if (reference.optional !== true) missing.push(`${reference.name}/${reference.key}`);
  }
  return { env, missing };
}

/** What a service makes of its environment, or a failure naming the variables. */
function configOf(service: ServiceName, env: Record<string, string>): Record<string, unknown> {
  return parseEnv(SERVICE_ENV[service], env) as Record<string, unknown>;
}

/** Read by the programs the scheduler runs, not by its schema (services/scheduler/src/runs/job-kinds.ts). */
const PROGRAM_VARIABLES: Partial<Record<ServiceName, readonly string[]>> = {
  scheduler: [
    'ANTHROPIC_API_KEY',
    'ANTHROPIC_AUTH_TOKEN',
    'CLAUDE_CODE_OAUTH_TOKEN',
    'HTTPS_PROXY',
    'HTTP_PROXY',
    'NO_PROXY',
  ],
};

/** Replicas as they will run: the spec's, else the HPA's minimum, else the default of 1. */
function runningReplicas(objects: readonly KubeObject[], workload: KubeObject): number {
  const replicas = (workload.spec as { replicas?: number }).replicas;
  if (replicas !== undefined) return replicas;
  const hpa = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
    (candidate) =>
      candidate.spec?.scaleTargetRef.kind === workload.kind &&
      candidate.spec.scaleTargetRef.name === workload.metadata.name,
  );
  return hpa?.spec?.minReplicas ?? 1;
}

function natsConfig(objects: readonly KubeObject[]): string {
  const nats = named<IStatefulSet>(objects, 'StatefulSet', 'nats');
  const volume = nats.spec?.template.spec?.volumes?.find((candidate) => candidate.name === 'config');
  return dataOf(named<KubeObject>(objects, 'ConfigMap', volume?.configMap?.name ?? ''))['nats.conf'] ?? '';
}

const seconds = (duration: string) => {
  const match = /^(\d+)s$/.exec(duration);
  if (match === null) throw new Error(`not a duration in seconds: ${duration}`);
  return Number(match[1]);
};

// ---------------------------------------------------------------------------------------------
// Source files
// ---------------------------------------------------------------------------------------------

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.includes('.spec.') ? [path] : [];
  });
}

/** Served by every service through service-kit; the edge exposes the gateway's. */
const SHARED_ROUTES = ['GET /health', 'GET /ready', 'GET /metrics', 'GET /docs', 'GET /docs/json'];

// ---------------------------------------------------------------------------------------------

describe.each(OVERLAYS)('the %s overlay', (overlay) => {
  const objects = RENDERED[overlay];
  const templates = podTemplates(objects);
  const workloads = objects.filter((object) => object.kind === 'Deployment' || object.kind === 'StatefulSet');

  it('renders objects that each validate against the Kubernetes API schema, with no unknown field', () => {
    const problems = objects.flatMap((object) =>
      validationProblems(object).map((problem) => `${object.kind} ${object.metadata.name}: ${problem}`),
    );
    expect(problems).toEqual([]);
    const kinds = [...new Set(objects.map((object) => `${object.apiVersion} ${object.kind}`))].sort();
    expect(kinds).toEqual(
      [
        'apps/v1 Deployment',
        'apps/v1 StatefulSet',
        ...(overlay === 'ha' ? ['autoscaling/v2 HorizontalPodAutoscaler'] : []),
        'networking.k8s.io/v1 Ingress',
        'networking.k8s.io/v1 NetworkPolicy',
        'policy/v1 PodDisruptionBudget',
        'v1 ConfigMap',
        'v1 Namespace',
        'v1 PersistentVolumeClaim',
        'v1 Secret',
        'v1 Service',
      ].sort(),
    );
  });

  it('puts every object in the ccsync namespace, labelled part of ccsync, pods included', () => {
    expect(objects.filter((object) => object.kind === 'Namespace').map((object) => object.metadata.name)).toEqual([
      NAMESPACE,
    ]);
    const elsewhere = objects.filter(
      (object) => object.kind !== 'Namespace' && object.metadata.namespace !== NAMESPACE,
    );
    expect(elsewhere.map((object) => `${object.kind} ${object.metadata.name}`)).toEqual([]);
    const unlabelled = [
      ...objects.filter((object) => object.metadata.labels?.['app.kubernetes.io/part-of'] !== 'ccsync'),
      ...templates
        .filter((template) => template.labels['app.kubernetes.io/part-of'] !== 'ccsync')
        .map((t) => t.workload),
    ];
    expect(unlabelled.map((object) => `${object.kind} ${object.metadata.name}`)).toEqual([]);
  });

  it('runs the replicas each component is designed for', () => {
    const replicas = Object.fromEntries(
      workloads.map((workload) => [workload.metadata.name, runningReplicas(objects, workload)]),
    );
    expect(replicas).toEqual(
      overlay === 'ha'
        ? { nats: 3, redis: 1, ingest: 2, projector: 2, gateway: 2, scheduler: 2 }
        : { nats: 1, redis: 1, ingest: 1, projector: 1, gateway: 1, scheduler: 1 },
    );
  });

  it('gives every container readiness and liveness probes on declared ports, CPU and memory requests and a memory limit', () => {
    const problems: string[] = [];
    for (const template of templates) {
      for (const container of containersOf(template)) {
        const where = `${template.workload.metadata.name}/${container.name}`;
        const probes: [string, IProbe | undefined][] = [
          ['readinessProbe', container.readinessProbe],
          ['livenessProbe', container.livenessProbe],
          ['startupProbe', container.startupProbe],
        ];
        for (const [kind, probe] of probes) {
          if (probe === undefined) {
            if (kind !== 'startupProbe') problems.push(`${where}: no ${kind}`);
            continue;
          }
          const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
          if (port !== undefined && containerPort([container], port) === undefined) {
            problems.push(`${where}: ${kind} on undeclared port ${port}`);
          }
        }
        const { requests = {}, limits = {} } = container.resources ?? {};
        for (const [what, value] of [
          ['requests.cpu', requests.cpu],
          ['requests.memory', requests.memory],
          ['limits.memory', limits.memory],
        ] as const) {
          if (value === undefined) problems.push(`${where}: no ${what}`);
        }
        if (
          requests.memory !== undefined &&
          limits.memory !== undefined &&
          quantity(requests.memory) > quantity(limits.memory)
        ) {
          problems.push(`${where}: memory request above its limit`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('probes each service on its configured port: /health for start-up and liveness, /ready for readiness', () => {
    const probes = serviceContainers(objects).map(({ service, container }) => {
      const port = configOf(service, environmentOf(objects, container).env)[`${service.toUpperCase()}_PORT`] as number;
      const target = (probe: IProbe | undefined) =>
        `${probe?.httpGet?.path} ${containerPort([container], probe?.httpGet?.port ?? -1) === port ? 'on the service port' : 'elsewhere'}`;
      return {
        service,
        startup: target(container.startupProbe),
        liveness: target(container.livenessProbe),
        readiness: target(container.readinessProbe),
      };
    });
    expect(probes.sort((a, b) => a.service.localeCompare(b.service))).toEqual(
      [...SERVICE_NAMES].sort().map((service) => ({
        service,
        startup: '/health on the service port',
        liveness: '/health on the service port',
        readiness: '/ready on the service port',
      })),
    );
  });

  it('drains each service within its termination grace period: the preStop sleep plus SHUTDOWN_TIMEOUT_MS', () => {
    const margins = serviceContainers(objects).map(({ service, container, template }) => {
      const timeoutMs = configOf(service, environmentOf(objects, container).env).SHUTDOWN_TIMEOUT_MS as number;
      const sleep = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      const grace = template.spec.terminationGracePeriodSeconds ?? 30;
      return { service, sleep, margin: grace - sleep - timeoutMs / 1000 };
    });
    // Endpoints are removed during the sleep, then the drain runs; 10 s are left before SIGKILL.
    expect(margins.sort((a, b) => a.service.localeCompare(b.service))).toEqual(
      [...SERVICE_NAMES].sort().map((service) => ({ service, sleep: 5, margin: 10 })),
    );
  });

  it('gives every Deployment and StatefulSet exactly one PDB selecting its pods, which a drain can satisfy', () => {
    const budgets = ofKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget');
    const coverage = Object.fromEntries(
      templates.map((template) => [
        nameLabel(template),
        budgets
          .filter((budget) => selects(budget.spec?.selector as LabelSelector, template.labels))
          .map((budget) => budget.metadata.name),
      ]),
    );
    expect(coverage).toEqual(
      Object.fromEntries(templates.map((template) => [nameLabel(template), [nameLabel(template)]])),
    );
    // maxUnavailable, never minAvailable: with one replica, minAvailable 1 would block every drain.
    expect(
      budgets.map((budget) => [budget.metadata.name, budget.spec?.maxUnavailable, budget.spec?.minAvailable]),
    ).toEqual(budgets.map((budget) => [budget.metadata.name, 1, undefined]));
  });

  it.each(['all', 'required'] as const)(
    'sets each service an environment its config schema accepts, with nothing it does not read (%s secrets)',
    (keys) => {
      const rendered = keys === 'all' ? objects : render(overlay, keys);
      const outcome = serviceContainers(rendered).map(({ service, container }) => {
        const { env, missing } = environmentOf(rendered, container);
        const read = Object.keys(env).filter((name) => !PROGRAM_VARIABLES[service]?.includes(name));
        return { service, missing, unknown: unknownVariables(service, read), problems: configProblems(service, env) };
      });
      expect(outcome.sort((a, b) => a.service.localeCompare(b.service))).toEqual(
        [...SERVICE_NAMES].sort().map((service) => ({ service, missing: [], unknown: [], problems: undefined })),
      );
    },
  );

  it('runs every service in production, listening on all addresses, with the bootstrap admin token from the Secret', () => {
    const settings = serviceContainers(objects).map(({ service, container }) => {
      const config = configOf(service, environmentOf(objects, container).env);
      return [service, config.NODE_ENV, config.HOST, config.LOG_FORMAT, config.CCSYNC_ADMIN_TOKEN];
    });
    expect(settings.sort()).toEqual(
      [...SERVICE_NAMES]
        .sort()
        .map((service) => [service, 'production', '0.0.0.0', 'json', testSecret('CCSYNC_ADMIN_TOKEN')]),
    );
  });

  it('keeps service links out of the environment, where INGEST_PORT=tcp://… would replace the port', () => {
    // What the kubelet would inject for each Service of the namespace (docs: "Environment variables").
    const injected = ofKind<IService>(objects, 'Service').flatMap((service) => {
      const prefix = service.metadata.name.toUpperCase().replaceAll('-', '_');
      return [
        `${prefix}_SERVICE_HOST`,
        `${prefix}_SERVICE_PORT`,
        `${prefix}_PORT`,
        ...(service.spec?.ports ?? []).flatMap((port) => [
          `${prefix}_SERVICE_PORT_${(port.name ?? '').toUpperCase().replaceAll('-', '_')}`,
          `${prefix}_PORT_${port.port}_${port.protocol ?? 'TCP'}`,
        ]),
      ];
    });
    const collisions = Object.fromEntries(
      serviceContainers(objects).map(({ service }) => [
        service,
        injected.filter((name) => name in SERVICE_ENV[service].shape),
      ]),
    );
    expect(collisions).toEqual({ ingest: ['INGEST_PORT'], projector: [], gateway: ['GATEWAY_PORT'], scheduler: [] });
    expect(templates.filter((template) => template.spec.enableServiceLinks !== false).map(nameLabel)).toEqual([]);
  });

  it('runs every pod under the restricted Pod Security Standard, on a read-only root filesystem', () => {
    const problems: string[] = [];
    const writable: string[] = [];
    for (const template of templates) {
      const pod = template.spec;
      const where = nameLabel(template);
      if (pod.securityContext?.runAsNonRoot !== true) problems.push(`${where}: runAsNonRoot`);
      if (pod.securityContext?.runAsUser === 0) problems.push(`${where}: runs as root`);
      if (pod.securityContext?.seccompProfile?.type !== 'RuntimeDefault') problems.push(`${where}: seccomp`);
      if (pod.automountServiceAccountToken !== false) problems.push(`${where}: service account token mounted`);
      if (pod.hostNetwork || pod.hostPID || pod.hostIPC) problems.push(`${where}: host namespaces`);
      if (pod.volumes?.some((volume) => volume.hostPath !== undefined)) problems.push(`${where}: hostPath`);
      for (const container of containersOf(template)) {
        const context = container.securityContext;
        if (context?.allowPrivilegeEscalation !== false)
          problems.push(`${where}/${container.name}: privilege escalation`);
        if (context?.privileged === true) problems.push(`${where}/${container.name}: privileged`);
        if (!context?.capabilities?.drop?.includes('ALL')) problems.push(`${where}/${container.name}: capabilities`);
        if ((context?.capabilities?.add ?? []).length > 0)
          problems.push(`${where}/${container.name}: adds capabilities`);
        if (context?.readOnlyRootFilesystem !== true) writable.push(container.name);
      }
    }
    expect(problems).toEqual([]);
    expect(writable).toEqual([]);
    expect(
      named<KubeObject>(objects, 'Namespace', NAMESPACE).metadata.labels?.['pod-security.kubernetes.io/enforce'],
    ).toBe('restricted');
  });

  it('resolves every ConfigMap, Secret, volume and claim a pod names, but the ones the user provides', () => {
    const unresolved = new Set<string>();
    const exists = (kind: string, name: string | undefined) =>
      objects.some((object) => object.kind === kind && object.metadata.name === name);
    for (const template of templates) {
      const pod = template.spec;
      const claimTemplates = ((template.workload.spec as IStatefulSet['spec'])?.volumeClaimTemplates ?? []).map(
        (claim) => claim.metadata?.name,
      );
      for (const container of containersOf(template)) {
        for (const name of environmentOf(objects, container).missing) unresolved.add(`required ${name}`);
        for (const variable of container.env ?? []) {
          const reference = variable.valueFrom?.secretKeyRef;
          if (reference?.optional === true && !exists('Secret', reference.name)) {
            unresolved.add(`optional Secret ${reference.name}`);
          }
        }
        for (const mount of container.volumeMounts ?? []) {
          if (!pod.volumes?.some((volume) => volume.name === mount.name) && !claimTemplates.includes(mount.name)) {
            unresolved.add(`volume ${mount.name}`);
          }
        }
      }
      for (const volume of pod.volumes ?? []) {
        if (volume.configMap !== undefined && !exists('ConfigMap', volume.configMap.name)) {
          unresolved.add(`ConfigMap ${volume.configMap.name}`);
        }
        if (
          volume.persistentVolumeClaim !== undefined &&
          !exists('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName)
        ) {
          unresolved.add(`PersistentVolumeClaim ${volume.persistentVolumeClaim.claimName}`);
        }
      }
    }
    for (const ingress of ofKind<IIngress>(objects, 'Ingress')) {
      for (const tls of ingress.spec?.tls ?? []) {
        if (!exists('Secret', tls.secretName)) unresolved.add(`Ingress TLS Secret ${tls.secretName}`);
      }
    }
    // The PEM public key for JWTs and the TLS certificate are created by the operator (README).
    expect([...unresolved].sort()).toEqual(['Ingress TLS Secret ccsync-tls', 'optional Secret ccsync-jwt']);
  });

  it('runs the services from the ccsync image, the scheduler from the one that also has claude and ccusage', () => {
    const images = templates.flatMap((template) =>
      template.spec.containers.map((container) => [container.name, container.image, commandLine(container).join(' ')]),
    );
    expect(images.sort()).toEqual(
      [
        ['gateway', 'ghcr.io/ccsync/ccsync:0.1.0', '<entrypoint> node services/gateway/src/main.ts'],
        ['ingest', 'ghcr.io/ccsync/ccsync:0.1.0', '<entrypoint> node services/ingest/src/main.ts'],
        ['nats', 'nats:2.10-alpine', 'nats-server --config /etc/nats-config/nats.conf'],
        ['projector', 'ghcr.io/ccsync/ccsync:0.1.0', '<entrypoint> node services/projector/src/main.ts'],
        [
          'redis',
          'redis:7.2-alpine',
          'redis-server --appendonly yes --appendfsync everysec --maxmemory 1600mb --maxmemory-policy noeviction --dir /data --protected-mode no',
        ],
        ['scheduler', 'ghcr.io/ccsync/ccsync-scheduler:0.1.0', '<entrypoint> node services/scheduler/src/main.ts'],
      ].sort(),
    );
    for (const service of SERVICE_NAMES) expect(repoHas('services', service, 'src/main.ts')).toBe(true);
  });

  it('selects pods with every Service on declared ports, and names Services in NATS_URL and REDIS_URL', () => {
    const problems: string[] = [];
    for (const service of ofKind<IService>(objects, 'Service')) {
      const selector = service.spec?.selector ?? {};
      const backends = templates.filter(
        (template) => Object.keys(selector).length > 0 && selects({ matchLabels: selector }, template.labels),
      );
      if (backends.length === 0) problems.push(`${service.metadata.name}: selects no pods`);
      for (const port of service.spec?.ports ?? []) {
        for (const backend of backends) {
          if (containerPort(backend.spec.containers, port.targetPort ?? port.port) === undefined) {
            problems.push(`${service.metadata.name}: port ${port.name} targets nothing in ${nameLabel(backend)}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);

    const config = dataOf(generated(objects, 'ConfigMap', 'ccsync-config'));
    const urls = [...(config.NATS_URL ?? '').split(','), config.REDIS_URL ?? ''].map((url) => new URL(url));
    const reached = urls.map((url) => {
      const service = named<IService>(objects, 'Service', url.hostname);
      const port = service.spec?.ports?.find((candidate) => candidate.port === Number(url.port));
      const backend = templates.find((template) =>
        selects({ matchLabels: service.spec?.selector ?? {} }, template.labels),
      );
      return `${url.protocol}//${url.hostname}:${url.port} -> ${backend === undefined ? '?' : nameLabel(backend)}:${
        port === undefined ? '?' : containerPort(backend?.spec.containers ?? [], port.targetPort ?? port.port)
      }`;
    });
    expect(reached).toEqual(['nats://nats:4222 -> nats:4222', 'redis://redis:6379 -> redis:6379']);
  });

  it('routes the edge as compose does: /v1 to ingest except /v1/stats, everything else to the gateway', () => {
    const ingresses = ofKind<IIngress>(objects, 'Ingress') as KubeObject[];
    const serviceOf = (route: Route) => routeRequest(ingresses, HOST, samplePath(route))?.service;
    const ingest = registeredRoutes('ingest').map(describeRoute);
    // The dashboard's files come from a static plugin under /assets/, not from a route module.
    expect(readRepoFile('services/gateway/src/dashboard/routes.ts')).toContain("prefix: '/assets/'");
    const gateway = [...registeredRoutes('gateway').map(describeRoute), 'GET /assets/index.js'];
    // The extraction itself must work, or every route below would trivially pass.
    expect(ingest).toEqual(
      expect.arrayContaining([
        'POST /v1/usage',
        'POST /v1/accounts',
        'POST /v1/devices',
        'DELETE /v1/machines/:hostname',
        'GET /v1/tokens',
        'POST /v1/logs',
        'POST /v1/metrics',
        'POST /v1/snapshots',
        'GET /v1/whoami',
        'POST /v1/heartbeat',
        'POST /v1/rate-limits',
      ]),
    );
    expect(gateway).toEqual(
      expect.arrayContaining([
        'GET /ws',
        'GET /',
        'GET /v1/stats/daily',
        'GET /api/usage',
        'GET /api/usage/:deviceId',
        'POST /api/usage/:deviceId',
      ]),
    );

    const asRoute = (route: string): Route => {
      const [method = '', path = ''] = route.split(' ');
      return { method, path };
    };
    const routed = Object.fromEntries(
      [...ingest, ...gateway, ...SHARED_ROUTES].map((route) => [route, serviceOf(asRoute(route))]),
    );
    expect(routed).toEqual(
      Object.fromEntries([
        ...ingest.map((route) => [route, 'ingest']),
        ...gateway.map((route) => [route, 'gateway']),
        ...SHARED_ROUTES.map((route) => [route, 'gateway']),
      ]),
    );

    // Each backend is a Service port, and the proxy takes the bodies the service takes.
    const limits = ofKind<IIngress>(objects, 'Ingress').map((ingress) => {
      const [backend] =
        ingress.spec?.rules?.flatMap((rule) => rule.http?.paths ?? []).map((path) => path.backend.service) ?? [];
      const service = named<IService>(objects, 'Service', backend?.name ?? '');
      expect(service.spec?.ports?.map((port) => port.name)).toContain(backend?.port?.name);
      const container = serviceContainers(objects).find((candidate) => candidate.service === backend?.name);
      const config = configOf(
        container?.service as ServiceName,
        environmentOf(objects, container?.container as IContainer).env,
      );
      const limit = config[`${(backend?.name ?? '').toUpperCase()}_BODY_LIMIT_BYTES`] as number;
      const proxied = ingress.metadata.annotations?.['nginx.ingress.kubernetes.io/proxy-body-size'] ?? '1m';
      return [ingress.metadata.name, quantity(proxied.replace(/m$/, 'Mi')) >= limit];
    });
    expect(limits.sort()).toEqual([
      ['gateway', true],
      ['ingest', true],
    ]);
  });

  it('lets through exactly the connections the services need, and nothing else', () => {
    const policies = ofKind<KubeObject>(objects, 'NetworkPolicy');
    const pod = (namespace: string, labels: Record<string, string>, containers: IContainer[] = []): Peer => ({
      kind: 'pod',
      namespace,
      labels,
      containers,
    });
    const inside = new Map<string, Peer>(
      templates.map((template) => [nameLabel(template), pod(NAMESPACE, template.labels, template.spec.containers)]),
    );
    const outside = new Map<string, Peer>([
      ['ingress-nginx', pod('ingress-nginx', { 'app.kubernetes.io/name': 'ingress-nginx' })],
      ['prometheus', pod('monitoring', { 'app.kubernetes.io/name': 'prometheus' })],
      ['stranger', pod('default', { app: 'stranger' })],
    ]);
    const dns = pod('kube-system', { 'k8s-app': 'kube-dns' }, [
      {
        name: 'dns',
        ports: [
          { containerPort: 53, protocol: 'UDP' },
          { containerPort: 53, protocol: 'TCP' },
        ],
      },
    ]);
    const destinations: [string, Peer, number, string][] = [
      ...[...inside].flatMap(([name, peer]) =>
        (peer.kind === 'pod' ? peer.containers : []).flatMap((container) =>
          (container.ports ?? []).map(
            (port) => [name, peer, port.containerPort, port.protocol ?? 'TCP'] as [string, Peer, number, string],
          ),
        ),
      ),
      ['kube-dns', dns, 53, 'UDP'],
      ['kube-dns', dns, 53, 'TCP'],
      ['internet', { kind: 'external', address: '203.0.113.10' }, 443, 'TCP'],
      ['internet', { kind: 'external', address: '203.0.113.10' }, 80, 'TCP'],
    ];
    const allowed: string[] = [];
    for (const [source, from] of [...inside, ...outside]) {
      for (const [target, to, port, protocol] of destinations) {
        if (!inside.has(source) && !inside.has(target)) continue;
        if (connectionAllowed(policies, from, to, port, protocol))
          allowed.push(`${source} -> ${target}:${port}/${protocol}`);
      }
    }
    const services = ['ingest', 'projector', 'gateway', 'scheduler'];
    const ports: Record<string, number> = { gateway: 3000, ingest: 3001, projector: 3002, scheduler: 3003 };
    expect(allowed.sort()).toEqual(
      [
        ...services.flatMap((service) => [`${service} -> nats:4222/TCP`, `${service} -> redis:6379/TCP`]),
        'nats -> nats:6222/TCP',
        ...[...inside.keys()].flatMap((name) => [`${name} -> kube-dns:53/UDP`, `${name} -> kube-dns:53/TCP`]),
        'scheduler -> internet:443/TCP',
        'ingress-nginx -> gateway:3000/TCP',
        'ingress-nginx -> ingest:3001/TCP',
        ...services.map((service) => `prometheus -> ${service}:${ports[service]}/TCP`),
        'prometheus -> nats:8222/TCP',
      ].sort(),
    );
  });

  it('runs NATS as its Helm chart does: Parallel start, stable names, lame duck mode within the grace period', () => {
    const nats = named<IStatefulSet>(objects, 'StatefulSet', 'nats');
    const pod = nats.spec?.template.spec;
    const container = pod?.containers.find((candidate) => candidate.name === 'nats') as IContainer;
    const conf = natsConfig(objects);
    const setting = (key: string) => new RegExp(`^${key}:\\s*(\\S+)`, 'm').exec(conf)?.[1];
    const mountOf = (volume: string) => container.volumeMounts?.find((mount) => mount.name === volume)?.mountPath;
    const pidFile = setting('pid_file') ?? '';
    const headless = named<IService>(objects, 'Service', nats.spec?.serviceName ?? '');

    expect({
      podManagement: nats.spec?.podManagementPolicy,
      serverName: setting('server_name'),
      podName: container.env?.find((variable) => variable.name === 'POD_NAME')?.valueFrom?.fieldRef?.fieldPath,
      storeOnVolume: /store_dir:\s*(\S+)/.exec(conf)?.[1] === mountOf('data'),
      pidOnVolume: pidFile.startsWith(`${mountOf('run')}/`),
      preStop: container.lifecycle?.preStop?.exec?.command,
      graceMargin:
        (pod?.terminationGracePeriodSeconds ?? 30) -
        seconds(setting('lame_duck_grace_period') ?? '') -
        seconds(setting('lame_duck_duration') ?? ''),
      probes: [container.startupProbe, container.readinessProbe, container.livenessProbe].map(
        (probe) => probe?.httpGet?.path,
      ),
      headless: [headless.spec?.clusterIP, headless.spec?.publishNotReadyAddresses],
      kept: nats.spec?.persistentVolumeClaimRetentionPolicy,
    }).toEqual({
      podManagement: 'Parallel',
      serverName: '$POD_NAME',
      podName: 'metadata.name',
      storeOnVolume: true,
      pidOnVolume: true,
      preStop: ['nats-server', `-sl=ldm=${pidFile}`],
      graceMargin: 20,
      probes: ['/healthz', '/healthz?js-server-only=true', '/healthz?js-enabled-only=true'],
      headless: ['None', true],
      kept: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
  });

  it('bounds each store below its volume and memory limit, so it refuses writes instead of being killed', () => {
    // nats.conf and redis.conf sizes count in 1024s; Go's GOMEMLIMIT is written like a quantity.
    const size = (value: string) => {
      const match = /^(\d+)(kb|mb|gb|tb)$/i.exec(value);
      if (match === null) throw new Error(`not a size: ${value}`);
      return Number(match[1]) * 1024 ** (['kb', 'mb', 'gb', 'tb'].indexOf((match[2] as string).toLowerCase()) + 1);
    };
    const store = (name: string) => {
      const set = named<IStatefulSet>(objects, 'StatefulSet', name);
      const container = set.spec?.template.spec?.containers[0] as IContainer;
      const volume = set.spec?.volumeClaimTemplates?.find((claim) => claim.metadata?.name === 'data');
      return {
        container,
        memory: quantity(container.resources?.limits?.memory ?? 0),
        disk: quantity(volume?.spec?.resources?.requests?.storage ?? 0),
      };
    };
    const nats = store('nats');
    const conf = natsConfig(objects);
    const natsSetting = (key: string) => size(new RegExp(`${key}:\\s*(\\S+)`).exec(conf)?.[1] ?? '');
    const goMemoryLimit = quantity(
      (nats.container.env?.find((variable) => variable.name === 'GOMEMLIMIT')?.value ?? '').replace(/B$/, ''),
    );
    const redis = store('redis');
    const args = redis.container.args ?? [];
    const redisMemory = size(args[args.indexOf('--maxmemory') + 1] ?? '');
    expect({
      natsFileStoreBelowVolume: natsSetting('max_file_store') < nats.disk,
      // Ingest stores a batch as one message; a smaller limit makes agents split their batches.
      natsCarriesLargestBatch:
        natsSetting('max_payload') >= SERVICE_ENV.ingest.shape.INGEST_BODY_LIMIT_BYTES.parse(undefined),
      natsMemoryStoreBelowGoLimit: natsSetting('max_memory_store') < goMemoryLimit,
      goLimitBelowContainerLimit: goMemoryLimit < nats.memory,
      redisMaxmemoryBelowLimit: redisMemory < redis.memory,
      redisNoEviction: args[args.indexOf('--maxmemory-policy') + 1],
    }).toEqual({
      natsFileStoreBelowVolume: true,
      natsCarriesLargestBatch: true,
      natsMemoryStoreBelowGoLimit: true,
      goLimitBelowContainerLimit: true,
      redisMaxmemoryBelowLimit: true,
      redisNoEviction: 'noeviction',
    });
  });

  it('replicates streams as many times as there are NATS servers: 3 in HA, 1 on a single node', () => {
    const nats = named<IStatefulSet>(objects, 'StatefulSet', 'nats');
    const conf = natsConfig(objects);
    const routes = [...(/routes:\s*\[([^\]]*)\]/.exec(conf)?.[1]?.matchAll(/nats:\/\/(\S+)/g) ?? [])].map(
      (match) => match[1],
    );
    const streamReplicas = Object.fromEntries(
      serviceContainers(objects).map(({ service, container }) => [
        service,
        configOf(service, environmentOf(objects, container).env).CCSYNC_STREAM_REPLICAS,
      ]),
    );
    const servers = nats.spec?.replicas ?? 1;
    const expected = overlay === 'ha' ? 3 : 1;
    expect({ servers, cluster: /^cluster\s*\{/m.test(conf), routes, streamReplicas }).toEqual({
      servers: expected,
      // A one-server "cluster" that routes to itself is not a valid JetStream cluster.
      cluster: expected > 1,
      routes: Array.from(
        { length: expected > 1 ? expected : 0 },
        (_, index) => `nats-${index}.${nats.spec?.serviceName}:6222`,
      ),
      streamReplicas: { ingest: expected, projector: expected, gateway: expected, scheduler: expected },
    });
  });

  it('keeps the scheduler device and Claude data fixed across restarts, shared by the replicas in HA', () => {
    const scheduler = serviceContainers(objects).find((candidate) => candidate.service === 'scheduler');
    const config = configOf('scheduler', environmentOf(objects, scheduler?.container as IContainer).env);
    const mount = scheduler?.container.volumeMounts?.find(
      (candidate) => candidate.mountPath === config.CLAUDE_CONFIG_DIR,
    );
    const volume = scheduler?.template.spec.volumes?.find((candidate) => candidate.name === mount?.name);
    const claim = named<IPersistentVolumeClaim>(
      objects,
      'PersistentVolumeClaim',
      volume?.persistentVolumeClaim?.claimName ?? '',
    );
    expect({
      device: config.SCHEDULER_DEVICE,
      accessModes: claim.spec?.accessModes,
      replicas: runningReplicas(objects, scheduler?.template.workload as KubeObject),
    }).toEqual({
      device: 'ccsync-server',
      accessModes: overlay === 'ha' ? ['ReadWriteMany'] : ['ReadWriteOnce'],
      replicas: overlay === 'ha' ? 2 : 1,
    });
  });

  it('autoscales the gateway in HA on open sockets per pod and memory, leaving its replica count to the HPA', () => {
    const autoscalers = ofKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler');
    const gateway = named<IDeployment>(objects, 'Deployment', 'gateway');
    const gauges = sourceFiles(repoPath('services/gateway/src')).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/new Gauge\(\{\s*name:\s*'([a-z_]+)'/g)].map((match) => match[1]),
    );
    expect(gauges).toContain('ccsync_gateway_ws_connections');
    expect(gateway.spec?.replicas).toBeUndefined();
    expect(
      autoscalers.map((hpa) => ({
        target: hpa.spec?.scaleTargetRef,
        min: hpa.spec?.minReplicas,
        max: hpa.spec?.maxReplicas,
        metrics: hpa.spec?.metrics?.map((metric) => metric.pods?.metric.name ?? metric.resource?.name),
        gauge: gauges.includes(hpa.spec?.metrics?.[0]?.pods?.metric.name),
      })),
    ).toEqual(
      overlay === 'ha'
        ? [
            {
              target: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' },
              min: 2,
              max: 10,
              metrics: ['ccsync_gateway_ws_connections', 'memory'],
              gauge: true,
            },
          ]
        : [],
    );
  });
});

describe('secrets', () => {
  it('ship as an example with no value, so no install runs on a token from the repository', () => {
    const assignments = EXAMPLE.split('\n')
      .map((line) => ASSIGNMENT.exec(line.trim()))
      .filter((match) => match !== null)
      .map((match) => [match[2], match[1] === undefined ? 'required' : 'optional', match[3]]);
    expect(assignments).toEqual([
      ['CCSYNC_ADMIN_TOKEN', 'required', ''],
      ['CCSYNC_METRICS_TOKEN', 'optional', ''],
      ['CCSYNC_JWT_SECRET', 'optional', ''],
      ['CLAUDE_CODE_OAUTH_TOKEN', 'optional', ''],
      ['ANTHROPIC_API_KEY', 'optional', ''],
    ]);
    expect(readFileSync(join(K8S, '.gitignore'), 'utf8')).toMatch(/^base\/secrets\.env$/m);
  });

  it('roll the pods when they change: the Secret name carries a hash of its content', () => {
    const names = (['all', 'required'] as const).map(
      (keys) => generated(render('single-node', keys), 'Secret', 'ccsync-secrets').metadata.name,
    );
    expect(new Set(names).size).toBe(2);
    const references = serviceContainers(render('single-node', 'required')).flatMap(({ container }) =>
      (container.env ?? []).flatMap((variable) => variable.valueFrom?.secretKeyRef?.name ?? []),
    );
    expect(new Set(references)).toEqual(new Set([names[1], 'ccsync-jwt']));
  });
});
