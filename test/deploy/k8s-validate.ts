/**
 * Validation of rendered Kubernetes objects against the API's OpenAPI schemas, as kubernetes-models
 * compiles them, plus the check those schemas leave out: fields the API does not know. kubectl
 * refuses an unknown field (a misspelt `readinesProbe`), while the schemas allow extra properties,
 * so a field the validator never reads while walking an object is reported here.
 */
import * as models from 'kubernetes-models';
import type { KubeObject } from './kustomize.ts';

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  readonly prototype: { validate(): void };
}

/**
 * The kubernetes-models class of an apiVersion and kind: `apps/v1` Deployment is
 * `models.apps.v1.Deployment`, `networking.k8s.io/v1` Ingress `models.networkingK8sIo.v1.Ingress`,
 * core `v1` Service `models.v1.Service`. Undefined for a kind the models do not have (a CRD).
 */
export function modelFor(apiVersion: string, kind: string): ModelClass | undefined {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const groupKey = (group ?? '')
    .split('.')
    .map((part, index) => (index === 0 ? part : `${part.charAt(0).toUpperCase()}${part.slice(1)}`))
    .join('');
  const library = models as unknown as Record<string, Record<string, Record<string, unknown>> | undefined>;
  const versions = group === '' ? { v1: library.v1 as unknown as Record<string, unknown> } : library[groupKey];
  const candidate = (versions?.[version ?? ''] as Record<string, unknown> | undefined)?.[kind] as
    | Partial<ModelClass>
    | undefined;
  if (candidate?.apiVersion !== apiVersion || candidate.kind !== kind) return undefined;
  return candidate as ModelClass;
}

/** Every problem with the object: schema violations, unknown fields; none when it is valid. */
export function validationProblems(object: KubeObject): string[] {
  const model = modelFor(object.apiVersion, object.kind);
  if (model === undefined) return [`${object.apiVersion} ${object.kind} is not a kind kubernetes-models knows`];
  const read = new Set<string>();
  try {
    model.prototype.validate.call(tracked(object, '', read));
  } catch (error) {
    return [(error as Error).message];
  }
  return unreadFields(object, '', read).map((path) => `${path}: unknown field`);
}

/** Records the path of every own property the validator reads. */
function tracked(value: unknown, path: string, read: Set<string>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  return new Proxy(value, {
    get(target, key, receiver) {
      const result = Reflect.get(target, key, receiver);
      if (typeof key !== 'string' || !Object.hasOwn(target, key)) return result;
      const at = `${path}/${key}`;
      if (!Array.isArray(target)) read.add(at);
      return tracked(result, at, read);
    },
  });
}

/** The outermost fields nobody read: a field's children are not listed again. */
function unreadFields(value: unknown, path: string, read: Set<string>): string[] {
  if (Array.isArray(value)) return value.flatMap((item, index) => unreadFields(item, `${path}/${index}`, read));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const at = `${path}/${key}`;
    return read.has(at) ? unreadFields(child, at, read) : [at];
  });
}
