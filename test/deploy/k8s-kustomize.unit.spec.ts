import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validationProblems } from './k8s-validate.ts';
import { type FileSource, KustomizeError, kustomizeHash, renderKustomization, withFiles } from './kustomize.ts';

/*
 * The test renderer itself: it must agree with kustomize where deploy/k8s relies on it, and refuse
 * what it does not implement rather than render something kubectl would render differently.
 */
const nothing: FileSource = {
  read: (path) => {
    throw new Error(`no file ${path}`);
  },
  isDirectory: () => false,
  isFile: () => false,
};
const root = '/virtual';
const tree = (files: Record<string, string>) =>
  withFiles(Object.fromEntries(Object.entries(files).map(([path, text]) => [join(root, path), text])), nothing);

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: example/web:1
          env:
            - {name: A, value: "1"}
          envFrom:
            - configMapRef: {name: settings}
`;

describe('the kustomize renderer', () => {
  it('hashes generated names exactly as kustomize does (its own test vectors)', () => {
    // sigs.k8s.io/kustomize/api/hasher/hasher_test.go
    expect(kustomizeHash({ kind: 'ConfigMap' })).toBe('6ct58987ht');
    expect(kustomizeHash({ kind: 'ConfigMap', data: { one: '' } })).toBe('9g67k2htb6');
    expect(kustomizeHash({ kind: 'ConfigMap', data: { two: 2, one: '', three: 3 } })).toBe('7757f9kkct');
    expect(kustomizeHash({ kind: 'ConfigMap', binaryData: { one: '' } })).toBe('6mtk2m274t');
    expect(kustomizeHash({ kind: 'ConfigMap', data: { one: '' }, binaryData: { two: '' } })).toBe('698h7c7t9m');
    expect(kustomizeHash({ kind: 'Secret', type: 'my-type' })).toBe('5gmgkf8578');
    expect(kustomizeHash({ kind: 'Secret', type: 'my-type', data: { one: '' } })).toBe('74bd68bm66');
    expect(kustomizeHash({ kind: 'Secret', type: 'my-type', data: { two: 2, one: '', three: 3 } })).toBe('4gf75c7476');
    expect(kustomizeHash({ kind: 'Secret', type: 'my-type', data: { one: '' }, stringData: { two: 2 } })).toBe(
      'c4h4264gdb',
    );
  });

  it('renders generators with hashed names, rewrites references, merges overlays and patches lists by key', () => {
    const files = tree({
      'base/kustomization.yaml': `resources: [deployment.yaml]
namespace: shop
configMapGenerator:
  - name: settings
    literals: [MODE=base, "QUOTED='kept inside'"]
secretGenerator:
  - name: tokens
    envs: [tokens.env]
`,
      'base/deployment.yaml': deployment,
      'base/tokens.env': '# a comment\nTOKEN=abc=def\n  SPACED="quoted"\n',
      'overlay/kustomization.yaml': `resources: [../base]
configMapGenerator:
  - name: settings
    behavior: merge
    literals: [MODE=overlay, EXTRA=1]
patches:
  - path: patch.yaml
replicas:
  - {name: web, count: 3}
images:
  - {name: example/web, newName: registry.example/web, newTag: "2"}
labels:
  - pairs: {team: a}
    includeTemplates: true
`,
      'overlay/patch.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          env:
            - {name: B, value: "2"}
        - name: sidecar
          image: example/sidecar:1
`,
    });
    const objects = renderKustomization(join(root, 'overlay'), files);
    const settings = objects.find((object) => object.kind === 'ConfigMap');
    const tokens = objects.find((object) => object.kind === 'Secret');
    const web = objects.find((object) => object.kind === 'Deployment');

    expect(settings?.data).toEqual({ EXTRA: '1', MODE: 'overlay', QUOTED: 'kept inside' });
    expect(settings?.metadata.name).toBe(
      `settings-${kustomizeHash({ ...settings, metadata: { name: 'settings' } } as never)}`,
    );
    expect(tokens?.data).toEqual({
      SPACED: Buffer.from('"quoted"').toString('base64'),
      TOKEN: Buffer.from('abc=def').toString('base64'),
    });
    expect(web).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop', labels: { team: 'a' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web', team: 'a' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'registry.example/web:2',
                env: [
                  { name: 'A', value: '1' },
                  { name: 'B', value: '2' },
                ],
                envFrom: [{ configMapRef: { name: settings?.metadata.name } }],
              },
              { name: 'sidecar', image: 'example/sidecar:1' },
            ],
          },
        },
      },
    });
  });

  it('applies JSON 6902 patches to a target', () => {
    const files = tree({
      'kustomization.yaml': `resources: [deployment.yaml]
patches:
  - target: {kind: Deployment, name: web}
    patch: |
      - {op: replace, path: /spec/template/spec/containers/0/image, value: example/web:9}
      - {op: remove, path: /spec/template/spec/containers/0/envFrom}
      - {op: add, path: /spec/template/spec/containers/0/env/-, value: {name: C, value: "3"}}
`,
      'deployment.yaml': deployment,
    });
    const [web] = renderKustomization(root, files);
    const spec = web?.spec as { template: { spec: { containers: unknown[] } } };
    expect(spec.template.spec.containers).toEqual([
      {
        name: 'web',
        image: 'example/web:9',
        env: [
          { name: 'A', value: '1' },
          { name: 'C', value: '3' },
        ],
      },
    ]);
  });

  it.each([
    ['a field it does not implement', 'resources: [deployment.yaml]\ncommonLabels: {a: b}\n', /commonLabels/],
    ['a remote resource', 'resources: [https://github.com/example/base]\n', /remote resource/],
    ['a file outside the kustomization', 'resources: [../elsewhere.yaml]\n', /outside/],
    [
      'labels on selectors',
      'resources: [deployment.yaml]\nlabels: [{pairs: {a: b}, includeSelectors: true}]\n',
      /includeSelectors/,
    ],
    [
      'a list whose merge rule it does not know',
      'resources: [deployment.yaml]\npatches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: web}\n      spec: {template: {spec: {hostAliases: [{ip: 1.2.3.4}]}}}\n',
      /does not know how a patch merges/,
    ],
    [
      'a patch directive',
      'resources: [deployment.yaml]\npatches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: web}\n      spec: {$patch: replace}\n',
      /directives/,
    ],
    [
      'a patch that matches nothing',
      'resources: [deployment.yaml]\npatches:\n  - patch: |\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: api}\n',
      /matches no resource/,
    ],
    [
      'a replica count for no workload',
      'resources: [deployment.yaml]\nreplicas: [{name: api, count: 2}]\n',
      /no workload/,
    ],
    ['a duplicate resource', 'resources: [deployment.yaml, deployment.yaml]\n', /already registered/],
    ['a missing env file', 'secretGenerator: [{name: s, envs: [secrets.env]}]\n', /no file/],
    [
      'a merge with nothing to merge into',
      'configMapGenerator: [{name: s, behavior: merge, literals: [A=1]}]\n',
      /needs exactly one ConfigMap/,
    ],
  ])('refuses %s', (_case, kustomization, error) => {
    const files = tree({ 'kustomization.yaml': kustomization, 'deployment.yaml': deployment });
    expect(() => renderKustomization(root, files)).toThrow(KustomizeError);
    expect(() => renderKustomization(root, files)).toThrow(error);
  });

  it('reads YAML as Kubernetes does, so an unquoted yes in args is a boolean and fails validation', () => {
    const files = tree({
      'kustomization.yaml': 'resources: [deployment.yaml]\n',
      'deployment.yaml': deployment.replace(
        'image: example/web:1',
        'image: example/web:1\n          args: [--flag, yes]',
      ),
    });
    const [web] = renderKustomization(root, files);
    expect(validationProblems(web as never)).toEqual(['data/spec/template/spec/containers/0/args/1 must be string']);
  });

  it('refuses kinds kubernetes-models does not know, such as a CRD, instead of passing them unchecked', () => {
    const monitor = { apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name: 'ccsync' } };
    expect(validationProblems(monitor)).toEqual([
      'monitoring.coreos.com/v1 ServiceMonitor is not a kind kubernetes-models knows',
    ]);
  });

  it('reports fields the API does not know, which the schemas alone let through', () => {
    const files = tree({
      'kustomization.yaml': 'resources: [deployment.yaml]\n',
      'deployment.yaml': deployment.replace(
        'envFrom:',
        'readinesProbe: {httpGet: {path: /ready, port: 80}}\n          envFrom:',
      ),
    });
    const [web] = renderKustomization(root, files);
    expect(validationProblems(web as never)).toEqual(['/spec/template/spec/containers/0/readinesProbe: unknown field']);
  });
});
