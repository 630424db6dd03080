/**
 * What the cluster would make of rendered objects, for tests that have no cluster: label
 * selectors, container ports, resource quantities, Ingress path matching and NetworkPolicy
 * evaluation, each as the Kubernetes API documents it.
 */
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import { type KubeObject, podSpecOf } from './kustomize.ts';

export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Whether the labels match; an empty selector matches everything, as in NetworkPolicy. */
export function selects(selector: LabelSelector, labels: Labels): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    byLabels &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      switch (operator) {
        case 'In':
          return key in labels && values.includes(labels[key] as string);
        case 'NotIn':
          return !(key in labels) || !values.includes(labels[key] as string);
        case 'Exists':
          return key in labels;
        case 'DoesNotExist':
          return !(key in labels);
        default:
          throw new Error(`unknown selector operator ${operator}`);
      }
    })
  );
}

/** A workload's pods as the API would create them: the template's labels and spec. */
export interface PodTemplate {
  readonly workload: KubeObject;
  readonly namespace: string;
  readonly labels: Labels;
  readonly spec: IPodSpec;
}

export function podTemplates(objects: readonly KubeObject[]): PodTemplate[] {
  return objects.flatMap((workload) => {
    const spec = podSpecOf(workload);
    if (spec === undefined || !['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(workload.kind)) {
      return [];
    }
    const template = (workload.spec as { template?: { metadata?: { labels?: Labels } } }).template;
    return [
      {
        workload,
        namespace: workload.metadata.namespace ?? 'default',
        labels: template?.metadata?.labels ?? {},
        spec: spec as unknown as IPodSpec,
      },
    ];
  });
}

/** The container port a probe, Service or policy names, by number or by name; undefined if undeclared. */
export function containerPort(
  containers: readonly IContainer[],
  port: number | string,
  protocol = 'TCP',
): number | undefined {
  for (const container of containers) {
    for (const declared of container.ports ?? []) {
      if ((declared.protocol ?? 'TCP') !== protocol) continue;
      if (typeof port === 'number' ? declared.containerPort === port : declared.name === port) {
        return declared.containerPort;
      }
    }
  }
  return undefined;
}

/** A resource quantity (`250m`, `512Mi`, `2Gi`, `1G`) as a number of units. */
export function quantity(value: string | number): number {
  if (typeof value === 'number') return value;
  const match = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(value);
  if (match === null) throw new Error(`not a quantity: ${value}`);
  const factors: Record<string, number> = {
    m: 1e-3,
    k: 1e3,
    M: 1e6,
    G: 1e9,
    T: 1e12,
    Ki: 2 ** 10,
    Mi: 2 ** 20,
    Gi: 2 ** 30,
    Ti: 2 ** 40,
  };
  return Number(match[1]) * (match[2] === undefined ? 1 : (factors[match[2]] as number));
}

// ---------------------------------------------------------------------------------------------
// Ingress
// ---------------------------------------------------------------------------------------------

export interface IngressBackend {
  readonly ingress: string;
  readonly service: string;
  readonly port: string | number;
}

interface IngressPath {
  path?: string;
  pathType: string;
  backend: { service?: { name: string; port?: { name?: string; number?: number } } };
}

/**
 * Where the Ingresses send a request for `path` on `host`, by the Ingress API's rules: an Exact
 * path wins, then the longest Prefix, where a prefix matches whole path elements (`/v1` matches
 * `/v1` and `/v1/usage`, not `/v1x`). Rules of several Ingresses for one host are merged.
 */
export function routeRequest(ingresses: readonly KubeObject[], host: string, path: string): IngressBackend | undefined {
  const elements = (value: string) => value.split('/').filter((element) => element !== '');
  const requested = elements(path);
  let best: { backend: IngressBackend; exact: boolean; length: number } | undefined;
  for (const ingress of ingresses) {
    const rules = (ingress.spec as { rules?: { host?: string; http?: { paths: IngressPath[] } }[] }).rules ?? [];
    for (const rule of rules) {
      if (rule.host !== undefined && rule.host !== host) continue;
      for (const candidate of rule.http?.paths ?? []) {
        const service = candidate.backend.service;
        if (service === undefined) throw new Error(`${ingress.metadata.name}: only Service backends are checked`);
        const backend = {
          ingress: ingress.metadata.name,
          service: service.name,
          port: service.port?.name ?? (service.port?.number as number),
        };
        const candidatePath = candidate.path ?? '/';
        let match: { exact: boolean; length: number } | undefined;
        if (candidate.pathType === 'Exact') {
          if (candidatePath === path) match = { exact: true, length: candidatePath.length };
        } else if (candidate.pathType === 'Prefix') {
          const prefix = elements(candidatePath);
          if (prefix.every((element, index) => requested[index] === element)) {
            match = { exact: false, length: prefix.join('/').length };
          }
        } else {
          throw new Error(`${ingress.metadata.name}: pathType ${candidate.pathType} has no portable meaning`);
        }
        if (match === undefined) continue;
        const better =
          best === undefined ||
          (match.exact && !best.exact) ||
          (match.exact === best.exact && match.length > best.length);
        if (best !== undefined && match.exact === best.exact && match.length === best.length) {
          throw new Error(`${path}: matched equally by ${best.backend.ingress} and ${ingress.metadata.name}`);
        }
        if (better) best = { backend, ...match };
      }
    }
  }
  return best?.backend;
}

// ---------------------------------------------------------------------------------------------
// NetworkPolicy
// ---------------------------------------------------------------------------------------------

/** One end of a connection: a pod (with its namespace's labels), or an address outside the cluster. */
export type Peer =
  | { readonly kind: 'pod'; readonly namespace: string; readonly labels: Labels; readonly containers: IContainer[] }
  | { readonly kind: 'external'; readonly address: string };

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PolicyPort {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}
interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}

/**
 * Whether `source` may open a connection to `target` on `port`, given every NetworkPolicy: the
 * source's egress and the target's ingress must both allow it. Pods that no policy of a direction
 * selects are open in that direction. Namespaces are identified by the label Kubernetes gives each
 * one, kubernetes.io/metadata.name.
 */
export function connectionAllowed(
  policies: readonly KubeObject[],
  source: Peer,
  target: Peer,
  port: number,
  protocol = 'TCP',
): boolean {
  return (
    directionAllows(policies, 'Egress', source, target, port, protocol) &&
    directionAllows(policies, 'Ingress', target, source, port, protocol)
  );
}

function directionAllows(
  policies: readonly KubeObject[],
  direction: 'Ingress' | 'Egress',
  subject: Peer,
  other: Peer,
  port: number,
  protocol: string,
): boolean {
  if (subject.kind !== 'pod') return true;
  const governing = policies.filter((policy) => {
    const spec = policy.spec as PolicySpec;
    const types = spec.policyTypes ?? (direction === 'Ingress' || spec.egress !== undefined ? [direction] : []);
    return (
      policy.metadata.namespace === subject.namespace &&
      types.includes(direction) &&
      selects(spec.podSelector, subject.labels)
    );
  });
  if (governing.length === 0) return true;
  // Named ports always name a port of the destination pod.
  const destination = direction === 'Ingress' ? subject : other;
  return governing.some((policy) => {
    const spec = policy.spec as PolicySpec;
    const rules = (direction === 'Ingress' ? spec.ingress : spec.egress) ?? [];
    return rules.some((rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerMatches =
        peers === undefined ||
        peers.length === 0 ||
        peers.some((peer) => peerSelects(peer, policy.metadata.namespace ?? 'default', other));
      const portMatches =
        rule.ports === undefined ||
        rule.ports.length === 0 ||
        rule.ports.some((allowed) => portSelects(allowed, destination, port, protocol));
      return peerMatches && portMatches;
    });
  });
}

function peerSelects(peer: PolicyPeer, policyNamespace: string, candidate: Peer): boolean {
  if (peer.ipBlock !== undefined) {
    // ipBlock is for addresses outside the cluster; pod addresses are ephemeral and not matched here.
    return (
      candidate.kind === 'external' &&
      cidrContains(peer.ipBlock.cidr, candidate.address) &&
      !(peer.ipBlock.except ?? []).some((except) => cidrContains(except, candidate.address))
    );
  }
  if (candidate.kind !== 'pod') return false;
  const namespaceMatches =
    peer.namespaceSelector === undefined
      ? candidate.namespace === policyNamespace
      : selects(peer.namespaceSelector, { 'kubernetes.io/metadata.name': candidate.namespace });
  return namespaceMatches && (peer.podSelector === undefined || selects(peer.podSelector, candidate.labels));
}

function portSelects(allowed: PolicyPort, destination: Peer, port: number, protocol: string): boolean {
  if ((allowed.protocol ?? 'TCP') !== protocol) return false;
  if (allowed.port === undefined) return true;
  if (typeof allowed.port === 'string') {
    return destination.kind === 'pod' && containerPort(destination.containers, allowed.port, protocol) === port;
  }
  return allowed.endPort === undefined ? allowed.port === port : port >= allowed.port && port <= allowed.endPort;
}

function cidrContains(cidr: string, address: string): boolean {
  const [network = '', bits = '0'] = cidr.split('/');
  const v6 = (value: string) => value.includes(':');
  if (v6(network) !== v6(address)) return false;
  if (v6(network)) {
    if (Number(bits) === 0) return true;
    throw new Error(`only ::/0 is supported among IPv6 blocks, not ${cidr}`);
  }
  const toNumber = (value: string) => value.split('.').reduce((sum, octet) => sum * 256 + Number(octet), 0);
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toNumber(address) / size) === Math.floor(toNumber(network) / size);
}
