import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, seedClientUser, seedTenant, type TestContext } from '../support/context.js';
import { templateConfig } from '../../src/demo/seed.js';
import { startProcessor } from '../../src/roles/processor.js';
import type { RunningRole } from '../../src/roles/api.js';
import { SubmissionRepository } from '../../src/dga/submission.repository.js';
import { DgaPointRepository } from '../../src/dga/dga-point.repository.js';
import { ADMIN_ACTOR } from '../support/dga-fixtures.js';

/**
 * Corrections through the HTTP API on PGlite, with the readings stored by the real processor (pushed
 * on the raw topic): what series, CSV, latest values, consumption and DGA show afterwards.
 */
let t: TestContext;
let processor: RunningRole;
let p: number;
let other: number;
let clientToken: string;
let otherClientToken: string;
let operatorToken: string;

const url = (path: string) => `/api/v1/points/${p}${path}`;
const get = (token: string, path: string) => t.as(token, { method: 'GET', url: url(path) });
const correct = (token: string, payload: object, point = p) =>
  t.as(token, { method: 'POST', url: `/api/v1/points/${point}/corrections`, payload });
const revert = (token: string, id: number, payload: object = { reason: 'undo' }) =>
  t.as(token, { method: 'POST', url: url(`/corrections/${id}/revert`), payload });

async function drained(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await t.c.bus.lag(t.c.topics.processorGroup, [t.c.topics.raw])) === 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('processor did not drain the raw topic');
}

const DAY = 'from=2026-11-30T04:00:00Z&to=2026-12-01T04:00:00Z';
const rawOf = async (variable: string, extra = '') => (await get(t.adminToken, `/measurements?variable=${variable}&bucket=raw&${DAY}${extra}`)).body.items;
const hourOf = async (variable: string, hour: string) =>
  (await get(t.adminToken, `/measurements?variable=${variable}&bucket=1h&${DAY}`)).body.items.find((b: any) => b.timestamp === hour);
const latestOf = async (variable: string) => (await get(clientToken, '/latest')).body.variables.find((v: any) => v.variable === variable);
const volume = async () => (await get(clientToken, '/consumption?from=2026-11-30&to=2026-12-01&period=day&variable=totalizador')).body.items[0].volume_m3;

beforeAll(async () => {
  t = await createTestContext();
  const a = await seedTenant(t, 'corr-a', 1);
  const b = await seedTenant(t, 'corr-b', 1);
  p = a.points[0]!;
  other = b.points[0]!;
  const tpl = await t.as(t.adminToken, { method: 'POST', url: '/api/v1/schema-templates', payload: { name: 'corr', variables_config: templateConfig('novus') } });
  for (const id of [p, other]) {
    await t.as(t.adminToken, { method: 'PUT', url: `/api/v1/points/${id}/schema`, payload: { template_id: tpl.body.id } });
  }
  ({ token: clientToken } = await seedClientUser(t, a.clientId, 'client@corr-a.local', 'client-password'));
  ({ token: otherClientToken } = await seedClientUser(t, b.clientId, 'client@corr-b.local', 'client-password'));
  await t.c.auth.createUser('system', { email: 'op@corr.local', password: 'operator-password', role: 'operator' });
  operatorToken = await t.login('op@corr.local', 'operator-password');
  processor = await startProcessor(t.c);
  const readings = [
    { variable: 'totalizador', ts: '2026-11-30T10:00:00Z', value: 100 },
    { variable: 'totalizador', ts: '2026-11-30T11:00:00Z', value: 101 },
    { variable: 'totalizador', ts: '2026-11-30T12:00:00Z', value: 102 },
    { variable: 'totalizador', ts: '2026-11-30T13:00:00Z', value: 103 },
    { variable: 'caudal', ts: '2026-11-30T10:00:00Z', value: 10 },
    { variable: 'caudal', ts: '2026-11-30T10:30:00Z', value: 20 },
    { variable: 'caudal', ts: '2026-11-30T11:00:00Z', value: 12 },
  ];
  const r = await t.as(t.adminToken, { method: 'POST', url: url('/readings'), payload: { readings } });
  expect(r.status).toBe(202);
  await drained();
});
afterAll(async () => {
  await processor.stop();
  await t.close();
});

describe('corrections', () => {
  let setId: number;
  let invalidTotalizerId: number;

  it('before any correction every read shows the recorded values', async () => {
    expect((await rawOf('totalizador')).map((i: any) => i.value)).toEqual([100, 101, 102, 103]);
    expect((await latestOf('totalizador')).value).toBe(103);
    expect(await volume()).toBeCloseTo(3, 9);
    expect(await hourOf('caudal', '2026-11-30T10:00:00.000Z')).toMatchObject({ avg: 15, count: 2 });
  });

  it('correcting one reading: 201 with the count; series, latest, CSV and consumption show the new value, include=original the old', async () => {
    const r = await correct(operatorToken, { variable: 'totalizador', ts: '2026-11-30T13:00:00Z', value: 104, reason: 'meter read on site: 104 m³' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      point_id: p, variable: 'totalizador', action: 'set_value', value: 104, readings: 1, reverts_id: null, reverted_by: null,
      from: '2026-11-30T13:00:00.000Z', to: '2026-11-30T13:00:00.000Z', reason: 'meter read on site: 104 m³',
      user: { email: 'op@corr.local' },
      before: [{ ts: '2026-11-30T13:00:00.000Z', value: 103 }],
      after: [{ ts: '2026-11-30T13:00:00.000Z', value: 104 }],
    });
    setId = r.body.id;

    expect((await rawOf('totalizador')).map((i: any) => i.value)).toEqual([100, 101, 102, 104]);
    const original = await rawOf('totalizador', '&include=original');
    expect(original[3]).toMatchObject({ value: 104, original_value: 103, corrected: true, invalid: false });
    expect(original[3].raw_value).not.toBeUndefined();
    expect(original[0]).toMatchObject({ value: 100, original_value: 100, corrected: false });
    expect((await rawOf('totalizador'))[3]).not.toHaveProperty('original_value');
    expect(await hourOf('totalizador', '2026-11-30T13:00:00.000Z')).toMatchObject({ avg: 104, last: 104 });
    expect((await get(t.adminToken, `/measurements?variable=totalizador&bucket=1d&${DAY}`)).body.items[0]).toMatchObject({ max: 104 });
    expect((await latestOf('totalizador')).value).toBe(104);
    expect(await volume()).toBeCloseTo(4, 9);
    const csv = await t.as(t.adminToken, { method: 'GET', url: url(`/measurements?variable=totalizador&bucket=raw&format=csv&${DAY}`) });
    expect(csv.status).toBe(200);
    expect(csv.text).toContain(`${p},"totalizador",2026-11-30T13:00:00.000Z,104,`);
    expect(csv.text).not.toContain(',103,');
    // The recorded value itself is untouched.
    const stored = await t.c.db.query<{ value_numeric: number }>(
      "SELECT value_numeric FROM measurements WHERE point_id = $1 AND variable = 'totalizador' AND ts = '2026-11-30T13:00:00Z'",
      [p],
    );
    expect(stored.rows[0]!.value_numeric).toBe(103);

    // The same reading delivered again (a re-pushed batch, a bus re-delivery) does not undo the correction.
    const again = await t.as(t.adminToken, { method: 'POST', url: url('/readings'), payload: { readings: [{ variable: 'totalizador', ts: '2026-11-30T13:00:00Z', value: 103 }] } });
    expect(again.status).toBe(202);
    await drained();
    expect((await latestOf('totalizador')).value).toBe(104);
    // …nor in the stored latest values a cache reload would serve.
    const latestRow = await t.c.db.query<{ value_numeric: number }>(
      "SELECT value_numeric FROM latest_values WHERE point_id = $1 AND variable = 'totalizador'",
      [p],
    );
    expect(latestRow.rows[0]!.value_numeric).toBe(104);
    expect((await rawOf('totalizador')).map((i: any) => i.value)).toEqual([100, 101, 102, 104]);
  });

  it('include=original is for raw JSON readings only (400 naming include)', async () => {
    for (const q of ['bucket=1h', 'bucket=raw&format=csv']) {
      const r = await get(t.adminToken, `/measurements?variable=totalizador&${q}&include=original&${DAY}`);
      expect({ status: r.status, field: r.body.field }).toEqual({ status: 400, field: 'include' });
    }
  });

  it('invalidating a range leaves the readings out of buckets, latest values and consumption', async () => {
    const flow = await correct(t.adminToken, { variable: 'caudal', from: '2026-11-30T10:15:00Z', to: '2026-11-30T10:45:00Z', action: 'invalidate', reason: 'sensor flooded' });
    expect(flow.status).toBe(201);
    expect(flow.body).toMatchObject({ action: 'invalidate', value: null, readings: 1, before: [{ value: 20 }], after: [{ value: null }] });
    expect(await hourOf('caudal', '2026-11-30T10:00:00.000Z')).toMatchObject({ avg: 10, min: 10, max: 10, count: 1 });
    const raw = await rawOf('caudal', '&include=original');
    expect(raw[1]).toMatchObject({ timestamp: '2026-11-30T10:30:00.000Z', value: null, original_value: 20, invalid: true });

    const tot = await correct(t.adminToken, { variable: 'totalizador', from: '2026-11-30T12:30:00Z', to: '2026-11-30T23:00:00Z', action: 'invalidate', reason: 'logger clock wrong' });
    expect(tot.status).toBe(201);
    expect(tot.body).toMatchObject({ readings: 1, before: [{ value: 104 }], after: [{ value: null }] });
    invalidTotalizerId = tot.body.id;
    expect(await hourOf('totalizador', '2026-11-30T13:00:00.000Z')).toBeUndefined();
    expect(await latestOf('totalizador')).toMatchObject({ value: 102, timestamp: '2026-11-30T12:00:00.000Z' });
    expect(await volume()).toBeCloseTo(2, 9);
  });

  it('a revert restores what the remaining corrections give: first the set value, then the recorded one', async () => {
    const r1 = await revert(operatorToken, invalidTotalizerId, { reason: 'clock was right after all' });
    expect(r1.status).toBe(201);
    expect(r1.body).toMatchObject({ action: 'revert', reverts_id: invalidTotalizerId, readings: 1, before: [{ value: null }], after: [{ value: 104 }] });
    expect((await latestOf('totalizador')).value).toBe(104);
    expect(await volume()).toBeCloseTo(4, 9);

    const r2 = await revert(operatorToken, setId, { reason: 'site reading was of the other meter' });
    expect(r2.status).toBe(201);
    expect(r2.body).toMatchObject({ before: [{ value: 104 }], after: [{ value: 103 }] });
    expect((await rawOf('totalizador')).map((i: any) => i.value)).toEqual([100, 101, 102, 103]);
    expect(await hourOf('totalizador', '2026-11-30T13:00:00.000Z')).toMatchObject({ avg: 103 });
    expect((await latestOf('totalizador')).value).toBe(103);
    expect(await volume()).toBeCloseTo(3, 9);
  });

  it('a correction is reverted once; a revert is not reverted; an unknown one is 404', async () => {
    expect((await revert(operatorToken, setId)).body.code).toBe('CORRECTION_ALREADY_REVERTED');
    const list = await get(t.adminToken, '/corrections');
    const aRevert = list.body.items.find((c: any) => c.action === 'revert');
    const again = await revert(operatorToken, aRevert.id);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('CORRECTION_IS_A_REVERT');
    expect((await revert(operatorToken, 999_999)).status).toBe(404);
    expect((await revert(operatorToken, setId, {})).body).toMatchObject({ status: 400, field: 'reason' });
    const noBody = await t.as(operatorToken, { method: 'POST', url: url(`/corrections/${setId}/revert`) });
    expect(noBody.status).toBe(400);
  });

  it('the audit trail lists who, when, before, after, reason and range, newest first, to staff and the point\'s client', async () => {
    const r = await get(clientToken, '/corrections');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(5);
    expect(r.body.items.map((c: any) => c.action)).toEqual(['revert', 'revert', 'invalidate', 'invalidate', 'set_value']);
    const set = r.body.items[4];
    expect(set).toMatchObject({ id: setId, user: { email: 'op@corr.local' }, reason: 'meter read on site: 104 m³', reverted_by: r.body.items[0].id });
    expect(set.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(r.body.items[3]).toMatchObject({ variable: 'caudal', user: { email: 'admin@test.local' }, from: '2026-11-30T10:15:00.000Z', to: '2026-11-30T10:45:00.000Z', reverted_by: null });
    const flowOnly = await get(t.adminToken, '/corrections?variable=caudal');
    expect(flowOnly.body.total).toBe(1);
  });

  it('a client user may not correct (403), another client\'s user does not see the point (404)', async () => {
    const body = { variable: 'caudal', ts: '2026-11-30T11:00:00Z', value: 1, reason: 'x' };
    expect((await correct(clientToken, body)).status).toBe(403);
    expect((await revert(clientToken, setId)).status).toBe(403);
    expect((await correct(otherClientToken, body)).status).toBe(404);
    expect((await t.as(otherClientToken, { method: 'GET', url: url('/corrections') })).status).toBe(404);
    expect((await correct(t.adminToken, body, 999_999)).status).toBe(404);
    expect((await rawOf('caudal')).map((i: any) => i.value)).toEqual([10, null, 12]);
  });

  it('bad requests are 400 naming the field; nothing stored there is 409', async () => {
    const cases: [object, string][] = [
      [{ variable: 'caudal', ts: '2026-11-30T11:00:00Z', value: 1 }, 'reason'],
      [{ variable: 'caudal', ts: '2026-11-30T11:00:00Z', value: 1, reason: '  ' }, 'reason'],
      [{ variable: 'caudal', ts: '2026-11-30T11:00:00Z', value: 1, reason: 'x'.repeat(501) }, 'reason'],
      [{ variable: 'caudal', ts: '2026-11-30T11:00:00', value: 1, reason: 'x' }, 'ts'],
      [{ variable: 'caudal', ts: '2026-11-30T11:00:00Z', reason: 'x' }, 'value'],
      [{ variable: 'caudal', ts: '2026-11-30T11:00:00Z', value: 1e300, reason: 'x' }, 'value'],
      [{ variable: 'caudal', ts: '2026-11-30T11:00:00Z', value: '12', reason: 'x' }, 'value'],
      [{ variable: 'caudal', from: '2024-01-01T00:00:00Z', to: '2026-11-30T00:00:00Z', action: 'invalidate', reason: 'x' }, 'to'],
      [{ variable: 'caudal', ts: '2026-11-30T11:00:00Z', action: 'erase', reason: 'x' }, 'action'],
    ];
    for (const [body, field] of cases) {
      const r = await correct(t.adminToken, body);
      expect({ status: r.status, field: r.body.field }).toEqual({ status: 400, field });
    }
    const none = await correct(t.adminToken, { variable: 'caudal', ts: '2026-11-30T11:00:01Z', value: 1, reason: 'x' });
    expect(none.status).toBe(409);
    expect(none.body.code).toBe('NO_READINGS_TO_CORRECT');
    expect((await get(t.adminToken, '/corrections')).body.total).toBe(5);
  });
});

describe('DGA after a correction', () => {
  it('a slot receipted before the correction shows as receipted with superseded data and is never claimed again', async () => {
    const reading = (from: string, to: string) => JSON.stringify({ window: { from, to }, totalizer_ts: to, water_table_ts: null });
    const { rows } = await t.c.db.query<{ id: number }>(
      `INSERT INTO dga_submissions (point_id, slot_at, standard, status, receipt, sent_at, reading) VALUES
         ($1, '2026-11-30T12:00:00Z', 'MENOR', 'sent', 'R-1', now(), $2),
         ($1, '2026-11-30T18:00:00Z', 'MENOR', 'sent', 'R-2', now(), $3),
         ($1, '2026-11-30T06:00:00Z', 'MENOR', 'sent', 'R-0', now(), $4)
       RETURNING id`,
      [p, reading('2026-11-30T11:00:00Z', '2026-11-30T12:00:00Z'), reading('2026-11-30T17:00:00Z', '2026-11-30T18:00:00Z'),
        reading('2026-11-30T05:00:00Z', '2026-11-30T06:00:00Z')],
    );
    const [covered, later, earlier] = rows.map((r) => Number(r.id));
    // The corrections made above predate sent_at: the data sent already had them.
    const before = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/dga/submissions?point_id=${p}` });
    expect(before.status).toBe(200);
    expect(before.body.items.every((s: any) => s.receipted_with_superseded_data === false)).toBe(true);

    const c = await correct(t.adminToken, { variable: 'totalizador', ts: '2026-11-30T12:00:00Z', value: 102.5, reason: 'rectified' });
    expect(c.status).toBe(201);

    const after = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/dga/submissions?point_id=${p}` });
    const flag = new Map(after.body.items.map((s: any) => [s.id, s.receipted_with_superseded_data]));
    expect(flag.get(covered)).toBe(true);
    expect(flag.get(later)).toBe(false);
    expect(flag.get(earlier)).toBe(false);
    const only = await t.as(t.adminToken, { method: 'GET', url: `/api/v1/dga/submissions?point_id=${p}&receipted_with_superseded_data=true` });
    expect(only.body.items.map((s: any) => s.id)).toEqual([covered]);
    const mine = await t.as(clientToken, { method: 'GET', url: `/api/v1/dga/submissions/${covered}` });
    expect(mine.body).toMatchObject({ status: 'sent', receipt: 'R-1', receipted_with_superseded_data: true });

    // Never resent: the reporter's claim does not take it, and a manual retry is refused.
    expect(await new SubmissionRepository(t.c.db).claim(new Date('2030-01-01T00:00:00Z'), 60_000, 'test', 'tok')).toBeUndefined();
    const retry = await t.as(t.adminToken, { method: 'POST', url: `/api/v1/dga/submissions/${covered}/retry` });
    expect(retry.status).toBe(409);
    const row = await t.c.db.query<{ status: string; attempts: number }>('SELECT status, attempts FROM dga_submissions WHERE id = $1', [covered]);
    expect(row.rows[0]).toEqual({ status: 'sent', attempts: 0 });

    // The compliance view counts it for the operator to rectify with the DGA.
    await t.c.points.update(ADMIN_ACTOR, p, {
      dga_send: true, dga_standard: 'MENOR', dga_type: 'SUBTERRANEO', dga_code: 'OB-0901-1', dga_informant_rut: '20999888-2',
      dga_password: 'demo', dga_company_rut: '77555666-8', dga_start_date: '2026-11-01',
    });
    const compliance = await t.as(clientToken, { method: 'GET', url: `/api/v1/dga/compliance?from=2026-11-30&to=2026-12-01&point_id=${p}` });
    expect(compliance.status).toBe(200);
    expect(compliance.body.points).toHaveLength(1);
    expect(compliance.body.points[0]).toMatchObject({ point_id: p, receipted_with_superseded_data: 1 });
  });

  it('a slot not sent yet is built from the corrected values: the samples DGA reads are the effective ones', async () => {
    const samples = await new DgaPointRepository(t.c.db).samples(p, 'totalizador', new Date('2026-11-30T09:00:00Z'), new Date('2026-11-30T14:00:00Z'));
    expect(samples.map((x) => x.value)).toEqual([100, 101, 102.5, 103]);
    const inv = await correct(t.adminToken, { variable: 'totalizador', ts: '2026-11-30T11:00:00Z', action: 'invalidate', reason: 'glitch' });
    expect(inv.status).toBe(201);
    const after = await new DgaPointRepository(t.c.db).samples(p, 'totalizador', new Date('2026-11-30T09:00:00Z'), new Date('2026-11-30T14:00:00Z'));
    expect(after.map((x) => [x.ts.toISOString(), x.value])).toEqual([
      ['2026-11-30T10:00:00.000Z', 100],
      ['2026-11-30T12:00:00.000Z', 102.5],
      ['2026-11-30T13:00:00.000Z', 103],
    ]);
  });
});
