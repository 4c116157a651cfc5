import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { busNames } from '../../src/infra/bus/bus.js';
import { Metrics } from '../../src/infra/metrics.js';
import { API_NODE_FLAGS } from '../../src/roles/api.js';
import { PROCESSOR_NODE_OPTIONS } from '../../src/roles/processor.js';
import { readRepoFile, readYaml, readYamlDocuments, roleNames, ROOT } from './support.js';

/**
 * deploy/k8s validated offline: every manifest against the Kubernetes OpenAPI schemas compiled into the npm package
 * kubernetes-models (types, required fields, enums, formats), then what the platform relies on: a workload per
 * role with /health probes and a PodDisruptionBudget, the api's Service, Ingress and CPU autoscaler, the processor's
 * autoscaler on consumer lag, settings the configuration loader accepts. The JSON schemas, like the API server's
 * OpenAPI, let unknown fields through; a misspelt field (`readinesProbe`) is caught by type-checking every manifest
 * as an object literal of the package's TypeScript interface (excess property checks), as kubectl's strict field
 * validation would refuse it.
 */
const DIR = 'deploy/k8s';
const kustomization = readYaml(`${DIR}/kustomization.yaml`);
const files: string[] = kustomization.resources;
const docs = files.flatMap((file) => readYamlDocuments(`${DIR}/${file}`).map((doc) => ({ file, doc })));
const roles = roleNames();

/** The kubernetes-models class for a manifest: `apps/v1` → kubernetes-models/apps/v1, `v1` → kubernetes-models/v1. */
async function modelOf(apiVersion: string, kind: string): Promise<new (data: unknown) => { validate(): void }> {
  const module = (await import(/* @vite-ignore */ `kubernetes-models/${apiVersion}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const model = module[kind];
  if (!model) throw new Error(`kubernetes-models/${apiVersion} has no ${kind}`);
  return model;
}

async function validate(doc: any): Promise<string | null> {
  try {
    const Model = await modelOf(doc.apiVersion, doc.kind);
    new Model(doc).validate();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * TypeScript's diagnostics for the manifests written as `const m: I<Kind> = <manifest>` (a virtual file beside the
 * tests, so kubernetes-models resolves from node_modules).
 */
function typeCheck(manifests: { label: string; doc: any }[]): string[] {
  const file = join(ROOT, 'test/deploy/__manifests__.ts');
  const kinds = new Map<string, string>();
  const lines = manifests.map(({ doc }, i) => {
    const type = `I${doc.kind}_${kinds.size}`;
    const key = `${doc.apiVersion}/${doc.kind}`;
    if (!kinds.has(key)) kinds.set(key, type);
    return `export const m${i}: ${kinds.get(key)} = ${JSON.stringify(doc)};`;
  });
  const imports = [...kinds].map(([key, type]) => {
    const kind = key.slice(key.lastIndexOf('/') + 1);
    return `import type { I${kind} as ${type} } from 'kubernetes-models/${key}';`;
  });
  const source = [...imports, ...lines].join('\n');
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) =>
    name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram({ rootNames: [file], options, host });
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
    const at = d.file?.fileName === file && line >= imports.length ? manifests[line - imports.length]!.label : d.file?.fileName ?? '';
    return `${at}: ${text.split('\n').slice(-2).join(' ')}`;
  });
}

const find = (kind: string, name: string) => docs.map((d) => d.doc).find((d) => d.kind === kind && d.metadata.name === name);
const workload = (role: string) => docs.map((d) => d.doc).find((d) => ['Deployment', 'StatefulSet'].includes(d.kind) && d.metadata.name === `smarthydro-${role}`);
const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

describe('Kubernetes manifests (deploy/k8s)', () => {
  it('kustomization.yaml lists every manifest of the folder, and only those', () => {
    const onDisk = readdirSync(join(ROOT, DIR)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort();
    expect([...files].sort()).toEqual(onDisk);
    expect(kustomization.namespace).toBe('smarthydro');
  });

  it('every manifest is valid against the Kubernetes schemas', async () => {
    expect(docs.length).toBeGreaterThan(15);
    const problems: string[] = [];
    for (const { file, doc } of docs) {
      const error = await validate(doc);
      if (error) problems.push(`${file} ${doc.kind}/${doc.metadata?.name}: ${error}`);
    }
    expect(problems).toEqual([]);
  });

  it('no manifest has a field Kubernetes does not know (type-checked against the kubernetes-models interfaces)', () => {
    expect(typeCheck(docs.map(({ file, doc }) => ({ label: `${file} ${doc.kind}/${doc.metadata.name}`, doc })))).toEqual([]);
    const api = structuredClone(workload('api'));
    api.spec.template.spec.containers[0].readinesProbe = api.spec.template.spec.containers[0].readinessProbe;
    const pdb = structuredClone(find('PodDisruptionBudget', 'smarthydro-api'));
    pdb.spec.minAvailabe = 1;
    const problems = typeCheck([{ label: 'misspelt probe', doc: api }, { label: 'misspelt pdb', doc: pdb }]);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^misspelt probe: Object literal may only specify known properties.*readinesProbe/);
    expect(problems[1]).toMatch(/^misspelt pdb: Object literal may only specify known properties.*minAvailabe/);
  });

  it('the validation can fail: wrong types and missing required fields are refused', async () => {
    const api = structuredClone(workload('api'));
    expect(await validate(api)).toBeNull();
    expect(await validate({ ...api, spec: { ...api.spec, replicas: 'two' } })).toMatch(/replicas must be integer/);
    const { selector: _s, ...noSelector } = api.spec;
    expect(await validate({ ...api, spec: noSelector })).toMatch(/selector/);
    const hpa = structuredClone(find('HorizontalPodAutoscaler', 'smarthydro-api'));
    hpa.spec.metrics[0].resource.target.averageUtilization = 70.5;
    expect(await validate(hpa)).toMatch(/averageUtilization must be integer/);
    delete hpa.spec.maxReplicas;
    expect(await validate(hpa)).toMatch(/maxReplicas/);
  });

  it('a workload per role running `start --roles <role>`, probed on /health, with a PodDisruptionBudget', () => {
    for (const role of roles) {
      const w = workload(role);
      expect(w, `workload for ${role}`).toBeDefined();
      const pod = w.spec.template;
      expect(matches(w.spec.selector.matchLabels, pod.metadata.labels), `${role} selector`).toBe(true);
      const [c] = pod.spec.containers;
      expect(c.args).toEqual(['start', '--roles', role]);
      expect(c.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      for (const probe of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        expect(c[probe]?.httpGet, `${role} ${probe}`).toEqual({ path: '/health', port: 'http' });
      }
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'smarthydro-config' } }, { secretRef: { name: 'smarthydro-secrets' } }]);
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(c.resources.requests.cpu, `${role} cpu request (the CPU autoscaler needs it)`).toBeDefined();
      const pdbs = docs.map((d) => d.doc).filter((d) => d.kind === 'PodDisruptionBudget' && matches(d.spec.selector.matchLabels, pod.metadata.labels));
      expect(pdbs, `${role} PodDisruptionBudget`).toHaveLength(1);
      // A PDB that requires every replica to stay would block node drains.
      const hpa = docs.map((d) => d.doc).find((d) => d.kind === 'HorizontalPodAutoscaler' && d.spec.scaleTargetRef.name === w.metadata.name);
      // With an autoscaler the count is its own (an apply must not reset it); without one the workload says it.
      expect(w.spec.replicas === undefined, `${role}: replicas set by ${hpa ? 'the autoscaler' : 'the workload'}`).toBe(Boolean(hpa));
      const replicas = hpa ? hpa.spec.minReplicas : w.spec.replicas;
      if (pdbs[0].spec.minAvailable !== undefined) expect(pdbs[0].spec.minAvailable).toBeLessThan(replicas);
    }
    expect(workload('mqtt').spec.template.spec.containers[0].env).toEqual([
      { name: 'MQTT_CLIENT_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
    expect(find('Service', workload('mqtt').spec.serviceName)).toBeDefined();
  });

  it('the api has a Service and an Ingress reaching it, and scales on CPU (autoscaling/v2)', () => {
    const pods = workload('api').spec.template.metadata.labels;
    const svc = find('Service', 'smarthydro-api');
    expect(matches(svc.spec.selector, pods)).toBe(true);
    expect(svc.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    const ingress = find('Ingress', 'smarthydro-api');
    const backend = ingress.spec.rules[0].http.paths[0].backend.service;
    expect(backend).toEqual({ name: svc.metadata.name, port: { name: 'http' } });
    const hpa = find('HorizontalPodAutoscaler', 'smarthydro-api');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'smarthydro-api' });
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }]);
  });

  it("the processor scales on its consumer group's lag: an External metric the platform exports", async () => {
    const hpa = find('HorizontalPodAutoscaler', 'smarthydro-processor');
    expect(hpa.apiVersion).toBe('autoscaling/v2');
    expect(hpa.spec.scaleTargetRef.name).toBe(workload('processor').metadata.name);
    const [m] = hpa.spec.metrics;
    expect(m.type).toBe('External');
    const exported = (await new Metrics().registry.getMetricsAsJSON()).map((x) => x.name);
    expect(exported).toContain(m.external.metric.name);
    expect(m.external.metric.selector.matchLabels).toEqual({ group: busNames('').processorGroup });
    // The adapter rule documented beside the manifests serves that metric name.
    expect(readRepoFile(`${DIR}/README.md`)).toContain(`name: { as: "${m.external.metric.name}" }`);
  });

  it('the processor and the api run with the V8 heap settings the bench measured them with', () => {
    const [container] = workload('processor').spec.template.spec.containers;
    expect(container.env).toContainEqual({ name: 'NODE_OPTIONS', value: PROCESSOR_NODE_OPTIONS });
    const [api] = workload('api').spec.template.spec.containers;
    // The image's entry point with the flags before it (node refuses them in NODE_OPTIONS).
    expect(api.command).toEqual(['node', ...API_NODE_FLAGS, 'dist/src/main.js']);
    expect(readRepoFile('Dockerfile')).toContain('ENTRYPOINT ["node", "dist/src/main.js"]');
  });

  it('the ConfigMap and a filled-in Secret make a configuration the loader accepts; the Secret template holds no secret', () => {
    const config = find('ConfigMap', 'smarthydro-config').data as Record<string, string>;
    const secret = find('Secret', 'smarthydro-secrets').stringData as Record<string, string>;
    expect(Object.values(secret).every((v) => v === '')).toBe(true);
    // Every key is a documented variable (a misspelt one would be ignored silently).
    const documented = new Set([...readRepoFile('README.md').matchAll(/^\| `([A-Z_]+)`(?:, `([A-Z_]+)`)? \|/gm)].flatMap((m) => [m[1], m[2]]).filter(Boolean));
    for (const key of [...Object.keys(config), ...Object.keys(secret)]) expect(documented, key).toContain(key);
    const filled = {
      ...config,
      DATABASE_URL: 'postgres://smarthydro:pw@postgres:5432/smarthydro',
      REDIS_URL: 'redis+cluster://:pw@redis-0:6379,redis-1:6379,redis-2:6379',
      SECRET_KEY: 'f'.repeat(64),
      ADMIN_EMAIL: 'admin@example.com',
      ADMIN_PASSWORD: 'admin-password-1',
      MQTT_URL: 'mqtts://smarthydro-ingest:pw@broker:8883',
    };
    const cfg = loadConfig(filled);
    expect(cfg.kafkaBrokers).toHaveLength(3);
    expect(cfg.port).toBe(8080);
    // The template as shipped stops every role at start instead of running without a key.
    expect(() => loadConfig({ ...config, ...secret, DATABASE_URL: filled.DATABASE_URL })).toThrow(/SECRET_KEY is required/);
  });

  it('a migrate Job runs `migrate` with the same image and settings', () => {
    const job = find('Job', 'smarthydro-migrate');
    const [c] = job.spec.template.spec.containers;
    expect(c.args).toEqual(['migrate']);
    expect(c.image).toBe(workload('api').spec.template.spec.containers[0].image);
    expect(c.envFrom).toEqual(workload('api').spec.template.spec.containers[0].envFrom);
    expect(job.spec.template.spec.restartPolicy).toBe('OnFailure');
  });
});
