import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { templateConfig } from '../../src/demo/seed.js';
import { startProcessor } from '../../src/roles/processor.js';
import type { RunningRole } from '../../src/roles/api.js';
import { waitUntilProcessed } from '../../src/telemetry/ingest/drain.js';
import Fastify from 'fastify';
import { Readable } from 'node:stream';
import { csvImportRoutes } from '../../src/telemetry/ingest/csv.routes.js';
import { errorHandler } from '../../src/http/problem.js';
import { ProblemSchema } from '../../src/http/schemas.js';

let t: TestContext;
let processor: RunningRole;
let pointId: number;
let otherPoint: number;
let clientToken: string;

// Recent minutes (UTC), so the processor's retention and future rules accept them.
const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 86_400_000;
const at = (minute: number) => new Date(base + minute * 60_000).toISOString();

beforeAll(async () => {
  t = await createTestContext();
  const mine = await seedTenant(t, 'csvmine', 1);
  const other = await seedTenant(t, 'csvother', 1);
  [pointId] = mine.points as [number];
  [otherPoint] = other.points as [number];
  const tpl = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'csv', variables_config: templateConfig('twin') } });
  for (const id of [pointId, otherPoint]) {
    await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${id}/schema`, payload: { template_id: tpl.body.id } });
  }
  await t.as(t.adminToken, { method: 'PATCH', url: `/api/v1/points/${pointId}`, payload: { level_sensor_position: 80 } });
  ({ token: clientToken } = await seedClientUser(t, mine.clientId, 'csv@mine.cl', 'csv-user-password'));
  processor = await startProcessor(t.c);
});
afterAll(async () => {
  await processor.stop();
  await t.close();
});

const upload = (csv: string, opts: { token?: string; point?: number; query?: string; type?: string } = {}) =>
  t.as(opts.token ?? t.adminToken, {
    method: 'POST',
    url: `/api/v1/points/${opts.point ?? pointId}/readings.csv${opts.query ?? ''}`,
    headers: { 'content-type': opts.type ?? 'text/csv' },
    payload: csv,
  });

const processed = () => waitUntilProcessed(t.c.bus, t.c.topics.processorGroup, [t.c.topics.raw], { stallMs: 10_000 });

const stored = async (point = pointId) =>
  (await t.c.db.query<{ variable: string; ts: Date; value_numeric: number }>(
    'SELECT variable, ts, value_numeric FROM measurements WHERE point_id = $1 ORDER BY variable, ts', [point],
  )).rows.map((r) => ({ variable: r.variable, ts: new Date(r.ts).toISOString(), value: r.value_numeric }));

describe('POST /points/{id}/readings.csv', () => {
  const longCsv = [
    'timestamp,variable,value',
    `${at(0)},caudal,12.5`,
    `${at(0)},totalizador,1000`,
    `${at(1)},presion,3`,
    `${at(1)},totalizador,1010`,
    `not-a-time,caudal,1`,
    `${at(2)},caudal,abc`, // text for a numeric variable: the processor's dead letter, not a CSV reject
  ].join('\n');

  it('accepts the long layout, rejects lines with their number, and the processor stores the readings', async () => {
    const r = await upload(longCsv);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ point_id: pointId, delimiter: ',', layout: 'long', lines: 6, accepted: 4, rejected: 2 });
    expect(r.body.rejects).toEqual([
      { line: 4, reason: 'variable "presion" is not configured for this point' },
      { line: 6, reason: expect.stringMatching(/^timestamp "not-a-time" is not ISO 8601/) },
    ]);
    await processed();
    expect(await stored()).toEqual([
      { variable: 'caudal', ts: at(0), value: 12.5 },
      { variable: 'totalizador', ts: at(0), value: 1000 },
      { variable: 'totalizador', ts: at(1), value: 1010 },
    ]);
    const dead = await t.c.db.query<{ code: string }>('SELECT code FROM dead_letters WHERE point_id = $1', [pointId]);
    expect(dead.rows.map((d) => d.code)).toEqual(['unparseable_value']);
  });

  it('is idempotent: the same file again stores nothing new', async () => {
    const before = (await stored()).length;
    const r = await upload(longCsv);
    expect(r.body).toMatchObject({ accepted: 4, rejected: 2 });
    await processed();
    expect((await stored()).length).toBe(before);
  });

  it('wide layout with ";" and decimal commas, naive times in the given zone', async () => {
    const local = (minute: number) => at(minute).slice(0, 16).replace('T', ' '); // UTC wall-clock, read with timezone=UTC
    const csv = `timestamp;caudal;totalizador;nivel\r\n${local(10)};7,25;1020;\r\n${local(11)};;1030;45,5\r\n`;
    const r = await upload(csv, { query: '?timezone=UTC' });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ delimiter: ';', layout: 'wide', lines: 2, accepted: 4, rejected: 0, rejects: [] });
    await processed();
    const rows = await stored();
    expect(rows).toEqual(expect.arrayContaining([
      { variable: 'caudal', ts: at(10), value: 7.25 },
      { variable: 'totalizador', ts: at(11), value: 1030 },
      { variable: 'nivel', ts: at(11), value: 34.5 }, // 80 m sensor − 45.5 m column
    ]));
  });

  it.each([
    ['', 'header'],
    ['value,timestamp\n1,2\n', 'header'],
  ])('400 naming the header for an unreadable header (%j)', async (csv, field) => {
    const r = await upload(csv);
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/problem\+json/);
    expect(r.body.field).toBe(field);
  });

  it('400 for an unknown time zone, 404 for an unknown point, 403 for a client user, 415 for JSON', async () => {
    expect((await upload(longCsv, { query: '?timezone=Mars/Olympus' })).body).toMatchObject({ status: 400, field: 'timezone' });
    expect((await upload(longCsv, { point: 999_999 })).status).toBe(404);
    expect((await upload(longCsv, { token: clientToken })).status).toBe(403);
    expect((await upload(JSON.stringify({ a: 1 }), { type: 'application/json' })).status).toBe(415);
  });
});

describe('upload size', () => {
  it('413 once the streamed body passes the limit, before reading it all', async () => {
    const app = Fastify();
    app.setErrorHandler(errorHandler);
    app.addSchema(ProblemSchema);
    app.decorateRequest('principal', null as never);
    app.addHook('onRequest', async (req) => void (req.principal = { userId: 1, role: 'admin', clientId: null }));
    await app.register(csvImportRoutes, { csvImport: t.c.csvImport, maxBytes: 1024 });
    const lines = Array.from({ length: 200 }, (_, i) => `${at(100 + i)},caudal,1`);
    const r = await app.inject({ method: 'POST', url: `/points/${pointId}/readings.csv`, headers: { 'content-type': 'text/csv' }, payload: `timestamp,variable,value\n${lines.join('\n')}` });
    expect(r.statusCode).toBe(413);
    expect(r.json()).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    // Without a Content-Length (chunked), the stream itself is counted.
    const chunked = await app.inject({ method: 'POST', url: `/points/${pointId}/readings.csv`, headers: { 'content-type': 'text/csv' }, payload: Readable.from(['timestamp,variable,value\n', ...lines.map((l) => `${l}\n`)]) });
    expect(chunked.json()).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    await app.close();
  });
});

describe('dead letters', () => {
  it('GET /points/{id}/dead-letters: the point\'s client sees them, another client gets 404', async () => {
    const mine = await t.as(clientToken, { method: 'GET', url: `/api/v1/points/${pointId}/dead-letters` });
    expect(mine.status).toBe(200);
    expect(mine.body.total).toBe(1); // the "abc" line failed and says why, once for both uploads of the file
    expect(mine.body.items[0]).toMatchObject({ point_id: pointId, variable: 'caudal', ts: at(2), code: 'unparseable_value', payload: { raw: 'abc' } });
    expect(mine.body.items[0].reason).toBe('unparseable value "abc" for numeric variable caudal');
    expect(typeof mine.body.items[0].received_at).toBe('string');
    expect((await t.as(clientToken, { method: 'GET', url: `/api/v1/points/${otherPoint}/dead-letters` })).status).toBe(404);
  });

  it('GET /dead-letters: staff only; filters by point, exact or prefix reason (wildcards literal), bounded range', async () => {
    await upload(`timestamp,variable,value\n${at(3)},caudal,n/a\n`, { point: otherPoint });
    await processed();
    const all = await t.as(t.adminToken, { method: 'GET', url: '/api/v1/dead-letters' });
    expect(all.body.total).toBe(2);
    const q = (query: string) => t.as(t.adminToken, { method: 'GET', url: `/api/v1/dead-letters?${query}` });
    expect((await q(`point_id=${otherPoint}`)).body.items.map((d: { point_id: number }) => d.point_id)).toEqual([otherPoint]);
    expect((await q('reason=unparseable_value')).body.total).toBe(2);
    expect((await q('reason=unparseable*')).body.total).toBe(2);
    expect((await q('reason=unparseable')).body.total).toBe(0);
    expect((await q('reason=unp%25*')).body.total).toBe(0); // "unp%" is literal
    expect((await q('reason=unparseable_valu_*')).body.total).toBe(0); // "_" is literal
    expect((await q('limit=1')).body).toMatchObject({ total: 2, items: [expect.any(Object)] });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    expect((await q(`from=${tomorrow}&to=${new Date(Date.now() + 2 * 86_400_000).toISOString()}`)).body.total).toBe(0);
    expect((await q('from=0100-01-01&to=9999-12-31')).body).toMatchObject({ status: 400, field: 'from' });
    expect((await q('limit=100000')).status).toBe(400);
    expect((await t.as(clientToken, { method: 'GET', url: '/api/v1/dead-letters' })).status).toBe(403);
  });
});
