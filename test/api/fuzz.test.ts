/**
 * Every route of /openapi.json, as an admin and as a client user, with invalid types, huge strings,
 * negative and huge numbers, 1e20, NUL bytes, bad dates, hex and oversized ids and another tenant's
 * ids in the path, the query and the body: no answer may be a 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';

interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  minimum?: number;
}
interface Operation {
  parameters?: { name: string; in: 'path' | 'query'; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

let t: TestContext;
let clientToken: string;
const own = { client: 0, project: 0, point: 0, template: 0, account: 0 };
const other = { client: 0, project: 0, point: 0 };

beforeAll(async () => {
  t = await createTestContext();
  const a = await seedTenant(t, 'Fuzz A', 2);
  const b = await seedTenant(t, 'Fuzz B', 1);
  Object.assign(own, { client: a.clientId, project: a.projectId, point: a.points[0] });
  Object.assign(other, { client: b.clientId, project: b.projectId, point: b.points[0] });
  ({ token: clientToken } = await seedClientUser(t, a.clientId, 'fuzz-client@a.cl', 'fuzz-password-1'));
  const template = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'fuzz' } });
  own.template = template.body.id;
  const account = await t.as(t.adminToken, {
    method: 'POST',
    url: '/api/v1/provider-accounts',
    payload: { provider: 'twin', name: 'fuzz', base_url: 'https://twin.example/api' },
  });
  own.account = account.body.id;
}, 60_000);
afterAll(async () => t.close());

const HUGE = 'x'.repeat(20_000);
const hostileScalars: unknown[] = [
  null, true, 'abc', '', [], {}, -1, 0, 1.5, 1e20, -1e20, 2 ** 53, 2 ** 64, HUGE, 'a\u0000b', '\u0000',
  '0100-01-01', '9999-12-31T23:59:59Z', '2025-02-30', '%', '_',
];
const hostileText = [
  'abc', '', '-1', '0', '1.5', '1e20', '-1e20', '0x10', '99999999999999999999', '9007199254740993', HUGE, '%00', 'a%00b',
  '0100-01-01', '9999-12-31', '2025-02-30T25:00', '%25', '_', 'true', 'null', '[]', '1,2,%00', ' 1',
];

/** An id of the resource a path names, so that query and body fuzzing reach the handler. */
function ownIdFor(path: string, param: string): number {
  if (param === 'cid') return 1;
  if (path.startsWith('/api/v1/points')) return own.point;
  if (path.startsWith('/api/v1/clients')) return own.client;
  if (path.startsWith('/api/v1/projects')) return own.project;
  if (path.startsWith('/api/v1/schema-templates')) return own.template;
  if (path.startsWith('/api/v1/provider-accounts')) return own.account;
  return 1;
}

function otherIdFor(path: string): number {
  if (path.startsWith('/api/v1/clients')) return other.client;
  if (path.startsWith('/api/v1/projects')) return other.project;
  return other.point;
}

const typeOf = (s: Schema | undefined): string | undefined => {
  if (!s) return undefined;
  if (Array.isArray(s.type)) return s.type.find((x) => x !== 'null');
  if (s.type) return s.type;
  return s.anyOf?.map(typeOf).find((x) => x !== undefined && x !== 'null');
};

/** A plausible value for a schema, so the other fields of a body pass while one is attacked. */
function plausible(name: string, s: Schema | undefined): unknown {
  if (!s) return 'x';
  if (s.const !== undefined) return s.const;
  if (s.enum?.length) return s.enum[0];
  const branch = s.anyOf?.find((b) => typeOf(b) !== 'null');
  if (branch) return plausible(name, branch);
  switch (typeOf(s)) {
    case 'integer':
      if (name.endsWith('project_id')) return own.project;
      if (name.endsWith('client_id')) return own.client;
      return s.minimum ?? 1;
    case 'number':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return name === 'point_ids' ? [own.point] : [];
    case 'object':
      return {};
    default:
      if (s.format === 'email') return 'fuzz@x.cl';
      if (s.format === 'date-time') return '2026-01-01T00:00:00Z';
      if (s.format === 'date') return '2026-01-01';
      return `fuzz ${name}`;
  }
}

function baseBody(s: Schema): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const k of s.required ?? []) body[k] = plausible(k, s.properties?.[k]);
  return body;
}

interface Req {
  method: string;
  url: string;
  payload?: string;
  contentType?: string;
}

function requestsFor(path: string, method: string, op: Operation, otherTenant: number): Req[] {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === 'path');
  const fill = (values: Record<string, string>) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => values[name] ?? String(ownIdFor(path, name)));
  const out: Req[] = [];
  const M = method.toUpperCase();
  const ownUrl = fill({});

  for (const p of pathParams) {
    for (const v of [...hostileText, String(otherTenant)]) out.push({ method: M, url: fill({ [p.name]: encodeURIComponent(v).replace(/%2500/g, '%00') }) });
  }
  for (const p of params.filter((x) => x.in === 'query')) {
    const values = [...hostileText];
    if (p.name.endsWith('id') || p.name.endsWith('ids')) values.push(String(otherTenant));
    for (const v of values) {
      const encoded = v.includes('%') ? v : encodeURIComponent(v);
      out.push({ method: M, url: `${ownUrl}?${p.name}=${encoded}` });
    }
  }
  const json = op.requestBody?.content?.['application/json']?.schema;
  if (json) {
    const base = json.properties ? baseBody(json) : {};
    const send = (body: unknown) => out.push({ method: M, url: ownUrl, payload: JSON.stringify(body), contentType: 'application/json' });
    send(base);
    for (const whole of [null, [], 'text', 1e20, { ...base, unknown_field: 1 }]) send(whole);
    for (const [name, prop] of Object.entries(json.properties ?? {})) {
      const values = [...hostileScalars, plausible(name, prop)];
      if (name.endsWith('_id')) values.push(otherTenant);
      if (typeOf(prop) === 'array') values.push([1e20], [-1], ['\u0000'], [otherTenant], Array.from({ length: 5000 }, (_, i) => i + 1));
      if (typeOf(prop) === 'object') values.push({ 'k\u0000': 1 }, { a: { b: { c: '\u0000' } } }, { a: 1e308 }, { [HUGE]: HUGE });
      for (const v of values) send({ ...base, [name]: v });
    }
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    out.push({ method: M, url: ownUrl, payload: deep, contentType: 'application/json' });
    out.push({ method: M, url: ownUrl, payload: '{"broken": ', contentType: 'application/json' });
    out.push({ method: M, url: ownUrl, payload: JSON.stringify({ ...base, big: 'y'.repeat(6 * 1024 * 1024) }), contentType: 'application/json' });
  } else if (M === 'POST' || M === 'PUT' || M === 'PATCH') {
    for (const payload of ['{"readings":[{"variable":"x\\u0000","ts":"0100-01-01","value":1e20}]}', '{"variable":"q","ts":"2026-01-01T00:00:00Z","value":"\\u0000"}', 'a,b\n\u0000,1e20\n']) {
      out.push({ method: M, url: ownUrl, payload, contentType: payload.startsWith('{') ? 'application/json' : 'text/csv' });
    }
  }
  if (out.length === 0) out.push({ method: M, url: ownUrl });
  return out;
}

describe('fuzzing every route of /openapi.json', () => {
  it('answers no invalid request with a 5xx, as admin or as a client user', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, Operation>> };
    const ops = Object.entries(doc.paths).flatMap(([path, byMethod]) => Object.entries(byMethod).map(([method, op]) => ({ path, method, op })));
    expect(ops.length).toBeGreaterThan(40);
    // Deletions last, so the other routes still find their resources.
    ops.sort((a, b) => Number(a.method === 'delete') - Number(b.method === 'delete'));

    const failures: string[] = [];
    let sent = 0;
    const started = Date.now();
    for (const [role, token] of [['client', clientToken], ['admin', t.adminToken]] as const) {
      for (const { path, method, op } of ops) {
        for (const req of requestsFor(path, method, op, otherIdFor(path))) {
          const res = await t.app.inject({
            method: req.method as 'GET',
            url: req.url,
            headers: { authorization: `Bearer ${token}`, ...(req.contentType ? { 'content-type': req.contentType } : {}) },
            ...(req.payload === undefined ? {} : { payload: req.payload }),
          });
          sent++;
          // /health answers 503 by design when a part of the pipeline is down (no collector or reporter runs in
          // this API-only test once the fuzzing has created active or DGA points): a report, not a failure.
          const healthReport = path === '/health' && res.statusCode === 503 && res.json().status === 'down';
          if (res.statusCode >= 500 && !healthReport) failures.push(`${role} ${req.method} ${req.url.slice(0, 160)} ${req.payload?.slice(0, 160) ?? ''} → ${res.statusCode} ${res.body.slice(0, 200)}`);
        }
      }
    }
    console.info(`fuzz: ${sent} requests in ${Date.now() - started} ms`);
    expect(sent).toBeGreaterThan(3000);
    expect(failures).toEqual([]);
  }, 180_000);
});
