/**
 * A small kustomize for tests: it renders a kustomization the way `kubectl apply -k` does, for
 * exactly the features deploy/k8s uses, and throws on every field it does not implement, so that
 * an overlay can never rely on something this renderer would silently skip.
 *
 * Implemented, following kustomize v5 (sigs.k8s.io/kustomize/api):
 * - `resources`: YAML files inside the kustomization's folder, and folders holding a kustomization;
 * - `configMapGenerator`, `secretGenerator`: `literals`, `envs`, `files`, `behavior`
 *   (create, merge, replace), `options` (`disableNameSuffixHash`, `labels`, `annotations`), `type`;
 *   the content-hash name suffix (kustomize's hasher, checked against its test vectors) and the
 *   rewriting of the references to the hashed names in pod specs and Ingress TLS;
 * - `patches`: a strategic-merge patch (by the patch's own kind and name, or a `target`), or a
 *   JSON 6902 patch with a `target` (`add`, `remove`, `replace`);
 * - `namespace`, `labels` (`pairs`, `includeTemplates`), `replicas`, `images`;
 * run in kustomize's order: generators, patches, namespace, labels, replicas, images; hashes last.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A kustomization this renderer cannot render as kustomize would. */
export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

/** Where the renderer reads files: the disk, or files given in a test. */
export interface FileSource {
  /** The file's text; throws when there is none. */
  read(path: string): string;
  isDirectory(path: string): boolean;
  isFile(path: string): boolean;
}

export const diskFiles: FileSource = {
  read: (path) => readFileSync(path, 'utf8'),
  isDirectory: (path) => existsSync(path) && statSync(path).isDirectory(),
  isFile: (path) => existsSync(path) && statSync(path).isFile(),
};

/** `files` (absolute path to content) in front of `fallback`: a file a user creates, e.g. secrets.env. */
export function withFiles(files: Record<string, string>, fallback: FileSource = diskFiles): FileSource {
  const given = new Map(Object.entries(files).map(([path, text]) => [resolve(path), text]));
  const folders = new Set([...given.keys()].flatMap((path) => ancestors(path)));
  return {
    read: (path) => given.get(resolve(path)) ?? fallback.read(path),
    isDirectory: (path) => folders.has(resolve(path)) || fallback.isDirectory(path),
    isFile: (path) => given.has(resolve(path)) || fallback.isFile(path),
  };
}

function ancestors(path: string): string[] {
  const parts = path.split(sep);
  return parts.slice(1, -1).map((_, index) => parts.slice(0, index + 2).join(sep) || sep);
}

/** Renders the kustomization in `dir` into the objects `kubectl apply -k dir` would send. */
export function renderKustomization(dir: string, files: FileSource = diskFiles): KubeObject[] {
  const resources = build(resolve(dir), files, []);
  appendHashSuffixes(resources);
  return resources.map((resource) => resource.object);
}

// ---------------------------------------------------------------------------------------------
// One kustomization
// ---------------------------------------------------------------------------------------------

/** A resource being built, with what kustomize remembers about it besides the object. */
interface Resource {
  object: KubeObject;
  /** Every name and namespace it had: generators with `behavior` and patches may match any. */
  ids: { name: string; namespace: string | undefined }[];
  /** Generated, with the content-hash suffix to append once the whole build is done. */
  hashSuffix: boolean;
}

const KUSTOMIZATION_FIELDS = [
  'apiVersion',
  'kind',
  'resources',
  'configMapGenerator',
  'secretGenerator',
  'patches',
  'namespace',
  'labels',
  'replicas',
  'images',
];
const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

function build(dir: string, files: FileSource, visiting: string[]): Resource[] {
  if (visiting.includes(dir)) throw new KustomizeError(`cycle: ${[...visiting, dir].join(' -> ')}`);
  const found = KUSTOMIZATION_FILES.filter((name) => files.isFile(join(dir, name)));
  if (found.length !== 1) {
    throw new KustomizeError(`${dir}: expected one of ${KUSTOMIZATION_FILES.join(', ')}, found ${found.length}`);
  }
  const path = join(dir, found[0] as string);
  const kustomization = record(parseSingleDocument(readText(files, path, dir), path), path);
  onlyFields(kustomization, KUSTOMIZATION_FIELDS, path);
  if (kustomization.apiVersion !== undefined && kustomization.apiVersion !== 'kustomize.config.k8s.io/v1beta1') {
    throw new KustomizeError(`${path}: apiVersion ${String(kustomization.apiVersion)} is not supported`);
  }
  if (kustomization.kind !== undefined && kustomization.kind !== 'Kustomization') {
    throw new KustomizeError(`${path}: kind ${String(kustomization.kind)} is not supported`);
  }

  const resources: Resource[] = [];
  for (const entry of list(kustomization.resources, `${path}: resources`)) {
    const target = string(entry, `${path}: resources`);
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target) || target.includes('?ref=')) {
      throw new KustomizeError(`${path}: remote resource ${target} is not supported`);
    }
    const full = resolve(dir, target);
    const loaded = files.isDirectory(full)
      ? build(full, files, [...visiting, dir])
      : loadResourceFile(inside(dir, target, path), files);
    for (const resource of loaded) add(resources, resource, path);
  }
  for (const args of list(kustomization.configMapGenerator, `${path}: configMapGenerator`)) {
    generate(resources, 'ConfigMap', record(args, `${path}: configMapGenerator`), dir, files, path);
  }
  for (const args of list(kustomization.secretGenerator, `${path}: secretGenerator`)) {
    generate(resources, 'Secret', record(args, `${path}: secretGenerator`), dir, files, path);
  }
  for (const entry of list(kustomization.patches, `${path}: patches`)) {
    applyPatch(resources, record(entry, `${path}: patches`), dir, files, path);
  }
  if (kustomization.namespace !== undefined) setNamespace(resources, string(kustomization.namespace, path));
  for (const entry of list(kustomization.labels, `${path}: labels`)) {
    addLabels(resources, record(entry, `${path}: labels`), path);
  }
  for (const entry of list(kustomization.replicas, `${path}: replicas`)) {
    setReplicas(resources, record(entry, `${path}: replicas`), path);
  }
  for (const entry of list(kustomization.images, `${path}: images`)) {
    setImages(resources, record(entry, `${path}: images`), path);
  }
  return resources;
}

function loadResourceFile(path: string, files: FileSource): Resource[] {
  return parseDocuments(readText(files, path, 'resources'), path).map((document) => {
    const object = record(document, path);
    if (object.kind === 'List' || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
      throw new KustomizeError(`${path}: every document must be one object with apiVersion and kind`);
    }
    const metadata = record(object.metadata, `${path}: metadata`);
    const name = string(metadata.name, `${path}: metadata.name`);
    const namespace = metadata.namespace === undefined ? undefined : string(metadata.namespace, path);
    return { object: object as KubeObject, ids: [{ name, namespace }], hashSuffix: false };
  });
}

/** Adds a resource, refusing a second one with the same id, as kustomize does. */
function add(resources: Resource[], resource: Resource, where: string): void {
  const id = resourceId(resource.object);
  if (resources.some((other) => resourceId(other.object) === id)) {
    throw new KustomizeError(`${where}: may not add resource with an already registered id: ${id}`);
  }
  resources.push(resource);
}

function resourceId({ apiVersion, kind, metadata }: KubeObject): string {
  const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
  return `${group}|${kind}|${metadata.namespace ?? ''}|${metadata.name}`;
}

/** Resources of `kind` that ever had this name (and namespace, when given). */
function matching(resources: Resource[], kinds: readonly string[], name: string, namespace?: string): Resource[] {
  return resources.filter(
    (resource) =>
      kinds.includes(resource.object.kind) &&
      resource.ids.some((id) => id.name === name && (namespace === undefined || id.namespace === namespace)),
  );
}

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

function generate(
  resources: Resource[],
  kind: 'ConfigMap' | 'Secret',
  args: Record<string, unknown>,
  dir: string,
  files: FileSource,
  where: string,
): void {
  const fields = ['name', 'namespace', 'behavior', 'literals', 'envs', 'files', 'options'];
  onlyFields(args, kind === 'Secret' ? [...fields, 'type'] : fields, `${where}: ${kind} generator`);
  const name = string(args.name, `${where}: generator name`);
  const at = `${where}: ${kind} ${name}`;
  const options = args.options === undefined ? {} : record(args.options, at);
  onlyFields(options, ['disableNameSuffixHash', 'labels', 'annotations'], `${at}: options`);

  const data = new Map<string, string>();
  const put = (key: string, value: string) => {
    if (data.has(key)) throw new KustomizeError(`${at}: repeats the key ${key}`);
    data.set(key, value);
  };
  for (const env of list(args.envs, at)) {
    for (const [key, value] of envFileEntries(readText(files, inside(dir, string(env, at), at), at), at))
      put(key, value);
  }
  for (const literal of list(args.literals, at)) {
    const [key, value] = literalEntry(string(literal, at), at);
    put(key, value);
  }
  for (const file of list(args.files, at)) {
    const source = string(file, at);
    const equals = source.indexOf('=');
    const key = equals > 0 ? source.slice(0, equals) : basename(source);
    put(key, readText(files, inside(dir, equals > 0 ? source.slice(equals + 1) : source, at), at));
  }

  const metadata: ObjectMeta = { name };
  if (args.namespace !== undefined) metadata.namespace = string(args.namespace, at);
  if (options.labels !== undefined) metadata.labels = stringMap(options.labels, at);
  if (options.annotations !== undefined) metadata.annotations = stringMap(options.annotations, at);
  const entries = [...data.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const object: KubeObject =
    kind === 'ConfigMap'
      ? { apiVersion: 'v1', kind, metadata, data: Object.fromEntries(entries) }
      : {
          apiVersion: 'v1',
          kind,
          metadata,
          type: args.type === undefined ? 'Opaque' : string(args.type, at),
          data: Object.fromEntries(entries.map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
        };
  const hashSuffix = options.disableNameSuffixHash !== true;

  const behavior = args.behavior ?? 'create';
  if (behavior === 'create') {
    add(resources, { object, ids: [{ name, namespace: metadata.namespace }], hashSuffix }, at);
    return;
  }
  if (behavior !== 'merge' && behavior !== 'replace') throw new KustomizeError(`${at}: behavior ${String(behavior)}`);
  const [existing, ...more] = matching(resources, [kind], name, metadata.namespace);
  if (existing === undefined || more.length > 0) {
    throw new KustomizeError(`${at}: behavior ${behavior} needs exactly one ${kind} ${name} to ${behavior}`);
  }
  const previous = existing.object;
  existing.object = {
    ...object,
    metadata: {
      ...previous.metadata,
      labels: { ...previous.metadata.labels, ...metadata.labels },
      annotations: { ...previous.metadata.annotations, ...metadata.annotations },
    },
    data: behavior === 'merge' ? { ...(previous.data as object), ...(object.data as object) } : object.data,
  };
  for (const empty of ['labels', 'annotations'] as const) {
    if (Object.keys(existing.object.metadata[empty] ?? {}).length === 0) delete existing.object.metadata[empty];
  }
  existing.hashSuffix = existing.hashSuffix && hashSuffix;
}

/** kustomize's env files: KEY=VALUE per line, `#` comments; no quotes are removed. */
function envFileEntries(text: string, where: string): [string, string][] {
  const entries: [string, string][] = [];
  for (const [index, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .entries()) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    const key = equals < 0 ? line : line.slice(0, equals);
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(key)) {
      throw new KustomizeError(`${where}: line ${index + 1}: "${key}" is not a valid variable name`);
    }
    entries.push([key, equals < 0 ? '' : line.slice(equals + 1)]);
  }
  return entries;
}

/** kustomize's literals: KEY=VALUE, with one pair of matching quotes around the value removed. */
function literalEntry(source: string, where: string): [string, string] {
  const equals = source.indexOf('=');
  if (equals <= 0) throw new KustomizeError(`${where}: invalid literal source ${source}, expected key=value`);
  const value = source.slice(equals + 1);
  const quoted = value.length >= 2 && value[0] === value.at(-1) && (value[0] === '"' || value[0] === "'");
  return [source.slice(0, equals), quoted ? value.slice(1, -1) : value];
}

// ---------------------------------------------------------------------------------------------
// Patches
// ---------------------------------------------------------------------------------------------

function applyPatch(
  resources: Resource[],
  entry: Record<string, unknown>,
  dir: string,
  files: FileSource,
  where: string,
): void {
  onlyFields(entry, ['path', 'patch', 'target'], `${where}: patches`);
  if ((entry.path === undefined) === (entry.patch === undefined)) {
    throw new KustomizeError(`${where}: a patch needs exactly one of path and patch`);
  }
  const at = entry.path === undefined ? `${where}: inline patch` : inside(dir, string(entry.path, where), where);
  const text = entry.path === undefined ? string(entry.patch, at) : readText(files, at, where);
  const body = parseSingleDocument(text, at);
  const targets =
    entry.target === undefined ? undefined : selectTargets(resources, record(entry.target, at), `${at}: target`);

  if (Array.isArray(body)) {
    if (targets === undefined) throw new KustomizeError(`${at}: a JSON 6902 patch needs a target`);
    for (const resource of targets) resource.object = applyJson6902(resource.object, body, at);
    return;
  }
  const patch = record(body, at);
  const selected =
    targets ??
    (() => {
      const metadata = record(patch.metadata, `${at}: metadata`);
      const namespace = metadata.namespace === undefined ? undefined : string(metadata.namespace, at);
      const found = matching(resources, [string(patch.kind, `${at}: kind`)], string(metadata.name, at), namespace);
      return found.filter((resource) => resource.object.apiVersion === patch.apiVersion);
    })();
  if (selected.length === 0) throw new KustomizeError(`${at}: the patch matches no resource`);
  // The patch names its target; it does not rename it.
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = patch;
  const { name: _name, namespace: _namespace, ...metadataRest } = record(metadata ?? {}, at);
  const strategic = Object.keys(metadataRest).length > 0 ? { ...rest, metadata: metadataRest } : rest;
  for (const resource of selected) {
    resource.object = strategicMerge(resource.object, strategic, [resource.object.kind]) as KubeObject;
  }
}

function selectTargets(resources: Resource[], target: Record<string, unknown>, at: string): Resource[] {
  onlyFields(target, ['group', 'version', 'kind', 'name', 'namespace'], at);
  const pattern = (field: unknown) => (field === undefined ? undefined : new RegExp(`^(?:${string(field, at)})$`, 'u'));
  const [group, version, kind, name, namespace] = [
    pattern(target.group),
    pattern(target.version),
    pattern(target.kind),
    pattern(target.name),
    pattern(target.namespace),
  ];
  const found = resources.filter(({ object, ids }) => {
    const [objectGroup, objectVersion] = object.apiVersion.includes('/')
      ? object.apiVersion.split('/')
      : ['', object.apiVersion];
    return (
      (group === undefined || group.test(objectGroup ?? '')) &&
      (version === undefined || version.test(objectVersion ?? '')) &&
      (kind === undefined || kind.test(object.kind)) &&
      ids.some(
        (id) =>
          (name === undefined || name.test(id.name)) && (namespace === undefined || namespace.test(id.namespace ?? '')),
      )
    );
  });
  if (found.length === 0) throw new KustomizeError(`${at}: selects no resource`);
  return found;
}

/**
 * Lists that a strategic-merge patch merges item by item, and the field that identifies an item
 * (Kubernetes' `patchMergeKey`). `ports` is keyed by containerPort in a container, by port in a Service.
 */
const MERGED_LISTS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  topologySpreadConstraints: 'topologyKey',
};
/** Lists a patch replaces whole (no patchMergeKey in Kubernetes' types). Any other list is refused. */
const REPLACED_LISTS = new Set([
  'args',
  'command',
  'accessModes',
  'tolerations',
  'matchExpressions',
  'values',
  'drop',
  'add',
  'metrics',
  'policies',
  'volumeClaimTemplates',
  'requiredDuringSchedulingIgnoredDuringExecution',
  'preferredDuringSchedulingIgnoredDuringExecution',
]);

function strategicMerge(base: unknown, patch: unknown, path: string[]): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: Record<string, unknown> = isRecord(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    const at = [...path, key];
    if (key.startsWith('$')) throw new KustomizeError(`${at.join('.')}: patch directives are not supported`);
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, key, at);
    } else {
      result[key] = strategicMerge(result[key], value, at);
    }
  }
  return result;
}

function mergeList(base: unknown, patch: unknown[], field: string, path: string[]): unknown[] {
  const items = Array.isArray(base) ? base : [];
  const key =
    field === 'ports'
      ? [...items, ...patch].some((item) => isRecord(item) && 'containerPort' in item)
        ? 'containerPort'
        : 'port'
      : MERGED_LISTS[field];
  if (key === undefined) {
    if (REPLACED_LISTS.has(field)) return structuredClone(patch);
    throw new KustomizeError(`${path.join('.')}: this renderer does not know how a patch merges this list`);
  }
  const merged = [...items];
  for (const item of patch) {
    if (!isRecord(item) || item[key] === undefined) {
      throw new KustomizeError(`${path.join('.')}: every item needs its merge key ${key}`);
    }
    const index = merged.findIndex((existing) => isRecord(existing) && existing[key] === item[key]);
    if (index < 0) merged.push(strategicMerge(undefined, item, [...path, String(item[key])]));
    else merged[index] = strategicMerge(merged[index], item, [...path, String(item[key])]);
  }
  return merged;
}

function applyJson6902(object: KubeObject, operations: unknown[], at: string): KubeObject {
  const result = structuredClone(object) as unknown as Record<string, unknown>;
  for (const raw of operations) {
    const operation = record(raw, at);
    onlyFields(operation, ['op', 'path', 'value'], `${at}: operation`);
    const tokens = string(operation.path, at)
      .split('/')
      .slice(1)
      .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'));
    const last = tokens.pop();
    if (last === undefined) throw new KustomizeError(`${at}: cannot ${String(operation.op)} the whole object`);
    let parent: unknown = result;
    for (const token of tokens) {
      parent = Array.isArray(parent) ? parent[Number(token)] : isRecord(parent) ? parent[token] : undefined;
      if (parent === undefined) throw new KustomizeError(`${at}: ${String(operation.path)} does not exist`);
    }
    const exists = Array.isArray(parent) ? Number(last) < parent.length : isRecord(parent) && last in parent;
    switch (operation.op) {
      case 'add':
        if (Array.isArray(parent)) {
          parent.splice(last === '-' ? parent.length : Number(last), 0, structuredClone(operation.value));
        } else (parent as Record<string, unknown>)[last] = structuredClone(operation.value);
        break;
      case 'replace':
      case 'remove':
        if (!exists) throw new KustomizeError(`${at}: ${String(operation.path)} does not exist`);
        if (operation.op === 'replace') (parent as Record<string, unknown>)[last] = structuredClone(operation.value);
        else if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete (parent as Record<string, unknown>)[last];
        break;
      default:
        throw new KustomizeError(`${at}: JSON 6902 operation ${String(operation.op)} is not supported`);
    }
  }
  return result as unknown as KubeObject;
}

// ---------------------------------------------------------------------------------------------
// Transformers
// ---------------------------------------------------------------------------------------------

/** Kinds whose scope is known here; kustomize reads it from the OpenAPI schema. */
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding', 'PersistentVolume', 'StorageClass']);
const NAMESPACED = new Set([
  'ConfigMap',
  'Secret',
  'Service',
  'ServiceAccount',
  'Deployment',
  'StatefulSet',
  'PersistentVolumeClaim',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'Ingress',
  'NetworkPolicy',
]);

function setNamespace(resources: Resource[], namespace: string): void {
  for (const resource of resources) {
    const { kind, metadata } = resource.object;
    if (kind === 'Namespace') {
      // kustomize's namespace field spec includes a Namespace object's own name.
      metadata.name = namespace;
    } else if (NAMESPACED.has(kind)) {
      metadata.namespace = namespace;
    } else if (!CLUSTER_SCOPED.has(kind)) {
      throw new KustomizeError(`namespace: this renderer does not know whether ${kind} is namespaced`);
    }
    resource.ids.push({ name: metadata.name, namespace: metadata.namespace });
  }
}

/** Where kustomize's `labels` with `includeTemplates` puts them besides metadata.labels. */
const TEMPLATE_LABELS: Record<string, string[][]> = {
  Deployment: [['spec', 'template', 'metadata', 'labels']],
  ReplicaSet: [['spec', 'template', 'metadata', 'labels']],
  DaemonSet: [['spec', 'template', 'metadata', 'labels']],
  StatefulSet: [['spec', 'template', 'metadata', 'labels']],
  Job: [['spec', 'template', 'metadata', 'labels']],
  CronJob: [
    ['spec', 'jobTemplate', 'metadata', 'labels'],
    ['spec', 'jobTemplate', 'spec', 'template', 'metadata', 'labels'],
  ],
};

function addLabels(resources: Resource[], entry: Record<string, unknown>, where: string): void {
  onlyFields(entry, ['pairs', 'includeSelectors', 'includeTemplates'], `${where}: labels`);
  // Selectors are immutable on a live Deployment: adding labels to them is refused, not emulated.
  if (entry.includeSelectors === true) throw new KustomizeError(`${where}: labels.includeSelectors is not supported`);
  const pairs = stringMap(entry.pairs, `${where}: labels.pairs`);
  for (const { object } of resources) {
    const paths = [
      ['metadata', 'labels'],
      ...(entry.includeTemplates === true ? (TEMPLATE_LABELS[object.kind] ?? []) : []),
    ];
    for (const path of paths) {
      const labels = ensureMap(object, path);
      Object.assign(labels, pairs);
    }
  }
}

function setReplicas(resources: Resource[], entry: Record<string, unknown>, where: string): void {
  onlyFields(entry, ['name', 'count'], `${where}: replicas`);
  const name = string(entry.name, `${where}: replicas.name`);
  if (typeof entry.count !== 'number' || !Number.isInteger(entry.count) || entry.count < 0) {
    throw new KustomizeError(`${where}: replicas ${name}: count must be a non-negative integer`);
  }
  const found = matching(resources, ['Deployment', 'ReplicaSet', 'StatefulSet', 'ReplicationController'], name);
  if (found.length === 0) throw new KustomizeError(`${where}: replicas: no workload named ${name}`);
  for (const { object } of found) ensureMap(object, ['spec']).replicas = entry.count;
}

function setImages(resources: Resource[], entry: Record<string, unknown>, where: string): void {
  onlyFields(entry, ['name', 'newName', 'newTag', 'digest'], `${where}: images`);
  const name = string(entry.name, `${where}: images.name`);
  const newName = entry.newName === undefined ? undefined : string(entry.newName, where);
  const newTag = entry.newTag === undefined ? undefined : String(entry.newTag);
  const digest = entry.digest === undefined ? undefined : string(entry.digest, where);
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const matches = new RegExp(
    `^${escaped}(:[a-zA-Z0-9_.{}-]*)?(@[a-zA-Z0-9]+([.+_-][a-zA-Z0-9]+)*:[a-zA-Z0-9_.{}-]*)?$`,
    'u',
  );
  for (const { object } of resources) {
    for (const container of podContainers(object)) {
      if (typeof container.image !== 'string' || !matches.test(container.image)) continue;
      let [imageName, tag, imageDigest] = splitImage(container.image);
      if (newName !== undefined) imageName = newName;
      // As kustomize: a new tag or digest replaces both the old tag and the old digest.
      if (newTag !== undefined || digest !== undefined) {
        tag = newTag ?? '';
        imageDigest = digest ?? '';
      }
      container.image = `${imageName}${tag === '' ? '' : `:${tag}`}${imageDigest === '' ? '' : `@${imageDigest}`}`;
    }
  }
}

/** kustomize's image.Split: name, tag and digest, where a registry's port is part of the name. */
function splitImage(image: string): [string, string, string] {
  const slash = Math.max(image.indexOf('/'), 0);
  const search = image.slice(slash);
  const at = search.indexOf('@');
  const colon = search.indexOf(':');
  if (at < 0 && colon < 0) return [image, '', ''];
  if (at >= 0 && (colon < 0 || at < colon)) return [image.slice(0, slash + at), '', image.slice(slash + at + 1)];
  if (at >= 0)
    return [image.slice(0, slash + colon), image.slice(slash + colon + 1, slash + at), image.slice(slash + at + 1)];
  return [image.slice(0, slash + colon), image.slice(slash + colon + 1), ''];
}

/** The pod spec of a workload (or Pod), where containers, volumes and pull secrets are. */
export function podSpecOf(object: KubeObject): Record<string, unknown> | undefined {
  const spec = object.spec;
  if (!isRecord(spec)) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') {
    const jobSpec = isRecord(spec.jobTemplate) ? spec.jobTemplate.spec : undefined;
    const template = isRecord(jobSpec) ? jobSpec.template : undefined;
    return isRecord(template) && isRecord(template.spec) ? template.spec : undefined;
  }
  return isRecord(spec.template) && isRecord(spec.template.spec) ? spec.template.spec : undefined;
}

function podContainers(object: KubeObject): Record<string, unknown>[] {
  const spec = podSpecOf(object);
  if (spec === undefined) return [];
  return [spec.containers, spec.initContainers].flatMap((containers) =>
    Array.isArray(containers) ? containers.filter(isRecord) : [],
  );
}

// ---------------------------------------------------------------------------------------------
// Name hashes and the references to them
// ---------------------------------------------------------------------------------------------

/** The suffix kustomize appends to a generated ConfigMap's or Secret's name (api/hasher). */
export function kustomizeHash(object: { kind: string; [field: string]: unknown }): string {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const encoded: Record<string, unknown> =
    object.kind === 'ConfigMap'
      ? { kind: 'ConfigMap', name: metadata.name ?? '', data: object.data ?? '' }
      : { kind: 'Secret', type: object.type ?? '', name: metadata.name ?? '', data: object.data ?? '' };
  if (object.kind === 'ConfigMap' && isRecord(object.binaryData)) encoded.binaryData = object.binaryData;
  if (object.kind === 'Secret' && isRecord(object.stringData)) encoded.stringData = object.stringData;
  const hex = createHash('sha256').update(goJson(encoded)).digest('hex');
  const swaps: Record<string, string> = { '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' };
  return [...hex.slice(0, 10)].map((character) => swaps[character] ?? character).join('');
}

/** Go's json.Marshal: map keys sorted, and <, >, &, U+2028 and U+2029 escaped. */
function goJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${goJson(key)}:${goJson(value[key])}`).join(',')}}`;
  }
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function appendHashSuffixes(resources: Resource[]): void {
  const renamed = new Map<string, string>();
  for (const resource of resources) {
    if (!resource.hashSuffix) continue;
    const { kind, metadata } = resource.object;
    const hashed = `${metadata.name}-${kustomizeHash(resource.object)}`;
    renamed.set(`${kind}|${metadata.namespace ?? ''}|${metadata.name}`, hashed);
    metadata.name = hashed;
  }
  if (renamed.size === 0) return;
  for (const { object } of resources) {
    const namespace = object.metadata.namespace ?? '';
    const rename = (kind: 'ConfigMap' | 'Secret', holder: unknown, field: string) => {
      if (!isRecord(holder) || typeof holder[field] !== 'string') return;
      holder[field] = renamed.get(`${kind}|${namespace}|${holder[field]}`) ?? holder[field];
    };
    const spec = podSpecOf(object);
    if (spec !== undefined) {
      for (const container of podContainers(object)) {
        for (const variable of Array.isArray(container.env) ? container.env : []) {
          const from = isRecord(variable) ? variable.valueFrom : undefined;
          if (!isRecord(from)) continue;
          rename('ConfigMap', from.configMapKeyRef, 'name');
          rename('Secret', from.secretKeyRef, 'name');
        }
        for (const source of Array.isArray(container.envFrom) ? container.envFrom : []) {
          if (!isRecord(source)) continue;
          rename('ConfigMap', source.configMapRef, 'name');
          rename('Secret', source.secretRef, 'name');
        }
      }
      for (const volume of Array.isArray(spec.volumes) ? spec.volumes : []) {
        if (!isRecord(volume)) continue;
        rename('ConfigMap', volume.configMap, 'name');
        rename('Secret', volume.secret, 'secretName');
        const sources = isRecord(volume.projected) ? volume.projected.sources : undefined;
        for (const source of Array.isArray(sources) ? sources : []) {
          if (!isRecord(source)) continue;
          rename('ConfigMap', source.configMap, 'name');
          rename('Secret', source.secret, 'name');
        }
      }
      for (const pullSecret of Array.isArray(spec.imagePullSecrets) ? spec.imagePullSecrets : []) {
        rename('Secret', pullSecret, 'name');
      }
    }
    if (object.kind === 'Ingress' && isRecord(object.spec) && Array.isArray(object.spec.tls)) {
      for (const tls of object.spec.tls) rename('Secret', tls, 'secretName');
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

/**
 * Kubernetes reads manifests with YAML 1.1 rules, where an unquoted yes, no, on or off is a
 * boolean: parsing them the same way makes an unquoted `yes` in args fail validation here too.
 */
function parseDocuments(text: string, where: string): unknown[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((document) => {
      if (document.errors.length > 0) throw new KustomizeError(`${where}: ${document.errors[0]?.message}`);
      return document.toJS() as unknown;
    })
    .filter((document) => document !== null && document !== undefined);
}

function parseSingleDocument(text: string, where: string): unknown {
  const documents = parseDocuments(text, where);
  if (documents.length !== 1) throw new KustomizeError(`${where}: expected one YAML document`);
  return documents[0];
}

/** A file a kustomization names must be inside its folder (kustomize's default load restrictor). */
function inside(dir: string, target: string, where: string): string {
  const full = resolve(dir, target);
  const path = relative(dir, full);
  if (isAbsolute(target) || path.startsWith('..')) {
    throw new KustomizeError(`${where}: ${target} is outside ${dir}, which kustomize refuses`);
  }
  return full;
}

function readText(files: FileSource, path: string, where: string): string {
  if (!files.isFile(path)) throw new KustomizeError(`${where}: no file ${path}`);
  return files.read(path);
}

function onlyFields(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new KustomizeError(`${where}: "${key}" is not supported by this renderer`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) throw new KustomizeError(`${where}: expected a mapping`);
  return value;
}

function list(value: unknown, where: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new KustomizeError(`${where}: expected a list`);
  return value;
}

function string(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new KustomizeError(`${where}: expected a string`);
  return value;
}

function stringMap(value: unknown, where: string): Record<string, string> {
  const map = record(value, where);
  for (const [key, entry] of Object.entries(map)) {
    if (typeof entry !== 'string') throw new KustomizeError(`${where}: ${key} must be a string`);
  }
  return map as Record<string, string>;
}

function ensureMap(object: object, path: readonly string[]): Record<string, unknown> {
  let current = object as Record<string, unknown>;
  for (const key of path) {
    if (!isRecord(current[key])) current[key] = {};
    current = current[key] as Record<string, unknown>;
  }
  return current;
}
