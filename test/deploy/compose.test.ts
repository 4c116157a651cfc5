import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { API_NODE_FLAGS } from '../../src/roles/api.js';
import { PROCESSOR_NODE_OPTIONS } from '../../src/roles/processor.js';
import { readRepoFile, readYaml, roleNames, ROOT } from './support.js';

/**
 * compose.yaml checked offline (CI has no Docker daemon): against the Compose Specification's JSON Schema
 * (infra/schemas/compose-spec.json), then for what the platform relies on: every role its own service,
 * migrations first, dependencies healthy, each role's environment accepted by the real configuration loader.
 */
const compose = readYaml('compose.yaml');
const services: Record<string, any> = compose.services;
const roles = roleNames();

/** Docker Compose's own formats (Go durations such as 1m30s; port and expose specs; CIDR subnets). */
function composeAjv() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', /^((\d{1,3}(\.\d{1,3}){3}|\[[0-9a-f:]+\]):)?(\$\{[A-Z_]+(:-\d+)?\}|\d+(-\d+)?)(:\d+(-\d+)?)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat('subnet_ip_address', /^[0-9a-f.:]+\/\d{1,3}$/i);
  return ajv;
}

/**
 * The schema file as published, read the way Ajv 8 accepts it: its draft is named by the old http:// address
 * (Ajv2019 knows draft 2019-09 by its https:// one) and its labels use the pre-2019 `id` keyword (only labels:
 * every $ref is a JSON pointer), so both are dropped.
 */
function composeSchema(): object {
  const strip = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(strip);
    if (node === null || typeof node !== 'object') return node;
    return Object.fromEntries(Object.entries(node).filter(([k, v]) => !((k === 'id' && typeof v === 'string') || k === '$schema')).map(([k, v]) => [k, strip(v)]));
  };
  return strip(JSON.parse(readRepoFile('infra/schemas/compose-spec.json'))) as object;
}

/** `${VAR}`, `${VAR:-default}`, `${VAR:?message}` and `$$` as Docker Compose interpolates them. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (all, name: string | undefined, op: string | undefined, arg: string | undefined) => {
    if (all === '$$') return '$';
    const v = env[name!];
    if (op === '?' && (v === undefined || v === '')) throw new Error(`${name} is required: ${arg}`);
    return v === undefined || v === '' ? (op === '-' ? arg! : '') : v;
  });
}

const ENV = {
  POSTGRES_PASSWORD: 'a1b2c3d4e5f6',
  SECRET_KEY: '0123456789abcdef0123456789abcdef0123456789abcdef',
  MQTT_INGEST_PASSWORD: 'f6e5d4c3b2a1',
  ADMIN_EMAIL: 'admin@example.com',
  ADMIN_PASSWORD: 'admin-password-1',
};

function environmentOf(service: any, env: Record<string, string> = ENV): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(String(v), env)]));
}

describe('compose.yaml', () => {
  it('is valid against the Compose Specification schema', () => {
    const validate = composeAjv().compile(composeSchema());
    const ok = validate(compose);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the schema check can fail: a misspelt key and a bad duration are refused', () => {
    const validate = composeAjv().compile(composeSchema());
    expect(validate({ services: { api: { image: 'x', depend_on: ['db'] } } })).toBe(false);
    expect(validate({ services: { api: { image: 'x', healthcheck: { test: ['CMD', 'true'], interval: '15 seconds' } } } })).toBe(false);
    expect(validate({ services: { api: { image: 'x', depends_on: { db: { condition: 'service_ready' } } } } })).toBe(false);
  });

  it('runs PostgreSQL 15, Redis 7, Kafka in KRaft mode (official image) and Mosquitto, each with a health check', () => {
    expect(services.postgres.image).toMatch(/^postgres:15/);
    expect(services.redis.image).toMatch(/^redis:7/);
    expect(services.kafka.image).toMatch(/^apache\/kafka:/);
    expect(services.kafka.environment.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(services.kafka.environment.KAFKA_ADVERTISED_LISTENERS).toBe('PLAINTEXT://kafka:9092');
    expect(services.mosquitto.image).toMatch(/^eclipse-mosquitto:2/);
    for (const name of ['postgres', 'redis', 'kafka', 'mosquitto']) {
      expect(services[name].healthcheck?.test, name).toBeDefined();
    }
  });

  it('every role of `smarthydro start` is its own service, after the one-shot migrate service', () => {
    expect(services.migrate.command).toEqual(['migrate']);
    expect(services.migrate.restart).toBe('no');
    expect(services.migrate.depends_on.postgres.condition).toBe('service_healthy');
    for (const role of roles) {
      const s = services[role];
      expect(s, `service for role ${role}`).toBeDefined();
      expect(s.command).toEqual(['start', '--roles', role]);
      expect(s.image).toBe(services.migrate.image);
      expect(s.depends_on.migrate.condition).toBe('service_completed_successfully');
      for (const dep of ['postgres', 'redis', 'kafka']) expect(s.depends_on[dep].condition, `${role} → ${dep}`).toBe('service_healthy');
      expect(s.healthcheck.test.join(' ')).toMatch(/fetch\('http:\/\/127\.0\.0\.1:8080\/health'\)/);
    }
    expect(services.mqtt.depends_on.mosquitto.condition).toBe('service_healthy');
    // Only the api is published on the host.
    expect(roles.filter((r) => services[r].ports)).toEqual(['api']);
  });

  it('every dependency exists, and one waited on as healthy has a health check', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, how] of Object.entries<any>(s.depends_on ?? {})) {
        expect(services[dep], `${name} depends on ${dep}`).toBeDefined();
        if (how.condition === 'service_healthy') expect(services[dep].healthcheck?.test, `${dep} health check`).toBeDefined();
      }
    }
  });

  it("each role's environment is accepted by the configuration loader and points at the compose services", () => {
    for (const role of [...roles, 'migrate']) {
      const env = environmentOf(services[role]);
      const cfg = loadConfig(env);
      expect(cfg.databaseUrl, role).toBe(`postgres://smarthydro:${ENV.POSTGRES_PASSWORD}@postgres:5432/smarthydro`);
      expect(cfg.redisUrl, role).toBe('redis://redis:6379');
      expect(cfg.kafkaBrokers, role).toEqual(['kafka:9092']);
      expect(cfg.secretKey, role).toBe(ENV.SECRET_KEY);
      expect(cfg.port, role).toBe(8080);
    }
    expect(loadConfig(environmentOf(services.mqtt)).mqttUrl).toBe(`mqtt://smarthydro-ingest:${ENV.MQTT_INGEST_PASSWORD}@mosquitto:1883`);
    const api = loadConfig(environmentOf(services.api));
    expect([api.adminEmail, api.adminPassword]).toEqual([ENV.ADMIN_EMAIL, ENV.ADMIN_PASSWORD]);
    // The PostgreSQL server gets the same password the roles use.
    expect(environmentOf(services.postgres).POSTGRES_PASSWORD).toBe(ENV.POSTGRES_PASSWORD);
  });

  it('the processor and the api run with the V8 heap settings the bench measured them with; the api alone holds the admin password', () => {
    expect(environmentOf(services.processor).NODE_OPTIONS).toBe(PROCESSOR_NODE_OPTIONS);
    expect(services.api.entrypoint).toEqual(['node', ...API_NODE_FLAGS, 'dist/src/main.js']);
    for (const role of roles.filter((r) => r !== 'api')) expect(environmentOf(services[role]).ADMIN_PASSWORD, role).toBeUndefined();
  });

  it('refuses to start without the secrets (no default SECRET_KEY or password)', () => {
    const { SECRET_KEY: _k, ...withoutKey } = ENV;
    expect(() => environmentOf(services.api, withoutKey)).toThrow(/SECRET_KEY is required/);
    const { POSTGRES_PASSWORD: _p, ...withoutPassword } = ENV;
    expect(() => environmentOf(services.postgres, withoutPassword)).toThrow(/POSTGRES_PASSWORD is required/);
  });

  it('files it mounts exist, and the example .env names every variable compose requires', () => {
    for (const s of Object.values(services)) {
      for (const v of s.volumes ?? []) {
        const source = String(v).split(':')[0]!;
        if (source.startsWith('./')) expect(existsSync(join(ROOT, source)), source).toBe(true);
      }
    }
    const required = [...new Set([...readRepoFile('compose.yaml').matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]!))];
    const example = readRepoFile('deploy/compose/env.example');
    for (const name of required) expect(example, name).toMatch(new RegExp(`^${name}=`, 'm'));
  });

  it('the Mosquitto config lets the platform user read the readings and devices write only their own point', () => {
    const conf = readRepoFile('deploy/compose/mosquitto.conf');
    expect(conf).toMatch(/^listener 1883$/m);
    expect(conf).toMatch(/^allow_anonymous false$/m);
    expect(conf).toMatch(/^password_file \/mosquitto\/auth\/passwd$/m);
    const acl = readRepoFile('deploy/compose/mosquitto.acl');
    expect(acl).toMatch(/^user smarthydro-ingest\ntopic read smarthydro\/points\/\+\/readings$/m);
    expect(acl).toMatch(/^pattern write smarthydro\/points\/%u\/readings$/m);
    expect(services.mqtt.environment.MQTT_URL).toMatch(/^mqtt:\/\/smarthydro-ingest:/);
  });
});

describe('Dockerfile and .dockerignore', () => {
  const dockerfile = readRepoFile('Dockerfile');
  const stages = [...dockerfile.matchAll(/^FROM \S+ AS (\w+)$/gm)].map((m) => m[1]);

  it('builds with dev dependencies and runs with production dependencies only, as a non-root user', () => {
    expect(stages).toEqual(['build', 'runtime']);
    const [build, runtime] = dockerfile.split(/^FROM .* AS runtime$/m) as [string, string];
    expect(build).toMatch(/^RUN npm ci --no-audit --no-fund$/m);
    expect(build).toMatch(/^RUN npm run build$/m);
    expect(runtime).toMatch(/^RUN npm ci --omit=dev/m);
    expect(runtime).toMatch(/^COPY --from=build \/app\/dist \.\/dist$/m);
    expect(runtime).toMatch(/^COPY migrations \.\/migrations$/m);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\n.*\/health/m);
    expect(runtime).toMatch(/^ENTRYPOINT \["node", "dist\/src\/main\.js"\]$/m);
  });

  it('.dockerignore keeps what the build needs (sources, migrations, the web app) and leaves out local state', () => {
    const ignored = readRepoFile('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const needed of ['src', 'tools', 'migrations', 'web', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(ignored, needed).not.toContain(needed);
    }
    for (const local of ['node_modules', '.git', 'dist', '.smarthydro', '.env']) expect(ignored, local).toContain(local);
  });
});
